"""The diagram: a laid-out model graph drawn in a QGraphicsView, with its legend and minimap.

Everything drawn comes from the graph's attributes, :mod:`cnnviz.diagram` (text) and the
:class:`~cnnviz.layout.Layout` (geometry): boxes have exactly the layout's sizes, edges follow
its polylines. The view emits signals; the main window decides what they mean.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import networkx as nx
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QBrush, QColor, QFont, QFontMetricsF, QImage, QKeyEvent, QMouseEvent,
                           QPaintDevice, QPainter, QPainterPath, QPen, QPixmap, QPolygonF,
                           QResizeEvent, QWheelEvent)
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (QApplication, QGraphicsItem, QGraphicsPathItem,
                               QGraphicsPolygonItem, QGraphicsScene, QGraphicsView, QGridLayout,
                               QLabel, QStyleOptionGraphicsItem, QWidget)

from cnnviz import diagram
from cnnviz import graph as g
from cnnviz.graph import Category
from cnnviz.layout import (CHAR_WIDTH, CLUSTER_LABEL_HEIGHT, CLUSTER_PAD, LINE_HEIGHT,
                           TEXT_PADDING, ClusterBox, EdgePath, Layout, NodeBox)

CATEGORY_COLORS: dict[Category, QColor] = {
    Category.CONV: QColor("#3b6ea5"),
    Category.NORM: QColor("#5f7f6f"),
    Category.ACT: QColor("#b4553d"),
    Category.POOL: QColor("#4a8c4a"),
    Category.LINEAR: QColor("#7353a3"),
    Category.ATTENTION: QColor("#a8741a"),
    Category.DROPOUT: QColor("#6c7090"),
    Category.ADD: QColor("#f0a03c"),
    Category.MUL: QColor("#e3c34f"),
    Category.CONCAT: QColor("#2a9d9d"),
    Category.RESHAPE: QColor("#8a6a5a"),
    Category.INPUT: QColor("#3f4650"),
    Category.OUTPUT: QColor("#3f4650"),
    Category.BLOCK: QColor("#eceff3"),
    Category.OTHER: QColor("#8c8c8c"),
}
BACKGROUND = QColor("#fbfbfc")
SELECTION_COLOR = QColor("#e6197d")
MATCH_COLOR = QColor("#00b4d8")
_BLOCK_BORDER = QColor("#5b6472")


def _edge_pen(color: str, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    """A pen whose width is in pixels, so edges stay visible when zoomed far out."""
    pen = QPen(QColor(color), width, style)
    pen.setCosmetic(True)
    return pen


EDGE_PEN = _edge_pen("#6b7280", 1.3)
SKIP_PEN = _edge_pen("#e07b00", 1.7, Qt.PenStyle.DashLine)
_LABEL_HALO = QColor(251, 251, 252, 190)

# Levels of detail (screen pixels per scene unit) below which parts are left out.
LABEL_LOD = 0.45  # node text and cluster labels
EDGE_LABEL_LOD = 0.8  # tensor shapes beside edges
SHAPE_LOD = 0.15  # below this a node is a plain filled rectangle

MIN_SCALE, MAX_SCALE = 0.05, 8.0  # zoom limits (the lower one gives way to fitting the window)
ZOOM_STEP = 1.25
FOCUS_SCALE = 1.5  # zoom_to_selection's largest scale
PAN_FRACTION = 0.125  # of the viewport, per arrow key

_CORNER = 6.0
_ARROW_LENGTH, _ARROW_HALF_WIDTH = 7.0, 3.5
_TEXT_MARGIN = 6.0  # left and right of a node's text before it is elided
_PILL_INSET = 6.0  # what a pill's round ends take from its text's width
_CLUSTER_FRAME = 0.6 * CLUSTER_PAD  # width of the double-clickable frame of a cluster box
_CLUSTER_Z, _EDGE_Z, _EDGE_LABEL_Z, _NODE_Z = -100.0, 0.0, 1.0, 2.0
_ROUND_SHAPES = (Category.ADD, Category.MUL)  # drawn as pills


class _Style:
    """Fonts and metrics shared by one view's items, and whether an export is being drawn
    (exports show every label, whatever their scale)."""

    def __init__(self) -> None:
        title, text = _fitting_font(bold=True), _fitting_font(bold=False)
        self._line_fonts = {font.bold(): [(f, QFontMetricsF(f)) for f in (font, _smaller(font))]
                            for font in (title, text)}
        self.edge = _smaller(text, 2)
        self.edge_metrics = QFontMetricsF(self.edge)
        self.cluster = _smaller(text)
        self.cluster.setWeight(QFont.Weight.DemiBold)
        self.cluster_metrics = QFontMetricsF(self.cluster)
        self.exporting = False

    def fit(self, line: str, room: float, bold: bool) -> tuple[QFont, str]:
        """A node's text line in the larger of two fonts that fits ``room``; elided in the
        smaller one when neither does."""
        fonts = self._line_fonts[bold]
        for font, metrics in fonts:
            if metrics.horizontalAdvance(line) <= room:
                return font, line
        font, metrics = fonts[-1]
        mode = Qt.TextElideMode.ElideRight if bold else Qt.TextElideMode.ElideMiddle
        return font, metrics.elidedText(line, mode, room)

    def detailed(self, painter: QPainter, threshold: float) -> bool:
        """Whether to draw the details that need at least ``threshold`` pixels per unit."""
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        return self.exporting or lod >= threshold


def _smaller(font: QFont, pixels: int = 1) -> QFont:
    smaller = QFont(font)
    smaller.setPixelSize(font.pixelSize() - pixels)
    return smaller


@cache
def _fitting_font(bold: bool) -> QFont:
    """The application's font at the largest pixel size whose average character is at most
    the layout's CHAR_WIDTH, so text fits the boxes that node_size computed."""
    sample = "Conv 3×3 /2 · 128 layer2.1.downsample.0 1×3×224×224 denselayer12 74.0k params"
    font = QFont(QApplication.font())
    font.setBold(bold)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    for pixels in range(int(LINE_HEIGHT) - 2, 6, -1):
        font.setPixelSize(pixels)
        if QFontMetricsF(font).horizontalAdvance(sample) <= CHAR_WIDTH * len(sample):
            break
    return font


def _text_color(fill: QColor) -> QColor:
    """Dark text on light fills, white on dark ones."""
    luminance = 0.2126 * fill.red() + 0.7152 * fill.green() + 0.0722 * fill.blue()
    return QColor("#1f2328") if luminance > 150 else QColor("white")


# ---------------------------------------------------------------------------------------------
# Items


class NodeItem(QGraphicsItem):
    """A node's box at the layout's position and size: category colour, its text lines
    (the first bold) and highlight borders for selection and search matches."""

    def __init__(self, box: NodeBox, attrs: dict, style: _Style) -> None:
        super().__init__()
        self.name = box.name
        self.category = Category(attrs[g.CATEGORY])
        self._style = style
        self._rect = QRectF(-box.width / 2, -box.height / 2, box.width, box.height)
        pill = self.category in _ROUND_SHAPES
        self._radius = box.height / 2 if pill else _CORNER
        self._outline = QPainterPath()
        self._outline.addRoundedRect(self._rect.adjusted(0.5, 0.5, -0.5, -0.5),
                                     self._radius, self._radius)
        room = box.width - 2 * _TEXT_MARGIN - (_PILL_INSET if pill else 0)
        self._lines = [style.fit(line, room, bold=i == 0)
                       for i, line in enumerate(diagram.node_lines(attrs))]
        self._fill = CATEGORY_COLORS[self.category]
        self._selected = self._matched = self._hovered = False
        self.setPos(box.x, box.y)
        self.setZValue(_NODE_Z)
        self.setToolTip(diagram.tooltip(attrs))
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def brush(self) -> QBrush:
        """The fill: the category's colour or the one set_node_colors gave."""
        return QBrush(self._fill)

    def set_fill(self, color: QColor | None) -> None:
        """Override the fill colour; None restores the category's."""
        self._fill = QColor(color) if color is not None else CATEGORY_COLORS[self.category]
        self.update()

    def set_selected(self, selected: bool) -> None:
        self._selected = selected
        self.update()

    def set_matched(self, matched: bool) -> None:
        self._matched = matched
        self.update()

    def is_selected(self) -> bool:
        return self._selected

    def is_matched(self) -> bool:
        return self._matched

    def boundingRect(self) -> QRectF:
        return self._rect

    def hoverEnterEvent(self, event) -> None:
        self._hovered = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self._hovered = False
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        highlight = SELECTION_COLOR if self._selected else MATCH_COLOR if self._matched else None
        fill = self._fill.lighter(112) if self._hovered else self._fill
        if not self._style.detailed(painter, SHAPE_LOD):
            painter.fillRect(self._rect, highlight or fill)
            return
        block = self.category == Category.BLOCK
        painter.setPen(QPen(_BLOCK_BORDER, 2) if block else QPen(fill.darker(140), 1))
        painter.setBrush(fill)
        painter.drawPath(self._outline)
        if not self._style.detailed(painter, LABEL_LOD):
            if highlight is not None:  # no text to read: the whole box shows the highlight
                painter.setBrush(highlight)
                painter.drawPath(self._outline)
            return
        if highlight is not None:
            width = 3.0 if self._selected else 2.5
            painter.setPen(QPen(highlight, width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            inset = width / 2
            painter.drawRoundedRect(self._rect.adjusted(inset, inset, -inset, -inset),
                                    self._radius - inset, self._radius - inset)
        color = _text_color(fill)
        secondary = QColor(color)
        secondary.setAlpha(215)
        top = self._rect.top() + TEXT_PADDING[1] / 2
        for i, (font, line) in enumerate(self._lines):
            painter.setFont(font)
            painter.setPen(color if i == 0 else secondary)
            painter.drawText(QRectF(self._rect.left(), top + i * LINE_HEIGHT,
                                    self._rect.width(), LINE_HEIGHT),
                             Qt.AlignmentFlag.AlignCenter, line)


class EdgeItem(QGraphicsPathItem):
    """An edge along the layout's polyline with a filled arrowhead at the target; skip
    connections are dashed and orange."""

    def __init__(self, edge: EdgePath, skip: bool) -> None:
        super().__init__()
        self.source, self.target, self.skip = edge.source, edge.target, skip
        (tx, ty), (bx, by) = edge.points[-1], edge.points[0]
        for px, py in reversed(edge.points[:-1]):  # the last point before the tip
            if (px, py) != (tx, ty):
                bx, by = px, py
                break
        length = math.hypot(tx - bx, ty - by) or 1.0
        ux, uy = (tx - bx) / length, (ty - by) / length
        base_x, base_y = tx - ux * _ARROW_LENGTH, ty - uy * _ARROW_LENGTH
        line = QPolygonF([QPointF(x, y) for x, y in edge.points[:-1]] + [QPointF(base_x, base_y)])
        path = QPainterPath()
        path.addPolygon(line)
        pen = SKIP_PEN if skip else EDGE_PEN
        self.setPath(path)
        self.setPen(pen)
        self.setZValue(_EDGE_Z)
        wx, wy = -uy * _ARROW_HALF_WIDTH, ux * _ARROW_HALF_WIDTH  # across the arrow
        arrow = QGraphicsPolygonItem(QPolygonF([
            QPointF(tx, ty), QPointF(base_x + wx, base_y + wy),
            QPointF(base_x - wx, base_y - wy)]), self)
        arrow.setPen(Qt.PenStyle.NoPen)
        arrow.setBrush(pen.color())


class EdgeLabelItem(QGraphicsItem):
    """A tensor shape in small text, drawn only when zoomed in enough."""

    def __init__(self, text: str, top_left: QPointF, style: _Style) -> None:
        super().__init__()
        self.text = text
        self._style = style
        metrics = style.edge_metrics
        self._rect = QRectF(0, 0, metrics.horizontalAdvance(text) + 2, metrics.height())
        self.setPos(top_left)
        self.setZValue(_EDGE_LABEL_Z)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        if self._style.detailed(painter, EDGE_LABEL_LOD):
            painter.fillRect(self._rect, _LABEL_HALO)
            painter.setFont(self._style.edge)
            painter.setPen(QColor("#59636e"))
            painter.drawText(self._rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             self.text)


class ClusterItem(QGraphicsItem):
    """The translucent box of an expanded block, its label top left; nested boxes add up to
    darker shades. Its frame and label (not its inside) are hit by clicks and tooltips."""

    def __init__(self, box: ClusterBox, style: _Style) -> None:
        super().__init__()
        self.path = box.path
        self._style = style
        self._rect = QRectF(box.x - box.width / 2, box.y - box.height / 2, box.width, box.height)
        self._label_rect = QRectF(self._rect.left() + 8, self._rect.top() + 1,
                                  self._rect.width() - 16, CLUSTER_LABEL_HEIGHT)
        self._label = style.cluster_metrics.elidedText(
            box.label, Qt.TextElideMode.ElideRight, self._label_rect.width())
        frame = QPainterPath()
        frame.setFillRule(Qt.FillRule.OddEvenFill)
        frame.addRect(self._rect)
        frame.addRect(self._rect.adjusted(_CLUSTER_FRAME, _CLUSTER_FRAME,
                                          -_CLUSTER_FRAME, -_CLUSTER_FRAME))
        label = QPainterPath()
        label.addRect(self._label_rect)
        self._shape = frame.united(label)
        self.setZValue(_CLUSTER_Z + box.depth)
        self.setToolTip(f"{box.label}\nDouble-click the frame to collapse it")

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        return self._shape

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setPen(QPen(QColor(64, 96, 160, 90), 1))
        painter.setBrush(QColor(64, 96, 160, 16))
        painter.drawRoundedRect(self._rect.adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)
        if self._style.detailed(painter, LABEL_LOD):
            painter.setFont(self._style.cluster)
            painter.setPen(QColor("#3c4a60"))
            painter.drawText(self._label_rect,
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             self._label)


# ---------------------------------------------------------------------------------------------
# The view


@dataclass(frozen=True)
class _Anchor:
    """Something on screen to keep in place across set_diagram(keep_view=True)."""

    name: str
    members: frozenset[str]  # the operations it stands for
    viewport_point: QPoint  # where its top centre was


class GraphView(QGraphicsView):
    """The interactive diagram.

    Wheel zooms around the cursor, dragging pans, a click selects a node, a double-click on a
    collapsed block or on an expanded block's frame asks to toggle it. Keys: ``+``/``=``,
    ``-``, ``F`` fit, ``Z`` zoom to selection, ``0`` 100 %, arrows pan.
    """

    sigNodeSelected = Signal(str)  # node name, "" when the selection is cleared
    sigBlockToggled = Signal(str)  # block path to expand (collapsed node) or collapse (box)
    sigNodeHovered = Signal(str)  # node name under the mouse, "" when none
    sigViewportChanged = Signal()  # the visible area moved or was zoomed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self._scene.setBackgroundBrush(BACKGROUND)
        self.setScene(self._scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._style = _Style()
        self._graph: nx.DiGraph | None = None
        self._layout: Layout | None = None
        self._nodes: dict[str, NodeItem] = {}
        self._clusters: dict[str, ClusterItem] = {}
        self._edges: list[EdgeItem] = []
        self._colors: dict[str, QColor] = {}
        self._selected = ""
        self._hovered = ""
        self._toggled = ""
        self._search = ""
        self._matches: list[str] = []
        self._match_index = -1
        self._press_pos: QPoint | None = None

    # ------------------------------------------------------------------ the diagram

    def set_diagram(self, graph: nx.DiGraph, layout: Layout, keep_view: bool = False) -> None:
        """Draw a (possibly collapsed) graph with its layout.

        With ``keep_view`` the zoom stays and the toggled block, else the selected node, else
        the node nearest the view's centre keeps its place on screen (or what replaced it:
        its block, its expansion).
        """
        keep_view = keep_view and self._layout is not None
        anchors = self._anchors() if keep_view else []
        self._scene.clear()
        self._nodes, self._clusters, self._edges = {}, {}, []
        self._graph, self._layout, self._hovered = graph, layout, ""
        for box in layout.clusters:
            self._clusters[box.path] = ClusterItem(box, self._style)
            self._scene.addItem(self._clusters[box.path])
        self._add_edges(graph, layout)
        for name, box in layout.nodes.items():
            item = NodeItem(box, graph.nodes[name], self._style)
            if name in self._colors:
                item.set_fill(self._colors[name])
            self._nodes[name] = item
            self._scene.addItem(item)
        self._scene.setSceneRect(self._diagram_rect())
        if self._selected in self._nodes:
            self._nodes[self._selected].set_selected(True)
        elif self._selected:
            self._selected = ""
            self.sigNodeSelected.emit("")
        self._set_matches(self._matching(self._search))
        self._toggled = ""
        if keep_view:
            self._restore(anchors)
        else:
            self.fit_to_window()
        self.sigViewportChanged.emit()

    def _add_edges(self, graph: nx.DiGraph, layout: Layout) -> None:
        """Edges, and each tensor's shape once, right of its rightmost edge start."""
        labels: dict[tuple[str, str], QPointF] = {}
        for path in layout.edges:
            data = graph.edges[path.source, path.target]
            edge = EdgeItem(path, bool(data.get(g.SKIP)))
            self._edges.append(edge)
            self._scene.addItem(edge)
            text = diagram.edge_label(data.get(g.SHAPE))
            x, y = path.points[0]
            start = labels.get((path.source, text))
            if start is None or x > start.x():
                labels[(path.source, text)] = QPointF(x, y)
        for (_, text), start in labels.items():
            self._scene.addItem(EdgeLabelItem(text, start + QPointF(4, 1), self._style))

    def _diagram_rect(self) -> QRectF:
        layout = self._layout
        return QRectF(0, 0, layout.width, layout.height) if layout else QRectF()

    def set_node_colors(self, colors: dict[str, QColor] | None) -> None:
        """Fill colours by node name (heat maps); None restores the category colours."""
        self._colors = dict(colors or {})
        for name, item in self._nodes.items():
            item.set_fill(self._colors.get(name))

    def node_item(self, name: str) -> NodeItem:
        """The item drawing a node."""
        return self._nodes[name]

    def node_scene_pos(self, name: str) -> QPointF:
        """The centre of a node's box in scene coordinates."""
        return self._nodes[name].pos()

    def edge_items(self) -> list[EdgeItem]:
        """The items drawing the edges, in the layout's order."""
        return list(self._edges)

    # ------------------------------------------------------------------ keeping the view

    def _anchors(self) -> list[_Anchor]:
        """Candidates to keep in place, best first."""
        centre = self.mapToScene(self.viewport().rect().center())
        nearest = min(self._nodes.values(), default=None,
                      key=lambda item: (item.pos() - centre).manhattanLength())
        names = [self._toggled, self._selected, nearest.name if nearest else ""]
        anchors = []
        for name in dict.fromkeys(n for n in names if n):
            rect = self._rect_of(name)
            if rect is not None:
                point = self.mapFromScene(QPointF(rect.center().x(), rect.top()))
                anchors.append(_Anchor(name, frozenset(self._members(name)), point))
        return anchors

    def _rect_of(self, name: str) -> QRectF | None:
        """The box of a node or of an expanded block, in scene coordinates."""
        if name in self._nodes:
            return self._nodes[name].sceneBoundingRect()
        if name in self._clusters:
            return self._clusters[name].sceneBoundingRect()
        return None

    def _members(self, name: str) -> set[str]:
        """The operations a node or an expanded block's box stands for."""
        if name in self._graph:
            return set(self._graph.nodes[name].get(g.CHILDREN) or (name,))
        return {member for node, attrs in self._graph.nodes(data=True)
                if any(path == name for path, _ in attrs[g.HIERARCHY])
                for member in attrs.get(g.CHILDREN) or (node,)}

    def _restore(self, anchors: list[_Anchor]) -> None:
        """Scroll so the first anchor still drawn (or replaced) is where it was."""
        for anchor in anchors:
            rect = self._rect_of(anchor.name)
            if rect is None:
                rect = self._rect_of_members(anchor.members)
            if rect is not None:
                offset = QPointF(self.viewport().rect().center() - anchor.viewport_point)
                self.centerOn(QPointF(rect.center().x(), rect.top())
                              + offset / self.scale_factor())
                return

    def _rect_of_members(self, members: frozenset[str]) -> QRectF | None:
        """The boxes of the nodes that now stand for any of these operations, united."""
        rect = None
        for name, item in self._nodes.items():
            if members.intersection(self._graph.nodes[name].get(g.CHILDREN) or (name,)):
                box = item.sceneBoundingRect()
                rect = box if rect is None else rect.united(box)
        return rect

    # ------------------------------------------------------------------ selection and search

    def select(self, name: str, centre: bool = False) -> None:
        """Select a node ("" clears); emits sigNodeSelected when the selection changes."""
        if name and name not in self._nodes:
            raise KeyError(name)
        if name != self._selected:
            if self._selected:
                self._nodes[self._selected].set_selected(False)
            self._selected = name
            if name:
                self._nodes[name].set_selected(True)
            self.sigNodeSelected.emit(name)
        if name and centre:
            self.centerOn(self._nodes[name])

    def selected(self) -> str:
        """The selected node's name, "" when none."""
        return self._selected

    def find(self, text: str) -> list[str]:
        """Nodes whose name, module path or type contains ``text`` (any case), top to bottom.

        All are highlighted; the first is selected and centred. "" clears the search.
        """
        self._search = text
        self._set_matches(self._matching(text))
        if self._matches:
            self.next_match()
        return list(self._matches)

    def next_match(self) -> str:
        """Select and centre the next match, cycling; "" when there are none."""
        if not self._matches:
            return ""
        self._match_index = (self._match_index + 1) % len(self._matches)
        name = self._matches[self._match_index]
        self.select(name, centre=True)
        return name

    def show_matches(self, matches: tuple[str, ...]) -> None:
        """Highlight the nodes a search matched."""
        self._set_matches(list(matches))

    def _matching(self, text: str) -> list[str]:
        if not text or self._layout is None:
            return []
        needle = text.casefold()
        found = [name for name, attrs in self._graph.nodes(data=True)
                 if any(needle in attrs[key].casefold()
                        for key in (g.NAME, g.QUALNAME, g.MODULE_TYPE))]
        boxes = self._layout.nodes
        return sorted(found, key=lambda name: (boxes[name].y, boxes[name].x))

    def _set_matches(self, matches: list[str]) -> None:
        for name in self._matches:
            if name in self._nodes:
                self._nodes[name].set_matched(False)
        self._matches, self._match_index = matches, -1
        for name in matches:
            self._nodes[name].set_matched(True)

    # ------------------------------------------------------------------ zoom

    def scale_factor(self) -> float:
        """The current zoom: screen pixels per scene unit."""
        return self.transform().m11()

    def fit_to_window(self) -> None:
        """Show the whole diagram."""
        if self._layout is not None:
            self.fitInView(self._diagram_rect(), Qt.AspectRatioMode.KeepAspectRatio)
            self.sigViewportChanged.emit()

    def zoom_to_selection(self) -> None:
        """Centre the selected node, zoomed so it and its neighbours are readable."""
        if not self._selected:
            return
        item = self._nodes[self._selected]
        rect = item.sceneBoundingRect()
        port = self.viewport().rect()
        self.zoom_to(min(FOCUS_SCALE, port.width() / (3 * rect.width()),
                          port.height() / (6 * rect.height())))
        self.centerOn(item)

    def zoom_in(self) -> None:
        self.zoom_to(self.scale_factor() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_to(self.scale_factor() / ZOOM_STEP)

    def reset_zoom(self) -> None:
        """100 %: one scene unit per pixel."""
        self.zoom_to(1.0)

    def _min_scale(self) -> float:
        """The zoom-out limit: MIN_SCALE, or half the scale that fits a larger diagram."""
        rect, port = self._diagram_rect(), self.viewport().rect()
        if rect.isEmpty():
            return MIN_SCALE
        return min(MIN_SCALE, port.width() / rect.width() / 2, port.height() / rect.height() / 2)

    def zoom_to(self, scale: float, anchor: QPoint | None = None) -> None:
        """Zoom to ``scale`` within the limits, keeping the scene point under ``anchor``
        (a viewport position, the centre by default) in place."""
        anchor = anchor if anchor is not None else self.viewport().rect().center()
        fixed = self.mapToScene(anchor)
        scale = min(max(scale, self._min_scale()), MAX_SCALE)
        factor = scale / self.scale_factor()
        self.scale(factor, factor)
        shift = self.mapFromScene(fixed) - anchor
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + shift.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + shift.y())
        self.sigViewportChanged.emit()

    # ------------------------------------------------------------------ export

    def render_diagram_image(self, scale: float = 2.0) -> QImage:
        """The whole diagram, every label drawn, ``scale`` pixels per scene unit."""
        rect = self._diagram_rect()
        if rect.isEmpty():
            raise ValueError("there is no diagram to draw")
        image = QImage(math.ceil(rect.width() * scale), math.ceil(rect.height() * scale),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(BACKGROUND)
        self._render(image, QRectF(image.rect()), rect)
        return image

    def export_png(self, path: str, scale: float = 2.0) -> None:
        """Save the whole diagram as a PNG at ``scale`` pixels per scene unit."""
        if not self.render_diagram_image(scale).save(path, "PNG"):
            raise OSError(f"could not write {path}")

    def export_svg(self, path: str) -> None:
        """Save the whole diagram as an SVG drawing in scene units."""
        rect = self._diagram_rect()
        if rect.isEmpty():
            raise ValueError("there is no diagram to draw")
        generator = QSvgGenerator()
        generator.setFileName(path)
        generator.setSize(QSize(math.ceil(rect.width()), math.ceil(rect.height())))
        generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        generator.setTitle(str(self._graph.graph.get(g.MODEL, "cnnviz diagram")))
        generator.setDescription("Drawn by cnnviz")
        self._render(generator, QRectF(0, 0, rect.width(), rect.height()), rect)

    def _render(self, device: QPaintDevice, target: QRectF, source: QRectF) -> None:
        """Draw the scene's ``source`` rectangle onto ``target`` with every label shown."""
        painter = QPainter(device)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing
                               | QPainter.RenderHint.TextAntialiasing)
        self._style.exporting = True
        try:
            self._scene.render(painter, target, source)
        finally:
            self._style.exporting = False
            painter.end()

    # ------------------------------------------------------------------ events

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_pos = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """A release where the press was (not a drag) selects what is under the mouse."""
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton or self._press_pos is None:
            return
        pos = event.position().toPoint()
        if (pos - self._press_pos).manhattanLength() < QApplication.startDragDistance():
            node = self._node_at(pos)
            self.select(node.name if node else "")
        self._press_pos = None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """Double-click on a collapsed block or an expanded block's frame: sigBlockToggled."""
        path = ""
        if event.button() == Qt.MouseButton.LeftButton:
            path = self._block_at(event.position().toPoint())
        if path:
            self._toggled = path
            self.sigBlockToggled.emit(path)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if event.buttons() == Qt.MouseButton.NoButton:
            node = self._node_at(event.position().toPoint())
            name = node.name if node else ""
            if name != self._hovered:
                self._hovered = name
                self.sigNodeHovered.emit(name)

    def wheelEvent(self, event: QWheelEvent) -> None:
        """The wheel zooms around the cursor."""
        delta = event.angleDelta().y()
        if delta == 0:
            super().wheelEvent(event)
            return
        self.zoom_to(self.scale_factor() * 1.0015 ** delta, event.position().toPoint())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        actions = {Qt.Key.Key_Plus: self.zoom_in, Qt.Key.Key_Equal: self.zoom_in,
                   Qt.Key.Key_Minus: self.zoom_out, Qt.Key.Key_F: self.fit_to_window,
                   Qt.Key.Key_Z: self.zoom_to_selection, Qt.Key.Key_0: self.reset_zoom}
        pans = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0),
                Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        if key in actions:
            actions[key]()
        elif key in pans:
            dx, dy = pans[key]
            port = self.viewport().rect()
            bars = self.horizontalScrollBar(), self.verticalScrollBar()
            bars[0].setValue(bars[0].value() + round(dx * PAN_FRACTION * port.width()))
            bars[1].setValue(bars[1].value() + round(dy * PAN_FRACTION * port.height()))
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.sigViewportChanged.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.sigViewportChanged.emit()

    def _node_at(self, pos: QPoint) -> NodeItem | None:
        """The node whose box is under a viewport position."""
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def _block_at(self, pos: QPoint) -> str:
        """The block a double-click at ``pos`` would toggle, "" when none."""
        for item in self.items(pos):  # topmost first: nodes, then inner boxes
            if isinstance(item, NodeItem):
                return item.name if item.category == Category.BLOCK else ""
            if isinstance(item, ClusterItem):
                return item.path
        return ""


# ---------------------------------------------------------------------------------------------
# Minimap and legend


class Minimap(QGraphicsView):
    """The whole diagram scaled down, with the main view's visible area as a rectangle;
    clicking or dragging in it pans the main view there."""

    def __init__(self, view: GraphView, parent: QWidget | None = None) -> None:
        super().__init__(view.scene(), parent)
        self._view = view
        self._indicator = QRect()
        self.setInteractive(False)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMinimumSize(80, 80)
        view.sigViewportChanged.connect(self._on_view_change)
        view.scene().sceneRectChanged.connect(self._fit)

    def sizeHint(self) -> QSize:
        return QSize(220, 220)

    def indicator(self) -> QRect:
        """The main view's visible area in this widget's viewport coordinates (at least
        8 pixels wide and high, so it stays visible on very tall diagrams)."""
        visible = self._view.mapToScene(self._view.viewport().rect()).boundingRect()
        rect = self.mapFromScene(visible).boundingRect()
        grow_x, grow_y = max(0, 8 - rect.width()), max(0, 8 - rect.height())
        return rect.adjusted(-grow_x // 2, -grow_y // 2, grow_x - grow_x // 2,
                             grow_y - grow_y // 2)

    def _fit(self) -> None:
        if not self.sceneRect().isEmpty():
            self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self._on_view_change()

    def _on_view_change(self) -> None:
        """Repaint only where the indicator was and is."""
        rect = self.indicator()
        self.viewport().update(self._indicator.united(rect).adjusted(-3, -3, 3, 3))
        self._indicator = rect

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        painter.save()
        painter.resetTransform()
        painter.setPen(QPen(SELECTION_COLOR, 1.5))
        painter.setBrush(QColor(230, 25, 125, 30))
        painter.drawRect(self.indicator())
        painter.restore()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._view.centerOn(self.mapToScene(event.position().toPoint()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._view.centerOn(self.mapToScene(event.position().toPoint()))


class Legend(QWidget):
    """Category colours and the two edge styles, in two columns."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 6)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        entries = [(_swatch(color), category.value) for category, color in CATEGORY_COLORS.items()]
        entries += [(_line_swatch(EDGE_PEN), "tensor"), (_line_swatch(SKIP_PEN), "skip")]
        for i, (pixmap, name) in enumerate(entries):
            row, column = divmod(i, 2)
            swatch = QLabel()
            swatch.setPixmap(pixmap)
            grid.addWidget(swatch, row, 2 * column)
            grid.addWidget(QLabel(name), row, 2 * column + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)


def _swatch(color: QColor) -> QPixmap:
    pixmap = QPixmap(18, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(color.darker(140), 1))
    painter.setBrush(color)
    painter.drawRoundedRect(QRectF(0.5, 0.5, 17, 11), 3, 3)
    painter.end()
    return pixmap


def _line_swatch(pen: QPen) -> QPixmap:
    pixmap = QPixmap(18, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(pen)
    painter.drawLine(QPointF(1, 6), QPointF(17, 6))
    painter.end()
    return pixmap
