"""Long edges and rails: dummy points on the ranks an edge crosses, dense webs on one rail."""
from __future__ import annotations

import pytest
from layout_checks import assert_one_rail_per_dense_block, layered
from synthetic_models import SYNTHETIC_MODELS, random_model

from cnnviz.layout.clusters import build_clusters
from cnnviz.layout.long_edges import find_rails, split_long_edges


def test_dense_blocks_route_their_edges_along_one_rail(layouts):
    graph, layout = layouts["densenet121"]
    assert_one_rail_per_dense_block(graph, layout)
    concats = [n for n in graph.nodes if graph.nodes[n]["category"] == "concat"]
    ends = {}
    for edge in layout.edges:
        ends.setdefault(edge.target, []).append(edge)
    for concat in concats:
        assert len(ends[concat]) == graph.in_degree(concat)


# Sources 0 and 1 both feed targets 2 and 3 three ranks down (a dense web: four edges, four
# ends); 4 feeds 5 two ranks down alone; 6 feeds 7 and 8 (a fan: two edges, three ends); 0 → 9
# is short.
RANK = [0, 0, 3, 3, 0, 2, 0, 2, 2, 1]
EDGES = [(0, 2), (0, 3), (1, 2), (1, 3), (4, 5), (6, 7), (6, 8), (0, 9)]


def test_only_a_dense_web_of_long_edges_gets_a_rail():
    assert find_rails(EDGES, RANK) == [[0, 1, 2, 3]]


def test_long_edges_get_a_dummy_point_per_rank_and_a_rail_one_column():
    rails = find_rails(EDGES, RANK)
    graph = split_long_edges(EDGES, RANK, rails, build_clusters([()] * 10, RANK, EDGES, rails))
    # Dummy points: 4 → 5 gets 10 on rank 1, 6 → 7 and 6 → 8 get 11 and 12; the rail 13, 14.
    assert graph.node == list(range(10)) + [-1] * 5
    assert graph.rank[10:] == [1, 1, 1, 1, 2]
    assert graph.routes == [[0, 13, 14, 2], [0, 13, 14, 3], [1, 13, 14, 2], [1, 13, 14, 3],
                            [4, 10, 5], [6, 11, 7], [6, 12, 8], [0, 9]]
    assert graph.down[0] == {13: 2, 9: 1} and graph.down[13] == {14: 4}
    assert graph.up[2] == {14: 2} and graph.up[14] == {13: 4}
    assert (graph.node_count, graph.rank_count) == (10, 4)


def test_dummy_points_lie_in_the_deepest_cluster_of_an_end():
    # m holds 1 and 2 (ranks 1 and 2); 0 above it and 3 below it are outside.
    block = (("m", "Block"),)
    edges = [(0, 1), (1, 2), (2, 3), (0, 2), (0, 3)]
    rank = [0, 1, 2, 3]
    clusters = build_clusters([(), block, block, ()], rank, edges, [])
    graph = split_long_edges(edges, rank, [], clusters)
    assert graph.ancestors[graph.routes[3][1]] == [1, 0]  # 0 → 2 enters m to reach 2
    assert [graph.ancestors[item] for item in graph.routes[4][1:-1]] == [[0], [0]]  # passes m


@pytest.mark.parametrize("seed", range(6))
def test_every_piece_holds_an_item_on_each_rank_it_covers(seed):
    _, _, clusters, graph = layered(random_model(seed) if seed else SYNTHETIC_MODELS["densenet121"]())
    held = {(piece, graph.rank[item]) for item in range(len(graph.rank))
            for piece in graph.ancestors[item]}
    for p, piece in enumerate(clusters.pieces):
        assert all((p, r) in held for r in range(piece.start, piece.end + 1)), piece.key
    assert all(len(route) == graph.rank[route[-1]] - graph.rank[route[0]] + 1
               for route in graph.routes)
