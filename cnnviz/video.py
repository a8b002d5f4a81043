"""Frame sources for live runs: a camera, a video file or a folder of images, read through
OpenCV (its FFmpeg build reads mp4, avi, mkv, webm, ...).

A source hands out frames one at a time as RGB uint8 (H, W, 3) arrays. Every failure is a
:class:`~cnnviz.errors.CnnvizError` with one specific line. OpenCV is imported on first use,
with its and FFmpeg's own logging silenced so that nothing but that line reaches the user.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from types import ModuleType

import numpy as np

from cnnviz import images
from cnnviz.errors import CnnvizError

NO_CAMERA = "no camera found"
CAMERA_PREFIX = "camera:"
# A stream whose header promised more frames than this many beyond those read is truncated
# (containers such as Matroska estimate the count from the duration, off by one at times).
_COUNT_SLACK = 1


class FrameSource:
    """Frames from a camera, a video file or a folder of images (see :func:`open_source`).

    ``fps`` is the nominal frame rate (None when unknown), ``frame_count`` the number of
    frames (None when unknown, as for cameras). :meth:`read` returns the next frame, RGB
    uint8 (H, W, 3), or None at the end.
    """

    describe: str
    fps: float | None = None
    frame_count: int | None = None
    is_camera: bool = False

    def read(self) -> np.ndarray | None:
        raise NotImplementedError

    def rewind(self) -> None:
        """Start again from the first frame."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file or device."""

    def __enter__(self) -> "FrameSource":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_source(text: str) -> FrameSource:
    """``camera:N`` opens camera N; an existing folder plays its images; anything else is a
    video file."""
    if text.startswith(CAMERA_PREFIX):
        number = text[len(CAMERA_PREFIX):]
        if not number.isdigit():
            raise CnnvizError(f"bad camera {text!r}: write camera:N, e.g. camera:0")
        return _Capture(int(number), f"camera {number}", is_camera=True)
    if os.path.isdir(text):
        return _ImageFolder(text)
    if not os.path.exists(text):
        raise CnnvizError(f"no such file: {text}")
    return _Capture(text, os.path.basename(text), is_camera=False)


def list_cameras(limit: int = 5) -> list[int]:
    """The camera indices below ``limit`` that open."""
    cv2 = _cv2()
    found = []
    for index in range(limit):
        capture = cv2.VideoCapture(index)
        if capture.isOpened():
            found.append(index)
        capture.release()
    return found


class _Capture(FrameSource):
    """A camera or a video file through ``cv2.VideoCapture``."""

    def __init__(self, target: int | str, describe: str, is_camera: bool) -> None:
        cv2 = _cv2()
        self.describe, self.is_camera = describe, is_camera
        self._capture = cv2.VideoCapture(target)
        self._read_count = 0
        if not self._capture.isOpened():
            self._capture.release()
            if is_camera:
                found = list_cameras()
                raise CnnvizError(NO_CAMERA if not found else f"no camera {target} (cameras "
                                  f"found: {', '.join(map(str, found))})")
            raise CnnvizError(f"cannot read video {target}: not a video OpenCV can decode, "
                              f"or the file is corrupt")
        if not is_camera:
            fps = self._capture.get(cv2.CAP_PROP_FPS)
            count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
            self.fps = fps if fps > 0 else None
            self.frame_count = count if count > 0 else None
            self._target = target

    def read(self) -> np.ndarray | None:
        ok, frame = self._capture.read()
        if not ok or frame is None:
            self._check_complete()
            return None
        self._read_count += 1
        return np.ascontiguousarray(frame[:, :, 2::-1] if frame.ndim == 3 else
                                    np.repeat(frame[:, :, np.newaxis], 3, axis=2))

    def _check_complete(self) -> None:
        """A one-line error when a video ends long before its header said it would."""
        if self.is_camera:
            raise CnnvizError(f"{self.describe} stopped sending frames")
        if self._read_count == 0:
            raise CnnvizError(f"cannot read video {self._target}: no frame decodes "
                              f"(corrupt or truncated)")
        if self.frame_count is not None and self._read_count < self.frame_count - _COUNT_SLACK:
            raise CnnvizError(f"cannot read video {self._target}: truncated after "
                              f"{self._read_count} of {self.frame_count} frames")

    def rewind(self) -> None:
        if self.is_camera:
            raise CnnvizError(f"{self.describe} is live: it cannot be rewound")
        self._capture.set(_cv2().CAP_PROP_POS_FRAMES, 0)
        self._read_count = 0

    def close(self) -> None:
        self._capture.release()


class _ImageFolder(FrameSource):
    """The images of a folder, in natural order (``frame2`` before ``frame10``), as frames."""

    def __init__(self, folder: str) -> None:
        paths = sorted((path for path in Path(folder).iterdir()
                        if path.suffix.lower() in images.IMAGE_SUFFIXES and path.is_file()),
                       key=_natural_key)
        if not paths:
            raise CnnvizError(f"no images in folder {folder} (looked for "
                              f"{', '.join(images.IMAGE_SUFFIXES)})")
        self._paths = paths
        self._next = 0
        self.frame_count = len(paths)
        count = f"{len(paths)} image{'s' if len(paths) > 1 else ''}"
        self.describe = f"folder {Path(folder).name}/ ({count})"

    def read(self) -> np.ndarray | None:
        if self._next >= len(self._paths):
            return None
        path = self._paths[self._next]
        self._next += 1
        return np.asarray(images.load_image(str(path)), dtype=np.uint8)

    def rewind(self) -> None:
        self._next = 0


def _natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part.casefold()
            for part in re.split(r"(\d+)", path.name)]


def _cv2() -> ModuleType:
    """OpenCV, its own and FFmpeg's log messages silenced (they would add lines to ours)."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    return cv2
