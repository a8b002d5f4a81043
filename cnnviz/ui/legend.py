"""The diagram's legend: what its colours and line styles mean."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from cnnviz.ui.diagram_style import CATEGORY_COLORS, EDGE_PEN, SKIP_PEN


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
