"""Opening photos: every format and mode as 8-bit RGB, huge images downscaled, clear errors."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz import images
from cnnviz.images import ImageError, first_image, load_image, sample_images

ROOT = Path(__file__).resolve().parent.parent
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def pixels(image: Image.Image) -> np.ndarray:
    assert image.mode == "RGB"
    return np.asarray(image).astype(int)


def saved(image: Image.Image, path: Path, **options: object) -> Path:
    image.save(path, **options)
    return path


@pytest.mark.parametrize("suffix", ["png", "jpg", "bmp", "gif", "webp", "tiff"])
def test_every_format_loads_as_rgb(tmp_path: Path, suffix: str) -> None:
    original = Image.new("RGB", (48, 32), BLUE)
    loaded = load_image(saved(original, tmp_path / f"blue.{suffix}"))
    assert loaded.size == (48, 32)
    assert np.abs(pixels(loaded) - BLUE).max() <= 8  # lossy JPEG and WebP


def test_transparent_png_pixels_become_white(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (4, 2), (255, 0, 0, 255))
    rgba.putpixel((0, 0), (255, 0, 0, 0))
    rgba.putpixel((1, 0), (0, 0, 0, 128))
    result = pixels(load_image(saved(rgba, tmp_path / "alpha.png")))
    assert tuple(result[0, 0]) == WHITE
    assert np.abs(result[0, 1] - 127).max() <= 1  # half-transparent black on white: grey
    assert tuple(result[1, 3]) == RED


def test_grey_with_alpha_is_composited_on_white() -> None:
    image = Image.new("LA", (2, 1), (0, 255))
    image.putpixel((1, 0), (0, 0))
    result = pixels(load_image(_encoded(image, "PNG")))
    assert tuple(result[0, 0]) == (0, 0, 0) and tuple(result[0, 1]) == WHITE


def test_palette_transparency_becomes_white(tmp_path: Path) -> None:
    palette = Image.new("P", (2, 1), 0)
    palette.putpalette([*RED, *GREEN] + [0] * 762)
    palette.putpixel((1, 0), 1)
    result = pixels(load_image(saved(palette, tmp_path / "p.png", transparency=0)))
    assert tuple(result[0, 0]) == WHITE and tuple(result[0, 1]) == GREEN


def test_gif_with_two_frames_shows_the_first(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (8, 8), colour).convert("P") for colour in (RED, GREEN)]
    path = saved(frames[0], tmp_path / "anim.gif", save_all=True, append_images=frames[1:],
                 duration=100)
    assert Image.open(path).n_frames == 2
    assert tuple(pixels(load_image(path))[4, 4]) == RED


@pytest.mark.parametrize("mode", ["L", "1", "CMYK"])
def test_grey_bilevel_and_cmyk_become_rgb(tmp_path: Path, mode: str) -> None:
    image = Image.new(mode, (4, 4), {"L": 200, "1": 1, "CMYK": (0, 0, 0, 0)}[mode])
    suffix = "jpg" if mode == "CMYK" else "png"
    result = pixels(load_image(saved(image, tmp_path / f"{mode}.{suffix}")))
    expected = {"L": 200, "1": 255, "CMYK": 255}[mode]
    assert np.abs(result - expected).max() <= 2


def test_16_bit_grey_gradient_is_scaled_not_clipped(tmp_path: Path) -> None:
    gradient = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (4, 1))
    image = Image.fromarray(gradient)
    assert image.mode == "I;16"
    result = pixels(load_image(saved(image, tmp_path / "deep.png")))
    row = result[0, :, 0]
    assert (result[..., 0] == result[..., 1]).all() and (result[..., 1] == result[..., 2]).all()
    assert (np.diff(row) >= 0).all() and row[0] == 0 and row[-1] == 255
    assert len(set(row.tolist())) > 250  # a clipped conversion would be almost all white
    assert abs(row[128] - 128) <= 1


@pytest.mark.parametrize(("values", "expected"), [
    (np.array([[0.0, 0.5, 1.0]], np.float32), [0, 128, 255]),  # F within 0..1: times 255
    (np.array([[-1.0, 0.0, 4.0]], np.float32), [0, 51, 255]),  # F outside: stretched
    (np.array([[0, 32896, 65535]], np.int32), [0, 128, 255]),  # I holding 16-bit values
    (np.array([[-50, 0, 200]], np.int32), [0, 51, 255]),  # other I: stretched
])
def test_32_bit_modes_are_scaled(tmp_path: Path, values: np.ndarray, expected: list[int]) -> None:
    image = Image.fromarray(values)
    assert image.mode in ("F", "I")
    result = pixels(load_image(saved(image, tmp_path / "deep.tiff")))
    assert result[0, :, 0].tolist() == expected


def test_jpeg_exif_orientation_is_applied(tmp_path: Path) -> None:
    stored = Image.new("RGB", (40, 20), BLUE)
    stored.paste(RED, (0, 0, 10, 10))  # the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    loaded = load_image(saved(stored, tmp_path / "phone.jpg", exif=exif, quality=95))
    assert loaded.size == (20, 40)
    result = pixels(loaded)
    assert np.abs(result[3, 16] - RED).max() < 40  # now the top-right corner
    assert np.abs(result[3, 3] - BLUE).max() < 40


def test_bytes_load_like_files() -> None:
    loaded = load_image(_encoded(Image.new("RGB", (5, 3), GREEN), "PNG"))
    assert loaded.size == (5, 3) and tuple(pixels(loaded)[1, 1]) == GREEN


def test_large_png_is_downscaled_to_the_cap(tmp_path: Path) -> None:
    path = saved(Image.new("RGB", (6000, 1500), GREEN), tmp_path / "wide.png")
    loaded = load_image(path)
    assert loaded.size == (images.MAX_SIDE, 1024)
    assert tuple(pixels(loaded)[500, 2000]) == GREEN


def test_huge_jpeg_is_decoded_small(tmp_path: Path) -> None:
    """12000×9000 (108 MP, over Pillow's warning limit): draft decodes it at half scale."""
    path = saved(Image.new("RGB", (12000, 9000), RED), tmp_path / "huge.jpg", quality=50)
    code = (
        "import json, resource, sys, time, warnings\n"
        "warnings.simplefilter('error')\n"
        "from cnnviz.images import load_image\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "start = time.perf_counter()\n"
        f"image = load_image({str(path)!r})\n"
        "seconds = time.perf_counter() - start\n"
        "grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
        "print(json.dumps({'size': image.size, 'kib': grown, 'seconds': seconds}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["size"] == [4096, 3072]
    full_size_kib = 12000 * 9000 * 3 // 1024
    assert report["kib"] < full_size_kib / 2, report  # half scale is a quarter of the pixels
    assert report["seconds"] < 10, report


def test_decompression_bombs_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = saved(Image.new("RGB", (100, 100), RED), tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 4000)  # 10,000 pixels: over twice the limit
    with pytest.raises(ImageError, match=r"bomb\.png.*exceeds limit"):
        load_image(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 6000)  # under twice: loads, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_image(path).size == (100, 100)


def test_bad_inputs_are_reported_by_name(tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    truncated = tmp_path / "cut.jpg"
    noise = Image.effect_noise((256, 256), 60)
    truncated.write_bytes(_encoded(noise.convert("RGB"), "JPEG")[:2000])
    truncated_png = tmp_path / "cut.png"
    truncated_png.write_bytes(_encoded(noise, "PNG")[:3000])
    folder = tmp_path / "photos.png"
    folder.mkdir()
    cases = {
        text: "not an image file",
        empty: "the file is empty",
        truncated: "damaged or truncated",
        truncated_png: "damaged or truncated",
        folder: "it is a folder",
        tmp_path / "gone.png": "no such file",
    }
    for path, reason in cases.items():
        with pytest.raises(ImageError) as raised:
            load_image(path)
        message = str(raised.value)
        assert str(path) in message and reason in message and "\n" not in message
    with pytest.raises(ImageError, match="empty"):
        load_image(b"")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = saved(Image.new("RGB", (4, 4)), tmp_path / "secret.png")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # root reads anything: fail as for a user

        def denied(*args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied", str(path))

        monkeypatch.setattr(images, "open", denied, raising=False)
    else:
        path.chmod(0)
    with pytest.raises(ImageError, match=f"{path}.*permission denied"):
        load_image(path)


def test_first_image_of_several_dropped_files(tmp_path: Path) -> None:
    text = tmp_path / "readme.txt"
    text.write_text("hello")
    cat = saved(Image.new("RGB", (4, 4)), tmp_path / "cat.png")
    dog = saved(Image.new("RGB", (4, 4)), tmp_path / "dog.jpg")
    dropped = [str(text), str(tmp_path / "vanished.png"), str(cat), str(dog)]
    assert first_image(dropped) == (str(cat), "4 files dropped: showing cat.png")
    assert first_image([str(dog)]) == (str(dog), "")
    with pytest.raises(ImageError, match="none of the 2 dropped files is an image"):
        first_image([str(text), str(tmp_path / "vanished.png")])
    with pytest.raises(ImageError, match="readme.txt: not an image"):
        first_image([str(text)])


def test_sample_images_are_found_next_to_the_package() -> None:
    samples = sample_images()
    assert [p.name for p in samples] == sorted(["astronaut.png", "chelsea.png", "coffee.png",
                                                "grace_hopper.jpg", "rocket.jpg"])
    assert all(p.is_absolute() for p in samples)
    assert load_image(samples[0]).mode == "RGB"


def _encoded(image: Image.Image, format_: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format_)
    return buffer.getvalue()
