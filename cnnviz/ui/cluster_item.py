"""The box of an expanded block."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cnnviz.layout import CLUSTER_LABEL_HEIGHT, CLUSTER_PAD, ClusterBox
from cnnviz.ui.diagram_style import Style

_CLUSTER_FRAME = 0.6 * CLUSTER_PAD  # width of the double-clickable frame of a cluster box


class ClusterItem(QGraphicsItem):
    """The translucent box of an expanded block, its label top left; nested boxes add up to
    darker shades. Its frame and label (not its inside) are hit by clicks and tooltips."""

    def __init__(self, box: ClusterBox, style: Style, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.path = box.path
        self._text = box.label
        self._style = style
        self._rect = QRectF(box.x - box.width / 2, box.y - box.height / 2, box.width, box.height)
        self._label: str | None = None
        self._shape: QPainterPath | None = None
        self.setToolTip(f"{box.label}\nDouble-click the frame to collapse it")

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        """The frame and the label (made on the first hit test)."""
        if self._shape is None:
            frame = QPainterPath()
            frame.setFillRule(Qt.FillRule.OddEvenFill)
            frame.addRect(self._rect)
            frame.addRect(self._rect.adjusted(_CLUSTER_FRAME, _CLUSTER_FRAME,
                                              -_CLUSTER_FRAME, -_CLUSTER_FRAME))
            label = QPainterPath()
            label.addRect(self._label_rect())
            self._shape = frame.united(label)
        return self._shape

    def _label_rect(self) -> QRectF:
        return QRectF(self._rect.left() + 8, self._rect.top() + 1, self._rect.width() - 16,
                      CLUSTER_LABEL_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setPen(QPen(QColor(64, 96, 160, 90), 1))
        painter.setBrush(QColor(64, 96, 160, 16))
        painter.drawRoundedRect(self._rect.adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)
        label_rect = self._label_rect()
        if self._label is None:
            self._label = self._style.cluster_metrics.elidedText(
                self._text, Qt.TextElideMode.ElideRight, label_rect.width())
        painter.setFont(self._style.cluster)
        painter.setPen(QColor("#3c4a60"))
        painter.drawText(label_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self._label)
