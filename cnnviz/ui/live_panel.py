"""The Live panel: a camera, a video or a folder of images played through the network.

Widgets only: the source picker, play/pause, step, loop and speed, the frame as the network
sees it (with Grad-CAM laid over it when the panel's own tick is on), the top-5, the selected
layer's first maps and a status line (fps, latency, dropped frames). The ``LiveController``
plays the source and runs the frames; the panel says what the user asked for through signals.

The maps update in place: the tiles are ``ImageItem``s made once per layer shape, and each
frame only replaces their data, so nothing is rebuilt and nothing flickers.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel,
                               QPushButton, QSizePolicy, QSpinBox, QStyle, QToolButton,
                               QVBoxLayout, QWidget)

from cnnviz import maps, video
from cnnviz.ui.input_panel import fitted_pixmap
from cnnviz.ui.predictions import PredictionsView

LIVE_TILES = 16  # the layer's first channels drawn live
FRAME_SIZE = 176  # pixels: the frame as the network sees it
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)
NO_CAMERA = "No camera found"
SELECTING_CAMERAS = "Looking for cameras…"
SELECT_A_LAYER = "Select a layer in the diagram to see its maps live"
VIDEO_FILES = "Videos (*.mp4 *.avi *.mkv *.webm *.mov *.m4v);;All files (*)"
STABLE_TIP = ("Stable: one colour range for every frame, the lowest and highest value the "
              "layer has had since play started or the layer was selected. Per frame: each "
              "frame's own range over the layer.")
_GAP = 0.08  # between tiles, as a fraction of a map's longer side


class LivePanel(QWidget):
    """The Live panel's widgets; see the module docstring."""

    sigSourceChosen = Signal(str)  # what to open: a path, a folder or ``camera:N``
    sigPlayToggled = Signal(bool)  # True: play
    sigStep = Signal()
    sigLoopChanged = Signal(bool)
    sigSpeedChanged = Signal(float)
    sigFirstShown = Signal()  # the panel was shown for the first time (cameras are listed then)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._running: tuple[float, float] | None = None  # stable levels so far
        self._levels: tuple[float, float] | None = None  # the levels drawn last
        self._tiles: list[pg.ImageItem] = []
        self._tile_shape: tuple[int, ...] = ()
        self._maps: tuple[str, maps.MapStack] | None = None  # the layer's maps drawn last
        self._shown_before = False
        self._build()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.clear_maps(SELECT_A_LAYER)

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        self.cameras = QComboBox(toolTip="Cameras found on this computer")
        self.cameras.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        open_video = QPushButton("Open video…", toolTip="mp4, avi, mkv, webm: what OpenCV reads")
        open_folder = QPushButton("Open folder…", toolTip="A folder of images, played as frames")
        self.source = QLabel("No source: open a video or a folder, or pick a camera",
                             wordWrap=True, styleSheet="color: #555")
        style = self.style()
        self._play_icons = (style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay),
                            style.standardIcon(QStyle.StandardPixmap.SP_MediaPause))
        self.play = QToolButton(checkable=True, toolTip="Play or pause (Space)",
                                toolButtonStyle=Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.step = QToolButton(text="Step", toolTip="One frame forward, paused (→)",
                                toolButtonStyle=Qt.ToolButtonStyle.ToolButtonTextBesideIcon,
                                icon=style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward))
        self._show_play_button(False)
        self.loop = QCheckBox("Loop", toolTip="Start again at the end")
        self.speed = QComboBox(toolTip="Playing speed, of the video's own frame rate")
        for speed in SPEEDS:
            self.speed.addItem(f"{speed:g}×", speed)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.gradcam = QCheckBox("Grad-CAM", toolTip=(
            "Grad-CAM of each frame's top class at the selected layer, laid over the frame "
            "(this panel's own tick; the opacity is the Photo panel's)"))
        self.levels = QComboBox(toolTip=STABLE_TIP)
        self.levels.addItem("stable across frames", True)
        self.levels.addItem("per frame", False)
        for button in (self.play, self.step):
            button.setEnabled(False)
        sources = QHBoxLayout()
        sources.addWidget(self.cameras, 1)
        sources.addWidget(open_video)
        sources.addWidget(open_folder)
        controls = QHBoxLayout()
        for widget in (self.play, self.step, self.loop, QLabel("Speed:"), self.speed):
            controls.addWidget(widget)
        controls.addStretch(1)

        self.frame = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.frame.setFixedSize(FRAME_SIZE, FRAME_SIZE)
        self.frame.setStyleSheet("border: 1px dashed #aaa; color: #777;")
        self.caption = QLabel(wordWrap=True, styleSheet="color: #555")
        self.status = QLabel(wordWrap=True, styleSheet="font-family: monospace")
        self.message = QLabel(wordWrap=True, styleSheet="color: #b00020")
        beside = QVBoxLayout()
        for widget in (self.caption, self.status, self.message):
            beside.addWidget(widget)
        beside.addStretch(1)
        top_row = QHBoxLayout()
        top_row.addWidget(self.frame, 0, Qt.AlignmentFlag.AlignTop)
        top_row.addLayout(beside, 1)
        self.predictions = PredictionsView()
        self.predictions.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        self.maps_caption = QLabel(wordWrap=True)
        self.first_map = QSpinBox(minimum=1, maximum=1, singleStep=LIVE_TILES)
        self.first_map.setToolTip(f"The first of the {LIVE_TILES} maps drawn live (step "
                                  f"{LIVE_TILES}: page through the layer's maps)")
        caption_row = QHBoxLayout()
        caption_row.addWidget(self.maps_caption, 1)
        caption_row.addWidget(QLabel("From map:"))
        caption_row.addWidget(self.first_map)
        self.grid = pg.GraphicsLayoutWidget()
        self.grid.setBackground(self.palette().color(self.backgroundRole()))
        self.grid.ci.setContentsMargins(0, 0, 0, 0)
        self.grid.setMinimumHeight(120)
        self.grid_view = self.grid.addViewBox(lockAspect=True, invertY=True, enableMouse=False,
                                              enableMenu=False)
        levels_row = QHBoxLayout()
        levels_row.addWidget(QLabel("Colour range:"))
        levels_row.addWidget(self.levels)
        levels_row.addStretch(1)
        levels_row.addWidget(self.gradcam)

        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.setSpacing(4)
        column.addLayout(sources)
        column.addWidget(self.source)
        column.addLayout(controls)
        column.addLayout(top_row)
        column.addWidget(self.predictions)
        column.addLayout(caption_row)
        column.addLayout(levels_row)
        column.addWidget(self.grid, 1)

        open_video.clicked.connect(self.choose_video)
        open_folder.clicked.connect(self.choose_folder)
        self.cameras.activated.connect(self._on_camera_chosen)
        self.play.toggled.connect(self._on_play_toggled)
        self.step.clicked.connect(self.sigStep)
        self.loop.toggled.connect(self.sigLoopChanged)
        self.speed.currentIndexChanged.connect(
            lambda _index: self.sigSpeedChanged.emit(self.speed.currentData()))
        self.levels.currentIndexChanged.connect(lambda _index: self.reset_levels())
        self.first_map.valueChanged.connect(lambda _value: self._redraw_maps())
        within = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, self.play.click, context=within)
        QShortcut(QKeySequence(Qt.Key.Key_Right), self, self.step.click, context=within)

    # ------------------------------------------------------------------ sources

    def set_cameras(self, indices: list[int] | None) -> None:
        """The cameras that opened; none gives one disabled "No camera found" entry, None
        a disabled "Looking for cameras…" while they are searched for."""
        self.cameras.clear()
        for index in indices or ():
            self.cameras.addItem(f"Camera {index}", f"{video.CAMERA_PREFIX}{index}")
        if not indices:
            self.cameras.addItem(SELECTING_CAMERAS if indices is None else NO_CAMERA)
            self.cameras.model().item(0).setEnabled(False)

    def choose_video(self) -> None:
        """Ask for a video file."""
        path, _ = QFileDialog.getOpenFileName(self, "Open a video", "", VIDEO_FILES)
        if path:
            self.sigSourceChosen.emit(path)

    def choose_folder(self) -> None:
        """Ask for a folder of images."""
        path = QFileDialog.getExistingDirectory(self, "Open a folder of images")
        if path:
            self.sigSourceChosen.emit(path)

    def set_source(self, description: str | None) -> None:
        """The source playing (None: none); play and step work only with one."""
        self.source.setText(f"Playing from {description}" if description else
                            "No source: open a video or a folder, or pick a camera")
        for button in (self.play, self.step):
            button.setEnabled(description is not None)

    def set_playing(self, playing: bool) -> None:
        """Show play or pause, without asking for it again."""
        self.play.blockSignals(True)
        self.play.setChecked(playing)
        self.play.blockSignals(False)
        self._show_play_button(playing)

    def show_message(self, text: str) -> None:
        """A one-line error ("" clears it)."""
        self.message.setText(f"⚠ {text}" if text else "")

    # ------------------------------------------------------------------ results

    def show_frame(self, shown: np.ndarray, caption: str,
                   top: list[tuple[int, str, float]], random_weights: bool) -> None:
        """The frame as the network saw it (with any overlay already laid on) and its top-5."""
        self.frame.setPixmap(fitted_pixmap(shown, FRAME_SIZE - 2, smooth=False))
        self.frame.setStyleSheet("")
        self.caption.setText(caption)
        self.predictions.show_predictions(top, random_weights)

    def show_status(self, fps: float | None, ms: float, dropped: int) -> None:
        """The status line: frames shown per second, the network's time for the last frame
        and the frames dropped since the source was opened."""
        rate = "–" if fps is None else f"{fps:.1f}"
        self.status.setText(f"{rate} fps · {ms:.0f} ms per frame · {dropped} dropped")

    def show_maps(self, node: str, stack: maps.MapStack) -> None:
        """``LIVE_TILES`` of the layer's maps from the one chosen in "From map", coloured over
        the chosen range (of all the layer's maps, so paging keeps the colours)."""
        self._maps = node, stack
        total = len(stack.maps)
        self.first_map.blockSignals(True)
        self.first_map.setMaximum(total)
        self.first_map.blockSignals(False)
        start = self.first_map.value() - 1
        shown = stack.maps[start:start + LIVE_TILES]
        self.grid.show()  # before the tiles are framed: a hidden view has no size
        if shown.shape != self._tile_shape:
            self._make_tiles(shown.shape)
            self._running = None
        self._levels = self._next_levels(stack.maps)
        for tile, values in zip(self._tiles, shown):
            tile.setImage(values, levels=self._levels, autoLevels=False)
        if len(shown) == total:
            which = f"{total} maps"
        elif len(shown) == 1:
            which = f"map {start + 1} of {total}"
        else:
            which = f"maps {start + 1}–{start + len(shown)} of {total}"
        self.maps_caption.setText(" · ".join(part for part in (f"<b>{node}</b>", which,
                                                                stack.description) if part))

    def _redraw_maps(self) -> None:
        """The last frame's maps again, from the newly chosen map (a paused video too)."""
        if self._maps is not None:
            self.show_maps(*self._maps)

    def clear_maps(self, message: str) -> None:
        """No maps, only ``message``."""
        self.maps_caption.setText(message)
        self._maps = None
        self._make_tiles(())
        self.grid.hide()
        self.reset_levels()

    def reset_levels(self) -> None:
        """Start the stable range again (play started, another layer, another model)."""
        self._running = None

    def shown_levels(self) -> tuple[float, float] | None:
        """The (low, high) colour range of the maps drawn last."""
        return self._levels

    def levels_stable(self) -> bool:
        """Whether one range holds across frames."""
        return bool(self.levels.currentData())

    def set_levels_stable(self, stable: bool) -> None:
        self.levels.setCurrentIndex(0 if stable else 1)

    def tiles(self) -> list[pg.ImageItem]:
        """The map tiles, channel order."""
        return list(self._tiles)

    def _next_levels(self, values: np.ndarray) -> tuple[float, float]:
        low, high = maps.value_range(values)
        if self.levels_stable():
            if self._running is not None:
                low, high = min(low, self._running[0]), max(high, self._running[1])
            self._running = low, high
        return low, high

    def _make_tiles(self, shape: tuple[int, ...]) -> None:
        """Tiles for ``count × height × width`` maps (made again only when that changes)."""
        for tile in self._tiles:
            self.grid_view.removeItem(tile)
        self._tiles, self._tile_shape = [], shape
        if not shape:
            return
        count, height, width = shape
        columns = max(1, min(count, math.ceil(math.sqrt(count * height / width))))
        gap = _GAP * max(height, width)
        table = maps.lookup_table("viridis")
        for slot in range(count):
            row, column = divmod(slot, columns)
            tile = pg.ImageItem(np.zeros((height, width), np.float32), axisOrder="row-major")
            tile.setLookupTable(table)  # and the rect below, once the item knows its size
            tile.setRect(QRectF(column * (width + gap), row * (height + gap), width, height))
            self.grid_view.addItem(tile)
            self._tiles.append(tile)
        rows = math.ceil(count / columns)
        self.grid_view.setRange(QRectF(0, 0, columns * (width + gap) - gap,
                                       rows * (height + gap) - gap), padding=0.02)

    # ------------------------------------------------------------------ events

    def _on_camera_chosen(self, index: int) -> None:
        source = self.cameras.itemData(index)
        if source:
            self.sigSourceChosen.emit(source)

    def _on_play_toggled(self, playing: bool) -> None:
        self._show_play_button(playing)
        self.sigPlayToggled.emit(playing)

    def _show_play_button(self, playing: bool) -> None:
        self.play.setText("Pause" if playing else "Play")
        self.play.setIcon(self._play_icons[playing])

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._shown_before:
            self._shown_before = True
            self.set_cameras(None)
            self.sigFirstShown.emit()
