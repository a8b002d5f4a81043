"""The diagram's items on hand-made graphs and layouts: a folded stack's badge and cards,
left-to-right drawing (shape labels above the edges, arrowheads along them) and the edge
geometry (arrowheads in any direction, edges along a rail drawn once)."""
from __future__ import annotations

import networkx as nx
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage

from cnnviz import graph as g
from cnnviz.graph import Category
from cnnviz.layout import EdgePath, Layout, NodeBox
from cnnviz.layout.geometry import LEFT_TO_RIGHT
from cnnviz.ui.diagram_style import BACKGROUND, EDGE_PEN
from cnnviz.ui.edge_item import ARROW_LENGTH, edge_geometry
from cnnviz.ui.graph_view import GraphView

WIDTH, HEIGHT = 140.0, 36.0


def _attrs(name: str, category: Category, module_type: str, **extra) -> dict:
    attrs = {g.NAME: name, g.CATEGORY: category, g.MODULE_TYPE: module_type, g.CONFIG: {},
             g.QUALNAME: name, g.IN_SHAPES: [], g.OUT_SHAPE: (1, 8, 4, 4), g.PARAMS: 1000,
             g.MACS: 5000, g.PARAM_SHARE: 0.1, g.MAC_SHARE: 0.1, g.RF: None, g.HIERARCHY: ()}
    attrs.update(extra)
    return attrs


def _diagram(nodes: dict[str, tuple[dict, float, float]],
             edges: list[tuple[str, str, tuple[tuple[float, float], ...]]],
             orientation: str = "tb") -> tuple[nx.DiGraph, Layout]:
    """A graph and its layout from node attributes and centres, and edge polylines."""
    graph = nx.DiGraph()
    for name, (attrs, _, _) in nodes.items():
        graph.add_node(name, **attrs)
    for source, target, _ in edges:
        graph.add_edge(source, target, **{g.SHAPE: (1, 8, 4, 4), g.SKIP: False})
    boxes = {name: NodeBox(name, x, y, WIDTH, HEIGHT) for name, (_, x, y) in nodes.items()}
    paths = [EdgePath(source, target, points) for source, target, points in edges]
    return graph, Layout(boxes, paths, [], 400.0, 400.0, orientation)


@pytest.fixture
def view(qtbot) -> GraphView:
    view = GraphView()
    qtbot.addWidget(view)
    view.resize(500, 440)
    view.show()
    return view


def _image(view: GraphView) -> QImage:
    view.zoom_to(1.0)
    view.centerOn(200, 200)
    return view.viewport().grab().toImage()


def _count(view: GraphView, image: QImage, x0: float, y0: float, x1: float, y1: float,
           color: QColor) -> int:
    """Pixels close to ``color`` in a scene rectangle."""
    a, b = view.mapFromScene(QPointF(x0, y0)), view.mapFromScene(QPointF(x1, y1))
    return sum(_distance(QColor(image.pixel(x, y)), color) < 40
               for x in range(a.x(), b.x() + 1) for y in range(a.y(), b.y() + 1))


def _distance(color: QColor, expected: QColor) -> int:
    return (abs(color.red() - expected.red()) + abs(color.green() - expected.green())
            + abs(color.blue() - expected.blue()))


def test_a_folded_stack_shows_its_count_and_cards_and_a_block_does_not(view):
    block = {g.OP: g.BLOCK_OP, g.CHILDREN: ["a", "b"]}
    graph, layout = _diagram({
        "stack": (_attrs("stack", Category.BLOCK, "Residual", **block, repeat=4,
                         members=("blocks.0", "blocks.1", "blocks.2", "blocks.3")), 150, 100),
        "single": (_attrs("single", Category.BLOCK, "Residual", **block), 150, 260)},
        [("stack", "single", ((150, 118), (150, 242)))])
    view.set_diagram(graph, layout)
    stack, single = view.node_item("stack"), view.node_item("single")
    assert (stack.badge(), single.badge()) == ("×4", "")
    assert single.boundingRect() == single.box().translated(-single.pos())
    assert stack.boundingRect().contains(stack.box().translated(-stack.pos()).adjusted(0, -8, 8, 0))
    image = _image(view)
    badge, card = QColor("#3f4650"), QColor("#5b6472")
    for item, shown in ((stack, True), (single, False)):
        box = item.box()  # the badge on the top-right corner, the cards right and above
        assert (_count(view, image, box.right() + 2, box.top() - 3, box.right() + 8,
                       box.top() + 3, badge) > 6) == shown
        assert (_count(view, image, box.right() + 2, box.center().y(), box.right() + 8,
                       box.center().y() + 1, card) > 2) == shown


def test_left_to_right_edges_have_their_shapes_above_them_and_arrowheads_along_them(view):
    conv = {g.CONFIG: {"kernel_size": 3, "out_channels": 8}}
    graph, layout = _diagram({
        "a": (_attrs("a", Category.CONV, "Conv2d", **conv), 90, 200),
        "b": (_attrs("b", Category.ACT, "ReLU"), 310, 200),
        "c": (_attrs("c", Category.ACT, "ReLU"), 310, 300)},
        [("a", "b", ((160, 200), (240, 200))),
         ("a", "c", ((160, 210), (200, 210), (200, 300), (240, 300)))], LEFT_TO_RIGHT)
    view.set_diagram(graph, layout)
    labels = view.edge_labels()
    assert [label.text for label in labels] == ["8×4×4"]  # once per tensor: above the top one
    rect = labels[0].rect
    assert rect.bottom() <= 200 and rect.top() >= 200 - 20 and 160 <= rect.left() < 200
    image = _image(view)
    assert _count(view, image, 234, 200, 238, 200, EDGE_PEN.color()) >= 3  # the arrowhead
    assert _count(view, image, 233, 198, 236, 198, EDGE_PEN.color()) >= 2  # … is wide there
    assert _count(view, image, 163, 190, 168, 198, BACKGROUND) < 40  # the label is drawn


@pytest.mark.parametrize("direction", [(0, 1), (1, 0), (0, -1), (-1, 0), (0.6, 0.8)])
def test_arrowheads_point_along_the_last_segment(direction):
    dx, dy = direction
    tip = (100 + 50 * dx, 100 + 50 * dy)
    geometry = edge_geometry([EdgePath("a", "b", ((100, 100), (100, 100), tip, tip))], [False])
    (head,) = geometry.heads
    assert tuple(head[0]) == pytest.approx(tip)
    base = (head[1] + head[2]) / 2
    assert tuple(base) == pytest.approx((tip[0] - ARROW_LENGTH * dx, tip[1] - ARROW_LENGTH * dy))
    (segment,) = geometry.segments  # repeated points left out; the line stops at the head
    assert sorted(map(tuple, segment.reshape(2, 2).round(6))) == sorted(
        [(100.0, 100.0), tuple(base.round(6))])


def test_edges_along_a_rail_are_drawn_as_one_line():
    rail = [EdgePath("a", target, ((50, 0), (50, 10), (90, 10), (90, end), (60, end + 10)))
            for target, end in (("b", 100), ("c", 200), ("d", 300))]
    geometry = edge_geometry(rail, [False] * 3)
    vertical = [s for s in geometry.segments if s[0] == s[2] == 90]
    assert [tuple(s) for s in vertical] == [(90, 10, 90, 300)]
    assert len([s for s in geometry.segments if s[1] == s[3] == 10]) == 1
    assert len(geometry.heads) == 3
    unmerged = edge_geometry(rail, [False] * 3, merge=False)
    assert len(unmerged.segments) == 12
