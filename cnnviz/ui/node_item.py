"""A node's box in the diagram."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cnnviz import diagram
from cnnviz import graph as g
from cnnviz.graph import Category
from cnnviz.layout import LINE_HEIGHT, TEXT_PADDING, NodeBox
from cnnviz.ui.diagram_style import (BLOCK_BORDER, CATEGORY_COLORS, MATCH_COLOR,
                                     SELECTION_COLOR, Highlight, Style)

_CORNER = 6.0
_TEXT_MARGIN = 6.0  # left and right of a node's text before it is elided
_PILL_INSET = 6.0  # what a pill's round ends take from its text's width
_ROUND_SHAPES = (Category.ADD, Category.MUL)  # drawn as pills
_CARD_OFFSET = 4.0  # a folded stack's cards (outlines) behind its box, right and up
_CARDS = 2
_BADGE_HEIGHT, _BADGE_PADDING = 14.0, 4.0
_BADGE_FILL = QColor("#3f4650")
# Borders, strongest first: selected, search match, connection of the selected or hovered node.
_CONNECTION_BORDERS = {Highlight.SELECTION: (QColor(230, 25, 125, 170), 2.0),
                       Highlight.HOVER: (QColor(192, 80, 138, 130), 1.5)}


class NodeItem(QGraphicsItem):
    """A node's box at the layout's position and size: category colour, its text lines
    (the first bold) and a border for the selection, a search match or a connection of the
    selected or hovered node. A folded stack of ``repeat`` blocks shows cards behind its box
    and a ``×N`` badge at its top-right corner.

    The text, tooltip and cursor are made when first needed: most boxes of a large diagram
    are never drawn up close."""

    def __init__(self, box: NodeBox, attrs: dict, style: Style,
                 parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.name = box.name
        self.category = Category(attrs[g.CATEGORY])
        self.repeat = int(attrs.get(g.REPEAT) or 1)
        self._attrs = attrs
        self._style = style
        self._width, self._height = box.width, box.height  # (no QRectF kept: 10,000 items)
        self._lines: list | None = None
        self._fill = CATEGORY_COLORS[self.category]
        self._selected = self._matched = False
        self._highlight = Highlight.NONE
        self.setPos(box.x, box.y)

    def prepare_hover(self) -> None:
        """Give the node its tooltip and pointing cursor (once the mouse comes over it)."""
        if not self.toolTip():
            self.setToolTip(diagram.tooltip(self._attrs))
            self.setCursor(Qt.CursorShape.PointingHandCursor)

    @property
    def fill(self) -> QColor:
        """The fill colour: the category's or the one set_fill gave."""
        return self._fill

    def brush(self) -> QBrush:
        """The fill as a brush."""
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

    def set_highlight(self, highlight: Highlight) -> None:
        """Show the node as a connection of the selected or hovered node (or not)."""
        self._highlight = highlight
        self.update()

    def is_selected(self) -> bool:
        return self._selected

    def is_matched(self) -> bool:
        return self._matched

    def highlight(self) -> Highlight:
        return self._highlight

    def box(self) -> QRectF:
        """The layout's box in scene coordinates (the bounding rectangle less a stack's cards
        and badge)."""
        return self._box().translated(self.pos())

    def badge(self) -> str:
        """The text of a folded stack's badge, "" for other nodes."""
        return f"×{self.repeat}" if self.repeat > 1 else ""

    def _box(self) -> QRectF:
        """The layout's box in item coordinates."""
        return QRectF(-self._width / 2, -self._height / 2, self._width, self._height)

    def boundingRect(self) -> QRectF:
        if self.repeat == 1:
            return self._box()
        reach = _CARD_OFFSET * _CARDS
        return self._box().adjusted(0, -reach, reach, 0).united(self._badge_rect())

    def _badge_rect(self) -> QRectF:
        """The badge, centred on the top-right corner."""
        width = self._style.badge_metrics.horizontalAdvance(self.badge()) + 2 * _BADGE_PADDING
        corner = self._box().topRight()
        return QRectF(corner.x() - width / 2, corner.y() - _BADGE_HEIGHT / 2, width,
                      _BADGE_HEIGHT)

    def _border(self) -> tuple[QColor, float] | None:
        if self._selected:
            return SELECTION_COLOR, 3.0
        if self._matched:
            return MATCH_COLOR, 2.5
        return _CONNECTION_BORDERS.get(self._highlight)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        fill, rect = self._fill, self._box()
        block = self.category == Category.BLOCK
        outline = QPen(BLOCK_BORDER, 2) if block else QPen(fill.darker(140), 1)
        pill = self.category in _ROUND_SHAPES
        radius = rect.height() / 2 if pill else _CORNER
        box = rect.adjusted(0.5, 0.5, -0.5, -0.5)
        if self.repeat > 1:
            painter.setPen(outline)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for card in range(_CARDS, 0, -1):
                offset = card * _CARD_OFFSET
                painter.drawRoundedRect(box.translated(offset, -offset), radius, radius)
        painter.setPen(outline)
        painter.setBrush(fill)
        painter.drawRoundedRect(box, radius, radius)
        border = self._border()
        if border is not None:
            color, width = border
            painter.setPen(QPen(color, width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            inset = width / 2
            painter.drawRoundedRect(rect.adjusted(inset, inset, -inset, -inset),
                                    radius - inset, radius - inset)
        self._paint_text(painter, rect, fill, pill)
        if self.repeat > 1:
            self._paint_badge(painter)

    def _paint_text(self, painter: QPainter, rect: QRectF, fill: QColor, pill: bool) -> None:
        if self._lines is None:
            room = rect.width() - 2 * _TEXT_MARGIN - (_PILL_INSET if pill else 0)
            self._lines = [self._style.fit(line, room, bold=i == 0)
                           for i, line in enumerate(diagram.node_lines(self._attrs))]
        color = _text_color(fill)
        secondary = QColor(color)
        secondary.setAlpha(215)
        top = rect.top() + TEXT_PADDING[1] / 2
        for i, (font, line) in enumerate(self._lines):
            painter.setFont(font)
            painter.setPen(color if i == 0 else secondary)
            painter.drawText(QRectF(rect.left(), top + i * LINE_HEIGHT, rect.width(), LINE_HEIGHT),
                             Qt.AlignmentFlag.AlignCenter, line)

    def _paint_badge(self, painter: QPainter) -> None:
        rect = self._badge_rect()
        painter.setPen(QPen(QColor("white"), 1))
        painter.setBrush(_BADGE_FILL)
        painter.drawRoundedRect(rect, _BADGE_HEIGHT / 2, _BADGE_HEIGHT / 2)
        painter.setFont(self._style.badge)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.badge())


def _text_color(fill: QColor) -> QColor:
    """Dark text on light fills, white on dark ones."""
    luminance = 0.2126 * fill.red() + 0.7152 * fill.green() + 0.0722 * fill.blue()
    return QColor("#1f2328") if luminance > 150 else QColor("white")
