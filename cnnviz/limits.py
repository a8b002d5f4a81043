"""A time limit for running code we do not control (a user's model file), on any thread.

:class:`time_limit` interrupts the thread that entered it, without signals, so it works on the
worker thread as well as the main one: a watchdog thread raises an exception in it with
``PyThreadState_SetAsyncExc``. What that can and cannot interrupt:

- Python code only: the exception is raised at the thread's next check between bytecodes, so
  a single long call into C (one huge convolution, ``time.sleep``) finishes first.
- The injected exception derives from BaseException, so a user's ``except Exception`` does not
  swallow it, and the watchdog raises it again every half second for code that catches
  everything; ``__exit__`` turns it into :class:`TimeLimitError`.
- Once ``__exit__`` has stopped the watchdog, nothing more reaches the thread: stopping and
  injecting take the same lock, and an interruption still pending is withdrawn.
- Keep the block to calls (``with time_limit(...): model(x)``), no loops written in it:
  CPython 3.11 can attribute an interruption raised at a loop's jump to an instruction outside
  the ``with``, and the exception then leaves it without ``__exit__`` (the interruption also
  leaves without ``__exit__`` if it lands exactly as the ``with`` statement calls it). For
  those cases the watchdog gives up after :data:`_REPEATS` repetitions.
"""
from __future__ import annotations

import _thread
import ctypes
import threading
from types import TracebackType

from cnnviz.errors import CnnvizError

# How often, and how many more times, the watchdog repeats the interruption after the limit.
_REPEAT_S = 0.5
_REPEATS = 10


class TimeLimitError(CnnvizError):
    """Code that ran longer than its time limit."""


class _Expired(BaseException):
    """Raised in the limited thread; each limit raises a subclass of its own."""


class time_limit:  # noqa: N801  (used like a function: ``with time_limit(30, "net.py"):``)
    """Raise :class:`TimeLimitError` in this thread if the block runs longer than ``seconds``.

    The message reads ``{what} took longer than {seconds} s to {doing} (an endless loop?)``.
    """

    def __init__(self, seconds: float, what: str, doing: str = "run") -> None:
        self.message = f"{what} took longer than {seconds:g} s to {doing} (an endless loop?)"
        self._seconds = seconds
        self._expired: type[_Expired] = type("_Expired", (_Expired,), {})
        self._watchdog: _Watchdog | None = None

    def __enter__(self) -> "time_limit":
        self._watchdog = _Watchdog(threading.get_ident(), self._expired, self._seconds)
        self._watchdog.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        assert self._watchdog is not None
        stopped = False
        while not stopped:  # an interruption may land while the watchdog is being stopped
            try:
                self._watchdog.stop()
                stopped = True
            except self._expired:
                exc_type = self._expired
        if exc_type is not None and issubclass(exc_type, self._expired):
            raise TimeLimitError(self.message) from None


class _Watchdog:
    """A thread that interrupts another once a time has passed, until stopped."""

    def __init__(self, thread_id: int, exception: type[BaseException], seconds: float) -> None:
        self._thread_id = thread_id
        self._exception = exception
        self._seconds = seconds
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._armed = _thread.allocate_lock()  # held until the countdown may begin
        self._armed.acquire()
        self._injected = False
        self._thread = threading.Thread(target=self._watch, name="cnnviz-time-limit",
                                        daemon=True)

    def start(self) -> None:
        """Start the thread, then the countdown.

        ``Thread.start`` returns once the thread runs: until then its thread state carries the
        id of the thread that started it, and an interruption aimed at that id could hit it
        instead. The countdown begins with the lock's release, a C call, so no interruption
        can arrive before this method has returned.
        """
        self._thread.start()
        self._armed.release()

    def stop(self) -> None:
        """Stop watching and withdraw an interruption that has not been raised yet."""
        with self._lock:
            self._stopped.set()
            if self._injected:
                _set_async_exception(self._thread_id, None)
        self._thread.join()

    def _watch(self) -> None:
        self._armed.acquire()
        delay = self._seconds
        for _ in range(1 + _REPEATS):
            if self._stopped.wait(delay):
                return
            with self._lock:
                if self._stopped.is_set():
                    return
                self._injected = True
                _set_async_exception(self._thread_id, self._exception)
            delay = _REPEAT_S


def _set_async_exception(thread_id: int, exception: type[BaseException] | None) -> None:
    """Raise ``exception`` in the thread at its next check; None withdraws a pending one."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exception) if exception else None)
