"""Numbers and structure computed from a traced graph: MACs, receptive fields, memory, shares,
residual joins, and collapsing blocks of the module hierarchy into single nodes.

Conventions: MACs count convolutions, linear layers, matrix products and attention
(torchvision's ``_ops`` convention; FLOPs = 2 × MACs); the receptive field is the theoretical
one, propagated in topological order, the largest per axis at joins, global after any operation
that mixes all positions.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import networkx as nx

from cnnviz import graph as g
from cnnviz.axes import assign_layouts
from cnnviz.graph import Category, ReceptiveField

_NOT_DRAWN_IN_TOTALS = (Category.INPUT, Category.OUTPUT)


def annotate(graph: nx.DiGraph) -> None:
    """Fill in MACs, receptive fields, memory, axis layouts, shares, skip edges and the
    graph's totals."""
    order = list(nx.topological_sort(graph))
    from_input = _depends_on_input(graph, order)
    positions: dict[str, int] = {}
    for name in order:
        attrs = graph.nodes[name]
        attrs[g.MACS] = node_macs(attrs)
        attrs[g.ACTIVATION_BYTES] = activation_bytes(attrs)
        inputs = [p for p in graph.predecessors(name) if p in from_input]
        positions[name] = _positions(attrs, [positions[p] for p in inputs])
        attrs[g.RF] = (receptive_field(attrs, [graph.nodes[p][g.RF] for p in inputs],
                                       max((positions[p] for p in inputs), default=1))
                       if name in from_input else None)
    assign_layouts(graph, order)
    _mark_skip_edges(graph, order, from_input)
    counted = [a for _, a in graph.nodes(data=True) if a[g.CATEGORY] not in _NOT_DRAWN_IN_TOTALS]
    graph.graph[g.TOTAL_PARAMS] = sum(a[g.PARAMS] for a in counted)
    graph.graph[g.TOTAL_TRAINABLE_PARAMS] = sum(a[g.TRAINABLE_PARAMS] for a in counted)
    graph.graph[g.TOTAL_MACS] = sum(a[g.MACS] for a in counted)
    graph.graph[g.TOTAL_ACTIVATION_BYTES] = sum(a[g.ACTIVATION_BYTES] for a in counted)
    for _, attrs in graph.nodes(data=True):
        attrs[g.PARAM_SHARE] = _share(attrs[g.PARAMS], graph.graph[g.TOTAL_PARAMS])
        attrs[g.MAC_SHARE] = _share(attrs[g.MACS], graph.graph[g.TOTAL_MACS])


# --------------------------------------------------------------------------------------------
# MACs and memory


def node_macs(attrs: dict) -> int:
    """Multiply-accumulates of one operation (0 for operations that are not products)."""
    out, ins, config = attrs[g.OUT_SHAPE], attrs[g.IN_SHAPES], attrs[g.CONFIG]
    category, module_type = attrs[g.CATEGORY], attrs[g.MODULE_TYPE]
    if out is None or not ins:
        return 0
    is_module = attrs[g.OP] == "call_module"
    if category == Category.CONV:
        transposed = _is_transposed(attrs)
        if is_module:
            per_output = config["in_channels"] // config["groups"] * math.prod(config["kernel_size"])
            per_input = config["out_channels"] // config["groups"] * math.prod(config["kernel_size"])
        elif len(ins) > 1:  # functional: the weight's shape says it all
            per_output = per_input = math.prod(ins[1][1:])
        else:
            return 0
        return math.prod(ins[0]) * per_input if transposed else math.prod(out) * per_output
    if category == Category.LINEAR:
        if is_module and "in_features" in config:
            return math.prod(out) * config["in_features"]
        if module_type == "linear" and len(ins) > 1:
            return math.prod(out) * ins[1][-1]
        if module_type in ("matmul", "mm", "bmm", "baddbmm", "addmm") and ins[0]:
            return math.prod(out) * ins[0][-1]
        if module_type == "einsum":
            return _einsum_macs(config, ins)
        return 0
    if category == Category.ATTENTION:
        return _attention_macs(attrs)
    return 0


def _is_transposed(attrs: dict) -> bool:
    """A transposed convolution: ConvTranspose2d, conv_transpose2d, or aten's convolution
    with ``transposed`` set."""
    return "transpose" in attrs[g.MODULE_TYPE].lower() \
        or attrs[g.CONFIG].get("transposed") is True


def _einsum_macs(config: dict, ins: list[tuple[int, ...]]) -> int:
    """A two-operand contraction costs the product of the sizes of all its indices."""
    equation = next((v for v in config.values() if isinstance(v, str) and "->" in v), None)
    if equation is None or len(ins) != 2:
        return 0
    operands = equation.replace(" ", "").split("->")[0].split(",")
    sizes: dict[str, int] = {}
    for letters, shape in zip(operands, ins):
        if "." in letters or len(letters) != len(shape):
            return 0  # ellipses: not worth guessing
        sizes.update(zip(letters, shape))
    return math.prod(sizes.values())


def _attention_macs(attrs: dict) -> int:
    """Projections and the two attention products of multi-head attention."""
    ins, config = attrs[g.IN_SHAPES], attrs[g.CONFIG]
    if attrs[g.MODULE_TYPE] == "MultiheadAttention":
        query, key = ins[0], ins[1] if len(ins) > 1 else ins[0]
        batch_first = config.get("batch_first", False)
        length, batch = (query[1], query[0]) if batch_first else (query[0], query[1])
        source = key[1] if batch_first else key[0]
        embed = config["embed_dim"]
        kdim, vdim = config.get("kdim", embed), config.get("vdim", embed)
        projections = length * embed * embed * 2 + source * embed * (kdim + vdim)
        return batch * (projections + 2 * length * source * embed)
    if attrs[g.MODULE_TYPE] == "scaled_dot_product_attention" and len(ins) >= 2:
        query, key = ins[0], ins[1]
        return 2 * math.prod(query[:-1]) * key[-2] * query[-1]
    return 0


def activation_bytes(attrs: dict) -> int:
    """Bytes of the node's output tensor."""
    out, dtype = attrs[g.OUT_SHAPE], attrs[g.DTYPE]
    if out is None or not dtype:
        return 0
    import torch  # loaded already: graphs are analysed as they are traced

    return math.prod(out) * getattr(torch, dtype).itemsize


def _share(value: int, total: int) -> float:
    return value / total if total else 0.0


# --------------------------------------------------------------------------------------------
# Receptive field

_MIXING_NORMS = ("GroupNorm", "group_norm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
                 "instance_norm")


def receptive_field(attrs: dict, inputs: list[ReceptiveField | None],
                    input_positions: int) -> ReceptiveField | None:
    """The theoretical receptive field of one output position of this operation.

    ``inputs`` are the fields of the inputs that depend on the model's input, and
    ``input_positions`` the number of spatial positions those inputs carry.
    """
    category = attrs[g.CATEGORY]
    if category == Category.INPUT:
        out = attrs[g.OUT_SHAPE]
        return ReceptiveField.identity(len(out) - 2) if out and len(out) >= 3 else None
    if category == Category.ATTENTION:
        return ReceptiveField.whole_input()  # attends over the whole sequence it is given
    field = g.joined(inputs)
    if attrs[g.OUT_SHAPE] is None and category not in (Category.OUTPUT, Category.BLOCK):
        return None  # what an operation of unknown output does to positions is unknown
    if field is None or field.is_global:
        return _global_pool_or(field, attrs)
    if category == Category.CONV:
        return _through_window(field, attrs, _conv_window(attrs, len(field.size)))
    if category == Category.POOL:
        return _through_pool(field, attrs)
    if category == Category.NORM:
        return ReceptiveField.whole_input() if _mixes_positions_norm(attrs) else field
    if category == Category.LINEAR:
        return _through_linear(field, attrs, input_positions)
    if category == Category.OTHER and not _same_spatial_extent(attrs):
        return None  # an unknown operation that resamples: no exact field to give
    return field


def _global_pool_or(field: ReceptiveField | None, attrs: dict) -> ReceptiveField | None:
    """Pooling to one position is global whatever came before."""
    if attrs[g.CATEGORY] == Category.POOL and _pools_everything(attrs):
        return ReceptiveField.whole_input()
    return field


def _through_window(field: ReceptiveField, attrs: dict,
                    window: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None
                    ) -> ReceptiveField | None:
    """A sliding window of (kernel, stride, dilation) per axis."""
    if window is None:
        return None
    kernel, stride, dilation = window
    size = tuple(s + (d * (k - 1)) * j
                 for s, k, d, j in zip(field.size, kernel, dilation, field.jump))
    jump = tuple(j * st for j, st in zip(field.jump, stride))
    return ReceptiveField(size, jump)


def _conv_window(attrs: dict, axes: int):
    config = attrs[g.CONFIG]
    if attrs[g.OP] == "call_module":
        kernel = config["kernel_size"]
    elif len(attrs[g.IN_SHAPES]) > 1:
        kernel = attrs[g.IN_SHAPES][1][2:]
    else:
        return None
    if _is_transposed(attrs):
        return None  # upsampling: the field of one output position is not a single window
    return (_per_axis(kernel, axes), _per_axis(config.get("stride", 1), axes),
            _per_axis(config.get("dilation", 1), axes))


def _through_pool(field: ReceptiveField, attrs: dict) -> ReceptiveField | None:
    config, module_type = attrs[g.CONFIG], attrs[g.MODULE_TYPE]
    axes = len(field.size)
    if _pools_everything(attrs):
        return ReceptiveField.whole_input()
    if module_type in ("mean", "amax"):
        return field  # reduces channels or batch only
    if "adaptive" in module_type.lower():
        return _through_adaptive_pool(field, attrs)
    kernel = config.get("kernel_size")
    if kernel is None:
        return None
    stride = config.get("stride") or kernel  # pooling's stride defaults to its kernel
    return _through_window(field, attrs, (_per_axis(kernel, axes), _per_axis(stride, axes),
                                          _per_axis(config.get("dilation", 1), axes)))


def _through_adaptive_pool(field: ReceptiveField, attrs: dict) -> ReceptiveField | None:
    """Exact when every window has the same size: input a multiple of the output."""
    in_extent, out_extent = attrs[g.IN_SHAPES][0][2:], attrs[g.OUT_SHAPE][2:]
    if any(i % o for i, o in zip(in_extent, out_extent)):
        return None
    step = tuple(i // o for i, o in zip(in_extent, out_extent))
    return _through_window(field, attrs, (step, step, (1,) * len(step)))


def _pools_everything(attrs: dict) -> bool:
    """Global pooling: adaptive pooling to one position, or a mean/max over all spatial axes."""
    out, ins, module_type = attrs[g.OUT_SHAPE], attrs[g.IN_SHAPES], attrs[g.MODULE_TYPE]
    if attrs[g.CATEGORY] != Category.POOL or not out or not ins or len(ins[0]) < 3:
        return False
    if "adaptive" in module_type.lower():
        return math.prod(out[2:]) == 1
    if module_type in ("mean", "amax"):
        dims = attrs[g.CONFIG].get("dim", ())
        dims = (dims,) if isinstance(dims, int) else tuple(dims or ())
        rank = len(ins[0])
        reduced = {d % rank for d in dims} if dims else set(range(rank))
        return set(range(2, rank)) <= reduced
    return False


def _mixes_positions_norm(attrs: dict) -> bool:
    if attrs[g.MODULE_TYPE] in _MIXING_NORMS:
        return True
    shape = attrs[g.CONFIG].get("normalized_shape")
    return isinstance(shape, tuple) and len(shape) > 1  # a LayerNorm over C, H, W


def _through_linear(field: ReceptiveField, attrs: dict,
                    input_positions: int) -> ReceptiveField | None:
    """A linear layer on flattened positions mixes them; on a channel axis it does not."""
    ins = attrs[g.IN_SHAPES]
    if attrs[g.MODULE_TYPE] in ("matmul", "bmm", "mm", "baddbmm") and len(ins) > 1 \
            and not attrs[g.PARAMS]:
        return None  # a product of two activations (attention): which positions it mixes is unknown
    if ins and len(ins[0]) == 2 and input_positions > 1:
        return ReceptiveField.whole_input()
    return field


def _positions(attrs: dict, input_positions: list[int]) -> int:
    """Spatial positions an output carries, kept through flattening for ``_through_linear``."""
    out = attrs[g.OUT_SHAPE]
    if out and len(out) >= 3 and attrs[g.CATEGORY] != Category.RESHAPE:
        return math.prod(out[2:])
    return max(input_positions, default=1)


def _same_spatial_extent(attrs: dict) -> bool:
    out, ins = attrs[g.OUT_SHAPE], attrs[g.IN_SHAPES]
    return not ins or out is None or tuple(out[2:]) == tuple(ins[0][2:])


def _per_axis(value: int | tuple | list, axes: int) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(value) if len(value) == axes else (tuple(value) * axes)[:axes]
    return (int(value),) * axes


# --------------------------------------------------------------------------------------------
# Structure


def _depends_on_input(graph: nx.DiGraph, order: list[str]) -> set[str]:
    starts = [n for n in order if graph.nodes[n][g.CATEGORY] == Category.INPUT]
    reached = set(starts)
    for start in starts:
        reached |= nx.descendants(graph, start)
    return reached


def _mark_skip_edges(graph: nx.DiGraph, order: list[str], from_input: set[str]) -> None:
    """At each residual addition, mark the input that bypasses the most operations."""
    depth: dict[str, int] = {}
    for name in order:
        depth[name] = max((depth[p] + 1 for p in graph.predecessors(name)), default=0)
    for name in order:
        if graph.nodes[name][g.CATEGORY] != Category.ADD:
            continue
        inputs = [p for p in graph.predecessors(name) if p in from_input]
        if len(inputs) < 2:
            continue
        shortest = min(inputs, key=lambda p: depth[p])
        if sum(depth[p] == depth[shortest] for p in inputs) == 1:
            graph.edges[shortest, name][g.SKIP] = True


def residual_additions(graph: nx.DiGraph) -> list[str]:
    """Additions that join a skip connection."""
    return [n for n in graph if any(graph.edges[p, n][g.SKIP] for p in graph.predecessors(n))]


def concatenations(graph: nx.DiGraph) -> dict[str, int]:
    """Concatenation nodes and their number of inputs."""
    return {n: graph.in_degree(n) for n, a in graph.nodes(data=True)
            if a[g.CATEGORY] == Category.CONCAT}


def branch_points(graph: nx.DiGraph) -> dict[str, int]:
    """Nodes whose output feeds more than one operation, with their fan-out."""
    return {n: graph.out_degree(n) for n in graph if graph.out_degree(n) > 1}


# --------------------------------------------------------------------------------------------
# Blocks and collapsing


@dataclass(frozen=True)
class Block:
    """A module of the hierarchy that contains several operations."""

    path: str
    module_type: str
    level: int  # 1 for the model's direct children
    members: tuple[str, ...]


def blocks(graph: nx.DiGraph) -> dict[str, Block]:
    """Every module of the hierarchy, by path, with the operations inside it (execution order)."""
    members: dict[str, list[str]] = defaultdict(list)
    types: dict[str, tuple[str, int]] = {}
    for name in graph:
        for level, (path, module_type) in enumerate(graph.nodes[name][g.HIERARCHY], start=1):
            members[path].append(name)
            types.setdefault(path, (module_type, level))
    return {path: Block(path, types[path][0], types[path][1], tuple(names))
            for path, names in members.items()}


def collapse(graph: nx.DiGraph, depth: int | None = None, collapsed: Iterable[str] = (),
             expanded: Iterable[str] = ()) -> nx.DiGraph:
    """A graph in which blocks are single nodes with summed numbers.

    ``depth=N`` collapses every block at nesting level N (1 = the model's direct children);
    ``collapsed`` collapses the named blocks, ``expanded`` keeps the named ones open.
    ``depth=None`` with nothing collapsed returns a copy of the full graph.
    """
    if depth is not None and depth < 1:
        raise ValueError(f"depth must be 1 or more, not {depth}")
    collapsed, expanded = set(collapsed), set(expanded)
    group_of = {name: _group(attrs[g.HIERARCHY], depth, collapsed, expanded) or name
                for name, attrs in graph.nodes(data=True)}
    return contract(graph, group_of, lambda path, names: block_attributes(graph, path, names))


def _group(hierarchy: tuple[tuple[str, str], ...], depth: int | None, collapsed: set[str],
           expanded: set[str]) -> str | None:
    for level, (path, _) in enumerate(hierarchy, start=1):
        if path in collapsed:
            return path
        if depth is not None and level >= depth and path not in expanded:
            return path
    return None


def contract(graph: nx.DiGraph, group_of: dict[str, str],
             block: Callable[[str, list[str]], dict]) -> nx.DiGraph:
    """``graph`` with each group of nodes drawn as one node, in execution order.

    ``group_of`` maps every node to its group's name (its own name for a node left alone), and
    ``block(group, names)`` gives the attributes of a group of other nodes. Edges inside a group
    are dropped; those between two groups become one, with the first one's attributes, a skip
    only if every tensor it stands for is one.
    """
    result = nx.DiGraph(**graph.graph)
    members: dict[str, list[str]] = defaultdict(list)
    for name in graph:  # insertion order is execution order
        members[group_of[name]].append(name)
    for group, names in members.items():
        if names == [group]:
            result.add_node(group, **graph.nodes[group])
        else:
            result.add_node(group, **block(group, names))
    for source, target, data in graph.edges(data=True):
        a, b = group_of[source], group_of[target]
        if a == b:
            continue
        if result.has_edge(a, b):
            result.edges[a, b][g.SKIP] = result.edges[a, b][g.SKIP] and data[g.SKIP]
        else:
            result.add_edge(a, b, **data)
    return result


def block_attributes(graph: nx.DiGraph, path: str, names: list[str]) -> dict:
    """The node for the block at ``path`` standing for the operations ``names`` (execution
    order) of ``graph``: their summed numbers, the shapes entering it, its last exit's output."""
    inside = set(names)
    first = graph.nodes[names[0]]
    level = next(i for i, (p, _) in enumerate(first[g.HIERARCHY]) if p == path)
    module_type = first[g.HIERARCHY][level][1]
    entering = [graph.edges[s, t][g.SHAPE] for t in names for s in graph.predecessors(t)
                if s not in inside]
    exits = [n for n in names if any(s not in inside for s in graph.successors(n))] or names[-1:]
    last = graph.nodes[exits[-1]]
    summed = {key: sum(graph.nodes[n][key] for n in names)
              for key in (g.PARAMS, g.TRAINABLE_PARAMS, g.MACS, g.ACTIVATION_BYTES,
                          g.PARAM_SHARE, g.MAC_SHARE)}
    return {
        g.NAME: path, g.OP: g.BLOCK_OP, g.TARGET: path, g.QUALNAME: path,
        g.MODULE_TYPE: module_type, g.CATEGORY: Category.BLOCK, g.CONFIG: {},
        g.IN_SHAPES: list(dict.fromkeys(entering)), g.OUT_SHAPE: last[g.OUT_SHAPE],
        g.DTYPE: last[g.DTYPE], g.RF: last[g.RF], g.LAYOUT: last[g.LAYOUT],
        g.HIERARCHY: first[g.HIERARCHY][:level],
        g.CHILDREN: tuple(names), **summed,
    }
