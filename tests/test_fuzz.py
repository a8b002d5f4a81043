"""Hundreds of bad files through the image and model loaders the app uses: random bytes,
truncated images and saved models, empty files, wrong extensions, folders. Each must end in
a one-line CnnvizError that names the file, never in another exception.

The files are generated from a seeded random generator, so a failure can be reproduced."""
from __future__ import annotations

import io
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn

from cnnviz import images, sources
from cnnviz.errors import CnnvizError
from cnnviz.references import ModelFile

SEED = 20240611
EXTENSIONS = (".png", ".jpg", ".pt", ".pth", ".pt2", ".py", ".ts")
RANDOM_FILES_PER_EXTENSION = 20
CUTS = (0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98)


@dataclass(frozen=True)
class BadFile:
    """A file that is bad for the image loader, the model loader, or both."""

    path: Path
    bad_image: bool = True
    bad_model: bool = True


def tiny_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, 2)).eval()


def png_bytes(rng: random.Random) -> bytes:
    image = Image.new("RGB", (64, 48))
    image.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(64 * 48)])
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(rng: random.Random) -> bytes:
    image = Image.new("RGB", (64, 48))
    image.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(64 * 48)])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def saved_models(folder: Path) -> dict[str, bytes]:
    """The bytes of a real model saved every way torch saves one."""
    model, example = tiny_model(), torch.zeros(1, 3, 8, 8)
    files = {
        "state_dict.pt": lambda p: torch.save(model.state_dict(), p),
        "module.pth": lambda p: torch.save(model, p),
        "scripted.ts": lambda p: torch.jit.save(torch.jit.script(model), str(p)),
        "exported.pt2": lambda p: torch.export.save(torch.export.export(model, (example,)), p),
    }
    contents = {}
    for name, save in files.items():
        save(folder / name)
        contents[name] = (folder / name).read_bytes()
    return contents


def bad_files(folder: Path) -> list[BadFile]:
    rng = random.Random(SEED)
    made: list[BadFile] = []

    def put(name: str, data: bytes, **bad: bool) -> None:
        path = folder / name
        path.write_bytes(data)
        made.append(BadFile(path, **bad))

    for extension in EXTENSIONS:
        for i in range(RANDOM_FILES_PER_EXTENSION):
            put(f"random_{i}{extension}", rng.randbytes(rng.choice([1, 7, 64, 512, 4096])))
        put(f"empty{extension}", b"")
        (folder / f"folder{extension}").mkdir()
        made.append(BadFile(folder / f"folder{extension}"))
    originals_folder = folder / "originals"
    originals_folder.mkdir()
    png, jpeg = png_bytes(rng), jpeg_bytes(rng)
    originals = {"photo.png": png, "photo.jpg": jpeg, **saved_models(originals_folder)}
    for name, data in originals.items():
        stem, extension = os.path.splitext(name)
        for cut in CUTS:
            put(f"{stem}_cut{int(cut * 100)}{extension}", data[:int(len(data) * cut)])
    # Wrong extensions: images named as models, models named as images (they open as models:
    # the kind is told from the content).
    for extension in (".pt", ".pth", ".pt2", ".py", ".ts", ".jit"):
        put(f"photo_png{extension}", png, bad_image=False)
        put(f"photo_jpg{extension}", jpeg, bad_image=False)
    for name, data in originals.items():
        if name.endswith((".pt", ".pth", ".pt2", ".ts")):
            for extension in (".png", ".jpg"):
                put(f"{name.replace('.', '_')}{extension}", data,
                    bad_model=name == "state_dict.pt")
    put("text.pt", b"def forward(x):\n    return x\n")
    put("zip_of_nothing.pt", b"PK\x05\x06" + bytes(18))
    return made


def check(call: Callable[[], object], path: Path) -> None:
    try:
        call()
    except CnnvizError as error:
        message = str(error)
        assert "\n" not in message, f"{path.name}: {message!r}"
        assert path.name in message, f"{path.name}: {message!r}"
    else:
        pytest.fail(f"{path.name} opened without an error")


def test_every_bad_file_ends_in_one_clear_error(tmp_path) -> None:
    files = bad_files(tmp_path)
    assert len(files) >= 200
    for bad in files:
        if bad.bad_image:
            check(lambda: images.load_image(bad.path), bad.path)
        if bad.bad_model:
            check(lambda: sources.load_user_model(ModelFile(str(bad.path))), bad.path)
            check(lambda: sources.load_user_model(ModelFile(str(bad.path)), trust=True), bad.path)
