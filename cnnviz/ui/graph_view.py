"""The diagram view: a laid-out model graph drawn in a QGraphicsView.

Everything drawn comes from the graph's attributes, :mod:`cnnviz.diagram` (text, block
membership) and the :class:`~cnnviz.layout.Layout` (geometry): boxes have exactly the layout's
sizes, edges follow its polylines. Given a :class:`~cnnviz.session.Session`, the view draws
its diagram, selection and search matches as they change and sends clicks to it; it keeps no
state of its own beyond what is drawn.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QColor, QImage, QKeyEvent, QMouseEvent, QPaintDevice, QPainter,
                           QResizeEvent, QWheelEvent)
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication, QGraphicsScene, QGraphicsView, QWidget

from cnnviz import diagram
from cnnviz import graph as g
from cnnviz.graph import Category
from cnnviz.layout import Layout
from cnnviz.session import DiagramChange, Session
from cnnviz.ui.cluster_item import ClusterItem
from cnnviz.ui.diagram_style import BACKGROUND, Style
from cnnviz.ui.edge_item import EdgeItem
from cnnviz.ui.edge_label_item import EdgeLabelItem
from cnnviz.ui.node_item import NodeItem

MIN_SCALE, MAX_SCALE = 0.05, 8.0  # zoom limits (the lower one gives way to fitting the window)
ZOOM_STEP = 1.25
FOCUS_SCALE = 1.5  # zoom_to_selection's largest scale
PAN_FRACTION = 0.125  # of the viewport, per arrow key


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

    def __init__(self, session: Session | None = None, parent: QWidget | None = None) -> None:
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
        self._style = Style()
        self._graph: nx.DiGraph | None = None
        self._layout: Layout | None = None
        self._nodes: dict[str, NodeItem] = {}
        self._clusters: dict[str, ClusterItem] = {}
        self._edges: list[EdgeItem] = []
        self._colors: dict[str, QColor] = {}
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
        if self._session is not None:
            self._show_selection(self._session.selection)
            self._show_matches(self._session.search.matches)
        self._toggled = ""
        if keep_view:
            self._restore(anchors)
        else:
            self.fit_to_window()
        self.sigViewportChanged.emit()

    def _on_diagram_change(self, change: DiagramChange) -> None:
        self.set_diagram(change.diagram.graph, change.diagram.layout, change.keep_view)

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
            return self._nodes[name].sceneBoundingRect()
        if name in self._clusters:
            return self._clusters[name].sceneBoundingRect()
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
            box = self._nodes[name].sceneBoundingRect()
            rect = box if rect is None else rect.united(box)
        return rect

    # ------------------------------------------------------------------ selection and search

    def centre_on(self, name: str) -> None:
        """Scroll so that a drawn node is in the middle of the view."""
        self.centerOn(self._nodes[name])

    def _drawn_selection(self) -> str:
        """The node drawn as selected, "" when none."""
        return next((name for name, item in self._nodes.items() if item.is_selected()), "")

    def _show_selection(self, name: str) -> None:
        for item in self._nodes.values():
            if item.is_selected() != (item.name == name):
                item.set_selected(item.name == name)

    def _show_matches(self, matches: tuple[str, ...]) -> None:
        matched = set(matches)
        for item in self._nodes.values():
            if item.is_matched() != (item.name in matched):
                item.set_matched(item.name in matched)

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
        name = self._session.selection if self._session is not None else ""
        if not name:
            return
        item = self._nodes[name]
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
