"""The torch worker: one job at a time, newest request wins, stale results never delivered."""
from __future__ import annotations

import threading
import time

import pytest

from cnnviz.errors import CnnvizError
from cnnviz.ui.workers import TorchWorker


@pytest.fixture
def worker(qtbot):
    worker = TorchWorker()
    yield worker
    assert worker.stop(), "the worker thread did not end"


def test_results_arrive_on_the_gui_thread(qtbot, worker) -> None:
    seen: list[tuple[str, object, bool]] = []
    worker.sigFinished.connect(lambda job, kind, result: seen.append(
        (kind, result, threading.current_thread() is threading.main_thread())))
    with qtbot.waitSignal(worker.sigFinished, timeout=5000):
        worker.submit("model", lambda context: threading.current_thread().name)
    kind, thread_name, on_main = seen[0]
    assert kind == "model" and on_main and thread_name != threading.main_thread().name


def test_a_newer_request_makes_older_ones_stale(qtbot, worker) -> None:
    delivered: list[object] = []
    started = threading.Event()
    worker.sigFinished.connect(lambda job, kind, result: delivered.append(result))

    def slow(context):
        started.set()
        while not context.cancelled():
            time.sleep(0.005)
        context.check()

    worker.submit("model", slow)
    started.wait(5)
    worker.submit("model", lambda context: "second")  # supersedes the running job
    worker.submit("model", lambda context: "third")  # and the queued one
    qtbot.waitUntil(lambda: not worker.is_busy(), timeout=5000)
    assert delivered == ["third"]


def test_kinds_do_not_cancel_each_other(qtbot, worker) -> None:
    delivered: list[str] = []
    worker.sigFinished.connect(lambda job, kind, result: delivered.append(result))
    worker.submit("model", lambda context: "model")
    worker.submit("weights", lambda context: "weights")
    qtbot.waitUntil(lambda: len(delivered) == 2, timeout=5000)
    assert delivered == ["model", "weights"]  # in submission order: one thread


def test_errors_become_one_line_messages(qtbot, worker) -> None:
    def broken(context):
        raise CnnvizError("checkpoint x.pt does not match resnet18")

    with qtbot.waitSignal(worker.sigFailed, timeout=5000) as blocker:
        worker.submit("model", broken)
    assert blocker.args[1:] == ["model", "checkpoint x.pt does not match resnet18"]
    with qtbot.waitSignal(worker.sigFailed, timeout=5000) as blocker:
        worker.submit("model", lambda context: 1 / 0)
    assert blocker.args[2] == "ZeroDivisionError: division by zero"


def test_cancel_drops_a_running_job_and_busy_follows(qtbot, worker) -> None:
    delivered: list[object] = []
    busy: list[bool] = []
    worker.sigFinished.connect(lambda job, kind, result: delivered.append(result))
    worker.sigBusyChanged.connect(busy.append)
    worker.submit("weights", lambda context: time.sleep(0.2) or "late")
    worker.cancel("weights")
    qtbot.waitUntil(lambda: not worker.is_busy(), timeout=5000)
    assert delivered == [] and busy == [True, False]
