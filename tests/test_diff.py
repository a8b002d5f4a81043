"""The diff of two traced models: matching by module path and by structure, the classes and
fields of each operation, block sums, and relative weight changes between checkpoints."""
from __future__ import annotations

import functools
import math
from collections import OrderedDict

import networkx as nx
import pytest
import torch
import torchvision
from edited_net import write_net
from torch import nn

from cnnviz import graph as g
from cnnviz.diff import NodeClass, combined_class, diff_graphs
from cnnviz.session import LoadedModel, ModelRequest
from cnnviz.trace import trace_model
from cnnviz.weight_diff import ranked, relative_changes


@functools.cache
def zoo_model(name: str) -> LoadedModel:
    return ModelRequest.of(name).load()


def traced(model: nn.Module, shape: tuple[int, ...] = (1, 3, 32, 32)) -> nx.DiGraph:
    return trace_model(model.eval(), torch.zeros(shape))


def test_resnet18_against_resnet34_adds_exactly_the_eight_new_blocks() -> None:
    a, b = zoo_model("resnet18").graph, zoo_model("resnet34").graph
    new_blocks = ["layer1.2", "layer2.2", "layer2.3", *(f"layer3.{i}" for i in range(2, 6)),
                  "layer4.2"]
    expected = {name for name, path in b.nodes(data=g.QUALNAME)
                if any(path.startswith(block + ".") for block in new_blocks)}
    result = diff_graphs(a, b)
    assert len(expected) == 8 * 7 and set(result.added) == expected
    assert result.removed == [] and result.changed == []
    assert len(result.matched) == a.number_of_nodes() == 71
    # fx counters shift: layer2.0's addition is add_2 in ResNet-18, add_3 in ResNet-34
    assert b.nodes["add_3"][g.QUALNAME] == "layer2.0.add_3"
    assert result.counterpart_in_b("add_2") == "add_3"
    assert result.counterpart_in_a("add_3") == "add_2"
    assert result.class_in_b("add_2") == NodeClass.ADDED  # layer1.2's addition
    # ResNet's blocks call their relu twice: each call matches its own
    assert result.counterpart_in_b("layer4_1_relu_1") == "layer4_1_relu_1"
    blocks = {d.block: d for d in result.blocks}
    assert blocks["layer3"].added == 28 and blocks["layer3"].removed == 0
    assert blocks["(top level)"].params_delta == 0
    assert result.totals.params == (torchvision.models.ResNet18_Weights.DEFAULT.meta["num_params"],
                                    torchvision.models.ResNet34_Weights.DEFAULT.meta["num_params"])
    assert result.totals.macs == (a.graph[g.TOTAL_MACS], b.graph[g.TOTAL_MACS])
    assert sum(d.params_delta for d in result.blocks) == result.totals.params_delta


@pytest.mark.parametrize("name", ["alexnet", "googlenet", "densenet121"])
def test_a_model_against_itself_is_the_same_everywhere(name: str) -> None:
    a, b = zoo_model(name).graph, ModelRequest.of(name).load().graph  # two traces
    result = diff_graphs(a, b)
    assert result.same_architecture
    assert sorted(result.matched) == sorted((n, n) for n in a)
    classes = {result.class_in_a(n) for n in a} | {result.class_in_b(n) for n in b}
    assert classes == {NodeClass.SAME}
    assert all(d.params_delta == d.macs_delta == 0 for d in result.blocks)


def net_file(tmp_path, kernel: int, padding: int) -> LoadedModel:
    return ModelRequest.of(f"{write_net(tmp_path, kernel, padding)}:Net", trust=True).load()


def test_an_edited_kernel_changes_that_convolution_only(tmp_path) -> None:
    before, after = net_file(tmp_path, 3, 1).graph, net_file(tmp_path, 5, 2).graph
    result = diff_graphs(before, after)
    assert [(c.a, c.b, c.fields) for c in result.changed] == [
        ("conv2", "conv2", ("config", "params"))]
    assert result.added == result.removed == []
    assert result.class_in_b("conv2") == NodeClass.CHANGED
    assert result.class_in_a("conv1") == NodeClass.SAME
    assert result.change_of("conv2").fields == ("config", "params")
    assert result.change_of("conv1") is None


def test_an_edited_kernel_that_shrinks_the_maps_changes_the_shapes_downstream(tmp_path) -> None:
    before, after = net_file(tmp_path, 3, 1).graph, net_file(tmp_path, 5, 1).graph
    reshaped = {n for n in before if before.nodes[n][g.OUT_SHAPE] != after.nodes[n][g.OUT_SHAPE]}
    assert reshaped == {"conv2", "relu_1", "conv3", "add"}  # the pooling restores the shape
    result = diff_graphs(before, after)
    assert {c.a: c.fields for c in result.changed} == {
        "conv2": ("config", "output_shape", "params"),
        **{n: ("output_shape",) for n in reshaped - {"conv2"}}}
    assert all(c.a == c.b for c in result.changed)
    assert result.added == result.removed == []


def vgg_like(batch_norm: bool) -> nn.Module:
    layers: list[nn.Module] = []
    channels = 3
    for width in (8, 8, "pool", 16, 16, "pool"):
        if width == "pool":
            layers.append(nn.MaxPool2d(2))
            continue
        norm = [nn.BatchNorm2d(width)] if batch_norm else []
        layers += [nn.Conv2d(channels, width, 3, padding=1), *norm, nn.ReLU()]
        channels = width
    return nn.Sequential(OrderedDict(features=nn.Sequential(*layers), flatten=nn.Flatten(),
                                     classifier=nn.Linear(16 * 8 * 8, 10)))


def test_a_batch_norm_after_every_convolution_is_added_across_the_renumbering() -> None:
    a, b = traced(vgg_like(False)), traced(vgg_like(True))
    result = diff_graphs(a, b)
    convs_a = [n for n in a if a.nodes[n][g.MODULE_TYPE] == "Conv2d"]
    convs_b = [n for n in b if b.nodes[n][g.MODULE_TYPE] == "Conv2d"]
    assert convs_a[1:] != convs_b[1:]  # renumbered: features.2 became features.3, …
    assert [result.counterpart_in_b(c) for c in convs_a] == convs_b
    assert set(result.added) == {n for n in b if b.nodes[n][g.MODULE_TYPE] == "BatchNorm2d"}
    assert len(result.added) == 4 and result.removed == [] and result.changed == []
    assert result.counterpart_in_b("classifier") == "classifier"


class Branches(nn.Module):
    """Two branches joined by an addition, run in either order."""

    def __init__(self, left_first: bool) -> None:
        super().__init__()
        self.left_first = left_first
        self.left = nn.Conv2d(3, 4, 3, padding=1)
        self.right = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        if self.left_first:
            left = self.left(x)
            return left + self.right(x)
        right = self.right(x)
        return self.left(x) + right


def test_operations_run_in_another_order_still_match_by_module_path() -> None:
    result = diff_graphs(traced(Branches(True)), traced(Branches(False)))
    assert result.same_architecture
    assert result.counterpart_in_b("left") == "left" and result.counterpart_in_b("right") == "right"


def test_a_renamed_layer_matches_by_structure() -> None:
    a = traced(nn.Sequential(OrderedDict(conv=nn.Conv2d(3, 4, 3), act=nn.ReLU())))
    b = traced(nn.Sequential(OrderedDict(stem=nn.Conv2d(3, 4, 3), act=nn.ReLU())))
    result = diff_graphs(a, b)
    assert result.counterpart_in_b("conv") == "stem" and result.same_architecture


class Shared(nn.Module):
    """Three convolutions, each followed by one shared ReLU unless ``calls`` runs out."""

    def __init__(self, calls: int) -> None:
        super().__init__()
        self.calls = calls
        self.convs = nn.ModuleList(nn.Conv2d(3, 3, 1) for _ in range(3))
        self.relu = nn.ReLU()

    def forward(self, x):
        for index, conv in enumerate(self.convs):
            x = conv(x)
            x = self.relu(x) if index < self.calls else x
        return x


def test_a_module_called_once_less_matches_its_calls_in_order() -> None:
    a, b = traced(Shared(3)), traced(Shared(2))
    result = diff_graphs(a, b)
    relus_a = [n for n in a if a.nodes[n][g.MODULE_TYPE] == "ReLU"]
    relus_b = [n for n in b if b.nodes[n][g.MODULE_TYPE] == "ReLU"]
    assert [result.counterpart_in_b(n) for n in relus_a] == [*relus_b, None]
    assert result.removed == relus_a[2:] and result.added == []


def block(name: str, kernel: int = 3) -> type[nn.Module]:
    """A residual block class called ``name``: the same operations under another class."""

    def __init__(self) -> None:
        nn.Module.__init__(self)
        self.conv = nn.Conv2d(4, 4, kernel, padding=kernel // 2)

    return type(name, (nn.Module,), {"__init__": __init__,
                                     "forward": lambda self, x: x + torch.relu(self.conv(x))})


def stacked(*blocks: nn.Module) -> nn.Module:
    return nn.Sequential(OrderedDict([("stem", nn.Conv2d(3, 4, 1)), *blocks]))


def test_a_block_of_another_class_matches_by_structure() -> None:
    a = traced(stacked(("body", block("Residual")()), ("head", nn.Conv2d(4, 2, 1))))
    b = traced(stacked(("body", block("Skip")()), ("head", nn.Conv2d(4, 2, 1))))
    assert a.nodes["body_conv"][g.HIERARCHY] != b.nodes["body_conv"][g.HIERARCHY]
    result = diff_graphs(a, b)
    assert result.same_architecture and result.matched == [(n, n) for n in a]


def test_a_block_of_another_class_with_another_kernel_has_its_convolution_changed() -> None:
    a = traced(stacked(("body", block("Residual")()), ("head", nn.Conv2d(4, 2, 1))))
    b = traced(stacked(("body", block("Skip", kernel=5)()), ("head", nn.Conv2d(4, 2, 1))))
    result = diff_graphs(a, b)
    assert [(c.a, c.b, c.fields) for c in result.changed] == [
        ("body_conv", "body_conv", ("config", "params"))]
    assert result.added == result.removed == []


def test_a_block_moved_past_a_matched_layer_is_removed_and_added_not_crossed() -> None:
    a = traced(stacked(("early", block("Residual")()), ("head", nn.Conv2d(4, 4, 1))))
    b = traced(stacked(("head", nn.Conv2d(4, 4, 1)), ("late", block("Skip")())))
    result = diff_graphs(a, b)
    assert result.counterpart_in_b("head") == "head"
    assert set(result.removed) == {n for n, p in a.nodes(data=g.QUALNAME) if p.startswith("early.")}
    assert set(result.added) == {n for n, p in b.nodes(data=g.QUALNAME) if p.startswith("late.")}
    assert len(result.added) == len(result.removed) == 3


def test_a_replaced_operator_is_removed_and_added() -> None:
    a = traced(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()))
    b = traced(nn.Sequential(nn.Conv2d(3, 4, 3), nn.GELU()))
    result = diff_graphs(a, b)
    assert result.removed == result.added == ["_1"]
    assert a.nodes["_1"][g.MODULE_TYPE] == "ReLU" and b.nodes["_1"][g.MODULE_TYPE] == "GELU"
    assert result.changed == [] and result.counterpart_in_b("_0") == "_0"


def test_combined_class_of_a_block() -> None:
    assert combined_class([NodeClass.ADDED, NodeClass.ADDED]) == NodeClass.ADDED
    assert combined_class([NodeClass.SAME, NodeClass.ADDED]) == NodeClass.CHANGED
    assert combined_class([]) == NodeClass.SAME


def test_checkpoints_that_differ_in_one_layer_move_only_that_layer(tmp_path) -> None:
    state = torchvision.models.resnet18().state_dict()
    edited = {k: v.clone() for k, v in state.items()}
    edited["layer2.0.conv1.weight"] += 0.01 * torch.randn_like(state["layer2.0.conv1.weight"])
    torch.save(state, tmp_path / "a.pt")
    torch.save(edited, tmp_path / "b.pt")
    a = ModelRequest.of("resnet18", weights=str(tmp_path / "a.pt")).load()
    b = ModelRequest.of("resnet18", weights=str(tmp_path / "b.pt")).load()
    changes = relative_changes(a.graph, a.model, b.model)
    moved = {node: change for node, change in changes.items() if change}
    expected = (torch.linalg.norm(edited["layer2.0.conv1.weight"] - state["layer2.0.conv1.weight"])
                / torch.linalg.norm(state["layer2.0.conv1.weight"])).item()
    assert list(moved) == ["layer2_0_conv1"]
    assert moved["layer2_0_conv1"] == pytest.approx(expected, rel=1e-5)
    weighted = [m for m in a.model.modules() if list(m.parameters(recurse=False))]
    assert len(changes) == len(weighted) == 41  # 20 convolutions, 20 batch norms, fc
    assert ranked(changes)[0][0] == "layer2_0_conv1"


def test_a_layer_from_zero_weights_changes_infinitely() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    a, b = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2)), nn.Sequential(
        nn.Linear(4, 3), nn.Linear(3, 2))
    for layer in (a[0], b[0], a[1]):
        nn.init.zeros_(layer.weight), nn.init.zeros_(layer.bias)
    changes = relative_changes(traced(model, (1, 4)), a, b)
    assert changes == {"_0": 0.0, "_1": math.inf}
