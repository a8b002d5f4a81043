"""Layout quality and speed per classic model, with Graphviz ``dot`` as the yardstick.

For each model: nodes, edges, layout time (median of five), edge crossings, overlapping boxes,
edges through other nodes' boxes and total edge length, then the same graph laid out by
``dot`` (same box sizes, fixed; no clusters, which leaves dot more freedom) with its time and
the same measures computed on its splines, and the ratios. Graphs come from the real tracer
when torch and ``cnnviz.trace`` are available, else from the synthetic builders of
``tests/layout/synthetic_models.py``; ``dot`` is skipped when it is not installed.
``deepnet`` is ``bench/deep_model.py``'s generated 9,366-operation model (traced once, then
read from a file in the temporary directory; never given to dot). ``--phases`` adds the
median time of each phase of the layout; ``--app-sizes`` sizes the boxes for their text as
the app does (``cnnviz.diagram.box_sizes``), which leaves dot out.

Run: ``.venv/bin/python bench/layout_quality.py [--synthetic] [--no-dot] [--dot-timeout S]
[--dot-nslimit N] [--orientation tb|lr] [--phases] [--app-sizes] [--frames] [MODEL ...]``.
``--frames`` adds the app's whole expand (layout with the app's box sizes, then building the
scene) and the view's frame-time ratios at 1500×900 (``bench/frames.py``). dot 2.43
needs about a minute for DenseNet-121 and far longer for DenseNet-201, nearly all of it in
its x-coordinate network simplex; ``--dot-nslimit`` caps that phase (dot's crossings are
settled before it, its spline geometry is not).
"""
from __future__ import annotations

import argparse
import hashlib
import math
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import networkx as nx

import cnnviz.layout
from cnnviz import diagram
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
DEEP = "deepnet"  # bench/deep_model.py's DeepNet
DEEP_MODEL = Path(__file__).resolve().parent / "deep_model.py"
# The functions layout_graph calls, in cnnviz.layout's namespace, timed by --phases (those a
# version of the layout lacks are left out).
PHASES = ["rank_nodes", "find_rails", "build_clusters", "split_long_edges", "order_ranks",
          "x_coordinates", "rank_rows", "cluster_boxes", "node_boxes", "route_edges",
          "flush_left", "transposed", "normalised"]
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


def deep_graph() -> nx.DiGraph | None:
    """DeepNet traced, from a cache file named after deep_model.py's text; None without torch."""
    digest = hashlib.sha1(DEEP_MODEL.read_bytes()).hexdigest()[:12]
    cache = Path(tempfile.gettempdir()) / f"cnnviz-deepnet-{digest}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    try:
        from cnnviz import session
        from cnnviz.references import ModelFile
    except ImportError:
        return None
    graph = session.ModelRequest(ModelFile(str(DEEP_MODEL), "DeepNet"), trust=True).load().graph
    cache.write_bytes(pickle.dumps(graph))
    return graph


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


Sizes = dict[str, tuple[float, float]] | None  # box sizes by node, None: dot's fixed size


def lay_out(graph: nx.DiGraph, sizes: Sizes, orientation: str, clusters: bool = True) -> Layout:
    """layout_graph's result; the orientation is passed only when it is not the default, so
    that this script also measures versions of the layout from before it had one."""
    extra = {} if orientation == "tb" else {"orientation": orientation}
    return layout_graph(graph, sizes, clusters=clusters, **extra)


def cnnviz_row(graph: nx.DiGraph, sizes: Sizes, orientation: str) -> dict[str, float]:
    """Median layout time of five runs and the measures, plus the length without boxes."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        layout = lay_out(graph, sizes, orientation)
        times.append(time.perf_counter() - start)
    row = {"time": statistics.median(times), **measures(graph, layout)}
    row["flat"] = edge_length(lay_out(graph, sizes, orientation, clusters=False))
    return row


def phase_times(graph: nx.DiGraph, sizes: Sizes, orientation: str,
                runs: int = 5) -> dict[str, float]:
    """Median time of each phase (each runs once per layout) over ``runs`` layouts."""
    times: dict[str, list[float]] = {}

    def timed(name: str, phase: Callable) -> Callable:
        def run(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            result = phase(*args, **kwargs)
            times.setdefault(name, []).append(time.perf_counter() - start)
            return result
        return run

    present = [name for name in PHASES if hasattr(cnnviz.layout, name)]
    patches = [mock.patch.object(cnnviz.layout, name, timed(name, getattr(cnnviz.layout, name)))
               for name in present]
    for patch in patches:
        patch.start()
    try:
        for _ in range(runs):
            lay_out(graph, sizes, orientation)
    finally:
        for patch in patches:
            patch.stop()
    return {name: statistics.median(values) for name, values in times.items()}


def dot_row(graph: nx.DiGraph, dot: str, timeout: float,
            nslimit: float | None) -> dict[str, float] | None:
    """dot's time and measures, None when it runs past the timeout."""
    try:
        drawing, elapsed = dot_layout(graph, dot, timeout, nslimit)
    except subprocess.TimeoutExpired:
        return None
    return {"time": elapsed, **measures(graph, drawing)}


def model_graph(name: str, synthetic: bool) -> tuple[nx.DiGraph | None, str]:
    """The graph to lay out and where it came from: ``real`` (traced) or ``syn``."""
    if name == DEEP:
        return (None, "") if synthetic else (deep_graph(), "real")
    graph = None if synthetic else real_graph(name)
    if graph is not None:
        return graph, "real"
    return synthetic_graph(name), "syn"


def expand_and_frames(graph: nx.DiGraph, orientation: str) -> str:
    """What expanding the whole graph costs the app (its layout with the app's box sizes, then
    the scene), and the view's frame times: at 1:1, and the worst zoom and pan step as ratios
    to it (target: at most 2)."""
    from frames import ONE_TO_ONE, PAN_PREFIX, frame_times, scene_build_time

    sizes = diagram.box_sizes(graph)
    layout_s = statistics.median(_timed(lambda: lay_out(graph, sizes, orientation))
                                 for _ in range(3))
    layout = lay_out(graph, sizes, orientation)
    build_s = scene_build_time(graph, layout)
    times = frame_times(graph, layout)
    base = times[ONE_TO_ONE]
    zooms = max(t for key, t in times.items() if not key.startswith(PAN_PREFIX))
    pans = max(t for key, t in times.items() if key.startswith(PAN_PREFIX))
    return (f"expand {layout_s + build_s:.2f} s (layout {layout_s:.2f} + scene {build_s:.2f}); "
            f"frame at 1:1 {base * 1000:.1f} ms, worst zoom ×{zooms / base:.2f}, "
            f"worst pan step ×{pans / base:.2f}")


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=[*CLASSICS, DEEP])
    parser.add_argument("--synthetic", action="store_true", help="skip the real tracer")
    parser.add_argument("--no-dot", action="store_true", help="skip Graphviz")
    parser.add_argument("--dot-timeout", type=float, default=DOT_TIMEOUT_S, metavar="S")
    parser.add_argument("--dot-nslimit", type=float, metavar="N",
                        help="cap dot's x-coordinate network simplex at N × nodes iterations")
    parser.add_argument("--orientation", choices=["tb", "lr"], default="tb",
                        help="cnnviz's direction (dot is always laid out top to bottom)")
    parser.add_argument("--phases", action="store_true", help="time each phase of the layout")
    parser.add_argument("--app-sizes", action="store_true",
                        help="boxes sized for their text, as the app draws them (no dot then)")
    parser.add_argument("--frames", action="store_true",
                        help="the app's whole expand (layout + scene) and its frame times")
    args = parser.parse_args()
    dot = None if args.no_dot or args.app_sizes else shutil.which("dot")
    if dot is None and not (args.no_dot or args.app_sizes):
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
        graph, origin = model_graph(name, args.synthetic)
        if graph is None:
            print(f"{name:12s} skipped: it needs torch and the tracer")
            continue
        sizes = diagram.box_sizes(graph) if args.app_sizes else None
        mine = cnnviz_row(graph, sizes, args.orientation)
        line = (f"{name:12s} {origin:4s} {graph.number_of_nodes():5d} {graph.number_of_edges():5d}"
                f" {mine['time']:7.3f} {mine['cross']:6d} {mine['unbund']:7d} {mine['ovl']:3d}"
                f" {mine['thru']:4d} {mine['length']:7.0f} {mine['flat']:7.0f}")
        theirs = dot_row(graph, dot, args.dot_timeout, args.dot_nslimit) \
            if dot and name != DEEP else None
        if dot and name == DEEP:
            line += " | (not given to dot)"
        elif dot and theirs is None:
            line += f" | {'> ' + str(int(args.dot_timeout)):>7s} (timed out)"
        elif theirs is not None:
            line += (f" | {theirs['time']:7.2f} {theirs['cross']:7d} {theirs['ovl']:3d}"
                     f" {theirs['thru']:4d} {theirs['length']:7.0f}"
                     f" | {theirs['time'] / mine['time']:8.1f}"
                     f" {ratio(mine['cross'], theirs['cross']):>9s}"
                     f" {ratio(mine['unbund'], theirs['cross']):>10s}"
                     f" {ratio(mine['flat'], theirs['length']):>8s}")
        print(line, flush=True)
        if args.frames:
            print("    " + expand_and_frames(graph, args.orientation), flush=True)
        if args.phases:
            print("    " + ", ".join(f"{phase} {seconds:.3f}" for phase, seconds
                                     in phase_times(graph, sizes, args.orientation).items()),
                  flush=True)


if __name__ == "__main__":
    main()
