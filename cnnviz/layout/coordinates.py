"""Phase 5, coordinates: x of every item and the y of every rank row.

x: items are aligned into vertical chains (blocks; main paths first, so chains come out
straight), then a linear program places blocks and cluster borders: minimise the weighted
horizontal length of edges subject to the separations that node widths and cluster padding
need, solved exactly by the network simplex. y: rank rows one below the other, with room
between them for cluster padding and labels. The orientation's :class:`Spacing` says how far
apart rows are and whether a cluster's label takes room above its first row (top to bottom)
or inside its left border (left to right, where that becomes its top).
"""
from __future__ import annotations

import math
from collections.abc import Iterator
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

# Weights of the x objective (Graphviz dot's), by the number of dummy points a link joins:
# long edges are kept straighter than short ones.
_WEIGHTS = (1, 2, 8)

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
    block = _align(graph, ordering, *longest_paths(graph.node_count, edges))
    borders = max(block) + 1
    # Variables: blocks, then the left and right border of each piece but the root, then an
    # origin, then one helper per pair of blocks joined by edges. A pair of variables a, b is
    # keyed a·size + b.
    origin = borders + 2 * (len(clusters.pieces) - 1)
    size = origin + 1
    tails, heads, minlens, weights = [], [], [], []
    for key, gap in _separations(graph, ordering, half_width, block, borders, size,
                                 spacing.label_before).items():
        tails.append(key // size)
        heads.append(key % size)
        minlens.append(gap)
        weights.append(0)
    helper = size
    for key, weight in _pulls(graph, block, size).items():
        for end in divmod(key, size):
            tails.append(helper)
            heads.append(end)
            minlens.append(0.0)
            weights.append(weight)
        helper += 1
    values = network_simplex(helper, tails, heads, minlens, weights)
    return [values[b] for b in block]


# Kinds of token on a rank: a node, a dummy point, the left or right border of a piece.
_NODE, _DUMMY, _LEFT, _RIGHT = range(4)


def _separations(graph: LayeredGraph, ordering: Ordering, half_width: list[float],
                 block: list[int], borders: int, size: int, label: float) -> dict[int, float]:
    """The least distance from each variable to the next on any rank, and from the origin
    (size − 1) to the first on each rank (0); pairs keyed a·size + b, piece p's borders
    being variables borders + 2·(p − 1) and the one after."""
    # The gap between the extents of two neighbouring tokens, by kind; ``label`` is the room
    # for a cluster's label inside its left border.
    gaps = [[NODE_GAP, EDGE_GAP, CLUSTER_GAP, CLUSTER_PAD],
            [EDGE_GAP, EDGE_GAP, CLUSTER_GAP, CLUSTER_PAD],
            [CLUSTER_PAD + label] * 4,
            [CLUSTER_GAP, CLUSTER_GAP, CLUSTER_GAP, CLUSTER_PAD]]
    separation: dict[int, float] = {}
    for order in ordering.order:
        tokens = _tokens(order, graph, block, half_width, borders)
        kind_before, before, half_before = next(tokens)
        separation.setdefault((size - 1) * size + before, 0.0)
        for kind, variable, half in tokens:
            key = before * size + variable
            gap = half_before + gaps[kind_before][kind] + half
            if separation.get(key, -math.inf) < gap:
                separation[key] = gap
            kind_before, before, half_before = kind, variable, half
    return separation


def _tokens(order: list[int], graph: LayeredGraph, block: list[int], half_width: list[float],
            borders: int) -> Iterator[tuple[int, int, float]]:
    """A rank's items left to right with the borders of the pieces around them: (kind,
    variable, half width) each."""
    opened: list[int] = []  # pieces whose left border is passed, outermost first
    for item in order:
        chain = graph.ancestors[item]  # innermost first, the root last
        if chain[0] != (opened[-1] if opened else 0):
            path = chain[-2::-1]
            common = 0
            while common < min(len(path), len(opened)) and path[common] == opened[common]:
                common += 1
            while len(opened) > common:
                yield _RIGHT, borders + 2 * opened.pop() - 1, 0.0
            for piece in path[common:]:
                yield _LEFT, borders + 2 * piece - 2, 0.0
                opened.append(piece)
        yield (_DUMMY if graph.node[item] < 0 else _NODE), block[item], half_width[item]
    while opened:
        yield _RIGHT, borders + 2 * opened.pop() - 1, 0.0


def _pulls(graph: LayeredGraph, block: list[int], size: int) -> dict[int, int]:
    """The summed weight of the links between each pair of blocks, keyed a·size + b, a < b."""
    pull: dict[int, int] = {}
    node = graph.node
    for a, below in enumerate(graph.down):
        for b in below:
            if block[a] != block[b]:
                key = min(block[a], block[b]) * size + max(block[a], block[b])
                pull[key] = pull.get(key, 0) + _WEIGHTS[(node[a] < 0) + (node[b] < 0)]
    return pull


def _align(graph: LayeredGraph, ordering: Ordering, depth: list[int], height: list[int]
           ) -> list[int]:
    """Block number of every item; a block is a vertical chain drawn at one x.

    Candidate links between adjacent ranks are taken greedily, best first: node-node
    links on the longest paths (``depth`` from a source, ``height`` to a sink, per node; so
    a residual block's main path is straight, not its shortcut), then dummy-dummy links (long
    edges stay straight), then node-dummy links. A link must not cross an accepted link or a
    cluster border.
    """
    rank, pos, node = graph.rank, ordering.pos, graph.node
    median_below = [_median_position(pos, below) for below in graph.down]
    median_above = [_median_position(pos, above) for above in graph.up]
    candidates = []
    for a, below in enumerate(graph.down):
        for b in below:
            kind = (node[a] < 0) + (node[b] < 0)
            priority = (3 if kind == 0 else 2 if kind == 2 else 1)
            criticality = depth[a] + height[b] if kind == 0 else 0
            offset = abs(pos[b] - median_below[a]) + abs(pos[a] - median_above[b])
            candidates.append((-priority, -criticality, offset, rank[a], pos[a], pos[b], a, b))
    candidates.sort()
    below = [-1] * len(rank)
    above = [-1] * len(rank)
    accepted: list[list[tuple[int, int]]] = [[] for _ in range(graph.rank_count)]
    for *_, a, b in candidates:
        if below[a] >= 0 or above[b] >= 0 or not _may_align(graph, ordering, a, b):
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
    """The median position of the neighbours, 0 for none."""
    if len(neighbours) < 2:
        return next((pos[n] for n in neighbours), 0)
    positions = sorted(pos[n] for n in neighbours)
    middle = len(positions) // 2
    if len(positions) % 2:
        return positions[middle]
    return (positions[middle - 1] + positions[middle]) / 2


def _may_align(graph: LayeredGraph, ordering: Ordering, a: int, b: int) -> bool:
    """Whether a (rank r) and b (rank r + 1) can share an x without crossing a border (a
    piece has a border on a rank where it holds an item: every rank it covers)."""
    below = graph.rank[b]
    chain_a, chain_b = graph.ancestors[a], graph.ancestors[b]
    starts_below = ordering.segment_start[below]
    pos_a, pos_b = ordering.pos[a], ordering.pos[b]
    for piece, start in ordering.segment_start[below - 1].items():
        if piece not in starts_below:  # not on b's rank: no border there
            continue
        inside_a, inside_b = piece in chain_a, piece in chain_b
        if inside_a != inside_b:
            return False
        if not inside_a and (pos_a < start) != (pos_b < starts_below[piece]):
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
