"""The Timing panel: how to run (device, precision, batch, threads, memory format), progress,
the measured latency, a bar chart of the slowest layers and the history of measurements.

It only shows what it is given and says what the user asked for through signals; the
``TimingController`` runs the measurements.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QStandardItemModel
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QFrame, QHBoxLayout, QLabel,
                               QProgressBar, QPushButton, QScrollArea, QSpinBox, QVBoxLayout,
                               QWidget)

from cnnviz import bench_settings

if TYPE_CHECKING:
    from cnnviz.timing import Device

BAR_COLOR = QColor("#f28e2b")
BAR_PIXELS = 18  # height a bar's row gets, so that the layer names never overlap
SELECTED_BAR_COLOR = QColor("#b03a2e")
LABEL_CHARACTERS = 40  # longer layer names are shortened from the left
MAX_BATCH = 1_000_000
MAX_RUNS = 1000


def _short_name(name: str) -> str:
    return name if len(name) <= LABEL_CHARACTERS else "…" + name[-(LABEL_CHARACTERS - 1):]


class SlowestLayers(pg.PlotWidget):
    """Horizontal bars of the slowest layers, slowest on top; clicking a bar chooses its node."""

    sigNodeChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self._names: list[str] = []
        self._selected = ""
        self._bars: pg.BarGraphItem | None = None
        self._labels: list[pg.TextItem] = []
        self._tooltips: list[str] = []
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.getViewBox().invertY(True)
        item.getViewBox().setMouseEnabled(x=False, y=False)
        item.setLabel("bottom", "ms (median of the per-layer runs)")
        item.hideAxis("left")  # the layer names are written on the bars
        item.showGrid(x=True, y=False, alpha=0.3)
        self.scene().sigMouseClicked.connect(self._on_click)

    def set_bars(self, bars: list[tuple[str, float, str]]) -> None:
        """``(node, ms, tooltip)`` for each bar, slowest first."""
        item = self.getPlotItem()
        self.setMinimumHeight(BAR_PIXELS * max(len(bars), 5) + 60)
        for old in [self._bars, *self._labels]:
            if old is not None:
                item.removeItem(old)
        self._bars, self._labels = None, []
        self._names = [name for name, _, _ in bars]
        for index, name in enumerate(self._names):
            label = pg.TextItem(_short_name(name), color="#222222", anchor=(0, 0.5))
            label.setPos(0, index)
            label.setZValue(1)
            item.addItem(label)
            self._labels.append(label)
        if bars:
            self._bars = pg.BarGraphItem(x0=0, y=np.arange(len(bars)), height=0.7,
                                         width=[ms for _, ms, _ in bars])
            item.addItem(self._bars)
            item.setYRange(-0.6, len(bars) - 0.4, padding=0)
            item.setXRange(0, max(ms for _, ms, _ in bars), padding=0.05)
        self._tooltips = [tip for _, _, tip in bars]
        self._paint()

    def names(self) -> list[str]:
        """The nodes of the bars, slowest first."""
        return list(self._names)

    def select(self, name: str) -> None:
        """Highlight the bar of ``name`` (none when it has no bar)."""
        self._selected = name
        self._paint()

    def bar_brush(self, name: str) -> QColor:
        """The colour the bar of ``name`` is drawn in."""
        return SELECTED_BAR_COLOR if name == self._selected else BAR_COLOR

    def bar_scene_pos(self, name: str) -> QPointF:
        """The centre of a bar's visible part, in scene coordinates (for clicks and tests)."""
        index = self._names.index(name)
        width = self._bars.opts["width"][index] if self._bars is not None else 0.0
        return self.getPlotItem().getViewBox().mapViewToScene(QPointF(width / 2, index))

    def _paint(self) -> None:
        if self._bars is not None:
            self._bars.setOpts(brushes=[self.bar_brush(name) for name in self._names],
                               pens=[pg.mkPen(self.bar_brush(name).darker(130))
                                     for name in self._names])

    def _on_click(self, event) -> None:
        point = self.getPlotItem().getViewBox().mapSceneToView(event.scenePos())
        index = round(point.y())
        if 0 <= index < len(self._names) and point.x() >= 0:
            self.sigNodeChosen.emit(self._names[index])
            self.setToolTip(self._tooltips[index])


class LatencyHistory(pg.PlotWidget):
    """Each measurement's median latency, with its p10–p90 range, in the order they ran."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.setLabel("left", "median ms")
        item.setLabel("bottom", "measurement")
        item.showGrid(x=False, y=True, alpha=0.3)
        self._medians: list[float] = []
        self._ranges: list[tuple[float, float]] = []
        self._curve = item.plot([], [], pen=pg.mkPen("#4e79a7", width=2), symbol="o",
                                symbolSize=6, symbolBrush="#4e79a7")
        self._errors = pg.ErrorBarItem(x=np.array([]), y=np.array([]), beam=0.2,
                                       pen=pg.mkPen("#4e79a7"))
        item.addItem(self._errors)

    def add(self, median_ms: float, p10_ms: float, p90_ms: float) -> None:
        self._medians.append(median_ms)
        self._ranges.append((p10_ms, p90_ms))
        x = np.arange(1, len(self._medians) + 1)
        y = np.array(self._medians)
        self._curve.setData(x, y)
        self.getPlotItem().setXRange(0.5, len(x) + 0.5, padding=0)
        low = np.array([median - p10 for median, (p10, _) in zip(self._medians, self._ranges)])
        high = np.array([p90 - median for median, (_, p90) in zip(self._medians, self._ranges)])
        self._errors.setData(x=x, y=y, bottom=low, top=high)

    def clear_history(self) -> None:
        self._medians.clear()
        self._ranges.clear()
        self._curve.setData([], [])
        self._errors.setData(x=np.array([]), y=np.array([]))

    def medians(self) -> list[float]:
        return list(self._medians)


class TimingPanel(QWidget):
    """Settings, progress, the result, the slowest layers and the latency history."""

    sigMeasure = Signal()
    sigCancel = Signal()
    sigCompare = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._problems: dict[str, dict[str, str]] = {}
        self.device = QComboBox(toolTip="Where to run; absent devices are greyed out with the "
                                        "reason in their tooltip")
        self.dtype = QComboBox(toolTip="Precision of the weights and input")
        self.batch = QSpinBox(minimum=1, maximum=MAX_BATCH, value=1,
                              toolTip="Images per forward pass")
        self.threads = QSpinBox(minimum=1, maximum=256, toolTip="CPU threads torch uses")
        self.runs = QSpinBox(minimum=1, maximum=MAX_RUNS, value=bench_settings.DEFAULT_RUNS,
                             toolTip="Timed runs of each kind, after "
                                     f"{bench_settings.DEFAULT_WARMUP} warm-up runs")
        self.channels_last = QCheckBox("Channels-last", toolTip="NHWC memory format for the "
                                                                "model and the input")
        self.measure_button = QPushButton("Measure", toolTip="Time the model (Ctrl+T)")
        self.continuous = QCheckBox("Run continuously",
                                    toolTip="Measure again as soon as a measurement ends, to "
                                            "watch the effect of the settings")
        self.cancel_button = QPushButton("Cancel", enabled=False)
        self.compare_button = QPushButton("Compare models…",
                                          toolTip="Params, MACs, depth, accuracy and latency "
                                                  "of the classic models side by side")
        self.progress = QProgressBar(textVisible=True, maximum=1000, value=0)
        self.summary = QLabel("Not measured yet: press Measure.", wordWrap=True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bars = SlowestLayers()
        self.history = LatencyHistory()
        self.history.setMinimumHeight(150)

        form = QFormLayout()
        form.addRow("Device", self.device)
        form.addRow("Precision", self.dtype)
        numbers = QHBoxLayout()
        for label, box in (("Batch", self.batch), ("Threads", self.threads), ("Runs", self.runs)):
            numbers.addWidget(QLabel(label))
            numbers.addWidget(box)
        form.addRow(numbers)
        form.addRow(self.channels_last)
        buttons = QHBoxLayout()
        for widget in (self.measure_button, self.cancel_button, self.continuous):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.compare_button)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(form)
        column.addLayout(buttons)
        column.addWidget(self.progress)
        column.addWidget(self.summary)
        column.addWidget(QLabel("Slowest layers (click one to select it):"))
        column.addWidget(self.bars, 3)
        column.addWidget(QLabel("Latency history:"))
        column.addWidget(self.history, 2)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.device.currentIndexChanged.connect(self._on_device_change)
        self.measure_button.clicked.connect(self.sigMeasure)
        self.cancel_button.clicked.connect(self.sigCancel)
        self.compare_button.clicked.connect(self.sigCompare)

    def set_devices(self, devices: list[Device], problems: dict[str, dict[str, str]],
                    threads: int) -> None:
        """The devices to offer (absent ones disabled, with the reason as tooltip), each
        device's precision problems ("" when supported) and the default thread count."""
        self._problems = problems
        self.device.clear()
        for device in devices:
            self.device.addItem(device.label if device.available
                                else f"{device.label}: {device.reason}", device.name)
            index = self.device.count() - 1
            self.device.setItemData(index, device.reason or device.label,
                                    Qt.ItemDataRole.ToolTipRole)
            if not device.available:
                self._item(self.device, index).setEnabled(False)
        self.threads.setValue(threads)
        self._on_device_change()

    def settings(self) -> bench_settings.BenchSettings:
        """The settings as chosen."""
        device = self.device.currentData() or "cpu"
        return bench_settings.BenchSettings(
            device=device, dtype=self.dtype.currentData() or "fp32", batch=self.batch.value(),
            runs=self.runs.value(), channels_last=self.channels_last.isChecked(),
            threads=self.threads.value() if device == "cpu" else None)

    def set_running(self, running: bool) -> None:
        self.measure_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if not running:
            self.progress.setValue(0)
            self.progress.setFormat("")

    def set_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(round(1000 * fraction))
        self.progress.setFormat(text)

    def show_summary(self, text: str) -> None:
        self.summary.setText(text)

    def _on_device_change(self) -> None:
        device = self.device.currentData() or "cpu"
        chosen = self.dtype.currentData()
        self.dtype.clear()
        for dtype, problem in self._problems.get(device, {"fp32": ""}).items():
            self.dtype.addItem(dtype if not problem else f"{dtype} (unsupported)", dtype)
            index = self.dtype.count() - 1
            if problem:
                self.dtype.setItemData(index, problem, Qt.ItemDataRole.ToolTipRole)
                self._item(self.dtype, index).setEnabled(False)
        index = self.dtype.findData(chosen)
        if index >= 0 and self._item(self.dtype, index).isEnabled():
            self.dtype.setCurrentIndex(index)
        self.threads.setEnabled(device == "cpu")

    @staticmethod
    def _item(combo: QComboBox, index: int):
        model = combo.model()
        assert isinstance(model, QStandardItemModel)
        return model.item(index)
