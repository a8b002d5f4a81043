"""The diagram at a glance: what the view draws when zoomed out too far to read any text."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cnnviz.graph import Category
from cnnviz.layout import Layout
from cnnviz.layout.geometry import LEFT_TO_RIGHT
from cnnviz.ui.diagram_style import (CATEGORY_COLORS, MATCH_COLOR, Style, polygons_path,
                                     rects_corners, segments_path)
from cnnviz.ui.edge_item import EdgeGeometry

BUCKET = 512  # nodes per bucket; buckets out of view are skipped
AA_SCALE = 0.05  # antialiased from this zoom up; below it every mark is a few pixels at most
_BAND_FILL = QColor(64, 96, 160, 26)  # nested bands add up to darker shades
_LABEL_MIN_WIDTH = 40.0  # pixels: a band at least this wide holds its label (elided) ...
_LABEL_OVERFLOW = 210.0  # ... a narrower but tall enough one lets it run over this wide
_LABEL_MIN_CHARACTERS = 3  # of a name cut short, else it is left out
_LABEL_LINES = 3  # a thin band's name may move down this many lines to make room
_LABEL_HALO = QColor(251, 251, 252, 190)
_LABEL_COLOR = QColor("#2c3a52")
_DEFAULT_FILL = CATEGORY_COLORS[Category.OTHER]


def _cosmetic(color: QColor, width: float) -> QPen:
    pen = QPen(color, width)
    pen.setCosmetic(True)
    return pen


_BAND_PEN = _cosmetic(QColor(64, 96, 160, 140), 1.0)
_EDGE_PEN = _cosmetic(QColor(107, 114, 128, 170), 1.0)
_SKIP_PEN = _cosmetic(QColor(224, 123, 0, 190), 1.0)
_MATCH_PEN = _cosmetic(MATCH_COLOR, 2.5)


@dataclass(frozen=True)
class _Bucket:
    """The marks of up to BUCKET nodes close together along the flow, and the edges there."""

    rect: QRectF
    edges: list[tuple[QPen, QPainterPath]]
    marks: list[tuple[QColor, QPen, QPainterPath]]


@dataclass(frozen=True)
class _Geometry:
    """The layout as arrays: boxes (rows x0, y0, x1, y1) and edge segments with the bucket
    of each, and the bands sorted outer first, then along the flow."""

    names: list[str]
    boxes: np.ndarray
    node_buckets: np.ndarray
    edges: EdgeGeometry
    segment_buckets: np.ndarray
    bands: np.ndarray
    band_depths: np.ndarray
    band_texts: list[tuple[str, str]]  # "name · type" and "name" (see _band_texts)
    band_parents: np.ndarray  # the index of the band around each band, -1 for outermost ones


class OverviewItem(QGraphicsItem):
    """Every node as a mark in its fill colour, every edge as a thin line, the expanded
    blocks as tinted bands named in screen-size text (a label that would overlap one
    already placed, outer blocks first, is left out) and search matches ringed in cyan.

    It draws with one path per colour and bucket of nodes, so the whole of a 10,000-node
    diagram is a few dozen draw calls; the paths are made when it is first drawn. The
    minimap draws it too, through :meth:`draw`."""

    def __init__(self, layout: Layout, edges: EdgeGeometry, style: Style) -> None:
        super().__init__()
        self._layout, self._edges, self._style = layout, edges, style
        self._rect = QRectF(0, 0, layout.width, layout.height)
        self._fills: dict[str, QColor] = {}
        self._matches: tuple[str, ...] = ()
        self._geometry: _Geometry | None = None
        self._buckets: list[_Bucket] | None = None
        self._bands: list[QPainterPath] | None = None
        self._match_path: QPainterPath | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def set_fills(self, fills: dict[str, QColor]) -> None:
        """The nodes' fill colours, by name."""
        self._fills = fills
        self._buckets = None
        self.update()

    def set_matches(self, names: tuple[str, ...]) -> None:
        """The search matches to ring."""
        self._matches = names
        self._match_path = None
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        self.draw(painter, option.exposedRect)

    def draw(self, painter: QPainter, exposed: QRectF) -> None:
        """Draw the part of the overview in ``exposed`` (scene coordinates) with the painter's
        transform (scene to device)."""
        geometry = self._prepared()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing,
                              painter.worldTransform().m11() >= AA_SCALE)
        painter.setPen(_BAND_PEN)
        painter.setBrush(_BAND_FILL)
        for path in self._bands:
            painter.drawPath(path)
        shown = [bucket for bucket in self._buckets if bucket.rect.intersects(exposed)]
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for bucket in shown:
            for pen, path in bucket.edges:
                painter.setPen(pen)
                painter.drawPath(path)
        for bucket in shown:
            for fill, pen, path in bucket.marks:
                painter.setPen(pen)
                painter.setBrush(fill)
                painter.drawPath(path)
        if self._matches:
            painter.setPen(_MATCH_PEN)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self._match_outlines(geometry))
        self._draw_labels(painter, geometry)
        painter.restore()

    # ------------------------------------------------------------------ geometry

    def _match_outlines(self, geometry: _Geometry) -> QPainterPath:
        """The matches' boxes as one path (made once per search)."""
        if self._match_path is None:
            index = {name: i for i, name in enumerate(geometry.names)}
            boxes = geometry.boxes[[index[name] for name in self._matches if name in index]]
            self._match_path = polygons_path(rects_corners(boxes), closed=True)
        return self._match_path

    def _prepared(self) -> _Geometry:
        """The geometry, bands and buckets, made on first use (buckets again after new fills)."""
        if self._geometry is None:
            geometry = self._geometry = _geometry(self._layout, self._edges)
            self._bands = [polygons_path(rects_corners(geometry.bands[geometry.band_depths == d]))
                           for d in np.unique(geometry.band_depths)]
        if self._buckets is None:
            self._buckets = self._make_buckets(self._geometry)
        return self._geometry

    def _make_buckets(self, geometry: _Geometry) -> list[_Bucket]:
        colors: dict[int, QColor] = {}
        keys = np.empty(len(geometry.names), np.int64)
        for i, name in enumerate(geometry.names):
            color = self._fills.get(name, _DEFAULT_FILL)
            keys[i] = color.rgba()
            colors.setdefault(keys[i], color)
        buckets = []
        segments, skips = geometry.edges.segments, geometry.edges.segment_skips
        for bucket in range(int(geometry.node_buckets.max(initial=-1)) + 1):
            mine = geometry.node_buckets == bucket
            boxes, bucket_keys = geometry.boxes[mine], keys[mine]
            marks = [(colors[key], _cosmetic(colors[key].darker(125), 1.0),
                      polygons_path(rects_corners(boxes[bucket_keys == key])))
                     for key in np.unique(bucket_keys)]
            on = geometry.segment_buckets == bucket
            edges = [(pen, segments_path(segments[on & (skips == skip)]))
                     for skip, pen in ((False, _EDGE_PEN), (True, _SKIP_PEN))
                     if (on & (skips == skip)).any()]
            points = np.concatenate([boxes.reshape(-1, 2), segments[on].reshape(-1, 2)])
            (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
            buckets.append(_Bucket(QRectF(x0 - 4, y0 - 4, x1 - x0 + 8, y1 - y0 + 8), edges,
                                   marks))
        return buckets

    # ------------------------------------------------------------------ labels

    def _draw_labels(self, painter: QPainter, geometry: _Geometry) -> None:
        """The bands' names in screen-size text, outer bands first: inside a band's top-left
        corner where the name fits, else (a tall band) just right of it; one that would
        overlap a name already placed moves down within its band (or a few lines, under a
        thin band), or is left out. A band that runs off the view keeps its name in view."""
        if not geometry.band_texts:
            return
        transform = painter.worldTransform()
        view = QRectF(painter.viewport())  # the device: labels may lie outside the item
        sx, sy, dx, dy = transform.m11(), transform.m22(), transform.dx(), transform.dy()
        bands = geometry.bands
        left, top = bands[:, 0] * sx + dx, bands[:, 1] * sy + dy
        right, bottom = bands[:, 2] * sx + dx, bands[:, 3] * sy + dy
        metrics = self._style.cluster_metrics
        line = metrics.height() + 2
        tall = bottom - top >= line + 4
        wide = right - left >= _LABEL_MIN_WIDTH
        parents = geometry.band_parents
        # A band that spans its parent's stretch along the flow says nothing more at this zoom.
        along = (left, right) if self._layout.orientation == LEFT_TO_RIGHT else (top, bottom)
        repeats = (parents >= 0) & (np.abs(along[0] - along[0][parents]) < line) & (
            np.abs(along[1] - along[1][parents]) < line)
        candidates = ((tall | wide) & ~repeats & (left < view.right())
                      & (right + _LABEL_OVERFLOW > view.left()) & (top + 2 < view.bottom())
                      & (bottom > view.top()))
        placed: list[QRectF] = []
        texts: list[str] = []
        for i in np.flatnonzero(candidates):
            start = max(left[i], view.left())  # the part in view
            room = right[i] - start - 8
            full, name = geometry.band_texts[i]
            text = next((t for t in (full, name) if metrics.horizontalAdvance(t) <= room), "")
            x, y = start + 4, max(top[i], view.top()) + 2
            if not text and tall[i]:  # beside the band, unless that covers another band
                text = metrics.elidedText(full, Qt.TextElideMode.ElideRight, _LABEL_OVERFLOW)
                x = right[i] + 4
                beside = QRectF(x, y, metrics.horizontalAdvance(text) + 4, line)
                if _covers_others(beside, i, (left, top, right, bottom), parents):
                    text, x = "", start + 4
            if not text:
                text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, room)
            if len(text.rstrip("…")) >= _LABEL_MIN_CHARACTERS:
                box = _free_place(QRectF(x, y, metrics.horizontalAdvance(text) + 4, line),
                                  max(bottom[i], y + _LABEL_LINES * line), placed)
                if box is not None:
                    placed.append(box)
                    texts.append(text)
        painter.resetTransform()
        painter.setFont(self._style.cluster)
        painter.setPen(_LABEL_COLOR)
        for box, text in zip(placed, texts):
            painter.fillRect(box, _LABEL_HALO)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def _covers_others(box: QRectF, band: int, sides: tuple[np.ndarray, ...],
                   parents: np.ndarray) -> bool:
    """Whether ``box`` overlaps a band (sides in device coordinates) other than ``band`` and
    the bands around it."""
    left, top, right, bottom = sides
    hit = (left < box.right()) & (right > box.left()) & (top < box.bottom()) & (bottom > box.top())
    while band >= 0:
        hit[band] = False
        band = parents[band]
    return bool(hit.any())


def _free_place(box: QRectF, lowest: float, placed: list[QRectF]) -> QRectF | None:
    """``box``, or moved down below the labels it would overlap, as long as it stays above
    ``lowest`` (when it must move); None when there is no room."""
    while True:
        hit = next((other for other in placed if box.intersects(other)), None)
        if hit is None:
            return box
        box = box.translated(0, hit.bottom() + 1 - box.top())
        if box.bottom() > lowest:
            return None


def _geometry(layout: Layout, edges: EdgeGeometry) -> _Geometry:
    """Buckets are stretches along the flow holding BUCKET nodes each; a segment belongs to
    the one its middle is in."""
    boxes = np.array([(b.x - b.width / 2, b.y - b.height / 2, b.x + b.width / 2,
                       b.y + b.height / 2) for b in layout.nodes.values()], float).reshape(-1, 4)
    along = 0 if layout.orientation == LEFT_TO_RIGHT else 1
    centres = (boxes[:, along] + boxes[:, along + 2]) / 2
    bounds = np.sort(centres)[BUCKET::BUCKET]
    middles = (edges.segments[:, along] + edges.segments[:, along + 2]) / 2
    clusters = sorted(layout.clusters, key=lambda c: (c.depth, (c.x - c.width / 2,
                                                                c.y - c.height / 2)[along]))
    bands = np.array([(c.x - c.width / 2, c.y - c.height / 2, c.x + c.width / 2,
                       c.y + c.height / 2) for c in clusters], float).reshape(-1, 4)
    index = {c.path: i for i, c in enumerate(clusters)}
    return _Geometry(list(layout.nodes), boxes, np.searchsorted(bounds, centres, side="right"),
                     edges, np.searchsorted(bounds, middles, side="right"), bands,
                     np.array([c.depth for c in clusters], np.int64),
                     [_band_texts(c.path, c.label) for c in clusters],
                     np.array([_parent(c.path, index) for c in clusters], np.int64))


def _band_texts(path: str, label: str) -> tuple[str, str]:
    """A band's name with and without its type (labels read ``path · type``). The name is
    the path's last part, with the one before it when it is a number: ``stages.3``."""
    parts = path.split(".")
    name = ".".join(parts[-2:]) if parts[-1].isdigit() else parts[-1]
    kind = label.rpartition(" · ")[2]
    return (f"{name} · {kind}" if kind and kind != label else name), name


def _parent(path: str, index: dict[str, int]) -> int:
    """The index of the nearest band around the one at ``path``, -1 when none."""
    while "." in path:
        path = path.rsplit(".", 1)[0]
        if path in index:
            return index[path]
    return -1
