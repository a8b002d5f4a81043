"""Folded repeats: which blocks fold in the classics, a stack's numbers and edges, folding a
collapsed view, and the matching rule on small models built for it."""
from __future__ import annotations

import functools

import networkx as nx
import pytest
import torch
import torchvision
from torch import nn

from cnnviz import analysis, diagram
from cnnviz import graph as g
from cnnviz.folding import Repeat, find_repeats, fold, range_label
from cnnviz.trace import trace_model


@functools.cache
def traced(name: str) -> nx.DiGraph:
    """A torchvision model (random weights) traced once per test session."""
    size = torchvision.models.get_model_weights(name).DEFAULT.transforms().crop_size[0]
    model = torchvision.models.get_model(name, weights=None)
    return trace_model(model, torch.zeros(1, 3, size, size), name)


def folded_whole(name: str) -> nx.DiGraph:
    """The full graph of ``name`` with every repeat folded."""
    return fold(traced(name), traced(name), find_repeats(traced(name)))


def runs(graph: nx.DiGraph) -> list[tuple[str, str, int]]:
    """Each repeat as (parent, stack label, count)."""
    return [(r.parent, range_label(r.members), len(r.members)) for r in find_repeats(graph)]


def stacks(graph: nx.DiGraph) -> dict[str, dict]:
    return {name: attrs for name, attrs in graph.nodes(data=True) if g.REPEAT in attrs}


def same_graph(a: nx.DiGraph, b: nx.DiGraph) -> bool:
    """Equal nodes (in order), attributes, edges and graph attributes."""
    return (list(a.nodes(data=True)) == list(b.nodes(data=True))
            and sorted(a.edges(data=True)) == sorted(b.edges(data=True)) and a.graph == b.graph)


# --------------------------------------------------------------------------------------------
# What folds in the classics


def test_resnet50_folds_each_stage_after_its_downsampling_block() -> None:
    assert runs(traced("resnet50")) == [
        ("layer1", "layer1.1–2", 2), ("layer2", "layer2.1–3", 3),
        ("layer3", "layer3.1–5", 5), ("layer4", "layer4.1–2", 2)]
    folded = folded_whole("resnet50")
    layer3 = folded.nodes["layer3.1"]
    assert layer3[g.MEMBERS] == tuple(f"layer3.{i}" for i in range(1, 6))
    assert layer3[g.MODULE_TYPE] == "Bottleneck" and layer3[g.QUALNAME] == "layer3.1–5"
    assert "layer3_0_downsample_0" in folded  # layer3.0 differs: it stays drawn as it was
    assert "layer3_1_conv1" not in folded


def test_densenet121_folds_its_dense_layers_and_not_its_transitions() -> None:
    assert runs(traced("densenet121")) == [
        (f"features.denseblock{b}", f"features.denseblock{b}.denselayer1–{n}", n)
        for b, n in ((1, 6), (2, 12), (3, 24), (4, 16))]
    folded = folded_whole("densenet121")
    assert "features_transition2_conv" in folded
    assert folded.nodes["features.denseblock3.denselayer1"][g.REPEAT] == 24


def test_vit_b_16_folds_its_twelve_encoder_layers() -> None:
    (repeat,) = find_repeats(traced("vit_b_16"))
    assert repeat == Repeat("encoder.layers", "EncoderBlock",
                            tuple(f"encoder.layers.encoder_layer_{i}" for i in range(12)))
    assert range_label(repeat.members) == "encoder.layers.encoder_layer_0–11"


def test_googlenet_folds_its_inceptions_between_the_max_pools_and_not_their_branches() -> None:
    # branch2 and branch3 of each Inception are alike (both 3×3 in torchvision) but parallel.
    assert runs(traced("googlenet")) == [
        ("", "inception3a–b", 2), ("", "inception4a–e", 5), ("", "inception5a–b", 2)]


@pytest.mark.parametrize("name", ["vgg16", "alexnet"])
def test_models_without_repeated_blocks_fold_nothing(name: str) -> None:
    assert find_repeats(traced(name)) == []
    assert same_graph(fold(traced(name), traced(name), []), traced(name))


# --------------------------------------------------------------------------------------------
# Stacks: numbers, edges, unfolding


@pytest.mark.parametrize("name,depth", [("resnet50", None), ("resnet50", 2), ("resnet50", 3),
                                        ("densenet121", None), ("densenet121", 3),
                                        ("vit_b_16", 3)])
def test_unfolding_every_repeat_restores_the_drawn_graph(name: str, depth: int | None) -> None:
    full = traced(name)
    shown = analysis.collapse(full, depth=depth)
    repeats = find_repeats(full)
    assert not same_graph(fold(shown, full, repeats), shown)
    assert same_graph(fold(shown, full, repeats, {r.key for r in repeats}), shown)


@pytest.mark.parametrize("name", ["resnet50", "densenet121", "vit_b_16", "googlenet"])
def test_a_stacks_numbers_are_the_sums_over_its_members_operations(name: str) -> None:
    full = traced(name)
    assert stacks(folded_whole(name))
    for stack in stacks(folded_whole(name)).values():
        ops = [op for op, attrs in full.nodes(data=True)
               if {path for path, _ in attrs[g.HIERARCHY]} & set(stack[g.MEMBERS])]
        assert list(stack[g.CHILDREN]) == ops and stack[g.REPEAT] == len(stack[g.MEMBERS])
        for number in (g.PARAMS, g.TRAINABLE_PARAMS, g.MACS, g.ACTIVATION_BYTES):
            assert stack[number] == sum(full.nodes[op][number] for op in ops), number
        for share in (g.PARAM_SHARE, g.MAC_SHARE):
            assert stack[share] == pytest.approx(sum(full.nodes[op][share] for op in ops))


@pytest.mark.parametrize("name", ["resnet50", "densenet121", "vit_b_16"])
def test_a_stack_is_a_block_entered_like_its_first_member_and_leaving_like_its_last(
        name: str) -> None:
    full = traced(name)
    for key, stack in stacks(folded_whole(name)).items():
        first, last = stack[g.MEMBERS][0], stack[g.MEMBERS][-1]
        blocks = analysis.collapse(full, collapsed={first, last})
        assert set(stack) == set(blocks.nodes[first]) | {g.REPEAT, g.MEMBERS}
        assert stack[g.NAME] == key == first
        assert stack[g.OP] == g.BLOCK_OP and stack[g.CATEGORY] == g.Category.BLOCK
        assert stack[g.MODULE_TYPE] == blocks.nodes[first][g.MODULE_TYPE]
        assert stack[g.HIERARCHY] == blocks.nodes[first][g.HIERARCHY]
        assert stack[g.IN_SHAPES] == blocks.nodes[first][g.IN_SHAPES]
        for attribute in (g.OUT_SHAPE, g.RF, g.DTYPE):
            assert stack[attribute] == blocks.nodes[last][attribute]


def drawn_as(shown: nx.DiGraph, folded: nx.DiGraph) -> dict[str, str]:
    """Which folded node each node of ``shown`` went into, through the operations they stand for."""
    node_of = {op: name for name, attrs in folded.nodes(data=True)
               for op in attrs.get(g.CHILDREN, (name,))}
    return {name: node_of[attrs.get(g.CHILDREN, (name,))[0]]
            for name, attrs in shown.nodes(data=True)}


@pytest.mark.parametrize("name,depth", [("resnet50", None), ("resnet50", 2),
                                        ("densenet121", None), ("googlenet", 2)])
def test_edges_are_those_of_the_drawn_graph_between_the_groups(name: str,
                                                               depth: int | None) -> None:
    full = traced(name)
    shown = analysis.collapse(full, depth=depth)
    folded = fold(shown, full, find_repeats(full))
    group = drawn_as(shown, folded)
    between: dict[tuple[str, str], list[dict]] = {}
    for source, target, data in shown.edges(data=True):
        if group[source] != group[target]:
            between.setdefault((group[source], group[target]), []).append(data)
    assert set(folded.edges) == set(between)
    for (a, b), merged in between.items():
        assert folded.edges[a, b][g.SHAPE] in [data[g.SHAPE] for data in merged]
        assert folded.edges[a, b][g.SKIP] == all(data[g.SKIP] for data in merged)
    assert nx.is_directed_acyclic_graph(folded)


def test_a_collapsed_diagram_folds_its_drawn_blocks() -> None:
    full = traced("resnet50")
    shown = analysis.collapse(full, depth=2)
    folded = fold(shown, full, find_repeats(full))
    assert folded.nodes["layer3.1"][g.REPEAT] == 5
    assert set(folded.nodes["layer3.1"][g.CHILDREN]) == {
        op for i in range(1, 6) for op in shown.nodes[f"layer3.{i}"][g.CHILDREN]}
    assert {f"layer3.{i}" for i in range(2, 6)}.isdisjoint(folded)
    assert folded.nodes["layer3.0"] == shown.nodes["layer3.0"]
    assert list(folded.successors("layer3.0")) == ["layer3.1"]


@pytest.mark.parametrize("name,depth", [("resnet50", 1), ("vit_b_16", 2)])
def test_nothing_folds_inside_a_block_drawn_whole(name: str, depth: int) -> None:
    # ResNet's layer3 stands for layer3.0 too; ViT's encoder.layers for its 12 members alone.
    full = traced(name)
    shown = analysis.collapse(full, depth=depth)
    assert same_graph(fold(shown, full, find_repeats(full)), shown)


def test_members_drawn_some_collapsed_some_open_still_fold() -> None:
    full = traced("resnet50")
    shown = analysis.collapse(full, collapsed={"layer3.2"})
    assert fold(shown, full, find_repeats(full)).nodes["layer3.1"][g.REPEAT] == 5


@pytest.mark.parametrize("name,depth", [("densenet121", 3), ("googlenet", None)])
def test_a_folded_diagram_lays_out(name: str, depth: int | None) -> None:
    full = traced(name)
    folded = fold(analysis.collapse(full, depth=depth), full, find_repeats(full))
    assert set(diagram.lay_out(folded).nodes) == set(folded)


# --------------------------------------------------------------------------------------------
# The matching rule, on small models


class Unit(nn.Module):
    """conv, batch norm, relu."""

    def __init__(self, channels_in: int, channels_out: int, kernel: int = 3,
                 stride: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels_in, channels_out, kernel, stride, padding=kernel // 2)
        self.bn = nn.BatchNorm2d(channels_out)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.conv(x)))


class Chain(nn.Module):
    """Its units one after the other."""

    def __init__(self, *units: nn.Module) -> None:
        super().__init__()
        self.units = nn.Sequential(*units)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.units(x)


class Branches(nn.Module):
    """Two alike units side by side, concatenated."""

    def __init__(self) -> None:
        super().__init__()
        self.left, self.right = Unit(3, 4), Unit(3, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.left(x), self.right(x)], 1)


class Detour(nn.Module):
    """Two alike units in a row, and a side branch run between them."""

    def __init__(self) -> None:
        super().__init__()
        self.first, self.side, self.second = Unit(3, 8), nn.Conv2d(8, 8, 1), Unit(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.first(x)
        return self.side(y) + self.second(y)


class CalledTwice(nn.Module):
    """Two alike units, each called twice with a convolution between the calls."""

    def __init__(self) -> None:
        super().__init__()
        self.stem, self.c, self.d = nn.Conv2d(3, 8, 1), nn.Conv2d(8, 8, 1), nn.Conv2d(8, 8, 1)
        self.a, self.b = Unit(8, 8), Unit(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.d(self.b(self.a(self.c(self.a(self.stem(x)))))))


def repeats_of(model: nn.Module) -> list[Repeat]:
    return find_repeats(trace_model(model, torch.zeros(1, 3, 16, 16), "small"))


def test_blocks_differing_only_in_channel_counts_fold() -> None:
    assert repeats_of(Chain(Unit(3, 8), Unit(8, 16), Unit(16, 32))) == [
        Repeat("units", "Unit", ("units.0", "units.1", "units.2"))]


class Twin(Unit):
    """A Unit under another class name."""


def with_silu(unit: Unit) -> Unit:
    unit.relu = nn.SiLU()
    return unit


@pytest.mark.parametrize("second", [Unit(8, 8, kernel=5), Unit(8, 8, stride=2), Twin(8, 8),
                                    with_silu(Unit(8, 8))],
                         ids=["kernel", "stride", "class", "operator"])
def test_blocks_differing_in_window_class_or_operators_do_not_fold(second: nn.Module) -> None:
    assert repeats_of(Chain(Unit(3, 8), second)) == []


def test_blocks_with_something_running_between_them_or_side_by_side_do_not_fold() -> None:
    assert repeats_of(Chain(Unit(3, 8), nn.MaxPool2d(2), Unit(8, 8))) == []
    assert repeats_of(Detour()) == []
    assert repeats_of(CalledTwice()) == []  # folding them would make a cycle through c
    assert repeats_of(Branches()) == []


def test_outer_repeats_fold_first_and_inner_ones_once_they_are_unfolded() -> None:
    graph = trace_model(Chain(Chain(Unit(3, 8), Unit(8, 8)), Chain(Unit(8, 8), Unit(8, 8))),
                        torch.zeros(1, 3, 16, 16), "nested")
    repeats = find_repeats(graph)
    assert [r.key for r in repeats] == ["units.0", "units.0.units.0", "units.1.units.0"]
    assert list(stacks(fold(graph, graph, repeats))) == ["units.0"]
    inner = fold(graph, graph, repeats, unfolded={"units.0"})
    assert {name: a[g.QUALNAME] for name, a in stacks(inner).items()} == {
        "units.0.units.0": "units.0.units.0–1", "units.1.units.0": "units.1.units.0–1"}


@pytest.mark.parametrize("paths,label", [
    (("layer3.1", "layer3.2", "layer3.5"), "layer3.1–5"),
    (("features.denseblock3.denselayer1", "features.denseblock3.denselayer24"),
     "features.denseblock3.denselayer1–24"),
    (("encoder.layers.encoder_layer_0", "encoder.layers.encoder_layer_11"),
     "encoder.layers.encoder_layer_0–11"),
    (("inception4a", "inception4e"), "inception4a–e"),
    (("block1", "block12"), "block1–12"),
    (("stages.10", "stages.19"), "stages.10–19"),
])
def test_range_label_names_the_first_and_what_differs_in_the_last(paths, label) -> None:
    assert range_label(paths) == label
