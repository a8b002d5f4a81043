"""The diagram view on ResNet-18: items match the layout, it follows the session (diagram,
selection, search) and clicks select in it, double-clicks signal, level of detail and the
overview, the connections of the selected and hovered nodes, export, keeping the view across
collapses, heat-map colours."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel

from cnnviz import analysis, diagram
from cnnviz import graph as g
from cnnviz.session import Diagram, DiagramView, LoadedModel, ModelRequest, Session
from cnnviz.ui.diagram_style import (BACKGROUND, CATEGORY_COLORS, EDGE_PEN, HIGHLIGHT_Z,
                                     HOVER_EDGE_PEN, LABEL_LOD, SELECTION_EDGE_PEN, Highlight)
from cnnviz.ui.graph_view import MAX_SCALE, GraphView
from cnnviz.ui.legend import Legend
from cnnviz.ui.minimap import Minimap
from cnnviz.ui.node_item import NodeItem


@pytest.fixture(scope="module")
def resnet18() -> LoadedModel:
    return ModelRequest.of("resnet18").load()


@pytest.fixture(scope="module")
def full(resnet18):
    """ResNet-18's operation graph and its layout."""
    return resnet18.graph, diagram.lay_out(resnet18.graph)


@pytest.fixture(scope="module")
def collapsed(full):
    """ResNet-18 with its BasicBlocks collapsed (layer1 … layer4 stay open as boxes)."""
    graph = analysis.collapse(full[0], depth=2)
    return graph, diagram.lay_out(graph)


@pytest.fixture
def state(resnet18) -> Session:
    """A session on ResNet-18, its full diagram shown."""
    state = Session()
    state.set_model(resnet18)
    return state


@pytest.fixture
def view(qtbot, state, full) -> GraphView:
    view = GraphView(state)
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    show_diagram(state, *full)
    return view


def show_diagram(state: Session, graph, layout, keep_view: bool = False) -> None:
    """Put a laid-out graph of the session's model into the session, as the app does."""
    assert state.set_diagram(Diagram(state.loaded, DiagramView(), graph, layout), keep_view)


def _show(view: GraphView, name: str, scale: float = 2.0) -> QPoint:
    """Zoom to ``scale`` with the node in the middle; its viewport position."""
    view.zoom_to(scale)
    view.centerOn(view.node_scene_pos(name))
    return view.mapFromScene(view.node_scene_pos(name))


def _view_centre(view: GraphView) -> QPointF:
    return view.mapToScene(view.viewport().rect().center())


def test_every_node_has_a_box_of_the_layout_size_at_its_position(view, full):
    graph, layout = full
    items = {item.name: item for item in view.scene().items() if isinstance(item, NodeItem)}
    assert set(items) == set(graph)
    for name, box in layout.nodes.items():
        assert items[name].sceneBoundingRect() == QRectF(box.x - box.width / 2,
                                                         box.y - box.height / 2,
                                                         box.width, box.height)
        assert view.node_scene_pos(name) == QPointF(box.x, box.y)


def test_a_click_on_a_node_selects_it_and_one_on_the_background_clears(view, state, qtbot):
    pos = _show(view, "layer2_0_conv1")
    with qtbot.waitSignal(view.sigNodeHovered) as signal:
        QTest.mouseMove(view.viewport(), pos)
    assert signal.args == ["layer2_0_conv1"]
    selected: list[str] = []
    state.subscribe("selection", selected.append)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert selected == ["layer2_0_conv1"] == [state.selection]
    assert [n for n in state.diagram.graph if view.node_item(n).is_selected()] == selected
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    assert selected[-1] == "" == state.selection
    assert not any(view.node_item(n).is_selected() for n in state.diagram.graph)


def test_the_selection_drawn_is_the_sessions(view, state, full, collapsed):
    state.select("layer3_1_conv2")
    assert view.node_item("layer3_1_conv2").is_selected()
    state.select("fc")
    assert view.node_item("fc").is_selected()
    assert not view.node_item("layer3_1_conv2").is_selected()
    show_diagram(state, *collapsed)  # fc is still drawn: still selected
    assert [n for n in collapsed[0] if view.node_item(n).is_selected()] == ["fc"]


def test_double_clicks_toggle_collapsed_blocks_and_expanded_boxes(view, state, collapsed, qtbot):
    graph, layout = collapsed
    show_diagram(state, graph, layout)
    pos = _show(view, "layer1.0")
    with qtbot.waitSignal(view.sigBlockToggled) as signal:
        QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert signal.args == ["layer1.0"]
    box = next(c for c in layout.clusters if c.path == "layer2")
    label = QPointF(box.x - box.width / 2 + 20, box.y - box.height / 2 + 8)
    view.centerOn(label)
    with qtbot.waitSignal(view.sigBlockToggled) as signal:
        QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton,
                          pos=view.mapFromScene(label))
    assert signal.args == ["layer2"]
    first, second = layout.nodes["layer2.0"], layout.nodes["layer2.1"]
    inside = QPointF(box.x, (first.y + first.height / 2 + second.y - second.height / 2) / 2)
    view.centerOn(inside)
    with qtbot.assertNotEmitted(view.sigBlockToggled):
        QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton,
                          pos=view.mapFromScene(inside))


def test_search_matches_are_highlighted_and_centred_on(view, state, full, collapsed):
    graph, layout = full
    expected = {name for name, attrs in graph.nodes(data=True)
                if any("conv" in attrs[key].lower() for key in (g.NAME, g.QUALNAME,
                                                                g.MODULE_TYPE))}
    view.zoom_to(4.0)
    found = state.find("CONV")
    assert set(found) == expected
    assert all(view.node_item(n).is_matched() for n in found)
    assert not any(view.node_item(n).is_matched() for n in set(graph) - expected)
    assert view.node_item(found[0]).is_selected()
    for name in found[1:] + found[:2]:
        assert state.next_match() == name
        view.centre_on(name)
        assert view.node_item(name).is_selected()
        centre = _view_centre(view)
        assert abs(centre.x() - view.node_scene_pos(name).x()) < 1
        assert abs(centre.y() - view.node_scene_pos(name).y()) < 1
    show_diagram(state, *collapsed)  # the matches are found again in the new diagram
    assert {n for n in collapsed[0] if view.node_item(n).is_matched()} == {"conv1"}
    state.find("")
    assert not any(view.node_item(n).is_matched() for n in collapsed[0])


def test_skip_edges_are_drawn_differently(view, full):
    graph, _ = full
    skips = [edge for edge in graph.edges if graph.edges[edge][g.SKIP]]
    assert skips
    for edge in graph.edges:
        pen = view.edge_pen(*edge)
        differs = pen.style() != EDGE_PEN.style() or pen.color() != EDGE_PEN.color()
        assert differs == (edge in skips)


def _light_pixels(view: GraphView, name: str) -> int:
    """Near-white pixels inside a dark node's box on screen: its text."""
    image = view.viewport().grab().toImage()
    rect = view.mapFromScene(view.node_item(name).sceneBoundingRect()).boundingRect()
    return sum(QColor(image.pixel(x, y)).lightness() > 200
               for x in range(rect.left() + 3, rect.right() - 2)
               for y in range(rect.top() + 3, rect.bottom() - 2))


def test_labels_are_left_out_when_zoomed_far_out(view):
    assert CATEGORY_COLORS[g.Category.CONV].lightness() < 120  # white text on it
    # (conv2, not conv1: zoomed out, conv1 lies under its block's name in screen-size text)
    _show(view, "layer3_0_conv2", LABEL_LOD * 0.8)
    assert _light_pixels(view, "layer3_0_conv2") == 0
    _show(view, "layer3_0_conv2", LABEL_LOD * 1.2)
    assert _light_pixels(view, "layer3_0_conv2") > 20


def _drawn_extent(view: GraphView) -> QRectF:
    """What the viewport shows that is not background, in scene coordinates."""
    image = view.viewport().grab().toImage()
    background = BACKGROUND.rgb() & 0xFFFFFF
    xs, ys = [], []
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            if image.pixel(x, y) & 0xFFFFFF != background:
                xs.append(x)
                ys.append(y)
    return QRectF(view.mapToScene(QPoint(min(xs), min(ys))),
                  view.mapToScene(QPoint(max(xs), max(ys))))


def test_below_the_label_scale_the_overview_replaces_the_detailed_items(qtbot, state,
                                                                          collapsed):
    view = GraphView(state)
    qtbot.addWidget(view)
    view.resize(500, 800)
    view.show()
    show_diagram(state, *collapsed)
    graph, layout = collapsed
    extents = []
    for scale, overview in ((LABEL_LOD * 1.03, False), (LABEL_LOD * 0.97, True)):
        view.zoom_to(scale)
        view.centerOn(layout.width / 2, layout.height / 2)
        assert view.overview_shown() == overview
        assert view.overview().isVisible() == overview
        assert all(view.node_item(name).isVisible() != overview for name in graph)
        extents.append(_drawn_extent(view))
    detailed, overview = extents
    tolerance = 3 / (LABEL_LOD * 0.97)  # a couple of pixels
    for side in ("left", "top", "right", "bottom"):
        assert abs(getattr(detailed, side)() - getattr(overview, side)()) < tolerance, side


def test_a_click_on_a_nodes_mark_in_the_overview_selects_it(view, state):
    view.fit_to_window()
    assert view.overview_shown() and view.scale_factor() < 0.1
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.mapFromScene(view.node_scene_pos("layer3_0_conv1")))
    assert state.selection == "layer3_0_conv1"


def _edge_shows(view: GraphView, layout, edge: tuple[str, str], color: QColor) -> bool:
    """Whether the screen shows ``color`` (within a margin, a pixel either way) at the middle
    of the part of an edge in view, away from boxes."""
    path = next(p for p in layout.edges if (p.source, p.target) == edge)
    port = view.viewport().rect().adjusted(10, 10, -10, -10)
    boxes = [QRectF(b.x - b.width / 2 - 4, b.y - b.height / 2 - 4, b.width + 8, b.height + 8)
             for b in layout.nodes.values()]
    shown = []
    for (x0, y0), (x1, y1) in zip(path.points, path.points[1:]):
        steps = max(1, int((abs(x1 - x0) + abs(y1 - y0)) / 4))
        for i in range(steps):
            point = QPointF(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
            if port.contains(view.mapFromScene(point)) and not any(
                    box.contains(point) for box in boxes):
                shown.append(point)
    assert shown, "the edge is not in view"
    image = view.viewport().grab().toImage()
    centre = view.mapFromScene(shown[len(shown) // 2])
    return any(_close(QColor(image.pixel(centre.x() + dx, centre.y() + dy)), color)
               for dx in (-1, 0, 1) for dy in (-1, 0, 1))


def _close(color: QColor, expected: QColor) -> bool:
    return (abs(color.red() - expected.red()) + abs(color.green() - expected.green())
            + abs(color.blue() - expected.blue())) < 60


def test_selecting_a_node_highlights_its_edges_and_the_nodes_at_their_ends(view, state, full):
    graph, layout = full
    view.zoom_to(1.0)
    view.centerOn(view.node_scene_pos("add_2"))
    unrelated = ("layer2_0_conv2", "layer2_0_bn2")
    assert not _edge_shows(view, layout, unrelated, SELECTION_EDGE_PEN.color())
    state.select("add_2")
    nodes, edges = view.highlighted(Highlight.SELECTION)
    assert nodes == {"add_2", "layer2_0_bn2", "layer2_0_downsample_1", "layer2_0_relu_1"}
    assert edges == {("layer2_0_bn2", "add_2"), ("layer2_0_downsample_1", "add_2"),
                     ("add_2", "layer2_0_relu_1")}
    for name in graph:  # the highlighted nodes are drawn above the veil, the others below
        item = view.node_item(name)
        assert (item.topLevelItem().zValue() > HIGHLIGHT_Z) == (name in nodes)
        assert item.highlight() == (Highlight.SELECTION if name in nodes else Highlight.NONE)
    for edge in edges:  # from end to end: the skip connection's longest stretch too
        assert _edge_shows(view, layout, edge, SELECTION_EDGE_PEN.color()), edge
    assert not _edge_shows(view, layout, unrelated, SELECTION_EDGE_PEN.color())
    state.select("")
    assert view.highlighted(Highlight.SELECTION) == (set(), set())
    assert all(view.node_item(n).topLevelItem().zValue() < HIGHLIGHT_Z for n in graph)


def test_hovering_a_node_highlights_its_connections_more_lightly(view, state, full, qtbot):
    graph, layout = full
    state.select("layer1_0_conv1")
    pos = _show(view, "layer1_0_conv2", 1.0)
    QTest.mouseMove(view.viewport(), pos)
    qtbot.waitUntil(lambda: view.hovered() == "layer1_0_conv2")
    assert view.node_item("layer1_0_conv2").toolTip().startswith("layer1_0_conv2 — Conv2d")
    nodes, edges = view.highlighted(Highlight.HOVER)
    assert nodes == {"layer1_0_conv2", "layer1_0_relu"} | set(graph.successors("layer1_0_conv2"))
    assert edges == set(graph.in_edges("layer1_0_conv2")) | set(graph.out_edges("layer1_0_conv2"))
    for edge in edges:
        assert _edge_shows(view, layout, edge, HOVER_EDGE_PEN.color()), edge
    assert view.highlighted(Highlight.SELECTION)[0] == {"layer1_0_conv1", "layer1_0_bn1",
                                                        "maxpool"}
    QTest.mouseMove(view.viewport(), QPoint(3, 3))
    qtbot.waitUntil(lambda: view.hovered() == "")
    assert view.highlighted(Highlight.HOVER) == (set(), set())
    assert view.highlighted(Highlight.SELECTION)[0]  # the selection's stay


def test_export_png_scales_and_is_not_blank(view, full, tmp_path):
    _, layout = full
    sizes = []
    for scale in (0.5, 1.0):
        path = tmp_path / f"diagram{scale}.png"
        view.export_png(str(path), scale)
        image = QImage(str(path))
        assert not image.isNull()
        sizes.append((image.width(), image.height()))
        colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
                   for y in range(0, image.height(), 7)}
        assert len(colours) > 1
    assert sizes[0] == (round(layout.width / 2), round(layout.height / 2))
    assert abs(sizes[1][0] - 2 * sizes[0][0]) <= 1 and abs(sizes[1][1] - 2 * sizes[0][1]) <= 1


def test_export_svg_writes_an_svg_document(view, tmp_path):
    path = tmp_path / "diagram.svg"
    view.export_svg(str(path))
    text = path.read_text(encoding="utf-8")
    assert "<svg" in text
    assert ElementTree.fromstring(text).tag.endswith("svg")
    assert "layer1.0.conv1" in text  # labels are drawn in the export


def test_keep_view_keeps_the_zoom_and_the_selected_node_in_place(view, state, collapsed):
    _show(view, "layer2_0_conv1", 1.5)
    state.select("layer2_0_conv1")
    top = view.mapFromScene(view.node_item("layer2_0_conv1").sceneBoundingRect().center().x(),
                            view.node_item("layer2_0_conv1").sceneBoundingRect().top())
    transform = view.transform()
    show_diagram(state, *collapsed, keep_view=True)
    assert view.transform() == transform
    assert state.selection == ""  # the node is now inside the collapsed block layer2.0
    assert not any(view.node_item(n).is_selected() for n in collapsed[0])
    block = view.node_item("layer2.0").sceneBoundingRect()
    assert (view.mapFromScene(block.center().x(), block.top()) - top).manhattanLength() <= 2


def test_keep_view_keeps_a_toggled_block_where_it_was(view, state, collapsed, full, qtbot):
    show_diagram(state, *collapsed)
    pos = _show(view, "layer3.0", 1.0)
    block = view.node_item("layer3.0").sceneBoundingRect()
    top = view.mapFromScene(block.center().x(), block.top())
    with qtbot.waitSignal(view.sigBlockToggled):
        QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    expanded = analysis.collapse(full[0], depth=2, expanded=["layer3.0"])
    layout = diagram.lay_out(expanded)
    show_diagram(state, expanded, layout, keep_view=True)
    assert view.scale_factor() == 1.0
    box = next(c for c in layout.clusters if c.path == "layer3.0")
    assert (view.mapFromScene(box.x, box.y - box.height / 2) - top).manhattanLength() <= 2


def test_node_colours_override_the_category_colours(view):
    item = view.node_item("layer1_0_conv1")
    assert item.brush().color() == CATEGORY_COLORS[g.Category.CONV]
    view.set_node_colors({"layer1_0_conv1": QColor("yellow")})
    assert item.brush().color() == QColor("yellow")
    assert view.node_item("layer1_0_bn1").brush().color() == CATEGORY_COLORS[g.Category.NORM]
    view.set_node_colors(None)
    assert item.brush().color() == CATEGORY_COLORS[g.Category.CONV]


def test_the_wheel_zooms_around_the_cursor(view):
    view.zoom_to(1.0)
    cursor = QPointF(100, 80)
    under = view.mapToScene(cursor.toPoint())
    wheel = QWheelEvent(cursor, view.viewport().mapToGlobal(cursor), QPoint(), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.scale_factor() > 1.1
    assert (view.mapFromScene(under) - cursor.toPoint()).manhattanLength() <= 2


def test_keys_zoom_within_limits(view):
    view.setFocus()
    view.reset_zoom()
    QTest.keyClick(view, Qt.Key.Key_Plus)
    assert view.scale_factor() > 1.0
    QTest.keyClick(view, Qt.Key.Key_0)
    assert view.scale_factor() == 1.0
    QTest.keyClick(view, Qt.Key.Key_Minus)
    assert view.scale_factor() < 1.0
    for _ in range(40):
        view.zoom_in()
    assert view.scale_factor() == pytest.approx(MAX_SCALE)
    QTest.keyClick(view, Qt.Key.Key_F)
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(view.sceneRect().adjusted(1, 1, -1, -1))


def test_minimap_shows_no_viewport_box_before_a_diagram_is_drawn(qtbot) -> None:
    empty = GraphView(Session())
    qtbot.addWidget(empty)
    empty.resize(400, 300)
    empty.show()
    minimap = Minimap(empty)
    qtbot.addWidget(minimap)
    minimap.resize(120, 240)
    minimap.show()
    image = minimap.viewport().grab().toImage()
    colours = {QColor(image.pixel(x, y)).name() for x in range(image.width())
               for y in range(image.height())}
    assert colours == {BACKGROUND.name()}


def test_minimap_click_pans_the_view_and_legend_lists_categories(view, qtbot, full):
    minimap = Minimap(view)
    qtbot.addWidget(minimap)
    minimap.resize(120, 240)
    minimap.show()
    view.reset_zoom()
    target = view.node_scene_pos("layer4_1_conv2")
    QTest.mouseClick(minimap.viewport(), Qt.MouseButton.LeftButton,
                     pos=minimap.mapFromScene(target))
    assert abs(_view_centre(view).y() - target.y()) < 10
    assert minimap.indicator().contains(minimap.mapFromScene(target))
    image = minimap.viewport().grab().toImage()  # the overview: marks in category colours
    conv = CATEGORY_COLORS[g.Category.CONV]
    assert any(_close(QColor(image.pixel(x, y)), conv) for x in range(image.width())
               for y in range(image.height()))
    legend = Legend()
    qtbot.addWidget(legend)
    texts = {label.text() for label in legend.findChildren(QLabel)}
    assert {category.value for category in g.Category} <= texts
