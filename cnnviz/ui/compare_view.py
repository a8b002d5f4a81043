"""The model comparison: a table and a scatter plot of params, MACs, depth, top-1 and latency.

The view only shows rows (:class:`cnnviz.compare.ModelRow`) and asks for work through signals;
whoever owns the torch worker loads and measures the models and calls ``set_rows``.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QCompleter, QHBoxLayout,
                               QHeaderView, QLabel, QProgressBar, QPushButton, QSplitter,
                               QTableWidget, QTableWidgetItem, QToolTip, QVBoxLayout, QWidget)

from cnnviz import compare, formatting, zoo
from cnnviz.compare import ModelRow
from cnnviz.errors import CnnvizError
from cnnviz.references import resolve_model
from cnnviz.ui.diagram_style import SELECTION_COLOR

NOT_MEASURED = "—"
_NAME_ROLE = Qt.ItemDataRole.UserRole
_SORT_ROLE = Qt.ItemDataRole.UserRole + 1
_POINT_COLOR = QColor("#3f6fb5")
_HIT_RADIUS = 10  # pixels around a point that count as on it
TOP1_NOTE = ("ImageNet-1K validation top-1 of torchvision's default weights (single crop). "
             "Some were trained with later recipes: ResNet-50's and ResNet-152's V2 weights "
             "beat their papers by several points.")


def milliseconds(value: float | None) -> str:
    """``12.3 ms``, or a dash until measured."""
    if value is None:
        return NOT_MEASURED
    digits = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{digits}f} ms"


@dataclass(frozen=True)
class Measure:
    """A quantity of a row that the table shows and the plot can put on an axis."""

    key: str
    header: str  # in the table and the hover line
    label: str  # on a plot axis
    value: Callable[[ModelRow], float | None]
    text: Callable[[ModelRow], str]
    log: bool = False


MEASURES: dict[str, Measure] = {m.key: m for m in (
    Measure("params", "Params", "Parameters", lambda r: r.params,
            lambda r: formatting.metric(r.params), log=True),
    Measure("macs", "MACs", "MACs", lambda r: r.macs, lambda r: formatting.metric(r.macs),
            log=True),
    Measure("depth", "Depth", "Depth (weighted layers)", lambda r: r.depth,
            lambda r: str(r.depth)),
    Measure("top1", "Top-1", "Top-1 (%)", lambda r: r.top1,
            lambda r: formatting.percent(r.top1 / 100)),
    Measure("latency", "Latency", "Latency (ms)", lambda r: r.latency_ms,
            lambda r: milliseconds(r.latency_ms), log=True),
    Measure("year", "Year", "Year", lambda r: r.year,
            lambda r: NOT_MEASURED if r.year is None else str(r.year)),
)}
# Table columns after the model's name.
COLUMNS = ("year", "params", "macs", "depth", "top1", "latency")
HEADERS = ("Model",) + tuple(MEASURES[key].header for key in COLUMNS)


class _SortableItem(QTableWidgetItem):
    """A cell that sorts by its number, with unknown values (None) last."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(_SORT_ROLE), other.data(_SORT_ROLE)
        if mine is None or theirs is None:
            return mine is not None and theirs is None
        return mine < theirs


class _Axis(pg.AxisItem):
    """Ticks like the rest of cnnviz; on a log axis ``10M`` instead of ``10⁷``."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.enableAutoSIPrefix(False)

    def logTickValues(self, minVal: float, maxVal: float, size: float,
                      stdTicks: list) -> list[tuple[float | None, list[float]]]:
        """Decades, then 2× and 5× (every digit within one decade, none beyond four)."""
        span = maxVal - minVal
        steps = range(2, 10) if span <= 1 else (2, 5) if span <= 4 else ()
        decades = range(math.floor(minVal), math.ceil(maxVal) + 1)
        major = [float(d) for d in decades]
        minor = [d + math.log10(s) for d in decades for s in steps]
        return [(spacing, [v for v in values if minVal <= v <= maxVal])
                for spacing, values in ((1.0, major), (None, minor))]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self.logMode:
            return [formatting.metric(10 ** value) for value in values]
        return super().tickStrings(values, scale, spacing)


class CompareView(QWidget):
    """Table, scatter plot and lessons of the compared models, with latency on request."""

    sigMeasureRequested = Signal(list)  # zoo names of the rows, in their order
    sigAddRequested = Signal(str)  # a zoo name not yet in the comparison
    sigCancelRequested = Signal()
    sigModelActivated = Signal(str)  # a zoo name, double-clicked in the table or plot

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ModelRow] = []
        self._points: dict[str, tuple[float, float]] = {}
        self._labels: dict[str, pg.TextItem] = {}
        self._selected = ""
        self._busy = False
        self.device_label = QLabel()
        self.device_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._build_controls()
        self._build_table()
        self._build_plot()
        self.lessons_label = QLabel(wordWrap=True)
        self.lessons_label.setTextFormat(Qt.TextFormat.RichText)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self._plot_panel)
        splitter.setSizes([470, 630])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(self._top_row)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.lessons_label)
        self.set_device_description("")
        self.set_busy(False)

    # ------------------------------------------------------------------ building

    def _build_controls(self) -> None:
        self.add_box = QComboBox(editable=True, insertPolicy=QComboBox.InsertPolicy.NoInsert)
        self.add_box.lineEdit().setPlaceholderText("Add a model…")
        for spec in zoo.list_models():
            self.add_box.addItem(spec.display_name, spec.name)
        self.add_box.setCurrentIndex(-1)
        completer = QCompleter(self.add_box.model(), self.add_box)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.add_box.setCompleter(completer)
        self.add_box.setMinimumContentsLength(16)
        self.add_button = QPushButton("Add")
        self.add_error = QLabel(visible=False)
        self.add_error.setStyleSheet("color: #b00020;")
        self.measure_button = QPushButton("Measure latency")
        self.progress = QProgressBar(textVisible=True, maximum=1000)
        self.progress.setMinimumWidth(260)
        self.cancel_button = QPushButton("Cancel")
        self._top_row = QHBoxLayout()
        self._top_row.addWidget(self.device_label, 1)
        for widget in (self.add_box, self.add_button, self.add_error, self.measure_button,
                       self.progress, self.cancel_button):
            self._top_row.addWidget(widget)
        self.add_button.clicked.connect(self._on_add)
        self.add_box.lineEdit().returnPressed.connect(self._on_add)
        self.add_box.lineEdit().textEdited.connect(lambda _: self.add_error.hide())
        self.measure_button.clicked.connect(
            lambda: self.sigMeasureRequested.emit([row.name for row in self._rows]))
        self.cancel_button.clicked.connect(self.sigCancelRequested)

    def _build_table(self) -> None:
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.horizontalHeaderItem(HEADERS.index("Top-1")).setToolTip(TOP1_NOTE)
        self.table.horizontalHeaderItem(HEADERS.index("Depth")).setToolTip(
            "The most convolution and fully connected layers on any path from input to output")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the rows' own order at first
        self.table.setSortingEnabled(True)
        self.table.itemSelectionChanged.connect(self._on_table_selection_change)
        self.table.cellDoubleClicked.connect(
            lambda row, _column: self.sigModelActivated.emit(self._name_at(row)))

    def _build_plot(self) -> None:
        self.x_axis, self.y_axis = QComboBox(), QComboBox()
        for box, key in ((self.x_axis, "macs"), (self.y_axis, "top1")):
            for measure in MEASURES.values():
                box.addItem(measure.label, measure.key)
            box.setCurrentIndex(box.findData(key))
            box.currentIndexChanged.connect(self._draw_plot)
        self.plot = pg.PlotWidget(background="w", axisItems={"bottom": _Axis("bottom"),
                                                             "left": _Axis("left")})
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        for name in ("bottom", "left"):
            axis = self.plot.getAxis(name)
            axis.setPen("#444")
            axis.setTextPen("#222")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.scatter = pg.ScatterPlotItem(size=10, pen=pg.mkPen("w"), brush=_POINT_COLOR)
        self.plot.addItem(self.scatter)
        self.plot.scene().sigMouseClicked.connect(self._on_plot_click)
        self.plot.scene().sigMouseMoved.connect(self._on_plot_hover)
        self.readout = QLabel(wordWrap=True)
        self.readout.setStyleSheet("color: #444;")
        axes = QHBoxLayout()
        axes.addWidget(QLabel("X:"))
        axes.addWidget(self.x_axis, 1)
        axes.addWidget(QLabel("Y:"))
        axes.addWidget(self.y_axis, 1)
        self._plot_panel = QWidget()
        panel = QVBoxLayout(self._plot_panel)
        panel.setContentsMargins(0, 0, 0, 0)
        panel.addLayout(axes)
        panel.addWidget(self.plot, 1)
        panel.addWidget(self.readout)

    # ------------------------------------------------------------------ API

    def set_rows(self, rows: Sequence[ModelRow]) -> None:
        """Show these models (in this order until a column is sorted); the selection stays."""
        self._rows = list(rows)
        selected = self._selected
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(self._rows))
        for index, row in enumerate(self._rows):
            self.table.setItem(index, 0, self._name_item(row))
            for column, key in enumerate(COLUMNS, start=1):
                self.table.setItem(index, column, self._value_item(row, MEASURES[key]))
        self.table.setSortingEnabled(True)
        self.table.setMinimumWidth(self.table.horizontalHeader().length()
                                   + self.table.verticalScrollBar().sizeHint().width()
                                   + 2 * self.table.frameWidth())
        self.lessons_label.setText("".join(f"<p>• {text}</p>"
                                           for text in compare.lessons(self._rows)))
        self.measure_button.setEnabled(bool(self._rows) and not self._busy)
        self._draw_plot()
        self.select_model(selected)

    def rows(self) -> list[ModelRow]:
        """The rows shown, in the order given to ``set_rows``."""
        return list(self._rows)

    def set_progress(self, fraction: float, text: str) -> None:
        """Show how far the measurement is: ``fraction`` of 1, and what it is doing."""
        self.progress.setValue(round(fraction * self.progress.maximum()))
        self.progress.setFormat(text or "%p%")

    def set_busy(self, busy: bool) -> None:
        """While busy: progress and Cancel shown, Measure and Add disabled."""
        self._busy = busy
        self.measure_button.setEnabled(not busy and bool(self._rows))
        self.add_button.setEnabled(not busy)
        self.add_box.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy)
        if busy:
            self.set_progress(0.0, "Starting…")

    def set_device_description(self, text: str) -> None:
        """Where latency is measured, e.g. ``CPU · fp32 · batch 1 · 2 threads``."""
        self.device_label.setText(f"Latency on <b>{text}</b>" if text else
                                  "Latency: not measured yet")

    def select_model(self, name: str) -> None:
        """Select a model's row and point ("" or a name not shown clears)."""
        if name not in self._names():
            name = ""
            self.table.clearSelection()
        for index in range(self.table.rowCount()):
            if self._name_at(index) == name:
                self.table.selectRow(index)
                self.table.scrollToItem(self.table.item(index, 0))
        self._show_selection(name)

    def selected_model(self) -> str:
        """The selected model's zoo name, or ""."""
        return self._selected

    def point_position(self, name: str) -> tuple[float, float] | None:
        """Where a model's point is drawn in plot coordinates (log10 on log axes), or None."""
        return self._points.get(name)

    def axes(self) -> tuple[str, str]:
        """The keys of the measures on the X and Y axes."""
        return self.x_axis.currentData(), self.y_axis.currentData()

    # ------------------------------------------------------------------ table

    def _name_item(self, row: ModelRow) -> QTableWidgetItem:
        item = _SortableItem(row.display_name)
        item.setData(_NAME_ROLE, row.name)
        item.setData(_SORT_ROLE, row.display_name.lower())
        item.setToolTip(row.name)
        return item

    def _value_item(self, row: ModelRow, measure: Measure) -> QTableWidgetItem:
        item = _SortableItem(measure.text(row))
        item.setData(_SORT_ROLE, measure.value(row))
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if measure.key in ("params", "macs"):
            item.setToolTip(formatting.count(measure.value(row)))
        return item

    def _name_at(self, index: int) -> str:
        item = self.table.item(index, 0)
        return item.data(_NAME_ROLE) if item else ""

    def _names(self) -> list[str]:
        return [row.name for row in self._rows]

    def _on_table_selection_change(self) -> None:
        selected = self.table.selectionModel().selectedRows()
        self._show_selection(self._name_at(selected[0].row()) if selected else "")

    # ------------------------------------------------------------------ plot

    def _draw_plot(self) -> None:
        x_measure, y_measure = (MEASURES[key] for key in self.axes())
        self._points = {}
        for row in self._rows:
            x, y = _coordinate(row, x_measure), _coordinate(row, y_measure)
            if x is not None and y is not None:
                self._points[row.name] = (x, y)
        for label in self._labels.values():
            self.plot.removeItem(label)
        self._labels = {}
        by_name = {row.name: row for row in self._rows}
        for name, (x, y) in self._points.items():
            label = pg.TextItem(by_name[name].display_name, color="#222", anchor=(-0.08, 0.5))
            label.setPos(x, y)
            self.plot.addItem(label, ignoreBounds=True)
            self._labels[name] = label
        self.plot.getAxis("bottom").setLogMode(x_measure.log)
        self.plot.getAxis("left").setLogMode(y_measure.log)
        self.plot.setLabel("bottom", x_measure.label)
        self.plot.setLabel("left", y_measure.label)
        missing = [by_name[name].display_name for name in by_name if name not in self._points]
        self._set_plot_note(missing, x_measure, y_measure)
        self._show_selection(self._selected)
        self._fit_view()

    def _fit_view(self) -> None:
        """All points in view, with room on the right for the labels."""
        if not self._points:
            return
        xs, ys = zip(*self._points.values())
        x_span, y_span = (max(v) - min(v) or 1.0 for v in (xs, ys))
        self.plot.setXRange(min(xs) - 0.06 * x_span, max(xs) + 0.22 * x_span, padding=0)
        self.plot.setYRange(min(ys) - 0.08 * y_span, max(ys) + 0.08 * y_span, padding=0)

    def _set_plot_note(self, missing: list[str], *measures: Measure) -> None:
        if not missing:
            self.readout.setText("Hover over a point for its numbers; double-click to open it.")
        elif any(m.key == "latency" for m in measures):
            self.readout.setText(f"Not drawn until measured: {', '.join(missing)} "
                                 "(Measure latency).")
        else:
            self.readout.setText(f"Not drawn (no value): {', '.join(missing)}.")

    def _show_selection(self, name: str) -> None:
        """Highlight the selected point and its label."""
        self._selected = name
        names = list(self._points)
        self.scatter.setData(
            x=[self._points[n][0] for n in names], y=[self._points[n][1] for n in names],
            data=names,
            size=[15 if n == name else 10 for n in names],
            brush=[pg.mkBrush(SELECTION_COLOR if n == name else _POINT_COLOR) for n in names])
        for label_name, label in self._labels.items():
            font = QFont()
            font.setBold(label_name == name)
            label.setFont(font)
            label.setColor(SELECTION_COLOR if label_name == name else QColor("#222"))

    def point_at(self, scene_position: QPointF) -> str:
        """The model whose point lies within a few pixels of a scene position, or ""."""
        view = self.plot.getViewBox()
        best, best_distance = "", float(_HIT_RADIUS)
        for name, (x, y) in self._points.items():
            offset = view.mapViewToScene(QPointF(x, y)) - scene_position
            distance = math.hypot(offset.x(), offset.y())
            if distance <= best_distance:
                best, best_distance = name, distance
        return best

    def _on_plot_click(self, event: MouseClickEvent) -> None:
        name = self.point_at(event.scenePos())
        if event.button() != Qt.MouseButton.LeftButton or not name:
            return
        self.select_model(name)
        if event.double():
            self.sigModelActivated.emit(name)

    def _on_plot_hover(self, scene_position: QPointF) -> None:
        name = self.point_at(scene_position)
        if not name:
            return
        row = next(row for row in self._rows if row.name == name)
        text = describe(row)
        self.readout.setText(text)
        QToolTip.showText(self.plot.mapToGlobal(self.plot.mapFromScene(scene_position)), text,
                          self.plot)

    # ------------------------------------------------------------------ adding

    def _on_add(self) -> None:
        text = self.add_box.currentText().strip()
        if not text:
            return
        try:
            name = resolve_model(text).zoo_name
            if name is None:
                raise CnnvizError(f"{text} is a model file: the comparison takes zoo models")
        except CnnvizError as error:
            self.add_error.setText(str(error))
            self.add_error.show()
            return
        self.add_box.setCurrentIndex(-1)
        self.add_box.clearEditText()
        if name in self._names():
            self.select_model(name)
        else:
            self.sigAddRequested.emit(name)


def describe(row: ModelRow) -> str:
    """One line with every number of a row, as the plot's hover shows it."""
    return " · ".join([row.display_name] + [
        f"{MEASURES[key].header} {MEASURES[key].text(row)}" for key in COLUMNS])


def _coordinate(row: ModelRow, measure: Measure) -> float | None:
    value = measure.value(row)
    if value is None or (measure.log and value <= 0):
        return None
    return math.log10(value) if measure.log else float(value)
