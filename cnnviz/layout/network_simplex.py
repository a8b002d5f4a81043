"""The network simplex method (Gansner, Koutsofios, North, Vo 1993), as Graphviz uses it for
ranks and x coordinates: a difference-constrained linear program solved exactly.

Minimise Σ weight[e]·(x[head[e]] − x[tail[e]]) over real x subject to
x[head[e]] − x[tail[e]] ≥ minlen[e] for every constraint e.
"""
from __future__ import annotations

import heapq
import math

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
    """State of one network simplex run: a tight spanning tree with cut values."""

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
        self.tree_adjacent: list[list[int]] = [[] for _ in range(count)]
        self.tree_edges: list[int] = []
        self.parent = [-1] * count
        self.low = [0] * count
        self.lim = [0] * count
        self.cut = [0] * len(tails)

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
        self._dfs_range(0, -1, 1)
        self._init_cut_values()
        search_start = 0
        for _ in range(20 * self.count + 100):
            leaving, search_start = self._leave_edge(search_start)
            if leaving < 0:
                break
            self._update(leaving, self._enter_edge(leaving))
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
        self.tree_edges.append(e)
        self.tree_adjacent[self.tails[e]].append(e)
        self.tree_adjacent[self.heads[e]].append(e)

    def _other(self, e: int, v: int) -> int:
        return self.heads[e] if self.tails[e] == v else self.tails[e]

    def _dfs_range(self, root: int, parent_edge: int, low: int) -> None:
        """Post-order numbers: lim[v], and low[v], the smallest lim in v's subtree."""
        self.parent[root] = parent_edge
        self.low[root] = low
        counter = low
        stack = [(root, 0)]
        while stack:
            v, i = stack[-1]
            adjacent = self.tree_adjacent[v]
            while i < len(adjacent) and adjacent[i] == self.parent[v]:
                i += 1
            if i < len(adjacent):
                stack[-1] = (v, i + 1)
                e = adjacent[i]
                w = self._other(e, v)
                self.parent[w] = e
                self.low[w] = counter
                stack.append((w, 0))
            else:
                self.lim[v] = counter
                counter += 1
                stack.pop()

    def _init_cut_values(self) -> None:
        for v in sorted(range(self.count), key=lambda n: self.lim[n]):
            if self.parent[v] >= 0:
                self._cut_value(self.parent[v], v)

    def _cut_value(self, f: int, v: int) -> None:
        """Cut value of tree edge f from its child end v (children already done)."""
        direction = 1 if self.tails[f] == v else -1
        total = 0
        for e in self.out_edges[v] + self.in_edges[v]:
            other = self._other(e, v)
            outside = not (self.low[v] <= self.lim[other] <= self.lim[v])
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
        """A tree edge with negative cut value (the most negative of the first few found)."""
        best, found = -1, 0
        size = len(self.tree_edges)
        for k in range(size):
            i = (start + k) % size
            e = self.tree_edges[i]
            if self.cut[e] < 0:
                if best < 0 or self.cut[e] < self.cut[best]:
                    best = e
                found += 1
                if found >= self.SEARCH_SIZE:
                    return best, i
        return best, start

    def _enter_edge(self, leaving: int) -> int:
        """The non-tree edge of least slack that reconnects the two halves of the tree."""
        tail, head = self.tails[leaving], self.heads[leaving]
        if self.lim[tail] < self.lim[head]:
            v, outward = tail, False
        else:
            v, outward = head, True
        low, lim = self.low[v], self.lim[v]
        best, best_slack = -1, math.inf
        for w in range(self.count):
            if not low <= self.lim[w] <= lim:
                continue
            for e in (self.out_edges[w] if outward else self.in_edges[w]):
                other = self.heads[e] if outward else self.tails[e]
                if self.in_tree[e] or low <= self.lim[other] <= lim:
                    continue
                slack = self.slack(e)
                if slack < best_slack:
                    best, best_slack = e, slack
        return best

    def _update(self, leaving: int, entering: int) -> None:
        delta = self.slack(entering)
        tail, head = self.tails[leaving], self.heads[leaving]
        if delta > 0:
            child = tail if self.lim[tail] < self.lim[head] else head
            shift = -delta if child == tail else delta
            low, lim = self.low[child], self.lim[child]
            for w in range(self.count):
                if low <= self.lim[w] <= lim:
                    self.x[w] += shift
        cut_value = self.cut[leaving]
        lca = self._tree_update(self.tails[entering], self.heads[entering], cut_value, True)
        self._tree_update(self.heads[entering], self.tails[entering], cut_value, False)
        self.cut[entering] = -cut_value
        self.cut[leaving] = 0
        self.in_tree[leaving] = False
        self.in_tree[entering] = True
        self.tree_edges[self.tree_edges.index(leaving)] = entering
        self.tree_adjacent[tail].remove(leaving)
        self.tree_adjacent[head].remove(leaving)
        self.tree_adjacent[self.tails[entering]].append(entering)
        self.tree_adjacent[self.heads[entering]].append(entering)
        self._dfs_range(lca, self.parent[lca], self.low[lca])

    def _tree_update(self, v: int, w: int, cut_value: int, direction: bool) -> int:
        """Add or subtract cut_value along the tree path from v up to the common ancestor."""
        while not self.low[v] <= self.lim[w] <= self.lim[v]:
            e = self.parent[v]
            forward = direction if v == self.tails[e] else not direction
            self.cut[e] += cut_value if forward else -cut_value
            tail, head = self.tails[e], self.heads[e]
            v = tail if self.lim[tail] > self.lim[head] else head
        return v
