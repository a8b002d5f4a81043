"""What the diagram's items share: colours, pens, levels of detail, stacking order, and the
fonts that fit text into the layout's boxes."""
from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QApplication, QStyleOptionGraphicsItem

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


def _edge_pen(color: str, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    """A pen whose width is in pixels, so edges stay visible when zoomed far out."""
    pen = QPen(QColor(color), width, style)
    pen.setCosmetic(True)
    return pen


EDGE_PEN = _edge_pen("#6b7280", 1.3)
SKIP_PEN = _edge_pen("#e07b00", 1.7, Qt.PenStyle.DashLine)

# Levels of detail (screen pixels per scene unit) below which parts are left out.
LABEL_LOD = 0.45  # node text and cluster labels
EDGE_LABEL_LOD = 0.8  # tensor shapes beside edges
SHAPE_LOD = 0.15  # below this a node is a plain filled rectangle

# Stacking order: block boxes (deeper ones higher) under edges, their labels, then nodes.
CLUSTER_Z, EDGE_Z, EDGE_LABEL_Z, NODE_Z = -100.0, 0.0, 1.0, 2.0


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
        self.exporting = False

    def fit(self, line: str, room: float, bold: bool) -> tuple[QFont, str]:
        """A node's text line in the larger of two fonts that fits ``room``; elided in the
        smaller one when neither does."""
        fonts = self._line_fonts[bold]
        for font, metrics in fonts:
            if metrics.horizontalAdvance(line) <= room:
                return font, line
        font, metrics = fonts[-1]
        mode = Qt.TextElideMode.ElideRight if bold else Qt.TextElideMode.ElideMiddle
        return font, metrics.elidedText(line, mode, room)

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
