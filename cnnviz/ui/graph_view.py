"""The diagram view: a laid-out model graph drawn in a QGraphicsView.

Everything drawn comes from the graph's attributes, :mod:`cnnviz.diagram` (text, block
membership) and the :class:`~cnnviz.layout.Layout` (geometry): boxes have exactly the layout's
sizes, edges follow its polylines. Given a :class:`~cnnviz.session.Session`, the view draws
its diagram, selection and search matches as they change and sends clicks to it; it keeps no
state of its own beyond what is drawn and the node under the mouse.

Zoomed in (at least ``LABEL_LOD``) it shows the detailed items; zoomed out, the overview
(marks and labelled bands) instead. The selected node's connections, and more lightly the
hovered node's, are drawn over a veil that dims the rest.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QColor, QImage, QKeyEvent, QMouseEvent, QPaintDevice, QPainter, QPen,
                           QResizeEvent, QWheelEvent)
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication, QGraphicsScene, QGraphicsView, QWidget

from cnnviz import diagram
from cnnviz import graph as g
from cnnviz.graph import Category
from cnnviz.layout import Layout
from cnnviz.session import DiagramChange, Session
from cnnviz.ui.cluster_item import ClusterItem
from cnnviz.ui.diagram_items import DiagramItems
from cnnviz.ui.diagram_style import BACKGROUND, LABEL_LOD, Highlight, Style
from cnnviz.ui.edge_item import EdgeLabel
from cnnviz.ui.node_item import NodeItem
from cnnviz.ui.overview_item import OverviewItem

MIN_SCALE, MAX_SCALE = 0.05, 8.0  # zoom limits (the lower one gives way to fitting the window)
ZOOM_STEP = 1.25
FOCUS_SCALE = 1.5  # zoom_to_selection's largest scale
PAN_FRACTION = 0.125  # of the viewport, per arrow key
HIT_PIXELS = 4.0  # zoomed out, a click this close to a node's mark hits it


@dataclass(frozen=True)
class _Anchor:
    """Something on screen to keep in place across set_diagram(keep_view=True)."""

    name: str
    members: frozenset[str]  # the operations it stands for
    viewport_point: QPoint  # where its top centre was


class GraphView(QGraphicsView):
    """The interactive diagram.

    Wheel zooms around the cursor, dragging pans, a click selects a node (in the session), a
    double-click on a collapsed block or on an expanded block's frame asks to toggle it. Keys:
    ``+``/``=``, ``-``, ``F`` fit, ``Z`` zoom to selection, ``0`` 100 %, arrows pan. Without a
    session (exports) it only draws.
    """

    sigBlockToggled = Signal(str)  # block path to expand (collapsed node) or collapse (box)
    sigNodeHovered = Signal(str)  # node name under the mouse, "" when none
    sigViewportChanged = Signal()  # the visible area moved or was zoomed
    sigOverviewChanged = Signal()  # the overview's drawing changed (diagram, colours, matches)

    def __init__(self, session: Session | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self._scene.setBackgroundBrush(BACKGROUND)
        # The items are grouped by place (GroupItem), which prunes drawing and hit tests
        # without an index to build for every diagram.
        self._scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setScene(self._scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)  # hovering highlights
        self._style = Style()
        self._graph: nx.DiGraph | None = None
        self._layout: Layout | None = None
        self._items: DiagramItems | None = None
        self._nodes: dict[str, NodeItem] = {}
        self._colors: dict[str, QColor] = {}
        self._overview_shown = False
        self._selected = ""  # the node drawn as selected
        self._matched: set[str] = set()
        self._hovered = ""
        self._toggled = ""
        self._press_pos: QPoint | None = None
        self._session = session
        if session is not None:
            session.subscribe("diagram", self._on_diagram_change)
            session.subscribe("selection", self._show_selection)
            session.subscribe("search", lambda search: self._show_matches(search.matches))

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
        self._graph, self._layout, self._hovered = graph, layout, ""
        self._selected, self._matched = "", set()
        self._items = DiagramItems(graph, layout, self._style, self._colors)
        self._nodes = self._items.nodes
        self._items.add_to(self._scene)
        self._show_mode(self.scale_factor() < LABEL_LOD)
        self._scene.setSceneRect(self._diagram_rect())
        if self._session is not None:
            self._show_selection(self._session.selection)
            self._show_matches(self._session.search.matches)
        self._toggled = ""
        if keep_view:
            self._restore(anchors)
            self._zoomed()
        else:
            self.fit_to_window()
        self.sigOverviewChanged.emit()

    def _on_diagram_change(self, change: DiagramChange) -> None:
        self.set_diagram(change.diagram.graph, change.diagram.layout, change.keep_view)

    def _diagram_rect(self) -> QRectF:
        layout = self._layout
        return QRectF(0, 0, layout.width, layout.height) if layout else QRectF()

    def set_node_colors(self, colors: dict[str, QColor] | None) -> None:
        """Fill colours by node name (heat maps); None restores the category colours."""
        self._colors = dict(colors or {})
        if self._items is not None:
            self._items.set_fills(self._colors)
            self._show_connections()
            self.sigOverviewChanged.emit()

    def node_item(self, name: str) -> NodeItem:
        """The item drawing a node."""
        return self._nodes[name]

    def node_scene_pos(self, name: str) -> QPointF:
        """The centre of a node's box in scene coordinates."""
        return self._nodes[name].pos()

    def edge_pen(self, source: str, target: str) -> QPen:
        """The pen an edge is drawn with."""
        return self._items.edge_pen(source, target)

    def edge_labels(self) -> list[EdgeLabel]:
        """The tensor shapes written beside the edges, where they are written."""
        return self._items.edge_labels() if self._items is not None else []

    def overview(self) -> OverviewItem | None:
        """The item drawing the diagram zoomed out (the minimap draws it too)."""
        return self._items.overview if self._items is not None else None

    def overview_shown(self) -> bool:
        """Whether the overview is drawn instead of the detailed items."""
        return self._overview_shown

    def highlighted(self, highlight: Highlight) -> tuple[set[str], set[tuple[str, str]]]:
        """The nodes and edges drawn as connections of the selected (SELECTION) or hovered
        (HOVER) node, that node included."""
        return self._items.highlighted(highlight) if self._items is not None else (set(), set())

    def hovered(self) -> str:
        """The node under the mouse, "" when none."""
        return self._hovered

    # ------------------------------------------------------------------ keeping the view

    def _anchors(self) -> list[_Anchor]:
        """Candidates to keep in place, best first."""
        centre = self.mapToScene(self.viewport().rect().center())
        nearest = min(self._nodes.values(), default=None,
                      key=lambda item: (item.pos() - centre).manhattanLength())
        names = [self._toggled, self._drawn_selection(), nearest.name if nearest else ""]
        anchors = []
        for name in dict.fromkeys(n for n in names if n):
            rect = self._rect_of(name)
            if rect is not None:
                point = self.mapFromScene(QPointF(rect.center().x(), rect.top()))
                anchors.append(_Anchor(name, frozenset(diagram.members(self._graph, name)),
                                       point))
        return anchors

    def _rect_of(self, name: str) -> QRectF | None:
        """The box of a node or of an expanded block, in scene coordinates."""
        if name in self._nodes:
            return self._nodes[name].box()
        if name in self._items.clusters:
            return self._items.clusters[name].sceneBoundingRect()
        return None

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
        for name in diagram.nodes_standing_for(self._graph, members):
            box = self._nodes[name].box()
            rect = box if rect is None else rect.united(box)
        return rect

    # ------------------------------------------------------------------ selection and search

    def centre_on(self, name: str) -> None:
        """Scroll so that a drawn node is in the middle of the view."""
        self.centerOn(self._nodes[name].box().center())

    def _drawn_selection(self) -> str:
        """The node drawn as selected, "" when none."""
        return self._selected

    def _show_selection(self, name: str) -> None:
        """Draw ``name`` as selected and its connections highlighted (work proportional to
        its connections, not to the diagram)."""
        if self._selected:
            self._nodes[self._selected].set_selected(False)
        self._selected = name if name in self._nodes else ""
        if self._selected:
            self._nodes[self._selected].set_selected(True)
        self._show_connections()

    def _show_connections(self) -> None:
        """Highlight the selected node's connections, and the hovered node's more lightly."""
        if self._items is not None:
            hovered = self._hovered if self._hovered != self._selected else ""
            self._items.show_connections({Highlight.SELECTION: self._selected,
                                          Highlight.HOVER: hovered})

    def _show_matches(self, matches: tuple[str, ...]) -> None:
        matched = {name for name in matches if name in self._nodes}
        for name in self._matched ^ matched:
            self._nodes[name].set_matched(name in matched)
        self._matched = matched
        if self._items is not None:
            self._items.overview.set_matches(tuple(matched))
            self.sigOverviewChanged.emit()

    # ------------------------------------------------------------------ zoom

    def scale_factor(self) -> float:
        """The current zoom: screen pixels per scene unit."""
        return self.transform().m11()

    def fit_to_window(self) -> None:
        """Show the whole diagram."""
        if self._layout is not None:
            self.fitInView(self._diagram_rect(), Qt.AspectRatioMode.KeepAspectRatio)
            self._zoomed()

    def _zoomed(self) -> None:
        """After a zoom: the overview below LABEL_LOD, the detailed items above."""
        self._show_mode(self.scale_factor() < LABEL_LOD)
        self.sigViewportChanged.emit()

    def _show_mode(self, overview: bool) -> None:
        """Show the overview or the detailed items. The overview's labels are placed for the
        whole viewport, so it is repainted whole; the detailed items scroll by strips."""
        if self._items is None:
            return
        self._overview_shown = overview
        self._items.show_overview(overview)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate if overview
                                   else QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)

    def zoom_to_selection(self) -> None:
        """Centre the selected node, zoomed so it and its neighbours are readable."""
        name = self._session.selection if self._session is not None else ""
        if not name:
            return
        rect = self._nodes[name].box()
        port = self.viewport().rect()
        self.zoom_to(min(FOCUS_SCALE, port.width() / (3 * rect.width()),
                          port.height() / (6 * rect.height())))
        self.centerOn(rect.center())

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
        self._zoomed()

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
        """Draw the scene's ``source`` rectangle onto ``target`` with the detailed items and
        every label shown, without the highlight layer."""
        painter = QPainter(device)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing
                               | QPainter.RenderHint.TextAntialiasing)
        overview = self._overview_shown
        self._show_mode(False)
        self._items.highlight.setVisible(False)
        self._style.exporting = True
        try:
            self._scene.render(painter, target, source)
        finally:
            self._style.exporting = False
            self._items.highlight.setVisible(True)
            self._show_mode(overview)
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
            if self._session is not None:
                self._session.select(node.name if node else "")
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
            if node is not None:
                node.prepare_hover()
            self._hover(node.name if node else "")

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        self._hover("")

    def _hover(self, name: str) -> None:
        if name != self._hovered:
            self._hovered = name
            self._show_connections()
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
        """The node whose box is under a viewport position; in the overview, else the
        nearest within HIT_PIXELS."""
        if self._items is None:
            return None
        reach = HIT_PIXELS / self.scale_factor() if self._overview_shown else 0.0
        return self._items.node_at(self.mapToScene(pos), reach)

    def _block_at(self, pos: QPoint) -> str:
        """The block a double-click at ``pos`` would toggle, "" when none."""
        node = self._node_at(pos)
        if node is not None:
            return node.name if node.category == Category.BLOCK else ""
        for item in self.items(pos):  # topmost first: inner boxes
            if isinstance(item, ClusterItem):
                return item.path
        return ""
