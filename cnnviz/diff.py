"""Which operations two traced models share: the diff of their full graphs (Qt- and torch-free).

Operations of A and B are matched in two passes:

1. **By module path.** The module trees are aligned from the root down: a child module pairs
   with the child of the same name and type in the matched parent; the children left over
   (positional names such as ``features.3``, renumbered when a layer is inserted before them;
   renamed children) pair by aligning their sequences as in pass 2. An operation is then keyed
   by its module (a module call by the module called, a function by its enclosing module), its
   operator and its occurrence there: the second call of ResNet's shared ``relu``, a block's
   first ``add``. fx counter names (``add_3``) that shift between models play no part.
2. **Structurally.** The operations pass 1 left unmatched are aligned along the execution
   order, stretch by stretch between matched anchors (the longest chain of pass-1 matches in
   the same order in both), with difflib's SequenceMatcher on their signatures (operator and
   configuration), then, where those disagree, on the operator alone.

A matched pair is *same*, or *changed* in some of :data:`FIELDS`: ``config`` (the operator's
configuration), ``output_shape`` and ``params`` (its parameter count). An operation of B with no
match is *added*; one of A with none is *removed*. The block summary sums params and MACs by
top-level block (the first element of ``hierarchy``; :data:`TOP_LEVEL` for the rest).
"""
from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import Enum
from functools import cached_property

import networkx as nx

from cnnviz import graph as g

# What a changed pair's ``fields`` may hold, each with the node attribute it compares.
FIELDS: tuple[tuple[str, str], ...] = (
    ("config", g.CONFIG), ("output_shape", g.OUT_SHAPE), ("params", g.PARAMS))
# The block of operations outside every module but the model itself, and the totals' name.
TOP_LEVEL = "(top level)"
TOTAL = "(total)"


class NodeClass(str, Enum):
    """How an operation fares in the diff."""

    SAME = "same"
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class Change:
    """A matched pair that differs: A's node, B's node and the names of the changed fields."""

    a: str
    b: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class BlockDelta:
    """One top-level block (or the totals): params and MACs in A and B, and how many of its
    operations were added, removed or changed."""

    block: str
    params: tuple[int, int]
    macs: tuple[int, int]
    added: int = 0
    removed: int = 0
    changed: int = 0

    @property
    def params_delta(self) -> int:
        """B's params minus A's."""
        return self.params[1] - self.params[0]

    @property
    def macs_delta(self) -> int:
        """B's MACs minus A's."""
        return self.macs[1] - self.macs[0]


@dataclass(frozen=True)
class ModelDiff:
    """The diff of model A (``a``, its name) against model B: matched pairs (changed ones
    included) in A's execution order, B's added and A's removed nodes, the changed pairs, the
    blocks in order of appearance and the totals."""

    a: str
    b: str
    matched: list[tuple[str, str]]
    added: list[str]
    removed: list[str]
    changed: list[Change]
    blocks: list[BlockDelta]
    totals: BlockDelta

    @property
    def same_architecture(self) -> bool:
        """Whether every operation matched, unchanged."""
        return not (self.added or self.removed or self.changed)

    def counterpart_in_b(self, a_node: str) -> str | None:
        """The node of B that A's ``a_node`` matched, or None (removed)."""
        return self._b_of.get(a_node)

    def counterpart_in_a(self, b_node: str) -> str | None:
        """The node of A that B's ``b_node`` matched, or None (added)."""
        return self._a_of.get(b_node)

    def class_in_a(self, a_node: str) -> NodeClass:
        """SAME, CHANGED or REMOVED, for a node of A."""
        if a_node not in self._b_of:
            return NodeClass.REMOVED
        return NodeClass.CHANGED if a_node in self._change_of_a else NodeClass.SAME

    def class_in_b(self, b_node: str) -> NodeClass:
        """SAME, CHANGED or ADDED, for a node of B."""
        if b_node not in self._a_of:
            return NodeClass.ADDED
        return NodeClass.CHANGED if self._a_of[b_node] in self._change_of_a else NodeClass.SAME

    def change_of(self, a_node: str) -> Change | None:
        """The change of A's ``a_node``, None when it is the same or removed."""
        return self._change_of_a.get(a_node)

    @cached_property
    def _b_of(self) -> dict[str, str]:
        return dict(self.matched)

    @cached_property
    def _a_of(self) -> dict[str, str]:
        return {b: a for a, b in self.matched}

    @cached_property
    def _change_of_a(self) -> dict[str, Change]:
        return {change.a: change for change in self.changed}


def combined_class(classes: Iterable[NodeClass]) -> NodeClass:
    """The class of a collapsed block or folded stack from its operations' classes: the
    common class where they all agree, else CHANGED (SAME for none)."""
    distinct = set(classes)
    return distinct.pop() if len(distinct) == 1 else (
        NodeClass.CHANGED if distinct else NodeClass.SAME)


def diff_graphs(a: nx.DiGraph, b: nx.DiGraph) -> ModelDiff:
    """Match the operations of two traced graphs (full graphs, ``LoadedModel.graph``) and
    class them; see the module's docstring for how."""
    side_a, side_b = _Side.of(a), _Side.of(b)
    anchors = _match_by_module(side_a, side_b)
    pairs = {**anchors, **_match_structurally(side_a, side_b, anchors)}
    matched = [(x, pairs[x]) for x in side_a.order if x in pairs]
    changed = [Change(x, y, fields) for x, y in matched
               if (fields := _changed_fields(side_a, x, side_b, y))]
    matched_b = set(pairs.values())
    added = [y for y in side_b.order if y not in matched_b]
    removed = [x for x in side_a.order if x not in pairs]
    blocks = _blocks(side_a, side_b, added, removed, changed)
    totals = BlockDelta(TOTAL, _sum(blocks, "params"), _sum(blocks, "macs"), len(added),
                        len(removed), len(changed))
    return ModelDiff(a.graph.get(g.MODEL, ""), b.graph.get(g.MODEL, ""), matched, added,
                     removed, changed, blocks, totals)


def execution_order(graph: nx.DiGraph) -> list[str]:
    """The nodes in topological order, ties broken by insertion (the order they ran)."""
    index = {name: i for i, name in enumerate(graph)}
    return list(nx.lexicographical_topological_sort(graph, key=index.__getitem__))


# A signature: (kind, detail). An operation's kind is its operator, (op, module_type), and its
# detail the configuration as text; a module's kind is its type, its detail a leaf's
# configuration ("" for containers).
_Signature = tuple[Hashable, str]


@dataclass(frozen=True)
class _Side:
    """One graph with its execution order and its operations' signatures."""

    graph: nx.DiGraph
    order: list[str]
    signature: dict[str, _Signature]

    @classmethod
    def of(cls, graph: nx.DiGraph) -> "_Side":
        return cls(graph, execution_order(graph), {
            name: ((attrs[g.OP], attrs[g.MODULE_TYPE]), repr(sorted(attrs[g.CONFIG].items())))
            for name, attrs in graph.nodes(data=True)})


def _changed_fields(a: _Side, x: str, b: _Side, y: str) -> tuple[str, ...]:
    """The FIELDS that differ between A's ``x`` and B's ``y`` (configurations compared as
    text, so that a NaN equals itself)."""
    return tuple(field for field, attribute in FIELDS
                 if (a.signature[x][1] != b.signature[y][1] if attribute == g.CONFIG
                     else a.graph.nodes[x][attribute] != b.graph.nodes[y][attribute]))


def _module_path(attrs: dict) -> str:
    """The module an operation belongs to: the module called, else the enclosing one ("" for
    the model itself)."""
    if attrs[g.OP] == "call_module":
        return attrs[g.QUALNAME]
    return attrs[g.HIERARCHY][-1][0] if attrs[g.HIERARCHY] else ""


@dataclass
class _ModuleTree:
    """The modules seen in a graph: each one's children in order of first call, and its
    signature."""

    children: dict[str, list[str]]
    signature: dict[str, _Signature]


def _module_tree(side: _Side) -> _ModuleTree:
    tree = _ModuleTree({"": []}, {"": ("", "")})
    for name in side.order:
        attrs = side.graph.nodes[name]
        chain = list(attrs[g.HIERARCHY])
        if attrs[g.OP] == "call_module":
            chain.append((attrs[g.QUALNAME], attrs[g.MODULE_TYPE]))
        parent = ""
        for path, type_name in chain:
            if path not in tree.signature:
                tree.signature[path] = (type_name, "")
                tree.children.setdefault(parent, []).append(path)
                tree.children.setdefault(path, [])
            parent = path
        if attrs[g.OP] == "call_module":
            tree.signature[parent] = (attrs[g.MODULE_TYPE], side.signature[name][1])
    return tree


def _is_positional(path: str) -> bool:
    """A child named by its index (``features.3``, ``layer1.0``), renumbered by insertions."""
    return path.rpartition(".")[2].isdigit()


def _match_modules(a: _ModuleTree, b: _ModuleTree) -> dict[str, str]:
    """A's module paths → B's: children of matched modules pair by name and type, the rest by
    aligning their sequences (signatures first, then types)."""
    mapping = {"": ""}
    pending = [""]
    while pending:
        parent_a = pending.pop()
        parent_b = mapping[parent_a]
        kids_a, kids_b = a.children[parent_a], b.children[parent_b]
        by_name = {_local(k, parent_b): k for k in kids_b if not _is_positional(k)}
        pairs = {ka: kb for ka in kids_a if not _is_positional(ka)
                 and (kb := by_name.get(_local(ka, parent_a))) is not None
                 and a.signature[ka][0] == b.signature[kb][0]}
        rest_a = [k for k in kids_a if k not in pairs]
        taken = set(pairs.values())
        rest_b = [k for k in kids_b if k not in taken]
        for i, j in _align([a.signature[k] for k in rest_a], [b.signature[k] for k in rest_b]):
            pairs[rest_a[i]] = rest_b[j]
        mapping.update(pairs)
        pending.extend(pairs)
    return mapping


def _local(path: str, parent: str) -> str:
    return path[len(parent) + 1:] if parent else path


def _align(a: Sequence[_Signature], b: Sequence[_Signature]) -> list[tuple[int, int]]:
    """Index pairs aligning two sequences of (kind, detail) items: equal items first
    (difflib's SequenceMatcher), then equal kinds within each stretch left between those."""
    pairs: list[tuple[int, int]] = []
    whole = SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in whole.get_opcodes():
        if tag == "equal":
            pairs.extend(zip(range(i1, i2), range(j1, j2)))
        elif tag == "replace":
            kinds = SequenceMatcher(None, [x[0] for x in a[i1:i2]], [y[0] for y in b[j1:j2]],
                                    autojunk=False)
            pairs.extend((i1 + block.a + k, j1 + block.b + k)
                         for block in kinds.get_matching_blocks() for k in range(block.size))
    return pairs


def _match_by_module(a: _Side, b: _Side) -> dict[str, str]:
    """Pass 1: operations keyed by (module path, operator, occurrence) in both graphs, A's
    module paths mapped to B's."""
    modules = _match_modules(_module_tree(a), _module_tree(b))
    keys_b = _operation_keys(b)
    return {name: keys_b[key] for key, name in _operation_keys(a, modules).items()
            if key in keys_b}


def _operation_keys(side: _Side, modules: dict[str, str] | None = None) -> dict[tuple, str]:
    """Each operation's (module path, operator, occurrence), its module path renamed by
    ``modules`` when given (operations of modules it lacks get no key)."""
    seen: Counter[tuple] = Counter()
    keys = {}
    for name in side.order:
        path = _module_path(side.graph.nodes[name])
        if modules is not None:
            if path not in modules:
                continue
            path = modules[path]
        kind = (path, side.signature[name][0])
        keys[(*kind, seen[kind])] = name
        seen[kind] += 1
    return keys


def _match_structurally(a: _Side, b: _Side, anchors: dict[str, str]) -> dict[str, str]:
    """Pass 2: align the unmatched operations between consecutive anchors by signature."""
    position_b = {name: i for i, name in enumerate(b.order)}
    chain = _increasing_chain([(i, position_b[anchors[x]])
                               for i, x in enumerate(a.order) if x in anchors])
    matched_b = set(anchors.values())
    pairs = {}
    bounds = [(-1, -1), *chain, (len(a.order), len(b.order))]
    for (start_a, start_b), (end_a, end_b) in zip(bounds, bounds[1:]):
        stretch_a = [x for x in a.order[start_a + 1:end_a] if x not in anchors]
        stretch_b = [y for y in b.order[start_b + 1:end_b] if y not in matched_b]
        if stretch_a and stretch_b:
            found = _align([a.signature[x] for x in stretch_a],
                           [b.signature[y] for y in stretch_b])
            pairs.update((stretch_a[i], stretch_b[j]) for i, j in found)
    return pairs


def _increasing_chain(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of ``points`` (sorted by their first item) whose second items
    increase: the anchors that agree on the order (patience sorting)."""
    tails: list[int] = []  # tails[k]: smallest second item ending a chain of length k + 1
    ends: list[int] = []  # the index in points of that chain's end
    before: list[int] = []
    for index, (_, second) in enumerate(points):
        k = bisect.bisect_left(tails, second)
        if k == len(tails):
            tails.append(second)
            ends.append(index)
        else:
            tails[k], ends[k] = second, index
        before.append(ends[k - 1] if k else -1)
    chain = []
    index = ends[-1] if ends else -1
    while index >= 0:
        chain.append(points[index])
        index = before[index]
    return chain[::-1]


def _block_of(attrs: dict) -> str:
    return attrs[g.HIERARCHY][0][0] if attrs[g.HIERARCHY] else TOP_LEVEL


def _blocks(a: _Side, b: _Side, added: list[str], removed: list[str],
            changed: list[Change]) -> list[BlockDelta]:
    """Params, MACs and counts by top-level block: A's first, in order, then B's new ones."""
    sums: dict[str, list[int]] = {}  # params A, params B, MACs A, MACs B
    for index, side in enumerate((a, b)):
        for name in side.order:
            attrs = side.graph.nodes[name]
            row = sums.setdefault(_block_of(attrs), [0, 0, 0, 0])
            row[index] += attrs[g.PARAMS]
            row[2 + index] += attrs[g.MACS]
    counts = {
        "added": Counter(_block_of(b.graph.nodes[y]) for y in added),
        "removed": Counter(_block_of(a.graph.nodes[x]) for x in removed),
        "changed": Counter(_block_of(b.graph.nodes[c.b]) for c in changed),
    }
    return [BlockDelta(block, (pa, pb), (ma, mb), **{k: c[block] for k, c in counts.items()})
            for block, (pa, pb, ma, mb) in sums.items()]


def _sum(blocks: list[BlockDelta], field: str) -> tuple[int, int]:
    return (sum(getattr(d, field)[0] for d in blocks), sum(getattr(d, field)[1] for d in blocks))


def drawn_classes(drawn: nx.DiGraph, classify: Callable[[str], NodeClass]) -> dict[str, NodeClass]:
    """The class of every node of a drawn (collapsed or folded) graph: an operation's own
    (``classify``, e.g. ``ModelDiff.class_in_b``), a block's or stack's combined from its
    operations'."""
    return {name: combined_class(classify(child) for child in g.operations_of(name, attrs))
            for name, attrs in drawn.nodes(data=True)}
