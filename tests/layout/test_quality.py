"""The quality measures on hand-made drawings with known faults."""
from __future__ import annotations

import networkx as nx

from cnnviz.layout import LEFT_TO_RIGHT, EdgePath, Layout, NodeBox
from cnnviz.layout.quality import count_crossings, edges_through_boxes, overlapping_boxes


def _drawing(*paths: tuple[str, str, list[tuple[float, float]]]) -> tuple[nx.DiGraph, Layout]:
    """A graph and a hand-made drawing of it: only the edge paths matter."""
    graph = nx.DiGraph([(s, t) for s, t, _ in paths])
    nodes = {n: NodeBox(n, 0, 0, 0, 0) for n in graph.nodes}
    edges = [EdgePath(s, t, tuple(p)) for s, t, p in paths]
    return graph, Layout(nodes, edges, [], 100, 100)


def test_count_crossings_on_known_drawings():
    x_shape = _drawing(("a", "b", [(0, 0), (10, 10)]), ("c", "d", [(10, 0), (0, 10)]))
    assert count_crossings(*x_shape) == 1
    through_vertex = _drawing(("a", "b", [(0, 0), (5, 5), (10, 10)]),
                              ("c", "d", [(10, 0), (5, 5), (0, 10)]))
    assert count_crossings(*through_vertex) == 1
    touching = _drawing(("a", "b", [(0, 0), (5, 5), (0, 10)]),
                        ("c", "d", [(10, 0), (5, 5), (10, 10)]))
    assert count_crossings(*touching) == 0
    shared_end = _drawing(("a", "b", [(0, 0), (10, 10)]), ("a", "d", [(10, 0), (0, 10)]))
    assert count_crossings(*shared_end) == 0
    # Joining a shared vertical stretch from the left and leaving it to the right: the paths
    # only touch, but drawn side by side they would cross once.
    bundle = _drawing(("a", "b", [(0, 0), (5, 5), (5, 15), (10, 20)]),
                      ("c", "d", [(5, -5), (5, 25)]))
    assert count_crossings(*bundle) == 0
    assert count_crossings(*bundle, unbundled=True) == 1
    across = [EdgePath(e.source, e.target, tuple((y, x) for x, y in e.points))
              for e in bundle[1].edges]
    turned = Layout(bundle[1].nodes, across, [], 100, 100, LEFT_TO_RIGHT)
    assert count_crossings(bundle[0], turned, unbundled=True) == 1  # the rail runs across
    same_side = _drawing(("a", "b", [(0, 0), (5, 5), (5, 15), (0, 20)]),
                         ("c", "d", [(5, -5), (5, 25)]))
    assert count_crossings(*same_side, unbundled=True) == 0
    twice = _drawing(("a", "b", [(0, 0), (10, 10), (0, 20)]), ("c", "d", [(5, 0), (5, 20)]))
    assert count_crossings(*twice) == 2


def test_overlap_and_through_measures_find_faults():
    nodes = {"a": NodeBox("a", 50, 20, 40, 20), "b": NodeBox("b", 75, 25, 40, 20),
             "c": NodeBox("c", 50, 200, 40, 20), "d": NodeBox("d", 50, 100, 40, 20)}
    layout = Layout(nodes, [EdgePath("a", "c", ((35, 30), (35, 190)))], [], 200, 300)
    assert overlapping_boxes(layout) == [("a", "b")]
    assert edges_through_boxes(layout) == [("a", "c", "d")]
