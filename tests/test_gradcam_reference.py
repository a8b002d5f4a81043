"""Grad-CAM against pytorch-grad-cam (the ``grad-cam`` package), an independent implementation
with hooks on modules, on four architectures and the sample photos.

Random weights, the same model object for both. pytorch-grad-cam scales its map to [0, 1] by
its minimum and maximum and resizes it with OpenCV; ours is divided by its maximum and resized
by torch: the Pearson correlation is blind to the affine difference, so it is the measure.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from pytorch_grad_cam.utils.reshape_transforms import vit_reshape_transform
from torch import nn

from cnnviz import graph as g
from cnnviz import images, inference, session
from cnnviz.gradcam import grad_cam
from cnnviz.tensor_layout import channels_first

pytestmark = pytest.mark.slow
LEAST_CORRELATION = 0.99


@dataclass(frozen=True)
class Case:
    """A model, the node of our graph and pytorch-grad-cam's target layer (the same tensor),
    and the reshape transform that brings that layer's output to NCHW for pytorch-grad-cam."""

    model: str
    node: str
    target: Callable[[nn.Module], nn.Module]
    reshape: Callable[[torch.Tensor], torch.Tensor] | None = None


def _nhwc_to_nchw(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.permute(0, 3, 1, 2)


CASES = {case.model: case for case in [
    Case("resnet50", "layer4_2_relu_2", lambda model: model.layer4[-1]),
    Case("convnext_tiny", "add_17", lambda model: model.features[-1]),
    # The last encoder block's input norm: at the block's output, the class token that the head
    # reads no longer looks at the patch tokens, so their gradients and both maps are zero
    # (test_vit_last_block_output_has_no_map).
    Case("vit_b_16", "encoder_layers_encoder_layer_11_ln_1",
         lambda model: model.encoder.layers[-1].ln_1, vit_reshape_transform),
    Case("swin_t", "add_40", lambda model: model.features[-1], _nhwc_to_nchw),  # recorded
]}


@pytest.fixture(scope="module")
def photos() -> list[object]:
    return [images.load_image(path) for path in images.sample_images()]


@pytest.fixture(scope="module", params=list(CASES))
def loaded(request: pytest.FixtureRequest) -> session.LoadedModel:
    torch.manual_seed(0)
    loaded = session.ModelRequest.of(request.param).load()
    if request.param == "vit_b_16":
        # torchvision zero-initialises ViT's head: every class score would be constant.
        torch.manual_seed(1)
        nn.init.normal_(loaded.model.heads.head.weight, std=0.02)
    return loaded


def theirs(loaded: session.LoadedModel, case: Case, prepared: inference.Prepared,
           class_index: int) -> tuple[np.ndarray, torch.Tensor]:
    """pytorch-grad-cam's map, and the target layer's output as it saw it (NCHW)."""
    with GradCAM(loaded.model, [case.target(loaded.model)], case.reshape) as cam:
        heat = cam(prepared.tensor, [ClassifierOutputTarget(class_index)])[0]
        return heat, cam.activations_and_grads.activations[0]


def test_maps_correlate_with_pytorch_grad_cam(loaded, photos) -> None:
    """Each sample photo, for its top class, at the node whose output is the target's."""
    case = CASES[loaded.spec.name]
    layout = loaded.graph.nodes[case.node][g.LAYOUT]
    for number, photo in enumerate(photos):
        prepared = inference.prepare(photo, loaded.spec.preprocessing)
        class_index = int(inference.predict(loaded, prepared).argmax())
        ours = grad_cam(loaded, prepared, case.node, class_index)
        heat, activations = theirs(loaded, case, prepared, class_index)
        if number == 0:  # the node outputs the target's tensor, and is read on the same grid
            np.testing.assert_allclose(
                channels_first(inference.capture(loaded, prepared, case.node), layout),
                activations[0], rtol=1e-4, atol=1e-4)
        assert ours.shape == heat.shape == prepared.tensor.shape[-2:]
        assert ours.std() > 0, "a constant map correlates with anything or nothing"
        assert np.corrcoef(ours.ravel(), heat.ravel())[0, 1] >= LEAST_CORRELATION


@pytest.mark.parametrize("loaded", ["vit_b_16"], indirect=True)
def test_vit_last_block_output_has_no_map(loaded, photos) -> None:
    """The block's output reaches the head through its class token alone (a per-token norm,
    then that token): the patch tokens' gradients are zero, and so is either map."""
    prepared = inference.prepare(photos[0], loaded.spec.preprocessing)
    class_index = int(inference.predict(loaded, prepared).argmax())
    case = Case("vit_b_16", "add_24", lambda model: model.encoder.layers[-1],
                vit_reshape_transform)
    assert not grad_cam(loaded, prepared, case.node, class_index).any()
    assert not theirs(loaded, case, prepared, class_index)[0].any()
