"""The diagram's edges: their geometry as arrays, and an item drawing a stretch of them."""
from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cnnviz.layout import EdgePath
from cnnviz.ui.diagram_style import (EDGE_LABEL_LOD, EDGE_PEN, EDGE_Z, SKIP_PEN, Style,
                                     polygons_path, segments_path)

ARROW_LENGTH, ARROW_HALF_WIDTH = 7.0, 3.5
_LABEL_HALO = QColor(251, 251, 252, 190)
_LABEL_COLOR = QColor("#59636e")


@dataclass(frozen=True)
class EdgeLabel:
    """A tensor's shape and where it is written, in scene coordinates."""

    text: str
    rect: QRectF


@dataclass(frozen=True)
class EdgeLabels:
    """Shape labels as arrays: their texts and rectangles (rows x, y, width, height)."""

    texts: list[str]
    rects: np.ndarray

    def select(self, indices: np.ndarray) -> EdgeLabels:
        return EdgeLabels([self.texts[i] for i in indices], self.rects[indices])

    def labels(self) -> list[EdgeLabel]:
        return [EdgeLabel(text, QRectF(*rect)) for text, rect in zip(self.texts, self.rects)]


@dataclass(frozen=True)
class EdgeGeometry:
    """Edges as drawn: line segments (rows x1, y1, x2, y2), each polyline ending at the
    base of its arrowhead, and arrowheads (rows of three corners, the tip first), each with
    whether it belongs to a skip connection."""

    segments: np.ndarray
    segment_skips: np.ndarray
    heads: np.ndarray
    head_skips: np.ndarray

    def select(self, segments: np.ndarray, heads: np.ndarray) -> EdgeGeometry:
        """The segments and arrowheads at these indices."""
        return EdgeGeometry(self.segments[segments], self.segment_skips[segments],
                            self.heads[heads], self.head_skips[heads])

    def extent(self) -> np.ndarray:
        """x0, y0, x1, y1 around the segments and arrowheads (infinite ones when empty)."""
        points = np.concatenate([self.segments.reshape(-1, 2), self.heads.reshape(-1, 2)])
        return np.concatenate([points.min(axis=0, initial=np.inf),
                               points.max(axis=0, initial=-np.inf)])


def edge_geometry(edges: list[EdgePath], skips: list[bool], merge: bool = True) -> EdgeGeometry:
    """The segments and arrowheads of these polylines. Arrowheads point along their last
    segment, whatever its direction. With ``merge``, segments drawn twice are drawn once
    and the overlapping parts of vertical or horizontal ones are joined: the edges that run
    together along a rail become one line."""
    counts = np.array([len(edge.points) for edge in edges], np.int64)
    points = np.fromiter(chain.from_iterable(chain.from_iterable(e.points for e in edges)),
                         float, count=2 * int(counts.sum())).reshape(-1, 2)
    if len(edges):  # repeated points left out
        first = np.cumsum(counts) - counts
        keep = np.r_[True, np.any(points[1:] != points[:-1], axis=1)]
        keep[first] = True
        points, counts = points[keep], np.add.reduceat(keep.astype(np.int64), first)
    last = np.cumsum(counts) - 1
    tips = points[last]
    direction = tips - np.where((counts > 1)[:, None], points[np.maximum(last - 1, 0)], tips)
    length = np.hypot(direction[:, 0], direction[:, 1])
    direction /= np.where(length > 0, length, 1.0)[:, None]
    bases = tips - direction * ARROW_LENGTH
    across = np.column_stack([-direction[:, 1], direction[:, 0]]) * ARROW_HALF_WIDTH
    heads = np.stack([tips, bases + across, bases - across], axis=1)
    ends = points[1:].copy()
    ends[last[counts > 1] - 1] = bases[counts > 1]
    within = np.ones(max(len(points) - 1, 0), bool)
    within[last[:-1]] = False  # pairs that would join one edge's tip to the next one's start
    segments = np.column_stack([points[:-1], ends])[within]
    flags = np.array(skips, bool)
    segment_skips = np.repeat(flags, np.maximum(counts - 1, 0))
    if merge:
        segments, segment_skips = _merged(segments, segment_skips)
    return EdgeGeometry(segments, segment_skips, heads, flags)


def _merged(segments: np.ndarray, skips: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segments without duplicates, overlapping collinear vertical (horizontal) ones joined."""
    x1, y1, x2, y2 = segments.T
    vertical = x1 == x2
    horizontal = (y1 == y2) & ~vertical
    slanted = ~(vertical | horizontal)
    rows = np.unique(np.column_stack([segments[slanted], skips[slanted]]), axis=0)
    parts, flags = [rows[:, :4]], [rows[:, 4].astype(bool)]
    for mask, along, across in ((vertical, (1, 3), 0), (horizontal, (0, 2), 1)):
        lo = np.minimum(segments[mask, along[0]], segments[mask, along[1]])
        hi = np.maximum(segments[mask, along[0]], segments[mask, along[1]])
        skip, line, lo, hi = _joined_intervals(skips[mask], segments[mask, across], lo, hi)
        ends = (line, lo, line, hi) if across == 0 else (lo, line, hi, line)
        parts.append(np.column_stack(ends))
        flags.append(skip)
    return np.concatenate(parts), np.concatenate(flags)


def _joined_intervals(skip: np.ndarray, line: np.ndarray, lo: np.ndarray,
                      hi: np.ndarray) -> tuple[np.ndarray, ...]:
    """Intervals [lo, hi] on the same line (and of the same kind) joined where they overlap
    or touch."""
    if not len(line):
        return skip, line, lo, hi
    order = np.lexsort((lo, line, skip))
    skip, line, lo, hi = skip[order], line[order], lo[order], hi[order]
    new_line = np.r_[True, (skip[1:] != skip[:-1]) | (line[1:] != line[:-1])]
    group = np.cumsum(new_line) - 1
    low = min(lo.min(), hi.min())
    shift = (hi.max() - low + 1.0) * group  # keeps each line's running maximum to itself
    reach = np.maximum.accumulate(hi - low + shift) - shift + low
    starts = np.flatnonzero(new_line | np.r_[True, lo[1:] > reach[:-1]])
    return skip[starts], line[starts], lo[starts], np.maximum.reduceat(hi, starts)


def pen_of(skip: bool) -> QPen:
    """Skip connections are dashed and orange, other edges grey."""
    return SKIP_PEN if skip else EDGE_PEN


class EdgeGroupItem(QGraphicsItem):
    """The edges in one stretch of the diagram: their segments and filled arrowheads, with a
    path per pen made when first drawn, and the shape labels there (drawn when zoomed in
    enough)."""

    def __init__(self, geometry: EdgeGeometry, labels: EdgeLabels, style: Style,
                 parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self._geometry, self._labels, self._style = geometry, labels, style
        self._paths: list[tuple[QPen, QPainterPath, QPainterPath]] | None = None
        reach = ARROW_HALF_WIDTH + 4  # the pens' widths
        corners = labels.rects[:, :2], labels.rects[:, :2] + labels.rects[:, 2:]
        low = np.minimum(geometry.extent()[:2] - reach, np.min(corners[0], axis=0, initial=np.inf))
        high = np.maximum(geometry.extent()[2:] + reach, np.max(corners[1], axis=0,
                                                               initial=-np.inf))
        self._rect = QRectF(low[0], low[1], high[0] - low[0], high[1] - low[1])
        self.setZValue(EDGE_Z)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def labels(self) -> list[EdgeLabel]:
        return self._labels.labels()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        if self._paths is None:
            self._paths = edge_paths(self._geometry)
        for pen, lines, heads in self._paths:
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(lines)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pen.color())
            painter.drawPath(heads)
        if self._labels.texts and self._style.detailed(painter, EDGE_LABEL_LOD):
            painter.setFont(self._style.edge)
            painter.setPen(_LABEL_COLOR)
            exposed = option.exposedRect
            x, y, width, height = self._labels.rects.T
            shown = ((x < exposed.right()) & (x + width > exposed.left())
                     & (y < exposed.bottom()) & (y + height > exposed.top()))
            for i in np.flatnonzero(shown):
                rect = QRectF(*self._labels.rects[i])
                painter.fillRect(rect, _LABEL_HALO)
                painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 self._labels.texts[i])


def edge_paths(geometry: EdgeGeometry) -> list[tuple[QPen, QPainterPath, QPainterPath]]:
    """Per pen (plain edges, skip connections), the path of the lines and that of the
    arrowheads; kinds without edges left out."""
    paths = []
    for skip in (False, True):
        lines = geometry.segment_skips == skip
        heads = geometry.head_skips == skip
        if lines.any() or heads.any():
            paths.append((pen_of(skip), segments_path(geometry.segments[lines]),
                          polygons_path(geometry.heads[heads])))
    return paths
