"""Grad-CAM: it finds what a trained network looks at, stays where a class's evidence can be,
in fx-traced and recorded models alike, reads channels-last and token outputs on their grid, and
equals a hook-based computation."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz import gradcam, images, session, tensor_layout, trace, zoo
from cnnviz import graph as g
from cnnviz.errors import CnnvizError
from cnnviz.gradcam import class_activation_map, class_index_by_name, grad_cam, grad_cam_of
from cnnviz.inference import prepare
from cnnviz.tensor_layout import NC, NCHW, NHWC, AxisLayout
from cnnviz.trace import trace_model

SIZE, SQUARE = 32, 6


class Tiny(nn.Module):
    """Two convolution branches joined by a concatenation, global max pooling, a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.wide = nn.Conv2d(8, 8, 3, padding=1)
        self.narrow = nn.Conv2d(8, 8, 1)
        self.head = nn.Linear(16, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.max_pool2d(torch.relu(self.stem(x)), 2)
        x = torch.relu(torch.cat([self.wide(x), self.narrow(x)], 1))
        return self.head(torch.flatten(nn.functional.adaptive_max_pool2d(x, 1), 1))


def synthetic(count: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor,
                                                               torch.Tensor]:
    """Noise; class 1 adds a bright square somewhere in the top-left quadrant."""
    pictures = 0.5 * torch.rand(count, 3, SIZE, SIZE, generator=generator)
    labels = torch.randint(0, 2, (count,), generator=generator)
    corners = torch.randint(0, SIZE // 2 - SQUARE + 1, (count, 2), generator=generator)
    for picture, label, (top, left) in zip(pictures, labels, corners.tolist()):
        if label:
            picture[:, top:top + SQUARE, left:left + SQUARE] = 1.0
    return pictures, labels, corners


@pytest.fixture(scope="module")
def trained() -> tuple[Tiny, object]:
    """Trained for about a second on one CPU thread (more threads only wait on each other)."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    model = Tiny()
    optimiser = torch.optim.Adam(model.parameters(), lr=0.003)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(100):
            pictures, labels, _ = synthetic(32, generator)
            loss = nn.functional.cross_entropy(model(pictures), labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    finally:
        torch.set_num_threads(threads)
    model.eval()
    return model, trace_model(model, torch.zeros(1, 3, SIZE, SIZE), "tiny")


@pytest.mark.parametrize(("node", "least_share"), [("wide", 0.3), ("relu_1", 0.5)])
def test_the_map_peaks_on_the_pattern_that_decides_the_class(trained, node: str,
                                                              least_share: float) -> None:
    """At the last convolution and at the ReLU after the join (Grad-CAM's usual layer)."""
    model, graph = trained
    pictures, labels, corners = synthetic(64, torch.Generator().manual_seed(100))
    with torch.no_grad():
        assert (model(pictures).argmax(1) == labels).float().mean() > 0.95
    quadrant = (slice(0, SIZE // 2), slice(0, SIZE // 2))
    shares = []
    for picture, (top, left) in zip(pictures[labels == 1], corners[labels == 1].tolist()):
        cam = grad_cam_of(model, graph, picture[None], node, class_index=1)
        assert cam.shape == (SIZE, SIZE) and cam.dtype == np.float32
        assert cam.min() >= 0 and cam.max() == pytest.approx(1.0)
        row, column = np.unravel_index(cam.argmax(), cam.shape)
        assert top - 2 <= row < top + SQUARE + 2 and left - 2 <= column < left + SQUARE + 2
        shares.append(cam[quadrant].sum() / cam.sum())
    assert min(shares) > least_share and np.mean(shares) > 0.8


class Quadrant(nn.Module):
    """Class scores that see only the image's top-left quadrant (the rest is masked out before
    the first layer), through a channels-first stage and a channels-last one; weights that make
    every score's map non-zero."""

    def __init__(self) -> None:
        super().__init__()
        mask = torch.zeros(1, 1, SIZE, SIZE)
        mask[..., :SIZE // 2, :SIZE // 2] = 1
        self.register_buffer("mask", mask)
        self.conv = nn.Conv2d(3, 8, 1, bias=False)
        self.mix = nn.Linear(8, 8, bias=False)  # on channels last, as in ConvNeXt's blocks
        self.head = nn.Linear(8, 2)
        nn.init.uniform_(self.mix.weight, 0, 1)
        nn.init.uniform_(self.head.weight, 0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = nn.functional.max_pool2d(torch.relu(self.conv(x * self.mask)), 2)
        channels_last = torch.relu(self.mix(maps.permute(0, 2, 3, 1)))
        return self.head(channels_last.mean(dim=(1, 2)))


class RecordedQuadrant(Quadrant):
    """The same network behind data-dependent control flow, which torch.fx cannot trace."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.abs().sum() >= 0:
            return super().forward(x)
        return torch.zeros(len(x), 2)


@pytest.fixture(scope="module")
def quadrants() -> dict[str, tuple[nn.Module, object]]:
    """Each network with the same weights, traced, its channels-last output's layout set."""
    torch.manual_seed(0)
    traced = {}
    for model in (Quadrant(), RecordedQuadrant()):
        if traced:
            model.load_state_dict(next(iter(traced.values()))[0].state_dict())
        graph = trace_model(model, torch.rand(1, 3, SIZE, SIZE), "quadrant")
        traced[graph.graph[g.TRACER]] = model, graph
    assert list(traced) == [trace.FX, trace.RECORDER]
    return traced


@pytest.mark.parametrize("tracer", [trace.FX, trace.RECORDER])
@pytest.mark.parametrize("node", ["relu", "max_pool2d", "relu_1"])
def test_the_map_stays_in_the_quadrant_the_scores_see(quadrants, tracer: str, node: str) -> None:
    """NCHW at the input's size and at half of it, and NHWC at half of it."""
    model, graph = quadrants[tracer]
    pictures = torch.rand(4, 1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(3))
    for picture in pictures:
        for class_index in (0, 1):
            cam = grad_cam_of(model, graph, picture, node, class_index)
            assert cam.shape == (SIZE, SIZE) and cam.max() == pytest.approx(1.0)
            assert cam[:SIZE // 2, :SIZE // 2].sum() >= 0.95 * cam.sum()


def test_fx_and_the_recorder_give_the_same_map(quadrants) -> None:
    picture = torch.rand(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(4))
    fx_cam, recorded_cam = (grad_cam_of(model, graph, picture, "relu_1", 1)
                            for model, graph in quadrants.values())
    np.testing.assert_allclose(recorded_cam, fx_cam, atol=1e-6)


@pytest.mark.parametrize("layout", [NCHW, NHWC, AxisLayout(2, token_axis=1, grid=(3, 4)),
                                    AxisLayout(1, token_axis=2, grid=(3, 4), extra_tokens=1)],
                         ids=lambda layout: layout.name)
def test_channels_first_in_torch_equals_numpy(layout: AxisLayout) -> None:
    values = torch.randn(1, 13, 12, 5) if layout.spatial_axes else torch.randn(1, 13, 13)
    expected = tensor_layout.channels_first(values.numpy(), layout)
    np.testing.assert_array_equal(gradcam.channels_first(values, layout)[0].numpy(), expected)


def test_a_concatenation_map_equals_one_from_hooks(trained) -> None:
    model, graph = trained
    picture = synthetic(1, torch.Generator().manual_seed(2))[0]
    branches: list[torch.Tensor] = []

    def keep(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        output.retain_grad()
        branches.append(output)

    handles = [model.wide.register_forward_hook(keep), model.narrow.register_forward_hook(keep)]
    model(picture)[0, 0].backward()
    for handle in handles:
        handle.remove()
    model.zero_grad()
    maps = torch.cat([b.detach() for b in branches], 1)
    gradients = torch.cat([b.grad for b in branches], 1)
    expected = class_activation_map(maps, gradients, (SIZE, SIZE))
    np.testing.assert_allclose(grad_cam_of(model, graph, picture, "cat", 0), expected, atol=1e-5)


@pytest.fixture(scope="module")
def resnet():
    torch.manual_seed(0)
    loaded = session.ModelRequest.of("resnet18").load()
    photo = images.load_image(images.SAMPLES_DIR / "chelsea.png")
    return loaded, prepare(photo, loaded.spec.preprocessing)


def test_resnet_maps_equal_ones_from_hooks(resnet) -> None:
    """At the last block's output, and at the addition before its in-place ReLU."""
    loaded, prepared = resnet
    model = loaded.model
    seen: dict[str, torch.Tensor] = {}

    def before_relu(module: nn.Module, args: tuple) -> None:
        seen["add"] = args[0].detach().clone()  # the second call: the residual sum

    def block_output(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        output.retain_grad()
        seen["block"] = output

    handles = [model.layer4[1].relu.register_forward_pre_hook(before_relu),
               model.layer4.register_forward_hook(block_output)]
    model(prepared.tensor)[0, 281].backward()
    for handle in handles:
        handle.remove()
    model.zero_grad()
    block, gradients = seen["block"].detach(), seen["block"].grad
    np.testing.assert_allclose(grad_cam(loaded, prepared, "layer4_1_relu_1", 281),
                               class_activation_map(block, gradients, (224, 224)), atol=1e-5)
    addition = seen["add"]
    np.testing.assert_allclose(  # the ReLU passes gradients where its input is positive
        grad_cam(loaded, prepared, "add_7", 281),
        class_activation_map(addition, gradients * (addition > 0), (224, 224)), atol=1e-5)


def test_layers_without_spatial_maps_are_refused(resnet) -> None:
    loaded, prepared = resnet
    with pytest.raises(CnnvizError, match=r"^Grad-CAM needs a layer with a spatial reading; fc "
                                          r"outputs 1×1000 \(NC\): try "
                                          r"layer4_1_relu_1, the last one$"):
        grad_cam(loaded, prepared, "fc", 0)
    with pytest.raises(CnnvizError, match=r"avgpool outputs 1×512×1×1 \(NCHW, one position\)"):
        grad_cam(loaded, prepared, "avgpool", 0)
    with pytest.raises(CnnvizError, match="did you mean layer4_1_conv2"):
        grad_cam(loaded, prepared, "layer4_1_conv", 0)
    with pytest.raises(CnnvizError, match="class index 1000 is out of range"):
        grad_cam(loaded, prepared, "layer4_1_conv2", 1000)


def test_the_refusal_names_the_layout() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * SIZE * SIZE, 8), nn.ReLU(), nn.Linear(8, 2))
    graph = trace_model(model, torch.zeros(1, 3, SIZE, SIZE), "mlp")
    graph.nodes["_3"][g.LAYOUT] = NC
    with pytest.raises(CnnvizError, match=r"^Grad-CAM needs a layer with a spatial reading, and "
                                          r"mlp has none: _3 outputs 1×2 \(NC\)$"):
        grad_cam_of(model, graph, torch.zeros(1, 3, SIZE, SIZE), "_3", 0)


def test_an_all_zero_map_stays_zero() -> None:
    maps = torch.ones(1, 2, 3, 3)
    negative = -torch.ones(1, 2, 3, 3)
    cam = class_activation_map(maps, negative, (6, 6))
    assert cam.shape == (6, 6) and not cam.any()


def test_class_names_are_matched_whole_then_in_part() -> None:
    categories = zoo.categories(zoo.get_spec("resnet18"))
    assert class_index_by_name(categories, "Tabby") == 281
    assert class_index_by_name(categories, "espresso") == 967
    assert class_index_by_name(categories, "persian") == 283  # the one label containing it
    with pytest.raises(CnnvizError, match=r"'cat' matches 8 classes: .*tiger cat \(282\)"):
        class_index_by_name(categories, "cat")
    with pytest.raises(CnnvizError, match="no class 'tabbby': did you mean tabby"):
        class_index_by_name(categories, "tabbby")
