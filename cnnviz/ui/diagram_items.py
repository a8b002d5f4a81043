"""The graphics items of one drawn diagram, and what the view asks of them."""
from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
from typing import TypeVar

import networkx as nx
import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QGraphicsScene

from cnnviz import diagram
from cnnviz import graph as g
from cnnviz.layout import Layout
from cnnviz.layout.geometry import LEFT_TO_RIGHT
from cnnviz.ui.cluster_item import ClusterItem
from cnnviz.ui.diagram_style import (CLUSTER_Z, NODE_Z, RAISED_Z, Highlight, Style,
                                     polygons_path, segments_path)
from cnnviz.ui.edge_item import (EdgeGeometry, EdgeGroupItem, EdgeLabel, EdgeLabels,
                                 edge_geometry, pen_of)
from cnnviz.ui.group_item import GroupItem
from cnnviz.ui.highlight_item import Connections, HighlightItem
from cnnviz.ui.node_item import NodeItem
from cnnviz.ui.overview_item import OverviewItem

GROUP_SIZE = 64  # node items or block boxes per group
EDGE_GROUP_SIZE = 256  # line segments per edge item
_LABEL_GAP = 4.0  # between an edge's start and its shape label

T = TypeVar("T")

_edge_text = lru_cache(maxsize=4096)(diagram.edge_label)  # few distinct shapes, many edges


class DiagramItems:
    """What draws one laid-out diagram, in four top-level items:

    - ``detail``: the block boxes, edges (with arrowheads and shape labels) and node items,
      in groups of nearby ones that the scene skips together when out of view, under one
      container that hides them all at once when zoomed out;
    - ``overview``: the whole diagram in marks and bands, shown instead when zoomed out;
    - ``highlight``: the veil and the highlighted edges of the selected and hovered nodes;
    - ``raised``: those nodes' items, moved above the veil while they are highlighted.

    Built for size: an item per node and per block box (text, tooltips and paths are made
    when first needed), one per group of edges, and none per label.
    """

    def __init__(self, graph: nx.DiGraph, layout: Layout, style: Style,
                 colors: dict[str, QColor]) -> None:
        self.graph, self.layout = graph, layout
        self.nodes: dict[str, NodeItem] = {}
        self.clusters: dict[str, ClusterItem] = {}
        self._edge_items: list[EdgeGroupItem] = []
        self._edge_paths = {(path.source, path.target): path for path in layout.edges}
        self._lifted: dict[str, QGraphicsItem] = {}  # raised node → the group it came from
        self._levels: dict[str, Highlight] = {}  # highlighted nodes
        self._pairs: dict[Highlight, list[tuple[str, str]]] = {}  # highlighted edges
        self.detail = _container(0.0)
        self.raised = _container(RAISED_Z)
        along = 0 if layout.orientation == LEFT_TO_RIGHT else 1  # the axis edges run along
        succ = graph.succ
        skips = [bool(succ[path.source][path.target].get(g.SKIP)) for path in layout.edges]
        self._skips = {pair: skip for pair, skip in zip(self._edge_paths, skips)}
        self._add_clusters(style, along)
        geometry = edge_geometry(layout.edges, skips)
        self._add_edges(geometry, self._edge_labels(style), style, along)
        self._node_groups = self._add_nodes(style, along, colors)
        rect = QRectF(0, 0, layout.width, layout.height)
        self.overview = OverviewItem(layout, geometry, style)
        self.overview.set_fills({name: item.fill for name, item in self.nodes.items()})
        self.highlight = HighlightItem(rect, style)

    def add_to(self, scene: QGraphicsScene) -> None:
        for item in (self.detail, self.overview, self.highlight, self.raised):
            scene.addItem(item)

    def show_overview(self, overview: bool) -> None:
        """The overview instead of the detailed items, or the other way round."""
        self.detail.setVisible(not overview)
        self.raised.setVisible(not overview)
        self.overview.setVisible(overview)

    # ------------------------------------------------------------------ building

    def _add_clusters(self, style: Style, along: int) -> None:
        """Block boxes, outer ones first along the flow: inner boxes stack above them."""
        boxes = sorted(self.layout.clusters,
                       key=lambda c: ((c.x - c.width / 2, c.y - c.height / 2)[along], c.depth))
        for chunk in _chunks(boxes, GROUP_SIZE):
            group = GroupItem(CLUSTER_Z, self.detail)
            for box in chunk:
                self.clusters[box.path] = ClusterItem(box, style, group)
            group.seal()

    def _add_edges(self, geometry: EdgeGeometry, labels: EdgeLabels, style: Style,
                   along: int) -> None:
        """Edge items for stretches of EDGE_GROUP_SIZE segments along the flow."""
        segments = geometry.segments
        middles = (segments[:, along] + segments[:, along + 2]) / 2
        bounds = np.sort(middles)[EDGE_GROUP_SIZE::EDGE_GROUP_SIZE]
        groups = len(bounds) + 1 if len(segments) else 0
        parts = [_indices_by_group(np.searchsorted(bounds, values, side="right"), groups)
                 for values in (middles, geometry.heads[:, 0, along], labels.rects[:, along])]
        for mine, heads, texts in zip(*parts):
            self._edge_items.append(EdgeGroupItem(geometry.select(mine, heads),
                                                  labels.select(texts), style, self.detail))

    def _edge_labels(self, style: Style) -> EdgeLabels:
        """Each tensor's shape once per source: right of its rightmost edge start when edges
        run down, above its topmost one when they run right."""
        edges, succ = self.layout.edges, self.graph.succ
        right = self.layout.orientation == LEFT_TO_RIGHT
        chosen: dict[tuple[str, str], int] = {}
        for i, path in enumerate(edges):
            key = (path.source, _edge_text(succ[path.source][path.target].get(g.SHAPE)))
            best = chosen.get(key)
            if best is None or (path.points[0][1] < edges[best].points[0][1] if right
                                else path.points[0][0] > edges[best].points[0][0]):
                chosen[key] = i
        height = style.edge_metrics.height()
        texts = [text for _, text in chosen]
        starts = np.array([edges[i].points[0] for i in chosen.values()], float).reshape(-1, 2)
        rects = np.column_stack([starts[:, 0] + _LABEL_GAP,
                                 starts[:, 1] - height - 1 if right else starts[:, 1] + 1,
                                 [style.edge_label_width(text) for text in texts],
                                 np.full(len(texts), height)])
        return EdgeLabels(texts, rects)

    def _add_nodes(self, style: Style, along: int,
                   colors: dict[str, QColor]) -> list[GroupItem]:
        boxes = sorted(self.layout.nodes.values(), key=lambda b: (b.x, b.y)[along])
        groups = []
        for chunk in _chunks(boxes, GROUP_SIZE):
            group = GroupItem(NODE_Z, self.detail)
            for box in chunk:
                item = self.nodes[box.name] = NodeItem(box, self.graph.nodes[box.name], style,
                                                       group)
                if box.name in colors:
                    item.set_fill(colors[box.name])
            group.seal()
            groups.append(group)
        return groups

    # ------------------------------------------------------------------ questions

    def node_at(self, point: QPointF, reach: float) -> NodeItem | None:
        """The node whose box contains ``point``, else the nearest within ``reach``."""
        best, best_distance = None, math.inf
        groups = (group.childItems() for group in self._node_groups
                  if group.boundingRect().adjusted(-reach, -reach, reach, reach).contains(point))
        for item in _flatten([self.raised.childItems(), *groups]):
            distance = _distance(item.box(), point)
            if distance <= reach and distance < best_distance:
                best, best_distance = item, distance
                if distance == 0:
                    break
        return best

    def edge_pen(self, source: str, target: str) -> QPen:
        """The pen the edge from ``source`` to ``target`` is drawn with."""
        return pen_of(self._skips[source, target])

    def edge_labels(self) -> list[EdgeLabel]:
        """Every shape label drawn beside an edge."""
        return [label for item in self._edge_items for label in item.labels()]

    def set_fills(self, colors: dict[str, QColor]) -> None:
        """Fill colours by node name; the others get their category's."""
        for name, item in self.nodes.items():
            item.set_fill(colors.get(name))
        self.overview.set_fills({name: item.fill for name, item in self.nodes.items()})

    # ------------------------------------------------------------------ highlights

    def show_connections(self, shown: dict[Highlight, str]) -> None:
        """Highlight the connections of a node per level ("" for none): its edges on the
        highlight layer, its and their other ends' items raised above the veil. The work
        follows the number of connections."""
        wanted: dict[str, Highlight] = {}
        self._pairs = {}
        for level in (Highlight.HOVER, Highlight.SELECTION):  # the stronger wins
            name = shown.get(level, "")
            if name not in self.nodes:
                self.highlight.set_connections(level, None)
                continue
            pairs = self._pairs[level] = [*self.graph.in_edges(name),
                                          *self.graph.out_edges(name)]
            ends = [other for other in dict.fromkeys(n for pair in pairs for n in pair)
                    if other != name]
            item = self.nodes[name]
            geometry = edge_geometry([self._edge_paths[pair] for pair in pairs],
                                     [self._skips[pair] for pair in pairs], merge=False)
            self.highlight.set_connections(level, Connections(
                item.box(), item.fill, segments_path(geometry.segments),
                polygons_path(geometry.heads),
                [(self.nodes[other].box(), self.nodes[other].fill) for other in ends]))
            wanted.update(dict.fromkeys([name, *ends], level))
        for name in [n for n in self._lifted if n not in wanted]:
            item = self.nodes[name]
            item.setParentItem(self._lifted.pop(name))
            item.set_highlight(Highlight.NONE)
        for name, level in wanted.items():
            item = self.nodes[name]
            if name not in self._lifted:
                self._lifted[name] = item.parentItem()
                item.setParentItem(self.raised)
            item.set_highlight(level)
        self._levels = wanted

    def highlighted(self, level: Highlight) -> tuple[set[str], set[tuple[str, str]]]:
        """The nodes (raised at this level) and the edges drawn highlighted at a level."""
        return ({name for name, shown in self._levels.items() if shown == level},
                set(self._pairs.get(level, ())))


def _container(z: float) -> QGraphicsRectItem:
    """An item that draws nothing and holds others (hiding it hides them)."""
    item = QGraphicsRectItem()
    item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
    item.setZValue(z)
    return item


def _chunks(items: list[T], size: int) -> Iterable[list[T]]:
    return (items[i:i + size] for i in range(0, len(items), size))


def _indices_by_group(groups: np.ndarray, count: int) -> list[np.ndarray]:
    """For each group number below ``count``, the indices of the elements in it."""
    order = np.argsort(groups, kind="stable")
    return np.split(order, np.searchsorted(groups[order], np.arange(1, count)))[:count]


def _flatten(lists: Iterable[list[T]]) -> Iterable[T]:
    return (item for items in lists for item in items)


def _distance(rect: QRectF, point: QPointF) -> float:
    dx = max(rect.left() - point.x(), 0.0, point.x() - rect.right())
    dy = max(rect.top() - point.y(), 0.0, point.y() - rect.bottom())
    return math.hypot(dx, dy)

