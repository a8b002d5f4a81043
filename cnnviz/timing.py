"""Where the time goes: timed forward passes of a model, plain and layer by layer.

:func:`benchmark` runs a model on a device, in a precision and memory format, at a batch size
and thread count, as a user would deploy it:

- Plain runs: warm-up runs, then N timed runs of a bare ``model(x)`` under
  ``torch.inference_mode()``; on the CPU each timed with ``perf_counter``, on CUDA with a pair
  of ``torch.cuda.Event``s (the host waits for the end event after each run). Median, p10, p90
  and throughput come from these, so the instrumentation never slows them.
- Instrumented runs: the same number again, through the graph's probes
  (``probes.observed_forward``). On the CPU a node's time is the probe's wall time since the
  previous node ended; on CUDA an event is recorded after every node without waiting, and the
  times are read after the run (:class:`EventClock`). ``coverage`` is the sum of the per-node
  medians over the median instrumented total: how much of the run the nodes account for.

Everything runs on the torch worker thread. The loaded model is used as it is for fp32 on the
CPU in the default memory format; other settings run on a converted copy, so the views keep
the model they show.
"""
from __future__ import annotations

import copy
import functools
import math
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import networkx as nx
import numpy as np
import torch
from torch import nn

from cnnviz import graph as g
from cnnviz import trace
from cnnviz.bench_settings import DEFAULT_RUNS, PRECISION_NAMES, BenchSettings  # noqa: F401
from cnnviz.errors import Cancelled, CnnvizError, out_of_memory_reported
from cnnviz.probes import observed_forward
from cnnviz.session import LoadedModel

PRECISIONS = dict(zip(PRECISION_NAMES, (torch.float32, torch.float16, torch.bfloat16)))
INPUT_SEED = 0


class DeviceError(CnnvizError):
    """A device that is absent, or a precision or setting it does not support."""


@dataclass(frozen=True)
class Device:
    """A device to run on: ``name`` as torch spells it; ``reason`` says why it is unavailable."""

    name: str
    label: str
    reason: str = ""

    @property
    def available(self) -> bool:
        return not self.reason


def devices() -> list[Device]:
    """The CPU, each CUDA device and Apple's MPS; absent kinds are listed with the reason."""
    found = [Device("cpu", f"CPU ({torch.backends.cpu.get_cpu_capability()})")]
    if torch.cuda.is_available():
        found += [Device(f"cuda:{i}", f"{torch.cuda.get_device_name(i)} (cuda:{i})")
                  for i in range(torch.cuda.device_count())]
    elif torch.version.cuda is None:
        found.append(Device("cuda", "NVIDIA GPU (CUDA)", "this torch was built without CUDA"))
    else:
        found.append(Device("cuda", "NVIDIA GPU (CUDA)", "no NVIDIA GPU or driver found"))
    if torch.backends.mps.is_available():
        found.append(Device("mps", "Apple GPU (MPS)"))
    else:
        reason = ("not available on this Mac" if torch.backends.mps.is_built()
                  else "Apple silicon Macs only")
        found.append(Device("mps", "Apple GPU (MPS)", reason))
    return found


def resolve_device(name: str) -> Device:
    """The device called ``name`` ("cpu", "cuda", "cuda:1", "mps"); DeviceError if absent."""
    wanted = "cuda:0" if name == "cuda" and torch.cuda.is_available() else name
    for device in devices():
        if device.name == wanted:
            if not device.available:
                raise DeviceError(f"{name} is not available: {device.reason}")
            return device
    known = ", ".join(d.name for d in devices() if d.available)
    raise DeviceError(f"no device {name!r} (available: {known})")


@functools.cache
def precision_problem(device: str, dtype: str) -> str:
    """Why ``device`` cannot run convolutions and linear layers in ``dtype`` ("" if it can)."""
    if dtype not in PRECISIONS:
        return f"unknown precision {dtype!r} (choose from {', '.join(PRECISIONS)})"
    if dtype == "bf16" and device.startswith("cuda") and not torch.cuda.is_bf16_supported():
        return f"{torch.cuda.get_device_name(device)} has no bf16 support"
    try:
        with torch.inference_mode():
            kind = PRECISIONS[dtype]
            probe = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(16, 2))
            probe.to(device=device, dtype=kind)(torch.zeros(1, 3, 4, 4, device=device, dtype=kind))
    except (RuntimeError, TypeError) as error:
        return f"{device} cannot run {dtype}: {str(error).splitlines()[0]}"
    return ""


@dataclass(frozen=True)
class Capabilities:
    """What this machine offers: devices, each available device's precision problems ("" when
    supported), and torch's current CPU thread count."""

    devices: list[Device]
    problems: dict[str, dict[str, str]]
    threads: int


def capabilities() -> Capabilities:
    """Probe the devices and their precisions (a tiny network on each; worker thread)."""
    found = devices()
    problems = {device.name: {dtype: precision_problem(device.name, dtype) for dtype in PRECISIONS}
                for device in found if device.available}
    return Capabilities(found, problems, torch.get_num_threads())


@dataclass(frozen=True)
class BenchResult:
    """The times of one model's runs, in milliseconds.

    ``layers_ms``: each graph node's median over the instrumented runs, in graph order.
    ``graph_batch``: the batch size the graph's MACs are counted for.
    """

    model: str
    settings: BenchSettings
    times_ms: tuple[float, ...]
    instrumented_times_ms: tuple[float, ...]
    layers_ms: dict[str, float]
    graph_batch: int = 1

    @property
    def median_ms(self) -> float:
        return float(np.median(self.times_ms))

    @property
    def p10_ms(self) -> float:
        return float(np.percentile(self.times_ms, 10))

    @property
    def p90_ms(self) -> float:
        return float(np.percentile(self.times_ms, 90))

    @property
    def images_per_s(self) -> float:
        return 1e3 * self.settings.batch / self.median_ms

    @property
    def instrumented_median_ms(self) -> float:
        """NaN when there were no per-layer runs."""
        return float(np.median(self.instrumented_times_ms)) if self.instrumented_times_ms \
            else math.nan

    @property
    def coverage(self) -> float:
        """The per-node times' sum over the instrumented total (1.0: all time accounted for)."""
        return sum(self.layers_ms.values()) / self.instrumented_median_ms

    def share(self, ms: float) -> float:
        """A time's fraction of the per-node sum."""
        total = sum(self.layers_ms.values())
        return ms / total if total else 0.0

    def gflops_per_s(self, macs: int, ms: float) -> float | None:
        """Achieved GFLOP/s of a node with ``macs`` (counted at ``graph_batch``) taking ``ms``:
        2 FLOPs a MAC, scaled to the run's batch. None when the time is zero."""
        if ms <= 0:
            return None
        return 2 * macs * self.settings.batch / self.graph_batch / (ms * 1e-3) / 1e9

    def slowest(self, count: int) -> list[tuple[str, float]]:
        """The ``count`` slowest nodes, slowest first (ties in graph order)."""
        ranked = sorted(self.layers_ms.items(), key=lambda item: -item[1])
        return ranked[:count]

    def to_json(self) -> dict[str, Any]:
        """The object ``cnnviz bench --json`` prints for the model."""
        settings = self.settings
        return {
            "model": self.model, "device": settings.device, "dtype": settings.dtype,
            "batch": settings.batch, "median_ms": self.median_ms, "p10_ms": self.p10_ms,
            "p90_ms": self.p90_ms, "images_per_s": self.images_per_s,
            "instrumented_median_ms": _number_or_none(self.instrumented_median_ms),
            "layers": [{"name": name, "ms": ms} for name, ms in self.layers_ms.items()],
            "coverage": _number_or_none(self.coverage), "runs": settings.runs,
            "warmup": settings.warmup, "channels_last": settings.channels_last,
            "threads": settings.threads or torch.get_num_threads(),
        }


def _number_or_none(value: float) -> float | None:
    """JSON has no NaN: a quantity that was not measured is null."""
    return None if math.isnan(value) else value


def drawn_times(layers_ms: Mapping[str, float], drawn: nx.DiGraph) -> dict[str, float]:
    """Each drawn node's time: a collapsed block's is the sum of its members'."""
    times = {}
    for name, attrs in drawn.nodes(data=True):
        members = g.operations_of(name, attrs)
        if any(member in layers_ms for member in members):
            times[name] = sum(layers_ms.get(member, 0.0) for member in members)
    return times


Progress = Callable[[float, str], None]


def benchmark(loaded: LoadedModel, settings: BenchSettings, *, per_layer: bool = True,
              progress: Progress | None = None,
              cancelled: Callable[[], bool] | None = None) -> BenchResult:
    """Time ``loaded``'s model as ``settings`` say (see the module docstring); without
    ``per_layer``, or for a model :func:`has_layer_times` rules out, only the plain runs (the
    result has no layers, its coverage is NaN).

    Raises DeviceError for an absent device or precision, CnnvizError when memory runs out,
    :class:`Cancelled` once ``cancelled()`` returns True (checked between runs).
    """
    settings.check()
    device = resolve_device(settings.device).name
    per_layer = per_layer and has_layer_times(loaded)
    total_runs = (2 if per_layer else 1) * (settings.warmup + settings.runs)
    done = 0

    def step(text: str) -> None:
        nonlocal done
        if cancelled is not None and cancelled():
            raise Cancelled(f"cancelled while {text}")
        done += 1
        if progress is not None:
            progress(done / total_runs, text)

    name = loaded.graph.graph[g.MODEL]
    doing = f"running {name} at batch {settings.batch} on {device}"
    with out_of_memory_reported(doing), _threads(settings.threads), torch.inference_mode():
        model, tensor = placed(loaded, settings, device)
        clock = _clock_for(device)
        times = []
        for run in range(settings.warmup + settings.runs):
            elapsed = clock.time(lambda: model(tensor))
            if run >= settings.warmup:
                times.append(elapsed)
            step(f"plain run {run + 1} of {settings.warmup + settings.runs}")
        instrumented, per_run = [], []
        for run in range(settings.warmup + settings.runs if per_layer else 0):
            observer = clock.observer()
            elapsed = clock.time(lambda: observed_forward(model, loaded.graph, tensor, observer))
            if run >= settings.warmup:
                instrumented.append(elapsed)
                per_run.append(observer.times_ms())
            step(f"per-layer run {run + 1} of {settings.warmup + settings.runs}")
    layers = {node: float(np.median([run[node] for run in per_run]))
              for node in loaded.graph if per_run and node in per_run[0]}
    return BenchResult(name, settings, tuple(times), tuple(instrumented), layers,
                       graph_batch=loaded.graph.graph[g.INPUT_SHAPE][0])


def has_layer_times(loaded: LoadedModel) -> bool:
    """Whether the model's nodes can be timed: not inside TorchScript, which runs its graph
    itself, out of reach of probes and hooks."""
    return loaded.graph.graph[g.TRACER] != trace.TORCHSCRIPT


def placed(loaded: LoadedModel, settings: BenchSettings,
           device: str) -> tuple[nn.Module, torch.Tensor]:
    """The model as ``settings`` run it (converted on a copy where needed) and a seeded random
    input of the graph's shape at the settings' batch, on ``device``."""
    shape = (settings.batch, *loaded.graph.graph[g.INPUT_SHAPE][1:])
    generator = torch.Generator().manual_seed(INPUT_SEED)
    tensor = torch.randn(shape, generator=generator)
    kind = PRECISIONS[settings.dtype]
    model = loaded.model.eval()
    memory_format = _memory_format(settings, len(shape))
    if device != "cpu" or kind != torch.float32 or memory_format is not None:
        model = copy.deepcopy(model).to(device=device, dtype=kind)
        tensor = tensor.to(device=device, dtype=kind)
        if memory_format is not None:
            model = model.to(memory_format=memory_format)
            tensor = tensor.contiguous(memory_format=memory_format)
    return model, tensor


def _memory_format(settings: BenchSettings, rank: int) -> torch.memory_format | None:
    if not settings.channels_last:
        return None
    if rank == 4:
        return torch.channels_last
    if rank == 5:
        return torch.channels_last_3d
    raise DeviceError(f"channels-last needs a 4-D (N, C, H, W) or 5-D input, not {rank}-D")


@contextmanager
def _threads(count: int | None) -> Iterator[None]:
    """torch's intra-op threads set to ``count`` for the block."""
    before = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# --------------------------------------------------------------------------------------------
# Clocks: a whole run's time, and an observer that times each node.


class _WallClock:
    """The CPU: ``perf_counter``; a node's time is what the probe measured."""

    def time(self, function: Callable[[], Any]) -> float:
        start = time.perf_counter()
        function()
        return 1e3 * (time.perf_counter() - start)

    def observer(self) -> "_ProbeTimes":
        return _ProbeTimes()


class _ProbeTimes:
    """An observer keeping the seconds the probes measured."""

    def __init__(self) -> None:
        self._ms: dict[str, float] = {}

    def __call__(self, name: str, value: Any, seconds: float) -> Any:
        self._ms[name] = 1e3 * seconds
        return value

    def times_ms(self) -> dict[str, float]:
        return self._ms


class EventClock:
    """Per-node times from events recorded after each node, without waiting for the device.

    ``make_event()`` gives an object with ``record()``, ``synchronize()`` and
    ``elapsed_time(later)`` in milliseconds: ``torch.cuda.Event(enable_timing=True)`` on CUDA
    (any such object in tests). A node's time is the time from the previous node's event to
    its own; the first node's is measured from :meth:`start`.
    """

    def __init__(self, make_event: Callable[[], Any]) -> None:
        self._make_event = make_event
        self._start: Any = None
        self._marks: list[tuple[str, Any]] = []

    def start(self) -> None:
        self._start = self._record()

    def __call__(self, name: str, value: Any, seconds: float) -> Any:
        self._marks.append((name, self._record()))
        return value

    def times_ms(self) -> dict[str, float]:
        """The nodes' times; waits for the last event."""
        if not self._marks:
            return {}
        self._marks[-1][1].synchronize()
        times, previous = {}, self._start
        for name, event in self._marks:
            times[name] = times.get(name, 0.0) + previous.elapsed_time(event)
            previous = event
        return times

    def _record(self) -> Any:
        event = self._make_event()
        event.record()
        return event


class _EventTimer:
    """A device's clock: runs timed between two events, nodes by :class:`EventClock`."""

    def __init__(self, make_event: Callable[[], Any]) -> None:
        self._make_event = make_event

    def time(self, function: Callable[[], Any]) -> float:
        start, end = self._make_event(), self._make_event()
        start.record()
        function()
        end.record()
        end.synchronize()
        return start.elapsed_time(end)

    def observer(self) -> EventClock:
        clock = EventClock(self._make_event)
        clock.start()
        return clock


def _clock_for(device: str) -> _WallClock | _EventTimer:
    if device.startswith("cuda"):
        return _EventTimer(lambda: torch.cuda.Event(enable_timing=True))
    if device == "mps":
        return _EventTimer(lambda: torch.mps.Event(enable_timing=True))
    return _WallClock()

