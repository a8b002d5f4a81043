"""Both orientations on the zoo classics; left to right: the top-to-bottom drawing turned, every
edge running right, boxes the same size, room for cluster and shape labels."""
from __future__ import annotations

import pytest
from layout_checks import (
    assert_rails_beside_dense_blocks,
    assert_shape_labels_have_room,
    assert_well_formed,
)
from synthetic_models import SYNTHETIC_MODELS, random_model

from cnnviz.layout import (
    LEFT_TO_RIGHT,
    TOP_TO_BOTTOM,
    Layout,
    layout_graph,
)
from cnnviz.layout.geometry import RANK_GAP_LR


def assert_runs_right(layout: Layout) -> None:
    """x never decreases along an edge, which leaves its source's right border and enters its
    target's left border."""
    for edge in layout.edges:
        source, target = layout.nodes[edge.source], layout.nodes[edge.target]
        xs = [x for x, _ in edge.points]
        assert all(a <= b + 1e-9 for a, b in zip(xs, xs[1:])), f"{edge} runs left"
        assert xs[0] == pytest.approx(source.x + source.width / 2)
        assert xs[-1] == pytest.approx(target.x - target.width / 2)


def assert_same_drawing_turned(tb: Layout, lr: Layout) -> None:
    """Ranks become columns in the same order, each rank's order top to bottom."""
    rows = sorted({round(b.y, 6) for b in tb.nodes.values()})
    columns = sorted({round(b.x, 6) for b in lr.nodes.values()})
    assert len(rows) == len(columns)
    for name, box in tb.nodes.items():
        turned = lr.nodes[name]
        assert rows.index(round(box.y, 6)) == columns.index(round(turned.x, 6))
        assert (turned.width, turned.height) == (box.width, box.height)
    for a in tb.nodes:
        for b in tb.nodes:
            if tb.nodes[a].y == tb.nodes[b].y and tb.nodes[a].x < tb.nodes[b].x:
                assert lr.nodes[a].y < lr.nodes[b].y, (a, b)


def test_zoo_classics_top_to_bottom(real_graph):
    graph, sizes = real_graph
    layout = layout_graph(graph, sizes)
    assert_well_formed(graph, layout)
    assert_shape_labels_have_room(layout)


def test_zoo_classics_left_to_right(real_graph):
    graph, sizes = real_graph
    layout = layout_graph(graph, sizes, orientation=LEFT_TO_RIGHT)
    assert layout.orientation == LEFT_TO_RIGHT
    assert_well_formed(graph, layout)
    assert_runs_right(layout)
    assert_shape_labels_have_room(layout)
    assert_same_drawing_turned(layout_graph(graph, sizes), layout)


@pytest.mark.parametrize("seed", range(8))
def test_random_graphs_left_to_right(seed):
    graph = random_model(seed)
    layout = layout_graph(graph, orientation=LEFT_TO_RIGHT)
    assert_well_formed(graph, layout)
    assert_runs_right(layout)
    assert_shape_labels_have_room(layout)


def test_dense_block_rails_turn(layouts):
    graph, _ = layouts["densenet121"]
    assert_rails_beside_dense_blocks(graph, layout_graph(graph, orientation=LEFT_TO_RIGHT))


def test_top_to_bottom_is_the_default_and_says_so(layouts):
    graph, layout = layouts["googlenet"]
    assert layout.orientation == TOP_TO_BOTTOM
    assert layout_graph(graph, orientation=TOP_TO_BOTTOM) == layout


def test_rank_columns_are_rank_gap_lr_apart():
    graph = SYNTHETIC_MODELS["alexnet"]()
    layout = layout_graph(graph, orientation=LEFT_TO_RIGHT)
    lefts = sorted(b.x - b.width / 2 for b in layout.nodes.values())
    rights = sorted(b.x + b.width / 2 for b in layout.nodes.values())
    assert min(left - right for left, right in zip(lefts[1:], rights)) >= RANK_GAP_LR


def test_unknown_orientation_is_refused():
    with pytest.raises(ValueError):
        layout_graph(SYNTHETIC_MODELS["alexnet"](), orientation="bt")
