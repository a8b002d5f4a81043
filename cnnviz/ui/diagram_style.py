"""What the diagram's items share: colours, pens, levels of detail, stacking order, the
fonts that fit text into the layout's boxes, and paths made from arrays of shapes."""
from __future__ import annotations

from enum import IntEnum
from functools import cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QApplication, QStyleOptionGraphicsItem

from cnnviz.diff import NodeClass
from cnnviz.graph import Category
from cnnviz.layout import CHAR_WIDTH, LINE_HEIGHT

CATEGORY_COLORS: dict[Category, QColor] = {
    Category.CONV: QColor("#3b6ea5"),
    Category.NORM: QColor("#5f7f6f"),
    Category.ACT: QColor("#b4553d"),
    Category.POOL: QColor("#4a8c4a"),
    Category.LINEAR: QColor("#7353a3"),
    Category.ATTENTION: QColor("#a8741a"),
    Category.DROPOUT: QColor("#6c7090"),
    Category.ADD: QColor("#f0a03c"),
    Category.MUL: QColor("#e3c34f"),
    Category.CONCAT: QColor("#2a9d9d"),
    Category.RESHAPE: QColor("#8a6a5a"),
    Category.INPUT: QColor("#3f4650"),
    Category.OUTPUT: QColor("#3f4650"),
    Category.BLOCK: QColor("#eceff3"),
    Category.OTHER: QColor("#8c8c8c"),
}
BACKGROUND = QColor("#fbfbfc")
SELECTION_COLOR = QColor("#e6197d")
MATCH_COLOR = QColor("#00b4d8")
BLOCK_BORDER = QColor("#5b6472")
# A diff's classes: unchanged operations recede, changes stand out.
DIFF_COLORS = {NodeClass.SAME: QColor("#dfe3e8"), NodeClass.CHANGED: QColor("#f2b01e"),
               NodeClass.ADDED: QColor("#2e9e44"), NodeClass.REMOVED: QColor("#d1343a")}


def _edge_pen(color: str, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    """A pen whose width is in pixels, so edges stay visible when zoomed far out."""
    pen = QPen(QColor(color), width, style)
    pen.setCosmetic(True)
    return pen


EDGE_PEN = _edge_pen("#6b7280", 1.3)
SKIP_PEN = _edge_pen("#e07b00", 1.7, Qt.PenStyle.DashLine)
# The connections of the selected node, and (lighter) of the node under the mouse.
SELECTION_EDGE_PEN = _edge_pen("#e6197d", 2.4)
HOVER_EDGE_PEN = _edge_pen("#c0508a", 1.9)


class Highlight(IntEnum):
    """How strongly a node or edge is shown as a connection: of the node under the mouse
    (HOVER) or of the selected node (SELECTION, the stronger)."""

    NONE = 0
    HOVER = 1
    SELECTION = 2


HIGHLIGHT_PENS = {Highlight.SELECTION: SELECTION_EDGE_PEN, Highlight.HOVER: HOVER_EDGE_PEN}

# Levels of detail (screen pixels per scene unit). Below LABEL_LOD the view draws the
# overview (marks, bands) instead of the detailed items.
LABEL_LOD = 0.45  # node text and cluster labels
EDGE_LABEL_LOD = 0.8  # tensor shapes beside edges

# Stacking order. Inside the detail layer: block boxes under edges under nodes. Above all
# of it the highlight layer (dimming, highlighted edges), then the highlighted nodes.
CLUSTER_Z, EDGE_Z, NODE_Z = -100.0, 0.0, 2.0
HIGHLIGHT_Z, RAISED_Z = 10.0, 11.0


class Style:
    """Fonts and metrics shared by one view's items, and whether an export is being drawn
    (exports show every label, whatever their scale)."""

    def __init__(self) -> None:
        title, text = _fitting_font(bold=True), _fitting_font(bold=False)
        self._line_fonts = {font.bold(): [(f, QFontMetricsF(f)) for f in (font, _smaller(font))]
                            for font in (title, text)}
        self.edge = _smaller(text, 2)
        self.edge_metrics = QFontMetricsF(self.edge)
        self.cluster = _smaller(text)
        self.cluster.setWeight(QFont.Weight.DemiBold)
        self.cluster_metrics = QFontMetricsF(self.cluster)
        self.badge = QFont(self.edge)
        self.badge.setBold(True)
        self.badge_metrics = QFontMetricsF(self.badge)
        self.exporting = False
        self._fitted: dict[tuple[str, float, bool], tuple[QFont, str]] = {}
        self._widths: dict[str, float] = {}

    def fit(self, line: str, room: float, bold: bool) -> tuple[QFont, str]:
        """A node's text line in the larger of two fonts that fits ``room``; elided in the
        smaller one when neither does (remembered: many boxes show the same text)."""
        key = (line, room, bold)
        fitted = self._fitted.get(key)
        if fitted is None:
            fitted = self._fitted[key] = self._fit(line, room, bold)
        return fitted

    def _fit(self, line: str, room: float, bold: bool) -> tuple[QFont, str]:
        fonts = self._line_fonts[bold]
        for font, metrics in fonts:
            if metrics.horizontalAdvance(line) <= room:
                return font, line
        font, metrics = fonts[-1]
        mode = Qt.TextElideMode.ElideRight if bold else Qt.TextElideMode.ElideMiddle
        return font, metrics.elidedText(line, mode, room)

    def edge_label_width(self, text: str) -> float:
        """The width of an edge's shape label (remembered by text)."""
        width = self._widths.get(text)
        if width is None:
            width = self._widths[text] = self.edge_metrics.horizontalAdvance(text) + 2
        return width

    def detailed(self, painter: QPainter, threshold: float) -> bool:
        """Whether to draw the details that need at least ``threshold`` pixels per unit."""
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        return self.exporting or lod >= threshold


def _smaller(font: QFont, pixels: int = 1) -> QFont:
    smaller = QFont(font)
    smaller.setPixelSize(font.pixelSize() - pixels)
    return smaller


@cache
def _fitting_font(bold: bool) -> QFont:
    """The application's font at the largest pixel size whose average character is at most
    the layout's CHAR_WIDTH, so text fits the boxes that node_size computed."""
    sample = "Conv 3×3 /2 · 128 layer2.1.downsample.0 1×3×224×224 denselayer12 74.0k params"
    font = QFont(QApplication.font())
    font.setBold(bold)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    for pixels in range(int(LINE_HEIGHT) - 2, 6, -1):
        font.setPixelSize(pixels)
        if QFontMetricsF(font).horizontalAdvance(sample) <= CHAR_WIDTH * len(sample):
            break
    return font


def polygons_path(corners: np.ndarray, closed: bool = False) -> QPainterPath:
    """Polygons of the same number of corners (array of shape polygons × corners × 2) as one
    path, to fill, or (``closed``) to outline."""
    if closed:
        corners = np.concatenate([corners, corners[:, :1]], axis=1)
    if not len(corners):
        return QPainterPath()
    connect = np.ones(corners.shape[:2], np.int32)
    connect[:, -1] = 0
    path = pg.arrayToQPath(corners[..., 0].ravel(), corners[..., 1].ravel(),
                           connect=connect.ravel(), finiteCheck=False)
    path.setFillRule(Qt.FillRule.WindingFill)  # overlapping polygons fill, not cancel
    return path


def rects_corners(rects: np.ndarray) -> np.ndarray:
    """Rectangles (rows x0, y0, x1, y1) as their four corners."""
    x0, y0, x1, y1 = rects.T
    return np.stack([np.stack(corner, axis=-1) for corner in
                     ((x0, y0), (x1, y0), (x1, y1), (x0, y1))], axis=1)


def segments_path(segments: np.ndarray) -> QPainterPath:
    """Line segments (rows x1, y1, x2, y2) as one path."""
    if not len(segments):
        return QPainterPath()
    return pg.arrayToQPath(segments[:, 0::2].ravel(), segments[:, 1::2].ravel(),
                           connect="pairs", finiteCheck=False)
