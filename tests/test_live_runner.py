"""A live frame through the network equals the still-photo path: predictions against a plain
forward pass, maps against a forward hook, Grad-CAM against ``gradcam.grad_cam``."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from cnnviz import gradcam, images, inference, maps, session
from cnnviz import graph as g
from cnnviz.errors import CnnvizError
from cnnviz.live import LiveRunner

LAYER = "layer2_0_conv1"


@pytest.fixture(scope="module")
def loaded() -> session.LoadedModel:
    torch.manual_seed(0)
    return session.ModelRequest.of("resnet18").load()


@pytest.fixture(scope="module")
def frame() -> np.ndarray:
    """A video-sized frame: not square, so the centre crop matters."""
    photo = images.load_image(images.SAMPLES_DIR / "astronaut.png").resize((320, 240))
    return np.asarray(photo)


def prepared(loaded: session.LoadedModel, frame: np.ndarray) -> inference.Prepared:
    return inference.prepare(Image.fromarray(frame), loaded.spec.preprocessing)


def test_top5_and_the_shown_crop_equal_a_plain_forward_pass(loaded, frame) -> None:
    result = LiveRunner(loaded).run(7, frame)
    photo = prepared(loaded, frame)
    with torch.inference_mode():
        probabilities = torch.softmax(loaded.model(photo.tensor)[0], 0)
    expected = torch.topk(probabilities, 5)
    assert result.index == 7 and result.model is loaded
    assert [p.index for p in result.top] == expected.indices.tolist()
    np.testing.assert_allclose([p.prob for p in result.top], expected.values, rtol=1e-5)
    np.testing.assert_array_equal(result.shown, photo.shown)
    assert result.maps is None and result.heat is None and result.ms > 0


def test_maps_are_the_layer_output_a_forward_hook_sees(loaded, frame) -> None:
    seen = []
    handle = loaded.model.layer2[0].conv1.register_forward_hook(
        lambda module, inputs, output: seen.append(output.detach().clone()))
    try:
        with torch.inference_mode():
            loaded.model(prepared(loaded, frame).tensor)
    finally:
        handle.remove()
    result = LiveRunner(loaded).run(0, frame, LAYER)
    expected = maps.as_maps(seen[0][0].numpy(), loaded.graph.nodes[LAYER][g.LAYOUT])
    assert result.maps.kind == expected.kind and result.maps.maps.shape == (128, 28, 28)
    np.testing.assert_allclose(result.maps.maps, expected.maps, rtol=1e-5, atol=1e-6)


def test_grad_cam_of_the_top_class_equals_the_still_photo_path(loaded, frame) -> None:
    result = LiveRunner(loaded).run(0, frame, LAYER, grad_cam=True)
    photo = prepared(loaded, frame)
    expected = gradcam.grad_cam(loaded, photo, LAYER, result.top[0].index)
    assert result.heat.shape == (224, 224)
    np.testing.assert_allclose(result.heat, expected, rtol=1e-5, atol=1e-6)
    assert result.top[0].index == int(inference.predict(loaded, photo).argmax())


def test_another_precision_runs_on_a_copy(loaded, frame) -> None:
    result = LiveRunner(loaded, dtype="bf16").run(0, frame, LAYER)
    assert next(loaded.model.parameters()).dtype == torch.float32
    assert result.maps.maps.dtype == np.float32
    assert len(result.top) == 5


@pytest.mark.parametrize(("layer", "grad_cam", "start"), [
    ("layer9", False, "no layer 'layer9' in resnet18"),
    ("fc", True, "Grad-CAM needs a layer with a spatial reading"),
    (None, True, "Grad-CAM needs a layer"),
])
def test_bad_layers_are_one_line(loaded, frame, layer, grad_cam, start) -> None:
    with pytest.raises(CnnvizError) as raised:
        LiveRunner(loaded).run(0, frame, layer, grad_cam)
    assert str(raised.value).startswith(start) and "\n" not in str(raised.value)


def test_an_absent_device_is_refused(loaded) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(CnnvizError, match="^cuda is not available"):
        LiveRunner(loaded, device="cuda")
