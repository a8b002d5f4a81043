"""A tensor's shape beside its edge."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cnnviz.ui.diagram_style import EDGE_LABEL_LOD, EDGE_LABEL_Z, Style

_LABEL_HALO = QColor(251, 251, 252, 190)


class EdgeLabelItem(QGraphicsItem):
    """A tensor shape in small text, drawn only when zoomed in enough."""

    def __init__(self, text: str, top_left: QPointF, style: Style) -> None:
        super().__init__()
        self.text = text
        self._style = style
        metrics = style.edge_metrics
        self._rect = QRectF(0, 0, metrics.horizontalAdvance(text) + 2, metrics.height())
        self.setPos(top_left)
        self.setZValue(EDGE_LABEL_Z)

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
