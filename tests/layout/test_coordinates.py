"""x coordinates: chains aligned into straight columns, branches side by side."""
from __future__ import annotations

import networkx as nx
import pytest


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
