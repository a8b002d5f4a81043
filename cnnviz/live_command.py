"""``cnnviz live``: a video's frames through a model as the app's Live panel runs them.

A :class:`~cnnviz.player.Player` plays the file at its own frame rate into a
:class:`~cnnviz.player.LatestFrame`; the network takes the newest frame each time it is free,
and the frames that arrived while it was busy are dropped and counted.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cnnviz import classes, commands, formatting, session, timing, video
from cnnviz.errors import CnnvizError
from cnnviz.live import FrameResult, LiveRunner
from cnnviz.player import LatestFrame, Player

MAPS_NAME = "frame_{index:06d}.npy"
_SHOWN_CLASSES = 3


@dataclass(frozen=True)
class Summary:
    """How a live run went: frames the network ran, frames dropped, and frames per second
    (frames run over the time from the start of playing to the last result)."""

    frames: int
    dropped: int
    fps: float


def live(request: session.ModelRequest, video_path: str, frames: int | None = None,
         layer: str | None = None, device: str = "cpu", dtype: str = "fp32",
         as_json: bool = False, output: str | None = None) -> Summary:
    """Run the first ``frames`` frames of a video (all without it) through the model, printing
    each frame's top classes and a summary; with ``layer`` and ``output`` write each frame's
    maps of that layer into the folder ``output`` (see :data:`MAPS_NAME`)."""
    if output is not None and layer is None:
        raise CnnvizError("-o needs --layer: it writes that layer's maps for each frame")
    if output is not None and not os.path.isdir(output):
        raise CnnvizError(f"cannot write into {output}: no such folder")
    if frames is not None and frames < 1:
        raise CnnvizError(f"--frames must be 1 or more, not {frames}")
    timing.BenchSettings(device=device, dtype=dtype).check()  # before the model is built
    with video.open_source(video_path) as source:
        loaded = request.load()
        runner = LiveRunner(loaded, device, dtype)
        if layer is not None:
            runner.check_layer(layer)

        def report(result: FrameResult) -> None:
            if output is not None:
                commands.save_npy(os.path.join(output, MAPS_NAME.format(index=result.index)),
                           result.maps.maps)
            _print_frame(result, as_json)

        summary = play(source, lambda index, frame: runner.run(index, frame, layer), report,
                       frames)
    if as_json:
        print(json.dumps({"frames": summary.frames, "dropped": summary.dropped,
                          "fps": summary.fps}))
    else:
        print(f"{summary.frames} frames run, {summary.dropped} dropped while the network was "
              f"busy · {summary.fps:.1f} fps · {loaded.spec.name} on {runner.device} "
              f"({runner.dtype})")
    return summary


def play(source: video.FrameSource, run: Callable[[int, np.ndarray], FrameResult],
         report: Callable[[FrameResult], None], limit: int | None = None) -> Summary:
    """Play ``source`` (its first ``limit`` frames) at its own rate into a latest-frame slot,
    running the newest frame whenever ``run`` is free, until the end or Ctrl-C; CnnvizError
    when the source fails. The source is closed at the end."""
    slot, failures, read = LatestFrame(), [], 0

    def offer(index: int, frame: np.ndarray) -> None:
        nonlocal read
        if limit is not None and read >= limit:
            return
        slot.put((index, frame))
        read += 1
        if read == limit:
            player.pause()
            slot.close()

    def fail(message: str) -> None:
        failures.append(message)
        slot.close()

    player = Player(source, offer, on_end=slot.close, on_error=fail)
    ran, start = 0, time.perf_counter()
    player.play()
    try:
        while (item := slot.take()) is not None:
            report(run(*item))
            ran += 1
    except KeyboardInterrupt:  # Ctrl-C ends a camera or a long video: the summary follows
        pass
    finally:
        player.stop()
    elapsed = time.perf_counter() - start
    if failures:
        raise CnnvizError(failures[0])
    return Summary(ran, slot.dropped, ran / elapsed if elapsed > 0 else 0.0)


def _print_frame(result: FrameResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"frame": result.index,
                          "top": classes.as_json(result.top),
                          "ms": result.ms}), flush=True)
        return
    shown = ", ".join(f"{p.label} {formatting.percent(p.prob)}"
                      for p in result.top[:_SHOWN_CLASSES])
    print(f"frame {result.index:5d} · {result.ms:7.1f} ms · {shown}", flush=True)

