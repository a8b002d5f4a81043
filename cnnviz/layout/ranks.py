"""Phase 1, ranks: which row each node is drawn on, and longest paths through the graph.

Nodes are numbered 0..count-1 and edges are (tail, head) pairs of those numbers.
"""
from __future__ import annotations

import heapq


def rank_nodes(count: int, edges: list[tuple[int, int]]) -> list[int]:
    """The rank (row, 0 at the top) of every node.

    Longest-path ranks from the sources, then each node with more outputs than inputs moves
    down as far as its nearest consumer allows, so that a fork sits next to its branches.

    Assumes: ``count`` ≥ 1 and the edges form a directed acyclic graph.
    Leaves: rank[v] > rank[u] for every edge (u, v), and every rank from 0 to the largest
    holds at least one node (a longest path keeps a node on each: none of its nodes moves).
    """
    succ, pred = _adjacency(count, edges)
    topo = topological_order(count, succ)
    rank = _depths(topo, succ)
    for v in reversed(topo):
        if len(succ[v]) > len(pred[v]):
            rank[v] = max(rank[v], min(rank[w] for w in succ[v]) - 1)
    return rank


def longest_paths(count: int, edges: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """The longest path (in edges) from a source to each node, and from each node to a sink.

    Assumes: the edges form a directed acyclic graph.
    """
    succ, _ = _adjacency(count, edges)
    topo = topological_order(count, succ)
    depth = _depths(topo, succ)
    height = [0] * count
    for v in reversed(topo):
        for w in succ[v]:
            height[v] = max(height[v], height[w] + 1)
    return depth, height


def topological_order(count: int, succ: list[list[int]]) -> list[int]:
    """Kahn's algorithm, smallest number first among ready nodes; ``succ`` lists each node's
    successors. Raises RuntimeError on a cycle."""
    indegree = [0] * count
    for targets in succ:
        for w in targets:
            indegree[w] += 1
    ready = [v for v in range(count) if indegree[v] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        v = heapq.heappop(ready)
        order.append(v)
        for w in succ[v]:
            indegree[w] -= 1
            if indegree[w] == 0:
                heapq.heappush(ready, w)
    if len(order) != count:
        raise RuntimeError("cycle in a graph that must be acyclic")
    return order


def _adjacency(count: int, edges: list[tuple[int, int]]) -> tuple[list[list[int]], list[list[int]]]:
    """Successors and predecessors of every node, in edge order."""
    succ: list[list[int]] = [[] for _ in range(count)]
    pred: list[list[int]] = [[] for _ in range(count)]
    for u, v in edges:
        succ[u].append(v)
        pred[v].append(u)
    return succ, pred


def _depths(topo: list[int], succ: list[list[int]]) -> list[int]:
    """Longest path from a source to each node, given a topological order."""
    depth = [0] * len(topo)
    for v in topo:
        for w in succ[v]:
            depth[w] = max(depth[w], depth[v] + 1)
    return depth
