"""Text that names a model becomes a zoo model or a model file, in one place."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from cnnviz import zoo
from cnnviz.errors import ModelFileError, UnknownModelError
from cnnviz.references import ModelFile, ZooModel, resolve_model


@pytest.mark.parametrize("text,path,attribute", [
    ("net.py:Net", "net.py", "Net"), ("dir/net.py", "dir/net.py", ""), ("model.pt", "model.pt", ""),
    ("model.PTH", "model.PTH", ""), ("model.pt2", "model.pt2", ""), ("model.ts", "model.ts", ""),
    ("model.jit", "model.jit", ""), (" net.py:Net ", "net.py", "Net"),
    ("nets.py:models.Small", "nets.py", "models.Small"),
    (r"C:\models\net.py:Net", r"C:\models\net.py", "Net")])
def test_model_files_are_told_from_zoo_names(text: str, path: str, attribute: str) -> None:
    resolved = resolve_model(text)
    assert resolved == ModelFile(str(Path(path).absolute()), attribute)
    assert os.path.isabs(resolved.path)


@pytest.mark.parametrize("text,name", [
    ("resnet50", "resnet50"), ("ResNet-50", "resnet50"), ("vgg16_bn", "vgg16_bn"),
    ("googlenet", "googlenet")])
def test_zoo_names_and_aliases_resolve_to_their_spec(text: str, name: str) -> None:
    assert resolve_model(text) == ZooModel(zoo.get_spec(name))


@pytest.mark.parametrize("text,error,words", [
    ("photo.png", UnknownModelError, "unknown model 'photo.png'"),
    ("resnt50", UnknownModelError, "did you mean resnet50"),
    ("", UnknownModelError, "no model named"),
    ("net.py:", ModelFileError, "net.py:: after the colon"),
    ("net.py:not-a-name", ModelFileError, "net.py:not-a-name: after the colon")])
def test_other_text_is_a_typed_one_line_error(text: str, error: type, words: str) -> None:
    with pytest.raises(error) as raised:
        resolve_model(text)
    assert words in str(raised.value) and "\n" not in str(raised.value)


def test_what_downstream_asks_of_a_reference(tmp_path) -> None:
    script, saved = resolve_model(f"{tmp_path}/net.py:Net"), resolve_model(f"{tmp_path}/m.pt")
    assert (script.label, saved.label) == ("net.py:Net", "m.pt")
    assert script.watched_file == str(tmp_path / "net.py") and saved.watched_file is None
    assert script.zoo_name is None and saved.origin == str(tmp_path / "m.pt")
    resnet = resolve_model("resnet50")
    assert (resnet.label, resnet.zoo_name, resnet.watched_file) == ("ResNet-50", "resnet50", None)
