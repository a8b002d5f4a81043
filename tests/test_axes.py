"""Axis layouts: the names the pass gives real models' nodes, known from their architectures,
and the maps a layout reads equal to the tensors forward hooks see."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch
from torch import nn

from cnnviz import analysis, maps
from cnnviz import graph as g
from cnnviz.inference import forward_exposing
from cnnviz.session import LoadedModel, ModelRequest
from cnnviz.tensor_layout import UNKNOWN, AxisLayout
from cnnviz.trace import _trace_with_recorder, trace_model


@pytest.fixture(scope="module")
def zoo() -> dict[str, LoadedModel]:
    """Zoo models with random weights, loaded once each."""
    loaded: dict[str, LoadedModel] = {}

    def load(name: str) -> LoadedModel:
        if name not in loaded:
            torch.manual_seed(0)
            loaded[name] = ModelRequest.of(name).load()
        return loaded[name]
    return load


def layout(graph: nx.DiGraph, name: str) -> str:
    return graph.nodes[name][g.LAYOUT].name


def exit_node(graph: nx.DiGraph, path: str) -> str:
    """The operation whose output leaves the module at ``path``."""
    members = analysis.blocks(graph)[path].members
    inside = set(members)
    return [n for n in members if any(s not in inside for s in graph.successors(n))][-1]


def node_output(loaded: LoadedModel, name: str, tensor: torch.Tensor) -> np.ndarray:
    """The node's output (batch removed) as cnnviz's run records it."""
    with torch.no_grad():
        value = forward_exposing(loaded.model, loaded.graph, tensor, name).value
    return value[0].numpy()


def hooked(module: nn.Module, model: nn.Module, tensor: torch.Tensor) -> torch.Tensor:
    """What a forward hook on ``module`` sees when ``model`` runs on ``tensor``."""
    seen = []
    handle = module.register_forward_hook(lambda m, i, o: seen.append(o.detach().clone()))
    with torch.no_grad():
        model(tensor)
    handle.remove()
    return seen[0]


def image() -> torch.Tensor:
    return torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))


# --------------------------------------------------------------------------------------------
# Real models


def test_resnet18_is_channels_first_until_it_flattens(zoo) -> None:
    graph = zoo("resnet18").graph
    convolutions = [n for n, c in graph.nodes(data=g.CATEGORY) if c == g.Category.CONV]
    assert len(convolutions) == 20
    assert {layout(graph, n) for n in convolutions} == {"NCHW"}
    assert layout(graph, "x") == layout(graph, "avgpool") == "NCHW"
    assert layout(graph, "flatten") == layout(graph, "fc") == layout(graph, "output") == "NC"


def test_convnext_blocks_go_channels_last_and_back(zoo) -> None:
    graph = zoo("convnext_tiny").graph
    assert graph.nodes["permute_2"][g.OUT_SHAPE] == (1, 56, 56, 96)
    assert graph.nodes["permute_2"][g.LAYOUT] == AxisLayout(3, (1, 2))
    assert layout(graph, "permute_2") == layout(graph, "features_1_0_block_3") == "NHWC"
    blocks = [path for path, block in analysis.blocks(graph).items()
              if block.module_type == "CNBlock"]
    assert len(blocks) == 18
    assert {layout(graph, exit_node(graph, path)) for path in blocks} == {"NCHW"}
    names = [a[g.LAYOUT].name for _, a in graph.nodes(data=True)]
    assert names.count("NHWC") == 100 and "unknown" not in names


def test_convnext_channels_last_maps_are_the_convolutions_channels(zoo) -> None:
    loaded = zoo("convnext_tiny")
    tensor = image()
    conv = hooked(loaded.model.features[1][0].block[0], loaded.model, tensor)[0].numpy()
    stack = maps.as_maps(node_output(loaded, "permute_2", tensor),
                         loaded.graph.nodes["permute_2"][g.LAYOUT])
    assert stack.maps.shape == (96, 56, 56) == conv.shape
    np.testing.assert_array_equal(stack.maps, conv)
    assert stack.spatial and "NHWC" in stack.description


def test_vit_tokens_are_on_the_patch_grid_after_the_class_token(zoo) -> None:
    graph = zoo("vit_b_16").graph
    assert layout(graph, "conv_proj") == "NCHW"
    assert layout(graph, "reshape") == "tokens 14×14"
    assert graph.nodes["cat"][g.LAYOUT] == AxisLayout(2, token_axis=1, grid=(14, 14),
                                                      extra_tokens=1)
    layers = [exit_node(graph, f"encoder.layers.encoder_layer_{i}") for i in range(12)]
    assert {layout(graph, n) for n in layers} == {"tokens 14×14 +1"}
    head = next(graph.predecessors("output"))
    class_token = next(graph.predecessors(head))
    for name in (head, class_token):
        assert not graph.nodes[name][g.LAYOUT].spatial
        assert layout(graph, name) in ("NC", "unknown")


def test_vit_maps_are_the_encoder_layers_patch_tokens(zoo) -> None:
    loaded = zoo("vit_b_16")
    tensor = image()
    layer = loaded.model.encoder.layers.encoder_layer_3
    tokens = hooked(layer, loaded.model, tensor)
    expected = tokens[0, 1:, :].T.reshape(768, 14, 14).numpy()
    name = exit_node(loaded.graph, "encoder.layers.encoder_layer_3")
    stack = maps.as_maps(node_output(loaded, name, tensor), loaded.graph.nodes[name][g.LAYOUT])
    assert stack.kind == maps.TOKENS and stack.maps.shape == (768, 14, 14)
    np.testing.assert_allclose(stack.maps, expected, rtol=1e-5, atol=1e-5)


def test_swin_stages_are_channels_last_on_their_grids(zoo) -> None:
    graph = zoo("swin_t").graph
    assert graph.graph[g.TRACER] == "recorder"
    for stage, side, channels in ((1, 56, 96), (3, 28, 192), (5, 14, 384), (7, 7, 768)):
        name = exit_node(graph, f"features.{stage}")
        assert graph.nodes[name][g.OUT_SHAPE] == (1, side, side, channels)
        assert layout(graph, name) == "NHWC", name
    final_permute = next(graph.predecessors("avgpool"))
    assert graph.nodes[final_permute][g.MODULE_TYPE] == "permute"
    assert layout(graph, final_permute) == "NCHW"
    assert layout(graph, "flatten") == layout(graph, "head") == "NC"


def test_swin_last_stage_maps_are_its_output_channels_first(zoo) -> None:
    loaded = zoo("swin_t")
    tensor = image()
    expected = hooked(loaded.model.features[7], loaded.model, tensor)[0].permute(2, 0, 1)
    name = exit_node(loaded.graph, "features.7")
    stack = maps.as_maps(node_output(loaded, name, tensor), loaded.graph.nodes[name][g.LAYOUT])
    assert stack.maps.shape == (768, 7, 7)
    np.testing.assert_allclose(stack.maps, expected.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["efficientnet_b0", "mobilenet_v3_large"])
def test_squeeze_excitation_keeps_channels_first(zoo, name: str) -> None:
    graph = zoo(name).graph
    scalings = [n for n, a in graph.nodes(data=True) if a[g.CATEGORY] == g.Category.MUL
                and {len(s) for s in a[g.IN_SHAPES]} == {4}
                and any(s[2:] == (1, 1) for s in a[g.IN_SHAPES]) and a[g.OUT_SHAPE][2] > 1]
    assert len(scalings) >= 8
    assert {layout(graph, n) for n in scalings} == {"NCHW"}
    names = {a[g.LAYOUT].name for _, a in graph.nodes(data=True)}
    assert names == {"NCHW", "NC"}


def test_every_tracer_gives_the_same_layouts() -> None:
    class Patches(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv, self.norm, self.fc = nn.Conv2d(3, 8, 2, 2), nn.LayerNorm(8), nn.Linear(8, 8)
            self.token, self.head = nn.Parameter(torch.randn(1, 1, 8)), nn.Linear(8, 5)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.conv(x)
            y = self.fc(self.norm(y.permute(0, 2, 3, 1))).permute(0, 3, 1, 2) + y
            tokens = torch.cat([self.token.expand(x.shape[0], -1, -1),
                                y.flatten(2).transpose(1, 2)], dim=1)
            return self.head(tokens.mean(dim=1))

    model, example = Patches().eval(), torch.zeros(1, 3, 12, 12)
    recorded = _trace_with_recorder(model, example)
    recorded.graph[g.TRACER] = "recorder"
    analysis.annotate(recorded)
    graphs = [trace_model(model, example), recorded,
              trace_model(torch.jit.script(model), example),
              trace_model(torch.export.export(model, (example,)).module(), example)]
    for graph in graphs:
        by_category = {}
        for _, attrs in graph.nodes(data=True):
            by_category.setdefault(attrs[g.CATEGORY], []).append(attrs[g.LAYOUT].name)
        assert by_category[g.Category.CONCAT] == ["tokens 6×6 +1"]
        assert by_category[g.Category.NORM] == ["NHWC"]
        assert by_category[g.Category.LINEAR] == ["NHWC", "NC"]
        assert by_category[g.Category.ADD] == ["NCHW"]
        assert by_category[g.Category.OUTPUT] == ["NC"]


# --------------------------------------------------------------------------------------------
# Other ranks, and shapes that are hard to read


def traced(model: nn.Module, shape: tuple[int, ...]) -> nx.DiGraph:
    return trace_model(model.eval(), torch.zeros(shape), "user")


def test_signals_are_ncl_and_volumes_ncdhw() -> None:
    signal = traced(nn.Sequential(nn.Conv1d(2, 4, 3), nn.BatchNorm1d(4), nn.ReLU(),
                                  nn.MaxPool1d(2), nn.AdaptiveAvgPool1d(1), nn.Flatten(),
                                  nn.Linear(4, 3)), (1, 2, 32))
    volume = traced(nn.Sequential(nn.Conv3d(1, 4, 3), nn.BatchNorm3d(4), nn.ReLU(),
                                  nn.MaxPool3d(2), nn.AdaptiveAvgPool3d(1), nn.Flatten(),
                                  nn.Linear(4, 3)), (1, 1, 8, 16, 16))
    for graph, name in ((signal, "NCL"), (volume, "NCDHW")):
        layouts = [a[g.LAYOUT].name for _, a in graph.nodes(data=True)]
        assert layouts == [name] * 6 + ["NC"] * 3


class Reshapes(nn.Module):
    """An image's positions merged into tokens and split back, and readings that are not."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        y = self.conv(x)  # 1×4×8×6
        tokens = y.reshape(1, 4, 48)
        back = tokens.reshape(1, 4, 8, 6)
        other_grid = tokens.reshape(1, 4, 6, 8)
        rows = y.reshape(1, 32, 6)  # channels and rows merged
        channels_last = tokens.transpose(1, 2)
        return back, other_grid, rows, channels_last, y.permute(1, 0, 2, 3), \
            y.permute(1, 0, 2, 3).permute(1, 0, 2, 3)


def test_reshapes_keep_a_grid_only_where_the_shapes_say_so() -> None:
    graph = traced(Reshapes(), (1, 3, 8, 6))
    expected = {"conv": "NCHW", "reshape": "tokens 8×6", "reshape_1": "NCHW",
                "reshape_2": "unknown", "reshape_3": "unknown", "transpose": "tokens 8×6",
                "permute": "unknown", "permute_2": "NCHW"}
    assert {name: layout(graph, name) for name in expected} == expected
    assert graph.nodes["transpose"][g.LAYOUT] == AxisLayout(2, token_axis=1, grid=(8, 6))
    assert graph.nodes["output"][g.LAYOUT] == UNKNOWN  # several outputs


def test_tokens_read_back_as_the_maps_they_came_from() -> None:
    model = Reshapes().eval()
    x = torch.randn(1, 3, 8, 6)
    graph = traced(model, (1, 3, 8, 6))
    with torch.no_grad():
        conv = model.conv(x)[0].numpy()
        outputs = model(x)
    for name, value in (("reshape_1", outputs[0]), ("transpose", outputs[3])):
        stack = maps.as_maps(value[0].numpy(), graph.nodes[name][g.LAYOUT])
        np.testing.assert_array_equal(stack.maps, conv)


def test_reductions_over_the_grid_leave_channels() -> None:
    class Reductions(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 1)

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
            y = self.conv(x)
            return (y.mean((2, 3)), y.mean(-1, keepdim=True), y.amax(dim=(-2, -1)),
                    y.mean(1), y[:, :, 0], y.sum(3))

    graph = traced(Reductions(), (1, 3, 6, 5))
    expected = {"mean": "NC", "mean_1": "NCHW", "amax": "NC", "mean_2": "unknown",
                "getitem": "NCL", "sum_1": "NCL"}
    assert {name: layout(graph, name) for name in expected} == expected


def test_signal_tokens_transposed_to_channels_last() -> None:
    class Signal(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv, self.fc = nn.Conv1d(3, 5, 3), nn.Linear(5, 7)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.conv(x).transpose(1, 2)).transpose(-1, -2)

    graph = traced(Signal(), (1, 3, 20))
    assert [layout(graph, n) for n in ("conv", "transpose", "fc", "transpose_1")] == \
        ["NCL", "NLC", "NLC", "NCL"]
    assert graph.nodes["fc"][g.LAYOUT] == AxisLayout(2, (1,))


def test_a_channel_shuffle_is_unknown_until_the_channels_are_whole_again() -> None:
    class Shuffle(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 1)

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            groups = self.conv(x).view(1, 2, 4, 5, 5)
            shuffled = groups.transpose(1, 2).reshape(1, 8, 5, 5)
            return shuffled, groups.reshape(1, 2, 100)

    graph = traced(Shuffle(), (1, 3, 5, 5))
    expected = {"view": "unknown", "transpose": "unknown", "reshape": "NCHW",
                "reshape_1": "unknown"}
    assert {name: layout(graph, name) for name in expected} == expected


def test_collapsed_blocks_show_their_last_outputs_layout(zoo) -> None:
    graph = zoo("convnext_tiny").graph
    collapsed = analysis.collapse(graph, collapsed=["features.1.0.block", "features.1.1"])
    for path in ("features.1.0.block", "features.1.1"):
        exit_layout = graph.nodes[exit_node(graph, path)][g.LAYOUT]
        assert collapsed.nodes[path][g.LAYOUT] == exit_layout == AxisLayout(1, (2, 3))
