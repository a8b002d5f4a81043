"""Folded repeats: runs of consecutive sibling blocks of one module class whose operation graphs
match, drawn as one stack node with their summed numbers (ResNet-50's ``layer3.1–5 ×5``).

Blocks match when their operations, taken in execution order, have the same operators, kernel
sizes, strides, padding and dilation, and are wired the same way among themselves; channel
counts may differ (DenseNet's dense layers), and so may how many tensors enter from outside.
Consecutive means that nothing else runs between them (no operation, no other module) and that
each reads the output of the one before: parallel branches built alike (GoogLeNet's branch2 and
branch3, both 3×3 in torchvision) are not a repeat.

:func:`find_repeats` finds the runs once per model, in the full graph; :func:`fold` draws them
folded in any collapsed view of it. A stack's node name is its :attr:`Repeat.key`, the key that
keeps it unfolded.
"""
from __future__ import annotations

import functools
import os
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import networkx as nx

from cnnviz import analysis
from cnnviz import graph as g
from cnnviz.analysis import Block
from cnnviz.graph import Category

_WINDOW = ("stride", "padding", "dilation")


@dataclass(frozen=True)
class Repeat:
    """Consecutive sibling blocks of ``module_type`` inside ``parent`` ("" for the model) whose
    operation graphs match; ``members`` are their module paths in execution order (2 or more)."""

    parent: str
    module_type: str
    members: tuple[str, ...]

    @property
    def key(self) -> str:
        """The first member's path: the stack node's name, and its key in ``unfolded``."""
        return self.members[0]


def find_repeats(graph: nx.DiGraph) -> list[Repeat]:
    """Every run of repeated blocks in the full traced ``graph``, outer runs first.

    A run's operations are one stretch of the execution order, so folding it keeps a DAG.
    """
    index = {name: i for i, name in enumerate(graph)}  # insertion order is execution order
    siblings: dict[str, list[Block]] = defaultdict(list)
    for block in analysis.blocks(graph).values():
        if index[block.members[-1]] - index[block.members[0]] + 1 == len(block.members):
            siblings[_parent(graph, block)].append(block)  # only blocks that run uninterrupted

    @functools.cache
    def signature(block: Block) -> tuple:
        return _signature(graph, block.members)

    def extends(previous: Block, block: Block) -> bool:
        """Whether ``block`` runs right after ``previous``, reads it and matches it."""
        start, end = index[block.members[0]], index[block.members[-1]]
        return (start == index[previous.members[-1]] + 1
                and block.module_type == previous.module_type
                and any(start <= index[s] <= end
                        for op in previous.members for s in graph.successors(op))
                and signature(block) == signature(previous))

    found: list[tuple[int, int, Repeat]] = []
    for parent, children in siblings.items():
        runs: list[list[Block]] = []
        for block in sorted(children, key=lambda b: index[b.members[0]]):
            if runs and extends(runs[-1][-1], block):
                runs[-1].append(block)
            else:
                runs.append([block])
        found += [(run[0].level, index[run[0].members[0]],
                   Repeat(parent, run[0].module_type, tuple(b.path for b in run)))
                  for run in runs if len(run) > 1]
    return [repeat for *_, repeat in sorted(found, key=lambda item: item[:2])]


def _parent(graph: nx.DiGraph, block: Block) -> str:
    hierarchy = graph.nodes[block.members[0]][g.HIERARCHY]
    return hierarchy[block.level - 2][0] if block.level > 1 else ""


def _signature(graph: nx.DiGraph, names: Sequence[str]) -> tuple:
    """What must match between repeated blocks, operation by operation (execution order)."""
    local = {name: i for i, name in enumerate(names)}
    return tuple(_operation(graph, name, local) for name in names)


def _operation(graph: nx.DiGraph, name: str, local: dict[str, int]) -> tuple:
    """The operator and its window, which operations of the block feed it (by position), and
    whether it reads from or feeds the outside."""
    attrs = graph.nodes[name]
    return (attrs[g.OP], attrs[g.MODULE_TYPE], _window(attrs),
            tuple(sorted(local[p] for p in graph.predecessors(name) if p in local)),
            any(p not in local for p in graph.predecessors(name)),
            any(s not in local for s in graph.successors(name)))


def _window(attrs: dict) -> tuple:
    """Kernel size, stride, padding and dilation, where the operation has them."""
    config = attrs[g.CONFIG]
    kernel = config.get("kernel_size")
    if kernel is None and attrs[g.CATEGORY] == Category.CONV and len(attrs[g.IN_SHAPES]) > 1:
        kernel = attrs[g.IN_SHAPES][1][2:]  # a functional convolution: its weight's extent
    return (kernel, *(config.get(key) for key in _WINDOW))


def fold(shown: nx.DiGraph, full: nx.DiGraph, repeats: Sequence[Repeat],
         unfolded: Collection[str] = frozenset()) -> nx.DiGraph:
    """``shown`` (``full`` or a collapse of it) with each repeat drawn as one stack node.

    A repeat whose key is in ``unfolded`` stays as it is, and so does one that ``shown`` cannot
    fold: where a drawn node stands for operations of more than one member, or of a member and
    something else (its parent collapsed, or an outer repeat folded: ``repeats`` are taken in
    order). The stack is a block node (see :func:`_stack_attributes`) named ``repeat.key``; edges
    to and from its members are merged onto it and those among them dropped.
    """
    drawn = {name: attrs.get(g.CHILDREN, (name,)) for name, attrs in shown.nodes(data=True)}
    owner = {op: name for name, ops in drawn.items() for op in ops}
    size = {name: len(ops) for name, ops in drawn.items()}
    modules = analysis.blocks(full)
    stacks: dict[str, Repeat] = {}
    for repeat in repeats:
        members = [modules[path].members for path in repeat.members]
        if repeat.key in unfolded or not all(_drawn_alone(ops, owner, size) for ops in members):
            continue
        for op in (op for ops in members for op in ops):
            owner[op] = repeat.key
        size[repeat.key] = sum(map(len, members))
        stacks[repeat.key] = repeat
    group_of = {name: owner[ops[0]] for name, ops in drawn.items()}
    return analysis.contract(shown, group_of,
                             lambda key, _: _stack_attributes(full, stacks[key], modules))


def _drawn_alone(ops: tuple[str, ...], owner: dict[str, str], size: dict[str, int]) -> bool:
    """Whether the drawn nodes standing for ``ops`` stand for nothing else."""
    return sum(size[node] for node in {owner[op] for op in ops}) == len(ops)


def _stack_attributes(full: nx.DiGraph, repeat: Repeat, modules: dict[str, Block]) -> dict:
    """The stack node of ``repeat``: a block node for all its members' operations (as
    :func:`analysis.collapse` makes them) named ``repeat.key``, labelled with
    :func:`range_label`, with ``repeat`` (the count) and ``members`` (the module paths)."""
    names = [op for path in repeat.members for op in modules[path].members]
    return analysis.block_attributes(full, repeat.key, names) | {
        g.QUALNAME: range_label(repeat.members), g.REPEAT: len(repeat.members),
        g.MEMBERS: repeat.members}


def range_label(paths: Sequence[str]) -> str:
    """The first path, a dash, and where the last differs: ``layer3.1–5``, ``inception4a–e``,
    ``features.denseblock3.denselayer1–24``; a number is never cut (``block1–12``)."""
    first, last = paths[0], paths[-1]
    common = len(os.path.commonprefix([first, last]))
    while common and first[common - 1].isdigit() \
            and any(path[common:common + 1].isdigit() for path in (first, last)):
        common -= 1
    return f"{first}–{last[common:]}"
