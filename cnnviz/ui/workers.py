"""The single torch worker: one thread, one job at a time, newest request of a kind wins.

torch.fx patches ``nn.Module.__call__`` while tracing, so tracing must never overlap inference:
every torch job runs here, in submission order. Each job has an id; submitting a job of a kind
makes older jobs of that kind stale: they are skipped if not started, told to stop through
``JobContext.cancelled()`` if running, and their results are dropped instead of delivered.
"""
from __future__ import annotations

import itertools
import queue
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from cnnviz.errors import Cancelled, CnnvizError


class JobCancelled(Cancelled):
    """Raised inside a task (by ``JobContext.check``) when a newer request superseded it.

    A task that passes ``JobContext.cancelled`` on to the core lets the core's
    :class:`~cnnviz.errors.Cancelled` out: the worker treats both alike."""


class JobContext:
    """What a running task may ask: has it been superseded, and how to report progress."""

    def __init__(self, worker: "TorchWorker", job_id: int, kind: str) -> None:
        self._worker, self.job_id, self.kind = worker, job_id, kind

    def cancelled(self) -> bool:
        """True once a newer job of the same kind was submitted or the worker is stopping."""
        return not self._worker.is_current(self.job_id, self.kind)

    def check(self) -> None:
        """Stop the task here if it has been superseded."""
        if self.cancelled():
            raise JobCancelled

    def progress(self, fraction: float, text: str = "") -> None:
        """Report progress (0..1) to the GUI."""
        self._worker._progress.emit(self.job_id, self.kind, float(fraction), text)


@dataclass(frozen=True)
class _Job:
    job_id: int
    kind: str
    task: Callable[[JobContext], Any]


_STOP = _Job(-1, "", lambda context: None)


class TorchWorker(QObject):
    """Runs tasks on one background thread and delivers only the current results."""

    sigFinished = Signal(int, str, object)  # job id, kind, result
    sigFailed = Signal(int, str, str)  # job id, kind, one-line message
    sigProgress = Signal(int, str, float, str)  # job id, kind, fraction, text
    sigBusyChanged = Signal(bool)

    # Raw results from the thread; relayed on the GUI thread after the staleness check.
    _done = Signal(int, str, object)
    _error = Signal(int, str, str)
    _progress = Signal(int, str, float, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._current: dict[str, int] = {}
        self._pending = 0
        self._stopping = False
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._thread = _Thread(self._queue, self)
        self._done.connect(self._on_done)
        self._error.connect(self._on_error)
        self._progress.connect(self._on_progress)
        self._thread.start()

    def submit(self, kind: str, task: Callable[[JobContext], Any]) -> int:
        """Queue ``task(context)``; any older job of ``kind`` becomes stale. Returns the id."""
        job_id = next(self._ids)
        self._current[kind] = job_id
        self._set_pending(self._pending + 1)
        self._queue.put(_Job(job_id, kind, task))
        return job_id

    def cancel(self, kind: str) -> None:
        """Make every queued or running job of ``kind`` stale."""
        self._current[kind] = next(self._ids)

    def is_current(self, job_id: int, kind: str) -> bool:
        """Whether ``job_id`` is still the newest request of its kind."""
        return not self._stopping and self._current.get(kind) == job_id

    def is_busy(self) -> bool:
        """Whether jobs are queued or running."""
        return self._pending > 0

    def is_alive(self) -> bool:
        """Whether the worker thread is still running."""
        return self._thread.isRunning()

    def stop(self, timeout_ms: int = 30000) -> bool:
        """Cancel everything and wait for the thread to end; True if it ended in time."""
        self._stopping = True
        self._queue.put(_STOP)
        return self._thread.wait(timeout_ms)

    def _run(self, job: _Job) -> None:
        """On the worker thread."""
        context = JobContext(self, job.job_id, job.kind)
        if context.cancelled():
            self._done.emit(job.job_id, job.kind, None)
            return
        try:
            result = job.task(context)
        except Cancelled:
            self._done.emit(job.job_id, job.kind, None)
        except CnnvizError as error:
            self._error.emit(job.job_id, job.kind, str(error))
        except MemoryError:
            self._error.emit(job.job_id, job.kind, "out of memory")
        except Exception as error:  # a bug or user code: report it, keep the app alive
            traceback.print_exc()
            self._error.emit(job.job_id, job.kind, f"{type(error).__name__}: {error}")
        else:
            self._done.emit(job.job_id, job.kind, result)

    @Slot(int, str, object)
    def _on_done(self, job_id: int, kind: str, result: object) -> None:
        self._set_pending(self._pending - 1)
        if self.is_current(job_id, kind):
            self.sigFinished.emit(job_id, kind, result)

    @Slot(int, str, str)
    def _on_error(self, job_id: int, kind: str, message: str) -> None:
        self._set_pending(self._pending - 1)
        if self.is_current(job_id, kind):
            self.sigFailed.emit(job_id, kind, message)

    @Slot(int, str, float, str)
    def _on_progress(self, job_id: int, kind: str, fraction: float, text: str) -> None:
        if self.is_current(job_id, kind):
            self.sigProgress.emit(job_id, kind, fraction, text)

    def _set_pending(self, pending: int) -> None:
        was_busy, self._pending = self._pending > 0, pending
        if was_busy != (pending > 0):
            self.sigBusyChanged.emit(pending > 0)


class _Thread(QThread):
    def __init__(self, jobs: "queue.Queue[_Job]", worker: TorchWorker) -> None:
        super().__init__()
        self._jobs, self._worker = jobs, worker
        self.setObjectName("cnnviz-torch-worker")

    def run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            self._worker._run(job)
