"""Long edges and rails: dummy points on the ranks an edge crosses, dense webs on rails."""
from __future__ import annotations

import itertools

import pytest
from layout_checks import assert_rails_beside_dense_blocks, layered
from synthetic_models import SYNTHETIC_MODELS, random_model

from cnnviz.layout.clusters import build_clusters
from cnnviz.layout.long_edges import Rail, find_rails, split_long_edges


def test_dense_blocks_route_their_edges_along_a_rail_each_side(layouts):
    graph, layout = layouts["densenet121"]
    assert_rails_beside_dense_blocks(graph, layout)
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
    assert find_rails(EDGES, RANK) == [Rail([0, 1, 2, 3], 0)]  # none interleave: one rail


def _interleaving(edges: list[tuple[int, int]], rank: list[int]) -> int:
    """Pairs of these edges that interleave: one starts inside the other and ends after it."""
    spans = sorted((rank[u], rank[v]) for u, v in edges)
    return sum(a < c < b < d for (a, b), (c, d) in itertools.combinations(spans, 2))


def test_an_interleaving_web_gets_a_rail_each_side():
    # A chain of eight nodes, each also feeding every node two or more ranks down (DenseNet's
    # pattern): one rail would make 70 pairs of its edges interleave, two sides make 19.
    edges = [(i, i + 1) for i in range(7)] + [(i, j) for i in range(8) for j in range(i + 2, 8)]
    rank = list(range(8))
    rails = find_rails(edges, rank)
    assert sorted(rail.side for rail in rails) == [-1, 1]
    assert sorted(e for rail in rails for e in rail.edges) == list(range(7, len(edges)))
    assert _interleaving(edges[7:], rank) == 70
    assert sum(_interleaving([edges[e] for e in rail.edges], rank) for rail in rails) == 19
    # Nodes 0 and 1 both feed 3 and 4: of these four edges two interleave. Saving that one
    # pair is not worth a second rail, which other edges would have to get around.
    few = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 3), (0, 4), (1, 3), (1, 4)]
    assert find_rails(few, [0, 1, 2, 3, 4]) == [Rail([4, 5, 6, 7], 0)]


def test_long_edges_get_a_dummy_point_per_rank_and_a_rail_one_column():
    rails = find_rails(EDGES, RANK)
    clusters = build_clusters([()] * 10, RANK, EDGES, {0, 1, 2, 3})
    graph = split_long_edges(EDGES, RANK, rails, clusters)
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
