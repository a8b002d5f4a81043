"""The ``cnnviz diff`` command: two models' operations matched (:mod:`cnnviz.diff`), printed as
a table of changes by block or as one JSON object, with each layer's relative weight change
when one architecture is compared under two checkpoints (:mod:`cnnviz.weight_diff`)."""
from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Sequence

import networkx as nx

from cnnviz import formatting, weight_diff
from cnnviz import graph as g
from cnnviz.diff import TOP_LEVEL, BlockDelta, Change, ModelDiff, diff_graphs
from cnnviz.errors import CnnvizError
from cnnviz.session import LoadedModel, ModelRequest

# Added or removed operations named per module before the rest are only counted.
_NAMES_SHOWN = 3


def diff(request_a: ModelRequest, request_b: ModelRequest, as_json: bool = False) -> None:
    """Print the diff of model A against model B (JSON: :func:`diff_json`).

    Weights are compared when both requests name weights (``--weights-a``/``--weights-b``)
    and the architectures are the same. Models traced at different input shapes are diffed
    and printed, then reported as a :class:`CnnvizError`: every shape differs.
    """
    a, b = request_a.load(), request_b.load()
    result = diff_graphs(a.graph, b.graph)
    weights = None
    if "random" not in (request_a.weights, request_b.weights) and result.same_architecture:
        weights = weight_diff.relative_changes(a.graph, a.model, b.model)
    if as_json:
        print(json.dumps(diff_json(result, weights)))
    else:
        _print_diff(a, b, result, weights)
    shape_a, shape_b = a.graph.graph[g.INPUT_SHAPE], b.graph.graph[g.INPUT_SHAPE]
    if shape_a != shape_b:
        raise CnnvizError(
            f"{a.spec.name} takes a {formatting.shape(shape_a)} input and {b.spec.name} a "
            f"{formatting.shape(shape_b)} one, so every shape compared differs: give "
            "--input-shape to trace both alike")


def diff_json(result: ModelDiff, weights: dict[str, float] | None = None) -> dict:
    """``{"a", "b", "matched", "added", "removed", "changed", "totals", "blocks"}``, and
    ``"weights"`` (largest change first; an infinite change as null) when compared."""
    content = {
        "a": result.a, "b": result.b,
        "matched": [list(pair) for pair in result.matched],
        "added": result.added, "removed": result.removed,
        "changed": [{"a": c.a, "b": c.b, "fields": list(c.fields)} for c in result.changed],
        "totals": {"params": list(result.totals.params), "macs": list(result.totals.macs)},
        "blocks": [{"block": d.block, "params": list(d.params), "macs": list(d.macs),
                    "added": d.added, "removed": d.removed, "changed": d.changed}
                   for d in result.blocks],
    }
    if weights is not None:
        content["weights"] = [{"node": node, "relative_change": change if math.isfinite(change)
                               else None} for node, change in weight_diff.ranked(weights)]
    return content


def _print_diff(a: LoadedModel, b: LoadedModel, result: ModelDiff,
                weights: dict[str, float] | None) -> None:
    print(f"A: {a.spec.display_name} ({a.spec.name}), input "
          f"{formatting.shape(a.graph.graph[g.INPUT_SHAPE])} · weights: {a.weights}")
    print(f"B: {b.spec.display_name} ({b.spec.name}), input "
          f"{formatting.shape(b.graph.graph[g.INPUT_SHAPE])} · weights: {b.weights}")
    print(formatting.table(
        ("block", "params A", "params B", "Δ params", "MACs A", "MACs B", "Δ MACs", "added",
         "removed", "changed"),
        [_block_row(d) for d in [*result.blocks, result.totals]], right=range(1, 10)))
    totals = result.totals
    print(f"Operations: {a.graph.number_of_nodes()} in A, {b.graph.number_of_nodes()} in B: "
          f"{len(result.matched)} matched ({totals.changed} changed), {totals.added} added, "
          f"{totals.removed} removed")
    _print_by_module("Added", b.graph, result.added)
    _print_by_module("Removed", a.graph, result.removed)
    if result.changed:
        print(f"Changed ({len(result.changed)}):")
        for change in result.changed:
            print(f"  {_describe(change, a.graph, b.graph)}")
    if weights is not None:
        _print_weights(b.graph, weights)


def _block_row(d: BlockDelta) -> Sequence[str]:
    return (d.block, formatting.count(d.params[0]), formatting.count(d.params[1]),
            _signed(d.params_delta, formatting.count), formatting.metric(d.macs[0]),
            formatting.metric(d.macs[1]), _signed(d.macs_delta, formatting.metric),
            str(d.added), str(d.removed), str(d.changed))


def _signed(value: int, written: Callable[[int], str]) -> str:
    return f"+{written(value)}" if value > 0 else f"−{written(-value)}" if value < 0 else "0"


def _print_by_module(title: str, graph: nx.DiGraph, nodes: list[str]) -> None:
    """Nodes grouped by their enclosing module: a few names, then how many in all."""
    if not nodes:
        return
    groups: dict[str, list[str]] = defaultdict(list)
    for node in nodes:
        hierarchy = graph.nodes[node][g.HIERARCHY]
        groups[hierarchy[-1][0] if hierarchy else TOP_LEVEL].append(node)
    print(f"{title} ({len(nodes)}):")
    for module, names in groups.items():
        more = f", … ({len(names)} in all)" if len(names) > _NAMES_SHOWN else ""
        print(f"  {module}: {', '.join(names[:_NAMES_SHOWN])}{more}")


def _describe(change: Change, a: nx.DiGraph, b: nx.DiGraph) -> str:
    """``conv2: config (kernel_size (3, 3) → (5, 5)), output_shape 1×8×28×28 → 1×8×26×26``."""
    x, y = a.nodes[change.a], b.nodes[change.b]
    parts = []
    for field in change.fields:
        if field == "config":
            keys = dict.fromkeys([*x[g.CONFIG], *y[g.CONFIG]])
            parts.append("config (" + ", ".join(
                f"{k} {x[g.CONFIG].get(k, '–')} → {y[g.CONFIG].get(k, '–')}" for k in keys
                if x[g.CONFIG].get(k) != y[g.CONFIG].get(k)) + ")")
        elif field == "output_shape":
            parts.append(f"output_shape {formatting.shape(x[g.OUT_SHAPE])} → "
                         f"{formatting.shape(y[g.OUT_SHAPE])}")
        else:
            parts.append(f"params {formatting.count(x[g.PARAMS])} → "
                         f"{formatting.count(y[g.PARAMS])}")
    pair = change.a if change.a == change.b else f"{change.a} → {change.b}"
    return f"{pair} ({x[g.MODULE_TYPE]}): {'; '.join(parts)}"


def _print_weights(graph: nx.DiGraph, weights: dict[str, float]) -> None:
    moved = [(node, change) for node, change in weight_diff.ranked(weights) if change]
    print(f"Weights: relative change ‖Wb − Wa‖ / ‖Wa‖ of {len(weights)} layers, "
          f"{len(weights) - len(moved)} unchanged")
    if moved:
        print(formatting.table(("layer", "module", "relative change"),
                               [(node, graph.nodes[node][g.QUALNAME], f"{change:.4g}")
                                for node, change in moved], right=(2,)))
