"""Tracing: the graph's structure, the fallback recorder, and collapsing blocks."""
from __future__ import annotations

import networkx as nx
import pytest
import torch
import torchvision
from torch import nn

from cnnviz import analysis
from cnnviz import graph as g
from cnnviz.trace import FX, RECORDER, _trace_with_recorder, trace_model


def traced(name: str, size: int = 224) -> nx.DiGraph:
    model = torchvision.models.get_model(name, weights=None).eval()
    return trace_model(model, torch.zeros(1, 3, size, size), name)


@pytest.fixture(scope="module")
def resnet50() -> nx.DiGraph:
    return traced("resnet50")


@pytest.fixture(scope="module")
def densenet121() -> nx.DiGraph:
    return traced("densenet121")


@pytest.fixture(scope="module")
def googlenet() -> nx.DiGraph:
    return traced("googlenet")


def test_every_node_carries_the_contract_attributes(resnet50: nx.DiGraph) -> None:
    keys = {g.NAME, g.OP, g.TARGET, g.QUALNAME, g.MODULE_TYPE, g.CATEGORY, g.CONFIG, g.IN_SHAPES,
            g.OUT_SHAPE, g.DTYPE, g.PARAMS, g.TRAINABLE_PARAMS, g.MACS, g.RF, g.HIERARCHY,
            g.ACTIVATION_BYTES, g.PARAM_SHARE, g.MAC_SHARE}
    for name, attrs in resnet50.nodes(data=True):
        assert keys <= attrs.keys(), name
        assert attrs[g.NAME] == name
    assert nx.is_directed_acyclic_graph(resnet50)
    conv = resnet50.nodes["layer2_0_conv2"]
    assert conv[g.CONFIG] | {"kernel_size": (3, 3), "stride": (2, 2), "groups": 1} == conv[g.CONFIG]
    assert conv[g.IN_SHAPES] == [(1, 128, 56, 56)] and conv[g.OUT_SHAPE] == (1, 128, 28, 28)
    assert conv[g.HIERARCHY] == (("layer2", "Sequential"), ("layer2.0", "Bottleneck"))


def test_nodes_carry_the_shapes_a_forward_hook_sees(resnet50: nx.DiGraph) -> None:
    model = torchvision.models.resnet50().eval()
    seen: dict[str, list[tuple[int, ...]]] = {}
    for path, module in model.named_modules():
        if not list(module.children()):
            module.register_forward_hook(
                lambda m, i, o, path=path: seen.setdefault(path, []).append(tuple(o.shape)))
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    traced_calls: dict[str, list[tuple[int, ...]]] = {}
    for name in nx.topological_sort(resnet50):
        attrs = resnet50.nodes[name]
        if attrs[g.OP] == "call_module":
            traced_calls.setdefault(attrs[g.QUALNAME], []).append(attrs[g.OUT_SHAPE])
    assert traced_calls == seen  # a ReLU module called twice is two nodes


def test_each_bottleneck_has_one_residual_add_with_one_marked_skip(resnet50: nx.DiGraph) -> None:
    blocks = [b for b in analysis.blocks(resnet50).values() if b.module_type == "Bottleneck"]
    assert len(blocks) == 3 + 4 + 6 + 3
    for block in blocks:
        adds = [n for n in block.members if resnet50.nodes[n][g.CATEGORY] == g.Category.ADD]
        assert len(adds) == 1
        skips = [s for s in resnet50.predecessors(adds[0]) if resnet50.edges[s, adds[0]][g.SKIP]]
        assert len(skips) == 1
        source = resnet50.nodes[skips[0]]
        # The shortcut comes from before the block, or through its downsample branch.
        assert skips[0] not in block.members or source[g.QUALNAME].startswith(
            f"{block.path}.downsample")
    assert len(analysis.residual_additions(resnet50)) == 16


def test_dense_blocks_concatenate_all_earlier_feature_maps(densenet121: nx.DiGraph) -> None:
    inputs_per_concat = sorted(analysis.concatenations(densenet121).values())
    # Layer i of a block concatenates the block input and the i-1 earlier layers' outputs;
    # each block ends with a concatenation of all of them (block_config 6, 12, 24, 16).
    expected = sorted(i for layers in (6, 12, 24, 16) for i in range(1, layers + 2))
    assert inputs_per_concat == expected
    assert not analysis.residual_additions(densenet121)


def test_inception_modules_fork_into_four_branches_and_concatenate(googlenet: nx.DiGraph) -> None:
    concats = analysis.concatenations(googlenet)
    assert sorted(concats.values()) == [4] * 9
    forks = analysis.branch_points(googlenet)
    for concat in concats:
        module = googlenet.nodes[concat][g.HIERARCHY][-1][0]
        first_ops = [n for n, a in googlenet.nodes(data=True)
                     if a[g.QUALNAME] in (f"{module}.branch{i}.0.conv" if i > 1 else
                                          f"{module}.branch1.conv" for i in range(1, 5))]
        fork = {p for n in first_ops for p in googlenet.predecessors(n)}
        assert len(fork) == 1 and forks[fork.pop()] >= 3


def test_collapsing_to_a_depth_sums_the_numbers(resnet50: nx.DiGraph) -> None:
    collapsed = analysis.collapse(resnet50, depth=2)
    block = collapsed.nodes["layer2.0"]
    members = [n for n, a in resnet50.nodes(data=True) if ("layer2.0", "Bottleneck") in a[g.HIERARCHY]]
    assert set(block[g.CHILDREN]) == set(members)
    assert block[g.PARAMS] == sum(resnet50.nodes[n][g.PARAMS] for n in members)
    assert block[g.MACS] == sum(resnet50.nodes[n][g.MACS] for n in members)
    assert block[g.IN_SHAPES] == [(1, 256, 56, 56)] and block[g.OUT_SHAPE] == (1, 512, 28, 28)
    assert block[g.RF].size == (43, 43)
    assert collapsed.graph[g.TOTAL_PARAMS] == sum(a[g.PARAMS] for _, a in collapsed.nodes(data=True))
    assert nx.is_directed_acyclic_graph(collapsed)
    assert list(collapsed.successors("layer2.0")) == ["layer2.1"]
    depth_one = analysis.collapse(resnet50, depth=1)
    assert {"layer1", "layer2", "layer3", "layer4", "conv1", "fc"} <= set(depth_one)
    assert depth_one.number_of_nodes() == 13  # input, 4 stem ops, 4 stages, pool, flatten, fc, output


def test_one_block_collapses_and_expands(resnet50: nx.DiGraph) -> None:
    one = analysis.collapse(resnet50, collapsed=["layer3.1"])
    assert one.number_of_nodes() == resnet50.number_of_nodes() - 10 + 1
    assert one.nodes["layer3.1"][g.CATEGORY] == g.Category.BLOCK
    opened = analysis.collapse(resnet50, depth=2, expanded=["layer3.1"])
    assert "layer3.1" not in opened and "layer3_1_conv2" in opened and "layer3.0" in opened
    with pytest.raises(ValueError):
        analysis.collapse(resnet50, depth=0)


def test_fx_and_the_recorder_agree_on_a_real_model() -> None:
    model = torchvision.models.resnet18().eval()
    example = torch.zeros(1, 3, 224, 224)
    by_fx = trace_model(model, example, "resnet18")
    recorded = _trace_with_recorder(model, example)
    recorded.graph.update(model="resnet18", input_shape=example.shape)
    analysis.annotate(recorded)
    assert by_fx.graph[g.TRACER] == FX
    assert set(recorded.nodes) == set(by_fx.nodes)
    assert set(recorded.edges) == set(by_fx.edges)
    for name in by_fx:
        for key in (g.OUT_SHAPE, g.PARAMS, g.MACS, g.RF, g.HIERARCHY, g.CATEGORY):
            assert recorded.nodes[name][key] == by_fx.nodes[name][key], (name, key)


class GatedNet(nn.Module):
    """Data-dependent control flow: torch.fx cannot trace it; one branch never runs."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.left = nn.Conv2d(8, 8, 3, padding=1)
        self.right = nn.Conv2d(8, 8, 1)
        self.unused = nn.Conv2d(8, 8, 5, padding=2)
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.stem(x))
        if x.mean() >= 0:  # always true after a ReLU, but only a real run knows
            y = torch.cat([self.left(x), self.right(x)], dim=1)
        else:
            y = self.unused(x)
        y = y + torch.cat([x, x], dim=1)
        return self.head(y.mean(dim=(2, 3)))


def test_the_recorder_traces_data_dependent_control_flow_with_its_joins() -> None:
    model = GatedNet().eval()
    graph = trace_model(model, torch.rand(1, 3, 32, 32), "gated")
    assert graph.graph[g.TRACER] == RECORDER
    assert "torch.fx could not trace" in graph.graph[g.TRACER_NOTE]
    used = sum(p.numel() for m in (model.stem, model.left, model.right, model.head)
               for p in m.parameters())
    assert graph.graph[g.TOTAL_PARAMS] == used
    assert not any(a[g.QUALNAME] == "unused" for _, a in graph.nodes(data=True))
    assert sorted(analysis.concatenations(graph).values()) == [1, 2]  # cat([x, x]) reads x once
    (add,) = [n for n, a in graph.nodes(data=True) if a[g.CATEGORY] == g.Category.ADD]
    skip = [s for s in graph.predecessors(add) if graph.edges[s, add][g.SKIP]]
    assert graph.nodes[add][g.OUT_SHAPE] == (1, 16, 32, 32)
    assert len(skip) == 1 and graph.nodes[skip[0]][g.CATEGORY] == g.Category.CONCAT
    left = next(a for _, a in graph.nodes(data=True) if a[g.QUALNAME] == "left")
    assert left[g.RF].size == (5, 5) and left[g.MACS] == 32 * 32 * 8 * 8 * 9
    assert graph.nodes["output"][g.RF].is_global
    assert nx.is_directed_acyclic_graph(graph)


def test_inputs_of_other_ranks_trace() -> None:
    one_d = nn.Sequential(nn.Conv1d(1, 4, 5, stride=2), nn.ReLU(), nn.Conv1d(4, 4, 3))
    graph = trace_model(one_d, torch.zeros(1, 1, 100), "conv1d")
    last = graph.nodes["_2"]
    assert last[g.OUT_SHAPE] == (1, 4, 46) and last[g.RF].size == (9,) and last[g.RF].jump == (2,)
    assert last[g.MACS] == 46 * 4 * 4 * 3


def test_a_merged_edge_is_a_skip_only_if_all_its_tensors_are(resnet50: nx.DiGraph) -> None:
    blocks_only = analysis.collapse(resnet50, depth=2)
    # maxpool feeds layer1.0's first conv and (as the shortcut) its downsample: a main path.
    assert not blocks_only.edges["maxpool", "layer1.0"][g.SKIP]
    assert not any(skip for *_, skip in blocks_only.edges(data=g.SKIP))
    one_open = analysis.collapse(resnet50, depth=2, expanded=["layer1.1"])
    assert one_open.edges["layer1.0", "add_1"][g.SKIP]
