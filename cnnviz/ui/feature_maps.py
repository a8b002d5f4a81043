"""The feature maps of the selected layer: a page of its channels, and one channel large.

The panel shows what :mod:`cnnviz.maps` arranges and computes (the maps of any output shape,
their order, levels, statistics, colours and the overlay on the input image); it only indexes
and displays the results. A page holds ``PAGE_SIZE`` channels as pyqtgraph ``ImageItem`` tiles
(row-major, so ``maps[c][0, 0]`` is drawn top-left) in one ``ViewBox``; clicking a tile shows
that channel large, with its statistics and laid over the input image.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFontDatabase, QPen
from PySide6.QtWidgets import (QComboBox, QFrame, QGraphicsRectItem, QGridLayout, QHBoxLayout,
                               QLabel, QSizePolicy, QSlider, QSpinBox, QSplitter, QToolButton,
                               QVBoxLayout, QWidget)

from cnnviz import formatting, maps
from cnnviz.tensor_layout import AxisLayout
from cnnviz.ui.diagram_style import SELECTION_COLOR

PAGE_SIZE = 64
NO_LAYER = "Select a layer"
DEFAULT_COLORMAP = "viridis"
DEFAULT_OPACITY = 0.6
_GAP = 0.08  # between tiles, as a fraction of a map's longer side
_SORT_NAMES = {"index": "channel index", "mean": "mean activation"}
# Statistics of the large view, in two columns of three: mean, std, zeros | min, max.
_STATISTICS = (("mean", "Mean"), ("std", "Std"), ("zero_fraction", "Zeros"), ("min", "Min"),
               ("max", "Max"))


class FeatureMaps(QWidget):
    """The selected node's output as images. ``sigChannelChosen(channel)`` fires on a click."""

    sigChannelChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stack: maps.MapStack | None = None
        self._input: np.ndarray | None = None
        self._labels: list[str] | None = None
        self._order = np.arange(0)
        self._page = 0
        self._columns = 1
        self._selected: int | None = None
        self._tiles: list[pg.ImageItem] = []
        self._build()
        self.clear()

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        background = self.palette().color(self.backgroundRole())
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setStyleSheet("color: palette(placeholder-text); padding: 24px;")

        self.colormap_box = QComboBox(toolTip="Colour map")
        self.colormap_box.addItems(maps.COLORMAPS)
        self.colormap_box.setCurrentText(DEFAULT_COLORMAP)
        self.levels_box = QComboBox(toolTip="Colour range of each map")
        self.levels_box.addItem("each channel's own range", False)
        self.levels_box.addItem("the layer's range", True)
        self.sort_box = QComboBox(toolTip="Order of the channels")
        for mode in maps.SORTS:
            self.sort_box.addItem(_SORT_NAMES[mode], mode)
        self.previous_button = QToolButton(text="◀", toolTip="Previous page", autoRaise=True)
        self.next_button = QToolButton(text="▶", toolTip="Next page", autoRaise=True)
        self.page_box = QSpinBox(minimum=1, maximum=1, toolTip="Page of channels")
        self.page_total = QLabel()
        for box in (self.colormap_box, self.levels_box, self.sort_box):  # the dock stays narrow
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(8)
        controls = QGridLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.setVerticalSpacing(2)
        controls.addWidget(QLabel("Colours:"), 0, 0)
        controls.addWidget(self.colormap_box, 0, 1)
        controls.addWidget(self.levels_box, 0, 2)
        controls.addWidget(QLabel("Sort by:"), 1, 0)
        controls.addWidget(self.sort_box, 1, 1)
        pages = QHBoxLayout()
        for widget in (self.previous_button, QLabel("Page"), self.page_box, self.page_total,
                       self.next_button):
            pages.addWidget(widget)
        controls.addLayout(pages, 1, 2, Qt.AlignmentFlag.AlignRight)
        controls.setColumnStretch(2, 1)
        self.controls = QWidget()
        self.controls.setLayout(controls)

        self.grid = pg.GraphicsLayoutWidget()
        self.grid.setBackground(background)
        self.grid.ci.setContentsMargins(0, 0, 0, 0)
        self.grid_view = self.grid.addViewBox(lockAspect=True, invertY=True, enableMouse=False,
                                              enableMenu=False)
        self.grid_view.disableAutoRange()
        pen = QPen(SELECTION_COLOR, 3)
        pen.setCosmetic(True)
        self._frame = QGraphicsRectItem()
        self._frame.setPen(pen)
        self._frame.setZValue(1)
        self.grid_view.addItem(self._frame, ignoreBounds=True)
        self.readout = QLabel()
        self.readout.setFont(mono)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.detail = QWidget()
        self.detail_title = QLabel()
        self.detail_title.setWordWrap(True)
        self.detail_title.setStyleSheet("font-weight: bold;")
        self.large_canvas = pg.GraphicsLayoutWidget()
        self.overlay_canvas = pg.GraphicsLayoutWidget()
        self.large_image = pg.ImageItem(axisOrder="row-major")
        self.overlay_image = pg.ImageItem(axisOrder="row-major")
        views = []
        for canvas, item in ((self.large_canvas, self.large_image),
                             (self.overlay_canvas, self.overlay_image)):
            canvas.setBackground(background)
            canvas.ci.setContentsMargins(0, 0, 0, 0)
            canvas.setMinimumSize(120, 120)
            view = canvas.addViewBox(lockAspect=True, invertY=True, enableMouse=False,
                                     enableMenu=False)
            view.addItem(item)
            views.append(view)
        self.large_view, self.overlay_view = views
        self.overlay_canvas.setToolTip("The channel scaled to its own range, resized to the "
                                       "input bilinearly and blended over it")
        self.opacity = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100,
                               value=round(100 * DEFAULT_OPACITY), toolTip="Opacity of the map")
        self.opacity_label = QLabel()
        self.overlay_controls = QWidget()
        opacity_row = QHBoxLayout(self.overlay_controls)
        opacity_row.setContentsMargins(0, 0, 0, 0)
        opacity_row.addWidget(QLabel("On the input, opacity"))
        opacity_row.addWidget(self.opacity, 1)
        opacity_row.addWidget(self.opacity_label)
        statistics = QGridLayout()
        statistics.setHorizontalSpacing(8)
        statistics.setVerticalSpacing(1)
        self._statistics: dict[str, QLabel] = {}
        for row, (key, label) in enumerate(_STATISTICS):
            value = QLabel()
            value.setFont(mono)
            value.setAlignment(Qt.AlignmentFlag.AlignRight)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            statistics.addWidget(QLabel(label), row % 3, 2 * (row // 3))
            statistics.addWidget(value, row % 3, 2 * (row // 3) + 1)
            self._statistics[key] = value
        statistics.setColumnStretch(1, 1)
        statistics.setColumnStretch(3, 1)
        images = QHBoxLayout()
        images.setContentsMargins(0, 0, 0, 0)
        images.addWidget(self.large_canvas, 1)
        images.addWidget(self.overlay_canvas, 1)
        detail_column = QVBoxLayout(self.detail)
        detail_column.setContentsMargins(6, 0, 0, 0)
        detail_column.addWidget(self.detail_title)
        detail_column.addLayout(images, 1)
        detail_column.addWidget(self.overlay_controls)
        detail_column.addLayout(statistics)

        grid_panel = QWidget()
        grid_column = QVBoxLayout(grid_panel)
        grid_column.setContentsMargins(0, 0, 0, 0)
        grid_column.addWidget(self.grid, 1)
        grid_column.addWidget(self.readout)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(grid_panel)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.setSpacing(4)
        for widget in (self.caption, self.controls):
            widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            column.addWidget(widget)
        line = QFrame(frameShape=QFrame.Shape.HLine, frameShadow=QFrame.Shadow.Sunken)
        column.addWidget(line)
        column.addWidget(self.message, 1)
        column.addWidget(self.splitter, 1)
        self._with_maps = (self.caption, self.controls, line, self.splitter)  # hidden when empty

        self.colormap_box.currentTextChanged.connect(self._on_colormap_change)
        self.levels_box.currentIndexChanged.connect(self._on_levels_change)
        self.sort_box.currentIndexChanged.connect(self._on_sort_change)
        self.page_box.valueChanged.connect(lambda value: self.set_page(value - 1))
        self.previous_button.clicked.connect(lambda: self.set_page(self._page - 1))
        self.next_button.clicked.connect(lambda: self.set_page(self._page + 1))
        self.opacity.valueChanged.connect(self._show_overlay)
        self.grid.scene().sigMouseClicked.connect(self._on_grid_click)
        self.grid.scene().sigMouseMoved.connect(self._on_grid_hover)
        self.large_canvas.scene().sigMouseMoved.connect(self._on_large_hover)

    # ------------------------------------------------------------------ API

    def show_maps(self, name: str, output: np.ndarray, shown_input: np.ndarray | None,
                  channel_labels: list[str] | None = None, note: str = "",
                  layout: AxisLayout | None = None) -> None:
        """Show a node's output (batch removed, any shape :func:`maps.as_maps` handles).

        ``shown_input`` is the image as the network saw it, (H, W, 3) uint8, for the overlay;
        ``channel_labels`` names each channel (a concatenation's branches, from
        :func:`maps.branch_labels`) and is used when it has one label per map; ``note`` is
        added to the caption; ``layout`` is the node's axis layout (the graph's ``layout``),
        through which the output is read. With as many channels as the previous output, the
        page and the chosen channel stay (a conv, its norm and its activation share channels).
        """
        stack = maps.as_maps(output, layout)
        same_channels = self._stack is not None and len(self._stack.maps) == len(stack.maps)
        self._stack = stack
        self._input = shown_input
        self._labels = channel_labels if channel_labels and \
            len(channel_labels) == len(stack.maps) else None
        self._order = maps.channel_order(stack.maps, self.sort_box.currentData())
        height, width = stack.maps.shape[1:]
        shown = min(len(stack.maps), PAGE_SIZE)
        self._columns = min(shown, math.ceil(math.sqrt(shown * height / width)))
        if not same_channels:
            self._page, self._selected = 0, None
        parts = [f"<b>{name}</b>", formatting.shape(output.shape), stack.description, note]
        self.caption.setText(" · ".join(part for part in parts if part))
        self.message.hide()
        for widget in self._with_maps:
            widget.show()
        self._fit_grid()
        self.set_page(self._page)
        self._show_detail()

    def clear(self, message: str = NO_LAYER) -> None:
        """The empty state: no maps, only ``message``."""
        self._stack, self._input, self._labels, self._selected = None, None, None, None
        self._order = np.arange(0)
        self._page = 0
        for tile in self._tiles:
            tile.clear()
            tile.hide()
        self._frame.hide()
        self.large_image.clear()
        self.overlay_image.clear()
        self.caption.clear()
        self.readout.clear()
        self.message.setText(message)
        self.message.show()
        for widget in self._with_maps:
            widget.hide()

    def set_input(self, shown_input: np.ndarray | None) -> None:
        """The image the maps are laid over: (H, W, 3) uint8 as the network saw it, or None."""
        self._input = shown_input
        self._show_detail()

    def page_count(self) -> int:
        """How many pages the channels take (0 when nothing is shown)."""
        return math.ceil(len(self._order) / PAGE_SIZE)

    def page(self) -> int:
        """The page shown, counted from 0."""
        return self._page

    def set_page(self, page: int) -> None:
        """Show page ``page`` (clamped to the pages there are)."""
        self._page = min(max(page, 0), max(self.page_count() - 1, 0))
        self.page_box.blockSignals(True)
        self.page_box.setMaximum(max(self.page_count(), 1))
        self.page_box.setValue(self._page + 1)
        self.page_box.blockSignals(False)
        self.page_total.setText(f"of {formatting.count(max(self.page_count(), 1))}")
        self.previous_button.setEnabled(self._page > 0)
        self.next_button.setEnabled(self._page < self.page_count() - 1)
        self.page_box.setEnabled(self.page_count() > 1)
        self._show_page()

    def visible_channels(self) -> list[int]:
        """The channel indices on the page, in display order."""
        start = self._page * PAGE_SIZE
        return [int(c) for c in self._order[start:start + PAGE_SIZE]]

    def set_sort(self, mode: str) -> None:
        """Order the channels by ``index`` or by ``mean`` activation (highest first)."""
        self.sort_box.setCurrentIndex(maps.SORTS.index(mode))

    def set_shared_levels(self, shared: bool) -> None:
        """Colour every map over the layer's range (True) or over its own (False)."""
        self.levels_box.setCurrentIndex(int(shared))

    def set_colormap(self, name: str) -> None:
        """Use one of ``maps.COLORMAPS`` for the tiles, the large view and the overlay."""
        if name not in maps.COLORMAPS:
            raise ValueError(f"colormap must be one of {maps.COLORMAPS}, not {name!r}")
        self.colormap_box.setCurrentText(name)

    def selected_channel(self) -> int | None:
        """The channel shown large, or None."""
        return self._selected

    def select_channel(self, channel: int | None) -> None:
        """Show ``channel`` large (as a click on its tile does, without the signal)."""
        if self._stack is None or channel is None:
            self._selected = None
        elif 0 <= channel < len(self._stack.maps):
            self._selected = channel
        else:
            raise IndexError(f"channel {channel} of {len(self._stack.maps)}")
        self._show_detail()
        self._place_frame()

    def channel_item(self, channel: int) -> pg.ImageItem:
        """The tile showing ``channel``; raises ValueError when it is not on the page."""
        return self._tiles[self.visible_channels().index(channel)]

    def channel_image_levels(self, channel: int) -> tuple[float, float]:
        """The (low, high) levels ``channel``'s tile is coloured with."""
        low, high = self.channel_item(channel).getLevels()
        return float(low), float(high)

    def statistic_text(self, key: str) -> str:
        """The large view's statistic ``mean``, ``std``, ``min``, ``max`` or ``zero_fraction``."""
        return self._statistics[key].text()

    # ------------------------------------------------------------------ drawing

    def _fit_grid(self) -> None:
        """Frame one full page, so that every page of the layer is drawn at the same scale."""
        height, width = self._stack.maps.shape[1:]
        shown = min(len(self._stack.maps), PAGE_SIZE)
        step_x, step_y = self._step()
        rows = math.ceil(shown / self._columns)
        self.grid_view.setRange(QRectF(0, 0, (self._columns - 1) * step_x + width,
                                       (rows - 1) * step_y + height), padding=0.02)

    def _step(self) -> tuple[float, float]:
        height, width = self._stack.maps.shape[1:]
        gap = _GAP * max(height, width)
        return width + gap, height + gap

    def _show_page(self) -> None:
        if self._stack is None:
            return
        channels = self.visible_channels()
        while len(self._tiles) < len(channels):
            tile = pg.ImageItem(axisOrder="row-major")
            tile.setLookupTable(self._lookup_table())
            self.grid_view.addItem(tile)
            self._tiles.append(tile)
        shown_levels = maps.levels(self._stack.maps, channels, self.levels_box.currentData())
        height, width = self._stack.maps.shape[1:]
        step_x, step_y = self._step()
        for slot, (tile, channel, levels) in enumerate(zip(self._tiles, channels, shown_levels)):
            tile.setImage(self._stack.maps[channel], levels=levels)
            row, column = divmod(slot, self._columns)
            tile.setRect(QRectF(column * step_x, row * step_y, width, height))
            tile.show()
        for tile in self._tiles[len(channels):]:
            tile.clear()
            tile.hide()
        self._place_frame()

    def _place_frame(self) -> None:
        channels = self.visible_channels()
        if self._selected not in channels:
            self._frame.hide()
            return
        tile = self.channel_item(self._selected)
        self._frame.setRect(tile.mapRectToParent(tile.boundingRect()))
        self._frame.show()

    def _show_detail(self) -> None:
        channel = self._selected
        self.detail.setVisible(channel is not None)
        self._show_overlay()
        if channel is None:
            self.large_image.clear()
            return
        image = self._stack.maps[channel]
        (levels,) = maps.levels(self._stack.maps, [channel], self.levels_box.currentData())
        self.large_image.setImage(image, levels=levels)
        self.large_image.setLookupTable(self._lookup_table())
        self.large_view.autoRange(padding=0)
        self.detail_title.setText(self._channel_name(channel))
        values = maps.channel_statistics(image)
        for key, _ in _STATISTICS:
            text = (formatting.percent(values[key]) if key == "zero_fraction"
                    else formatting.metric(values[key]))
            self._statistics[key].setText(text)

    def _show_overlay(self) -> None:
        opacity = self.opacity.value() / 100
        self.opacity_label.setText(formatting.percent(opacity))
        shown = (self._selected is not None and self._input is not None
                 and self._stack.spatial)
        self.overlay_canvas.setVisible(shown)
        self.overlay_controls.setVisible(shown)
        if not shown:
            self.overlay_image.clear()
            return
        self.overlay_image.setImage(maps.overlay(self._input, self._stack.maps[self._selected],
                                                 opacity, self.colormap_box.currentText()),
                                    levels=(0, 255))
        self.overlay_view.autoRange(padding=0)

    def _channel_name(self, channel: int) -> str:
        if not self._stack.spatial and len(self._stack.maps) == 1:
            return "the whole output"
        name = f"channel {channel}"
        return f"{name} · {self._labels[channel]}" if self._labels else name

    def _lookup_table(self) -> np.ndarray:
        return maps.lookup_table(self.colormap_box.currentText())

    # ------------------------------------------------------------------ events

    def _on_colormap_change(self) -> None:
        table = self._lookup_table()
        for tile in (*self._tiles, self.large_image):
            tile.setLookupTable(table)
        self._show_overlay()

    def _on_levels_change(self) -> None:
        self._show_page()
        self._show_detail()

    def _on_sort_change(self) -> None:
        if self._stack is not None:
            self._order = maps.channel_order(self._stack.maps, self.sort_box.currentData())
            self.set_page(0)

    def _tile_at(self, scene_position: QPointF) -> tuple[int, int, int] | None:
        """The channel under a point of the grid's scene and the map row and column there."""
        if self._stack is None:
            return None
        point = self.grid_view.mapSceneToView(scene_position)
        step_x, step_y = self._step()
        column, row = math.floor(point.x() / step_x), math.floor(point.y() / step_y)
        x, y = point.x() - column * step_x, point.y() - row * step_y
        height, width = self._stack.maps.shape[1:]
        channels = self.visible_channels()
        slot = row * self._columns + column
        if not (0 <= column < self._columns and 0 <= slot < len(channels)
                and x < width and y < height):
            return None
        return channels[slot], int(y), int(x)

    def _on_grid_click(self, event: MouseClickEvent) -> None:
        hit = self._tile_at(event.scenePos())
        if event.button() != Qt.MouseButton.LeftButton or hit is None:
            return
        self.select_channel(hit[0])
        self.sigChannelChosen.emit(hit[0])

    def _on_grid_hover(self, scene_position: QPointF) -> None:
        hit = self._tile_at(scene_position)
        self.readout.setText("" if hit is None else self._describe_value(*hit))

    def _on_large_hover(self, scene_position: QPointF) -> None:
        if self._selected is None:
            return
        point = self.large_view.mapSceneToView(scene_position)
        height, width = self._stack.maps.shape[1:]
        row, column = math.floor(point.y()), math.floor(point.x())
        inside = 0 <= row < height and 0 <= column < width
        self.readout.setText(self._describe_value(self._selected, row, column) if inside else "")

    def _describe_value(self, channel: int, row: int, column: int) -> str:
        value = self._stack.maps[channel, row, column]
        kind = self._stack.kind
        if kind == maps.VECTOR:
            width = self._stack.maps.shape[2]
            where = f"element {formatting.count(row * width + column)}"
        elif kind == maps.MATRIX:
            where = f"token {row}, channel {column}"
        else:
            where = f"{self._channel_name(channel)} · row {row}, column {column}"
        return f"{where}: {'padding' if np.isnan(value) else formatting.metric(float(value))}"
