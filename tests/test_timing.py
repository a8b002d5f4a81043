"""Benchmarks: statistics checked with Python's own, per-node attribution on a model whose
slow layer is known, event bookkeeping with a fake device clock, devices and failures."""
from __future__ import annotations

import itertools
import math
import statistics

import pytest
import torch
from torch import nn

from cnnviz import analysis, probes, session, timing, zoo
from cnnviz import graph as g
from cnnviz.errors import CnnvizError
from cnnviz.inference import Cancelled
from cnnviz.timing import BenchSettings, DeviceError, EventClock, benchmark
from cnnviz.trace import trace_model


class HeavyThenLight(nn.Module):
    """A wide convolution, a ReLU, then a 1×1 convolution with a thousandth of its MACs."""

    def __init__(self) -> None:
        super().__init__()
        self.heavy = nn.Conv2d(64, 64, 5, padding=2)
        self.relu = nn.ReLU()
        self.light = nn.Conv2d(64, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.light(self.relu(self.heavy(x)))


def loaded_model(model: nn.Module, shape: tuple[int, ...]) -> session.LoadedModel:
    graph = trace_model(model.eval(), torch.zeros(shape), "heavy_then_light")
    return session.LoadedModel(session.ModelRequest.of("resnet18"), zoo.get_spec("resnet18"),
                                  "random", model, graph)


@pytest.fixture(scope="module")
def heavy():
    torch.manual_seed(0)
    return loaded_model(HeavyThenLight(), (1, 64, 48, 48))


@pytest.fixture(scope="module")
def resnet_result():
    loaded = session.ModelRequest.of("resnet18").load()
    return loaded, benchmark(loaded, BenchSettings(runs=7, warmup=2))


def test_statistics_equal_pythons(resnet_result) -> None:
    _, result = resnet_result
    times = list(result.times_ms)
    assert len(times) == 7 and all(t > 0 for t in times)
    deciles = statistics.quantiles(times, n=10, method="inclusive")
    assert result.median_ms == pytest.approx(statistics.median(times))
    assert result.p10_ms == pytest.approx(deciles[0])
    assert result.p90_ms == pytest.approx(deciles[-1])
    assert result.images_per_s == pytest.approx(1000 / statistics.median(times))
    assert result.instrumented_median_ms == pytest.approx(
        statistics.median(result.instrumented_times_ms))


def test_every_node_is_timed_and_the_layers_cover_the_run(resnet_result) -> None:
    loaded, result = resnet_result
    assert list(result.layers_ms) == list(loaded.graph)
    assert result.layers_ms["x"] == result.layers_ms["output"] == 0.0
    assert all(ms > 0 for name, ms in result.layers_ms.items() if name not in ("x", "output"))
    assert result.coverage == pytest.approx(
        sum(result.layers_ms.values()) / result.instrumented_median_ms)


def test_the_layers_cover_the_instrumented_run(heavy) -> None:
    """One run, whose nodes' times the probes took from inside its total: they can miss only
    the probes' own work. (bench/timing_accuracy.py measures the coverage of the medians of
    many runs on the classic models, on an idle machine.)"""
    result = benchmark(heavy, BenchSettings(runs=1, warmup=1))
    assert 0.8 <= result.coverage <= 1.0


def test_the_slow_layer_gets_the_time(heavy) -> None:
    """An off-by-one in attributing probe times would give the heavy layer's time to the ReLU."""
    result = benchmark(heavy, BenchSettings(runs=5, warmup=1))
    layers = result.layers_ms
    assert layers["heavy"] > 5 * layers["light"]  # 800× the MACs, but a call costs ~0.1 ms
    assert layers["heavy"] > 5 * layers["relu"]
    assert result.slowest(1) == [("heavy", layers["heavy"])]
    assert result.share(layers["heavy"]) > 0.8


def test_plain_runs_are_not_instrumented(heavy, monkeypatch) -> None:
    calls = []
    observed = probes.observed_forward

    def counting(*args):
        calls.append(1)
        return observed(*args)

    monkeypatch.setattr(timing, "observed_forward", counting)
    benchmark(heavy, BenchSettings(runs=4, warmup=2))
    assert len(calls) == 6  # the instrumented runs only


def test_plain_runs_alone_for_comparisons(heavy, monkeypatch) -> None:
    monkeypatch.setattr(timing, "observed_forward", None)  # calling it would fail
    reported = []
    result = benchmark(heavy, BenchSettings(runs=3, warmup=1), per_layer=False,
                       progress=lambda fraction, text: reported.append(fraction))
    assert len(result.times_ms) == 3 and result.median_ms > 0 and reported[-1] == 1.0
    assert result.layers_ms == {} and math.isnan(result.coverage)


def test_progress_rises_to_one_and_cancelling_stops(heavy) -> None:
    reported = []
    benchmark(heavy, BenchSettings(runs=3, warmup=1),
              progress=lambda fraction, text: reported.append(fraction))
    assert len(reported) == 8 and reported == sorted(reported) and reported[-1] == 1.0
    polls = itertools.count()
    with pytest.raises(Cancelled):
        benchmark(heavy, BenchSettings(runs=3, warmup=1), cancelled=lambda: next(polls) >= 3)


def test_other_precisions_run_on_a_copy(heavy) -> None:
    result = benchmark(heavy, BenchSettings(dtype="bf16", batch=2, runs=2, warmup=1,
                                            channels_last=True))
    assert result.median_ms > 0 and result.images_per_s == pytest.approx(
        2000 / result.median_ms)
    assert all(p.dtype == torch.float32 for p in heavy.model.parameters())
    assert heavy.model.heavy.weight.is_contiguous()


def test_achieved_gflops_scale_with_the_batch(heavy) -> None:
    macs = heavy.graph.nodes["heavy"][g.MACS]
    assert macs == 64 * 64 * 25 * 48 * 48  # out channels × in channels × kernel × positions
    result = timing.BenchResult("m", BenchSettings(batch=4), (1.0,), (1.0,), {"heavy": 2.0})
    assert result.gflops_per_s(macs, 2.0) == pytest.approx(2 * macs * 4 / 2e-3 / 1e9)
    assert result.gflops_per_s(macs, 0.0) is None


def test_collapsed_blocks_sum_their_members(resnet_result) -> None:
    loaded, result = resnet_result
    collapsed = analysis.collapse(loaded.graph, depth=1)
    times = timing.drawn_times(result.layers_ms, collapsed)
    layer1 = collapsed.nodes["layer1"][g.CHILDREN]
    assert times["layer1"] == pytest.approx(sum(result.layers_ms[n] for n in layer1))
    assert sum(times.values()) == pytest.approx(sum(result.layers_ms.values()))


class FakeEvent:
    """A device event on a fake clock that advances by the node's index."""

    clock = 0.0
    synchronized = 0

    def record(self) -> None:
        FakeEvent.clock += 1.5
        self.at = FakeEvent.clock

    def synchronize(self) -> None:
        FakeEvent.synchronized += 1

    def elapsed_time(self, later: "FakeEvent") -> float:
        return later.at - self.at


def test_event_bookkeeping_waits_once_after_the_run() -> None:
    FakeEvent.clock, FakeEvent.synchronized = 0.0, 0
    clock = EventClock(FakeEvent)
    clock.start()
    for name in ["x", "conv", "relu", "conv"]:  # a node run twice adds up
        assert clock(name, name, 0.0) == name
    assert FakeEvent.synchronized == 0  # nothing waited while the nodes ran
    assert clock.times_ms() == {"x": 1.5, "conv": 3.0, "relu": 1.5}
    assert FakeEvent.synchronized == 1


def test_absent_devices_and_precisions_are_refused(heavy) -> None:
    listed = {device.name: device for device in timing.devices()}
    assert listed["cpu"].available
    if not torch.cuda.is_available():
        assert listed["cuda"].reason
        with pytest.raises(DeviceError, match="cuda is not available: "):
            benchmark(heavy, BenchSettings(device="cuda"))
    with pytest.raises(DeviceError, match="no device 'tpu'"):
        BenchSettings(device="tpu").check()
    with pytest.raises(DeviceError, match="unknown precision 'fp8'"):
        BenchSettings(dtype="fp8").check()
    with pytest.raises(CnnvizError, match="--runs must be 1 or more, not 0"):
        BenchSettings(runs=0).check()


def test_channels_last_needs_images() -> None:
    flat = loaded_model(nn.Sequential(nn.Conv1d(2, 4, 3)), (1, 2, 32))
    with pytest.raises(DeviceError, match="channels-last needs a 4-D"):
        benchmark(flat, BenchSettings(channels_last=True, runs=1))


def test_running_out_of_memory_is_reported(heavy) -> None:
    with pytest.raises(CnnvizError, match="out of memory running heavy_then_light at batch "
                                          "1000000000 on cpu: try a smaller batch"):
        benchmark(heavy, BenchSettings(batch=10**9, runs=1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_runs_are_timed_with_events() -> None:
    loaded = session.ModelRequest.of("resnet18").load()
    result = benchmark(loaded, BenchSettings(device="cuda", runs=10))
    assert list(result.layers_ms) == list(loaded.graph)
    assert 0.9 <= result.coverage <= 1.05
