"""Live throughput: frames per second of ``cnnviz live``'s path against a bare forward loop over
the same frames, measured in the same run.

A generated video (the sample photos at 640×480, Motion JPEG in AVI as webcams send it: about
2 ms a frame to decode here, where lossless FFV1 takes 16) is played two ways:

- ``bare``: the frames, decoded beforehand, each prepared (``inference.prepare``) and run
  through ``model(x)`` under ``torch.inference_mode()`` (CUDA: synchronised after each frame).
- ``live``: a :class:`~cnnviz.player.Player` decoding the file on its capture thread into a
  :class:`~cnnviz.player.LatestFrame`, a :class:`~cnnviz.live.LiveRunner` taking each frame
  (top-5 on the CPU). Played without pacing (speed ∞) and without dropping: the capture thread
  waits until the network has taken the previous frame, so both paths run every frame.

The two alternate for ``--rounds`` rounds after a warm-up; each figure is all frames over all
its time. Target on the CPU with ResNet-18: live at least 0.6 of bare.

Run: `.venv/bin/python bench/live_fps.py [--device cpu|cuda] [--dtype fp32|bf16]
[--frames N] [--rounds R] [--threads T] [MODEL]` (default resnet18, random weights).
"""
from __future__ import annotations

import argparse
import math
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from cnnviz import images, inference, session, timing, video
from cnnviz.live import LiveRunner
from cnnviz.player import LatestFrame, Player

FRAME_SIZE = (640, 480)
WARMUP_FRAMES = 5


def write_clip(path: Path, count: int) -> None:
    """``count`` frames cycling through the sample photos, as a Motion JPEG video."""
    photos = [np.asarray(images.load_image(p).resize(FRAME_SIZE)) for p in images.sample_images()]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, FRAME_SIZE)
    for index in range(count):
        writer.write(cv2.cvtColor(photos[index % len(photos)], cv2.COLOR_RGB2BGR))
    writer.release()


def bare_seconds(runner: LiveRunner, frames: list[np.ndarray]) -> float:
    """Seconds to prepare and run every frame in a plain loop, on the runner's model (its
    device and precision)."""
    model, device, kind = runner.model, runner.device, timing.PRECISIONS[runner.dtype]
    preprocessing = runner.loaded.spec.preprocessing
    start = time.perf_counter()
    with torch.inference_mode():
        for frame in frames:
            prepared = inference.prepare(Image.fromarray(frame), preprocessing)
            model(prepared.tensor.to(device=device, dtype=kind))
            if device.startswith("cuda"):
                torch.cuda.synchronize()
    return time.perf_counter() - start


def live_seconds(runner: LiveRunner, clip: Path) -> tuple[float, int]:
    """Seconds to play the clip through the runner, and the frames it ran."""
    slot, free = LatestFrame(), threading.Semaphore(1)

    def offer(index: int, frame: np.ndarray) -> None:
        free.acquire()  # no drops: wait until the network took the previous frame
        slot.put((index, frame))

    player = Player(video.open_source(str(clip)), offer, speed=math.inf, on_end=slot.close)
    ran, start = 0, time.perf_counter()
    player.play()
    try:
        while (item := slot.take()) is not None:
            free.release()
            runner.run(*item)
            ran += 1
    finally:
        player.stop()
    assert slot.dropped == 0, "the bench must not drop frames"
    return time.perf_counter() - start, ran


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default="resnet18")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="fp32", choices=list(timing.PRECISIONS))
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, help="CPU threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = timing.resolve_device(args.device)
    loaded = session.ModelRequest.of(args.model).load()
    runner = LiveRunner(loaded, device.name, args.dtype)
    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "clip.avi"
        write_clip(clip, args.frames)
        with video.open_source(str(clip)) as source:
            frames = []
            while (frame := source.read()) is not None:
                frames.append(frame)
        for frame in frames[:WARMUP_FRAMES]:
            runner.run(0, frame)
        bare_seconds(runner, frames[:WARMUP_FRAMES])
        bare_total = live_total = 0.0
        for _ in range(args.rounds):
            bare_total += bare_seconds(runner, frames)
            seconds, ran = live_seconds(runner, clip)
            assert ran == len(frames)
            live_total += seconds
    count = args.rounds * len(frames)
    bare_fps, live_fps = count / bare_total, count / live_total
    print(f"{args.model} · {device.label} · {args.dtype} · {torch.get_num_threads()} threads · "
          f"{len(frames)} frames of {FRAME_SIZE[0]}×{FRAME_SIZE[1]} × {args.rounds} rounds · "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"bare loop {bare_fps:7.1f} fps · live {live_fps:7.1f} fps · live/bare "
          f"{live_fps / bare_fps:.2f} (target ≥ 0.60)")


if __name__ == "__main__":
    main()
