"""The minimap beside the diagram."""
from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen, QResizeEvent
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QWidget

from cnnviz.ui.diagram_style import BACKGROUND, SELECTION_COLOR
from cnnviz.ui.graph_view import GraphView


class Minimap(QGraphicsView):
    """The whole diagram scaled down, drawn by the view's overview (marks, edges, labelled
    bands) and kept as a picture, with the main view's visible area as a rectangle; clicking
    or dragging in it pans the main view there."""

    def __init__(self, view: GraphView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))  # empty: drawBackground draws the overview
        self._view = view
        self._indicator = QRect()
        self.setInteractive(False)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setBackgroundBrush(BACKGROUND)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMinimumSize(80, 80)
        view.sigViewportChanged.connect(self._on_view_change)
        view.sigOverviewChanged.connect(self._redraw)
        view.scene().sceneRectChanged.connect(self._follow)
        self._follow(view.sceneRect())

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

    def _follow(self, rect: QRectF) -> None:
        """Take the main scene's rectangle and fit it."""
        self.scene().setSceneRect(rect)
        self._fit()

    def _fit(self) -> None:
        if not self.sceneRect().isEmpty():
            self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self._redraw()

    def _redraw(self) -> None:
        """Draw the overview again (the diagram, its colours or the matches changed)."""
        self.resetCachedContent()
        self.viewport().update()
        self._on_view_change()

    def _on_view_change(self) -> None:
        """Repaint only where the indicator was and is."""
        rect = self.indicator()
        self.viewport().update(self._indicator.united(rect).adjusted(-3, -3, 3, 3))
        self._indicator = rect

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        overview = self._view.overview()
        if overview is not None:
            overview.draw(painter, rect)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if self._view.overview() is None:  # nothing drawn yet (torch loading): no indicator
            return
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
