"""``cnnviz predict``, ``cnnviz activations`` and ``cnnviz gradcam``: outputs checked against the
model itself and the library."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnviz import gradcam, images, inference, maps, session, zoo
from cnnviz import graph as g
from cnnviz.cli import main

CAT = str(images.SAMPLES_DIR / "chelsea.png")


@pytest.fixture(scope="module")
def loaded(checkpoint: str) -> session.LoadedModel:
    return session.ModelRequest.of("resnet18", checkpoint).load()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_predict_json_lists_the_most_probable_classes_first(capsys, checkpoint, loaded) -> None:
    status, out, err = run(capsys, "predict", "resnet18", CAT, "--weights", checkpoint,
                           "--topk", "3", "--json")
    assert status == 0 and err == ""
    result = json.loads(out)
    assert list(result) == ["model", "image", "top"]
    assert result["model"] == "resnet18" and result["image"] == CAT
    assert all(list(entry) == ["index", "label", "prob"] for entry in result["top"])
    prepared = inference.prepare(images.load_image(CAT), loaded.spec.preprocessing)
    with torch.inference_mode():
        expected = torch.topk(torch.softmax(loaded.model(prepared.tensor)[0], 0), 3)
    categories = zoo.categories(zoo.get_spec("resnet18"))
    assert [e["index"] for e in result["top"]] == expected.indices.tolist()
    assert [e["label"] for e in result["top"]] == [categories[i] for i in expected.indices]
    np.testing.assert_allclose([e["prob"] for e in result["top"]], expected.values, rtol=1e-5)


def test_predict_prints_a_table(capsys) -> None:
    status, out, _ = run(capsys, "predict", "resnet18", CAT)
    lines = out.splitlines()
    assert status == 0
    assert lines[0] == f"ResNet-18 (resnet18) · {CAT} · weights: random"
    assert lines[1].split() == ["class", "index", "probability"]
    assert len(lines) == 3 + inference.TOP_K + 1 and lines[-1].startswith("Random weights")
    assert all(line.endswith("%") for line in lines[3:-1])


def test_activations_saves_the_layer_output(capsys, checkpoint, loaded, tmp_path: Path) -> None:
    path = tmp_path / "relu.npy"
    status, out, err = run(capsys, "activations", "resnet18", CAT, "--layer", "layer2_0_relu",
                           "-o", str(path), "--weights", checkpoint)
    assert status == 0 and err == ""
    assert out.strip() == f"wrote {path}: layer2_0_relu, float32 1×128×28×28"
    saved = np.load(path)
    prepared = inference.prepare(images.load_image(CAT), loaded.spec.preprocessing)
    assert saved.dtype == np.float32 and saved.shape == (1, 128, 28, 28)
    np.testing.assert_array_equal(saved, inference.capture(loaded, prepared, "layer2_0_relu"))


def test_activations_maps_is_the_stack_the_panel_shows(capsys, checkpoint, loaded,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "maps.npy"
    status, out, err = run(capsys, "activations", "resnet18", CAT, "--layer", "fc", "--maps",
                           "-o", str(path), "--weights", checkpoint)
    assert status == 0 and err == ""
    assert out.strip() == f"wrote {path}: fc maps, float32 1×25×40"
    prepared = inference.prepare(images.load_image(CAT), loaded.spec.preprocessing)
    expected = maps.as_maps(inference.capture(loaded, prepared, "fc")[0],
                            loaded.graph.nodes["fc"][g.LAYOUT]).maps
    np.testing.assert_array_equal(np.load(path), expected)


def test_gradcam_writes_the_top_class_map(capsys, checkpoint, loaded, tmp_path: Path) -> None:
    path = tmp_path / "cam.npy"
    status, out, err = run(capsys, "gradcam", "resnet18", CAT, "--layer", "layer4_1_relu_1",
                           "-o", str(path), "--weights", checkpoint)
    prepared = inference.prepare(images.load_image(CAT), loaded.spec.preprocessing)
    top = int(inference.predict(loaded, prepared).argmax())
    label = zoo.categories(loaded.spec)[top]
    assert status == 0 and err == ""
    assert out.strip() == f"wrote {path}: Grad-CAM at layer4_1_relu_1 for {label} ({top})"
    saved = np.load(path)
    assert saved.dtype == np.float32 and saved.shape == (224, 224)
    assert saved.min() >= 0 and saved.max() == 1
    np.testing.assert_array_equal(saved, gradcam.grad_cam(loaded, prepared, "layer4_1_relu_1",
                                                          top))


def test_gradcam_png_is_the_overlay_the_app_shows(capsys, checkpoint, loaded,
                                                  tmp_path: Path) -> None:
    path = tmp_path / "cam.png"
    status, out, err = run(capsys, "gradcam", "resnet18", CAT, "--layer", "layer3_1_conv2",
                           "--class", "Tabby", "-o", str(path), "--weights", checkpoint)
    assert status == 0 and err == ""
    assert out.strip() == f"wrote {path}: Grad-CAM at layer3_1_conv2 for tabby (281)"
    prepared = inference.prepare(images.load_image(CAT), loaded.spec.preprocessing)
    heat = gradcam.grad_cam(loaded, prepared, "layer3_1_conv2", 281)
    np.testing.assert_array_equal(
        np.asarray(Image.open(path)),
        maps.overlay(prepared.shown, heat, maps.OVERLAY_OPACITY))


@pytest.mark.parametrize(("arguments", "message"), [
    (["predict", "resnet18", "{text}"], "cannot open {text}: not an image file"),
    (["predict", "resnet18", CAT, "--topk", "0"], "--topk must be between 1 and 1000, not 0"),
    (["predict", "resnet18", CAT, "--topk", "1001"], "--topk must be between 1 and 1000"),
    (["activations", "resnet18", "{missing}", "--layer", "fc", "-o", "{out}"],
     "cannot open {missing}: no such file"),
    (["activations", "resnet18", CAT, "--layer", "layer1_0_conv", "-o", "{out}"],
     "no layer 'layer1_0_conv' in resnet18: did you mean layer1_0_conv2, layer1_0_conv1"),
    (["activations", "resnet18", CAT, "--layer", "fc", "-o", "{tmp}/nowhere/fc.npy"],
     "cannot write {tmp}/nowhere/fc.npy: folder {tmp}/nowhere does not exist"),
    (["gradcam", "resnet18", CAT, "--layer", "layer4_1_relu_", "-o", "{out}"],
     "no layer 'layer4_1_relu_' in resnet18: did you mean layer4_1_relu_1, layer4_1_relu"),
    (["gradcam", "resnet18", CAT, "--layer", "fc", "-o", "{out}"],
     ("Grad-CAM needs a layer with a spatial reading; fc outputs 1×1000 (NC): try "
      "layer4_1_relu_1, the last one")),
    (["gradcam", "resnet18", CAT, "--layer", "layer4_1_relu_1", "--class", "1000", "-o", "{out}"],
     "class index 1000 is out of range: the model has 1000 classes"),
    (["gradcam", "resnet18", CAT, "--layer", "layer4_1_relu_1", "--class", "tabbby", "-o",
      "{out}"], "no class 'tabbby': did you mean tabby, tray?"),
    (["gradcam", "resnet18", "{text}", "--layer", "layer4_1_relu_1", "-o", "{out}"],
     "cannot open {text}: not an image file"),
    (["gradcam", "resnet18", CAT, "--layer", "layer4_1_relu_1", "-o", "{tmp}/out.jpg"],
     "cannot write {tmp}/out.jpg: the extension must be .npy or .png"),
    (["gradcam", "resnet18", CAT, "--layer", "layer4_1_relu_1", "-o", "{tmp}/nowhere/out.png"],
     "cannot write {tmp}/nowhere/out.png: folder {tmp}/nowhere does not exist"),
])
def test_bad_input_gives_one_line_on_stderr(capsys, tmp_path: Path, arguments: list[str],
                                            message: str) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    names = {"text": text, "missing": tmp_path / "gone.jpg", "out": tmp_path / "out.npy",
             "tmp": tmp_path}
    status, out, err = run(capsys, *(a.format(**names) for a in arguments))
    assert status == 1 and out == ""
    assert err.startswith(f"cnnviz: error: {message.format(**names)}") and err.count("\n") == 1
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]
