"""The time limit for users' code: it interrupts endless Python loops on any thread, and
nothing of it is left once the block has ended."""
from __future__ import annotations

import threading
import time

import pytest

from cnnviz.errors import CnnvizError
from cnnviz.limits import TimeLimitError, _set_async_exception, _Watchdog, time_limit


def endless() -> None:
    while True:
        pass


def endless_swallowing_exceptions() -> None:
    while True:
        try:
            endless()
        except Exception:  # noqa: BLE001  (what careless user code does)
            pass


def busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def watchdogs() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "cnnviz-time-limit"]


@pytest.mark.parametrize("code", [endless, endless_swallowing_exceptions])
def test_an_endless_loop_is_interrupted_with_a_clear_message(code) -> None:
    start = time.perf_counter()
    with pytest.raises(TimeLimitError) as raised:
        with time_limit(0.3, "net.py:Net", "build"):
            code()
    assert 0.3 <= time.perf_counter() - start < 2.0
    assert str(raised.value) == "net.py:Net took longer than 0.3 s to build (an endless loop?)"
    assert isinstance(raised.value, CnnvizError)
    assert not watchdogs()


def test_it_interrupts_a_worker_thread_not_the_main_one() -> None:
    outcome: list[str] = []

    def work() -> None:
        try:
            with time_limit(0.3, "worker"):
                endless()
        except TimeLimitError as error:
            outcome.append(str(error))

    thread = threading.Thread(target=work)
    thread.start()
    busy(0.6)  # the main thread runs Python meanwhile and is not interrupted
    thread.join(5)
    assert not thread.is_alive()
    assert outcome == ["worker took longer than 0.3 s to run (an endless loop?)"]


def test_a_block_that_ends_in_time_leaves_nothing_behind() -> None:
    for _ in range(20):
        with time_limit(0.2, "quick"):
            busy(0.01)
    busy(0.5)  # past every limit: no late interruption arrives
    assert not watchdogs()


def test_a_long_call_into_c_finishes_before_the_interruption() -> None:
    start = time.perf_counter()
    with pytest.raises(TimeLimitError):
        with time_limit(0.1, "sleep"):
            time.sleep(0.5)
    assert time.perf_counter() - start >= 0.5


@pytest.mark.parametrize("withdrawn", [True, False])
def test_stopping_withdraws_an_interruption_not_yet_raised(withdrawn: bool) -> None:
    """An interruption injected while the thread waits in C is raised when it returns to
    Python, unless the watchdog was stopped in between (what ``__exit__`` does)."""
    release = threading.Lock()
    release.acquire()
    ready = threading.Event()
    raised: list[BaseException] = []

    class Interruption(BaseException):
        pass

    def work() -> None:
        try:
            ready.set()
            release.acquire()  # blocked in C: the interruption waits
            busy(0.05)
        except Interruption as error:
            raised.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    ready.wait()
    time.sleep(0.05)
    watchdog = _Watchdog(thread.ident, Interruption, 1000)
    watchdog.start()
    watchdog._injected = True  # as if the limit had just passed
    _set_async_exception(thread.ident, Interruption)
    if withdrawn:
        watchdog.stop()
    release.release()
    thread.join(5)
    watchdog.stop()
    assert bool(raised) is not withdrawn
