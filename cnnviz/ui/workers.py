"""The single torch worker: one thread, one job at a time, the newest request of a kind wins.

torch.fx patches ``nn.Module.__call__`` while tracing, so tracing must never overlap inference:
every torch job runs here, in submission order. ``submit`` returns a :class:`Job`, a handle
whose outcome is typed, as superqt's workers and Orange's ``TaskState`` have it: *done* with
the result object, *failed* with the exception object itself, or *cancelled*. Submitting a job
of a kind makes older jobs of that kind stale: they are skipped if not started, told to stop
through ``JobContext.cancelled()`` if running, and end *cancelled* instead of delivering.
"""
from __future__ import annotations

import enum
import itertools
import queue
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from cnnviz.errors import Cancelled, CnnvizError
from cnnviz.ui.jobs import JobKind


class JobCancelled(Cancelled):
    """Raised inside a task (by ``JobContext.check``) when a newer request superseded it.

    A task that passes ``JobContext.cancelled`` on to the core lets the core's
    :class:`~cnnviz.errors.Cancelled` out: the worker treats both alike."""


class JobState(enum.Enum):
    """Where a job stands; the last three are outcomes."""

    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Job(QObject):
    """One submitted task. Exactly one of ``sigDone(result)``, ``sigFailed(exception)`` and
    ``sigCancelled()`` is emitted, on the GUI thread; ``sigProgress`` may come before."""

    sigDone = Signal(object)
    sigFailed = Signal(object)
    sigCancelled = Signal()
    sigProgress = Signal(float, str)

    def __init__(self, job_id: int, kind: JobKind, task: Callable[["JobContext"], Any]) -> None:
        super().__init__()
        self.job_id, self.kind, self.task = job_id, kind, task
        self.state = JobState.QUEUED
        self.result: Any = None
        self.error: BaseException | None = None

    def on_done(self, callback: Callable[[Any], None]) -> "Job":
        """Call ``callback(result)`` when the job is done; returns the job, for chaining."""
        self.sigDone.connect(callback)
        return self

    def on_failed(self, callback: Callable[[BaseException], None]) -> "Job":
        """Call ``callback(exception)`` when the task raised."""
        self.sigFailed.connect(callback)
        return self

    def on_cancelled(self, callback: Callable[[], None]) -> "Job":
        """Call ``callback()`` when the job was superseded, cancelled or stopped."""
        self.sigCancelled.connect(callback)
        return self

    def on_progress(self, callback: Callable[[float, str], None]) -> "Job":
        """Call ``callback(fraction, text)`` on each progress report of a current job."""
        self.sigProgress.connect(callback)
        return self

    def _finish(self, state: JobState, value: Any = None) -> None:
        self.state = state
        if state is JobState.DONE:
            self.result = value
            self.sigDone.emit(value)
        elif state is JobState.FAILED:
            self.error = value
            self.sigFailed.emit(value)
        else:
            self.sigCancelled.emit()


class JobContext:
    """What a running task may ask: has it been superseded, and how to report progress."""

    def __init__(self, worker: "TorchWorker", job: Job) -> None:
        self._worker, self.job = worker, job

    def cancelled(self) -> bool:
        """True once a newer job of the same kind was submitted or the worker is stopping."""
        return not self._worker.is_current(self.job)

    def check(self) -> None:
        """Stop the task here if it has been superseded."""
        if self.cancelled():
            raise JobCancelled

    def progress(self, fraction: float, text: str = "") -> None:
        """Report progress (0..1) to the GUI."""
        self._worker._progress.emit(self.job, float(fraction), text)


class TorchWorker(QObject):
    """Runs tasks on one background thread and delivers only the current results.

    ``sigJobEnded(job)`` and ``sigProgress(job, fraction, text)`` let observers (the status
    bar, tests) follow every job; owners of a job use its own signals."""

    sigJobEnded = Signal(object)
    sigProgress = Signal(object, float, str)
    sigBusyChanged = Signal(bool)

    # From the thread; relayed on the GUI thread after the staleness check.
    _ended = Signal(object, object, object)  # job, JobState, result or exception
    _progress = Signal(object, float, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._current: dict[JobKind, Job | None] = {}
        self._pending = 0
        self._stopping = False
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread = _Thread(self._queue, self)
        self._ended.connect(self._on_ended)
        self._progress.connect(self._on_progress)
        self._thread.start()

    def submit(self, kind: JobKind, task: Callable[[JobContext], Any]) -> Job:
        """Queue ``task(context)``; any older job of ``kind`` becomes stale."""
        job = Job(next(self._ids), kind, task)
        self._current[kind] = job
        self._set_pending(self._pending + 1)
        self._queue.put(job)
        return job

    def cancel(self, kind: JobKind) -> None:
        """Make every queued or running job of ``kind`` stale."""
        self._current[kind] = None

    def is_current(self, job: Job) -> bool:
        """Whether ``job`` is still the newest request of its kind."""
        return not self._stopping and self._current.get(job.kind) is job

    def is_busy(self) -> bool:
        """Whether jobs are queued or running."""
        return self._pending > 0

    def is_alive(self) -> bool:
        """Whether the worker thread is still running."""
        return self._thread.isRunning()

    def stop(self, timeout_ms: int = 30000) -> bool:
        """Cancel everything and wait for the thread to end; True if it ended in time."""
        self._stopping = True
        self._queue.put(None)
        return self._thread.wait(timeout_ms)

    def _run(self, job: Job) -> None:
        """On the worker thread."""
        context = JobContext(self, job)
        if context.cancelled():
            self._ended.emit(job, JobState.CANCELLED, None)
            return
        try:
            result = job.task(context)
        except Cancelled:
            self._ended.emit(job, JobState.CANCELLED, None)
        except (CnnvizError, MemoryError) as error:
            self._ended.emit(job, JobState.FAILED, error)
        except Exception as error:  # a bug or user code: report it, keep the app alive
            traceback.print_exc()
            self._ended.emit(job, JobState.FAILED, error)
        else:
            self._ended.emit(job, JobState.DONE, result)

    @Slot(object, object, object)
    def _on_ended(self, job: Job, state: JobState, value: object) -> None:
        self._set_pending(self._pending - 1)
        if not self.is_current(job):
            state, value = JobState.CANCELLED, None
        elif self._current.get(job.kind) is job:
            self._current[job.kind] = None  # delivered: a later cancel has nothing to stop
        job._finish(state, value)
        self.sigJobEnded.emit(job)

    @Slot(object, float, str)
    def _on_progress(self, job: Job, fraction: float, text: str) -> None:
        if self.is_current(job):
            job.sigProgress.emit(fraction, text)
            self.sigProgress.emit(job, fraction, text)

    def _set_pending(self, pending: int) -> None:
        was_busy, self._pending = self._pending > 0, pending
        if was_busy != (pending > 0):
            self.sigBusyChanged.emit(pending > 0)


def failure_message(error: BaseException) -> str:
    """A failed job's exception as the one line the status bar shows."""
    if isinstance(error, CnnvizError):
        return str(error)
    if isinstance(error, MemoryError):
        return "out of memory"
    return f"{type(error).__name__}: {error}"


class _Thread(QThread):
    def __init__(self, jobs: "queue.Queue[Job | None]", worker: TorchWorker) -> None:
        super().__init__()
        self._jobs, self._worker = jobs, worker
        self.setObjectName("cnnviz-torch-worker")

    def run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            self._worker._run(job)
