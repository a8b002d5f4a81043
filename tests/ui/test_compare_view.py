"""The comparison view shows exactly the rows it is given and asks for work only through signals."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from cnnviz import compare, formatting
from cnnviz.compare import ModelRow
from cnnviz.ui.compare_view import NOT_MEASURED, CompareView, describe, milliseconds
from cnnviz.ui.diagram_style import SELECTION_COLOR

# Rows as compare.model_row builds them (numbers here only need to differ from each other).
ROWS = [
    ModelRow("alexnet", "AlexNet", 2012, 61_100_840, 714_188_480, 8, 56.522, 9.5),
    ModelRow("vgg16", "VGG-16", 2014, 138_357_544, 15_470_264_320, 16, 71.592, 120.25),
    ModelRow("googlenet", "GoogLeNet", 2014, 6_624_904, 1_498_376_192, 22, 69.778, None),
    ModelRow("resnet152", "ResNet-152", 2015, 60_192_808, 11_513_626_624, 152, 82.284, 0.875),
]
COLUMN = {"Model": 0, "Year": 1, "Params": 2, "MACs": 3, "Depth": 4, "Top-1": 5, "Latency": 6}


@pytest.fixture
def view(qtbot) -> CompareView:
    widget = CompareView()
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.set_rows(ROWS)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def table_names(view: CompareView) -> list[str]:
    return [view.table.item(i, 0).data(Qt.ItemDataRole.UserRole)
            for i in range(view.table.rowCount())]


def cell_center(view: CompareView, row: int, column: int = 0) -> QPoint:
    return view.table.visualItemRect(view.table.item(row, column)).center()


def point_pixel(view: CompareView, name: str) -> QPoint:
    """Where a model's point is on the plot widget's viewport."""
    x, y = view.point_position(name)
    scene = view.plot.getViewBox().mapViewToScene(QPointF(x, y))
    return view.plot.mapFromScene(scene)


def double_click(widget, pos: QPoint) -> None:
    """Press, release, double-click, release: what a real double-click sends."""
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)
    QTest.mouseDClick(widget, Qt.MouseButton.LeftButton, pos=pos)
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=pos)


def drawn_spots(view: CompareView) -> dict[str, object]:
    return {spot.data(): spot for spot in view.scatter.points()}


def test_table_shows_each_row_formatted(view):
    assert view.table.rowCount() == len(ROWS)
    for index, row in enumerate(ROWS):
        cells = [view.table.item(index, c).text() for c in range(len(COLUMN))]
        assert cells == [
            row.display_name, str(row.year), formatting.metric(row.params),
            formatting.metric(row.macs), str(row.depth), formatting.percent(row.top1 / 100),
            milliseconds(row.latency_ms)]
        assert view.table.item(index, COLUMN["Params"]).toolTip() == formatting.count(row.params)
    assert view.table.item(2, COLUMN["Latency"]).text() == NOT_MEASURED
    assert [milliseconds(v) for v in (0.875, 9.5, 120.25)] == ["0.88 ms", "9.50 ms", "120 ms"]


def test_rows_are_given_back_in_their_order(view):
    view.table.sortByColumn(COLUMN["Params"], Qt.SortOrder.AscendingOrder)
    assert view.rows() == ROWS


def test_lessons_are_those_of_the_rows(view):
    sentences = compare.lessons(ROWS)
    assert len(sentences) == 3  # AlexNet/VGG, GoogLeNet/VGG, ResNet/VGG; no DenseNet
    text = view.lessons_label.text()
    assert all(sentence in text for sentence in sentences)
    view.set_rows(ROWS[2:])
    assert view.lessons_label.text() == ""


def test_sorting_by_a_header_click_is_numeric_with_unmeasured_last(view, qtbot):
    header = view.table.horizontalHeader()

    def click(column: int) -> None:
        x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(x, header.height() // 2))

    assert table_names(view) == [row.name for row in ROWS]  # the given order until sorted
    click(COLUMN["Params"])
    assert table_names(view) == [r.name for r in sorted(ROWS, key=lambda r: r.params)]
    click(COLUMN["Params"])
    assert table_names(view) == [r.name for r in sorted(ROWS, key=lambda r: -r.params)]
    click(COLUMN["Latency"])
    assert table_names(view) == ["resnet152", "alexnet", "vgg16", "googlenet"]
    view.set_rows([replace(row, latency_ms=1000.0) if row.name == "resnet152" else row
                   for row in ROWS])
    assert table_names(view) == ["alexnet", "vgg16", "resnet152", "googlenet"]  # still sorted


@pytest.mark.parametrize("x_key,y_key", [("macs", "top1"), ("params", "depth"),
                                         ("year", "latency"), ("depth", "macs")])
def test_points_sit_at_their_values_log10_on_log_axes(view, x_key, y_key):
    view.x_axis.setCurrentIndex(view.x_axis.findData(x_key))
    view.y_axis.setCurrentIndex(view.y_axis.findData(y_key))
    assert view.axes() == (x_key, y_key)
    logs = {"params", "macs", "latency"}
    values = {"params": lambda r: r.params, "macs": lambda r: r.macs, "depth": lambda r: r.depth,
              "top1": lambda r: r.top1, "year": lambda r: r.year,
              "latency": lambda r: r.latency_ms}

    def coordinate(row: ModelRow, key: str) -> float | None:
        value = values[key](row)
        return None if value is None else math.log10(value) if key in logs else value

    expected = {row.name: (coordinate(row, x_key), coordinate(row, y_key)) for row in ROWS}
    expected = {name: xy for name, xy in expected.items() if None not in xy}
    spots = drawn_spots(view)
    assert set(spots) == set(expected)
    for name, (x, y) in expected.items():
        assert view.point_position(name) == pytest.approx((x, y))
        assert (spots[name].pos().x(), spots[name].pos().y()) == pytest.approx((x, y))
    assert view.plot.getAxis("bottom").logMode == (x_key in logs)
    assert view.plot.getAxis("left").logMode == (y_key in logs)
    view_box = view.plot.getViewBox().viewRect()
    assert all(view_box.contains(QPointF(x, y)) for x, y in expected.values())


def test_unmeasured_models_are_named_under_a_latency_plot(view):
    view.y_axis.setCurrentIndex(view.y_axis.findData("latency"))
    assert "googlenet" not in drawn_spots(view)
    assert "GoogLeNet" in view.readout.text() and "Measure latency" in view.readout.text()


def test_log_axis_ticks_read_like_cnnviz(view):
    axis = view.plot.getAxis("bottom")  # MACs, log
    assert axis.tickStrings([6.0, math.log10(2e9)], 1.0, 1.0) == ["1.00M", "2.00G"]


def test_clicking_a_row_highlights_its_point(view, qtbot):
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=cell_center(view, 1, COLUMN["Depth"]))
    assert view.selected_model() == "vgg16"
    spots = drawn_spots(view)
    assert spots["vgg16"].size() > spots["alexnet"].size()
    assert spots["vgg16"].brush().color() == SELECTION_COLOR
    assert spots["alexnet"].brush().color() != SELECTION_COLOR


def test_clicking_a_point_selects_its_row(view, qtbot):
    view.table.sortByColumn(COLUMN["Depth"], Qt.SortOrder.DescendingOrder)
    with qtbot.assertNotEmitted(view.sigModelActivated):
        QTest.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton,
                         pos=point_pixel(view, "googlenet"))
    selected = view.table.selectionModel().selectedRows()
    assert [table_names(view)[index.row()] for index in selected] == ["googlenet"]
    assert view.selected_model() == "googlenet"
    QTest.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert view.selected_model() == "googlenet"  # a click on nothing keeps the selection


def test_selection_survives_new_rows_and_axis_changes(view):
    view.select_model("resnet152")
    view.set_rows([replace(row, latency_ms=1.0) for row in ROWS])
    view.x_axis.setCurrentIndex(view.x_axis.findData("depth"))
    assert view.selected_model() == "resnet152"
    assert drawn_spots(view)["resnet152"].brush().color() == SELECTION_COLOR
    view.set_rows(ROWS[:2])
    assert view.selected_model() == ""
    view.select_model("no_such_model")
    assert view.selected_model() == "" and not view.table.selectionModel().selectedRows()


def test_double_clicks_activate_the_model(view, qtbot):
    with qtbot.waitSignal(view.sigModelActivated, timeout=1000) as blocker:
        double_click(view.table.viewport(), cell_center(view, 3))
    assert blocker.args == ["resnet152"]
    with qtbot.waitSignal(view.sigModelActivated, timeout=1000) as blocker:
        double_click(view.plot.viewport(), point_pixel(view, "alexnet"))
    assert blocker.args == ["alexnet"]


def test_hovering_a_point_shows_its_numbers(view):
    QTest.mouseMove(view.plot.viewport(), point_pixel(view, "vgg16") + QPoint(2, 1))
    assert view.readout.text() == describe(ROWS[1])
    assert describe(ROWS[1]).startswith("VGG-16 · Year 2014 · Params 138M · MACs 15.5G")


def test_measure_requests_the_rows_in_their_order(view, qtbot):
    view.table.sortByColumn(COLUMN["Params"], Qt.SortOrder.AscendingOrder)
    with qtbot.waitSignal(view.sigMeasureRequested, timeout=1000) as blocker:
        qtbot.mouseClick(view.measure_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [[row.name for row in ROWS]]


def test_busy_state_toggles_the_buttons_and_cancel_asks_to_stop(view, qtbot):
    assert view.measure_button.isEnabled() and view.add_button.isEnabled()
    assert not view.cancel_button.isVisibleTo(view) and not view.progress.isVisibleTo(view)
    view.set_busy(True)
    assert not view.measure_button.isEnabled() and not view.add_button.isEnabled()
    assert view.cancel_button.isEnabled() and view.progress.isVisibleTo(view)
    view.set_progress(0.25, "Measuring VGG-16 (2/8)…")
    assert view.progress.value() == view.progress.maximum() // 4
    assert view.progress.text() == "Measuring VGG-16 (2/8)…"
    view.set_rows(ROWS)  # rows arriving mid-run do not re-enable Measure
    assert not view.measure_button.isEnabled()
    with qtbot.waitSignal(view.sigCancelRequested, timeout=1000):
        qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    view.set_busy(False)
    assert view.measure_button.isEnabled() and not view.cancel_button.isVisibleTo(view)


def test_measure_is_disabled_without_rows(qtbot):
    widget = CompareView()
    qtbot.addWidget(widget)
    assert not widget.measure_button.isEnabled()


def test_adding_a_model_by_display_name(view, qtbot):
    qtbot.keyClicks(view.add_box.lineEdit(), "ResNet-18")
    with qtbot.waitSignal(view.sigAddRequested, timeout=1000) as blocker:
        qtbot.mouseClick(view.add_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["resnet18"]
    assert view.add_box.currentText() == ""


def test_adding_a_model_already_shown_selects_it(view, qtbot):
    with qtbot.assertNotEmitted(view.sigAddRequested):
        qtbot.keyClicks(view.add_box.lineEdit(), "vgg16")
        qtbot.keyClick(view.add_box.lineEdit(), Qt.Key.Key_Return)
    assert view.selected_model() == "vgg16"


def test_an_unknown_model_is_named_not_requested(view, qtbot):
    with qtbot.assertNotEmitted(view.sigAddRequested):
        qtbot.keyClicks(view.add_box.lineEdit(), "resnt50")
        qtbot.mouseClick(view.add_button, Qt.MouseButton.LeftButton)
    assert view.add_error.isVisibleTo(view)
    assert "resnt50" in view.add_error.text() and "resnet50" in view.add_error.text()
    qtbot.keyClicks(view.add_box.lineEdit(), "x")
    assert not view.add_error.isVisibleTo(view)


def test_device_description_is_shown(view):
    view.set_device_description("CPU · fp32 · batch 1 · 2 threads")
    assert "CPU · fp32 · batch 1 · 2 threads" in view.device_label.text()
