"""Playing a frame source on a capture thread of its own, and the one-frame slot between it
and the network: the latest frame wins, nothing queues.

:class:`Player` reads a :class:`~cnnviz.video.FrameSource` and hands each frame to a callback
at the source's pace; :class:`LatestFrame` keeps only the newest frame for a slower consumer
and counts the ones it replaced. Neither knows Qt or torch.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from cnnviz.errors import CnnvizError
from cnnviz.video import FrameSource


class LatestFrame:
    """A thread-safe slot for one item: a new item replaces one nobody took, which is
    dropped and counted in :attr:`dropped`."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._item: Any = None
        self._full = False
        self._closed = False
        self.dropped = 0

    def put(self, item: Any) -> bool:
        """Offer ``item``; True when it replaced an item nobody took (that one is dropped)."""
        with self._condition:
            replaced = self._full
            if replaced:
                self.dropped += 1
            self._item, self._full = item, True
            self._condition.notify_all()
            return replaced

    def take(self, timeout: float | None = None) -> Any:
        """The newest item, waiting for one up to ``timeout`` seconds (None: for ever); None
        on timeout, or once the slot is closed and empty."""
        with self._condition:
            self._condition.wait_for(lambda: self._full or self._closed, timeout)
            if not self._full:
                return None
            item, self._item, self._full = self._item, None, False
            return item

    def close(self) -> None:
        """No more items: waiting and later takes return None once the slot is empty."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()


class Player:
    """Plays ``source`` on a capture thread, calling ``on_frame(index, frame)`` for each frame.

    Frames come at ``source.fps * speed`` frames per second (``default_fps`` when the source
    has no rate; cameras as they come; ``speed=math.inf``: as fast as they are read). The
    player starts paused. At the end of the source it rewinds when looping, else pauses and
    calls ``on_end`` (playing or stepping again then starts from the first frame); a read
    error calls ``on_error(message)`` and pauses. The callbacks run on the capture thread and
    must not block: hand frames to a :class:`LatestFrame`. The player owns the source: the
    capture thread closes it when :meth:`stop` ends the thread.
    """

    def __init__(self, source: FrameSource, on_frame: Callable[[int, np.ndarray], None], *,
                 speed: float = 1.0, loop: bool = False,
                 on_end: Callable[[], None] | None = None,
                 on_error: Callable[[str], None] | None = None,
                 default_fps: float = 10.0) -> None:
        _check_speed(speed)
        self._source = source
        self._on_frame, self._on_end, self._on_error = on_frame, on_end, on_error
        self._speed, self._loop = speed, loop
        self._fps = source.fps or default_fps
        self._condition = threading.Condition()
        self._playing = False
        self._steps = 0
        self._stopped = False
        self._index = -1
        self._ended = False
        self._thread = threading.Thread(target=self._run, name=f"capture {source.describe}",
                                        daemon=True)
        self._thread.start()

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def index(self) -> int:
        """The index of the last frame delivered (-1 before the first; 0 again after a loop)."""
        return self._index

    def play(self) -> None:
        self._change(playing=True)

    def pause(self) -> None:
        self._change(playing=False)

    def step(self) -> None:
        """Pause, then deliver exactly one next frame."""
        with self._condition:
            self._playing = False
            self._steps += 1
            self._condition.notify_all()

    def set_speed(self, speed: float) -> None:
        _check_speed(speed)
        self._change(speed=speed)

    def set_loop(self, loop: bool) -> None:
        self._change(loop=loop)

    def stop(self) -> None:
        """End the capture thread, wait for it, and close the source; idempotent."""
        self._change(stopped=True)
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def _change(self, playing: bool | None = None, speed: float | None = None,
                loop: bool | None = None, stopped: bool | None = None) -> None:
        with self._condition:
            if playing is not None:
                self._playing = playing
            if speed is not None:
                self._speed = speed
            if loop is not None:
                self._loop = loop
            if stopped:
                self._stopped = True
            self._condition.notify_all()

    def _run(self) -> None:
        try:
            self._play_frames()
        finally:
            self._source.close()

    def _play_frames(self) -> None:
        due = 0.0
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._stopped or self._playing or self._steps)
                if self._stopped:
                    return
                stepping = not self._playing
                if stepping:
                    self._steps -= 1
            frame = self._next_frame()
            if frame is None:
                continue
            self._index += 1
            self._on_frame(self._index, frame)
            if not stepping and not self._source.is_camera:
                interval, now = self._interval(), time.perf_counter()
                due = (due if due >= now - interval else now) + interval  # late: start again
                self._wait_until(due)

    def _next_frame(self) -> np.ndarray | None:
        """The next frame, rewinding at the end when looping; None (and paused) at the end
        or on an error."""
        try:
            if self._ended:  # played again after the end: from the start
                self._rewind()
            frame = self._source.read()
            if frame is None and self._loop and self._index >= 0:
                self._rewind()
                frame = self._source.read()
        except CnnvizError as error:
            self.pause()
            if self._on_error is not None:
                self._on_error(str(error))
            return None
        if frame is None:
            self._ended = True
            self.pause()
            with self._condition:
                self._steps = 0
            if self._on_end is not None:
                self._on_end()
        return frame

    def _rewind(self) -> None:
        self._source.rewind()
        self._index = -1
        self._ended = False

    def _interval(self) -> float:
        return 0.0 if math.isinf(self._speed) else 1.0 / (self._fps * self._speed)

    def _wait_until(self, due: float) -> None:
        """Sleep until ``due`` unless paused or stopped first."""
        with self._condition:  # every change of state notifies the condition
            self._condition.wait_for(lambda: not self._playing or self._stopped,
                                     due - time.perf_counter())


def _check_speed(speed: float) -> None:
    if not speed > 0:
        raise ValueError(f"speed must be positive, not {speed}")
