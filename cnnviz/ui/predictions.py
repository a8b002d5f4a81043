"""The top-5 predictions as a bar chart, with a banner while the weights are random."""
from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from cnnviz import formatting

RANDOM_WEIGHTS_WARNING = ("Random weights: meaningless predictions. Load pretrained weights or "
                          "a checkpoint (Weights, under the model list).")
_BAR_COLOUR = "#3f6fb5"


class PredictionsView(QWidget):
    """Horizontal bars, most probable on top, each labelled with its class and probability."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.banner = QLabel(RANDOM_WEIGHTS_WARNING, wordWrap=True, visible=False)
        self.banner.setStyleSheet("background: #fff3cd; color: #664d03; border: 1px solid #ffe69c;"
                                  "border-radius: 4px; padding: 4px;")
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setXRange(0, 1, padding=0.02)
        self.plot.getAxis("bottom").setLabel("probability")
        self.plot.setFixedHeight(132)  # five bars, readable, without scrolling the panel
        self._bars: list[tuple[str, float]] = []
        self._items: list[pg.GraphicsObject] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addWidget(self.plot)
        layout.addStretch(1)

    def show_predictions(self, top: Sequence[tuple[int, str, float]], random_weights: bool) -> None:
        """``top``: (index, label, probability), most probable first. As many bars as before
        are updated in place (a video's frames do not rebuild the chart)."""
        bars = [(label, prob) for _, label, prob in top]
        if len(bars) != len(self._bars) or not self._items:
            self._build(len(bars))
        self.banner.setVisible(random_weights)
        self._bars = bars
        self._items[0].setOpts(width=[prob for _, prob in bars])
        for text, (label, prob) in zip(self._items[1:], bars):
            text.setText(f"{label}  {formatting.percent(prob)}")

    def _build(self, count: int) -> None:
        """Empty bars and labels for ``count`` classes."""
        self.clear()
        rows = [count - 1 - i for i in range(count)]  # most probable at the top
        bars = pg.BarGraphItem(x0=[0] * count, y=rows, height=0.6, width=[0] * count,
                               brush=_BAR_COLOUR)
        self.plot.addItem(bars)
        self._items.append(bars)
        for row in rows:
            text = pg.TextItem("", color="#222", anchor=(0, 0.5))
            text.setPos(0.01, row)
            self.plot.addItem(text)
            self._items.append(text)
        self.plot.getAxis("left").setTicks([[(r, str(i + 1)) for i, r in enumerate(rows)]])
        self.plot.setYRange(-0.6, count - 0.4, padding=0)

    def bars(self) -> list[tuple[str, float]]:
        """What the chart shows: (label, probability), top first."""
        return list(self._bars)

    def clear(self) -> None:
        """No predictions (no image yet, or a new model)."""
        for item in self._items:
            self.plot.removeItem(item)
        self._items, self._bars = [], []
        self.banner.setVisible(False)
        self.plot.getAxis("left").setTicks([[]])
