"""Phase 2, long edges and rails: the layered graph, in which every edge joins adjacent ranks.

An edge spanning several ranks gets a dummy point on each rank it crosses, so it is routed
around the nodes and blocks it bypasses. Where long edges form a dense bipartite web (DenseNet:
every layer's output feeds every later concatenation) they share *rails*: columns of dummy
points that the sources write into and the targets read from, one on each side of the nodes
they serve (a web whose edges never interleave gets one, wherever the ordering puts it). Each
edge still gets its own route, which follows its rail.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.layout.clusters import Clusters

# Above this many edges a web keeps one rail: splitting it compares every pair of its edges.
_MOST_EDGES_SPLIT = 4000
_MOST_SPLIT_ROUNDS = 8


@dataclass(frozen=True)
class Rail:
    """Long edges (indices into the graph's edges) drawn along one column of dummy points.

    ``side`` -1 keeps the column left of every other item and box in its piece, 1 right of
    them, 0 leaves it to the ordering.
    """

    edges: list[int]
    side: int


@dataclass(frozen=True)
class LayeredGraph:
    """Items on ranks: the nodes first (item i is node i), then the dummy points.

    ``up[i]`` and ``down[i]`` map each neighbour of item i on the rank above or below to the
    number of edges drawn between them; ``routes[e]`` lists the items edge e passes through,
    its two end nodes included; ``ancestors[i]`` is the chain of pieces holding item i,
    innermost first; ``side[i]`` is the side of its piece item i keeps to (a rail's, else 0).
    """

    node_count: int
    rank_count: int
    rank: list[int]
    node: list[int]  # the node an item is, -1 for a dummy point
    piece: list[int]
    ancestors: list[list[int]]
    up: list[dict[int, int]]
    down: list[dict[int, int]]
    routes: list[list[int]]
    side: list[int]


def find_rails(edges: list[tuple[int, int]], rank: list[int]) -> list[Rail]:
    """The rails of the long edges.

    Assumes: rank[v] > rank[u] for every edge (u, v).
    Leaves: rails of disjoint sets of edges spanning two ranks or more. Long edges are grouped
    by shared sources and shared targets; a group whose bipartite source/target graph has a
    cycle (as many edges as endpoints, or more) is a dense web that routing edge by edge
    would turn into a tangle, so it gets rails: one on each side of its nodes (sides -1 and
    1), each edge on the side where it interleaves with fewer others, where that saves more
    interleaving pairs than the web has edges; else a single one (side 0).
    """
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(key: tuple[str, int]) -> tuple[str, int]:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    long_edges = [e for e, (u, v) in enumerate(edges) if rank[v] - rank[u] >= 2]
    for e in long_edges:
        u, v = edges[e]
        parent[find(("s", u))] = find(("t", v))
    groups: dict[tuple[str, int], list[int]] = {}
    for e in long_edges:
        groups.setdefault(find(("s", edges[e][0])), []).append(e)
    rails = []
    for members in groups.values():
        endpoints = {("s", edges[e][0]) for e in members} | {("t", edges[e][1]) for e in members}
        if len(members) < len(endpoints):
            continue
        arcs = [(rank[edges[e][0]], rank[edges[e][1]]) for e in members]
        right = _right_side(arcs) if len(members) <= _MOST_EDGES_SPLIT else None
        if right is not None:
            rails.append(Rail([e for e, r in zip(members, right) if not r], -1))
            rails.append(Rail([e for e, r in zip(members, right) if r], 1))
        else:
            rails.append(Rail(members, 0))
    return rails


def _right_side(arcs: list[tuple[int, int]]) -> list[bool] | None:
    """Which of these edges (first and last rank each) go right of the nodes they join, so that
    few pairs on one side interleave (a < c < b < d: drawn side by side, they would cross);
    None where two sides would save fewer such pairs than there are edges.

    Two-page book drawing, greedily: the longest edges first, each to the side where it
    interleaves with fewer edges placed; then edges move over while that removes crossings.
    The threshold keeps small webs on one rail: there a second rail, which the other edges
    must get around, cost more crossings than it saved (random models, bench).
    """
    first = np.array([a for a, _ in arcs])
    last = np.array([b for _, b in arcs])
    inside = (first[:, None] < first[None, :]) & (first[None, :] < last[:, None])
    interleave = (inside & (last[:, None] < last[None, :])).astype(np.int8)
    interleave += interleave.T  # symmetric: row i lists the edges that interleave with i
    order = sorted(range(len(arcs)), key=lambda i: (first[i] - last[i], first[i], i))
    side = [0] * len(arcs)  # 0 left, 1 right
    crossings = np.zeros((2, len(arcs)), dtype=np.int64)  # with the edges placed on a side
    for i in order:
        side[i] = int(crossings[1, i] < crossings[0, i])
        crossings[side[i]] += interleave[i]
    for _ in range(_MOST_SPLIT_ROUNDS):
        moved = False
        for i in order:
            if crossings[1 - side[i], i] < crossings[side[i], i]:
                crossings[side[i]] -= interleave[i]
                side[i] = 1 - side[i]
                crossings[side[i]] += interleave[i]
                moved = True
        if not moved:
            break
    one_side = int(interleave.sum(dtype=np.int64)) // 2
    two_sides = int(sum(crossings[s, i] for i, s in enumerate(side))) // 2
    return [s == 1 for s in side] if one_side - two_sides >= len(arcs) else None


def split_long_edges(edges: list[tuple[int, int]], rank: list[int], rails: list[Rail],
                     clusters: Clusters) -> LayeredGraph:
    """The layered graph: a dummy point per rank crossed by a long edge, one column per rail.

    Assumes: rank[v] > rank[u] for every edge (u, v); ``rails`` from :func:`find_rails`;
    ``clusters`` built on these ranks without the rail edges.
    Leaves: every route going down one rank per step; a long edge's dummy point on rank r in
    the deepest piece covering r that encloses one of its ends, a rail's points in the
    innermost piece that encloses all its targets and covers all its ranks; dummy points
    numbered edge by edge (the edges off rails, in edge order), then rail by rail, each on its
    rail's side; every piece holding an item (its own or an inner piece's) on each rank it
    covers.
    """
    pieces = clusters.pieces
    item_rank, node, piece = list(rank), list(range(len(rank))), list(clusters.node_piece)
    side = [0] * len(rank)

    def add_dummy(r: int, in_piece: int, on_side: int = 0) -> int:
        item_rank.append(r)
        node.append(-1)
        piece.append(in_piece)
        side.append(on_side)
        return len(item_rank) - 1

    on_rail = {e for rail in rails for e in rail.edges}
    routes: list[list[int]] = [[] for _ in edges]
    for e, (u, v) in enumerate(edges):
        if e not in on_rail:
            chains = [clusters.chain(piece[u]), clusters.chain(piece[v])]
            routes[e] = [u] + [add_dummy(r, _deepest_covering(clusters, chains, r))
                               for r in range(rank[u] + 1, rank[v])] + [v]
    for rail in rails:
        spans = [(rank[edges[e][0]] + 1, rank[edges[e][1]] - 1) for e in rail.edges]
        first, last = min(s for s, _ in spans), max(t for _, t in spans)
        holder = _common_piece(clusters, [piece[edges[e][1]] for e in rail.edges])
        while not (pieces[holder].covers(first) and pieces[holder].covers(last)):
            holder = pieces[holder].parent
        points: dict[int, int] = {}
        for s, t in spans:
            for r in range(s, t + 1):
                if r not in points:
                    points[r] = add_dummy(r, holder, rail.side)
        for e, (s, t) in zip(rail.edges, spans):
            u, v = edges[e]
            routes[e] = [u] + [points[r] for r in range(s, t + 1)] + [v]
    up: list[dict[int, int]] = [{} for _ in item_rank]
    down: list[dict[int, int]] = [{} for _ in item_rank]
    for route in routes:
        for a, b in zip(route, route[1:]):
            down[a][b] = down[a].get(b, 0) + 1
            up[b][a] = up[b].get(a, 0) + 1
    ancestors = [clusters.chain(p) for p in piece]
    return LayeredGraph(len(rank), max(rank) + 1, item_rank, node, piece, ancestors, up, down,
                        routes, side)


def _deepest_covering(clusters: Clusters, chains: list[list[int]], rank: int) -> int:
    """The deepest piece at ``rank`` among those covering it in the given chains."""
    pieces = clusters.pieces
    best = 0
    for chain in chains:
        covering = next(p for p in chain if pieces[p].covers(rank))
        if pieces[covering].depth > pieces[best].depth:
            best = covering
    return best


def _common_piece(clusters: Clusters, pieces: list[int]) -> int:
    """The innermost piece containing all the given pieces."""
    common = clusters.chain(pieces[0])
    for piece in pieces[1:]:
        chain = set(clusters.chain(piece))
        common = [p for p in common if p in chain]
    return common[0]
