"""How good a drawing is: overlapping boxes, edges through boxes, edge crossings.

For the tests and ``bench/layout_quality.py`` only: ``cnnviz.layout`` does not import this
module and the application never does. The measures take any :class:`~cnnviz.layout.Layout`,
also one read from Graphviz's output.
"""
from __future__ import annotations

import math
from collections.abc import Iterator

import networkx as nx
import numpy as np

from cnnviz.layout.geometry import LEFT_TO_RIGHT, Layout, NodeBox


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
    vertical, as they are in :func:`layout_graph`'s top-to-bottom drawings; a left-to-right
    drawing is measured mirrored in its diagonal, which changes no crossing.
    """
    across = layout.orientation == LEFT_TO_RIGHT
    paths = []
    for path in layout.edges:
        if graph.has_edge(path.source, path.target):
            drawn = [(y, x) for x, y in path.points] if across else path.points
            points = [drawn[0]]
            for point in drawn[1:]:
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
