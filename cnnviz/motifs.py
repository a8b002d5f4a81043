"""The signature motif of an architecture, found in a drawn graph: what the first screen shows
when the whole model does not fit at a readable scale.

A *join* is a node with two or more inputs: an inception module's concatenation of its
branches, a residual block's addition, a dense layer reading every earlier output. Its motif
is the join, the *fork* where its inputs part (their nearest common ancestor) and everything
between. A dense block's joins share one fork, so their motifs merge, up to a size. A network
without joins (AlexNet, VGG) has as its motif its first stack of convolutions of one kernel
size, through the pooling that ends it.
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from cnnviz import graph as g
from cnnviz.graph import Category
from cnnviz.layout import Layout

INCEPTION, RESIDUAL, DENSE, STACK = "inception", "residual", "dense", "stack"
MERGED_UP_TO = 12  # nodes: how far the motifs of joins sharing a fork merge
FRAME_GROWTH = 2.0  # a motif's frame takes in its block's box up to this much larger


@dataclass(frozen=True)
class Motif:
    """A motif of a drawn graph: its kind, the node where it starts and where it ends, and
    every node it spans (those included)."""

    kind: str
    start: str
    end: str
    nodes: frozenset[str]


def first_motif(graph: nx.DiGraph) -> Motif | None:
    """The first motif in execution order, or None for a chain without repeated kernels."""
    order = list(nx.topological_sort(graph))
    position = {name: i for i, name in enumerate(order)}
    for join in order:
        inputs = list(graph.predecessors(join))
        if len(inputs) < 2:
            continue
        fork = _nearest_common_ancestor(graph, inputs, position)
        if fork is None:
            continue
        nodes = _between(graph, fork, join)
        kind = _kind(graph, join, len(inputs))
        if kind == DENSE:
            return _merged_dense(graph, order, position, fork, join, nodes)
        return Motif(kind, fork, join, frozenset(nodes))
    return _first_stack(graph, order)


def _nearest_common_ancestor(graph: nx.DiGraph, inputs: list[str],
                             position: dict[str, int]) -> str | None:
    common = set.intersection(*({name} | nx.ancestors(graph, name) for name in inputs))
    return max(common, key=position.__getitem__, default=None)


def _between(graph: nx.DiGraph, fork: str, join: str) -> set[str]:
    return (nx.descendants(graph, fork) & nx.ancestors(graph, join)) | {fork, join}


def _kind(graph: nx.DiGraph, join: str, inputs: int) -> str:
    attrs = graph.nodes[join]
    category = attrs[g.CATEGORY]
    if category == Category.ADD:
        return RESIDUAL
    if category == Category.CONCAT and inputs >= 3 and not _feeds_another_join(graph, join):
        return INCEPTION
    return DENSE


def _feeds_another_join(graph: nx.DiGraph, join: str) -> bool:
    """Whether the join's inputs also reach a later join directly: a dense block's rail."""
    later = {s for p in graph.predecessors(join) for s in graph.successors(p)} - {join}
    return any(graph.in_degree(s) >= 2 for s in later)


def _merged_dense(graph: nx.DiGraph, order: list[str], position: dict[str, int], fork: str,
                  join: str, nodes: set[str]) -> Motif:
    """A dense block's first joins, which all read from the same fork, as one motif."""
    end = join
    for later in order[position[join] + 1:]:
        if graph.in_degree(later) < 2 or fork not in graph.pred[later]:
            continue
        grown = nodes | _between(graph, fork, later)
        if len(grown) > MERGED_UP_TO:
            break
        nodes, end = grown, later
    return Motif(DENSE, fork, end, frozenset(nodes))


def _first_stack(graph: nx.DiGraph, order: list[str]) -> Motif | None:
    """The first run of two or more convolutions of one kernel size (and what lies between
    them), through the pooling that ends it."""
    run: list[int] = []
    kernel = None
    for index, name in enumerate(order):
        attrs = graph.nodes[name]
        if attrs[g.CATEGORY] == Category.POOL:
            if len(run) >= 2:
                return Motif(STACK, order[run[0]], name, frozenset(order[run[0]:index + 1]))
            run = []
        elif attrs[g.CATEGORY] == Category.CONV:
            size = attrs[g.CONFIG].get("kernel_size")
            if run and size == kernel:
                run.append(index)
                continue
            if len(run) >= 2:
                return Motif(STACK, order[run[0]], order[index - 1],
                             frozenset(order[run[0]:index]))
            run, kernel = [index], size
    return None


def motif_frame(graph: nx.DiGraph, layout: Layout, motif: Motif) -> tuple[float, float, float,
                                                                         float]:
    """The rectangle (left, top, right, bottom, in scene units) that shows the motif: its
    nodes' boxes, and the box of the innermost block around its end when that box is not much
    larger (so that its label shows too)."""
    boxes = [layout.nodes[name] for name in motif.nodes]
    left = min(b.x - b.width / 2 for b in boxes)
    top = min(b.y - b.height / 2 for b in boxes)
    right = max(b.x + b.width / 2 for b in boxes)
    bottom = max(b.y + b.height / 2 for b in boxes)
    paths = [path for path, _ in graph.nodes[motif.end][g.HIERARCHY]]
    clusters = {box.path: box for box in layout.clusters}
    for path in reversed(paths):
        if path in clusters:
            box = clusters[path]
            if box.width * box.height <= FRAME_GROWTH * (right - left) * (bottom - top):
                left, right = min(left, box.x - box.width / 2), max(right, box.x + box.width / 2)
                top, bottom = min(top, box.y - box.height / 2), max(bottom, box.y + box.height / 2)
            break
    return left, top, right, bottom
