"""An edge of the diagram: a polyline with an arrowhead."""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainterPath, QPolygonF
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsPolygonItem

from cnnviz.layout import EdgePath
from cnnviz.ui.diagram_style import EDGE_PEN, EDGE_Z, SKIP_PEN

_ARROW_LENGTH, _ARROW_HALF_WIDTH = 7.0, 3.5


class EdgeItem(QGraphicsPathItem):
    """An edge along the layout's polyline with a filled arrowhead at the target; skip
    connections are dashed and orange."""

    def __init__(self, edge: EdgePath, skip: bool) -> None:
        super().__init__()
        self.source, self.target, self.skip = edge.source, edge.target, skip
        (tx, ty), (bx, by) = edge.points[-1], edge.points[0]
        for px, py in reversed(edge.points[:-1]):  # the last point before the tip
            if (px, py) != (tx, ty):
                bx, by = px, py
                break
        length = math.hypot(tx - bx, ty - by) or 1.0
        ux, uy = (tx - bx) / length, (ty - by) / length
        base_x, base_y = tx - ux * _ARROW_LENGTH, ty - uy * _ARROW_LENGTH
        line = QPolygonF([QPointF(x, y) for x, y in edge.points[:-1]] + [QPointF(base_x, base_y)])
        path = QPainterPath()
        path.addPolygon(line)
        pen = SKIP_PEN if skip else EDGE_PEN
        self.setPath(path)
        self.setPen(pen)
        self.setZValue(EDGE_Z)
        wx, wy = -uy * _ARROW_HALF_WIDTH, ux * _ARROW_HALF_WIDTH  # across the arrow
        arrow = QGraphicsPolygonItem(QPolygonF([
            QPointF(tx, ty), QPointF(base_x + wx, base_y + wy),
            QPointF(base_x - wx, base_y - wy)]), self)
        arrow.setPen(Qt.PenStyle.NoPen)
        arrow.setBrush(pen.color())
