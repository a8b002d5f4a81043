"""Coordinates: chains aligned into straight columns, branches side by side, neighbours apart,
rows with room for cluster boxes."""
from __future__ import annotations

import random

import networkx as nx
import pytest
from layout_checks import layered
from synthetic_models import random_model

from cnnviz.layout.clusters import build_clusters
from cnnviz.layout.coordinates import rank_rows, x_coordinates
from cnnviz.layout.geometry import (
    CLUSTER_GAP,
    CLUSTER_LABEL_HEIGHT,
    CLUSTER_PAD,
    EDGE_GAP,
    MARGIN,
    NODE_GAP,
    RANK_GAP,
)
from cnnviz.layout.ordering import order_ranks


@pytest.mark.parametrize("name", ["alexnet", "vgg16"])
def test_chain_is_one_straight_column(layouts, name):
    _, layout = layouts[name]
    xs = {round(box.x, 6) for box in layout.nodes.values()}
    assert len(xs) == 1
    ys = sorted(box.y for box in layout.nodes.values())
    assert len(set(ys)) == len(ys)


def test_residual_main_path_straight_with_skip_beside(layouts):
    graph, layout = layouts["resnet50"]
    skips = [(u, v) for u, v, skip in graph.edges(data="skip") if skip]
    assert len(skips) == 16
    paths = {(e.source, e.target): e for e in layout.edges}
    for shortcut, add in skips:
        main = next(p for p in graph.predecessors(add) if p != shortcut)
        fork = shortcut if graph.in_degree(shortcut) and graph.out_degree(shortcut) == 2 \
            else next(iter(graph.predecessors(next(iter(graph.predecessors(shortcut))))))
        column = [add, main]
        while column[-1] != fork:  # the main path: one input per node up to the fork
            column.append(next(iter(graph.predecessors(column[-1]))))
        assert len(column) >= 7
        assert len({round(layout.nodes[n].x, 6) for n in column}) == 1, column
        box = layout.nodes[add]
        xs = [x for x, _ in paths[(shortcut, add)].points]
        assert max(abs(x - box.x) for x in xs) > box.width / 2, "skip edge not beside the path"


def _inception_modules(graph: nx.DiGraph) -> list[tuple[str, list[list[str]], str]]:
    """(fork, branches top-down, concat) of every four-branch concatenation."""
    modules = []
    for concat in graph.nodes:
        if graph.nodes[concat]["category"] != "concat" or graph.in_degree(concat) != 4:
            continue
        branches = []
        for end in graph.predecessors(concat):
            branch = [end]
            parent = next(iter(graph.predecessors(end)))
            while graph.out_degree(parent) == 1:
                branch.append(parent)
                parent = next(iter(graph.predecessors(parent)))
            branches.append(branch[::-1])
        modules.append((parent, branches, concat))
    return modules


def test_inception_branches_side_by_side(layouts):
    graph, layout = layouts["googlenet"]
    modules = _inception_modules(graph)
    assert len(modules) == 9
    for fork, branches, concat in modules:
        tops = [layout.nodes[branch[0]] for branch in branches]
        assert len({round(b.y, 6) for b in tops}) == 1, "branches start on one rank"
        lefts = sorted((b.x - b.width / 2, b.x + b.width / 2) for b in tops)
        assert all(r1 < l2 for (_, r1), (l2, _) in zip(lefts, lefts[1:])), "side by side"
        for branch in branches:
            assert len({round(layout.nodes[n].x, 6) for n in branch}) == 1, "straight branch"
            for n in branch:
                assert layout.nodes[fork].y < layout.nodes[n].y < layout.nodes[concat].y


@pytest.mark.parametrize("seed", range(6))
def test_neighbours_are_their_widths_and_a_gap_apart(seed):
    _, edges, clusters, graph = layered(random_model(seed))
    ordering = order_ranks(graph, clusters)
    rng = random.Random(seed)
    half = [0.0 if graph.node[item] < 0 else rng.uniform(20, 120)
            for item in range(len(graph.rank))]
    x = x_coordinates(graph, clusters, ordering, half, edges)
    borders = 0
    for order in ordering.order:
        for a, b in zip(order, order[1:]):
            if graph.piece[a] != graph.piece[b]:  # a box's border between them, or more
                gap = CLUSTER_PAD + CLUSTER_GAP
                borders += 1
            else:
                gap = EDGE_GAP if min(graph.node[a], graph.node[b]) < 0 else NODE_GAP
            assert x[b] - x[a] >= half[a] + gap + half[b] - 1e-9
    assert borders


def test_rows_leave_room_for_cluster_boxes():
    # m holds nodes 1 and 2: room for its label above rank 1 and its padding below rank 2.
    block = (("m", "Block"),)
    rank = [0, 1, 2, 3]
    clusters = build_clusters([(), block, block, ()], rank, [(0, 1), (1, 2), (2, 3)], [])
    rows = rank_rows(rank, [(140.0, 36.0), (80.0, 50.0), (200.0, 20.0), (60.0, 36.0)], clusters)
    tops = [MARGIN]
    tops.append(tops[-1] + 36 + RANK_GAP + CLUSTER_PAD + CLUSTER_LABEL_HEIGHT)
    tops.append(tops[-1] + 50 + RANK_GAP)
    tops.append(tops[-1] + 20 + CLUSTER_PAD + RANK_GAP)
    assert rows.top == tops
    assert rows.bottom == [top + height for top, height in zip(tops, [36, 50, 20, 36])]
