"""App state, Qt-free: the loaded model, what the diagram shows of it, the selection and the
search. ``Session`` is their only owner.

The work that produces state (``load_model``, ``make_diagram``) runs on the torch worker, and
this module imports torch only there, so that the window can show before torch has loaded; the
``Session`` holds the results on the GUI side and tells its listeners what changed, with the
new value, the way napari's components notify their Qt views. A diagram made for a model that
is no longer loaded is refused, so nothing drawn can belong to another model.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import networkx as nx

from cnnviz import analysis, diagram, folding, zoo
from cnnviz import graph as g
from cnnviz.diff import ModelDiff
from cnnviz.errors import CnnvizError, out_of_memory_reported
from cnnviz.layout import Layout
from cnnviz.layout.geometry import TOP_TO_BOTTOM
from cnnviz.references import ModelFile, ModelReference, resolve_model

if TYPE_CHECKING:
    from torch import nn

# A fully expanded diagram up to this many operations; larger models open collapsed.
EXPANDED_UP_TO = 300
# Repeated blocks open folded in models of more than this many operations.
FOLDED_ABOVE = 1000


@dataclass(frozen=True)
class DiagramView:
    """How the diagram shows the model: blocks collapsed at ``depth`` (None: none) with
    per-block exceptions; repeated sibling blocks folded into stacks (``fold``) except the
    stacks the user unfolded (by their first block's path); edges running ``orientation``."""

    depth: int | None = None
    collapsed: frozenset[str] = frozenset()
    expanded: frozenset[str] = frozenset()
    fold: bool = False
    unfolded: frozenset[str] = frozenset()
    orientation: str = TOP_TO_BOTTOM

    def with_depth(self, depth: int | None) -> "DiagramView":
        """The whole model at a new depth; per-block choices are reset."""
        return DiagramView(depth, fold=self.fold, orientation=self.orientation)

    def with_folding(self, fold: bool) -> "DiagramView":
        """Repeats folded (every stack) or not."""
        return replace(self, fold=fold, unfolded=frozenset())

    def with_orientation(self, orientation: str) -> "DiagramView":
        """The same diagram, edges running ``tb`` (down) or ``lr`` (right)."""
        return replace(self, orientation=orientation)

    def unfolding(self, stack: str) -> "DiagramView":
        """The stack named after its first block ``stack`` shown as its blocks again."""
        return replace(self, unfolded=self.unfolded | {stack})

    def expanded_all(self) -> "DiagramView":
        """Every operation: no collapsed block, no folded stack."""
        return DiagramView(orientation=self.orientation)

    def toggled(self, path: str, is_collapsed_now: bool) -> "DiagramView":
        """Expand the block at ``path`` if it is drawn collapsed, else collapse it."""
        if is_collapsed_now:
            return replace(self, collapsed=self.collapsed - {path},
                           expanded=self.expanded | {path})
        return replace(self, collapsed=self.collapsed | {path},
                       expanded=self.expanded - {path})


@dataclass(frozen=True)
class ModelRequest:
    """What to open (a resolved zoo model or model file) and how (see :func:`load_model`)."""

    reference: ModelReference
    weights: str = "random"
    trust: bool = False
    input_shape: tuple[int, ...] | None = None
    arguments: str = ""

    @classmethod
    def of(cls, text: str, weights: str = "random", trust: bool = False,
           input_shape: tuple[int, ...] | None = None, arguments: str = "") -> "ModelRequest":
        """The request for the model ``text`` names (:func:`~cnnviz.references.resolve_model`):
        for where text enters, the command line and scripts."""
        return cls(resolve_model(text), weights, trust, input_shape, arguments)

    def load(self) -> "LoadedModel":
        return load_model(self)


@dataclass(frozen=True)
class LoadedModel:
    """A built, traced model, the request that opened it, and its repeated blocks."""

    request: ModelRequest
    spec: zoo.ModelSpec
    weights: str
    model: nn.Module
    graph: nx.DiGraph
    repeats: tuple[folding.Repeat, ...] = ()


@dataclass(frozen=True)
class Diagram:
    """What the diagram draws of ``model``: the (partly collapsed) graph and its layout."""

    model: LoadedModel
    view: DiagramView
    graph: nx.DiGraph
    layout: Layout


def load_model(request: ModelRequest) -> LoadedModel:
    """Build a zoo model, or open a user's model file (running its code needs
    ``request.trust``: see ``cnnviz.sources``), and trace it on an input of
    ``request.input_shape`` (default: the model's own size; worker thread)."""
    import torch

    from cnnviz import sources
    from cnnviz.trace import trace_model

    reference = request.reference
    if isinstance(reference, ModelFile):
        if request.weights != "random":
            raise CnnvizError("weights apply to zoo models: a model file brings its own")
        user = sources.load_user_model(reference, trust=request.trust,
                                       arguments=request.arguments)
        graph = sources.trace_user_model(user, request.input_shape)
        spec = zoo.user_spec(user_model_name(user.name), user.name, graph.graph[g.INPUT_SHAPE])
        return LoadedModel(request, spec, "file", user.module, graph,
                           tuple(folding.find_repeats(graph)))
    if request.arguments:
        raise CnnvizError("constructor arguments apply to models opened from a .py file")
    spec = reference.spec
    model = zoo.build_model(spec.name, request.weights)
    shape = request.input_shape or (1, 3, spec.input_size, spec.input_size)
    with out_of_memory_reported(f"making a {'×'.join(map(str, shape))} input"):
        example = torch.zeros(shape)
    graph = trace_model(model, example, spec.name)
    return LoadedModel(request, spec, str(request.weights), model, graph,
                       tuple(folding.find_repeats(graph)))


def user_model_name(label: str) -> str:
    """A user's model's name, fit for a file name: ``net.py:Net`` → ``net.Net``."""
    file, _, attribute = label.partition(":")
    return f"{file.removesuffix('.py')}.{attribute}" if attribute else file


def default_view(graph: nx.DiGraph, orientation: str = TOP_TO_BOTTOM,
                 fold: bool | None = None) -> DiagramView:
    """Small models fully expanded; big ones at the deepest depth that stays small; repeats
    folded as ``fold`` says, by default in the biggest models only."""
    fold = graph.number_of_nodes() > FOLDED_ABOVE if fold is None else fold
    if graph.number_of_nodes() <= EXPANDED_UP_TO:
        return DiagramView(fold=fold, orientation=orientation)
    for depth in range(max_depth(graph), 1, -1):
        if analysis.collapse(graph, depth=depth).number_of_nodes() <= EXPANDED_UP_TO:
            return DiagramView(depth, fold=fold, orientation=orientation)
    return DiagramView(1, fold=fold, orientation=orientation)


def max_depth(graph: nx.DiGraph) -> int:
    """How deeply the model's modules nest."""
    return max((len(a[g.HIERARCHY]) for _, a in graph.nodes(data=True)), default=0)


def make_diagram(loaded: LoadedModel, view: DiagramView) -> Diagram:
    """Collapse the model's graph and fold its repeats as ``view`` says, and lay it out
    (worker thread)."""
    shown = analysis.collapse(loaded.graph, depth=view.depth, collapsed=view.collapsed,
                              expanded=view.expanded)
    if view.fold:
        shown = folding.fold(shown, loaded.graph, loaded.repeats, view.unfolded)
    return Diagram(loaded, view, shown, diagram.lay_out(shown, view.orientation))


@dataclass(frozen=True)
class DiagramChange:
    """The ``diagram`` event: the new diagram, and whether the view keeps its viewport."""

    diagram: Diagram
    keep_view: bool


@dataclass(frozen=True)
class Search:
    """The ``search`` event: the text searched for and the matching nodes, top to bottom."""

    text: str = ""
    matches: tuple[str, ...] = ()


@dataclass
class Session:
    """The current model, diagram, selection and search, with listeners for each change.

    Events and what their listeners receive: ``model`` (the LoadedModel), ``diagram`` (a
    DiagramChange), ``selection`` (the node's name, "" when none), ``search`` (a Search) and
    ``changes`` (what changed since the previous version of a reloaded model file: a
    ModelDiff of the previous graph against the loaded one, or None).
    """

    loaded: LoadedModel | None = None
    diagram: Diagram | None = None
    selection: str = ""
    search: Search = Search()
    changes: ModelDiff | None = None
    _match_index: int = -1
    _listeners: dict[str, list[Callable[[Any], None]]] = field(default_factory=dict)

    def subscribe(self, event: str, callback: Callable[[Any], None]) -> None:
        """Call ``callback(payload)`` after each change of ``event``."""
        self._listeners.setdefault(event, []).append(callback)

    def is_current(self, model: LoadedModel) -> bool:
        """Whether ``model`` is the one loaded: results for any other are dropped."""
        return model is self.loaded

    def set_model(self, loaded: LoadedModel) -> None:
        """A new model: its diagram comes separately; the selection, search and changes are
        cleared."""
        self.loaded, self.diagram, self.selection = loaded, None, ""
        self.search, self._match_index, self.changes = Search(), -1, None
        self._notify("model", loaded)

    def set_changes(self, changes: ModelDiff | None) -> None:
        """Mark what changed since the previous version of the loaded model (None: clear)."""
        self.changes = changes
        self._notify("changes", changes)

    def set_diagram(self, diagram_: Diagram, keep_view: bool = False) -> bool:
        """Show a new diagram of the loaded model; a diagram of another model is refused
        (False). The selection survives when its node is still drawn; search matches are
        found again in the new diagram."""
        if not self.is_current(diagram_.model):
            return False
        self.diagram = diagram_
        lost = bool(self.selection) and self.selection not in diagram_.graph
        if lost:
            self.selection = ""
        self._set_search(self.search.text)
        self._notify("diagram", DiagramChange(diagram_, keep_view))
        if lost:
            self._notify("selection", "")
        return True

    def select(self, name: str) -> None:
        """Select a node of the current diagram ("" clears); KeyError for a node not drawn."""
        if name and (self.diagram is None or name not in self.diagram.graph):
            raise KeyError(name)
        if name != self.selection:
            self.selection = name
            self._notify("selection", name)

    def find(self, text: str) -> tuple[str, ...]:
        """Match nodes whose name, module path or type contains ``text`` (any case) and select
        the first; "" clears the search. Returns the matches, top to bottom."""
        self._set_search(text)
        self.next_match()
        return self.search.matches

    def next_match(self) -> str:
        """Select the next match, cycling; "" when there are none."""
        matches = self.search.matches
        if not matches:
            return ""
        self._match_index = (self._match_index + 1) % len(matches)
        self.select(matches[self._match_index])
        return matches[self._match_index]

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

    def _set_search(self, text: str) -> None:
        matches = ()
        if text and self.diagram is not None:
            matches = tuple(diagram.matching_nodes(self.diagram.graph, self.diagram.layout, text))
        self.search, self._match_index = Search(text, matches), -1
        self._notify("search", self.search)

    def _notify(self, event: str, payload: Any) -> None:
        for callback in self._listeners.get(event, []):
            callback(payload)
