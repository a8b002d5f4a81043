"""The ``cnnviz`` command: ``models`` and ``summary`` (the window comes with the app)."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

import networkx as nx
import torch

from cnnviz import analysis, formatting, zoo
from cnnviz import graph as g
from cnnviz.errors import CnnvizError
from cnnviz.trace import trace_model


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The command line: ``cnnviz [models | summary MODEL ...]``."""
    parser = _Parser(prog="cnnviz", description="See inside convolutional networks.")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    commands.add_parser("models", help="list the model zoo")
    summary = commands.add_parser("summary", help="a layer table with params, MACs and "
                                                  "receptive fields")
    summary.add_argument("model", help="a zoo name, e.g. resnet50 (see `cnnviz models`)")
    summary.add_argument("--depth", type=int, help="collapse blocks nested deeper than N "
                                                   "(1 = the model's direct children)")
    summary.add_argument("--weights", default="random",
                         help="random (default), pretrained, or a checkpoint file")
    summary.add_argument("--json", action="store_true", help="one JSON object on stdout")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; errors end with one line on stderr and a non-zero status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "models":
            print_models()
        else:
            summary(args.model if args.command else zoo.DEFAULT_MODEL,
                    depth=getattr(args, "depth", None), weights=getattr(args, "weights", "random"),
                    as_json=getattr(args, "json", False))
    except CnnvizError as error:
        print(f"cnnviz: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `cnnviz models | head`: the reader has what it wanted
        sys.stderr.close()
    return 0


def traced_model(name: str, weights: str = "random") -> tuple[zoo.ModelSpec, nx.DiGraph]:
    """Build a zoo model with the chosen weights and trace it on an input of its size."""
    spec = zoo.get_spec(name)
    model = zoo.build_model(spec.name, weights)
    example = torch.zeros(1, 3, spec.input_size, spec.input_size)
    return spec, trace_model(model, example, spec.name)


def print_models() -> None:
    """The zoo as a table: name, family, year, reference params and GMACs."""
    rows = [(s.name, s.family, str(s.year or ""), formatting.count(s.reference.num_params),
             f"{s.reference.gflops:.3f}") for s in zoo.list_models()]
    _print_table(("model", "family", "year", "params", "GMACs"), rows, right=(3, 4))


def summary(name: str, depth: int | None = None, weights: str = "random",
            as_json: bool = False) -> None:
    """Print the layer table (or JSON) of a zoo model."""
    if depth is not None and depth < 1:
        raise CnnvizError(f"--depth must be 1 or more, not {depth}")
    spec, full = traced_model(name, weights)
    graph = analysis.collapse(full, depth=depth) if depth else full
    if as_json:
        print(json.dumps(summary_json(graph)))
    else:
        _print_summary(spec, graph)


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
          f"(trainable {formatting.count(totals[g.TOTAL_TRAINABLE_PARAMS])}); "
          f"torchvision reference {formatting.count(reference.num_params)}")
    print(f"Total MACs: {formatting.metric(totals[g.TOTAL_MACS])} "
          f"(FLOPs {formatting.metric(2 * totals[g.TOTAL_MACS])}); "
          f"torchvision reference {reference.gflops:.3f} G")
    print(f"Activation memory (all outputs): "
          f"{formatting.size_in_bytes(totals[g.TOTAL_ACTIVATION_BYTES])}")
    note = f" ({totals[g.TRACER_NOTE]})" if totals[g.TRACER_NOTE] else ""
    print(f"Operations: {graph.number_of_nodes()} · tracer: {totals[g.TRACER]}{note}")


def _print_table(header: Sequence[str], rows: list[Sequence[str]], right: Sequence[int]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    print(line(header))
    print("  ".join("─" * w for w in widths))
    for row in rows:
        print(line(row))
