"""Ranks: what rank_nodes promises, and longest paths against networkx."""
from __future__ import annotations

import random

import networkx as nx
import pytest

from cnnviz.layout.ranks import longest_paths, rank_nodes, topological_order


def random_dag(seed: int, count: int = 14) -> list[tuple[int, int]]:
    """Edges from lower to higher numbers, about a third of all pairs: several sources."""
    rng = random.Random(seed)
    return [(u, v) for u in range(count) for v in range(u + 1, count) if rng.random() < 0.3]


@pytest.mark.parametrize("seed", range(20))
def test_edges_go_down_and_no_rank_is_empty(seed):
    edges = random_dag(seed)
    rank = rank_nodes(14, edges)
    assert all(rank[v] > rank[u] for u, v in edges)
    assert set(rank) == set(range(max(rank) + 1))


def test_a_fork_moves_down_next_to_its_consumers():
    # 0 → 1 → 2 → 3 → 4 is the main chain; 5 has no input and feeds 3 and 4; 6 relays 0 to 4.
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (5, 3), (5, 4), (0, 6), (6, 4)]
    rank = rank_nodes(7, edges)
    assert rank[:5] == [0, 1, 2, 3, 4]
    assert rank[5] == 2  # from 0, its longest-path rank, to just above node 3
    assert rank[6] == 1  # as many outputs as inputs: stays


@pytest.mark.parametrize("seed", range(10))
def test_longest_paths_match_networkx(seed):
    edges = random_dag(100 + seed, count=10)
    graph = nx.DiGraph(edges)
    graph.add_nodes_from(range(10))
    depth, height = longest_paths(10, edges)
    for v in range(10):
        into = nx.dag_longest_path_length(graph.subgraph(nx.ancestors(graph, v) | {v}))
        out = nx.dag_longest_path_length(graph.subgraph(nx.descendants(graph, v) | {v}))
        assert (depth[v], height[v]) == (into, out), v


def test_topological_order_takes_the_smallest_ready_node_first():
    assert topological_order(4, [[3], [], [], [1]]) == [0, 2, 3, 1]
    with pytest.raises(RuntimeError):
        topological_order(2, [[1], [0]])
