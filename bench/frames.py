"""Scene build and frame times of the diagram view.

:func:`scene_build_time` times ``GraphView.set_diagram`` (the layout excluded);
:func:`frame_times` renders the view offscreen (1500×900 by default) at 1:1, at Fit and at
zooms in between (geometric steps, and either side of each level-of-detail threshold), and times
pan steps, each the median of warm frames. Both only need Qt and the view, so that
``bench/layout_quality.py`` can call them with graphs it made.

Run: ``.venv/bin/python bench/frames.py [--depth N] [--size 1500x900] [--repeats N] MODEL ...``
(zoo names, or ``file.py:Class`` for a model file, opened trusted), e.g.
``bench/frames.py densenet201 bench/deep_model.py:DeepNet``. It prints the times in
milliseconds and each frame's ratio to the 1:1 frame (target: at most 2).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import networkx as nx

from cnnviz.layout import Layout

ONE_TO_ONE, FIT = "1:1", "fit"
PAN_PREFIX = "pan "


def _application():
    """The running QApplication, or a new offscreen one."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(sys.argv[:1])


def _median_time(action: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``action`` over ``repeats`` runs after one warm-up run."""
    action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _view(size: tuple[int, int]):
    from cnnviz.ui.graph_view import GraphView

    view = GraphView()
    view.resize(*size)
    view.show()
    return view


def scene_build_time(graph: nx.DiGraph, layout: Layout, size: tuple[int, int] = (1500, 900),
                     repeats: int = 3) -> float:
    """Median seconds of ``GraphView.set_diagram(graph, layout)`` on a shown view."""
    app = _application()
    view = _view(size)
    seconds = _median_time(lambda: view.set_diagram(graph, layout), repeats)
    view.close()
    app.processEvents()
    return seconds


def frame_scales(fit: float) -> dict[str, float]:
    """The zooms to measure, by name: 1:1, Fit, four geometric steps between them and either
    side (±10 %) of each level-of-detail threshold that lies between them."""
    from cnnviz.ui import diagram_style as style

    scales = {ONE_TO_ONE: 1.0, FIT: fit}
    if fit < 1.0:
        for step in range(1, 5):
            scale = fit ** (step / 5)
            scales[f"{scale:.3g}"] = scale
        for threshold in (style.LABEL_LOD, style.EDGE_LABEL_LOD):
            for scale in (threshold * 0.9, threshold * 1.1):
                if fit < scale < 1.0:
                    scales[f"{scale:.3g}"] = scale
    return dict(sorted(scales.items(), key=lambda item: -item[1]))


def frame_times(graph: nx.DiGraph, layout: Layout, size: tuple[int, int] = (1500, 900),
                repeats: int = 9) -> dict[str, float]:
    """Median seconds to paint the view's whole viewport, by zoom (see :func:`frame_scales`;
    the view centred on the diagram), and of a pan step (an eighth of the viewport along the
    diagram, painted) at 1:1 and at the middle zoom (keys ``pan 1:1``, ``pan <scale>``)."""
    app = _application()
    view = _view(size)
    view.set_diagram(graph, layout)
    app.processEvents()
    centre = view.sceneRect().center()
    scales = frame_scales(view.scale_factor())
    times: dict[str, float] = {}
    for name, scale in scales.items():
        view.zoom_to(scale)
        view.centerOn(centre)
        app.processEvents()
        times[name] = _median_time(view.viewport().repaint, repeats)
    middle = list(scales)[len(scales) // 2]
    for name in dict.fromkeys((ONE_TO_ONE, middle)):
        view.zoom_to(scales[name])
        view.centerOn(centre)
        app.processEvents()
        times[PAN_PREFIX + name] = _median_time(lambda: _pan_step(view, app), repeats)
    view.close()
    app.processEvents()
    return times


def _pan_step(view, app) -> None:
    """Scroll by an eighth of the viewport along the diagram's longer way (forward, or back
    to the start at the end) and paint."""
    bar = max(view.horizontalScrollBar(), view.verticalScrollBar(), key=lambda b: b.maximum())
    step = max(1, bar.pageStep() // 8)
    bar.setValue(bar.value() + step if bar.value() + step <= bar.maximum() else bar.minimum())
    app.processEvents()


def report(name: str, build: float, times: dict[str, float]) -> str:
    """The lines printed for one diagram: build time, then each frame and its ratio to 1:1."""
    lines = [f"{name}: scene build {build * 1000:.0f} ms"]
    base = times[ONE_TO_ONE]
    for key, seconds in times.items():
        lines.append(f"  {key:>10s} {seconds * 1000:8.2f} ms  ×{seconds / base:5.2f}")
    worst = max(seconds for key, seconds in times.items() if not key.startswith(PAN_PREFIX))
    lines.append(f"  worst frame / 1:1 = {worst / base:.2f}")
    return "\n".join(lines)


def _parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    return int(width), int(height)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", metavar="MODEL")
    parser.add_argument("--depth", type=int, help="collapse blocks below this depth "
                        "(default: fully expanded)")
    parser.add_argument("--size", type=_parse_size, default=(1500, 900), metavar="WxH")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    from cnnviz import analysis, diagram, session  # torch: only to trace the models

    _application()
    for text in args.models:
        graph = session.ModelRequest.of(text, trust=True).load().graph
        if args.depth is not None:
            graph = analysis.collapse(graph, depth=args.depth)
        start = time.perf_counter()
        layout = diagram.lay_out(graph)
        layout_s = time.perf_counter() - start
        build = scene_build_time(graph, layout, args.size)
        print(f"{text}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges, "
              f"layout {layout_s:.2f} s")
        print(report(text, build, frame_times(graph, layout, args.size, args.repeats)),
              flush=True)


if __name__ == "__main__":
    main()
