"""The comparison window in the app: classic models loaded on opening, latency measured on
the worker with the Timing panel's settings, and a double-clicked model opened."""
from __future__ import annotations

from cnnviz import compare
from cnnviz.ui.jobs import JobKind

TIMEOUT = 120_000


def test_opening_loads_the_classics_and_measures_on_request(qtbot, window) -> None:
    dialog = window.comparison
    window.timing.panel.batch.setValue(2)
    with qtbot.waitSignal(window.worker.sigJobEnded, timeout=TIMEOUT,
                          check_params_cb=lambda job: job.kind is JobKind.COMPARE):
        dialog.open_comparison()
    assert [row.name for row in dialog.view.rows()] == list(compare.CLASSICS)
    assert all(row.latency_ms is None for row in dialog.view.rows())
    threads = window.timing.panel.threads.value()
    assert dialog.view.device_label.text() == (
        f"Latency on <b>cpu · fp32 · batch 2 · {threads} thread{'s' * (threads > 1)} · "
        f"median of 10 runs</b>")
    with qtbot.waitSignal(window.worker.sigJobEnded, timeout=TIMEOUT,
                          check_params_cb=lambda job: job.kind is JobKind.COMPARE):
        dialog.view.sigMeasureRequested.emit(["alexnet", "squeezenet1_0"])
    rows = {row.name: row for row in dialog.view.rows()}
    assert rows["alexnet"].latency_ms > 0 and rows["squeezenet1_0"].latency_ms > 0
    assert rows["vgg16"].latency_ms is None and len(rows) == len(compare.CLASSICS) + 1
    dialog.close()


def test_cancelling_a_measurement_keeps_the_rows(qtbot, window) -> None:
    dialog = window.comparison
    with qtbot.waitSignal(window.worker.sigProgress, timeout=TIMEOUT,
                          check_params_cb=lambda job, *_: job.kind is JobKind.COMPARE):
        dialog.view.sigMeasureRequested.emit(list(compare.CLASSICS))
    dialog.view.sigCancelRequested.emit()
    qtbot.waitUntil(lambda: not window.worker.is_busy(), timeout=TIMEOUT)
    assert dialog.view.rows() == []  # the cancelled job's rows never arrive
    assert dialog.view.add_button.isEnabled() and not dialog.view.cancel_button.isEnabled()


def test_a_double_clicked_model_opens_in_the_window(qtbot, window) -> None:
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        window.comparison.view.sigModelActivated.emit("alexnet")
    assert window.session.loaded.spec.name == "alexnet"
