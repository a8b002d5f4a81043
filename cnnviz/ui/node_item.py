"""A node's box in the diagram."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cnnviz import diagram
from cnnviz import graph as g
from cnnviz.graph import Category
from cnnviz.layout import LINE_HEIGHT, TEXT_PADDING, NodeBox
from cnnviz.ui.diagram_style import (CATEGORY_COLORS, LABEL_LOD, MATCH_COLOR, NODE_Z,
                                     SELECTION_COLOR, SHAPE_LOD, Style)

_BLOCK_BORDER = QColor("#5b6472")
_CORNER = 6.0
_TEXT_MARGIN = 6.0  # left and right of a node's text before it is elided
_PILL_INSET = 6.0  # what a pill's round ends take from its text's width
_ROUND_SHAPES = (Category.ADD, Category.MUL)  # drawn as pills


class NodeItem(QGraphicsItem):
    """A node's box at the layout's position and size: category colour, its text lines
    (the first bold) and highlight borders for selection and search matches."""

    def __init__(self, box: NodeBox, attrs: dict, style: Style) -> None:
        super().__init__()
        self.name = box.name
        self.category = Category(attrs[g.CATEGORY])
        self._style = style
        self._rect = QRectF(-box.width / 2, -box.height / 2, box.width, box.height)
        pill = self.category in _ROUND_SHAPES
        self._radius = box.height / 2 if pill else _CORNER
        self._outline = QPainterPath()
        self._outline.addRoundedRect(self._rect.adjusted(0.5, 0.5, -0.5, -0.5),
                                     self._radius, self._radius)
        room = box.width - 2 * _TEXT_MARGIN - (_PILL_INSET if pill else 0)
        self._lines = [style.fit(line, room, bold=i == 0)
                       for i, line in enumerate(diagram.node_lines(attrs))]
        self._fill = CATEGORY_COLORS[self.category]
        self._selected = self._matched = self._hovered = False
        self.setPos(box.x, box.y)
        self.setZValue(NODE_Z)
        self.setToolTip(diagram.tooltip(attrs))
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def brush(self) -> QBrush:
        """The fill: the category's colour or the one set_node_colors gave."""
        return QBrush(self._fill)

    def set_fill(self, color: QColor | None) -> None:
        """Override the fill colour; None restores the category's."""
        self._fill = QColor(color) if color is not None else CATEGORY_COLORS[self.category]
        self.update()

    def set_selected(self, selected: bool) -> None:
        self._selected = selected
        self.update()

    def set_matched(self, matched: bool) -> None:
        self._matched = matched
        self.update()

    def is_selected(self) -> bool:
        return self._selected

    def is_matched(self) -> bool:
        return self._matched

    def boundingRect(self) -> QRectF:
        return self._rect

    def hoverEnterEvent(self, event) -> None:
        self._hovered = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self._hovered = False
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        highlight = SELECTION_COLOR if self._selected else MATCH_COLOR if self._matched else None
        fill = self._fill.lighter(112) if self._hovered else self._fill
        if not self._style.detailed(painter, SHAPE_LOD):
            painter.fillRect(self._rect, highlight or fill)
            return
        block = self.category == Category.BLOCK
        painter.setPen(QPen(_BLOCK_BORDER, 2) if block else QPen(fill.darker(140), 1))
        painter.setBrush(fill)
        painter.drawPath(self._outline)
        if not self._style.detailed(painter, LABEL_LOD):
            if highlight is not None:  # no text to read: the whole box shows the highlight
                painter.setBrush(highlight)
                painter.drawPath(self._outline)
            return
        if highlight is not None:
            width = 3.0 if self._selected else 2.5
            painter.setPen(QPen(highlight, width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            inset = width / 2
            painter.drawRoundedRect(self._rect.adjusted(inset, inset, -inset, -inset),
                                    self._radius - inset, self._radius - inset)
        color = _text_color(fill)
        secondary = QColor(color)
        secondary.setAlpha(215)
        top = self._rect.top() + TEXT_PADDING[1] / 2
        for i, (font, line) in enumerate(self._lines):
            painter.setFont(font)
            painter.setPen(color if i == 0 else secondary)
            painter.drawText(QRectF(self._rect.left(), top + i * LINE_HEIGHT,
                                    self._rect.width(), LINE_HEIGHT),
                             Qt.AlignmentFlag.AlignCenter, line)


def _text_color(fill: QColor) -> QColor:
    """Dark text on light fills, white on dark ones."""
    luminance = 0.2126 * fill.red() + 0.7152 * fill.green() + 0.0722 * fill.blue()
    return QColor("#1f2328") if luminance > 150 else QColor("white")
