"""The inspector: every number of the selected operation or block, and a conv layer's weights.

It displays what the core computed (graph attributes, ``kernels.layer_weights``), formatted
with ``cnnviz.formatting``; it computes nothing itself. Each value shown can be read back with
:meth:`Inspector.field_text`, by the keys listed in ``Inspector.FIELDS`` or a config key.
"""
from __future__ import annotations

import math
from enum import Enum

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QImage, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QGridLayout, QHeaderView, QLabel,
                               QScrollArea, QSizePolicy, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from cnnviz import formatting
from cnnviz import graph as g

HINT = "Click a layer in the diagram"

MOSAIC_WIDTH = 288  # pixels: fits a 320 px dock with the scroll bar
_MOSAIC_GAP = 2
_MOSAIC_BACKGROUND = 96
# Diverging colours for the mean kernels of deeper layers: negative blue, zero white, positive red.
_DIVERGING = pg.ColorMap([0.0, 0.5, 1.0], [(59, 76, 192), (247, 247, 247), (180, 4, 38)])
_TABLE_ROWS_SHOWN = 12
# Widths of the label and note columns, the same in every section so that values line up.
_LABEL_WIDTH = 110
_NOTE_WIDTH = 52

_STATISTICS = (("weight_mean", "mean", "Mean"), ("weight_std", "std", "Std"),
               ("weight_min", "min", "Min"), ("weight_max", "max", "Max"))
# Config values that are spatial extents read best as 7×7, the rest as 2, 2.
_EXTENTS = ("kernel_size", "output_size", "normalized_shape", "size")


class _Section(QWidget):
    """A header and rows of label, value (monospace, selectable) and a dimmed note."""

    def __init__(self, title: str, mono: QFont) -> None:
        super().__init__()
        self._mono = mono
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(3)
        header = QLabel(title)
        header.setStyleSheet("font-weight: bold;")
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(header)
        layout.addWidget(line)
        self.grid = QGridLayout()
        self.grid.setContentsMargins(4, 0, 0, 0)
        self.grid.setHorizontalSpacing(8)
        self.grid.setVerticalSpacing(2)
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnMinimumWidth(0, _LABEL_WIDTH)
        self.grid.setColumnMinimumWidth(2, _NOTE_WIDTH)
        self._rows = 0
        layout.addLayout(self.grid)
        self.body = layout

    def add_row(self, label: str) -> tuple[QLabel, QLabel]:
        """A new row; returns its value and note labels."""
        row, self._rows = self._rows, self._rows + 1
        name, value, note = QLabel(label), QLabel(), QLabel()
        name.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        value.setFont(self._mono)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        note.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        note.setStyleSheet("color: palette(placeholder-text);")
        for column, widget in enumerate((name, value, note)):
            self.grid.addWidget(widget, row, column)
        return value, note

    def remove_rows(self) -> None:
        """Drop every row (for the configuration, whose keys change with the layer)."""
        while self.grid.count():
            widget = self.grid.takeAt(0).widget()
            widget.hide()
            widget.deleteLater()
        self._rows = 0


class _MetricAxis(pg.AxisItem):
    """An axis whose ticks read like the rest of cnnviz: ``6.00M``, ``0.05``."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [formatting.metric(value * scale) for value in values]


class Inspector(QWidget):
    """Side panel with the numbers of one node or collapsed block and a layer's weights."""

    # Fixed rows: key for field_text → (section, label).
    FIELDS = {
        "qualname": ("layer", "Module path"), "type": ("layer", "Type"),
        "category": ("layer", "Category"),
        "in_shapes": ("tensors", "Input"), "out_shape": ("tensors", "Output"),
        "layout": ("tensors", "Layout"),
        "activation": ("tensors", "Activation memory"),
        "params": ("params", "Parameters"), "trainable": ("params", "Trainable"),
        "non-trainable": ("params", "Non-trainable"), "param_share": ("params", "Share of model"),
        "macs": ("cost", "MACs"), "flops": ("cost", "FLOPs (2 × MACs)"),
        "mac_share": ("cost", "Share of model"),
        "rf": ("rf", "Size"),
        "time": ("time", "Time"), "time_share": ("time", "Share of run"),
        "gflops": ("time", "Achieved"),
        "weight_shape": ("weights", "Shape"),
        **{key: ("weights", label) for key, _, label in _STATISTICS},
        "weight_zeros": ("weights", "Zeros"),
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._values: dict[str, QLabel] = {}
        self._notes: dict[str, QLabel] = {}
        self._config_values: dict[str, QLabel] = {}
        self.kernel_mosaic: np.ndarray | None = None

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(4, 6, 4, 6)
        column.setSpacing(4)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint = QLabel(HINT)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setStyleSheet("color: palette(placeholder-text); padding: 24px;")
        column.addWidget(self.title)
        column.addWidget(self.hint)

        titles = {"layer": "Layer", "config": "Configuration", "tensors": "Tensors",
                  "params": "Parameters", "cost": "Compute", "rf": "Receptive field",
                  "time": "Measured time", "stack": "Blocks in this stack",
                  "children": "Operations in this block",
                  "weights": "Weights"}
        self._sections = {key: _Section(title, self._mono) for key, title in titles.items()}
        for key, (section, label) in self.FIELDS.items():
            if section != "weights":
                self._values[key], self._notes[key] = self._sections[section].add_row(label)
        self.members = QLabel(wordWrap=True)
        self.members.setFont(self._mono)
        self.members.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._sections["stack"].body.addWidget(self.members)
        self._build_children_table()
        self._build_weights()
        for section in self._sections.values():
            column.addWidget(section)
        column.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.setMinimumWidth(MOSAIC_WIDTH + 32)
        self.clear()

    # ------------------------------------------------------------------ building

    def _build_children_table(self) -> None:
        self.children_table = QTableWidget(0, 5)
        self.children_table.setHorizontalHeaderLabels(["Name", "Type", "Output", "Params", "MACs"])
        self.children_table.horizontalHeaderItem(2).setToolTip(
            "Output shape of one sample (the batch dimension left out)")
        self.children_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.children_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.children_table.verticalHeader().setVisible(False)
        self.children_table.verticalHeader().setDefaultSectionSize(20)
        self.children_table.setWordWrap(False)
        self.children_table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.children_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.children_table.setShowGrid(False)
        self.children_table.setAlternatingRowColors(True)
        self.children_table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        header = self.children_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # types elide, with tooltips
        small = self.children_table.font()  # its digits are tabular too, and it is narrower
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.children_table.setFont(small)
        header.setStretchLastSection(False)
        self._sections["children"].body.addWidget(self.children_table)

    def _build_weights(self) -> None:
        section = self._sections["weights"]
        self.kernel_caption = QLabel()
        self.kernel_caption.setWordWrap(True)
        self.kernel_view = QLabel()
        self.kernel_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.histogram = pg.PlotWidget(axisItems={"left": _MetricAxis("left"),
                                                  "bottom": _MetricAxis("bottom")})
        self.histogram.setBackground(self.palette().color(self.backgroundRole()))
        self.histogram.setFixedHeight(150)
        self.histogram.setMenuEnabled(False)
        self.histogram.setMouseEnabled(x=False, y=False)
        self.histogram.hideButtons()
        self.histogram.setLabel("bottom", "weight")
        self.histogram.getAxis("left").setWidth(44)  # room for 6.00M before the first paint
        text = self.palette().color(self.foregroundRole())
        for name in ("bottom", "left"):
            axis = self.histogram.getAxis(name)
            axis.setPen(text)
            axis.setTextPen(text)
        self.histogram.getPlotItem().layout.setContentsMargins(0, 8, 8, 0)
        self.histogram_curve = self.histogram.plot(
            stepMode="center", fillLevel=0, pen=pg.mkPen(40, 90, 160),
            brush=pg.mkBrush(70, 130, 200, 160))
        self.histogram.addItem(pg.InfiniteLine(0, pen=pg.mkPen(150, 150, 150,
                                                               style=Qt.PenStyle.DashLine)))
        for widget in (self.kernel_caption, self.kernel_view, self.histogram):
            section.body.insertWidget(section.body.count() - 1, widget)
        for key, (name, label) in self.FIELDS.items():
            if name == "weights":
                self._values[key], self._notes[key] = section.add_row(label)

    # ------------------------------------------------------------------ API

    def clear(self) -> None:
        """The empty state: no selection, only the hint."""
        self.title.clear()
        self.title.hide()
        self.hint.show()
        for section in self._sections.values():
            section.hide()
        self._show_rows({}, {})
        self._show_config({})
        self.children_table.setRowCount(0)
        self.show_weights(None)

    def show_node(self, attrs: dict, totals: dict, children: list[dict] | None = None) -> None:
        """Show one node of the graph (``graph.nodes[name]``) or a collapsed block.

        ``totals`` is ``graph.graph``; ``children`` the attribute dicts of a block's members.
        The weights of the previous selection are hidden until :meth:`show_weights` is called.
        """
        params, trainable, macs = attrs[g.PARAMS], attrs[g.TRAINABLE_PARAMS], attrs[g.MACS]
        rf = attrs[g.RF]
        values = {
            "qualname": attrs[g.QUALNAME], "type": attrs[g.MODULE_TYPE],
            "category": _category_text(attrs[g.CATEGORY]),
            "in_shapes": "\n".join(formatting.shape(s) for s in attrs[g.IN_SHAPES]) or "–",
            "out_shape": formatting.shape(attrs[g.OUT_SHAPE]),
            "layout": attrs[g.LAYOUT].name,
            "activation": formatting.size_in_bytes(attrs[g.ACTIVATION_BYTES]),
            "params": formatting.count(params), "trainable": formatting.count(trainable),
            "non-trainable": formatting.count(params - trainable),
            "param_share": formatting.percent(attrs[g.PARAM_SHARE]),
            "macs": formatting.count(macs), "flops": formatting.count(2 * macs),
            "mac_share": formatting.percent(attrs[g.MAC_SHARE]),
            "rf": rf.describe() if rf is not None else "–",
        }
        notes = {
            "params": _short(params), "macs": _short(macs), "flops": _short(2 * macs),
            "param_share": f"of {formatting.metric(totals[g.TOTAL_PARAMS])}",
            "mac_share": f"of {formatting.metric(totals[g.TOTAL_MACS])}",
        }
        self.title.setText(attrs[g.NAME])
        self.title.show()
        self.hint.hide()
        self._show_rows(values, notes)
        self._show_config(attrs[g.CONFIG])
        self._show_children(attrs[g.QUALNAME], children or [])
        members = attrs.get(g.MEMBERS) or ()
        self.members.setText(f"×{len(members)}, their numbers summed:\n" + "\n".join(members)
                             if members else "")
        self._sections["stack"].setVisible(bool(members))
        for key in ("layer", "tensors", "params", "cost", "rf"):
            self._sections[key].show()
        self._sections["config"].setVisible(bool(attrs[g.CONFIG]))
        self._sections["children"].setVisible(bool(children))
        self._sections["time"].hide()
        self.show_weights(None)

    def show_timing(self, values: dict[str, str] | None, notes: dict[str, str] | None = None,
                    ) -> None:
        """Show the measured time of the node (``time``, ``time_share``, ``gflops`` texts, and
        notes beside them); None hides the section."""
        self._sections["time"].setVisible(values is not None)
        for key in ("time", "time_share", "gflops"):
            self._values[key].setText((values or {}).get(key, ""))
            self._notes[key].setText((notes or {}).get(key, ""))

    def show_weights(self, data: dict | None) -> None:
        """Show the result of ``kernels.layer_weights``; None hides the weights section."""
        section = self._sections["weights"]
        section.setVisible(data is not None)
        if data is None:
            self._show_kernels((), None)
            self.histogram_curve.setData([], [])
            return
        self._show_kernels(data["shape"], data["kernels"])
        counts, edges = data["histogram"]
        self.histogram_curve.setData(edges, counts)
        statistics = data["statistics"]
        for key, stat, _ in _STATISTICS:
            self._values[key].setText(formatting.metric(statistics[stat]))
        self._values["weight_zeros"].setText(formatting.percent(statistics["zeros"]))
        self._values["weight_shape"].setText(formatting.shape(data["shape"]))

    def has_weights(self) -> bool:
        """True while the weights section shows a layer's weights."""
        return not self._sections["weights"].isHidden()

    def field_text(self, key: str) -> str:
        """The text shown for ``key``: a ``FIELDS`` key, ``name``, ``kernels`` or a config key."""
        if key == "name":
            return self.title.text()
        if key == "kernels":
            return self.kernel_caption.text()
        if key in self._values:
            return self._values[key].text()
        return self._config_values[key].text()

    def field_note(self, key: str) -> str:
        """The dimmed note beside a value (``118M`` beside the exact MACs), or ``""``."""
        return self._notes[key].text()

    # ------------------------------------------------------------------ helpers

    def _show_kernels(self, shape: tuple[int, ...], images: np.ndarray | None) -> None:
        self.kernel_caption.setVisible(images is not None)
        self.kernel_view.setVisible(images is not None)
        if images is None:
            self.kernel_mosaic = None
            self.kernel_view.clear()
            self.kernel_caption.clear()
            return
        self.kernel_mosaic = mosaic(images, MOSAIC_WIDTH)
        pixmap = _pixmap(self.kernel_mosaic)
        if pixmap.width() > MOSAIC_WIDTH:  # kernels too large to draw a pixel per weight
            pixmap = pixmap.scaledToWidth(MOSAIC_WIDTH, Qt.TransformationMode.SmoothTransformation)
        self.kernel_view.setPixmap(pixmap)
        self.kernel_caption.setText(_kernel_caption(shape, images))

    def _show_rows(self, values: dict[str, str], notes: dict[str, str]) -> None:
        for key, (section, _) in self.FIELDS.items():
            if section != "weights":
                self._values[key].setText(values.get(key, ""))
                self._notes[key].setText(notes.get(key, ""))

    def _show_config(self, config: dict) -> None:
        section = self._sections["config"]
        section.remove_rows()
        self._config_values = {}
        for key, value in config.items():
            label, _ = section.add_row(key.replace("_", " "))
            label.setText(_config_text(key, value))
            self._config_values[key] = label

    def _show_children(self, path: str, children: list[dict]) -> None:
        table = self.children_table
        table.setRowCount(len(children))
        prefix = path + "."
        for row, child in enumerate(children):
            qualname = child[g.QUALNAME]
            name = qualname[len(prefix):] if qualname.startswith(prefix) else child[g.NAME]
            out = child[g.OUT_SHAPE]
            cells = (name, child[g.MODULE_TYPE], formatting.shape(out[1:] if out else None),
                     formatting.metric(child[g.PARAMS]), formatting.metric(child[g.MACS]))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(row, column, item)
            table.item(row, 0).setData(Qt.ItemDataRole.UserRole, child[g.NAME])
            table.item(row, 0).setToolTip(f"{child[g.NAME]} ({qualname})")
            table.item(row, 1).setToolTip(child[g.MODULE_TYPE])
            table.item(row, 2).setToolTip(formatting.shape(out))
            table.item(row, 3).setToolTip(formatting.count(child[g.PARAMS]))
            table.item(row, 4).setToolTip(formatting.count(child[g.MACS]))
        shown = min(len(children), _TABLE_ROWS_SHOWN)
        table.setFixedHeight(table.horizontalHeader().sizeHint().height()
                             + shown * table.verticalHeader().defaultSectionSize() + 4)


def mosaic(kernels: np.ndarray, width: int) -> np.ndarray:
    """Kernel images (``n×kh×kw×3`` colour or ``n×kh×kw`` diverging, values in [0, 1]) laid
    out in a square-ish grid, each enlarged by a whole number of pixels, as RGB bytes."""
    n, height_k, width_k = kernels.shape[:3]
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    cell = (width - _MOSAIC_GAP * (columns - 1)) // columns
    scale = max(1, cell // max(height_k, width_k))
    if kernels.ndim == 4:
        rgb = np.rint(kernels * 255).astype(np.uint8)
    else:
        rgb = _DIVERGING.map(kernels, mode="byte")[..., :3]
    tiles = rgb.repeat(scale, axis=1).repeat(scale, axis=2)
    step_y, step_x = height_k * scale + _MOSAIC_GAP, width_k * scale + _MOSAIC_GAP
    image = np.full((rows * step_y - _MOSAIC_GAP, columns * step_x - _MOSAIC_GAP, 3),
                    _MOSAIC_BACKGROUND, dtype=np.uint8)
    for index, tile in enumerate(tiles):
        y, x = divmod(index, columns)
        image[y * step_y:y * step_y + tile.shape[0], x * step_x:x * step_x + tile.shape[1]] = tile
    return image


def _pixmap(rgb: np.ndarray) -> QPixmap:
    data = np.ascontiguousarray(rgb)
    height, width = data.shape[:2]
    image = QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())


def _kernel_caption(shape: tuple[int, ...], images: np.ndarray) -> str:
    shown, out, inputs = len(images), shape[0], shape[1]
    kernel = formatting.shape(shape[2:])
    filters = (f"{formatting.count(shown)} filters" if shown == out
               else f"first {formatting.count(shown)} of {formatting.count(out)} filters")
    if images.ndim == 4:
        return f"{filters}, {kernel}, in colour (RGB input, each scaled min to max)"
    mean = "" if inputs == 1 else f"mean over {formatting.count(inputs)} input channels, "
    return f"{filters}, {kernel}; {mean}red positive, blue negative"


def _short(value: int) -> str:
    """The SI form beside an exact count, where it says something the count does not."""
    return formatting.metric(value) if abs(value) >= 1000 else ""


def _category_text(value: object) -> str:
    return value.value if isinstance(value, Enum) else str(value)


def _config_text(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return formatting.count(value)
    if isinstance(value, float):
        return formatting.metric(value)
    if isinstance(value, tuple):
        if key in _EXTENTS and all(isinstance(v, int) for v in value):
            return formatting.shape(value)
        return ", ".join(_config_text(key, v) for v in value) or "–"
    return "–" if value is None else str(value)
