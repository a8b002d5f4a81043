"""The capture thread: pacing, pause, step, loop, end, errors and a clean stop; the
latest-frame slot drops and counts what a slow consumer misses."""
from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest

from cnnviz.errors import CnnvizError
from cnnviz.player import LatestFrame, Player
from cnnviz.video import FrameSource

WAIT_S = 10.0  # generous: only a broken player waits this long


class ListSource(FrameSource):
    """Frames numbered by their pixel values; ``fail_at`` raises on that read."""

    def __init__(self, count: int, fps: float | None = 10.0, fail_at: int | None = None) -> None:
        self.describe, self.fps, self.frame_count = "list", fps, count
        self.position, self.fail_at, self.closed, self.count = 0, fail_at, False, count

    def read(self) -> np.ndarray | None:
        if self.position == self.fail_at:
            raise CnnvizError("cannot read video list: broken frame")
        if self.position >= self.count:
            return None
        self.position += 1
        return np.full((2, 2, 3), self.position - 1, dtype=np.uint8)

    def rewind(self) -> None:
        self.position = 0

    def close(self) -> None:
        self.closed = True


class Recorder:
    """Collects (index, frame value, time) and wakes waiters once ``count`` frames came."""

    def __init__(self) -> None:
        self.frames: list[tuple[int, int, float]] = []
        self.changed = threading.Condition()

    def __call__(self, index: int, frame: np.ndarray) -> None:
        with self.changed:
            self.frames.append((index, int(frame[0, 0, 0]), time.perf_counter()))
            self.changed.notify_all()

    def wait_for(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.frames) >= count, WAIT_S)

    @property
    def indices(self) -> list[int]:
        return [index for index, _, _ in self.frames]


@pytest.fixture
def started():
    """Players made by a test, stopped at its end whatever happens."""
    players: list[Player] = []

    def start(source: FrameSource, recorder: Recorder, **options) -> Player:
        players.append(Player(source, recorder, **options))
        return players[-1]

    yield start
    for player in players:
        player.stop()


def test_frames_come_at_the_source_rate_times_the_speed(started) -> None:
    recorder = Recorder()
    ended = threading.Event()
    player = started(ListSource(6, fps=20.0), recorder, speed=2.0, on_end=ended.set)
    player.play()
    assert ended.wait(WAIT_S)
    times = [moment for _, _, moment in recorder.frames]
    assert recorder.indices == list(range(6))
    # Never ahead of 40 fps: frame i comes no sooner than i/40 s after the first (a late frame
    # makes the next gap shorter, so single gaps are not held to it).
    assert all(moment - times[0] >= i / 40 - 1e-3 for i, moment in enumerate(times))
    assert not player.playing and player.index == 5


def test_nothing_plays_until_play_and_after_pause(started) -> None:
    recorder = Recorder()
    player = started(ListSource(1000, fps=50.0), recorder)
    time.sleep(0.2)
    assert recorder.frames == [] and not player.playing
    player.play()
    recorder.wait_for(3)
    player.pause()
    time.sleep(0.05)  # a frame read just before the pause is still delivered
    count = len(recorder.frames)
    time.sleep(0.3)
    assert len(recorder.frames) == count and not player.playing


def test_step_delivers_exactly_one_next_frame(started) -> None:
    recorder = Recorder()
    player = started(ListSource(10), recorder)
    for steps in (1, 2, 3):
        player.step()
        recorder.wait_for(steps)
    time.sleep(0.3)
    assert [(i, v) for i, v, _ in recorder.frames] == [(0, 0), (1, 1), (2, 2)]
    assert player.index == 2 and not player.playing


def test_loop_rewinds_and_the_end_pauses_without_it(started) -> None:
    recorder = Recorder()
    ended = threading.Event()
    player = started(ListSource(3), recorder, loop=True, speed=math.inf, on_end=ended.set)
    player.play()
    recorder.wait_for(8)
    player.set_loop(False)
    assert ended.wait(WAIT_S)
    values = [value for _, value, _ in recorder.frames]
    assert values[:8] == [0, 1, 2, 0, 1, 2, 0, 1] and recorder.indices == values
    assert not player.playing
    count = len(recorder.frames)
    player.step()  # after the end: from the first frame again
    recorder.wait_for(count + 1)
    assert recorder.frames[-1][:2] == (0, 0)


def test_a_read_error_is_reported_and_pauses(started) -> None:
    recorder, errors = Recorder(), []
    reported = threading.Event()
    player = started(ListSource(5, fail_at=2), recorder, speed=math.inf,
                     on_error=lambda message: (errors.append(message), reported.set()))
    player.play()
    assert reported.wait(WAIT_S)
    assert errors == ["cannot read video list: broken frame"]
    assert recorder.indices == [0, 1] and not player.playing


def test_stop_ends_the_thread_and_closes_the_source() -> None:
    source = ListSource(10_000, fps=None)
    player = Player(source, Recorder(), default_fps=100.0)
    player.play()
    player.stop()
    player.stop()
    assert source.closed
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("capture")]


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Player(ListSource(1), Recorder(), speed=0)


def test_the_latest_frame_wins_and_replaced_frames_are_counted() -> None:
    slot = LatestFrame()
    assert [slot.put(n) for n in range(4)] == [False, True, True, True]
    assert slot.dropped == 3 and slot.take() == 3
    assert slot.take(timeout=0.01) is None
    slot.put(4)
    slot.close()
    assert slot.take() == 4 and slot.take() is None


def test_a_slow_consumer_drops_frames_and_every_frame_is_counted() -> None:
    recorder, slot = Recorder(), LatestFrame()

    def offer(index: int, frame: np.ndarray) -> None:
        recorder(index, frame)
        slot.put(index)

    player = Player(ListSource(50, fps=500.0), offer, on_end=slot.close)
    taken = []
    player.play()
    while (item := slot.take()) is not None:
        taken.append(item)
        time.sleep(0.02)  # a network slower than the 2 ms between frames
    player.stop()
    assert slot.dropped > 0
    assert len(taken) + slot.dropped == len(recorder.frames) == 50
    assert taken == sorted(taken) and taken[-1] == 49
