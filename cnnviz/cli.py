"""The ``cnnviz`` command: the app (no command), ``models``, ``summary``, ``export``, ``predict``,
``activations``, ``gradcam``, ``bench``, ``live`` and ``diff``.

Parsing the command line, its errors, the help and ``models`` need no torch: this module
imports none, and the commands that open a model (:mod:`cnnviz.commands`) and the window load
it when they run."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import NoReturn

from cnnviz import bench_settings, classes, formatting, session, zoo
from cnnviz.errors import CnnvizError
from cnnviz.input_shapes import parse_input_shape
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


def _add_device_options(parser: argparse.ArgumentParser) -> None:
    """Where a model runs, and in which precision."""
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N or mps")
    parser.add_argument("--dtype", default="fp32", choices=bench_settings.PRECISION_NAMES,
                        help="precision (default fp32)")


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
    predict.add_argument("--topk", type=int, default=classes.TOP_K, metavar="K",
                          help=f"how many classes to show (default {classes.TOP_K})")
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
    _add_device_options(bench)
    bench.add_argument("--batch", type=int, default=1, help="images per run (default 1)")
    bench.add_argument("--runs", type=int, default=bench_settings.DEFAULT_RUNS,
                       help=f"timed runs of each kind (default {bench_settings.DEFAULT_RUNS})")
    bench.add_argument("--warmup", type=int, default=bench_settings.DEFAULT_WARMUP,
                       help=f"untimed runs first (default {bench_settings.DEFAULT_WARMUP})")
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
    _add_device_options(live)
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
        from cnnviz import commands, diff_report

        if args.command == "bench":
            settings = bench_settings.BenchSettings(
                device=args.device, dtype=args.dtype, batch=args.batch, runs=args.runs,
                warmup=args.warmup, channels_last=args.channels_last, threads=args.threads)
            commands.bench([_request(args, name) for name in args.models], settings,
                           as_json=args.json)
        elif args.command == "summary":
            commands.summary(_request(args, args.model), depth=args.depth, as_json=args.json)
        elif args.command == "predict":
            commands.predict(_request(args, args.model), args.image, topk=args.topk,
                             as_json=args.json)
        elif args.command == "activations":
            commands.save_activations(_request(args, args.model), args.image, args.layer,
                                      args.output, as_maps=args.maps)
        elif args.command == "gradcam":
            commands.save_grad_cam(_request(args, args.model), args.image, args.layer,
                                   args.class_text, args.output)
        elif args.command == "live":
            from cnnviz import live_command

            live_command.live(_request(args, args.model), args.video, frames=args.frames,
                              layer=args.layer, device=args.device, dtype=args.dtype,
                              as_json=args.json, output=args.output)
        elif args.command == "diff":
            diff_report.diff(replace(_request(args, args.a), weights=args.weights_a),
                             replace(_request(args, args.b), weights=args.weights_b),
                             as_json=args.json)
        else:
            commands.export(_request(args, args.model), args.output, depth=args.depth,
                            scale=args.scale, orientation=args.orientation, fold=args.fold)
    except CnnvizError as error:
        print(f"cnnviz: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `cnnviz models | head`: the reader has what it wanted
        sys.stderr.close()
    except KeyboardInterrupt:
        print("cnnviz: interrupted", file=sys.stderr)
        return 130
    return 0


def _request(args: argparse.Namespace, name: str) -> session.ModelRequest:
    """The model ``name`` to open as the command line's options say."""
    shape = parse_input_shape(args.input_shape) if args.input_shape else None
    return session.ModelRequest.of(name, getattr(args, "weights", "random"), args.trust, shape,
                                   args.args)


def print_models() -> None:
    """The zoo as a table: name, family, year, reference params and GMACs."""
    rows = [(s.name, s.family, str(s.year or ""), formatting.count(s.reference.num_params),
             f"{s.reference.gflops:.3f}") for s in zoo.list_models()]
    print(formatting.table(("model", "family", "year", "params", "GMACs"), rows, (3, 4)))
