"""The time of ``diff.diff_graphs`` alone (tracing excluded) on pairs of zoo models.

Target (the diff issue): DenseNet-169 against DenseNet-201 (1,314 operations) under 1 s.
Run: `.venv/bin/python bench/diff_speed.py [--runs N] [A B ...]` (default: that pair and
ResNet-18 against ResNet-34); prints the operations of each model, the median and slowest of
N runs, and the counts of matched, changed, added and removed operations.
"""
from __future__ import annotations

import argparse
import statistics
import time
import warnings

from cnnviz import diff
from cnnviz.session import ModelRequest

PAIRS = ["densenet169", "densenet201", "resnet18", "resnet34"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=PAIRS, help="pairs of models: A B A B …")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if len(args.models) % 2:
        parser.error("give the models in pairs")
    warnings.filterwarnings("ignore")
    print(f"{'A':12s} {'B':12s} {'ops A':>6s} {'ops B':>6s} {'median s':>9s} {'max s':>7s} "
          f"{'matched':>8s} {'changed':>8s} {'added':>6s} {'removed':>8s}")
    for name_a, name_b in zip(args.models[::2], args.models[1::2]):
        a, b = ModelRequest.of(name_a).load().graph, ModelRequest.of(name_b).load().graph
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = diff.diff_graphs(a, b)
            times.append(time.perf_counter() - start)
        print(f"{name_a:12s} {name_b:12s} {a.number_of_nodes():6d} {b.number_of_nodes():6d} "
              f"{statistics.median(times):9.3f} {max(times):7.3f} {len(result.matched):8d} "
              f"{len(result.changed):8d} {len(result.added):6d} {len(result.removed):8d}")


if __name__ == "__main__":
    main()
