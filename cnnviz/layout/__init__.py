"""Layered (Sugiyama-style) layout of a model graph, drawn top to bottom or left to right.

:func:`layout_graph` is a pipeline of the phases of dagre and Graphviz ``dot``, a module
each; every phase is a function of the results of the phases before it:

1. ``ranks``: a row per node: longest path from the inputs, then nodes with more outputs
   than inputs move down next to their consumers.
2. ``long_edges``: which dense webs of long edges share *rails*, one each side; once the
   clusters are known, a dummy point on every rank a long edge crosses.
3. ``clusters``: the ``hierarchy`` attribute as nested boxes (``layer2.1 · Bottleneck``),
   each over a contiguous range of ranks; at the end, the boxes around their contents.
4. ``ordering``: the order within each rank, with few crossings, clusters kept contiguous.
5. ``coordinates``: x from a linear program solved exactly by ``network_simplex``, y by rows.
6. ``routing``: every edge's polyline, vertical through rows and curved between them.

``geometry`` holds the result types and the spacing. Every phase works top to bottom; a
left-to-right layout is the top-to-bottom one of boxes with width and height swapped and room
for cluster labels beside their contents instead of above, transposed at the end
(``geometry.Spacing``). Qt-free, torch-free and deterministic: nothing depends on hash
order. The quality measures are in :mod:`cnnviz.layout.quality`, which only the tests and
``bench/`` import.
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterable

import networkx as nx

from cnnviz.graph import HIERARCHY
from cnnviz.layout.clusters import Hierarchy, build_clusters, cluster_boxes
from cnnviz.layout.coordinates import node_boxes, rank_rows, x_coordinates
from cnnviz.layout.geometry import (
    CHAR_WIDTH,
    CLUSTER_LABEL_HEIGHT,
    CLUSTER_PAD,
    DEFAULT_NODE_SIZE,
    LEFT_TO_RIGHT,
    LINE_HEIGHT,
    MARGIN,
    NODE_GAP,
    ORIENTATIONS,
    RANK_GAP,
    SPACINGS,
    TEXT_PADDING,
    TOP_TO_BOTTOM,
    ClusterBox,
    EdgePath,
    Layout,
    NodeBox,
    flush_left,
    node_size,
    transposed,
)
from cnnviz.layout.long_edges import find_rails, split_long_edges
from cnnviz.layout.ordering import order_ranks
from cnnviz.layout.ranks import rank_nodes
from cnnviz.layout.routing import route_edges

__all__ = [
    "CHAR_WIDTH", "CLUSTER_LABEL_HEIGHT", "CLUSTER_PAD", "DEFAULT_NODE_SIZE", "LEFT_TO_RIGHT",
    "LINE_HEIGHT", "NODE_GAP", "ORIENTATIONS", "RANK_GAP", "TEXT_PADDING", "TOP_TO_BOTTOM",
    "ClusterBox", "EdgePath", "Layout", "NodeBox", "layout_graph", "node_size",
]


def layout_graph(
    graph: nx.DiGraph,
    sizes: dict[str, tuple[float, float]] | None = None,
    clusters: bool = True,
    orientation: str = TOP_TO_BOTTOM,
) -> Layout:
    """Lay out a DAG top to bottom (``tb``) or left to right (``lr``); ``sizes`` maps node →
    (width, height), default 140×36, kept in both orientations.

    With ``clusters`` the nodes' ``hierarchy`` attributes become nested boxes.
    """
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}, not {orientation!r}")
    if not nx.is_directed_acyclic_graph(graph):
        raise ValueError("layout_graph needs a directed acyclic graph")
    if not graph:
        return Layout({}, [], [], 0.0, 0.0, orientation)
    with _COLLECTOR_PAUSE:
        return _laid_out(graph, sizes or {}, clusters, orientation)


class _CollectorPause:
    """Python's cyclic garbage collector paused while any thread is in the block.

    A large layout allocates millions of small objects and keeps many of them for a phase:
    that starts full collections of the whole heap, a third of DeepNet's layout time. The
    layout makes no reference cycles, so nothing waits for the collector meanwhile. Whether
    the collector was on is restored when the last thread leaves.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._resume = False

    def __enter__(self) -> None:
        with self._lock:
            if self._inside == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._inside += 1

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self._inside -= 1
            if self._inside == 0 and self._resume:
                gc.enable()


_COLLECTOR_PAUSE = _CollectorPause()


def _laid_out(graph: nx.DiGraph, sizes: dict[str, tuple[float, float]], clusters: bool,
              orientation: str) -> Layout:
    """layout_graph's pipeline, on a non-empty DAG."""
    names = list(graph.nodes)
    across = orientation == LEFT_TO_RIGHT  # laid out top to bottom, then transposed
    spacing = SPACINGS[orientation]
    box_sizes = []
    for name in names:
        width, height = map(float, sizes.get(name, DEFAULT_NODE_SIZE))
        box_sizes.append((height, width) if across else (width, height))
    index = {name: i for i, name in enumerate(names)}
    edges = [(index[u], index[v]) for u, v in graph.edges]
    hierarchies = ([_hierarchy_key(graph.nodes[name].get(HIERARCHY)) for name in names]
                   if clusters else [()] * len(names))

    rank = rank_nodes(len(names), edges)
    rails = find_rails(edges, rank)
    nesting = build_clusters(hierarchies, rank, edges, {e for rail in rails for e in rail.edges},
                             spacing)
    layered = split_long_edges(edges, rank, rails, nesting)
    ordering = order_ranks(layered, nesting)
    half_width = [0.0 if v < 0 else box_sizes[v][0] / 2 for v in layered.node]
    x = x_coordinates(layered, nesting, ordering, half_width, edges, spacing)
    rows = rank_rows(rank, box_sizes, nesting, spacing)
    frames = cluster_boxes(nesting, layered.piece, x, half_width, rows.top, rows.bottom, spacing)
    x, frames, width = flush_left(x, half_width, frames)
    boxes = node_boxes(names, box_sizes, rank, x, rows)
    paths = route_edges(layered, ordering.pos, x, rows, boxes)
    height = max([b.y + b.height / 2 for b in boxes] + [f.y + f.height / 2 for f in frames])
    layout = Layout({box.name: box for box in boxes}, paths, frames, width, height + MARGIN)
    return transposed(layout) if across else layout


def _hierarchy_key(hierarchy: Iterable[tuple[str, str]] | None) -> Hierarchy:
    """The hierarchy attribute as a hashable tuple of (path, type) pairs."""
    return tuple((str(path), str(kind)) for path, kind in (hierarchy or ()))
