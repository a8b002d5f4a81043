"""Trace + analysis time per classic model (building the model excluded).

Target (issue 2): DenseNet-201 under 1 s on a 2-core machine. Run: `make bench` or
`.venv/bin/python bench/trace_speed.py [MODEL ...]`.
"""
from __future__ import annotations

import statistics
import sys
import time
import warnings

import torch

from cnnviz import zoo
from cnnviz import graph as g
from cnnviz.trace import trace_model

CLASSICS = ["alexnet", "vgg16", "googlenet", "inception_v3", "resnet50", "resnet152",
            "densenet121", "densenet201"]


def main(names: list[str]) -> None:
    warnings.filterwarnings("ignore")
    print(f"{'model':14s} {'ops':>5s} {'first s':>8s} {'median s':>9s}  tracer")
    for name in names:
        spec = zoo.get_spec(name)
        model = zoo.build_model(name)
        example = torch.zeros(1, 3, spec.input_size, spec.input_size)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            graph = trace_model(model, example, name)
            times.append(time.perf_counter() - start)
        print(f"{name:14s} {graph.number_of_nodes():5d} {times[0]:8.3f} "
              f"{statistics.median(times):9.3f}  {graph.graph[g.TRACER]}")


if __name__ == "__main__":
    main(sys.argv[1:] or CLASSICS)
