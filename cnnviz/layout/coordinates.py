"""Phase 5, coordinates: x of every item and the y of every rank row.

x: items are aligned into vertical chains (blocks; main paths first, so chains come out
straight), then a linear program places blocks and cluster borders: minimise the weighted
horizontal length of edges subject to the separations that node widths and cluster padding
need, solved exactly by the network simplex. y: rank rows one below the other, with room
between them for cluster padding and labels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from cnnviz.layout.clusters import Clusters
from cnnviz.layout.geometry import (
    CLUSTER_GAP,
    CLUSTER_PAD,
    EDGE_GAP,
    MARGIN,
    NODE_GAP,
    SPACINGS,
    TOP_TO_BOTTOM,
    NodeBox,
    Spacing,
)
from cnnviz.layout.long_edges import LayeredGraph
from cnnviz.layout.network_simplex import network_simplex
from cnnviz.layout.ordering import Ordering
from cnnviz.layout.ranks import longest_paths

# Weights of the x objective (Graphviz dot's): long edges are kept straighter than short ones.
_WEIGHT_REAL_REAL = 1
_WEIGHT_REAL_DUMMY = 2
_WEIGHT_DUMMY_DUMMY = 8

Token = tuple[str, int]  # ("item", item) or ("left" | "right", piece): a cluster border
_TOP_TO_BOTTOM = SPACINGS[TOP_TO_BOTTOM]


@dataclass(frozen=True)
class Rows:
    """The top and bottom y of each rank's row (the tallest node's height apart)."""

    top: list[float]
    bottom: list[float]


def x_coordinates(graph: LayeredGraph, clusters: Clusters, ordering: Ordering,
                  half_width: list[float], edges: list[tuple[int, int]],
                  spacing: Spacing = _TOP_TO_BOTTOM) -> list[float]:
    """Centre x of every item.

    Assumes: the ordered layered graph of these ``edges`` (the graph's, between nodes), each
    item's half width (0 for a dummy point).
    Leaves: every rank's items in their order, neighbours at least their half widths plus a
    gap apart: NODE_GAP between two nodes, EDGE_GAP next to a dummy point, and where cluster
    borders lie between them CLUSTER_PAD inside each border (plus ``spacing.label_before``
    inside a left border) and CLUSTER_GAP outside it; each block at one x; the weighted
    horizontal length of the links between items as small as that allows; x not normalised.
    """
    block = _align(graph, clusters, ordering, *longest_paths(graph.node_count, edges))
    block_count = max(block) + 1
    pieces = clusters.pieces
    # Variables: blocks, then left and right border of each piece but the root, then an
    # origin, then one helper per pair of blocks joined by edges.
    left = {p: block_count + 2 * (p - 1) for p in range(1, len(pieces))}
    right = {p: block_count + 2 * (p - 1) + 1 for p in range(1, len(pieces))}
    origin = block_count + 2 * (len(pieces) - 1)

    def variable(token: Token) -> int:
        kind, value = token
        if kind == "item":
            return block[value]
        return left[value] if kind == "left" else right[value]

    separation: dict[tuple[int, int], float] = {}

    def require(a: int, b: int, gap: float) -> None:
        if separation.get((a, b), -math.inf) < gap:
            separation[(a, b)] = gap

    for order in ordering.order:
        tokens = _tokens(order, graph.ancestors)
        require(origin, variable(tokens[0]), 0.0)
        for t1, t2 in zip(tokens, tokens[1:]):
            require(variable(t1), variable(t2),
                    _token_gap(graph, half_width, t1, t2, spacing.label_before))
    pull: dict[tuple[int, int], int] = {}
    for a in range(len(graph.rank)):
        for b in graph.down[a]:
            if block[a] != block[b]:
                pair = (min(block[a], block[b]), max(block[a], block[b]))
                pull[pair] = pull.get(pair, 0) + _edge_weight(graph, a, b)
    tails, heads, minlens, weights = [], [], [], []
    for (a, b), gap in separation.items():
        tails.append(a)
        heads.append(b)
        minlens.append(gap)
        weights.append(0)
    helper = origin + 1
    for (a, b), weight in pull.items():
        for end in (a, b):
            tails.append(helper)
            heads.append(end)
            minlens.append(0.0)
            weights.append(weight)
        helper += 1
    values = network_simplex(helper, tails, heads, minlens, weights)
    return [values[block[item]] for item in range(len(graph.rank))]


def _edge_weight(graph: LayeredGraph, a: int, b: int) -> int:
    dummies = graph.is_dummy(a) + graph.is_dummy(b)
    return (_WEIGHT_REAL_REAL, _WEIGHT_REAL_DUMMY, _WEIGHT_DUMMY_DUMMY)[dummies]


def _tokens(order: list[int], ancestors: list[list[int]]) -> list[Token]:
    """A rank's items left to right, with the borders of the cluster pieces around them."""
    tokens: list[Token] = []
    open_pieces: list[int] = []
    for item in order:
        path = ancestors[item][-2::-1]  # outermost first, root left out
        common = 0
        while common < min(len(path), len(open_pieces)) and path[common] == open_pieces[common]:
            common += 1
        while len(open_pieces) > common:
            tokens.append(("right", open_pieces.pop()))
        for piece in path[common:]:
            tokens.append(("left", piece))
            open_pieces.append(piece)
        tokens.append(("item", item))
    while open_pieces:
        tokens.append(("right", open_pieces.pop()))
    return tokens


def _token_gap(graph: LayeredGraph, half_width: list[float], t1: Token, t2: Token,
               label: float) -> float:
    """Least distance between the centres (or border lines) of two neighbouring tokens;
    ``label``: room for a cluster's label inside its left border."""
    kind1, kind2 = t1[0], t2[0]
    half1 = half_width[t1[1]] if kind1 == "item" else 0.0
    half2 = half_width[t2[1]] if kind2 == "item" else 0.0
    if kind1 == "item" and kind2 == "item":
        both_real = not graph.is_dummy(t1[1]) and not graph.is_dummy(t2[1])
        gap = NODE_GAP if both_real else EDGE_GAP
    elif (kind1, kind2) in (("item", "left"), ("right", "item"), ("right", "left")):
        gap = CLUSTER_GAP
    elif kind1 == "left":  # inside a cluster, after its left border
        gap = CLUSTER_PAD + label
    else:  # inside a cluster, before its right border
        gap = CLUSTER_PAD
    return half1 + gap + half2


def _align(graph: LayeredGraph, clusters: Clusters, ordering: Ordering, depth: list[int],
           height: list[int]) -> list[int]:
    """Block number of every item; a block is a vertical chain drawn at one x.

    Candidate links between adjacent ranks are taken greedily, best first: node-node
    links on the longest paths (``depth`` from a source, ``height`` to a sink, per node; so
    a residual block's main path is straight, not its shortcut), then dummy-dummy links (long
    edges stay straight), then node-dummy links. A link must not cross an accepted link or a
    cluster border.
    """
    rank, pos, up, down = graph.rank, ordering.pos, graph.up, graph.down
    candidates = []
    for a in range(len(rank)):
        for b in down[a]:
            kind = graph.is_dummy(a) + graph.is_dummy(b)
            priority = (3 if kind == 0 else 2 if kind == 2 else 1)
            criticality = depth[a] + height[b] if kind == 0 else 0
            offset = (abs(pos[b] - _median_position(pos, down[a]))
                      + abs(pos[a] - _median_position(pos, up[b])))
            candidates.append((-priority, -criticality, offset, rank[a], pos[a], pos[b], a, b))
    candidates.sort()
    below = [-1] * len(rank)
    above = [-1] * len(rank)
    accepted: list[list[tuple[int, int]]] = [[] for _ in range(graph.rank_count)]
    for *_, a, b in candidates:
        if below[a] >= 0 or above[b] >= 0 or not _may_align(graph, clusters, ordering, a, b):
            continue
        r = rank[a]
        pa, pb = pos[a], pos[b]
        if any((pos[c] - pa) * (pos[d] - pb) < 0 for c, d in accepted[r]):
            continue
        accepted[r].append((a, b))
        below[a], above[b] = b, a
    block = [-1] * len(rank)
    count = 0
    for item in range(len(rank)):
        if above[item] < 0:
            member = item
            while member >= 0:
                block[member] = count
                member = below[member]
            count += 1
    return block


def _median_position(pos: list[int], neighbours: dict[int, int]) -> float:
    positions = sorted(pos[n] for n in neighbours)
    middle = len(positions) // 2
    if len(positions) % 2:
        return positions[middle]
    return (positions[middle - 1] + positions[middle]) / 2


def _may_align(graph: LayeredGraph, clusters: Clusters, ordering: Ordering, a: int,
               b: int) -> bool:
    """Whether a (rank r) and b (rank r + 1) can share an x without crossing a border."""
    r = graph.rank[a]
    chain_a, chain_b = graph.ancestors[a], graph.ancestors[b]
    starts, starts_below = ordering.segment_start[r], ordering.segment_start[r + 1]
    for piece in starts:
        if not clusters.pieces[piece].covers(r + 1):
            continue
        inside_a, inside_b = piece in chain_a, piece in chain_b
        if inside_a != inside_b:
            return False
        if not inside_a:
            left_a = ordering.pos[a] < starts[piece]
            left_b = ordering.pos[b] < starts_below[piece]
            if left_a != left_b:
                return False
    return True


def rank_rows(rank: list[int], sizes: list[tuple[float, float]], clusters: Clusters,
              spacing: Spacing = _TOP_TO_BOTTOM) -> Rows:
    """The rows of the ranks, top down.

    Assumes: each node's rank and (width, height); ``clusters`` built on these ranks.
    Leaves: the first row MARGIN plus the reach of the boxes starting there below 0; each row
    as tall as its tallest node; between two rows ``spacing.rank_gap`` plus the reach of the
    boxes that end above and start below.
    """
    rank_count = max(rank) + 1
    above = [0.0] * (rank_count + 1)  # room needed above rank r for boxes starting
    below = [0.0] * (rank_count + 1)
    for p, piece in enumerate(clusters.pieces[1:], start=1):
        above[piece.start] = max(above[piece.start], clusters.top_reach[p])
        below[piece.end] = max(below[piece.end], clusters.bottom_reach[p])
    heights = [0.0] * rank_count
    for v, (_, height) in enumerate(sizes):
        r = rank[v]
        heights[r] = max(heights[r], height)
    row_top, row_bottom = [], []
    y = MARGIN + above[0]
    for r in range(rank_count):
        row_top.append(y)
        row_bottom.append(y + heights[r])
        y += heights[r] + below[r] + spacing.rank_gap + above[r + 1]
    return Rows(row_top, row_bottom)


def node_boxes(names: list[str], sizes: list[tuple[float, float]], rank: list[int],
               x: list[float], rows: Rows) -> list[NodeBox]:
    """Every node's box, centred at its x and in the middle of its rank's row."""
    return [NodeBox(name, x[v], (rows.top[rank[v]] + rows.bottom[rank[v]]) / 2, *sizes[v])
            for v, name in enumerate(names)]
