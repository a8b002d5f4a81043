"""The torch worker: one job at a time, newest request of a kind wins, typed outcomes, stale
results never delivered."""
from __future__ import annotations

import threading
import time

import pytest

from cnnviz.errors import CnnvizError, UntrustedCodeError
from cnnviz.ui.jobs import JobKind
from cnnviz.ui.workers import JobState, TorchWorker, failure_message


@pytest.fixture
def worker(qtbot):
    worker = TorchWorker()
    yield worker
    assert worker.stop(), "the worker thread did not end"


def test_results_arrive_on_the_gui_thread(qtbot, worker) -> None:
    seen: list[tuple[object, bool]] = []
    job = worker.submit(JobKind.MODEL, lambda context: threading.current_thread().name)
    job.on_done(lambda result: seen.append(
        (result, threading.current_thread() is threading.main_thread())))
    with qtbot.waitSignal(job.sigDone, timeout=5000):
        pass
    thread_name, on_main = seen[0]
    assert on_main and thread_name != threading.main_thread().name
    assert job.state is JobState.DONE and job.result == thread_name and job.error is None


def test_a_newer_request_makes_older_ones_stale(qtbot, worker) -> None:
    started = threading.Event()

    def slow(context):
        started.set()
        while not context.cancelled():
            time.sleep(0.005)
        context.check()

    outcomes: dict[str, str] = {}
    jobs = {"first": worker.submit(JobKind.MODEL, slow)}
    started.wait(5)
    jobs["second"] = worker.submit(JobKind.MODEL, lambda context: "second")  # supersedes
    jobs["third"] = worker.submit(JobKind.MODEL, lambda context: "third")  # the queued too
    for name, job in jobs.items():
        job.on_done(lambda result, name=name: outcomes.setdefault(name, f"done {result}"))
        job.on_cancelled(lambda name=name: outcomes.setdefault(name, "cancelled"))
    qtbot.waitUntil(lambda: not worker.is_busy(), timeout=5000)
    assert outcomes == {"first": "cancelled", "second": "cancelled", "third": "done third"}
    assert [job.state for job in jobs.values()] == [JobState.CANCELLED, JobState.CANCELLED,
                                                    JobState.DONE]


def test_kinds_do_not_cancel_each_other(qtbot, worker) -> None:
    delivered: list[str] = []
    worker.sigJobEnded.connect(lambda job: delivered.append(job.result))
    worker.submit(JobKind.MODEL, lambda context: "model")
    worker.submit(JobKind.WEIGHTS, lambda context: "weights")
    qtbot.waitUntil(lambda: len(delivered) == 2, timeout=5000)
    assert delivered == ["model", "weights"]  # in submission order: one thread


def test_failures_carry_the_exception_itself(qtbot, worker) -> None:
    untrusted = UntrustedCodeError("net.py is Python code")
    job = worker.submit(JobKind.MODEL, lambda context: (_ for _ in ()).throw(untrusted))
    with qtbot.waitSignal(job.sigFailed, timeout=5000) as failed:
        pass
    assert failed.args[0] is untrusted and job.error is untrusted
    assert job.state is JobState.FAILED and failure_message(untrusted) == "net.py is Python code"
    job = worker.submit(JobKind.MODEL, lambda context: 1 / 0)
    with qtbot.waitSignal(job.sigFailed, timeout=5000) as failed:
        pass
    assert isinstance(failed.args[0], ZeroDivisionError)
    assert failure_message(failed.args[0]) == "ZeroDivisionError: division by zero"
    assert failure_message(CnnvizError("checkpoint x.pt does not match resnet18")) == \
        "checkpoint x.pt does not match resnet18"
    assert failure_message(MemoryError()) == "out of memory"


def test_cancel_drops_a_running_job_and_busy_follows(qtbot, worker) -> None:
    busy: list[bool] = []
    worker.sigBusyChanged.connect(busy.append)
    job = worker.submit(JobKind.WEIGHTS, lambda context: time.sleep(0.2) or "late")
    done: list[object] = []
    job.on_done(done.append)
    with qtbot.waitSignal(job.sigCancelled, timeout=5000):
        worker.cancel(JobKind.WEIGHTS)
    assert done == [] and job.state is JobState.CANCELLED and busy == [True, False]


def test_progress_reaches_only_the_current_job(qtbot, worker) -> None:
    reported: list[tuple[float, str]] = []
    release = threading.Event()

    def reporting(context):
        context.progress(0.5, "half")
        release.wait(5)
        context.progress(0.9, "late")
        return "done"

    job = worker.submit(JobKind.BENCH, reporting).on_progress(
        lambda fraction, text: reported.append((fraction, text)))
    qtbot.waitUntil(lambda: reported == [(0.5, "half")], timeout=5000)
    worker.cancel(JobKind.BENCH)
    release.set()
    qtbot.waitUntil(lambda: job.state is JobState.CANCELLED, timeout=5000)
    assert reported == [(0.5, "half")]

