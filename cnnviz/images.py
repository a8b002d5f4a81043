"""Photos for inference: open what Pillow reads as an 8-bit RGB image, with one-line errors.

What :func:`load_image` does to an image, in order:

- JPEG: decodes at 1/2, 1/4 or 1/8 scale (``Image.draft``) when that still leaves the longest
  side at or above :data:`MAX_SIDE`, so a huge photo never exists at full size in memory.
- EXIF orientation is applied (phone photos stand upright).
- Animated GIF and WebP, multi-page TIFF: the first frame.
- Transparency (RGBA, LA, PA, palette or single-colour transparency) is composited on white.
- 16-bit and 32-bit images (modes ``I;16``, ``I``, ``F``) are scaled to 8 bits rather than
  clipped: unsigned 16-bit values by 255/65535; ``I`` images with values in 0..65535 likewise
  (16-bit files that Pillow opens as ``I``); other ``I`` images and ``F`` images outside 0..1
  are stretched from their minimum to their maximum; ``F`` images within 0..1 are scaled by 255.
- Images whose longest side exceeds :data:`MAX_SIDE` are downscaled to it.

Decompression bombs: Pillow's own limit stays in force (``Image.MAX_IMAGE_PIXELS``, about 89
megapixels, left unchanged because it is process-wide). Images up to twice that are decoded
and downscaled (Pillow's ``DecompressionBombWarning`` is silenced for them); larger ones are
refused with an :class:`ImageError`, JPEGs included, even though ``draft`` could decode them
small.
"""
from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cnnviz.errors import CnnvizError

# Longest side of a loaded image; the networks see 224 to 518 pixels.
MAX_SIDE = 4096
# File name endings of the bundled samples.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
SAMPLES_DIR = Path(__file__).resolve().parent.parent / "resources" / "samples"

_HIGH_DEPTH_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
_ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")
_WHITE = (255, 255, 255, 255)
# What Pillow's decoders raise on damaged or truncated data.
_DECODING_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError)

Source = str | os.PathLike[str] | bytes


class ImageError(CnnvizError):
    """A file or piece of data that cannot be opened as an image."""


def load_image(source: Source) -> Image.Image:
    """The image in a file (or in ``bytes``) as 8-bit RGB, upright, at most MAX_SIDE on a side.

    Raises :class:`ImageError` naming the file for anything that is not a readable image.
    """
    name = _describe(source)
    with _opened(source, name) as image:
        try:
            image.draft(None, (MAX_SIDE, MAX_SIDE))  # JPEG only: decode at a reduced scale
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
            rgb = _to_rgb(image)
        except _DECODING_ERRORS as error:
            raise ImageError(f"cannot read {name}: the image is damaged or truncated "
                             f"({_reason(error)})") from error
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    return rgb


def first_image(paths: list[str]) -> tuple[str, str]:
    """Of several dropped files, the first that opens as an image, and a note on the choice.

    The note is empty for a single file, else like ``3 files dropped: showing cat.png``. Only
    the header is read here; :func:`load_image` reports a file damaged further in.
    """
    if not paths:
        raise ImageError("no files were dropped")
    errors: list[ImageError] = []
    for path in paths:
        try:
            with _opened(path, os.fspath(path)):
                pass
        except ImageError as error:
            errors.append(error)
            continue
        shown = os.path.basename(path)
        return path, f"{len(paths)} files dropped: showing {shown}" if len(paths) > 1 else ""
    if len(paths) == 1:
        raise errors[0]
    names = ", ".join(os.path.basename(p) for p in paths[:3]) + (", …" if len(paths) > 3 else "")
    raise ImageError(f"none of the {len(paths)} dropped files is an image ({names})")


def sample_images() -> list[Path]:
    """The sample photos bundled in ``resources/samples``, sorted by name."""
    if not SAMPLES_DIR.is_dir():
        return []
    return sorted(path for path in SAMPLES_DIR.iterdir()
                  if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file())


def _describe(source: Source) -> str:
    if isinstance(source, bytes):
        return f"the dropped image data ({len(source):,} bytes)"
    return os.fspath(source)


@contextmanager
def _opened(source: Source, name: str) -> Iterator[Image.Image]:
    """The lazily opened image (header read, pixels not decoded); the file closes on exit."""
    with _binary_file(source, name) as file:
        try:
            with warnings.catch_warnings():
                # Up to twice Pillow's pixel limit: decoded, then downscaled (module docstring).
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(file)
        except UnidentifiedImageError as error:
            raise ImageError(f"cannot open {name}: not an image file "
                             "(PNG, JPEG, BMP, GIF, WebP, TIFF, …)") from error
        except Image.DecompressionBombError as error:
            raise ImageError(f"cannot open {name}: {_reason(error)}") from error
        except _DECODING_ERRORS as error:
            raise ImageError(f"cannot open {name}: the image header is damaged "
                             f"({_reason(error)})") from error
        yield image


@contextmanager
def _binary_file(source: Source, name: str) -> Iterator[BinaryIO]:
    if isinstance(source, bytes):
        if not source:
            raise ImageError(f"cannot open {name}: it is empty")
        yield io.BytesIO(source)
        return
    if os.path.isdir(source):
        raise ImageError(f"cannot open {name}: it is a folder, not an image file")
    try:
        file = open(source, "rb")
    except FileNotFoundError as error:
        raise ImageError(f"cannot open {name}: no such file") from error
    except PermissionError as error:
        raise ImageError(f"cannot open {name}: permission denied") from error
    except OSError as error:
        raise ImageError(f"cannot open {name}: {error.strerror or error}") from error
    with file:
        if os.fstat(file.fileno()).st_size == 0:
            raise ImageError(f"cannot open {name}: the file is empty")
        yield file


def _to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB: high bit depths scaled, transparency composited on white."""
    if image.mode in _HIGH_DEPTH_MODES:
        return Image.fromarray(_to_8_bit(np.asarray(image))).convert("RGB")
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, _WHITE), rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def _to_8_bit(pixels: np.ndarray) -> np.ndarray:
    """Grey levels of a 16-bit, 32-bit integer or float image mapped onto 0..255."""
    values = np.nan_to_num(pixels.astype(np.float32))
    low, high = float(values.min()), float(values.max())
    if pixels.dtype.kind in "ui" and low >= 0 and high <= 65535:
        scaled = values / np.float32(257)  # 65535 / 255
    elif pixels.dtype.kind == "f" and low >= 0 and high <= 1:
        scaled = values * np.float32(255)
    else:
        scaled = (values - low) * np.float32(255 / (high - low)) if high > low else values * 0
    return np.rint(scaled).astype(np.uint8)


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
