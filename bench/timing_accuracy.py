"""How far cnnviz's timings can be trusted: ``timing.benchmark`` against a bare loop and
against ``torch.profiler``, measured in the same process.

For each model, precision and batch size it prints:

- ``bare``: the median of a bare ``model(x)`` loop under ``torch.inference_mode()`` (CPU:
  ``perf_counter``; CUDA: a pair of CUDA events around each run), on the same converted model
  and input that cnnviz runs. The bare loop and cnnviz alternate, twice each, and their run
  times are pooled, so a slow spell of the machine hits both.
- ``plain``: cnnviz's plain median, and ``plain/bare`` (target: within 5%).
- ``instr/plain``: the instrumented median over the plain one (target on a GPU: within 15%).
- ``coverage``: the sum of the per-layer times over the instrumented median (target 0.9–1.05).
- with ``--profiler``: for every leaf module taking at least 2% of the time, cnnviz's time
  against ``torch.profiler``'s (device time on CUDA, CPU time on the CPU) of the same module,
  marked by ``record_function`` ranges from forward hooks; ``median`` and ``worst`` are the
  median and largest relative differences (target 10%).

Run: `.venv/bin/python bench/timing_accuracy.py [--device cpu|cuda] [--dtype fp32 bf16]
[--batch 1 32] [--runs N] [--profiler] [MODEL ...]`. The defaults are the CPU, fp32, batch 1
and the classic models; the GPU check of the timing issue is
`--device cuda --dtype fp32 bf16 --batch 1 32 --profiler resnet50 densenet121 vgg16 googlenet`.
"""
from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch
from torch.profiler import ProfilerActivity, profile, record_function

from cnnviz import session, timing
from cnnviz import graph as g

CLASSICS = ["alexnet", "vgg16", "googlenet", "resnet50", "densenet121"]
ROUNDS = 2
SHARE_COMPARED = 0.02  # layers taking at least this share of the time are held to the profiler


def bare_times(model: torch.nn.Module, tensor: torch.Tensor, device: str,
               settings: timing.BenchSettings) -> list[float]:
    """Milliseconds of ``settings.runs`` bare runs after ``settings.warmup`` warm-up runs."""
    times = []
    with torch.inference_mode():
        for run in range(settings.warmup + settings.runs):
            if device.startswith("cuda"):
                start, end = (torch.cuda.Event(enable_timing=True) for _ in range(2))
                start.record()
                model(tensor)
                end.record()
                end.synchronize()
                elapsed = start.elapsed_time(end)
            else:
                begin = time.perf_counter()
                model(tensor)
                elapsed = 1e3 * (time.perf_counter() - begin)
            if run >= settings.warmup:
                times.append(elapsed)
    return times


def profiled_layers(loaded: session.LoadedModel, model: torch.nn.Module, tensor: torch.Tensor,
                    device: str, runs: int) -> dict[str, float]:
    """Milliseconds a run of each leaf module node, as ``torch.profiler`` sees them."""
    qualnames = {attrs[g.QUALNAME]: name for name, attrs in loaded.graph.nodes(data=True)
                 if attrs[g.OP] == "call_module"}
    ranges: dict[int, record_function] = {}

    def enter(module, _args, qualname=""):
        ranges[id(module)] = record_function(f"cnnviz::{qualname}")
        ranges[id(module)].__enter__()

    def leave(module, _args, _output):
        ranges.pop(id(module)).__exit__(None, None, None)

    modules = dict(model.named_modules())
    handles = []
    for qualname in qualnames:
        module = modules[qualname]
        handles.append(module.register_forward_pre_hook(
            lambda m, a, q=qualname: enter(m, a, q)))
        handles.append(module.register_forward_hook(leave))
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA]
                                           if device.startswith("cuda") else [])
    try:
        with torch.inference_mode(), profile(activities=activities) as profiler:
            for _ in range(runs):
                model(tensor)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
    finally:
        for handle in handles:
            handle.remove()
    layers = {}
    for event in profiler.key_averages():
        if event.key.startswith("cnnviz::"):
            total_us = (event.device_time_total if device.startswith("cuda")
                        else event.cpu_time_total)
            layers[qualnames[event.key.removeprefix("cnnviz::")]] = total_us / 1e3 / runs
    return layers


def check(name: str, settings: timing.BenchSettings, with_profiler: bool) -> None:
    loaded = session.ModelRequest.of(name).load()
    device = timing.resolve_device(settings.device).name
    with torch.inference_mode():
        model, tensor = timing.placed(loaded, settings, device)
    bare, plain, instrumented, layers = [], [], [], {}
    for _ in range(ROUNDS):
        bare += bare_times(model, tensor, device, settings)
        result = timing.benchmark(loaded, settings)
        plain += result.times_ms
        instrumented += result.instrumented_times_ms
        layers = result.layers_ms
    bare_ms, plain_ms = statistics.median(bare), statistics.median(plain)
    instrumented_ms = statistics.median(instrumented)
    coverage = sum(layers.values()) / instrumented_ms
    line = (f"{name:12s} {settings.dtype:5s} {settings.batch:5d} {bare_ms:9.2f} {plain_ms:9.2f} "
            f"{plain_ms / bare_ms:10.3f} {instrumented_ms / plain_ms:11.3f} {coverage:9.3f}")
    if with_profiler:
        profiled = profiled_layers(loaded, model, tensor, device, settings.runs)
        total = sum(layers.values())
        compared = {node: ms for node, ms in profiled.items()
                    if layers.get(node, 0.0) >= SHARE_COMPARED * total}
        differences = sorted(abs(layers[node] - ms) / ms for node, ms in compared.items())
        middle = statistics.median(differences) if differences else 0.0
        line += f" {len(compared):8d} {middle:7.1%} {max(differences, default=0.0):7.1%}"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=CLASSICS)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", nargs="+", default=["fp32"], choices=list(timing.PRECISIONS))
    parser.add_argument("--batch", nargs="+", type=int, default=[1])
    parser.add_argument("--runs", type=int, default=timing.DEFAULT_RUNS)
    parser.add_argument("--threads", type=int, help="CPU threads (default: torch's)")
    parser.add_argument("--profiler", action="store_true",
                        help="compare per-layer times with torch.profiler's")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    device = timing.resolve_device(args.device)
    print(f"torch {torch.__version__} · {device.label} · {args.runs} runs, "
          f"{ROUNDS} alternating rounds · {time.strftime('%Y-%m-%d')}")
    header = (f"{'model':12s} {'dtype':5s} {'batch':>5s} {'bare ms':>9s} {'plain ms':>9s} "
              f"{'plain/bare':>10s} {'instr/plain':>11s} {'coverage':>9s}")
    print(header + (f" {'compared':>8s} {'median':>7s} {'worst':>7s}" if args.profiler else ""))
    for name in args.models:
        for dtype in args.dtype:
            for batch in args.batch:
                settings = timing.BenchSettings(device=args.device, dtype=dtype, batch=batch,
                                                runs=args.runs, threads=args.threads)
                check(name, settings, args.profiler)


if __name__ == "__main__":
    main()
