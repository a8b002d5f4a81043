"""What recording costs: ``inference.run`` against a bare ``model(x)``, and the memory it keeps.

``inference.statistics`` (a pass of its own, run when the diagram is coloured by activation) is
timed alongside for reference.

Target (issue "Drop a photo"): ``run`` at most 1.15x the bare forward for ResNet-50 and
DenseNet-121, batch 1, 224 px. Both are timed in this process, interleaved (the order
alternates every repetition) after warm-up, each under ``torch.inference_mode()``; medians and
their ratio are printed. Then one run per memory model reports the bytes the activation store
kept against its budget.

Run: `.venv/bin/python bench/inference_overhead.py [--threads N] [--repeats N] [MODEL ...]`.
"""
from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch

from cnnviz import formatting, images, inference, session
from cnnviz import graph as g

TIMED = ["resnet50", "densenet121"]
MEMORY = ["vgg16", "densenet201"]
WARM_UP = 3


def overhead(name: str, repeats: int) -> None:
    loaded = session.ModelRequest.of(name).load()
    prepared = inference.prepare(images.load_image(images.sample_images()[0]),
                                 loaded.spec.preprocessing)

    def bare() -> None:
        with torch.inference_mode():
            loaded.model(prepared.tensor)

    def recorded() -> None:
        inference.run(loaded, prepared, None)

    def node_statistics() -> None:
        inference.statistics(loaded, prepared)

    timings: dict[str, list[float]] = {"bare": [], "run": [], "stats": []}
    for _ in range(WARM_UP):
        bare()
        recorded()
        node_statistics()
    for repetition in range(repeats):
        kinds = [("bare", bare), ("run", recorded), ("stats", node_statistics)]
        for label, function in kinds if repetition % 2 == 0 else reversed(kinds):
            start = time.perf_counter()
            function()
            timings[label].append(time.perf_counter() - start)
    bare_ms = 1e3 * statistics.median(timings["bare"])
    run_ms = 1e3 * statistics.median(timings["run"])
    stats_ms = 1e3 * statistics.median(timings["stats"])
    print(f"{name:14s} {loaded.graph.number_of_nodes():5d} {bare_ms:9.1f} {run_ms:9.1f} "
          f"{run_ms / bare_ms:7.3f} {stats_ms:9.1f} {stats_ms / bare_ms:7.3f}")


def memory(name: str) -> None:
    loaded = session.ModelRequest.of(name).load()
    prepared = inference.prepare(images.load_image(images.sample_images()[0]),
                                 loaded.spec.preprocessing)
    result = inference.run(loaded, prepared, None)
    store = result.activations
    everything = loaded.graph.graph[g.TOTAL_ACTIVATION_BYTES]
    print(f"{name:14s} {formatting.size_in_bytes(everything):>12s} "
          f"{formatting.size_in_bytes(result.peak_bytes):>10s} "
          f"{formatting.size_in_bytes(store.budget_bytes):>10s} {len(store.evicted):7d} "
          f"{sum(name in store for name in loaded.graph):5d}/{loaded.graph.number_of_nodes()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=TIMED, help="models to time")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs of each kind")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{args.repeats} interleaved repetitions after {WARM_UP} warm-up runs")
    print(f"{'model':14s} {'ops':>5s} {'bare ms':>9s} {'run ms':>9s} {'ratio':>7s} "
          f"{'stats ms':>9s} {'ratio':>7s}")
    for name in args.models:
        overhead(name, args.repeats)
    print(f"\n{'model':14s} {'all outputs':>12s} {'kept':>10s} {'budget':>10s} {'evicted':>7s} "
          f"kept nodes")
    for name in MEMORY:
        memory(name)


if __name__ == "__main__":
    main()
