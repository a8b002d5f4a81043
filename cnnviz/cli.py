"""The ``cnnviz`` command: the app (no command), ``models``, ``summary``, ``export``, ``predict``,
``activations``, ``gradcam``, ``bench``, ``live`` and ``diff``."""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import NoReturn

import networkx as nx
import numpy as np
from PIL import Image

from cnnviz import (
    analysis, diagram, diff_report, formatting, gradcam, images, inference, live_command, maps,
    session, sources, timing, zoo,
)
from cnnviz import graph as g
from cnnviz.errors import CnnvizError
from cnnviz.layout.geometry import ORIENTATIONS, TOP_TO_BOTTOM


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


MODEL_HELP = "a zoo name (e.g. resnet50, see `cnnviz models`), FILE.py:NAME, or a .pt/.pt2 file"


def _add_opening_options(parser: argparse.ArgumentParser, weights: bool = True) -> None:
    """The options that say how to open a model."""
    if weights:
        parser.add_argument("--weights", default="random",
                            help="random (default), pretrained, or a checkpoint file "
                                 "(zoo models)")
    parser.add_argument("--trust", action="store_true",
                        help="allow running the model file's code (a .py file, a pickled "
                             "module): only for files you trust")
    parser.add_argument("--input-shape", metavar="N,C,H,W",
                        help="the input to trace with, e.g. 1,1,28,28 (default: the model's)")
    parser.add_argument("--args", default="", metavar="ARGS",
                        help="constructor arguments of FILE.py:NAME, as JSON or key=value, ...")


def _add_photo_arguments(parser: argparse.ArgumentParser, layer_help: str) -> None:
    """A model, an image and one of the model's layers."""
    parser.add_argument("model", help=MODEL_HELP)
    parser.add_argument("image", help="an image file")
    parser.add_argument("--layer", required=True, metavar="NAME", help=layer_help)


def build_parser() -> argparse.ArgumentParser:
    """The command line: ``cnnviz [models | summary MODEL ...]``."""
    parser = _Parser(prog="cnnviz", description="See inside convolutional networks. "
                                                "Without a command, opens the window.")
    parser.add_argument("--model", help=f"the model to open (default: the last one, "
                                        f"else {zoo.DEFAULT_MODEL})")
    parser.add_argument("--weights", default="random",
                        help="random (default), pretrained, or a checkpoint file")
    parser.add_argument("--select", metavar="NODE",
                        help="select this layer (a node name as in `cnnviz summary`) on opening")
    parser.add_argument("--screenshot", metavar="PATH",
                        help="render the window to a PNG once the model is drawn, then exit")
    parser.add_argument("--orientation", choices=ORIENTATIONS,
                        help="lay the diagram out top to bottom (tb) or left to right (lr) "
                             "(default: the last choice made in the window, else tb)")
    parser.add_argument("--fold", action="store_true", default=None,
                        help="fold repeated blocks into stacks (default: in models of more "
                             "than 1,000 operations)")
    _add_opening_options(parser, weights=False)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    commands.add_parser("models", help="list the model zoo")
    summary = commands.add_parser("summary", help="a layer table with params, MACs and "
                                                  "receptive fields")
    summary.add_argument("model", help=MODEL_HELP)
    summary.add_argument("--depth", type=int, help="collapse blocks nested deeper than N "
                                                   "(1 = the model's direct children)")
    _add_opening_options(summary)
    summary.add_argument("--json", action="store_true", help="one JSON object on stdout")
    export = commands.add_parser("export", help="the diagram as PNG, SVG or JSON (by extension)")
    export.add_argument("model", help=MODEL_HELP)
    export.add_argument("-o", "--output", required=True, metavar="PATH",
                        help="where to write: .png, .svg or .json")
    export.add_argument("--depth", type=int, help="collapse blocks nested deeper than N")
    export.add_argument("--scale", type=float, default=2.0, help="PNG pixels per scene unit")
    export.add_argument("--orientation", choices=ORIENTATIONS, default=TOP_TO_BOTTOM,
                        help="top to bottom (tb, default) or left to right (lr)")
    export.add_argument("--fold", action="store_true",
                        help="draw consecutive blocks that repeat one structure as one stack")
    _add_opening_options(export, weights=False)
    predict = commands.add_parser("predict", help="classify an image: the top classes and "
                                                   "their probabilities")
    predict.add_argument("model", help=MODEL_HELP)
    predict.add_argument("image", help="an image file (PNG, JPEG, BMP, GIF, WebP, TIFF)")
    _add_opening_options(predict)
    predict.add_argument("--topk", type=int, default=inference.TOP_K, metavar="K",
                          help=f"how many classes to show (default {inference.TOP_K})")
    predict.add_argument("--json", action="store_true", help="one JSON object on stdout")
    activations = commands.add_parser("activations", help="save one layer's output for an "
                                                           "image as a .npy file")
    _add_photo_arguments(activations, "a node name as in `cnnviz summary --json`")
    activations.add_argument("-o", "--output", required=True, metavar="OUT.npy",
                              help="where to write the float32 array (batch dimension included)")
    activations.add_argument("--maps", action="store_true",
                              help="write the stack the Feature maps panel shows instead: "
                                   "(maps, H, W), no batch dimension")
    _add_opening_options(activations)
    cam = commands.add_parser("gradcam", help="Grad-CAM of a class at a layer for an image, as "
                                              "a .npy map or a .png overlay")
    _add_photo_arguments(cam, "a node with a spatial reading, named as in `cnnviz summary "
                              "--json`")
    cam.add_argument("--class", dest="class_text", metavar="INDEX|LABEL",
                     help="the class to explain (default: the top prediction)")
    cam.add_argument("-o", "--output", required=True, metavar="OUT.npy|OUT.png",
                     help="where to write: .npy, the float32 H×W map in [0, 1] at the input's "
                          "size; .png, the map over the photo as the network sees it")
    _add_opening_options(cam)
    bench = commands.add_parser("bench", help="time models: total latency and per-layer times")
    bench.add_argument("models", nargs="+", metavar="MODEL", help=MODEL_HELP)
    bench.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N or mps")
    bench.add_argument("--dtype", default="fp32", choices=list(timing.PRECISIONS),
                       help="precision (default fp32)")
    bench.add_argument("--batch", type=int, default=1, help="images per run (default 1)")
    bench.add_argument("--runs", type=int, default=timing.DEFAULT_RUNS,
                       help=f"timed runs of each kind (default {timing.DEFAULT_RUNS})")
    bench.add_argument("--warmup", type=int, default=timing.DEFAULT_WARMUP,
                       help=f"untimed runs first (default {timing.DEFAULT_WARMUP})")
    bench.add_argument("--channels-last", action="store_true",
                       help="channels-last memory format for the model and input")
    bench.add_argument("--threads", type=int, help="CPU threads (default: torch's)")
    bench.add_argument("--json", action="store_true",
                       help="a JSON list on stdout, one object a model")
    _add_opening_options(bench, weights=False)
    live = commands.add_parser("live", help="a video's frames through a model as the Live "
                                             "panel runs them: top classes per frame, fps")
    live.add_argument("model", help=MODEL_HELP)
    live.add_argument("--video", required=True, metavar="FILE",
                      help="a video file (mp4, avi, mkv, webm, ...), played at its frame rate")
    live.add_argument("--frames", type=int, metavar="N", help="the first N frames (default: all)")
    live.add_argument("--layer", metavar="NAME", help="a node name as in `cnnviz summary --json`")
    live.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N or mps")
    live.add_argument("--dtype", default="fp32", choices=list(timing.PRECISIONS),
                      help="precision (default fp32)")
    live.add_argument("--json", action="store_true",
                      help="a JSON object per frame, then one with frames, dropped and fps")
    live.add_argument("-o", "--output", metavar="DIR",
                      help="with --layer, write each frame's maps (as the Feature maps panel "
                           "shows them) as DIR/frame_000012.npy, numbered by frame")
    _add_opening_options(live)
    diff = commands.add_parser("diff", help="match two models' operations: what was added, "
                                             "removed or changed, by block")
    diff.add_argument("a", metavar="A", help=MODEL_HELP)
    diff.add_argument("b", metavar="B", help=MODEL_HELP)
    for side in ("a", "b"):
        diff.add_argument(f"--weights-{side}", default="random", metavar="W",
                          help=f"{side.upper()}'s weights: random (default), pretrained or a "
                               "checkpoint file; with both, each layer's relative change")
    _add_opening_options(diff, weights=False)
    diff.add_argument("--json", action="store_true", help="one JSON object on stdout")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; errors end with one line on stderr and a non-zero status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command is None:
            from cnnviz.ui.app import run_app

            request = None
            if args.model is not None:  # an unknown name fails here, before any window
                request = _request(args, args.model)
            return run_app(request, args.weights, args.screenshot, args.select,
                           args.orientation, args.fold)
        if args.command == "models":
            print_models()
            return 0
        if args.command == "bench":
            settings = timing.BenchSettings(
                device=args.device, dtype=args.dtype, batch=args.batch, runs=args.runs,
                warmup=args.warmup, channels_last=args.channels_last, threads=args.threads)
            bench([_request(args, name) for name in args.models], settings, as_json=args.json)
        elif args.command == "summary":
            summary(_request(args, args.model), depth=args.depth, as_json=args.json)
        elif args.command == "predict":
            predict(_request(args, args.model), args.image, topk=args.topk, as_json=args.json)
        elif args.command == "activations":
            save_activations(_request(args, args.model), args.image, args.layer, args.output,
                             as_maps=args.maps)
        elif args.command == "gradcam":
            save_grad_cam(_request(args, args.model), args.image, args.layer, args.class_text,
                          args.output)
        elif args.command == "live":
            live_command.live(_request(args, args.model), args.video, frames=args.frames,
                              layer=args.layer, device=args.device, dtype=args.dtype,
                              as_json=args.json, output=args.output)
        elif args.command == "diff":
            diff_report.diff(replace(_request(args, args.a), weights=args.weights_a),
                             replace(_request(args, args.b), weights=args.weights_b),
                             as_json=args.json)
        else:
            export(_request(args, args.model), args.output, depth=args.depth, scale=args.scale,
                   orientation=args.orientation, fold=args.fold)
    except CnnvizError as error:
        print(f"cnnviz: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `cnnviz models | head`: the reader has what it wanted
        sys.stderr.close()
    return 0


def _request(args: argparse.Namespace, name: str) -> session.ModelRequest:
    """The model ``name`` to open as the command line's options say."""
    shape = sources.parse_input_shape(args.input_shape) if args.input_shape else None
    return session.ModelRequest.of(name, getattr(args, "weights", "random"), args.trust, shape,
                                   args.args)


def print_models() -> None:
    """The zoo as a table: name, family, year, reference params and GMACs."""
    rows = [(s.name, s.family, str(s.year or ""), formatting.count(s.reference.num_params),
             f"{s.reference.gflops:.3f}") for s in zoo.list_models()]
    _print_table(("model", "family", "year", "params", "GMACs"), rows, right=(3, 4))


def summary(request: session.ModelRequest, depth: int | None = None,
            as_json: bool = False) -> None:
    """Print the layer table (or JSON) of a model."""
    if depth is not None and depth < 1:
        raise CnnvizError(f"--depth must be 1 or more, not {depth}")
    loaded = request.load()
    graph = analysis.collapse(loaded.graph, depth=depth) if depth else loaded.graph
    if as_json:
        print(json.dumps(summary_json(graph)))
    else:
        _print_summary(loaded.spec, graph)


def export(request: session.ModelRequest, path: str, depth: int | None = None,
           scale: float = 2.0, orientation: str = TOP_TO_BOTTOM, fold: bool = False) -> None:
    """Write the laid-out diagram of a model as PNG, SVG or JSON: blocks collapsed at
    ``depth``, edges running ``orientation``, repeats folded with ``fold``."""
    extension = os.path.splitext(path)[1].lower()
    if extension not in (".png", ".svg", ".json"):
        raise CnnvizError(f"cannot export to {path!r}: the extension must be .png, .svg or .json")
    if depth is not None and depth < 1:
        raise CnnvizError(f"--depth must be 1 or more, not {depth}")
    if scale <= 0:
        raise CnnvizError(f"--scale must be positive, not {scale}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CnnvizError(f"cannot export to {path}: folder {directory} does not exist")
    loaded = request.load()
    shown = session.make_diagram(loaded, session.DiagramView(depth, fold=fold,
                                                             orientation=orientation))
    if extension == ".json":
        content = {"model": loaded.spec.name, **diagram.layout_json(shown.graph, shown.layout)}
        with open(path, "w", encoding="utf-8") as file:
            json.dump(content, file)
    else:
        from cnnviz.ui.app import export_image

        export_image(shown.graph, shown.layout, path, scale)
    print(f"wrote {path}")


def predict(request: session.ModelRequest, image_path: str, topk: int = inference.TOP_K,
            as_json: bool = False) -> None:
    """Print the ``topk`` most probable classes of an image (or them as JSON)."""
    image = images.load_image(image_path)
    loaded = request.load()
    probabilities = inference.predict(loaded, _prepared(loaded, image))
    categories = zoo.categories(loaded.spec)
    if not 1 <= topk <= len(probabilities):
        raise CnnvizError(f"--topk must be between 1 and {len(probabilities)}, not {topk}")
    top = inference.top_predictions(probabilities, categories, topk)
    if as_json:
        print(json.dumps({"model": loaded.spec.name, "image": image_path,
                          "top": [{"index": p.index, "label": p.label, "prob": p.prob}
                                  for p in top]}))
        return
    print(f"{loaded.spec.display_name} ({loaded.spec.name}) · {image_path} · "
          f"weights: {loaded.weights}")
    _print_table(("class", "index", "probability"),
                 [(p.label, str(p.index), formatting.percent(p.prob)) for p in top], right=(1, 2))
    if loaded.weights == "random":
        print("Random weights give meaningless classes: use --weights pretrained.")


def save_activations(request: session.ModelRequest, image_path: str, layer: str,
                     path: str, as_maps: bool = False) -> None:
    """Save one node's output for an image as a float32 .npy array, batch dimension included,
    or with ``as_maps`` the (maps, H, W) stack the Feature maps panel shows."""
    _check_folder(path)
    image = images.load_image(image_path)
    loaded = request.load()
    array = inference.capture(loaded, _prepared(loaded, image), layer)
    if as_maps:
        array = maps.as_maps(array[0], loaded.graph.nodes[layer][g.LAYOUT]).maps
    _save_npy(path, array)
    print(f"wrote {path}: {layer}{' maps' if as_maps else ''}, float32 "
          f"{formatting.shape(array.shape)}")


def save_grad_cam(request: session.ModelRequest, image_path: str, layer: str,
                  class_text: str | None, path: str) -> None:
    """Write Grad-CAM of a class (default: the top prediction) at a layer for an image: the
    map as a .npy array, or laid over the photo as the network sees it as a .png."""
    extension = os.path.splitext(path)[1].lower()
    if extension not in (".npy", ".png"):
        raise CnnvizError(f"cannot write {path}: the extension must be .npy or .png")
    _check_folder(path)
    image = images.load_image(image_path)
    loaded = request.load()
    gradcam.spatial_reading(loaded.graph, layer)  # before any run
    prepared = _prepared(loaded, image)
    categories = zoo.categories(loaded.spec)
    index = _class_index(class_text, categories, loaded, prepared)
    heat = gradcam.grad_cam(loaded, prepared, layer, index)
    if extension == ".npy":
        _save_npy(path, heat)
    else:
        overlay = maps.overlay(prepared.shown, heat, gradcam.OVERLAY_OPACITY)
        try:
            Image.fromarray(overlay).save(path)
        except OSError as error:
            raise CnnvizError(f"cannot write {path}: {error.strerror or error}") from error
    print(f"wrote {path}: Grad-CAM at {layer} for {inference.class_label(categories, index)} "
          f"({index})")


def _class_index(text: str | None, categories: list[str] | None,
                 loaded: session.LoadedModel, prepared: inference.Prepared) -> int:
    """The class ``--class`` names, an index or a label; the top prediction without it."""
    if text is None:
        return int(inference.predict(loaded, prepared).argmax())
    if text.strip().lstrip("-").isdigit():
        return int(text)  # checked against the model's classes when it runs
    if not categories:
        raise CnnvizError(f"{loaded.spec.display_name} has no class labels: give --class an "
                          f"index")
    return gradcam.class_index_by_name(categories, text)


def _check_folder(path: str) -> None:
    """A one-line error unless the folder ``path`` is to be written into exists."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CnnvizError(f"cannot write {path}: folder {directory} does not exist")


def _save_npy(path: str, array: np.ndarray) -> None:
    try:
        with open(path, "wb") as file:  # np.save(path) would append .npy to other names
            np.save(file, array, allow_pickle=False)
    except OSError as error:
        raise CnnvizError(f"cannot write {path}: {error.strerror or error}") from error


BENCH_SLOWEST = 5


def bench(requests: Sequence[session.ModelRequest], settings: timing.BenchSettings,
          as_json: bool = False) -> None:
    """Time each model; print a table with its slowest layers, or one JSON list at the end."""
    settings.check()  # an absent device fails before any model is built
    results = []
    for request in requests:
        result = timing.benchmark(request.load(), settings)
        results.append(result)
        if not as_json:
            _print_bench(result)
    if as_json:
        print(json.dumps([result.to_json() for result in results]))


def _print_bench(result: timing.BenchResult) -> None:
    print(f"{result.model} · {result.settings.describe()} · {len(result.times_ms)} runs")
    print(f"  median {result.median_ms:.2f} ms (p10 {result.p10_ms:.2f}, p90 {result.p90_ms:.2f})"
          f" · {result.images_per_s:.1f} images/s")
    if not result.layers_ms:
        print("  per layer: not measured (TorchScript runs its graph itself, out of cnnviz's "
              "reach)")
        return
    print(f"  per layer: instrumented median {result.instrumented_median_ms:.2f} ms, "
          f"layers cover {formatting.percent(result.coverage)} of it")
    for name, ms in result.slowest(BENCH_SLOWEST):
        print(f"    {name:32s} {ms:8.3f} ms {formatting.percent(result.share(ms)):>7s}")


def _prepared(loaded: session.LoadedModel, image) -> inference.Prepared:
    """The image prepared for the model; a clear error for models that take no images."""
    if loaded.spec.preprocessing is None:
        shape = formatting.shape(loaded.graph.graph[g.INPUT_SHAPE])
        raise CnnvizError(f"{loaded.spec.display_name} takes a {shape} input, not an image")
    return inference.prepare(image, loaded.spec.preprocessing)


def summary_json(graph: nx.DiGraph) -> dict:
    """The graph as the JSON object of ``cnnviz summary --json``."""
    return {
        "model": graph.graph[g.MODEL],
        "tracer": graph.graph[g.TRACER],
        "tracer_note": graph.graph[g.TRACER_NOTE],
        "input_shape": list(graph.graph[g.INPUT_SHAPE]),
        "total_params": graph.graph[g.TOTAL_PARAMS],
        "total_trainable_params": graph.graph[g.TOTAL_TRAINABLE_PARAMS],
        "total_macs": graph.graph[g.TOTAL_MACS],
        "total_activation_bytes": graph.graph[g.TOTAL_ACTIVATION_BYTES],
        "nodes": [_node_json(graph.nodes[n]) for n in nx.topological_sort(graph)],
        "edges": [[source, target] for source, target in graph.edges],
        "skip_edges": [[s, t] for s, t, skip in graph.edges(data=g.SKIP) if skip],
    }


def _node_json(attrs: dict) -> dict:
    field = attrs[g.RF]
    return {
        "name": attrs[g.NAME], "qualname": attrs[g.QUALNAME], "op": attrs[g.OP],
        "module_type": attrs[g.MODULE_TYPE], "category": attrs[g.CATEGORY].value,
        "config": attrs[g.CONFIG], "in_shapes": [list(s) for s in attrs[g.IN_SHAPES] if s],
        "out_shape": list(attrs[g.OUT_SHAPE]) if attrs[g.OUT_SHAPE] else None,
        "params": attrs[g.PARAMS], "macs": attrs[g.MACS],
        "rf": field.largest_size if field else None,
        "rf_jump": max(field.jump) if field and field.jump else None,
        "rf_global": bool(field and field.is_global),
        "activation_bytes": attrs[g.ACTIVATION_BYTES],
        "layout": attrs[g.LAYOUT].name,
    }


def _print_summary(spec: zoo.ModelSpec, graph: nx.DiGraph) -> None:
    rows = []
    for name in nx.topological_sort(graph):
        attrs = graph.nodes[name]
        indent = "  " * len(attrs[g.HIERARCHY])
        field = attrs[g.RF]
        rows.append((indent + attrs[g.NAME], attrs[g.MODULE_TYPE],
                     formatting.shape(attrs[g.OUT_SHAPE]), formatting.count(attrs[g.PARAMS]),
                     formatting.count(attrs[g.MACS]), field.describe() if field else "–"))
    print(f"{spec.display_name} ({spec.name}) · input {formatting.shape(graph.graph[g.INPUT_SHAPE])}")
    _print_table(("layer", "type", "output shape", "params", "MACs", "receptive field"), rows,
                 right=(3, 4))
    totals = graph.graph
    reference = spec.reference
    print(f"Total params: {formatting.count(totals[g.TOTAL_PARAMS])} "
          f"(trainable {formatting.count(totals[g.TOTAL_TRAINABLE_PARAMS])})"
          + (f"; torchvision reference {formatting.count(reference.num_params)}"
             if reference else ""))
    print(f"Total MACs: {formatting.metric(totals[g.TOTAL_MACS])} "
          f"(FLOPs {formatting.metric(2 * totals[g.TOTAL_MACS])})"
          + (f"; torchvision reference {reference.gflops:.3f}G" if reference else ""))
    print(f"Activation memory (all outputs): "
          f"{formatting.size_in_bytes(totals[g.TOTAL_ACTIVATION_BYTES])}")
    note = f" ({totals[g.TRACER_NOTE]})" if totals[g.TRACER_NOTE] else ""
    print(f"Operations: {graph.number_of_nodes()} · tracer: {totals[g.TRACER]}{note}")


def _print_table(header: Sequence[str], rows: list[Sequence[str]], right: Sequence[int]) -> None:
    print(formatting.table(header, rows, right))
