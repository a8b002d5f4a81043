"""``cnnviz live``: each frame's classes equal ``cnnviz predict`` on that frame saved as a PNG,
its maps equal ``cnnviz activations --maps``; frames the network had no time for are dropped
and counted; bad input is one line."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from cnnviz import images, live_command, video
from cnnviz.cli import main

PHOTOS = ("chelsea.png", "astronaut.png", "coffee.png", "rocket.jpg", "grace_hopper.jpg")
LAYER = "layer3_1_conv2"


def write_video(path: Path, frames: list[np.ndarray], fps: float) -> None:
    """RGB frames into a lossless FFV1 Matroska file."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), fps, (width, height))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()


def decoded_frames(path: Path) -> list[np.ndarray]:
    """The file's frames as OpenCV decodes them, in RGB."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample photos as five frames of a 160×120 video at 10 fps."""
    path = tmp_path_factory.mktemp("video") / "photos.mkv"
    frames = [np.asarray(images.load_image(images.SAMPLES_DIR / name).resize((160, 120)))
              for name in PHOTOS]
    write_video(path, frames, fps=10.0)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def live_json(capsys, checkpoint: str, *args: str) -> tuple[list[dict], dict]:
    status, out, err = run(capsys, "live", "resnet18", "--weights", checkpoint, "--json", *args)
    assert status == 0 and err == ""
    lines = [json.loads(line) for line in out.splitlines()]
    assert all(list(line) == ["frame", "top", "ms"] for line in lines[:-1])
    assert list(lines[-1]) == ["frames", "dropped", "fps"]
    assert lines[-1]["frames"] == len(lines) - 1
    return lines[:-1], lines[-1]


def test_each_frame_predicts_as_the_frame_saved_as_a_photo(capsys, checkpoint, clip,
                                                            tmp_path: Path) -> None:
    frames, summary = live_json(capsys, checkpoint, "--video", str(clip))
    decoded = decoded_frames(clip)
    assert summary["frames"] + summary["dropped"] == len(decoded) == len(PHOTOS)
    assert [line["frame"] for line in frames] == sorted({line["frame"] for line in frames})
    for line in frames:
        png = tmp_path / f"frame{line['frame']}.png"
        Image.fromarray(decoded[line["frame"]]).save(png)
        status, out, _ = run(capsys, "predict", "resnet18", str(png), "--weights", checkpoint,
                             "--json")
        photo = json.loads(out)["top"]
        assert status == 0 and line["ms"] > 0
        assert line["top"][0]["index"] == photo[0]["index"]
        assert [entry["index"] for entry in line["top"]] == [entry["index"] for entry in photo]
        np.testing.assert_allclose([entry["prob"] for entry in line["top"]],
                                   [entry["prob"] for entry in photo], rtol=1e-5)


def test_frames_limits_the_frames_read(capsys, checkpoint, clip) -> None:
    frames, summary = live_json(capsys, checkpoint, "--video", str(clip), "--frames", "2")
    assert summary["frames"] + summary["dropped"] == 2
    assert frames[0]["frame"] == 0 and frames[-1]["frame"] == 1


def test_a_video_faster_than_the_network_drops_frames(capsys, checkpoint,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "fast.mkv"
    generator = np.random.default_rng(0)
    write_video(path, [generator.integers(0, 256, (32, 32, 3), dtype=np.uint8)
                       for _ in range(40)], fps=1000.0)
    frames, summary = live_json(capsys, checkpoint, "--video", str(path))
    assert summary["dropped"] > 0
    assert summary["frames"] + summary["dropped"] == 40
    assert frames[-1]["frame"] == 39  # the newest frame wins: the last is never dropped


def test_a_slower_runner_is_given_the_newest_frame_only(clip) -> None:
    ran: list[int] = []

    def slow(index: int, frame: np.ndarray) -> int:
        time.sleep(0.25)  # two and a half frames of the 10 fps video
        ran.append(index)
        return index

    summary = live_command.play(video.open_source(str(clip)), slow, lambda result: None)
    assert summary.frames == len(ran) and summary.dropped > 0
    assert summary.frames + summary.dropped == len(PHOTOS)
    assert ran[0] == 0 and ran[-1] == len(PHOTOS) - 1 and ran == sorted(ran)
    assert 0 < summary.fps <= 4.0  # frames over the time they took: at most 1 / 0.25 s


def test_ctrl_c_ends_the_run_with_its_summary_and_no_thread_left(clip) -> None:
    def interrupted(index: int, frame: np.ndarray) -> int:
        if index == 2:
            raise KeyboardInterrupt
        return index

    summary = live_command.play(video.open_source(str(clip)), interrupted, lambda result: None)
    assert summary.frames == 2
    assert not [t for t in threading.enumerate() if t.name.startswith("capture ")]


def test_output_writes_each_frames_maps_as_activations_maps_does(capsys, checkpoint, clip,
                                                                 tmp_path: Path) -> None:
    out_dir = tmp_path / "maps"
    out_dir.mkdir()
    status, out, err = run(capsys, "live", "resnet18", "--weights", checkpoint, "--video",
                           str(clip), "--layer", LAYER, "-o", str(out_dir), "--frames", "3")
    assert status == 0 and err == ""
    lines = out.splitlines()
    shown = [int(line.split()[1]) for line in lines[:-1]]
    assert all(line.startswith("frame ") for line in lines[:-1])
    assert lines[-1].startswith(f"{len(shown)} frames run, ")
    assert sorted(p.name for p in out_dir.iterdir()) == [f"frame_{i:06d}.npy" for i in shown]
    decoded = decoded_frames(clip)
    for index in shown:
        png, expected = tmp_path / f"frame{index}.png", tmp_path / f"expected{index}.npy"
        Image.fromarray(decoded[index]).save(png)
        assert run(capsys, "activations", "resnet18", str(png), "--layer", LAYER, "--maps",
                   "-o", str(expected), "--weights", checkpoint)[0] == 0
        saved = np.load(out_dir / f"frame_{index:06d}.npy")
        assert saved.shape == (256, 14, 14)
        np.testing.assert_allclose(saved, np.load(expected), rtol=1e-5, atol=1e-6)


def test_bad_input_is_one_line_and_status_1(capsys, checkpoint, clip, tmp_path: Path) -> None:
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(np.random.default_rng(1).bytes(10_000))
    truncated = tmp_path / "cut.mkv"
    truncated.write_bytes(clip.read_bytes()[:clip.stat().st_size // 2])
    cases = [
        (["--video", str(noise)], f"cannot read video {noise}: "),
        (["--video", str(truncated)], f"cannot read video {truncated}: "),
        (["--video", str(tmp_path / "gone.mkv")], "no such file: "),
        (["--video", str(clip), "-o", str(tmp_path)], "-o needs --layer"),
        (["--video", str(clip), "--layer", LAYER, "-o", str(tmp_path / "no")],
         "cannot write into "),
        (["--video", str(clip), "--layer", "layer9"], "no layer 'layer9' in resnet18"),
        (["--video", str(clip), "--frames", "0"], "--frames must be 1 or more"),
    ]
    if not video.list_cameras():
        cases.append((["--video", "camera:0"], video.NO_CAMERA))
    if not torch.cuda.is_available():
        cases.append((["--video", str(clip), "--device", "cuda"], "cuda is not available"))
    for arguments, start in cases:
        status, _, err = run(capsys, "live", "resnet18", "--weights", checkpoint, *arguments)
        assert status == 1, arguments
        assert err.startswith(f"cnnviz: error: {start}") and err.count("\n") == 1, err

