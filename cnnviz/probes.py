"""Probes: a forward pass that calls an observer after every node of the model's cnnviz graph.

:func:`observed_forward` follows the graph's names (as in ``cnnviz.graph``) and calls the
observer with (name, output, seconds); the observer returns the value the rest of the network
gets.

- fx-traced graphs: the model is traced again with torch.fx (same node names) and a probe is
  inserted after every graph node; the generated code calls it, so there is no per-node
  interpretation overhead. A node's time is the wall time from the end of the previous probe
  to the start of its own: the operation plus the generated code's glue (and any bookkeeping
  fx nodes such as ``size()`` calls before it), never the observer.
- recorder graphs (``graph.graph["tracer"] == "recorder"``, e.g. Swin): the recorder
  runs the model again (``trace.record_run``), naming nodes as it did when tracing; a node's
  time is its module's forward (pre-hook to hook) or its function call. The recorder's own
  bookkeeping makes such runs slower than a bare forward, but not the per-node times.

The input and output nodes do no work: their time is 0.

For fx-traced graphs the plan (:class:`FxPlan`) also tells a recorded run which outputs it
need not keep (nodes cheap to recompute: :meth:`FxPlan.recompute` evaluates them again from
kept outputs) and which it may keep without a copy (no later operation can write into them).
"""
from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import networkx as nx
import torch
from torch import nn
from torch.fx import Graph, GraphModule, Interpreter, Node

from cnnviz import graph as g
from cnnviz import trace
from cnnviz.trace import tensors_in

# Nodes whose outputs a recorded run recomputes from its inputs instead of keeping.
RECOMPUTED_CATEGORIES = frozenset({
    g.Category.NORM, g.Category.ACT, g.Category.POOL, g.Category.ADD, g.Category.MUL,
    g.Category.CONCAT, g.Category.RESHAPE, g.Category.DROPOUT,
})
# Nodes that return a new tensor (unless they work in place), not a view of their input.
FRESH_OUTPUT_CATEGORIES = frozenset({
    g.Category.CONV, g.Category.LINEAR, g.Category.NORM, g.Category.POOL, g.Category.ADD,
    g.Category.MUL, g.Category.CONCAT, g.Category.ATTENTION, g.Category.ACT,
})
_IN_PLACE_OPERATORS = frozenset({
    "iadd", "isub", "imul", "itruediv", "ifloordiv", "imod", "ipow", "iand", "ior", "ixor",
    "ilshift", "irshift", "imatmul", "setitem", "__setitem__",
})

# Called after each node with (name, output, seconds); returns the value the rest of the
# network gets.
Observer = Callable[[str, Any, float], Any]


def observed_forward(model: nn.Module, graph: nx.DiGraph, tensor: torch.Tensor,
                     observer: Observer) -> Any:
    """Run ``model`` on ``tensor`` calling ``observer`` after every node of ``graph``, the
    input and output nodes included (with 0 s); returns the model's output."""
    tensor = observer(_input_node(graph), tensor, 0.0)
    if graph.graph[g.TRACER] == trace.FX:
        output = fx_plan(model, graph).forward(tensor, observer)
    else:
        output = trace.record_run(model, tensor, observer)
    return observer(_output_node(graph), output, 0.0)


class FxPlan:
    """A model's fx graph, plain and with a probe after every node of the cnnviz graph."""

    def __init__(self, model: nn.Module, graph: nx.DiGraph) -> None:
        self.reference = trace.fx_module(model)
        self.recomputed = frozenset(name for name, category in graph.nodes(data=g.CATEGORY)
                                    if category in RECOMPUTED_CATEGORIES)
        self._graph_nodes = frozenset(graph.nodes)
        self._nodes = {node.name: node for node in self.reference.graph.nodes}
        categories = dict(graph.nodes(data=g.CATEGORY))
        modules = dict(self.reference.named_modules())
        self.kept_by_reference = frozenset(
            name for name, node in self._nodes.items()
            if name in categories and not _changed_later(node, categories, modules))
        probed = Graph()
        probed.output(probed.graph_copy(self.reference.graph, {}))
        for node in list(probed.nodes):
            if node.name in graph and node.op not in ("placeholder", "output"):
                with probed.inserting_after(node):
                    probe = probed.call_function(self._probe, (node.name, node))
                node.replace_all_uses_with(probe)
                probe.args = (node.name, node)
        self.probed = GraphModule(self.reference, probed)
        self._interpreter = Interpreter(self.reference)
        self._observer: Observer | None = None
        self._resume = 0.0

    def forward(self, tensor: torch.Tensor, observer: Observer) -> Any:
        """Run the probed graph, calling ``observer`` after every graph node."""
        self._observer = observer
        self._resume = time.perf_counter()
        try:
            return self.probed(tensor)
        finally:
            self._observer = None

    def _probe(self, name: str, value: Any) -> Any:
        seconds = time.perf_counter() - self._resume
        assert self._observer is not None
        result = self._observer(name, value, seconds)
        self._resume = time.perf_counter()
        return result

    def recompute(self, name: str, seeds: Mapping[str, Any]) -> torch.Tensor | None:
        """Graph node ``name``'s output recomputed from the seeds' outputs, or None."""
        if name not in self._graph_nodes:
            return None
        target = self._nodes[name]
        needed = self._needed(target, seeds)
        if needed is None:
            return None
        environment = self._interpreter.env
        try:
            for node in self.reference.graph.nodes:
                if node.name in seeds and node in needed:
                    # copies: in-place operations must not change the store
                    environment[node] = map_tensors_in(seeds[node.name], torch.clone)
                elif node in needed:
                    environment[node] = self._interpreter.run_node(node)
            return first_tensor(environment[target])
        finally:
            environment.clear()

    def _needed(self, target: Node, seeds: Mapping[str, Any]) -> set[Node] | None:
        """The nodes to evaluate for ``target``, seeds included; None when one is missing."""
        needed: set[Node] = set()
        pending = [target]
        while pending:
            node = pending.pop()
            if node in needed:
                continue
            needed.add(node)
            if node.name in seeds:
                continue
            if node.op == "placeholder" or (node.name in self._graph_nodes
                                            and node.name not in self.recomputed):
                return None
            pending.extend(node.all_input_nodes)
        return needed


def _changed_later(node: Node, categories: Mapping[str, g.Category],
                   modules: Mapping[str, nn.Module]) -> bool:
    """Whether an operation after ``node`` may write into its output (or a view of it).

    Users that make a new tensor (a convolution, an addition, ...) end the search; any other
    user might return a view, so its users are searched too.
    """
    pending, seen = [node], {node}
    while pending:
        current = pending.pop()
        for user in current.users:
            in_place = _writes_in_place(user, modules)
            if in_place and user.args and user.args[0] is current:
                return True
            if (in_place or categories.get(user.name) not in FRESH_OUTPUT_CATEGORIES) \
                    and user not in seen:
                seen.add(user)
                pending.append(user)
    return False


def _writes_in_place(node: Node, modules: Mapping[str, nn.Module]) -> bool:
    """Whether an fx node writes into its first argument: ``inplace=True`` modules and
    calls, ``relu_``-style methods and functions, augmented assignment and item assignment."""
    if node.op == "call_module":
        return getattr(modules.get(str(node.target)), "inplace", False) is True
    if node.op == "call_function":
        name = getattr(node.target, "__name__", "")
    elif node.op == "call_method":
        name = str(node.target)
    else:
        return False
    return (node.kwargs.get("inplace") is True or name in _IN_PLACE_OPERATORS
            or (name.endswith("_") and not name.endswith("__")))


_plans: weakref.WeakKeyDictionary[nn.Module, FxPlan] = weakref.WeakKeyDictionary()


def fx_plan(model: nn.Module, graph: nx.DiGraph) -> FxPlan:
    """The model's plan, built on first use (tracing again takes 0.05–0.3 s)."""
    plan = _plans.get(model)
    if plan is None:
        plan = _plans[model] = FxPlan(model, graph)
    return plan


def _input_node(graph: nx.DiGraph) -> str:
    return next(n for n, category in graph.nodes(data=g.CATEGORY) if category == g.Category.INPUT)


def _output_node(graph: nx.DiGraph) -> str:
    return next(n for n, category in graph.nodes(data=g.CATEGORY)
                if category == g.Category.OUTPUT)


def first_tensor(value: Any) -> torch.Tensor | None:
    """The first tensor in a node's output (tuples and lists are searched), or None."""
    return next(tensors_in(value), None)


def map_tensors_in(value: Any, function: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """``value`` with ``function`` applied to each tensor in it; tuples keep their type."""
    if isinstance(value, torch.Tensor):
        return function(value)
    if isinstance(value, (tuple, list)):
        items = [map_tensors_in(item, function) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    return value
