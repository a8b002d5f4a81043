"""The signature motif of each ILSVRC landmark, found in the diagram the app first draws."""
from __future__ import annotations

import networkx as nx
import pytest

from cnnviz import graph as g
from cnnviz import motifs, session
from cnnviz.graph import Category


def drawn(name: str) -> session.Diagram:
    """The diagram a model opens with."""
    loaded = session.ModelRequest.of(name).load()
    return session.make_diagram(loaded, session.default_view(loaded.graph))


@pytest.fixture(scope="module")
def googlenet() -> session.Diagram:
    return drawn("googlenet")


def test_googlenet_shows_an_inception_modules_four_branches(googlenet) -> None:
    motif = motifs.first_motif(googlenet.graph)
    graph = googlenet.graph
    assert motif.kind == motifs.INCEPTION
    inception = {n for n, a in graph.nodes(data=True)
                 if any(path == "inception3a" for path, _ in a[g.HIERARCHY])}
    assert motif.nodes == inception | {motif.start}
    assert graph.nodes[motif.end][g.CATEGORY] == Category.CONCAT
    assert graph.in_degree(motif.end) == 4
    assert set(graph.successors(motif.start)) <= motif.nodes  # every branch starts at the fork
    left, top, right, bottom = motifs.motif_frame(graph, googlenet.layout, motif)
    box = next(c for c in googlenet.layout.clusters if c.path == "inception3a")
    assert (left, right) == (box.x - box.width / 2, box.x + box.width / 2)  # its label shows


def test_resnet50_shows_a_residual_block_with_its_shortcut() -> None:
    shown = drawn("resnet50")
    motif = motifs.first_motif(shown.graph)
    assert motif.kind == motifs.RESIDUAL and shown.graph.nodes[motif.end][g.CATEGORY] == Category.ADD
    skip = [p for p in shown.graph.predecessors(motif.end) if shown.graph.edges[p, motif.end][g.SKIP]]
    assert skip and set(skip) <= motif.nodes
    assert {"layer1_0_conv1", "layer1_0_conv3", "layer1_0_downsample_0"} <= motif.nodes
    assert motif.start == "maxpool" and "layer1_1_conv1" not in motif.nodes


def test_densenet121_shows_a_dense_blocks_concatenations() -> None:
    shown = drawn("densenet121")
    motif = motifs.first_motif(shown.graph)
    layers = sorted(n for n in motif.nodes if ".denselayer" in n)
    assert motif.kind == motifs.DENSE and len(layers) >= 3
    # every dense layer in the motif reads the block's input, the fork: the concatenations
    assert all(shown.graph.has_edge(motif.start, layer) or layer.endswith("denselayer1")
               for layer in layers)
    assert len(motif.nodes) <= motifs.MERGED_UP_TO


@pytest.mark.parametrize("name,first,last", [
    ("vgg16", "features_0", "features_4"), ("alexnet", "features_6", "features_12")])
def test_chains_show_their_first_stack_of_convolutions(name: str, first: str, last: str) -> None:
    shown = drawn(name)
    motif = motifs.first_motif(shown.graph)
    assert (motif.kind, motif.start, motif.end) == (motifs.STACK, first, last)
    convs = [n for n in motif.nodes if shown.graph.nodes[n][g.CATEGORY] == Category.CONV]
    kernels = {str(shown.graph.nodes[n][g.CONFIG]["kernel_size"]) for n in convs}
    assert len(convs) >= 2 and len(kernels) == 1
    assert shown.graph.nodes[last][g.CATEGORY] == Category.POOL


def test_a_plain_chain_has_no_motif() -> None:
    chain = nx.DiGraph()
    for i, category in enumerate([Category.INPUT, Category.CONV, Category.ACT, Category.OUTPUT]):
        chain.add_node(str(i), **{g.CATEGORY: category, g.CONFIG: {"kernel_size": 3},
                                  g.HIERARCHY: ()})
    nx.add_path(chain, ["0", "1", "2", "3"])
    assert motifs.first_motif(chain) is None
