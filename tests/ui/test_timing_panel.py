"""The Timing panel in the window: measuring, the slowest-layers chart and the diagram's
selection in both directions, the inspector's time, colouring by time, cancelling, running
continuously and devices."""
from __future__ import annotations

import pytest
import torch
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from cnnviz import diagram, timing
from cnnviz import graph as g
from cnnviz.ui.jobs import JobKind
from cnnviz.ui.colouring import BY_CATEGORY, BY_TIME
from cnnviz.ui.timing_panel import SELECTED_BAR_COLOR

TIMEOUT = 60_000


def measure(qtbot, window, runs: int = 2) -> timing.BenchResult:
    window.timing.panel.runs.setValue(runs)
    with qtbot.waitSignal(window.timing.sigMeasured, timeout=TIMEOUT):
        window.timing.panel.measure_button.click()
    return window.timing.result


def click_scene(widget, scene_pos: QPointF, qtbot) -> None:
    point = widget.mapFromScene(scene_pos)
    qtbot.mouseClick(widget.viewport(), Qt.MouseButton.LeftButton, pos=point)


def test_a_measurement_shows_its_numbers_bars_and_history(qtbot, window) -> None:
    result = measure(qtbot, window)
    panel = window.timing.panel
    assert f"Median {result.median_ms:.2f} ms" in panel.summary.text()
    times = timing.drawn_times(result.layers_ms, window.session.diagram.graph)
    slowest = sorted(times, key=lambda name: -times[name])[:15]
    assert panel.bars.names() == slowest
    assert panel.history.medians() == [pytest.approx(result.median_ms)]
    measure(qtbot, window)
    assert len(panel.history.medians()) == 2


def test_bars_and_diagram_select_each_other(qtbot, window) -> None:
    measure(qtbot, window)
    bars = window.timing.panel.bars
    second = bars.names()[1]
    window.timing.panel.show()
    bars.resize(400, 400)
    click_scene(bars, bars.bar_scene_pos(second), qtbot)
    assert window.session.selection == second and window.view.node_item(second).is_selected()
    assert bars.bar_brush(second) == SELECTED_BAR_COLOR
    first = bars.names()[0]
    window.session.select(first)
    assert bars.bar_brush(first) == SELECTED_BAR_COLOR != bars.bar_brush(second)


def test_the_inspector_shows_time_share_and_achieved_flops(qtbot, window) -> None:
    result = measure(qtbot, window)
    window.session.select("layer1_0_conv1")
    ms = result.layers_ms["layer1_0_conv1"]
    macs = window.session.loaded.graph.nodes["layer1_0_conv1"][g.MACS]
    assert macs == 64 * 64 * 9 * 56 * 56
    inspector = window.inspector
    assert inspector.field_text("time") == f"{ms:.3f} ms"
    share = ms / sum(result.layers_ms.values())
    assert inspector.field_text("time_share") == f"{100 * share:.1f}%"
    assert inspector.field_text("gflops") == f"{2 * macs / (ms / 1e3) / 1e9:.1f} GFLOP/s"
    window.session.select("x")  # the input takes no time and does no arithmetic
    assert inspector.field_text("gflops") == "–"


def test_colouring_by_time_measures_first_then_paints_the_slowest_darkest(qtbot, window) -> None:
    window.timing.panel.runs.setValue(2)
    with qtbot.waitSignal(window.timing.sigMeasured, timeout=TIMEOUT):
        window.colour_by.setCurrentIndex(BY_TIME)  # nothing measured yet: a measurement starts
    times = window.timing.drawn_times()
    slowest = max(times, key=times.get)
    assert window.view.node_item(slowest).brush().color() == QColor(*diagram.HEAT_STOPS[-1])
    assert window.heat_legend.isVisibleTo(window) and not window.legend.isVisibleTo(window)
    assert window.heat_legend.tick_texts()[-1] == f"{times[slowest]:.2f} ms"
    window.colour_by.setCurrentIndex(BY_CATEGORY)
    assert window.legend.isVisibleTo(window) and not window.heat_legend.isVisibleTo(window)


def test_collapsed_blocks_are_charted_with_their_members_time(qtbot, window) -> None:
    result = measure(qtbot, window)
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        window.depth.setValue(1)
    names = window.timing.panel.bars.names()
    assert "layer4" in names and all(name in window.session.diagram.graph for name in names)
    members = window.session.diagram.graph.nodes["layer4"][g.CHILDREN]
    assert window.timing.drawn_times()["layer4"] == pytest.approx(
        sum(result.layers_ms[m] for m in members))


def test_cancelling_stops_the_measurement(qtbot, window) -> None:
    panel = window.timing.panel
    panel.runs.setValue(1000)
    with qtbot.waitSignal(window.worker.sigProgress, timeout=TIMEOUT,
                          check_params_cb=lambda job, *_: job.kind is JobKind.BENCH):
        panel.measure_button.click()
    assert panel.cancel_button.isEnabled() and not panel.measure_button.isEnabled()
    panel.cancel_button.click()
    assert panel.measure_button.isEnabled()
    qtbot.waitUntil(lambda: not window.worker.is_busy(), timeout=TIMEOUT)
    assert window.timing.result is None and panel.history.medians() == []


def test_running_continuously_repeats_until_stopped(qtbot, window) -> None:
    panel = window.timing.panel
    panel.runs.setValue(1)
    panel.continuous.setChecked(True)
    qtbot.waitUntil(lambda: len(panel.history.medians()) >= 3, timeout=TIMEOUT)
    panel.continuous.setChecked(False)
    qtbot.waitUntil(lambda: not window.worker.is_busy(), timeout=TIMEOUT)
    count = len(panel.history.medians())
    qtbot.wait(300)
    assert len(panel.history.medians()) == count


def test_a_new_model_clears_the_measurement(qtbot, window) -> None:
    measure(qtbot, window)
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        window.request_model("alexnet")
    assert window.timing.result is None and window.timing.panel.history.medians() == []
    assert window.timing.panel.bars.names() == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_absent_devices_are_listed_greyed_out_with_the_reason(qtbot, window) -> None:
    combo = window.timing.panel.device
    qtbot.waitUntil(lambda: combo.count() >= 2, timeout=TIMEOUT)
    index = combo.findData("cuda")
    item = combo.model().item(index)
    assert not item.isEnabled()
    assert combo.itemData(index, Qt.ItemDataRole.ToolTipRole) == "no NVIDIA GPU or driver found"
    assert combo.currentData() == "cpu"
