"""Long edges and rails: dummy points on the ranks an edge crosses, dense webs on one rail."""
from __future__ import annotations


def test_dense_blocks_route_their_edges_along_one_rail(layouts):
    graph, layout = layouts["densenet121"]
    rails: dict[str, set[float]] = {}
    for edge in layout.edges:
        for (x0, y0), (x1, y1) in zip(edge.points, edge.points[1:]):
            if x0 == x1 and y1 - y0 > 200:  # runs past at least two nodes
                block = graph.nodes[edge.target]["hierarchy"][1][0]
                rails.setdefault(block, set()).add(round(x0, 6))
    assert sorted(rails) == [f"features.denseblock{b}" for b in range(1, 5)]
    assert all(len(xs) == 1 for xs in rails.values()), rails
    concats = [n for n in graph.nodes if graph.nodes[n]["category"] == "concat"]
    ends = {}
    for edge in layout.edges:
        ends.setdefault(edge.target, []).append(edge)
    for concat in concats:
        assert len(ends[concat]) == graph.in_degree(concat)
