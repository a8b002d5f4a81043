"""Search matching and block membership, without Qt: on small hand-built graphs and on
ResNet-18 collapsed to its BasicBlocks, checked against the full graph's hierarchy paths."""
from __future__ import annotations

import networkx as nx
import pytest
from torch import nn

from cnnviz import analysis, diagram, session
from cnnviz import graph as g
from cnnviz.layout import Layout, NodeBox


def _node(name: str, qualname: str, module_type: str, hierarchy=(), children=None) -> dict:
    attrs = {g.NAME: name, g.QUALNAME: qualname, g.MODULE_TYPE: module_type,
             g.HIERARCHY: tuple(hierarchy)}
    if children is not None:
        attrs[g.CHILDREN] = tuple(children)
    return attrs


BODY, STEM, HEAD = ("body", "Sequential"), ("body.stem", "Stem"), ("body.head", "Head")


@pytest.fixture
def small() -> nx.DiGraph:
    """body (expanded) holds body.stem (collapsed: conv_a, relu_b) and body.head (expanded:
    conv_c); add_d is outside both."""
    graph = nx.DiGraph()
    graph.add_node("body.stem", **_node("body.stem", "body.stem", "Stem", [BODY],
                                        children=["conv_a", "relu_b"]))
    graph.add_node("conv_c", **_node("conv_c", "body.head.conv", "Conv2d", [BODY, HEAD]))
    graph.add_node("add_d", **_node("add_d", "add_d", "add"))
    graph.add_edges_from([("body.stem", "conv_c"), ("conv_c", "add_d")])
    return graph


def _layout(positions: dict[str, tuple[float, float]]) -> Layout:
    boxes = {name: NodeBox(name, x, y, 10.0, 4.0) for name, (x, y) in positions.items()}
    return Layout(boxes, [], [], 100.0, 100.0)


def test_matching_nodes_searches_names_paths_and_types_in_any_case() -> None:
    graph = nx.DiGraph()
    for attrs in (_node("relu_b", "stem.relu", "ReLU"), _node("conv_c", "head.conv", "Conv2d"),
                  _node("add_d", "head.add_d", "add"), _node("conv_a", "stem.conv", "Conv2d")):
        graph.add_node(attrs[g.NAME], **attrs)
    # Graph order differs from the drawing's: conv_a and conv_c share a row, conv_a left.
    layout = _layout({"relu_b": (20, 30), "conv_c": (50, 10), "add_d": (40, 5),
                      "conv_a": (20, 10)})
    assert diagram.matching_nodes(graph, layout, "CONV") == ["conv_a", "conv_c"]
    assert diagram.matching_nodes(graph, layout, "Stem.") == ["conv_a", "relu_b"]  # path
    assert diagram.matching_nodes(graph, layout, "relu") == ["relu_b"]  # name and type
    assert diagram.matching_nodes(graph, layout, "head") == ["add_d", "conv_c"]  # top first
    assert diagram.matching_nodes(graph, layout, "2d") == ["conv_a", "conv_c"]  # type only
    assert diagram.matching_nodes(graph, layout, "pool") == []
    assert diagram.matching_nodes(graph, layout, "") == []


def test_members_of_nodes_collapsed_blocks_and_expanded_boxes(small) -> None:
    assert diagram.members(small, "body.stem") == {"conv_a", "relu_b"}  # its children
    assert diagram.members(small, "conv_c") == {"conv_c"}  # an operation stands for itself
    assert diagram.members(small, "body.head") == {"conv_c"}  # an expanded box
    assert diagram.members(small, "body") == {"conv_a", "relu_b", "conv_c"}  # nested boxes
    assert diagram.members(small, "nowhere") == set()


def test_nodes_standing_for_operations_in_graph_order(small) -> None:
    assert diagram.nodes_standing_for(small, {"relu_b"}) == ["body.stem"]
    assert diagram.nodes_standing_for(small, {"add_d", "conv_a"}) == ["body.stem", "add_d"]
    assert diagram.nodes_standing_for(small, frozenset({"conv_c", "gone"})) == ["conv_c"]
    assert diagram.nodes_standing_for(small, set()) == []


@pytest.fixture(scope="module")
def resnet18():
    """The loaded model, its full graph and the graph with its BasicBlocks collapsed."""
    loaded = session.ModelRequest.of("resnet18").load()
    return loaded.model, loaded.graph, analysis.collapse(loaded.graph, depth=2)


def _under(full: nx.DiGraph, path: str) -> set[str]:
    """The full graph's operations inside the module at ``path``."""
    return {name for name, attrs in full.nodes(data=True)
            if path in (p for p, _ in attrs[g.HIERARCHY])}


def test_members_on_resnet18_are_the_operations_under_each_module(resnet18) -> None:
    _, full, collapsed = resnet18
    blocks = [n for n, a in collapsed.nodes(data=True) if a[g.CATEGORY] == g.Category.BLOCK]
    assert blocks == [f"layer{i}.{j}" for i in range(1, 5) for j in range(2)]
    for block in blocks:
        assert diagram.members(collapsed, block) == _under(full, block)
    boxes = [box.path for box in diagram.lay_out(collapsed).clusters]
    assert boxes == ["layer1", "layer2", "layer3", "layer4"]
    for path in boxes:
        assert diagram.members(collapsed, path) == _under(full, path)
    assert len(diagram.members(collapsed, "layer1")) == 14  # two blocks of 7 operations
    assert diagram.members(collapsed, "conv1") == {"conv1"}
    assert set().union(*(diagram.members(collapsed, n) for n in collapsed)) == set(full)


def test_each_operation_of_resnet18_is_drawn_by_its_block_or_itself(resnet18) -> None:
    _, full, collapsed = resnet18
    for name, attrs in full.nodes(data=True):
        paths = [path for path, _ in attrs[g.HIERARCHY]]
        expected = paths[1] if len(paths) >= 2 else name  # depth 2 is a BasicBlock
        assert diagram.nodes_standing_for(collapsed, {name}) == [expected], name
    assert diagram.nodes_standing_for(collapsed, _under(full, "layer2")) == ["layer2.0",
                                                                             "layer2.1"]


def test_matching_nodes_on_resnet18(resnet18) -> None:
    model, full, collapsed = resnet18
    layout = diagram.lay_out(full)
    block = [n for n in full if n in _under(full, "layer1.0")]  # execution order
    assert diagram.matching_nodes(full, layout, "layer1.0.") == block  # one column, in order
    convs = diagram.matching_nodes(full, layout, "conv")
    assert len(convs) == sum(isinstance(m, nn.Conv2d) for m in model.modules()) == 20
    assert convs[0] == "conv1"
    rows = [(layout.nodes[n].y, layout.nodes[n].x) for n in convs]
    assert rows == sorted(rows)
    assert diagram.matching_nodes(collapsed, diagram.lay_out(collapsed), "LAYER1.") == [
        "layer1.0", "layer1.1"]
