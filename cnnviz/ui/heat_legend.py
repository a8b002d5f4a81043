"""The legend of a heat-map colouring: its title, the colour scale and values along it."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from cnnviz import diagram

TICKS = (0.0, 0.5, 1.0)  # positions along the scale that get a value


class _Scale(QWidget):
    """The colour ramp of ``diagram.heat_colors``."""

    def __init__(self) -> None:
        super().__init__()
        self.setFixedHeight(14)

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        bar = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        gradient = QLinearGradient(bar.topLeft(), bar.topRight())
        last = len(diagram.HEAT_STOPS) - 1
        for i, rgb in enumerate(diagram.HEAT_STOPS):
            gradient.setColorAt(i / last, QColor(*rgb))
        painter.setBrush(gradient)
        painter.setPen(QPen(QColor("#999999"), 1))
        painter.drawRect(bar)
        painter.end()


class HeatLegend(QWidget):
    """What the colours of a heat-map colouring mean (square-root scale, as drawn)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 6)
        grid.setVerticalSpacing(2)
        self.title = QLabel()
        self.ticks = [QLabel() for _ in TICKS]
        grid.addWidget(self.title, 0, 0, 1, len(TICKS))
        grid.addWidget(_Scale(), 1, 0, 1, len(TICKS))
        alignments = (Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignHCenter,
                      Qt.AlignmentFlag.AlignRight)
        for column, (label, alignment) in enumerate(zip(self.ticks, alignments)):
            label.setAlignment(alignment)
            grid.addWidget(label, 2, column)

    def show_scale(self, title: str, top: float, describe: Callable[[float], str]) -> None:
        """The scale from 0 to ``top``, its values written by ``describe``."""
        self.title.setText(title)
        for label, position in zip(self.ticks, TICKS):
            label.setText(describe(diagram.heat_value_at(position, top)))

    def tick_texts(self) -> list[str]:
        return [label.text() for label in self.ticks]
