"""Independent checks of a layout, shared by the layout tests (assertions rewritten by pytest:
see conftest.py), and the first phases run one by one."""
from __future__ import annotations

import itertools

import networkx as nx
import pytest

from cnnviz.layout import (
    CLUSTER_LABEL_HEIGHT,
    LEFT_TO_RIGHT,
    ClusterBox,
    EdgePath,
    Layout,
    NodeBox,
)
from cnnviz.layout.clusters import Clusters, build_clusters
from cnnviz.layout.geometry import SHAPE_LABEL
from cnnviz.layout.long_edges import LayeredGraph, find_rails, split_long_edges
from cnnviz.layout.quality import edges_through_boxes, overlapping_boxes
from cnnviz.layout.ranks import rank_nodes


def naive_crossings(graph: nx.DiGraph) -> int:
    """Crossings of the plain layering: longest-path ranks, a dummy per rank of a long edge,
    each rank in insertion order (nodes, then dummies in edge order)."""
    rank: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        rank[node] = max((rank[p] + 1 for p in graph.predecessors(node)), default=0)
    layers: dict[int, list] = {}
    for node in graph.nodes:
        layers.setdefault(rank[node], []).append(node)
    links: dict[int, list] = {}  # rank r -> (upper item, lower item) between r and r + 1
    for u, v in graph.edges:
        chain = [u] + [(u, v, r) for r in range(rank[u] + 1, rank[v])] + [v]
        for r, (a, b) in enumerate(zip(chain, chain[1:]), start=rank[u]):
            if r + 1 < rank[v]:
                layers[r + 1].append(b)
            links.setdefault(r, []).append((a, b))
    position = {item: i for layer in layers.values() for i, item in enumerate(layer)}
    total = 0
    for pairs in links.values():
        ordered = sorted((position[a], position[b]) for a, b in pairs)
        for (a1, b1), (a2, b2) in itertools.combinations(ordered, 2):
            total += a1 < a2 and b1 > b2
    return total


def mirrored(layout: Layout) -> Layout:
    """A left-to-right layout mirrored in its diagonal (x for y), which must then meet every
    promise of a top-to-bottom one; a top-to-bottom layout as it is."""
    if layout.orientation != LEFT_TO_RIGHT:
        return layout
    return Layout({n: NodeBox(n, b.y, b.x, b.height, b.width) for n, b in layout.nodes.items()},
                  [EdgePath(e.source, e.target, tuple((y, x) for x, y in e.points))
                   for e in layout.edges],
                  [ClusterBox(c.path, c.label, c.y, c.x, c.height, c.width, c.depth)
                   for c in layout.clusters],
                  layout.height, layout.width)


def assert_well_formed(graph: nx.DiGraph, layout: Layout) -> None:
    """Every property the layout promises, measured on the result; edges run down the page
    from bottom border to top border (right, from right border to left border, in LR)."""
    assert set(layout.nodes) == set(graph.nodes)
    assert sorted((e.source, e.target) for e in layout.edges) == sorted(graph.edges)
    assert overlapping_boxes(layout) == []
    assert edges_through_boxes(layout) == []
    assert_cluster_labels_have_room(layout)
    layout = mirrored(layout)
    for edge in layout.edges:
        source, target = layout.nodes[edge.source], layout.nodes[edge.target]
        (x0, y0), (x1, y1) = edge.points[0], edge.points[-1]
        assert y0 == pytest.approx(source.y + source.height / 2)
        assert source.x - source.width / 2 <= x0 <= source.x + source.width / 2
        assert y1 == pytest.approx(target.y - target.height / 2)
        assert target.x - target.width / 2 <= x1 <= target.x + target.width / 2
        ys = [y for _, y in edge.points]
        assert all(a <= b + 1e-9 for a, b in zip(ys, ys[1:])), f"{edge} goes back"
    for box in layout.nodes.values():
        assert 0 <= box.x - box.width / 2 and box.x + box.width / 2 <= layout.width
        assert 0 <= box.y - box.height / 2 and box.y + box.height / 2 <= layout.height
    assert_clusters_well_formed(graph, layout)


def _inside(inner, outer, slack: float = 1e-6) -> bool:
    return (outer.x - outer.width / 2 - slack <= inner.x - inner.width / 2
            and inner.x + inner.width / 2 <= outer.x + outer.width / 2 + slack
            and outer.y - outer.height / 2 - slack <= inner.y - inner.height / 2
            and inner.y + inner.height / 2 <= outer.y + outer.height / 2 + slack)


def _overlap(a, b) -> bool:
    return (abs(a.x - b.x) < (a.width + b.width) / 2 - 1e-6
            and abs(a.y - b.y) < (a.height + b.height) / 2 - 1e-6)


def assert_cluster_labels_have_room(layout: Layout) -> None:
    """Nothing inside a cluster box reaches into the CLUSTER_LABEL_HEIGHT at its top."""
    for cluster in layout.clusters:
        label_bottom = cluster.y - cluster.height / 2 + CLUSTER_LABEL_HEIGHT
        inside = [b for b in [*layout.nodes.values(), *layout.clusters]
                  if b is not cluster and _inside(b, cluster)]
        for box in inside:
            assert box.y - box.height / 2 >= label_bottom - 1e-6, f"{box} under {cluster.label}"


def assert_shape_labels_have_room(layout: Layout) -> None:
    """A shape label of SHAPE_LABEL's size beside each edge's start, where Layout's docstring
    says the view may draw it, overlaps no box."""
    width, height = SHAPE_LABEL
    boxes = list(layout.nodes.values())
    for edge in layout.edges:
        x, y = edge.points[0]
        left, top = x + 4, (y - 1 - height if layout.orientation == LEFT_TO_RIGHT else y + 1)
        label = NodeBox("label", left + width / 2, top + height / 2, width, height)
        for box in boxes:
            assert not _overlap(label, box), f"{edge.source} → {edge.target}'s label on {box.name}"


def assert_clusters_well_formed(graph: nx.DiGraph, layout: Layout) -> None:
    """Each box holds exactly its members; two boxes are disjoint or nested by hierarchy."""
    members: dict[str, set[str]] = {}
    for node, hierarchy in graph.nodes(data="hierarchy"):
        for path, _ in hierarchy or ():
            members.setdefault(path, set()).add(node)
    assert {c.path for c in layout.clusters} == set(members)
    for cluster in layout.clusters:
        for name, box in layout.nodes.items():
            if _overlap(box, cluster):
                assert name in members[cluster.path], f"{name} inside {cluster.label}"
                assert _inside(box, cluster)
    for name in graph.nodes:
        for path, _ in graph.nodes[name].get("hierarchy") or ():
            assert any(_inside(layout.nodes[name], c) for c in layout.clusters if c.path == path)
    for a, b in itertools.combinations(layout.clusters, 2):
        if _overlap(a, b):
            outer, inner = (a, b) if a.width * a.height >= b.width * b.height else (b, a)
            assert _inside(inner, outer), f"{a.label} and {b.label} overlap"
            assert members[inner.path] <= members[outer.path]
            assert inner.depth > outer.depth


def assert_rails_beside_dense_blocks(graph: nx.DiGraph, layout: Layout) -> None:
    """The long runs of the edges into each of DenseNet-121's four dense blocks follow two
    columns (rows left to right), one each side of the block's nodes."""
    layout = mirrored(layout)
    rails: dict[str, set[float]] = {}
    for edge in layout.edges:
        for (x0, y0), (x1, y1) in zip(edge.points, edge.points[1:]):
            if x0 == x1 and y1 - y0 > 200:  # runs past at least two nodes
                block = graph.nodes[edge.target]["hierarchy"][1][0]
                rails.setdefault(block, set()).add(round(x0, 6))
    assert sorted(rails) == [f"features.denseblock{b}" for b in range(1, 5)]
    for block, xs in rails.items():
        inside = [b for n, b in layout.nodes.items()
                  if block in [path for path, _ in graph.nodes[n]["hierarchy"]]]
        assert len(xs) == 2, (block, xs)
        assert min(xs) < min(b.x - b.width / 2 for b in inside)
        assert max(xs) > max(b.x + b.width / 2 for b in inside)


def layered(graph: nx.DiGraph) -> tuple[list[str], list[tuple[int, int]], Clusters, LayeredGraph]:
    """Node names, edges (as node numbers), clusters and layered graph, as layout_graph
    makes them before ordering."""
    names = list(graph.nodes)
    index = {name: i for i, name in enumerate(names)}
    edges = [(index[u], index[v]) for u, v in graph.edges]
    hierarchies = [tuple(map(tuple, graph.nodes[n].get("hierarchy") or ())) for n in names]
    rank = rank_nodes(len(names), edges)
    rails = find_rails(edges, rank)
    clusters = build_clusters(hierarchies, rank, edges, {e for rail in rails for e in rail.edges})
    return names, edges, clusters, split_long_edges(edges, rank, rails, clusters)
