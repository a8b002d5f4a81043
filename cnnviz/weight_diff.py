"""How far each layer's weights moved between two checkpoints of one architecture.

A layer's relative change is ‖Wb − Wa‖ / ‖Wa‖, the Frobenius norm taken over all the
parameters of the layer's module (its submodules' included; buffers such as batch norm's
running statistics are not parameters and do not count). Where A's weights are all zero the
ratio is undefined: the change is ``0.0`` if B's are zero too, else ``inf`` (an absolute ‖Wb‖
would read as a ratio on the same scale as the others, which it is not).
"""
from __future__ import annotations

import math

from typing import TYPE_CHECKING

import networkx as nx

from cnnviz import graph as g
from cnnviz.errors import CnnvizError

if TYPE_CHECKING:
    from torch import nn


def relative_changes(graph: nx.DiGraph, a: nn.Module, b: nn.Module) -> dict[str, float]:
    """Each layer's relative weight change from ``a`` to ``b``, two models of the architecture
    ``graph`` was traced from, keyed by node name (call_module nodes whose module has
    parameters; a module called twice gives each call its value), in graph order.

    Raises :class:`~cnnviz.errors.CnnvizError` when a layer's parameters differ in name or
    shape between the two models.
    """
    changes = {}
    for name, attrs in graph.nodes(data=True):
        if attrs[g.OP] != "call_module":
            continue
        before = dict(a.get_submodule(attrs[g.TARGET]).named_parameters())
        after = dict(b.get_submodule(attrs[g.TARGET]).named_parameters())
        if not before and not after:
            continue
        if {k: v.shape for k, v in before.items()} != {k: v.shape for k, v in after.items()}:
            raise CnnvizError(f"layer {attrs[g.QUALNAME]} has parameters of other names or "
                              "shapes in the second model: its weights cannot be compared")
        moved = sum(float((after[k].detach().double() - w.detach().double()).square().sum())
                    for k, w in before.items())
        size = sum(float(w.detach().double().square().sum()) for w in before.values())
        changes[name] = math.sqrt(moved / size) if size else (math.inf if moved else 0.0)
    return changes


def ranked(changes: dict[str, float]) -> list[tuple[str, float]]:
    """(node, relative change) pairs, largest change first (graph order among equals)."""
    return sorted(changes.items(), key=lambda item: -item[1])
