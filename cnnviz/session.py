"""App state, Qt-free: the loaded model, what the diagram shows of it, and the selection.

The work that produces state (``load_model``, ``make_diagram``) runs on the torch worker; the
``Session`` holds the results on the GUI side and tells its listeners what changed, the way
napari's components notify their Qt views.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import networkx as nx
import torch
from torch import nn

from cnnviz import analysis, diagram, sources, zoo
from cnnviz import graph as g
from cnnviz.errors import CnnvizError, out_of_memory_reported
from cnnviz.layout import Layout
from cnnviz.trace import trace_model

# A fully expanded diagram up to this many operations; larger models open collapsed.
EXPANDED_UP_TO = 300


@dataclass(frozen=True)
class DiagramView:
    """Which blocks the diagram collapses: all at ``depth`` (None: none), plus exceptions."""

    depth: int | None = None
    collapsed: frozenset[str] = frozenset()
    expanded: frozenset[str] = frozenset()

    def with_depth(self, depth: int | None) -> "DiagramView":
        """The whole model at a new depth; per-block choices are reset."""
        return DiagramView(depth)

    def toggled(self, path: str, is_collapsed_now: bool) -> "DiagramView":
        """Expand the block at ``path`` if it is drawn collapsed, else collapse it."""
        if is_collapsed_now:
            return replace(self, collapsed=self.collapsed - {path},
                           expanded=self.expanded | {path})
        return replace(self, collapsed=self.collapsed | {path},
                       expanded=self.expanded - {path})


@dataclass(frozen=True)
class LoadedModel:
    """A built, traced model."""

    spec: zoo.ModelSpec
    weights: str
    model: nn.Module
    graph: nx.DiGraph


@dataclass(frozen=True)
class Diagram:
    """What the diagram draws: the (partly collapsed) graph and its layout."""

    view: DiagramView
    graph: nx.DiGraph
    layout: Layout


def load_model(name: str, weights: str = "random", *, trust: bool = False,
               input_shape: tuple[int, ...] | None = None, arguments: str = "") -> LoadedModel:
    """Build a zoo model, or open a user's model file (``FILE.py:NAME``, ``.pt``, ``.pt2``:
    see ``cnnviz.sources``; running its code needs ``trust``), and trace it on an input of
    ``input_shape`` (default: the model's own size; worker thread)."""
    if sources.is_model_reference(name):
        if weights != "random":
            raise CnnvizError("weights apply to zoo models: a model file brings its own")
        user = sources.load_user_model(name, trust=trust, arguments=arguments)
        graph = sources.trace_user_model(user, input_shape)
        reference = f"{user.path}:{user.name.rsplit(':', 1)[1]}" if user.kind == "python" \
            else user.path
        spec = zoo.user_spec(reference, user.name, graph.graph[g.INPUT_SHAPE])
        return LoadedModel(spec, "file", user.module, graph)
    if arguments:
        raise CnnvizError("constructor arguments apply to models opened from a .py file")
    spec = zoo.get_spec(name)
    model = zoo.build_model(spec.name, weights)
    shape = input_shape or (1, 3, spec.input_size, spec.input_size)
    with out_of_memory_reported(f"making a {'×'.join(map(str, shape))} input"):
        example = torch.zeros(shape)
    return LoadedModel(spec, str(weights), model, trace_model(model, example, spec.name))


@dataclass(frozen=True)
class ModelRequest:
    """What to open: a zoo name or a model file, with how to open it (see :func:`load_model`)."""

    name: str
    weights: str = "random"
    trust: bool = False
    input_shape: tuple[int, ...] | None = None
    arguments: str = ""

    def load(self) -> LoadedModel:
        return load_model(self.name, self.weights, trust=self.trust,
                          input_shape=self.input_shape, arguments=self.arguments)


def default_view(graph: nx.DiGraph) -> DiagramView:
    """Small models fully expanded; big ones at the deepest depth that stays small."""
    if graph.number_of_nodes() <= EXPANDED_UP_TO:
        return DiagramView()
    for depth in range(max_depth(graph), 1, -1):
        if analysis.collapse(graph, depth=depth).number_of_nodes() <= EXPANDED_UP_TO:
            return DiagramView(depth)
    return DiagramView(1)


def max_depth(graph: nx.DiGraph) -> int:
    """How deeply the model's modules nest."""
    return max((len(a[g.HIERARCHY]) for _, a in graph.nodes(data=True)), default=0)


def make_diagram(graph: nx.DiGraph, view: DiagramView) -> Diagram:
    """Collapse the graph as ``view`` says and lay it out (worker thread)."""
    shown = analysis.collapse(graph, depth=view.depth, collapsed=view.collapsed,
                              expanded=view.expanded)
    return Diagram(view, shown, diagram.lay_out(shown))


@dataclass
class Session:
    """The current model, diagram and selection, with listeners for each change."""

    loaded: LoadedModel | None = None
    diagram: Diagram | None = None
    selection: str = ""
    _listeners: dict[str, list[Callable[[], None]]] = field(default_factory=dict)

    def subscribe(self, event: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each ``model``, ``diagram`` or ``selection`` change."""
        self._listeners.setdefault(event, []).append(callback)

    def set_model(self, loaded: LoadedModel) -> None:
        """A new model: its diagram comes separately; the selection is cleared."""
        self.loaded, self.diagram, self.selection = loaded, None, ""
        self._notify("model")

    def set_diagram(self, diagram_: Diagram) -> None:
        """A new diagram; the selection survives when its node is still drawn."""
        self.diagram = diagram_
        if self.selection not in diagram_.graph:
            self.selection = ""
        self._notify("diagram")

    def select(self, name: str) -> None:
        """Select a node of the current diagram ("" clears)."""
        if self.diagram is not None and name and name not in self.diagram.graph:
            raise KeyError(name)
        if name != self.selection:
            self.selection = name
            self._notify("selection")

    def selected_attributes(self) -> dict | None:
        """The selected node's attributes, or None."""
        if not self.selection or self.diagram is None:
            return None
        return self.diagram.graph.nodes[self.selection]

    def block_children(self, name: str) -> list[dict] | None:
        """For a collapsed block, its members' attributes in order; else None."""
        if self.loaded is None or self.diagram is None:
            return None
        attrs = self.diagram.graph.nodes[name]
        if attrs[g.CATEGORY] != g.Category.BLOCK:
            return None
        return [self.loaded.graph.nodes[child] for child in attrs[g.CHILDREN]]

    def producing_node(self, name: str) -> str:
        """The operation whose output a drawn node shows: a collapsed block's last output."""
        if self.loaded is None or self.diagram is None:
            return name
        attrs = self.diagram.graph.nodes[name]
        if attrs[g.CATEGORY] != g.Category.BLOCK:
            return name
        children = set(attrs[g.CHILDREN])
        full = self.loaded.graph
        exits = [c for c in attrs[g.CHILDREN] if any(s not in children for s in full.successors(c))]
        return (exits or list(attrs[g.CHILDREN]))[-1]

    def _notify(self, event: str) -> None:
        for callback in self._listeners.get(event, []):
            callback()
