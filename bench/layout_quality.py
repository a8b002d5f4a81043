"""Layout quality and speed per classic model, with Graphviz ``dot`` as the yardstick.

For each model: nodes, edges, layout time (median of five), edge crossings, overlapping boxes,
edges through other nodes' boxes and total edge length, then the same graph laid out by
``dot`` (same box sizes, fixed; no clusters, which leaves dot more freedom) with its time and
the same measures computed on its splines, and the ratios. Graphs come from the real tracer
when torch and ``cnnviz.trace`` are available, else from the synthetic builders of
``tests/layout/synthetic_models.py``; ``dot`` is skipped when it is not installed.

Run: ``.venv/bin/python bench/layout_quality.py [--synthetic] [--no-dot] [--dot-timeout S]
[--dot-nslimit N] [MODEL ...]``. dot 2.43 needs about a minute for DenseNet-121 and far longer
for DenseNet-201, nearly all of it in its x-coordinate network simplex; ``--dot-nslimit``
caps that phase (dot's crossings are settled before it, its spline geometry is not).
"""
from __future__ import annotations

import argparse
import math
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import networkx as nx

from cnnviz.layout import (
    DEFAULT_NODE_SIZE,
    NODE_GAP,
    RANK_GAP,
    EdgePath,
    Layout,
    NodeBox,
    layout_graph,
)
from cnnviz.layout.quality import count_crossings, edges_through_boxes, overlapping_boxes

CLASSICS = ["alexnet", "vgg16", "googlenet", "resnet18", "resnet50", "densenet121",
            "densenet201"]
POINTS_PER_INCH = 72.0
BEZIER_SAMPLES = 8
DOT_TIMEOUT_S = 1800.0


def real_graph(name: str) -> nx.DiGraph | None:
    """The traced torchvision model, or None where torch or the tracer is missing."""
    try:
        import torch
        import torchvision

        from cnnviz.trace import trace_model
    except ImportError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = torchvision.models.get_model(name, weights=None).eval()
        return trace_model(model, torch.randn(1, 3, 224, 224), name)


def synthetic_graph(name: str) -> nx.DiGraph:
    """The synthetic look-alike from the layout tests."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "layout"))
    from synthetic_models import SYNTHETIC_MODELS

    return SYNTHETIC_MODELS[name]()


def edge_length(layout: Layout) -> float:
    """Total length of all edge polylines."""
    return sum(math.dist(p, q) for e in layout.edges for p, q in zip(e.points, e.points[1:]))


def dot_source(graph: nx.DiGraph) -> tuple[str, list[str]]:
    """DOT text with fixed-size boxes (node ids n0, n1, … in graph order) and the names."""
    names = list(graph.nodes)
    ids = {name: f"n{i}" for i, name in enumerate(names)}
    width, height = (size / POINTS_PER_INCH for size in DEFAULT_NODE_SIZE)
    lines = [
        "digraph G {",
        f"  graph [rankdir=TB, nodesep={NODE_GAP / POINTS_PER_INCH:.4f}, "
        f"ranksep={RANK_GAP / POINTS_PER_INCH:.4f}];",
        f'  node [shape=box, fixedsize=true, label="", width={width:.4f}, height={height:.4f}];',
        "  edge [arrowhead=none];",
    ]
    lines += [f"  {ids[name]};" for name in names]
    lines += [f"  {ids[u]} -> {ids[v]};" for u, v in graph.edges]
    lines.append("}")
    return "\n".join(lines), names


def dot_layout(graph: nx.DiGraph, dot: str, timeout: float,
               nslimit: float | None) -> tuple[Layout, float]:
    """Lay the graph out with ``dot -Tplain``; the layout in points (y down) and the time."""
    source, names = dot_source(graph)
    command = [dot, "-Tplain"] + ([f"-Gnslimit={nslimit}"] if nslimit is not None else [])
    start = time.perf_counter()
    result = subprocess.run(command, input=source, capture_output=True, text=True, check=True,
                            timeout=timeout)
    elapsed = time.perf_counter() - start
    return parse_plain(result.stdout, names), elapsed


def parse_plain(text: str, names: list[str]) -> Layout:
    """Boxes and sampled splines from dot's plain output (inches, y up)."""
    nodes: dict[str, NodeBox] = {}
    edges: list[EdgePath] = []
    width = height = 0.0

    def point(x: str, y: str) -> tuple[float, float]:
        return float(x) * POINTS_PER_INCH, (height - float(y)) * POINTS_PER_INCH

    for line in text.splitlines():
        fields = line.split()
        if fields[0] == "graph":
            width, height = float(fields[2]), float(fields[3])
        elif fields[0] == "node":
            name = names[int(fields[1][1:])]
            x, y = point(fields[2], fields[3])
            nodes[name] = NodeBox(name, x, y, float(fields[4]) * POINTS_PER_INCH,
                                  float(fields[5]) * POINTS_PER_INCH)
        elif fields[0] == "edge":
            count = int(fields[3])
            controls = [point(fields[4 + 2 * i], fields[5 + 2 * i]) for i in range(count)]
            edges.append(EdgePath(names[int(fields[1][1:])], names[int(fields[2][1:])],
                                  sampled_bezier(controls)))
    return Layout(nodes, edges, [], width * POINTS_PER_INCH, height * POINTS_PER_INCH)


def sampled_bezier(controls: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Points along a piecewise cubic Bézier given by 3k + 1 control points."""
    points = [controls[0]]
    for i in range(0, len(controls) - 3, 3):
        p0, p1, p2, p3 = controls[i:i + 4]
        for k in range(1, BEZIER_SAMPLES + 1):
            t = k / BEZIER_SAMPLES
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t ** 3
            points.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                           a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return tuple(points)


def measures(graph: nx.DiGraph, layout: Layout) -> dict[str, float]:
    """Crossings (bundled and unbundled), overlapping box pairs, edges through boxes, length."""
    return {"cross": count_crossings(graph, layout),
            "unbund": count_crossings(graph, layout, unbundled=True),
            "ovl": len(overlapping_boxes(layout)),
            "thru": len(edges_through_boxes(layout)),
            "length": edge_length(layout)}


def ratio(value: float, baseline: float) -> str:
    if baseline == 0:
        return "=" if value == 0 else "inf"
    return f"{value / baseline:.2f}"


def cnnviz_row(graph: nx.DiGraph) -> dict[str, float]:
    """Median layout time of five runs and the measures, plus the length without boxes."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        layout = layout_graph(graph)
        times.append(time.perf_counter() - start)
    row = {"time": statistics.median(times), **measures(graph, layout)}
    row["flat"] = edge_length(layout_graph(graph, clusters=False))
    return row


def dot_row(graph: nx.DiGraph, dot: str, timeout: float,
            nslimit: float | None) -> dict[str, float] | None:
    """dot's time and measures, None when it runs past the timeout."""
    try:
        drawing, elapsed = dot_layout(graph, dot, timeout, nslimit)
    except subprocess.TimeoutExpired:
        return None
    return {"time": elapsed, **measures(graph, drawing)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=CLASSICS)
    parser.add_argument("--synthetic", action="store_true", help="skip the real tracer")
    parser.add_argument("--no-dot", action="store_true", help="skip Graphviz")
    parser.add_argument("--dot-timeout", type=float, default=DOT_TIMEOUT_S, metavar="S")
    parser.add_argument("--dot-nslimit", type=float, metavar="N",
                        help="cap dot's x-coordinate network simplex at N × nodes iterations")
    args = parser.parse_args()
    dot = None if args.no_dot else shutil.which("dot")
    if dot is None and not args.no_dot:
        print("dot not installed: Graphviz columns left out (apt-get install graphviz)")
    print("cross: crossings with rails bundled; unbund: if each rail's edges were drawn side by"
          " side; length: with cluster boxes, flat: without (like dot)")
    header = (f"{'model':12s} {'src':4s} {'nodes':>5s} {'edges':>5s} {'time s':>7s} {'cross':>6s}"
              f" {'unbund':>7s} {'ovl':>3s} {'thru':>4s} {'length':>7s} {'flat':>7s}")
    if dot:
        header += (f" | {'dot s':>7s} {'cross':>7s} {'ovl':>3s} {'thru':>4s} {'length':>7s}"
                   f" | {'speed-up':>8s} {'cross/dot':>9s} {'unbund/dot':>10s} {'flat/dot':>8s}")
    print(header)
    for name in args.models:
        graph = None if args.synthetic else real_graph(name)
        origin = "real" if graph is not None else "syn"
        graph = graph if graph is not None else synthetic_graph(name)
        mine = cnnviz_row(graph)
        line = (f"{name:12s} {origin:4s} {graph.number_of_nodes():5d} {graph.number_of_edges():5d}"
                f" {mine['time']:7.3f} {mine['cross']:6d} {mine['unbund']:7d} {mine['ovl']:3d}"
                f" {mine['thru']:4d} {mine['length']:7.0f} {mine['flat']:7.0f}")
        if dot:
            theirs = dot_row(graph, dot, args.dot_timeout, args.dot_nslimit)
            if theirs is None:
                line += f" | {'> ' + str(int(args.dot_timeout)):>7s} (timed out)"
            else:
                line += (f" | {theirs['time']:7.2f} {theirs['cross']:7d} {theirs['ovl']:3d}"
                         f" {theirs['thru']:4d} {theirs['length']:7.0f}"
                         f" | {theirs['time'] / mine['time']:8.1f}"
                         f" {ratio(mine['cross'], theirs['cross']):>9s}"
                         f" {ratio(mine['unbund'], theirs['cross']):>10s}"
                         f" {ratio(mine['flat'], theirs['length']):>8s}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
