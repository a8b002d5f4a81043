"""Layered (Sugiyama-style) layout of a model graph, drawn top to bottom.

The phases follow dagre and Graphviz ``dot``:

1. **Ranks**: longest path from the inputs, then nodes with more outputs than inputs move down
   next to their consumers.
2. **Long edges**: an edge spanning several ranks gets a dummy point on each rank it crosses,
   so it is routed around the nodes and blocks it bypasses. Where long edges form a dense
   bipartite web (DenseNet: every layer's output feeds every later concatenation) they share
   one *rail*: a single column of dummy points that the sources write into and the targets
   read from. Each edge still gets its own path, which follows the rail.
3. **Clusters**: the ``hierarchy`` attribute nests nodes in boxes (``layer2.1 · Bottleneck``).
   A cluster's rank range is cut where it has no member, so each box is contiguous.
4. **Order**: barycenter sweeps, alternating down and up, each followed by adjacent swaps,
   from two depth-first starting orders; the best order seen is kept. Every cluster stays
   contiguous on each rank, and sibling clusters keep one left-to-right order on all the
   ranks they share, so their boxes never overlap.
5. **x**: nodes are aligned into vertical chains (main paths first, so chains come out
   straight), then a linear program places chains and cluster borders: minimise the weighted
   horizontal length of edges subject to the separations that node widths and cluster padding
   need. It is solved exactly with the network simplex method of Gansner et al. (1993).
6. **y and edges**: rank rows, with room between them for cluster padding and labels; edges
   leave the bottom border of their source and enter the top border of their target, run
   vertically through rows and curve (sampled cubic Béziers) in the gaps between rows, so no
   edge ever passes through a node.

Qt-free and deterministic: nothing depends on hash order. The quality measures at the end
(:func:`count_crossings`, :func:`overlapping_boxes`, :func:`edges_through_boxes`) are used by the
tests and ``bench/layout_quality.py``.
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from cnnviz.graph import HIERARCHY

DEFAULT_NODE_SIZE = (140.0, 36.0)
RANK_GAP = 30.0  # vertical space between rank rows (before cluster padding)
NODE_GAP = 24.0  # horizontal space between two nodes
EDGE_GAP = 14.0  # horizontal space next to an edge's dummy point
CLUSTER_GAP = 12.0  # space outside a cluster box
CLUSTER_PAD = 10.0  # space inside a cluster box
CLUSTER_LABEL_HEIGHT = 16.0  # room for the label at the top of a cluster box
MARGIN = 20.0  # around the whole drawing
PORT_MARGIN = 8.0  # keeps edge ends off the corners of a box
PORT_SPACING = 8.0  # between edge ends on one side of a box
CURVE_SAMPLES = 8  # points per curved stretch of an edge

# node_size's text estimate (no font metrics outside Qt).
CHAR_WIDTH = 7.0
LINE_HEIGHT = 16.0
TEXT_PADDING = (24.0, 12.0)
MIN_NODE_WIDTH = 60.0

# Weights of the x objective (Graphviz dot's): long edges are kept straighter than short ones.
_WEIGHT_REAL_REAL = 1
_WEIGHT_REAL_DUMMY = 2
_WEIGHT_DUMMY_DUMMY = 8
_MAX_SWEEPS = 8


@dataclass(frozen=True)
class NodeBox:
    """A node's box; ``x``, ``y`` are its centre, y grows downward."""

    name: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class EdgePath:
    """An edge as a polyline from the source's bottom border to the target's top border."""

    source: str
    target: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class ClusterBox:
    """The box around an expanded block; ``x``, ``y`` are its centre, ``depth`` 0 is outermost."""

    path: str
    label: str
    x: float
    y: float
    width: float
    height: float
    depth: int


@dataclass(frozen=True)
class Layout:
    """Positions of every node, edge and cluster box, and the size of the drawing."""

    nodes: dict[str, NodeBox]
    edges: list[EdgePath]
    clusters: list[ClusterBox]
    width: float
    height: float


def node_size(label_lines: list[str]) -> tuple[float, float]:
    """Estimated (width, height) of a box showing these text lines, without font metrics."""
    longest = max((len(line) for line in label_lines), default=0)
    width = max(MIN_NODE_WIDTH, longest * CHAR_WIDTH + TEXT_PADDING[0])
    height = max(1, len(label_lines)) * LINE_HEIGHT + TEXT_PADDING[1]
    return width, height


def layout_graph(
    graph: nx.DiGraph,
    sizes: dict[str, tuple[float, float]] | None = None,
    clusters: bool = True,
) -> Layout:
    """Lay out a DAG top to bottom; ``sizes`` maps node → (width, height), default 140×36.

    With ``clusters`` the nodes' ``hierarchy`` attributes become nested boxes.
    """
    if not nx.is_directed_acyclic_graph(graph):
        raise ValueError("layout_graph needs a directed acyclic graph")
    names = list(graph.nodes)
    if not names:
        return Layout({}, [], [], 0.0, 0.0)
    sizes = sizes or {}
    box_sizes = [tuple(map(float, sizes.get(name, DEFAULT_NODE_SIZE))) for name in names]
    index = {name: i for i, name in enumerate(names)}
    edges = [(index[u], index[v]) for u, v in graph.edges]
    hierarchies = (
        [_hierarchy_key(graph.nodes[name].get(HIERARCHY)) for name in names]
        if clusters
        else [()] * len(names)
    )
    return _Sugiyama(names, box_sizes, edges, hierarchies).run()


def _hierarchy_key(hierarchy: Iterable[tuple[str, str]] | None) -> tuple[tuple[str, str], ...]:
    """The hierarchy attribute as a hashable tuple of (path, type) pairs."""
    return tuple((str(path), str(kind)) for path, kind in (hierarchy or ()))


# ---------------------------------------------------------------------------------------------
# Ranks and rails


def _ranks(count: int, edges: list[tuple[int, int]]) -> list[int]:
    """Longest-path ranks, then fan-out nodes (more outputs than inputs) moved down."""
    succ: list[list[int]] = [[] for _ in range(count)]
    pred: list[list[int]] = [[] for _ in range(count)]
    for u, v in edges:
        succ[u].append(v)
        pred[v].append(u)
    topo = _topological_order(count, succ)
    rank = [0] * count
    for v in topo:
        for w in succ[v]:
            rank[w] = max(rank[w], rank[v] + 1)
    for v in reversed(topo):
        if len(succ[v]) > len(pred[v]):
            rank[v] = max(rank[v], min(rank[w] for w in succ[v]) - 1)
    dense = {r: i for i, r in enumerate(sorted(set(rank)))}  # no empty ranks
    return [dense[r] for r in rank]


def _topological_order(count: int, succ: list[list[int]]) -> list[int]:
    """Kahn's algorithm, smallest index first among ready nodes."""
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


def _rails(edges: list[tuple[int, int]], rank: list[int]) -> list[list[int]]:
    """Groups of long edges (indices) that share a rail.

    Long edges are grouped by shared sources and shared targets; a group whose bipartite
    source/target graph has a cycle (as many edges as endpoints, or more) is a dense web
    that routing edge by edge would turn into a tangle, so it gets a rail.
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
        if len(members) >= len(endpoints):
            rails.append(members)
    return rails


# ---------------------------------------------------------------------------------------------
# Cluster pieces


@dataclass
class _Piece:
    """A cluster box: a hierarchy prefix over a contiguous range of ranks."""

    key: tuple[tuple[str, str], ...]
    start: int
    end: int
    parent: int
    depth: int
    children: list[int] = field(default_factory=list)

    def covers(self, rank: int) -> bool:
        return self.start <= rank <= self.end


def _build_pieces(
    hierarchies: list[tuple[tuple[str, str], ...]],
    rank: list[int],
    internal_edges: list[tuple[int, int]],
) -> tuple[list[_Piece], list[int]]:
    """Cluster pieces (index 0 is the root) and each node's innermost piece.

    A cluster covers the ranks of its members and of the edges between them; where that
    range has a gap the cluster is drawn as several boxes.
    """
    pieces = [_Piece((), 0, max(rank), -1, -1)]
    spans: dict[tuple, list[tuple[int, int]]] = {}
    for node, hierarchy in enumerate(hierarchies):
        for k in range(1, len(hierarchy) + 1):
            spans.setdefault(hierarchy[:k], []).append((rank[node], rank[node]))
    for u, v in internal_edges:
        hu, hv = hierarchies[u], hierarchies[v]
        common = 0
        while common < min(len(hu), len(hv)) and hu[common] == hv[common]:
            common += 1
        for k in range(1, common + 1):
            spans[hu[:k]].append((rank[u], rank[v]))
    by_key: dict[tuple, list[int]] = {(): [0]}
    for key in sorted(spans, key=len):
        parent_pieces = by_key[key[:-1]]
        for start, end in _merged_intervals(spans[key]):
            parent = next(p for p in parent_pieces if pieces[p].covers(start))
            pieces.append(_Piece(key, start, end, parent, len(key) - 1))
            pieces[parent].children.append(len(pieces) - 1)
            by_key.setdefault(key, []).append(len(pieces) - 1)
    node_piece = []
    for node, hierarchy in enumerate(hierarchies):
        candidates = by_key[hierarchy]
        node_piece.append(next(p for p in candidates if pieces[p].covers(rank[node])))
    return pieces, node_piece


def _merged_intervals(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of closed integer intervals; touching intervals merge."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


# ---------------------------------------------------------------------------------------------
# The layered graph and its layout


@dataclass
class _Entry:
    """A node or a whole cluster being sorted on one rank."""

    total: float
    weight: float
    fallback: float
    items: list[int]
    piece: int = -1

    @property
    def barycenter(self) -> float:
        return self.total / self.weight if self.weight else self.fallback


class _Sugiyama:
    """One layout run: the layered graph (nodes and dummy points on ranks) and its phases."""

    def __init__(
        self,
        names: list[str],
        sizes: list[tuple[float, float]],
        edges: list[tuple[int, int]],
        hierarchies: list[tuple[tuple[str, str], ...]],
    ) -> None:
        self.names = names
        self.sizes = sizes
        self.edges = edges
        count = len(names)
        self.node_rank = _ranks(count, edges)
        rails = _rails(edges, self.node_rank)
        on_rail = {e for rail in rails for e in rail}
        internal = [
            edges[e]
            for e in range(len(edges))
            if e not in on_rail and hierarchies[edges[e][0]] and hierarchies[edges[e][1]]
        ]
        self.pieces, node_piece = _build_pieces(hierarchies, self.node_rank, internal)
        self.rank_count = max(self.node_rank) + 1

        # Items: nodes first (item i is node i), then dummy points.
        self.rank: list[int] = []
        self.node: list[int] = []  # node index, -1 for a dummy
        self.piece: list[int] = []
        self.up: list[dict[int, int]] = []  # neighbour item -> number of edges drawn through
        self.down: list[dict[int, int]] = []
        for v in range(count):
            self._add_item(self.node_rank[v], v, node_piece[v])
        self.routes: list[list[int]] = [[] for _ in edges]
        for e, (u, v) in enumerate(edges):
            if e not in on_rail:
                self.routes[e] = self._route_long_edge(u, v)
        for rail in rails:
            self._add_rail(rail)
        for route in self.routes:
            for a, b in zip(route, route[1:]):
                self.down[a][b] = self.down[a].get(b, 0) + 1
                self.up[b][a] = self.up[b].get(a, 0) + 1

        self.ancestors = [self._piece_chain(self.piece[i]) for i in range(len(self.rank))]
        self.order: list[list[int]] = [[] for _ in range(self.rank_count)]
        for item in range(len(self.rank)):
            self.order[self.rank[item]].append(item)
        self.pos = [0] * len(self.rank)
        self.segment_start: list[dict[int, int]] = [{} for _ in range(self.rank_count)]
        self.kids_at: list[dict[int, list[int]]] = [{} for _ in range(self.rank_count)]
        for p, piece in enumerate(self.pieces[1:], start=1):
            for r in range(piece.start, piece.end + 1):
                self.kids_at[r].setdefault(piece.parent, []).append(p)
        self.direct: dict[tuple[int, int], list[int]] = {}
        for item in range(len(self.rank)):
            self.direct.setdefault((self.piece[item], self.rank[item]), []).append(item)

    # -- construction ------------------------------------------------------------------------

    def _add_item(self, rank: int, node: int, piece: int) -> int:
        self.rank.append(rank)
        self.node.append(node)
        self.piece.append(piece)
        self.up.append({})
        self.down.append({})
        return len(self.rank) - 1

    def _piece_chain(self, piece: int) -> list[int]:
        """The piece and its ancestors, innermost first."""
        chain = []
        while piece >= 0:
            chain.append(piece)
            piece = self.pieces[piece].parent
        return chain

    def _deepest_covering(self, chains: list[list[int]], rank: int) -> int:
        best = 0
        for chain in chains:
            covering = next(p for p in chain if self.pieces[p].covers(rank))
            if self.pieces[covering].depth > self.pieces[best].depth:
                best = covering
        return best

    def _route_long_edge(self, u: int, v: int) -> list[int]:
        """Items of an edge: its ends and a dummy point on each rank in between."""
        chains = [self._piece_chain(self.piece[u]), self._piece_chain(self.piece[v])]
        route = [u]
        for r in range(self.node_rank[u] + 1, self.node_rank[v]):
            route.append(self._add_item(r, -1, self._deepest_covering(chains, r)))
        route.append(v)
        return route

    def _add_rail(self, rail: list[int]) -> None:
        """One column of dummy points shared by a group of long edges."""
        spans = [(self.node_rank[self.edges[e][0]] + 1, self.node_rank[self.edges[e][1]] - 1)
                 for e in rail]
        first, last = min(s for s, _ in spans), max(t for _, t in spans)
        piece = self._common_piece([self.piece[self.edges[e][1]] for e in rail])
        while not (self.pieces[piece].covers(first) and self.pieces[piece].covers(last)):
            piece = self.pieces[piece].parent
        points: dict[int, int] = {}
        for s, t in spans:
            for r in range(s, t + 1):
                if r not in points:
                    points[r] = self._add_item(r, -1, piece)
        for e, (s, t) in zip(rail, spans):
            u, v = self.edges[e]
            self.routes[e] = [u] + [points[r] for r in range(s, t + 1)] + [v]

    def _common_piece(self, pieces: list[int]) -> int:
        """The innermost piece containing all the given pieces."""
        common = self._piece_chain(pieces[0])
        for piece in pieces[1:]:
            chain = set(self._piece_chain(piece))
            common = [p for p in common if p in chain]
        return common[0]

    def is_dummy(self, item: int) -> bool:
        return self.node[item] < 0

    def half_width(self, item: int) -> float:
        return 0.0 if self.is_dummy(item) else self.sizes[self.node[item]][0] / 2

    # -- the phases ----------------------------------------------------------------------------

    def run(self) -> Layout:
        self._order()
        x = self._x_coordinates()
        row_top, row_bottom, top_ext, bottom_ext = self._rows()
        nodes = {}
        for v, name in enumerate(self.names):
            width, height = self.sizes[v]
            r = self.node_rank[v]
            y = (row_top[r] + row_bottom[r]) / 2
            nodes[name] = NodeBox(name, x[v], y, width, height)
        ports_out = [self._ports(self.down[v], x, nodes[n]) for v, n in enumerate(self.names)]
        ports_in = [self._ports(self.up[v], x, nodes[n]) for v, n in enumerate(self.names)]
        edges = []
        for (u, v), route in zip(self.edges, self.routes):
            ends = (ports_out[u][route[1]], ports_in[v][route[-2]])
            points = self._edge_points(route, ends, x, nodes, row_top, row_bottom)
            edges.append(EdgePath(self.names[u], self.names[v], points))
        boxes = self._cluster_boxes(x, row_top, row_bottom, top_ext, bottom_ext)
        return _normalised(nodes, edges, boxes)

    # -- crossing reduction --------------------------------------------------------------------

    def _order(self) -> None:
        """Order each rank: barycenter sweeps from two depth-first orders, the best kept."""
        best, best_order = math.inf, self.order
        for reverse in (False, True):
            crossings = self._sweeps(self._depth_first_visit(reverse))
            if crossings < best:
                best, best_order = crossings, [list(rank) for rank in self.order]
            if best == 0:
                break
        self.order = best_order
        for r in range(self.rank_count):
            self._set_positions(r)

    def _sweeps(self, visit: list[float]) -> int:
        """Order by visit number, then sweep; leaves the best order found, returns its crossings."""
        self._sort_rank(0, None, visit)
        for r in range(1, self.rank_count):
            self._sort_rank(r, r - 1, visit)
        best = self._crossings()
        best_order = [list(rank) for rank in self.order]
        stale = 0
        for sweep in range(_MAX_SWEEPS):
            if best == 0 or stale >= 2:
                break
            if sweep % 2 == 0:
                for r in range(1, self.rank_count):
                    self._sort_rank(r, r - 1)
            else:
                for r in range(self.rank_count - 2, -1, -1):
                    self._sort_rank(r, r + 1)
            self._transpose()
            crossings = self._crossings()
            if crossings < best:
                best, best_order, stale = crossings, [list(rank) for rank in self.order], 0
            else:
                stale += 1
        self.order = best_order
        for r in range(self.rank_count):
            self._set_positions(r)
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
        current = len(self.order[r])
        if current == 1 and keys is None:
            return
        width = len(self.order[fixed]) if fixed is not None else 1
        neighbours = self.up if fixed is not None and fixed < r else self.down
        fixed_position = self._constraint_order(fixed)

        def item_entry(item: int) -> _Entry:
            fallback = (self.pos[item] + 0.5) / current
            if keys is not None:
                return _Entry(keys[item], 1.0, fallback, [item])
            total = weight = 0.0
            for other, count in neighbours[item].items():
                total += count * (self.pos[other] + 0.5) / width
                weight += count
            return _Entry(total, weight, fallback, [item])

        def sort_piece(piece: int) -> _Entry:
            entries = [item_entry(item) for item in self.direct.get((piece, r), ())]
            entries += [sort_piece(kid) for kid in self.kids_at[r].get(piece, ())]
            return _Entry(sum(e.total for e in entries), sum(e.weight for e in entries),
                          min(e.fallback for e in entries), _sorted_items(entries, fixed_position),
                          piece)

        self.order[r] = sort_piece(0).items
        self._set_positions(r)

    def _constraint_order(self, fixed: int | None) -> Callable[[int], int | None]:
        """Position of a piece's segment on the fixed rank, None if it is not there."""
        if fixed is None:
            return lambda piece: None
        starts = self.segment_start[fixed]
        return lambda piece: starts.get(piece) if self.pieces[piece].covers(fixed) else None

    def _transpose(self) -> None:
        """Swap neighbours in the same cluster while that removes crossings."""
        for _ in range(4):
            improved = False
            for r in range(self.rank_count):
                order = self.order[r]
                for i in range(len(order) - 1):
                    a, b = order[i], order[i + 1]
                    if self.piece[a] != self.piece[b]:
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
            pairs = sorted(
                (self.pos[a], self.pos[b], count)
                for a in self.order[r]
                for b, count in self.down[a].items()
            )
            total += _weighted_inversions(pairs, len(self.order[r + 1]))
        return total

    # -- x coordinates -------------------------------------------------------------------------

    def _x_coordinates(self) -> list[float]:
        """Centre x of every item: aligned chains and cluster borders placed by an LP."""
        block = self._align()
        block_count = max(block) + 1
        # Variables: blocks, then left and right border of each piece but the root, then an
        # origin, then one helper per pair of blocks joined by edges.
        left = {p: block_count + 2 * (p - 1) for p in range(1, len(self.pieces))}
        right = {p: block_count + 2 * (p - 1) + 1 for p in range(1, len(self.pieces))}
        origin = block_count + 2 * (len(self.pieces) - 1)
        separation: dict[tuple[int, int], float] = {}

        def require(a: int, b: int, gap: float) -> None:
            if separation.get((a, b), -math.inf) < gap:
                separation[(a, b)] = gap

        for r in range(self.rank_count):
            tokens = self._tokens(r)
            require(origin, _token_variable(tokens[0], block, left, right), 0.0)
            for t1, t2 in zip(tokens, tokens[1:]):
                require(_token_variable(t1, block, left, right),
                        _token_variable(t2, block, left, right), self._token_gap(t1, t2))
        pull: dict[tuple[int, int], int] = {}
        for a in range(len(self.rank)):
            for b in self.down[a]:
                if block[a] != block[b]:
                    pair = (min(block[a], block[b]), max(block[a], block[b]))
                    pull[pair] = pull.get(pair, 0) + self._edge_weight(a, b)
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
        values = _network_simplex(helper, tails, heads, minlens, weights)
        return [values[block[item]] for item in range(len(self.rank))]

    def _edge_weight(self, a: int, b: int) -> int:
        dummies = self.is_dummy(a) + self.is_dummy(b)
        return (_WEIGHT_REAL_REAL, _WEIGHT_REAL_DUMMY, _WEIGHT_DUMMY_DUMMY)[dummies]

    def _tokens(self, r: int) -> list[tuple[str, int]]:
        """Rank r left to right: ("item", i), and ("left"|"right", piece) cluster borders."""
        tokens: list[tuple[str, int]] = []
        open_pieces: list[int] = []
        for item in self.order[r]:
            path = self.ancestors[item][-2::-1]  # outermost first, root left out
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

    def _token_gap(self, t1: tuple[str, int], t2: tuple[str, int]) -> float:
        """Least distance between the centres (or border lines) of two neighbouring tokens."""
        kind1, kind2 = t1[0], t2[0]
        half1 = self.half_width(t1[1]) if kind1 == "item" else 0.0
        half2 = self.half_width(t2[1]) if kind2 == "item" else 0.0
        if kind1 == "item" and kind2 == "item":
            both_real = not self.is_dummy(t1[1]) and not self.is_dummy(t2[1])
            gap = NODE_GAP if both_real else EDGE_GAP
        elif (kind1, kind2) in (("item", "left"), ("right", "item"), ("right", "left")):
            gap = CLUSTER_GAP
        else:  # inside a cluster: ("left", *) or (*, "right")
            gap = CLUSTER_PAD
        return half1 + gap + half2

    def _align(self) -> list[int]:
        """Block number of every item; a block is a vertical chain drawn at one x.

        Candidate links between adjacent ranks are taken greedily, best first: node-node
        links on the longest paths (so a residual block's main path is straight, not its
        shortcut), then dummy-dummy links (long edges stay straight), then node-dummy links.
        A link must not cross an accepted link or a cluster border.
        """
        depth, height = self._longest_paths()
        candidates = []
        for a in range(len(self.rank)):
            for b in self.down[a]:
                kind = self.is_dummy(a) + self.is_dummy(b)
                priority = (3 if kind == 0 else 2 if kind == 2 else 1)
                criticality = depth[a] + height[b] if kind == 0 else 0
                offset = (abs(self.pos[b] - self._median_position(self.down[a]))
                          + abs(self.pos[a] - self._median_position(self.up[b])))
                candidates.append((-priority, -criticality, offset, self.rank[a],
                                   self.pos[a], self.pos[b], a, b))
        candidates.sort()
        below = [-1] * len(self.rank)
        above = [-1] * len(self.rank)
        accepted: list[list[tuple[int, int]]] = [[] for _ in range(self.rank_count)]
        for *_, a, b in candidates:
            if below[a] >= 0 or above[b] >= 0 or not self._may_align(a, b):
                continue
            r = self.rank[a]
            pa, pb = self.pos[a], self.pos[b]
            if any((self.pos[c] - pa) * (self.pos[d] - pb) < 0 for c, d in accepted[r]):
                continue
            accepted[r].append((a, b))
            below[a], above[b] = b, a
        block = [-1] * len(self.rank)
        count = 0
        for item in range(len(self.rank)):
            if above[item] < 0:
                member = item
                while member >= 0:
                    block[member] = count
                    member = below[member]
                count += 1
        return block

    def _median_position(self, neighbours: dict[int, int]) -> float:
        positions = sorted(self.pos[n] for n in neighbours)
        middle = len(positions) // 2
        if len(positions) % 2:
            return positions[middle]
        return (positions[middle - 1] + positions[middle]) / 2

    def _may_align(self, a: int, b: int) -> bool:
        """Whether a (rank r) and b (rank r + 1) can share an x without crossing a border."""
        r = self.rank[a]
        chain_a, chain_b = self.ancestors[a], self.ancestors[b]
        for piece in self.segment_start[r]:
            if not self.pieces[piece].covers(r + 1):
                continue
            inside_a, inside_b = piece in chain_a, piece in chain_b
            if inside_a != inside_b:
                return False
            if not inside_a:
                left_a = self.pos[a] < self.segment_start[r][piece]
                left_b = self.pos[b] < self.segment_start[r + 1][piece]
                if left_a != left_b:
                    return False
        return True

    def _longest_paths(self) -> tuple[list[int], list[int]]:
        """Longest path (in graph edges) from a source to each item, and from it to a sink."""
        count = len(self.names)
        succ: list[list[int]] = [[] for _ in range(count)]
        for u, v in self.edges:
            succ[u].append(v)
        topo = _topological_order(count, succ)
        depth = [0] * count
        height = [0] * count
        for v in topo:
            for w in succ[v]:
                depth[w] = max(depth[w], depth[v] + 1)
        for v in reversed(topo):
            for w in succ[v]:
                height[v] = max(height[v], height[w] + 1)
        extra = len(self.rank) - count
        return depth + [0] * extra, height + [0] * extra

    # -- y coordinates, edges and boxes --------------------------------------------------------

    def _rows(self) -> tuple[list[float], list[float], list[float], list[float]]:
        """Top and bottom of each rank row, and how far each piece's box reaches past them."""
        top_ext = [0.0] * len(self.pieces)
        bottom_ext = [0.0] * len(self.pieces)
        for p in range(len(self.pieces) - 1, 0, -1):  # children come after their parents
            piece = self.pieces[p]
            top_ext[p] = CLUSTER_PAD + CLUSTER_LABEL_HEIGHT + max(
                (top_ext[k] for k in piece.children if self.pieces[k].start == piece.start),
                default=0.0)
            bottom_ext[p] = CLUSTER_PAD + max(
                (bottom_ext[k] for k in piece.children if self.pieces[k].end == piece.end),
                default=0.0)
        above = [0.0] * (self.rank_count + 1)  # room needed above rank r for boxes starting
        below = [0.0] * (self.rank_count + 1)
        for p, piece in enumerate(self.pieces[1:], start=1):
            above[piece.start] = max(above[piece.start], top_ext[p])
            below[piece.end] = max(below[piece.end], bottom_ext[p])
        heights = [0.0] * self.rank_count
        for v, (_, height) in enumerate(self.sizes):
            r = self.node_rank[v]
            heights[r] = max(heights[r], height)
        row_top, row_bottom = [], []
        y = MARGIN + above[0]
        for r in range(self.rank_count):
            row_top.append(y)
            row_bottom.append(y + heights[r])
            y += heights[r] + below[r] + RANK_GAP + above[r + 1]
        return row_top, row_bottom, top_ext, bottom_ext

    def _ports(self, neighbours: dict[int, int], x: list[float], box: NodeBox) -> dict[int, float]:
        """x where the edges to each neighbour leave (or enter) a node's border."""
        low = box.x - box.width / 2 + min(PORT_MARGIN, box.width / 4)
        high = box.x + box.width / 2 - min(PORT_MARGIN, box.width / 4)
        ordered = sorted(neighbours, key=lambda n: (x[n], self.pos[n]))
        ports = [min(max(x[n], low), high) for n in ordered]
        spacing = min(PORT_SPACING, (high - low) / max(1, len(ports) - 1))
        for i in range(1, len(ports)):
            ports[i] = max(ports[i], ports[i - 1] + spacing)
        for i in range(len(ports) - 1, -1, -1):
            ports[i] = min(ports[i], high if i == len(ports) - 1 else ports[i + 1] - spacing)
        return dict(zip(ordered, ports))

    def _edge_points(self, route: list[int], ends: tuple[float, float], x: list[float],
                     nodes: dict[str, NodeBox], row_top: list[float], row_bottom: list[float]
                     ) -> tuple[tuple[float, float], ...]:
        """The polyline of one edge: vertical through rows, S-curves between them."""
        source, target = nodes[self.names[route[0]]], nodes[self.names[route[-1]]]
        start_x, end_x = ends
        points = [(start_x, source.y + source.height / 2)]
        current = (start_x, row_bottom[self.rank[route[0]]])
        for item, top in [(i, row_top[self.rank[i]]) for i in route[1:-1]] + [
                (None, row_top[self.rank[route[-1]]])]:
            item_x = end_x if item is None else x[item]
            if item_x != current[0]:  # bend between the rows; else the vertical run goes on
                points.append(current)
                points.extend(_s_curve(current, (item_x, top)))
            if item is not None:
                current = (item_x, row_bottom[self.rank[item]])
        points.append((end_x, target.y - target.height / 2))
        return _simplified(points)

    def _cluster_boxes(self, x: list[float], row_top: list[float], row_bottom: list[float],
                       top_ext: list[float], bottom_ext: list[float]) -> list[ClusterBox]:
        """A box per piece around its items and inner boxes."""
        extent = [[math.inf, -math.inf] for _ in self.pieces]
        for item in range(len(self.rank)):
            piece = self.piece[item]
            half = self.half_width(item)
            extent[piece][0] = min(extent[piece][0], x[item] - half - CLUSTER_PAD)
            extent[piece][1] = max(extent[piece][1], x[item] + half + CLUSTER_PAD)
        for p in range(len(self.pieces) - 1, 0, -1):
            parent = self.pieces[p].parent
            extent[parent][0] = min(extent[parent][0], extent[p][0] - CLUSTER_PAD)
            extent[parent][1] = max(extent[parent][1], extent[p][1] + CLUSTER_PAD)
        boxes = []
        for p, piece in enumerate(self.pieces[1:], start=1):
            path, kind = piece.key[-1]
            top = row_top[piece.start] - top_ext[p]
            bottom = row_bottom[piece.end] + bottom_ext[p]
            low, high = extent[p]
            boxes.append(ClusterBox(path, f"{path} · {kind}", (low + high) / 2,
                                    (top + bottom) / 2, high - low, bottom - top, piece.depth))
        return boxes


def _token_variable(token: tuple[str, int], block: list[int], left: dict[int, int],
                    right: dict[int, int]) -> int:
    kind, value = token
    if kind == "item":
        return block[value]
    return left[value] if kind == "left" else right[value]


def _sorted_items(entries: list[_Entry], fixed_position: Callable[[int], int | None]
                  ) -> list[int]:
    """Items of entries sorted by barycenter; constrained clusters keep their fixed order.

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
    ordered = sorted(free + groups, key=lambda entry: (entry.barycenter, entry.fallback))
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


def _s_curve(start: tuple[float, float], end: tuple[float, float]) -> list[tuple[float, float]]:
    """Points after ``start`` on a cubic Bézier with vertical tangents at both ends."""
    (x0, y0), (x1, y1) = start, end
    if abs(x1 - x0) < 1e-6:
        return [end]
    points = []
    for k in range(1, CURVE_SAMPLES + 1):
        t = k / CURVE_SAMPLES
        points.append((x0 + (x1 - x0) * (3 * t * t - 2 * t ** 3),
                       y0 + (y1 - y0) * (1.5 * t - 1.5 * t * t + t ** 3)))
    return points


def _simplified(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Drop repeated points and points in the middle of straight stretches."""
    kept: list[tuple[float, float]] = []
    for point in points:
        if kept and abs(point[0] - kept[-1][0]) < 1e-9 and abs(point[1] - kept[-1][1]) < 1e-9:
            continue
        if len(kept) >= 2:
            (ax, ay), (bx, by) = kept[-2], kept[-1]
            cross = (bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax)
            if abs(cross) < 1e-9 and (bx - ax) * (point[0] - bx) + (by - ay) * (point[1] - by) >= 0:
                kept[-1] = point
                continue
        kept.append(point)
    if len(kept) == 1:
        kept.append(kept[0])
    return tuple(kept)


def _normalised(nodes: dict[str, NodeBox], edges: list[EdgePath],
                boxes: list[ClusterBox]) -> Layout:
    """Shift everything so the drawing starts at (MARGIN, MARGIN)."""
    lefts = [b.x - b.width / 2 for b in nodes.values()] + [b.x - b.width / 2 for b in boxes]
    rights = [b.x + b.width / 2 for b in nodes.values()] + [b.x + b.width / 2 for b in boxes]
    tops = [b.y - b.height / 2 for b in nodes.values()] + [b.y - b.height / 2 for b in boxes]
    bottoms = [b.y + b.height / 2 for b in nodes.values()] + [b.y + b.height / 2 for b in boxes]
    for path in edges:
        lefts.extend(p[0] for p in path.points)
        rights.extend(p[0] for p in path.points)
    dx, dy = MARGIN - min(lefts), MARGIN - min(tops)
    nodes = {name: NodeBox(name, b.x + dx, b.y + dy, b.width, b.height)
             for name, b in nodes.items()}
    edges = [EdgePath(e.source, e.target, tuple((px + dx, py + dy) for px, py in e.points))
             for e in edges]
    boxes = [ClusterBox(b.path, b.label, b.x + dx, b.y + dy, b.width, b.height, b.depth)
             for b in boxes]
    return Layout(nodes, edges, boxes, max(rights) + dx + MARGIN, max(bottoms) + dy + MARGIN)


# ---------------------------------------------------------------------------------------------
# Network simplex


def _network_simplex(count: int, tails: list[int], heads: list[int], minlens: list[float],
                     weights: list[int]) -> list[float]:
    """Minimise Σ weight·(x[head] − x[tail]) subject to x[head] − x[tail] ≥ minlen.

    The constraint graph must be acyclic and connected. This is the network simplex method
    Graphviz uses for ranks and x coordinates (Gansner, Koutsofios, North, Vo 1993).
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
        for v in _topological_order(self.count, [[self.heads[e] for e in out]
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


# ---------------------------------------------------------------------------------------------
# Quality measures


def overlapping_boxes(layout: Layout) -> list[tuple[str, str]]:
    """Pairs of node boxes whose interiors overlap."""
    boxes = sorted(layout.nodes.values(), key=lambda b: (b.x - b.width / 2, b.name))
    overlaps = []
    active: list[NodeBox] = []
    for box in boxes:
        left = box.x - box.width / 2
        active = [a for a in active if a.x + a.width / 2 > left + 1e-6]
        for other in active:
            if abs(other.y - box.y) < (other.height + box.height) / 2 - 1e-6:
                overlaps.append((other.name, box.name))
        active.append(box)
    return overlaps


def edges_through_boxes(layout: Layout) -> list[tuple[str, str, str]]:
    """(source, target, node) for every edge that passes through a box other than its ends."""
    cell = 200.0
    grid: dict[tuple[int, int], list[NodeBox]] = {}
    for box in layout.nodes.values():
        for key in _cells(box.x - box.width / 2, box.y - box.height / 2,
                          box.x + box.width / 2, box.y + box.height / 2, cell):
            grid.setdefault(key, []).append(box)
    found = []
    for path in layout.edges:
        hit: dict[str, None] = {}
        for (x0, y0), (x1, y1) in zip(path.points, path.points[1:]):
            for key in _cells(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1), cell):
                for box in grid.get(key, ()):
                    if box.name not in (path.source, path.target) and box.name not in hit \
                            and _segment_enters_box(x0, y0, x1, y1, box):
                        hit[box.name] = None
        found.extend((path.source, path.target, name) for name in hit)
    return found


def _cells(x0: float, y0: float, x1: float, y1: float, cell: float) -> Iterator[tuple[int, int]]:
    """Grid cells a rectangle touches."""
    for i in range(math.floor(x0 / cell), math.floor(x1 / cell) + 1):
        for j in range(math.floor(y0 / cell), math.floor(y1 / cell) + 1):
            yield i, j


def _segment_enters_box(x0: float, y0: float, x1: float, y1: float, box: NodeBox) -> bool:
    """Whether a segment reaches more than half a pixel inside the box (Liang–Barsky)."""
    inset = 0.5
    left, right = box.x - box.width / 2 + inset, box.x + box.width / 2 - inset
    top, bottom = box.y - box.height / 2 + inset, box.y + box.height / 2 - inset
    dx, dy = x1 - x0, y1 - y0
    low, high = 0.0, 1.0
    for p, q in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - top), (dy, bottom - y0)):
        if p == 0:
            if q <= 0:
                return False
        elif p < 0:
            low = max(low, q / p)
        else:
            high = min(high, q / p)
    return high - low > 1e-9


def count_crossings(graph: nx.DiGraph, layout: Layout, *, unbundled: bool = False) -> int:
    """Edge crossings in the drawing, counted per pair of edges and crossing point.

    Edges with a common end node are never counted against each other. Two edges cross where
    their polylines intersect transversally, or where they meet at a point and pass to each
    other's other side there. A stretch that two edges share (edges bundled on a rail) is
    not a crossing: an edge that joins a rail on one side of another edge and leaves it on
    the other side only touches it. With ``unbundled`` such pairs count one crossing too, as
    they would if the rail's edges were drawn side by side; that assumes shared stretches are
    vertical, as they are in :func:`layout_graph`'s drawings.
    """
    paths = []
    for path in layout.edges:
        if graph.has_edge(path.source, path.target):
            points = [path.points[0]]
            for point in path.points[1:]:
                if point != points[-1]:
                    points.append(point)
            paths.append((path.source, path.target, points))
    crossings = _Crossings(paths).count()
    if unbundled:
        crossings += _bundle_crossings(paths)
    return crossings


def _bundle_crossings(paths: list[tuple[str, str, list[tuple[float, float]]]]) -> int:
    """Pairs of edges that leave a shared vertical stretch in the other order than they
    joined it, each counted once per stretch."""
    ids: dict[str, int] = {}
    runs: dict[float, list[tuple[float, ...]]] = {}  # x -> (start, end, before, after, s, t)
    for source, target, points in paths:
        ends = (ids.setdefault(source, len(ids)), ids.setdefault(target, len(ids)))
        i = 0
        while i < len(points) - 1:
            x = points[i][0]
            j = i
            while j < len(points) - 1 and points[j + 1][0] == x:
                j += 1
            if j > i:
                before = points[i - 1][0] if i > 0 else math.nan
                after = points[j + 1][0] if j + 1 < len(points) else math.nan
                start, end = points[i][1], points[j][1]
                if start > end:
                    start, end, before, after = end, start, after, before
                runs.setdefault(x, []).append((start, end, before, after, *ends))
            i = max(j, i + 1)
    total = 0
    for x, group in runs.items():
        if len(group) < 2:
            continue
        start, end, before, after, source, target = (np.array(column) for column in zip(*group))
        first, second = np.triu_indices(len(group), 1)
        overlap = (np.minimum(end[first], end[second]) - np.maximum(start[first], start[second])
                   > 1e-9)
        apart = ((source[first] != source[second]) & (source[first] != target[second])
                 & (target[first] != source[second]) & (target[first] != target[second]))
        # Which side of the other run each run is on before and after the shared part: the
        # later one to join is on the side it came from, the first to leave on the side it
        # goes to; ties are decided by where they come from or go to.
        left_before = np.where(start[first] > start[second], before[first] < x,
                               np.where(start[first] < start[second], before[second] > x,
                                        before[first] < before[second]))
        left_after = np.where(end[first] < end[second], after[first] < x,
                              np.where(end[first] > end[second], after[second] > x,
                                       after[first] < after[second]))
        known = ~np.isnan(np.where(start[first] >= start[second], before[first], before[second]))
        known &= ~np.isnan(np.where(end[first] <= end[second], after[first], after[second]))
        total += int(np.count_nonzero(overlap & apart & known & (left_before != left_after)))
    return total


class _Crossings:
    """Crossings of many polylines, found on a grid with numpy, shared segments merged."""

    def __init__(self, paths: list[tuple[str, str, list[tuple[float, float]]]]) -> None:
        ids: dict[str, int] = {}
        self.ends = [(ids.setdefault(source, len(ids)), ids.setdefault(target, len(ids)))
                     for source, target, _ in paths]
        self.points = [points for _, _, points in paths]
        index: dict[tuple[float, float, float, float], int] = {}
        self.owners: list[list[tuple[int, int]]] = []  # (path, segment number) per segment
        coordinates = []
        for k, points in enumerate(self.points):
            for i in range(len(points) - 1):
                key = (*points[i], *points[i + 1])
                if key not in index:
                    index[key] = len(coordinates)
                    coordinates.append(key)
                    self.owners.append([])
                self.owners[index[key]].append((k, i))
        self.segments = np.array(coordinates, dtype=float).reshape(-1, 4)

    def count(self) -> int:
        if len(self.segments) < 2:
            return 0
        first, second, cell_of_pair, cell = self._candidate_pairs()
        x1, y1, x2, y2 = (self.segments[first, i] for i in range(4))
        x3, y3, x4, y4 = (self.segments[second, i] for i in range(4))
        length = np.hypot(x2 - x1, y2 - y1) * np.hypot(x4 - x3, y4 - y3)
        tolerance = 1e-9 * np.maximum(length, 1.0)
        o1 = _orientation(x1, y1, x2, y2, x3, y3)
        o2 = _orientation(x1, y1, x2, y2, x4, y4)
        o3 = _orientation(x3, y3, x4, y4, x1, y1)
        o4 = _orientation(x3, y3, x4, y4, x2, y2)
        zero = [np.abs(o) <= tolerance for o in (o1, o2, o3, o4)]
        proper = (o1 * o2 < 0) & (o3 * o4 < 0) & ~(zero[0] | zero[1] | zero[2] | zero[3])
        # A proper crossing is counted in the grid cell that holds its point.
        t = np.where(proper, o3 / np.where(proper, o3 - o4, 1.0), 0.0)
        px, py = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
        proper &= (np.floor(px / cell).astype(np.int64) * _GRID_STRIDE
                   + np.floor(py / cell).astype(np.int64)) == cell_of_pair
        total = sum(self._pairs(int(a), int(b)) for a, b in zip(first[proper], second[proper]))
        touching = (zero[0] | zero[1] | zero[2] | zero[3]) & ~(zero[0] & zero[1]) \
            & ~(zero[2] & zero[3]) & _boxes_meet(x1, y1, x2, y2, x3, y3, x4, y4)
        return total + self._touch_crossings(first[touching], second[touching],
                                             [z[touching] for z in zero])

    def _candidate_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Pairs of segments sharing a grid cell; two vertical segments never cross properly."""
        s = self.segments
        lengths = np.hypot(s[:, 2] - s[:, 0], s[:, 3] - s[:, 1])
        cell = max(4.0 * float(np.median(lengths)), 1e-3)
        cx0 = np.floor(np.minimum(s[:, 0], s[:, 2]) / cell).astype(np.int64)
        cx1 = np.floor(np.maximum(s[:, 0], s[:, 2]) / cell).astype(np.int64)
        cy0 = np.floor(np.minimum(s[:, 1], s[:, 3]) / cell).astype(np.int64)
        cy1 = np.floor(np.maximum(s[:, 1], s[:, 3]) / cell).astype(np.int64)
        nx_, ny_ = cx1 - cx0 + 1, cy1 - cy0 + 1
        counts = nx_ * ny_
        segment = np.repeat(np.arange(len(s)), counts)
        local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        cells = ((np.repeat(cx0, counts) + local % np.repeat(nx_, counts)) * _GRID_STRIDE
                 + np.repeat(cy0, counts) + local // np.repeat(nx_, counts))
        order = np.lexsort((segment, cells))
        cells, segment = cells[order], segment[order]
        boundaries = np.flatnonzero(np.diff(cells)) + 1
        group_start = np.concatenate(([0], boundaries))
        group_size = np.diff(np.concatenate((group_start, [len(cells)])))
        group_of = np.repeat(np.arange(len(group_start)), group_size)
        vertical = s[:, 0] == s[:, 2]
        lead = np.flatnonzero(~vertical[segment])  # entries whose segment is not vertical
        sizes = group_size[group_of[lead]]
        first = np.repeat(segment[lead], sizes)
        offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        second = segment[np.repeat(group_start[group_of[lead]], sizes) + offsets]
        pair_cell = np.repeat(cells[lead], sizes)
        keep = (first != second) & (vertical[second] | (first < second))
        return first[keep], second[keep], pair_cell[keep], cell

    def _valid(self, a: int, b: int) -> bool:
        return a != b and not set(self.ends[a]) & set(self.ends[b])

    def _pairs(self, s: int, t: int) -> int:
        """Pairs of edges, one drawn through each segment, without a common end."""
        return sum(self._valid(a, b) for a, _ in self.owners[s] for b, _ in self.owners[t])

    def _touch_crossings(self, first: np.ndarray, second: np.ndarray,
                         zero: list[np.ndarray]) -> int:
        """Crossings where two paths meet at a point: they cross if they change sides there.

        A meeting point is looked at from the segments that start there (or pass through it),
        so each one is seen once.
        """
        total = 0
        groups: dict[tuple[int, tuple[float, float]], list] = {}
        for k, (s, t) in enumerate(zip(first.tolist(), second.tolist())):
            point = self._meeting_point(s, t, [z[k] for z in zero])
            if point is None:
                continue
            for key in ((s, point), (t, point)):
                if key not in groups:
                    groups[key] = self._direction_groups(*key)
            for directions_a, owners_a in groups[(s, point)]:
                for directions_b, owners_b in groups[(t, point)]:
                    if _cross_at(directions_a, directions_b):
                        total += sum(self._valid(a, b) for a in owners_a for b in owners_b)
        return total

    def _meeting_point(self, s: int, t: int, zero: list[bool]) -> tuple[float, float] | None:
        """The point where segments s and t meet, None if it ends one of them."""
        x1, y1, x2, y2 = self.segments[s].tolist()
        x3, y3, x4, y4 = self.segments[t].tolist()
        for is_zero, point in zip(zero, ((x3, y3), (x4, y4), (x1, y1), (x2, y2))):
            if is_zero and _within(point, x1, y1, x2, y2) and _within(point, x3, y3, x4, y4):
                if _close(point, (x2, y2)) or _close(point, (x4, y4)):
                    return None
                return point
        return None

    def _direction_groups(self, segment: int, point: tuple[float, float]
                          ) -> list[tuple[tuple[float, float] | None, list[int]]]:
        """The owners of a segment grouped by their directions (back, forward) at a point."""
        x1, y1, x2, y2 = self.segments[segment].tolist()
        groups: dict[tuple[float, float] | None, list[int]] = {}
        for path, i in self.owners[segment]:
            if not _close(point, (x1, y1)):
                back = (x1, y1)
            elif i > 0:
                back = self.points[path][i - 1]
            else:
                back = None  # the path starts here: the border of its own node
            groups.setdefault(back, []).append(path)
        result = []
        for back, owners in groups.items():
            directions = None if back is None else (
                math.atan2(back[1] - point[1], back[0] - point[0]),
                math.atan2(y2 - point[1], x2 - point[0]))
            result.append((directions, owners))
        return result


_GRID_STRIDE = 1 << 31


def _orientation(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray,
                 cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)


def _boxes_meet(x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray, x3: np.ndarray,
                y3: np.ndarray, x4: np.ndarray, y4: np.ndarray) -> np.ndarray:
    """Whether the bounding boxes of two segments meet."""
    eps = 1e-9
    return ((np.minimum(x1, x2) <= np.maximum(x3, x4) + eps)
            & (np.minimum(x3, x4) <= np.maximum(x1, x2) + eps)
            & (np.minimum(y1, y2) <= np.maximum(y3, y4) + eps)
            & (np.minimum(y3, y4) <= np.maximum(y1, y2) + eps))


def _within(p: tuple[float, float], x1: float, y1: float, x2: float, y2: float) -> bool:
    eps = 1e-6
    return (min(x1, x2) - eps <= p[0] <= max(x1, x2) + eps
            and min(y1, y2) - eps <= p[1] <= max(y1, y2) + eps)


def _close(p: tuple[float, float], q: tuple[float, float]) -> bool:
    return abs(p[0] - q[0]) < 1e-6 and abs(p[1] - q[1]) < 1e-6


def _cross_at(a: tuple[float, float] | None, b: tuple[float, float] | None) -> int:
    """1 if path b passes from one side of path a to the other at their meeting point."""
    if a is None or b is None:
        return 0
    for angle_a in a:
        for angle_b in b:
            if abs(math.remainder(angle_a - angle_b, 2 * math.pi)) < 1e-6:
                return 0  # they run together here: a shared stretch, not a crossing

    def inside(angle: float) -> bool:  # within the counter-clockwise arc from a[0] to a[1]
        return (angle - a[0]) % (2 * math.pi) < (a[1] - a[0]) % (2 * math.pi)

    return int(inside(b[0]) != inside(b[1]))
