"""The network simplex method (Gansner, Koutsofios, North, Vo 1993), as Graphviz uses it for
ranks and x coordinates: a difference-constrained linear program solved exactly.

Minimise Σ weight[e]·(x[head[e]] − x[tail[e]]) over real x subject to
x[head[e]] − x[tail[e]] ≥ minlen[e] for every constraint e.
"""
from __future__ import annotations

import heapq
import math
from bisect import bisect_left, insort

from cnnviz.layout.ranks import topological_order


def network_simplex(count: int, tails: list[int], heads: list[int], minlens: list[float],
                    weights: list[int]) -> list[float]:
    """An optimal x for variables 0..count-1 and the constraints (tails[e], heads[e], minlens[e]).

    Assumes: count ≥ 1; the constraint graph (an edge tail → head per constraint) is acyclic
    and connected when directions are ignored; weights are ≥ 0 (so the optimum is finite).
    Leaves: every constraint met and, unless the limit of 20·count + 100 pivots stops it
    first, the objective at its minimum; x is fixed only up to a common shift, and the one
    returned is not normalised.
    """
    return _NetworkSimplex(count, tails, heads, minlens, weights).solve()


class _NetworkSimplex:
    """State of one network simplex run: a tight spanning tree, rooted at variable 0, with
    cut values.

    The tree is kept as every variable's parent edge and depth. A pivot touches only the
    subtree that the leaving edge cuts off (searched for the entering edge, shifted, hung
    again) and the cycle that the entering edge closes (cut values), never the whole tree:
    in a long model both hold a few variables.
    """

    SEARCH_SIZE = 30

    def __init__(self, count: int, tails: list[int], heads: list[int], minlens: list[float],
                 weights: list[int]) -> None:
        self.count, self.tails, self.heads = count, tails, heads
        self.minlens, self.weights = minlens, weights
        self.out_edges: list[list[int]] = [[] for _ in range(count)]
        self.in_edges: list[list[int]] = [[] for _ in range(count)]
        for e, (t, h) in enumerate(zip(tails, heads)):
            self.out_edges[t].append(e)
            self.in_edges[h].append(e)
        self.x = self._longest_path()
        self.in_tree = [False] * len(tails)
        self.tree_adjacent: list[dict[int, None]] = [{} for _ in range(count)]
        self.tree_edges: list[int] = []
        self.tree_index = [-1] * len(tails)  # where a tree edge is in tree_edges
        self.parent = [-1] * count  # the tree edge to a variable's parent, -1 at the root
        self.depth = [0] * count
        self.in_subtree = [False] * count  # the subtree a pivot moves
        self.cut = [0] * len(tails)  # 0 off the tree
        self.negative: list[int] = []  # sorted indices in tree_edges of negative cut values

    def slack(self, e: int) -> float:
        return self.x[self.heads[e]] - self.x[self.tails[e]] - self.minlens[e]

    def _longest_path(self) -> list[float]:
        x = [0.0] * self.count
        for v in topological_order(self.count, [[self.heads[e] for e in out]
                                                for out in self.out_edges]):
            for e in self.out_edges[v]:
                x[self.heads[e]] = max(x[self.heads[e]], x[v] + self.minlens[e])
        return x

    def solve(self) -> list[float]:
        self._tight_tree()
        self._init_cut_values(self._hang(0, -1))
        self.negative = [i for i, e in enumerate(self.tree_edges) if self.cut[e] < 0]
        search_start = 0
        for _ in range(20 * self.count + 100):
            leaving, search_start = self._leave_edge(search_start)
            if leaving < 0:
                break
            self._pivot(leaving)
        return self.x

    def _tight_tree(self) -> None:
        """Grow a spanning tree of tight edges, shifting the tree to tighten the next edge."""
        x = self.x
        offset = 0.0
        stored = list(x)  # x of a tree node is stored + offset
        in_tree = [False] * self.count
        outward: list[tuple[float, int, int]] = []  # tree node is the tail: slack = key − offset
        inward: list[tuple[float, int, int]] = []  # tree node is the head: slack = key + offset

        def add(v: int) -> None:
            in_tree[v] = True
            stored[v] = x[v] - offset
            for e in self.out_edges[v]:
                if not in_tree[self.heads[e]]:
                    heapq.heappush(outward, (x[self.heads[e]] - stored[v] - self.minlens[e], e,
                                             self.heads[e]))
            for e in self.in_edges[v]:
                if not in_tree[self.tails[e]]:
                    heapq.heappush(inward, (stored[v] - x[self.tails[e]] - self.minlens[e], e,
                                            self.tails[e]))

        add(0)
        for _ in range(self.count - 1):
            while outward and in_tree[outward[0][2]]:
                heapq.heappop(outward)
            while inward and in_tree[inward[0][2]]:
                heapq.heappop(inward)
            out_slack = outward[0][0] - offset if outward else math.inf
            in_slack = inward[0][0] + offset if inward else math.inf
            if out_slack <= in_slack:
                _, e, v = heapq.heappop(outward)
                offset += out_slack
            else:
                _, e, v = heapq.heappop(inward)
                offset -= in_slack
            self._make_tree_edge(e)
            add(v)
        for v in range(self.count):
            x[v] = stored[v] + offset

    def _make_tree_edge(self, e: int) -> None:
        self.in_tree[e] = True
        self.tree_index[e] = len(self.tree_edges)
        self.tree_edges.append(e)
        self.tree_adjacent[self.tails[e]][e] = None
        self.tree_adjacent[self.heads[e]][e] = None

    def _other(self, e: int, v: int) -> int:
        return self.heads[e] if self.tails[e] == v else self.tails[e]

    def _below(self, v: int) -> list[int]:
        """v's subtree, each variable after its parent."""
        order = [v]
        for w in order:
            order.extend(self._other(e, w) for e in self.tree_adjacent[w] if e != self.parent[w])
        return order

    def _hang(self, root: int, parent_edge: int) -> list[int]:
        """Hang a tree from ``root`` by ``parent_edge``: the parent edge and depth of each of
        its variables. With ``parent_edge`` -1 the whole tree, else the variables marked
        ``in_subtree``. Returns them, each after its parent."""
        whole = parent_edge < 0
        self.parent[root] = parent_edge
        self.depth[root] = 0 if whole else self.depth[self._other(parent_edge, root)] + 1
        order = [root]
        for v in order:
            for e in self.tree_adjacent[v]:
                w = self._other(e, v)
                if e != self.parent[v] and (whole or self.in_subtree[w]):
                    self.parent[w], self.depth[w] = e, self.depth[v] + 1
                    order.append(w)
        return order

    def _init_cut_values(self, order: list[int]) -> None:
        """Every tree edge's cut value, given the whole tree's ``order`` (parents first).

        Numbers the variables so that each subtree's are consecutive, its root's the last:
        w is in v's subtree when low[v] ≤ number[w] ≤ number[v].
        """
        size = [1] * self.count
        for v in reversed(order):
            if self.parent[v] >= 0:
                size[self._other(self.parent[v], v)] += size[v]
        low = [0] * self.count
        for v in order:
            start = low[v]
            for e in self.tree_adjacent[v]:
                if e != self.parent[v]:
                    w = self._other(e, v)
                    low[w] = start
                    start += size[w]
        number = [low[v] + size[v] - 1 for v in range(self.count)]
        for v in reversed(order):
            if self.parent[v] >= 0:
                self._cut_value(self.parent[v], v, low[v], number)

    def _cut_value(self, f: int, v: int, low: int, number: list[int]) -> None:
        """Cut value of tree edge f from its child end v (children already done), v's subtree
        being the variables w with low ≤ number[w] ≤ number[v]."""
        direction = 1 if self.tails[f] == v else -1
        total = 0
        for e in self.out_edges[v] + self.in_edges[v]:
            other = self._other(e, v)
            outside = not (low <= number[other] <= number[v])
            if outside:
                value = self.weights[e]
            else:
                value = (self.cut[e] if self.in_tree[e] else 0) - self.weights[e]
            if direction > 0:
                sign = 1 if self.heads[e] == v else -1
            else:
                sign = 1 if self.tails[e] == v else -1
            if outside:
                sign = -sign
            total += value if sign > 0 else -value
        self.cut[f] = total

    def _leave_edge(self, start: int) -> tuple[int, int]:
        """A tree edge with negative cut value: the most negative of the first SEARCH_SIZE
        found from index ``start`` of tree_edges on, cyclically; and where the next search
        starts (at the last one looked at, or ``start`` if fewer were found)."""
        negative = self.negative
        first = bisect_left(negative, start)
        looked_at = (negative[first:] + negative[:first])[:self.SEARCH_SIZE]
        best = -1
        for i in looked_at:
            e = self.tree_edges[i]
            if best < 0 or self.cut[e] < self.cut[best]:
                best = e
        return best, looked_at[-1] if len(looked_at) == self.SEARCH_SIZE else start

    def _set_cut(self, e: int, value: int) -> None:
        """Set tree edge e's cut value, keeping ``negative`` up to date."""
        if (value < 0) != (self.cut[e] < 0):
            if value < 0:
                insort(self.negative, self.tree_index[e])
            else:
                del self.negative[bisect_left(self.negative, self.tree_index[e])]
        self.cut[e] = value

    def _pivot(self, leaving: int) -> None:
        """Exchange the leaving tree edge for the entering one: the subtree that the leaving
        edge cuts off moves to make the entering edge tight and hangs from it."""
        tail, head = self.tails[leaving], self.heads[leaving]
        child = tail if self.parent[tail] == leaving else head
        subtree = self._below(child)
        for w in subtree:
            self.in_subtree[w] = True
        entering = self._enter_edge(subtree, outward=child == head)
        delta = self.slack(entering)
        if delta > 0:
            shift = -delta if child == tail else delta
            for w in subtree:
                self.x[w] += shift
        cut_value = self.cut[leaving]
        lca = self._common_ancestor(self.tails[entering], self.heads[entering])
        self._tree_update(self.tails[entering], lca, cut_value, True)
        self._tree_update(self.heads[entering], lca, cut_value, False)
        self._set_cut(leaving, 0)
        self.in_tree[leaving] = False
        self.in_tree[entering] = True
        self.tree_index[entering] = self.tree_index[leaving]
        self.tree_edges[self.tree_index[entering]] = entering
        self._set_cut(entering, -cut_value)
        del self.tree_adjacent[tail][leaving], self.tree_adjacent[head][leaving]
        self.tree_adjacent[self.tails[entering]][entering] = None
        self.tree_adjacent[self.heads[entering]][entering] = None
        inner = self.tails[entering] if self.in_subtree[self.tails[entering]] \
            else self.heads[entering]
        self._hang(inner, entering)
        for w in subtree:
            self.in_subtree[w] = False

    def _enter_edge(self, subtree: list[int], outward: bool) -> int:
        """The non-tree edge of least slack that leaves the subtree (``outward``) or enters it
        and so reconnects the two halves of the tree; ties go to the smallest variable inside,
        then the smallest edge."""
        best, best_key = -1, (math.inf, 0, 0)
        for w in subtree:
            for e in (self.out_edges[w] if outward else self.in_edges[w]):
                other = self.heads[e] if outward else self.tails[e]
                if self.in_tree[e] or self.in_subtree[other]:
                    continue
                key = (self.slack(e), w, e)
                if key < best_key:
                    best, best_key = e, key
        return best

    def _up(self, v: int) -> int:
        return self._other(self.parent[v], v)

    def _common_ancestor(self, v: int, w: int) -> int:
        while self.depth[v] > self.depth[w]:
            v = self._up(v)
        while self.depth[w] > self.depth[v]:
            w = self._up(w)
        while v != w:
            v, w = self._up(v), self._up(w)
        return v

    def _tree_update(self, v: int, lca: int, cut_value: int, direction: bool) -> None:
        """Add or subtract cut_value along the tree path from v up to ``lca``."""
        while v != lca:
            e = self.parent[v]
            forward = direction if v == self.tails[e] else not direction
            self._set_cut(e, self.cut[e] + (cut_value if forward else -cut_value))
            v = self._other(e, v)
