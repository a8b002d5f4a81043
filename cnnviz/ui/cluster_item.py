"""The box of an expanded block."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cnnviz.layout import CLUSTER_LABEL_HEIGHT, CLUSTER_PAD, ClusterBox
from cnnviz.ui.diagram_style import CLUSTER_Z, LABEL_LOD, Style

_CLUSTER_FRAME = 0.6 * CLUSTER_PAD  # width of the double-clickable frame of a cluster box


class ClusterItem(QGraphicsItem):
    """The translucent box of an expanded block, its label top left; nested boxes add up to
    darker shades. Its frame and label (not its inside) are hit by clicks and tooltips."""

    def __init__(self, box: ClusterBox, style: Style) -> None:
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
        self.setZValue(CLUSTER_Z + box.depth)
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
