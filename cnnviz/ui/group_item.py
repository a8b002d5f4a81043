"""An invisible group of nearby items of the diagram."""
from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget


class GroupItem(QGraphicsItem):
    """Draws nothing itself; it holds items that lie close together, so that the scene skips
    them all at once when the group is out of view (and a hit test when it is missed).

    Add the children first, then call :meth:`seal`: the group's rectangle is then theirs."""

    def __init__(self, z: float, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self._rect = QRectF()
        self.setZValue(z)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemContainsChildrenInShape)

    def seal(self) -> None:
        """Take the children's bounding rectangle as the group's."""
        self.prepareGeometryChange()
        self._rect = self.childrenBoundingRect()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        """Nothing: the children draw."""
