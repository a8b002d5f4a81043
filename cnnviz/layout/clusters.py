"""Phase 3, clusters: the ``hierarchy`` of enclosing modules as nested boxes over ranks, and
the boxes' geometry once the items are placed.

A cluster (a hierarchy prefix such as ``layer2`` › ``layer2.1``) covers the ranks of its members
and of the edges between them. Where that range has a gap the cluster is cut into several
*pieces*, one box each, so every box spans a contiguous range of ranks.
"""
from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

from cnnviz.layout.geometry import (
    CLUSTER_PAD,
    SPACINGS,
    TOP_TO_BOTTOM,
    ClusterBox,
    Spacing,
)

_TOP_TO_BOTTOM = SPACINGS[TOP_TO_BOTTOM]

Hierarchy = tuple[tuple[str, str], ...]  # (module path, module type), outermost first


@dataclass(frozen=True)
class Piece:
    """A cluster box: a hierarchy prefix over the ranks start..end."""

    key: Hierarchy
    start: int
    end: int
    parent: int  # -1 for the root
    depth: int  # 0 outermost, -1 for the root
    children: tuple[int, ...]

    def covers(self, rank: int) -> bool:
        return self.start <= rank <= self.end


@dataclass(frozen=True)
class Clusters:
    """The pieces (0 is the root, which covers every rank; a parent comes before its
    children), each node's innermost piece, how far each piece's box reaches above the top of
    its first rank's row and below the bottom of its last (padding, label, inner boxes), and
    each piece's chain of enclosing pieces.
    """

    pieces: list[Piece]
    node_piece: list[int]
    top_reach: list[float]
    bottom_reach: list[float]
    chains: list[list[int]]

    def chain(self, piece: int) -> list[int]:
        """The piece and its ancestors, innermost first, the root last (shared: not to be
        changed)."""
        return self.chains[piece]


def build_clusters(hierarchies: list[Hierarchy], rank: list[int],
                   edges: list[tuple[int, int]], on_rails: Collection[int],
                   spacing: Spacing = _TOP_TO_BOTTOM) -> Clusters:
    """The pieces of every cluster, their boxes reaching ``spacing.label_above`` further up
    for the label.

    Assumes: ``hierarchies[v]`` and ``rank[v]`` for every node v (an empty hierarchy: no
    cluster); rank[v] > rank[u] for every edge (u, v). An edge makes the clusters common to
    its ends cover its ranks, unless it is on a rail (``on_rails``: indices into ``edges``),
    which are placed by themselves.
    Leaves: each node inside the piece of every prefix of its hierarchy that covers its rank;
    a child piece's ranks within its parent's; pieces of one cluster on disjoint rank ranges.
    """
    keys, outer, prefixes = _prefixes(hierarchies)  # prefixes[v]: v's clusters, outermost first
    # The ranks of each cluster's own nodes and edges (those of no inner cluster), then, inner
    # clusters first, the ranks it covers: those and its inner clusters'.
    spans: list[list[tuple[int, int]]] = [[] for _ in keys]
    for node, clusters in enumerate(prefixes):
        if clusters:
            spans[clusters[-1]].append((rank[node], rank[node]))
    for e, (u, v) in enumerate(edges):
        common = 0
        for cu, cv in zip(prefixes[u], prefixes[v]):
            if cu != cv:
                break
            common = cu
        if common and e not in on_rails:
            spans[common].append((rank[u], rank[v]))
    shorter_first = sorted(range(1, len(keys)), key=lambda c: len(keys[c]))
    for cluster in reversed(shorter_first):
        spans[cluster] = _merged_intervals(spans[cluster])
        if outer[cluster]:
            spans[outer[cluster]].extend(spans[cluster])
    found: list[tuple[Hierarchy, int, int, int]] = [((), 0, max(rank), -1)]
    by_cluster: list[list[int]] = [[0]] + [[] for _ in keys[1:]]
    for cluster in shorter_first:
        parent_pieces = by_cluster[outer[cluster]]
        for start, end in spans[cluster]:
            parent = next(p for p in parent_pieces if found[p][1] <= start <= found[p][2])
            found.append((keys[cluster], start, end, parent))
            by_cluster[cluster].append(len(found) - 1)
    children: list[list[int]] = [[] for _ in found]
    for p, (*_, parent) in enumerate(found[1:], start=1):
        children[parent].append(p)
    pieces = [Piece(key, start, end, parent, len(key) - 1, tuple(kids))
              for (key, start, end, parent), kids in zip(found, children)]
    node_piece = [next(p for p in by_cluster[clusters[-1] if clusters else 0]
                       if pieces[p].covers(rank[node]))
                  for node, clusters in enumerate(prefixes)]
    chains: list[list[int]] = []
    for p, piece in enumerate(pieces):  # a parent comes first
        chains.append([p] + (chains[piece.parent] if piece.parent >= 0 else []))
    return Clusters(pieces, node_piece, *_reaches(pieces, spacing.label_above), chains)


def _prefixes(hierarchies: list[Hierarchy]
              ) -> tuple[list[Hierarchy], list[int], list[tuple[int, ...]]]:
    """Every hierarchy prefix numbered (0 is the empty one; in order of first appearance,
    shorter ones first within a hierarchy), the number of each one's prefix one shorter (-1
    for the empty one), and each hierarchy as the numbers of its non-empty prefixes,
    outermost first."""
    number: dict[Hierarchy, int] = {(): 0}
    keys: list[Hierarchy] = [()]
    outer = [-1]
    known: dict[Hierarchy, tuple[int, ...]] = {}
    result = []
    for hierarchy in hierarchies:
        ids = known.get(hierarchy)
        if ids is None:
            for k in range(1, len(hierarchy) + 1):
                if hierarchy[:k] not in number:
                    number[hierarchy[:k]] = len(keys)
                    keys.append(hierarchy[:k])
                    outer.append(number[hierarchy[:k - 1]])
            ids = known[hierarchy] = tuple(number[hierarchy[:k]]
                                           for k in range(1, len(hierarchy) + 1))
        result.append(ids)
    return keys, outer, result


def _merged_intervals(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of closed integer intervals; touching intervals merge."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _reaches(pieces: list[Piece], label: float) -> tuple[list[float], list[float]]:
    """How far each piece's box reaches above its first row and below its last, with
    ``label`` above its contents."""
    top = [0.0] * len(pieces)
    bottom = [0.0] * len(pieces)
    for p in range(len(pieces) - 1, 0, -1):  # children come after their parents
        piece = pieces[p]
        top[p] = CLUSTER_PAD + label + max(
            (top[k] for k in piece.children if pieces[k].start == piece.start), default=0.0)
        bottom[p] = CLUSTER_PAD + max(
            (bottom[k] for k in piece.children if pieces[k].end == piece.end), default=0.0)
    return top, bottom


def cluster_boxes(clusters: Clusters, item_piece: list[int], x: list[float],
                  half_width: list[float], row_top: list[float], row_bottom: list[float],
                  spacing: Spacing = _TOP_TO_BOTTOM) -> list[ClusterBox]:
    """A box per piece but the root, around its items and inner boxes.

    Assumes: every item (node or dummy point) has its innermost piece, centre x and half
    width; ``row_top`` and ``row_bottom`` leave room for each box's reach (see
    :class:`Clusters`). Leaves: boxes in piece order, each padded around its contents, with
    ``spacing.label_before`` more on the left.
    """
    pieces = clusters.pieces
    before = CLUSTER_PAD + spacing.label_before
    extent = [[math.inf, -math.inf] for _ in pieces]
    for piece, centre, half in zip(item_piece, x, half_width):
        extent[piece][0] = min(extent[piece][0], centre - half - before)
        extent[piece][1] = max(extent[piece][1], centre + half + CLUSTER_PAD)
    for p in range(len(pieces) - 1, 0, -1):
        parent = pieces[p].parent
        extent[parent][0] = min(extent[parent][0], extent[p][0] - before)
        extent[parent][1] = max(extent[parent][1], extent[p][1] + CLUSTER_PAD)
    boxes = []
    for p, piece in enumerate(pieces[1:], start=1):
        path, kind = piece.key[-1]
        top = row_top[piece.start] - clusters.top_reach[p]
        bottom = row_bottom[piece.end] + clusters.bottom_reach[p]
        low, high = extent[p]
        boxes.append(ClusterBox(path, f"{path} · {kind}", (low + high) / 2,
                                (top + bottom) / 2, high - low, bottom - top, piece.depth))
    return boxes
