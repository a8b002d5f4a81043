"""Live: a camera, a video or a folder of images played through the current model.

``LiveController`` owns the Live panel, the :class:`~cnnviz.player.Player` (its capture
thread) and the live jobs. The capture thread puts each frame into a one-frame slot
(:class:`~cnnviz.player.LatestFrame`) and a queued signal wakes the GUI thread; at most one
live job is on the torch worker, and when it ends the newest frame in the slot goes next. A
frame replaced in the slot before it was taken is dropped and counted: nothing queues.

The frames run on the Timing panel's device and precision (a ``LiveRunner``, made and cached
on the worker). A model switch while playing keeps playing on the new model: live is for
watching a network, and the next frame shows the new one; results of the old model are dropped.
Pausing, and the end of a video that does not loop, hands the last frame shown to the
PhotoController as the current photo, so every still-photo view works on it.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QBuffer, QIODevice, QObject, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import QWidget

from cnnviz import formatting, maps, player, video
from cnnviz.errors import CnnvizError
from cnnviz.ui.jobs import JobKind, LiveFrame
from cnnviz.ui.live_panel import SELECT_A_LAYER, LivePanel
from cnnviz.ui.workers import Job, JobContext, TorchWorker, failure_message

if TYPE_CHECKING:  # torch: the live job loads it, not this module
    from cnnviz.live import LiveRunner
    from cnnviz.session import LoadedModel, Session
    from cnnviz.timing import BenchSettings
    from cnnviz.ui.photo import PhotoController

FPS_WINDOW = 30  # frames shown over which the fps is measured


def png_bytes(frame: np.ndarray) -> bytes:
    """An (H, W, 3) uint8 RGB frame encoded as PNG (lossless: decoded, the same pixels)."""
    frame = np.ascontiguousarray(frame)
    height, width = frame.shape[:2]
    image = QImage(frame.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


class LiveController(QObject):
    """Plays a source through the current model and shows each frame's results."""

    sigMessage = Signal(str)  # a one-line error for the status bar
    sigFrameShown = Signal(int)  # the index of a frame whose results were drawn
    # From the capture thread, each with the count of the source it is about.
    _sigArrived = Signal(int)  # a frame is waiting in the slot
    _sigEnded = Signal(int)  # the end of a source that does not loop
    _sigFailed = Signal(int, str)  # a read error: the player paused
    _sigCameras = Signal(list)  # from the camera search's thread: the indices that opened

    def __init__(self, worker: TorchWorker, session: Session, photo: PhotoController,
                 settings: Callable[[], BenchSettings], parent: QWidget) -> None:
        super().__init__(parent)
        self._worker, self._session, self._photo, self._settings = worker, session, photo, settings
        self.panel = LivePanel()
        self.player: player.Player | None = None
        self.slot: player.LatestFrame | None = None
        self.description = ""  # of the source playing
        self.shown = 0  # frames of the source whose results were drawn
        self._opened = 0  # sources opened so far: results carry the count of theirs
        self._in_flight: Job | None = None
        self.last: LiveFrame | None = None  # the frame shown last
        self._keeping = True  # pausing makes the last frame the photo (not after a read error)
        self._kept: LiveFrame | None = None  # the frame handed over as the photo
        self._times: deque[float] = deque(maxlen=FPS_WINDOW)
        self._noting = False  # the panel's message is a frame's note, not an error
        # (model, device, precision, LiveRunner): read and written on the worker only.
        self._runner: tuple | None = None
        self._camera_search: threading.Thread | None = None
        panel = self.panel
        panel.sigSourceChosen.connect(self.open)
        panel.sigPlayToggled.connect(lambda playing: self.play() if playing else self.pause())
        panel.sigStep.connect(self.step)
        panel.sigLoopChanged.connect(lambda loop: self.player and self.player.set_loop(loop))
        panel.sigSpeedChanged.connect(lambda speed: self.player and self.player.set_speed(speed))
        panel.sigFirstShown.connect(self._search_cameras)
        self._sigCameras.connect(panel.set_cameras)
        self._sigArrived.connect(self._on_arrived)
        self._sigEnded.connect(self._on_ended)
        self._sigFailed.connect(self._on_read_failed)
        session.subscribe("model", self._on_model_change)
        session.subscribe("selection", lambda _name: self._on_selection_change())

    # ---------------------------------------------------------------- sources and controls

    def open(self, text: str) -> None:
        """Open a video file, a folder of images or ``camera:N`` and play it; a source that
        cannot be opened is one line, and whatever played before plays on."""
        try:
            source = video.open_source(text)
        except CnnvizError as error:
            self._report(str(error))
            return
        self.stop()
        self._opened += 1
        opened, slot = self._opened, player.LatestFrame()

        def arrived(index: int, frame: np.ndarray) -> None:  # on the capture thread
            if not slot.put((index, frame)):
                self._sigArrived.emit(opened)

        self.slot, self.description, self.shown = slot, source.describe, 0
        self.last = self._kept = None
        self.player = player.Player(
            source, arrived, speed=self.panel.speed.currentData(),
            loop=self.panel.loop.isChecked(), on_end=lambda: self._sigEnded.emit(opened),
            on_error=lambda message: self._sigFailed.emit(opened, message))
        self.panel.set_source(source.describe)
        self.panel.show_message("")
        self.play()

    def play(self) -> None:
        """Play from the current frame (from the start after the end)."""
        if self.player is None:
            return
        self._times.clear()
        self._keeping = True
        self.panel.reset_levels()
        self.panel.set_playing(True)
        self.player.play()

    def pause(self) -> None:
        """Pause; the last frame shown becomes the current photo."""
        if self.player is None:
            return
        self.player.pause()
        self.panel.set_playing(False)
        self._next_frame()

    def step(self) -> None:
        """Pause and show exactly one next frame (it then becomes the current photo)."""
        if self.player is None:
            return
        self._keeping = True
        self.panel.set_playing(False)
        self.player.step()

    def toggle(self) -> None:
        """Play if paused, pause if playing."""
        if self.player is not None:
            self.panel.play.click()

    def playing(self) -> bool:
        return self.player is not None and self.player.playing

    def _search_cameras(self) -> None:
        """List the cameras on a thread of its own: opening each device can take a second,
        which the GUI thread must not wait for."""
        self._camera_search = threading.Thread(
            target=lambda: self._sigCameras.emit(video.list_cameras()), name="camera search")
        self._camera_search.start()

    def stop(self) -> None:
        """End the capture thread (joined) and drop any frame on its way; idempotent."""
        if self._camera_search is not None:
            self._camera_search.join()
        if self.player is not None:
            self.player.stop()
            self.slot.close()
            self._worker.cancel(JobKind.LIVE)
            self.panel.set_playing(False)

    def actions(self, parent: QWidget) -> list[QAction]:
        """The Live menu's actions, with shortcuts the window does not use otherwise."""
        made = []
        for text, slot, shortcut in (("Open &video…", self.panel.choose_video, "Ctrl+Shift+V"),
                                     ("Open image &folder…", self.panel.choose_folder, None),
                                     ("&Play or pause", self.toggle, "Ctrl+Shift+P"),
                                     ("&Step one frame", self.step, "Ctrl+Shift+N")):
            action = QAction(text, parent)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            made.append(action)
        return made

    # ---------------------------------------------------------------- running frames

    def _on_arrived(self, opened: int) -> None:
        if opened == self._opened:
            self._next_frame()

    def _next_frame(self) -> None:
        """Run the newest frame when no live job is in flight; once idle and paused, hand the
        last frame shown over as the photo."""
        if self._in_flight is not None or self.slot is None:
            return
        item = self.slot.take(timeout=0)
        if item is not None:
            self._submit(*item)
        elif self._keeping and not self.playing() and self.last is not None \
                and self.last is not self._kept:
            self._keep_as_photo(self.last)

    def _submit(self, index: int, frame: np.ndarray) -> None:
        loaded = self._session.loaded
        if loaded is None:
            return
        if loaded.spec.preprocessing is None:
            self._fail(f"{loaded.spec.display_name} does not take photos: it cannot run a video")
            return
        settings = self._settings()
        node = self._session.producing_node(self._session.selection) \
            if self._session.selection else None
        cam = self.panel.gradcam.isChecked() and node is not None
        opened = self._opened

        def task(context: JobContext) -> LiveFrame:
            runner = self._runner_for(loaded, settings.device, settings.dtype)
            context.check()
            note = ""
            if cam:
                try:
                    runner.check_layer(node, grad_cam=True)
                except CnnvizError as error:  # the maps and top-5 still run
                    note = str(error)
            return LiveFrame(opened, frame, node, runner.run(index, frame, node, cam and not note),
                             note)

        job = self._in_flight = self._worker.submit(JobKind.LIVE, task)
        job.on_done(lambda result: self._finished(job, result))
        job.on_failed(lambda error: self._finished(job, error=error))
        job.on_cancelled(lambda: self._finished(job))

    def _runner_for(self, loaded: LoadedModel, device: str, dtype: str) -> LiveRunner:
        """The LiveRunner for the model, device and precision (worker thread)."""
        from cnnviz import live  # torch: loaded by the first live job

        cached = self._runner
        if cached is None or cached[0] is not loaded or cached[1:3] != (device, dtype):
            cached = self._runner = (loaded, device, dtype, live.LiveRunner(loaded, device, dtype))
        return cached[3]

    def _finished(self, job: Job, result: LiveFrame | None = None,
                  error: BaseException | None = None) -> None:
        if job is not self._in_flight:
            return
        self._in_flight = None
        if error is not None:
            self._fail(failure_message(error))
        elif result is not None:
            self._show(result)
        self._next_frame()

    def _show(self, frame: LiveFrame) -> None:
        if frame.opened != self._opened or not self._session.is_current(frame.model):
            return  # of a closed source, or of a model since replaced
        result = frame.result
        if frame.note or self._noting:  # errors stay; a note goes when it no longer holds
            self.panel.show_message(frame.note)
            self._noting = bool(frame.note)
        shown = result.shown
        if result.heat is not None:
            shown = maps.overlay(shown, result.heat, self._photo.input_panel.opacity())
        top = result.top[0]
        self.panel.show_frame(
            shown, f"frame {result.index} of {self.description} as "
                   f"{result.model.spec.display_name} sees it · top: {top.label} "
                   f"({formatting.percent(top.prob)})",
            [(p.index, p.label, p.prob) for p in result.top], result.model.weights == "random")
        if result.maps is not None:
            self.panel.show_maps(frame.node, result.maps)
        self._times.append(time.monotonic())
        span = self._times[-1] - self._times[0]
        fps = (len(self._times) - 1) / span if span > 0 else None
        self.panel.show_status(fps, result.ms, self.slot.dropped)
        self.last = frame
        self.shown += 1
        self.sigFrameShown.emit(result.index)

    def _keep_as_photo(self, frame: LiveFrame) -> None:
        """The frame becomes the current photo (PNG bytes: the photo path decodes them to
        exactly these pixels)."""
        self._kept = frame
        self._photo.open(png_bytes(frame.frame), f"frame {frame.result.index} of "
                                                 f"{self.description}")

    # ---------------------------------------------------------------- events

    def _on_ended(self, opened: int) -> None:
        if opened == self._opened:
            self.panel.set_playing(False)
            self._next_frame()

    def _on_read_failed(self, opened: int, message: str) -> None:
        if opened == self._opened:  # the photo stays: bad input changes nothing
            self._keeping = False
            self.panel.set_playing(False)
            self._report(message)

    def _fail(self, message: str) -> None:
        """A frame could not run: say so and pause, rather than fail on every frame."""
        self._report(message)
        if self.playing():
            self.pause()

    def _report(self, message: str) -> None:
        self._noting = False
        self.panel.show_message(message)
        self.sigMessage.emit(message)

    def _on_model_change(self, _loaded: LoadedModel) -> None:
        self._runner = None  # the old model's copy on another device goes
        self.last = self._kept = None
        self.panel.clear_maps(SELECT_A_LAYER)

    def _on_selection_change(self) -> None:
        if not self._session.selection:
            self.panel.clear_maps(SELECT_A_LAYER)
        self.panel.reset_levels()
