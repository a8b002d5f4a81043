"""Frame sources: videos written with OpenCV come back pixel for pixel, folders play in natural
order, and every bad source is one specific line."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from cnnviz import video
from cnnviz.errors import CnnvizError


def write_video(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> None:
    """RGB frames into a lossless FFV1 Matroska file."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), fps, (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(np.ascontiguousarray(frame[:, :, ::-1]))
    writer.release()


def random_frames(count: int, seed: int = 0, size: tuple[int, int] = (48, 64)) -> list[np.ndarray]:
    generator = np.random.default_rng(seed)
    return [generator.integers(0, 256, (*size, 3), dtype=np.uint8) for _ in range(count)]


def read_all(source: video.FrameSource) -> list[np.ndarray]:
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    return frames


def test_a_lossless_video_round_trips_pixel_for_pixel_in_rgb(tmp_path: Path) -> None:
    frames = random_frames(6)
    frames[0][:] = (255, 0, 0)  # pure red: catches a BGR/RGB swap
    path = tmp_path / "clip.mkv"
    write_video(path, frames, fps=12.0)
    with video.open_source(str(path)) as source:
        assert (source.describe, source.fps, source.frame_count) == ("clip.mkv", 12.0, 6)
        assert not source.is_camera
        decoded = read_all(source)
        assert len(decoded) == 6
        for got, expected in zip(decoded, frames):
            assert got.dtype == np.uint8 and got.shape == (48, 64, 3)
            np.testing.assert_array_equal(got, expected)
        source.rewind()
        np.testing.assert_array_equal(source.read(), frames[0])


def test_a_folder_plays_its_images_in_natural_order(tmp_path: Path) -> None:
    frames = random_frames(3, seed=1)
    for number, frame in zip((2, 10, 1), frames):
        Image.fromarray(frame).save(tmp_path / f"frame{number}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    with video.open_source(str(tmp_path)) as source:
        assert source.describe == f"folder {tmp_path.name}/ (3 images)"
        assert source.frame_count == 3 and source.fps is None
        decoded = read_all(source)
    for got, expected in zip(decoded, (frames[2], frames[0], frames[1])):  # 1, 2, 10
        np.testing.assert_array_equal(got, expected)
    assert len(decoded) == 3


def one_line_error(text: str) -> str:
    with pytest.raises(CnnvizError) as raised:
        with video.open_source(text) as source:
            read_all(source)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_random_bytes_named_mp4_are_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(0).bytes(20_000))
    assert one_line_error(str(path)).startswith(f"cannot read video {path}: ")


def test_a_truncated_video_says_how_far_it_got(tmp_path: Path) -> None:
    path = tmp_path / "clip.mkv"
    write_video(path, random_frames(10))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    message = one_line_error(str(path))
    assert message.startswith(f"cannot read video {path}: truncated after ")
    assert message.endswith(" of 10 frames")


def test_missing_files_empty_folders_and_bad_images(tmp_path: Path) -> None:
    assert one_line_error(str(tmp_path / "gone.mp4")) == f"no such file: {tmp_path / 'gone.mp4'}"
    assert one_line_error(str(tmp_path)).startswith(f"no images in folder {tmp_path}")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert "broken.png" in one_line_error(str(tmp_path))


def test_no_camera_here() -> None:
    if video.list_cameras():
        pytest.skip("this machine has a camera")
    assert one_line_error("camera:0") == video.NO_CAMERA
    assert one_line_error("camera:x").startswith("bad camera 'camera:x'")
