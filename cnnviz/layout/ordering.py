"""Phase 4, ordering: the left-to-right order of the items on every rank, with few crossings.

Barycenter sweeps, alternating down and up, each followed by adjacent swaps, from two
depth-first starting orders; the best order seen is kept. Every cluster stays contiguous on
each rank, and sibling clusters keep one left-to-right order on all the ranks they share, so
their boxes never overlap; a rail with a side keeps to that side of its cluster. Sweeps stop
once two in a row find no fewer crossings, and a rank of one item is never sorted (left to
right, "left" is the top: the orientation is the final transposition's business).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cnnviz.layout.clusters import Clusters
from cnnviz.layout.long_edges import LayeredGraph

_MAX_SWEEPS = 8


@dataclass(frozen=True)
class Ordering:
    """Items of each rank left to right, every item's index in its rank, and on each rank the
    index where each piece present there starts (its leftmost item)."""

    order: list[list[int]]
    pos: list[int]
    segment_start: list[dict[int, int]]


def order_ranks(graph: LayeredGraph, clusters: Clusters) -> Ordering:
    """Order every rank.

    Assumes: a layered graph whose items lie in the pieces of ``clusters``, every piece
    holding an item (its own or an inner piece's) on each rank it covers.
    Leaves: of the orders tried, the one with the fewest crossings between adjacent ranks
    (an edge through a rail counted per edge); on every rank the items of each piece
    contiguous, and two sibling pieces in the same left-to-right order on all the ranks they
    share; an item with a side (a rail's point) left (-1) or right (1) of everything else in
    its piece; ``pos`` and ``segment_start`` agreeing with ``order``. Ties keep the order
    before.
    """
    return _Orderer(graph, clusters).run()


@dataclass
class _Entry:
    """A node or a whole cluster being sorted on one rank."""

    total: float
    weight: float
    fallback: float
    items: list[int]
    piece: int = -1
    side: int = 0  # an item's side of its piece, sorted before the barycenter

    @property
    def barycenter(self) -> float:
        return self.total / self.weight if self.weight else self.fallback


class _Orderer:
    """The order being improved, with each item's position and each piece's start."""

    def __init__(self, graph: LayeredGraph, clusters: Clusters) -> None:
        self.rank, self.piece, self.ancestors = graph.rank, graph.piece, graph.ancestors
        self.up, self.down, self.side = graph.up, graph.down, graph.side
        self.pieces = clusters.pieces
        self.rank_count = graph.rank_count
        self.order: list[list[int]] = [[] for _ in range(self.rank_count)]
        for item in range(len(self.rank)):
            self.order[self.rank[item]].append(item)
        self.pos = [0] * len(self.rank)
        self.segment_start: list[dict[int, int]] = [{} for _ in range(self.rank_count)]
        self.direct: dict[tuple[int, int], list[int]] = {}
        for item in range(len(self.rank)):
            self.direct.setdefault((self.piece[item], self.rank[item]), []).append(item)
        # Sorting a rank starts from the innermost piece holding all its items (the pieces
        # around it hold one entry each) and needs the pieces inside it, by parent.
        self.common = [self._common_piece(order) for order in self.order]
        self.kids_at: list[dict[int, list[int]]] = [{} for _ in range(self.rank_count)]
        for item, chain in enumerate(self.ancestors):
            r = self.rank[item]
            for piece in chain[:chain.index(self.common[r])]:
                kids = self.kids_at[r].setdefault(self.pieces[piece].parent, [])
                if piece in kids:
                    break
                kids.append(piece)
        for kids_by_parent in self.kids_at:
            for kids in kids_by_parent.values():
                kids.sort()

    def _common_piece(self, items: list[int]) -> int:
        """The innermost piece holding all these items."""
        common = self.piece[items[0]]
        for item in items[1:]:
            other = self.piece[item]
            while common != other:
                if self.pieces[common].depth >= self.pieces[other].depth:
                    common = self.pieces[common].parent
                else:
                    other = self.pieces[other].parent
        return common

    def run(self) -> Ordering:
        """Barycenter sweeps from two depth-first orders, the best kept (the first on a tie)."""
        crossings = self._sweeps(self._depth_first_visit(False))
        if crossings > 0:
            first = self._copy()
            if self._sweeps(self._depth_first_visit(True)) >= crossings:
                self._restore(first)
        return Ordering(self.order, self.pos, self.segment_start)

    def _copy(self) -> list[list[int]]:
        return [list(rank) for rank in self.order]

    def _restore(self, order: list[list[int]]) -> None:
        self.order = order
        for r in range(self.rank_count):
            self._set_positions(r)

    def _sweeps(self, visit: list[float]) -> int:
        """Order by visit number, then sweep; leaves the best order found, returns its crossings."""
        self._sort_rank(0, None, visit)
        for r in range(1, self.rank_count):
            self._sort_rank(r, r - 1, visit)
        best = self._crossings()
        kept = self.order  # the best order, once a sweep has made the current one worse
        stale = 0  # sweeps since the best
        for sweep in range(_MAX_SWEEPS):
            if best == 0 or stale >= 2:
                break
            if stale == 0:
                kept = self._copy()
            if sweep % 2 == 0:
                for r in range(1, self.rank_count):
                    self._sort_rank(r, r - 1)
            else:
                for r in range(self.rank_count - 2, -1, -1):
                    self._sort_rank(r, r + 1)
            self._transpose()
            crossings = self._crossings()
            if crossings < best:
                best, stale = crossings, 0
            else:
                stale += 1
        if stale:
            self._restore(kept)
        return best

    def _depth_first_visit(self, reverse: bool) -> list[float]:
        """Visit number of each item in a depth-first walk from the sources, taking each
        item's successors in edge order or in reverse."""
        visit = [-1.0] * len(self.rank)
        counter = 0
        for start in range(len(self.rank)):
            if self.up[start] or visit[start] >= 0:
                continue
            stack = [start]
            while stack:
                item = stack.pop()
                if visit[item] >= 0:
                    continue
                visit[item] = counter
                counter += 1
                successors = [w for w in self.down[item] if visit[w] < 0]
                stack.extend(successors if reverse else reversed(successors))
        return visit

    def _set_positions(self, r: int) -> None:
        starts: dict[int, int] = {}
        for index, item in enumerate(self.order[r]):
            self.pos[item] = index
            for piece in self.ancestors[item]:
                if piece in starts:
                    break
                starts[piece] = index
        self.segment_start[r] = starts

    def _sort_rank(self, r: int, fixed: int | None, keys: list[float] | None = None) -> None:
        """Sort rank r by barycenter (or by ``keys``), clusters kept contiguous and in order.

        Sibling clusters also present on the ``fixed`` rank keep their order from there.
        """
        if len(self.order[r]) > 1:
            entries = self._item_entries(r, fixed, keys)
            # The pieces around the common piece hold just one entry each.
            self.order[r] = self._sort_piece(self.common[r], r, entries,
                                             self._constraint_order(fixed)).items
        self._set_positions(r)

    def _item_entries(self, r: int, fixed: int | None, keys: list[float] | None
                      ) -> dict[int, _Entry]:
        """Each item of rank r with its barycenter on the ``fixed`` rank (or its key); its
        relative position now is the fallback."""
        current = len(self.order[r])
        width = len(self.order[fixed]) if fixed is not None else 1
        neighbours = self.up if fixed is not None and fixed < r else self.down
        entries = {}
        for item in self.order[r]:
            fallback = (self.pos[item] + 0.5) / current
            if keys is not None:
                entries[item] = _Entry(keys[item], 1.0, fallback, [item], side=self.side[item])
                continue
            total = weight = 0.0
            for other, count in neighbours[item].items():
                total += count * (self.pos[other] + 0.5) / width
                weight += count
            entries[item] = _Entry(total, weight, fallback, [item], side=self.side[item])
        return entries

    def _sort_piece(self, piece: int, r: int, entries: dict[int, _Entry],
                    fixed_position: Callable[[int], int | None]) -> _Entry:
        """The piece's items on rank r in order, as one entry."""
        inside = [entries[item] for item in self.direct.get((piece, r), ())]
        inside += [self._sort_piece(kid, r, entries, fixed_position)
                   for kid in self.kids_at[r].get(piece, ())]
        if len(inside) == 1:
            only = inside[0]
            return _Entry(only.total, only.weight, only.fallback, only.items, piece)
        return _Entry(sum(e.total for e in inside), sum(e.weight for e in inside),
                      min(e.fallback for e in inside), _sorted_items(inside, fixed_position),
                      piece)

    def _constraint_order(self, fixed: int | None) -> Callable[[int], int | None]:
        """Position of a piece's segment on the fixed rank, None if it is not there."""
        if fixed is None:
            return lambda piece: None
        starts = self.segment_start[fixed]
        return lambda piece: starts.get(piece) if self.pieces[piece].covers(fixed) else None

    def _transpose(self) -> None:
        """Swap neighbours in the same cluster and on the same side while that removes
        crossings."""
        for _ in range(4):
            improved = False
            for r in range(self.rank_count):
                order = self.order[r]
                for i in range(len(order) - 1):
                    a, b = order[i], order[i + 1]
                    if self.piece[a] != self.piece[b] or self.side[a] != self.side[b]:
                        continue
                    if self._pair_crossings(b, a) < self._pair_crossings(a, b):
                        order[i], order[i + 1] = b, a
                        self.pos[a], self.pos[b] = i + 1, i
                        improved = True
            if not improved:
                break

    def _pair_crossings(self, left: int, right: int) -> int:
        """Crossings between the edges of two neighbours when ``left`` is left of ``right``."""
        total = 0
        for neighbours in (self.up, self.down):
            for a, wa in neighbours[left].items():
                for b, wb in neighbours[right].items():
                    if self.pos[a] > self.pos[b]:
                        total += wa * wb
        return total

    def _crossings(self) -> int:
        """Crossings between adjacent ranks, an edge drawn through a rail counted per edge."""
        total = 0
        for r in range(self.rank_count - 1):
            if len(self.order[r]) == 1 or len(self.order[r + 1]) == 1:
                continue  # all edges have an end in common
            pairs = sorted(
                (self.pos[a], self.pos[b], count)
                for a in self.order[r]
                for b, count in self.down[a].items()
            )
            total += _weighted_inversions(pairs, len(self.order[r + 1]))
        return total


def _sorted_items(entries: list[_Entry], fixed_position: Callable[[int], int | None]
                  ) -> list[int]:
    """Items of entries sorted by side, then barycenter; constrained clusters keep their
    fixed order.

    Constrained entries that would come out of order are merged (pool adjacent violators)
    and placed together at their joint barycenter.
    """
    free = []
    groups: list[_Entry] = []
    constrained = []
    for entry in entries:
        position = fixed_position(entry.piece) if entry.piece >= 0 else None
        if position is None:
            free.append(entry)
        else:
            constrained.append((position, entry))
    for _, entry in sorted(constrained, key=lambda pair: pair[0]):
        group = _Entry(entry.barycenter * max(entry.weight, 1.0), max(entry.weight, 1.0),
                       entry.fallback, list(entry.items))
        while groups and groups[-1].barycenter >= group.barycenter:
            previous = groups.pop()
            group = _Entry(previous.total + group.total, previous.weight + group.weight,
                           min(previous.fallback, group.fallback), previous.items + group.items)
        groups.append(group)
    ordered = sorted(free + groups,
                     key=lambda entry: (entry.side, entry.barycenter, entry.fallback))
    return [item for entry in ordered for item in entry.items]


def _weighted_inversions(pairs: list[tuple[int, int, int]], size: int) -> int:
    """Sum of w1·w2 over pairs sorted by first position whose second positions are inverted."""
    tree = [0] * (size + 1)
    total = seen = 0
    for _, position, weight in pairs:
        index, at_most = position + 1, 0
        while index > 0:
            at_most += tree[index]
            index -= index & -index
        total += weight * (seen - at_most)
        seen += weight
        index = position + 1
        while index <= size:
            tree[index] += weight
            index += index & -index
    return total
