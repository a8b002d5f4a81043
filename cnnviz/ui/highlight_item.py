"""The highlight layer: the connections of the selected and of the hovered node."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cnnviz.ui.diagram_style import (BACKGROUND, HIGHLIGHT_PENS, HIGHLIGHT_Z, LABEL_LOD,
                                     Highlight, Style)

_VEIL_ALPHA = {Highlight.SELECTION: 95, Highlight.HOVER: 55}  # how much the rest is dimmed
_END_PEN_WIDTH, _NODE_PEN_WIDTH = 1.5, 3.0  # marks' borders when zoomed out, in pixels
_RING_RADIUS = 9.0  # pixels: a ring around the node when its mark is smaller
_REACH = 1e7  # the veil covers what is drawn around the diagram too (the overview's labels)


@dataclass(frozen=True)
class Connections:
    """A node's box and fill, its edges (the polylines and the arrowheads, as paths) and the
    boxes and fills of the nodes at their other ends."""

    node: QRectF
    fill: QColor
    lines: QPainterPath
    heads: QPainterPath
    ends: list[tuple[QRectF, QColor]]


class HighlightItem(QGraphicsItem):
    """Over the diagram, under the raised node items: while a node is selected or hovered it
    veils everything below (within the view) in the background colour and draws the node's edges end to end
    in the highlight pens, the selection's above the hover's. When zoomed out (where the node
    items are hidden) it draws the connected nodes' marks too, at least a few pixels wide.
    Its cost follows the highlighted parts, not the diagram's size."""

    def __init__(self, rect: QRectF, style: Style) -> None:
        super().__init__()
        self._rect = rect.adjusted(-_REACH, -_REACH, _REACH, _REACH)
        self._style = style
        self._shown: dict[Highlight, Connections] = {}
        self.setZValue(HIGHLIGHT_Z)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def set_connections(self, highlight: Highlight, connections: Connections | None) -> None:
        """Show (or, with None, stop showing) the connections of one highlight level."""
        if connections is None:
            self._shown.pop(highlight, None)
        else:
            self._shown[highlight] = connections
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        if not self._shown:
            return
        veil = QColor(BACKGROUND)
        veil.setAlpha(_VEIL_ALPHA[max(self._shown)])
        painter.fillRect(option.exposedRect, veil)
        marks = not self._style.detailed(painter, LABEL_LOD)
        for highlight, connections in sorted(self._shown.items()):
            pen = HIGHLIGHT_PENS[highlight]
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(connections.lines)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pen.color())
            painter.drawPath(connections.heads)
            if marks:
                for box, fill in connections.ends:
                    _mark(painter, box, fill, fill.darker(140), _END_PEN_WIDTH)
                _mark(painter, connections.node, connections.fill, pen.color(), _NODE_PEN_WIDTH)
                _ring(painter, connections.node, pen.color())


def _mark(painter: QPainter, box: QRectF, fill: QColor, border: QColor, width: float) -> None:
    """A node's box filled, its border ``width`` pixels wide whatever the zoom."""
    pen = QPen(border, width)
    pen.setCosmetic(True)
    painter.setPen(pen)
    painter.setBrush(fill)
    painter.drawRect(box)


def _ring(painter: QPainter, box: QRectF, color: QColor) -> None:
    """A ring of a fixed size on screen around a box drawn smaller than it, so that the node
    can be found at any zoom."""
    shown = painter.worldTransform().mapRect(box)
    if max(shown.width(), shown.height()) >= 2 * _RING_RADIUS:
        return
    painter.save()
    painter.resetTransform()
    painter.setPen(QPen(color, 2.5))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawEllipse(shown.center(), _RING_RADIUS, _RING_RADIUS)
    painter.restore()
