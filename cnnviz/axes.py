"""Which axis of every node's output holds the channels and which the grid: the graph
contract's ``layout``, propagated from the input in topological order.

The input is read as ``N, C, *spatial`` (NCHW for an image, NCL, NCDHW). Each operation then
maps the roles of its input's axes onto its output's: permutes and transposes move them,
reshapes merge and split them (judged from the two shapes), convolutions and pools keep a
channels-first layout, linear layers and norms over the channel axis keep theirs, elementwise
operations take the layout of their input of the output's shape (a known layout wins over an
unknown one there, which recovers Swin's NHWC after its window attention), concatenations that
of their inputs (a token or two added along a grid's token axis are taken as class tokens put
before it, as ViT does). Every other operation's layout is unknown: a reading is never guessed.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import NamedTuple

import networkx as nx

from cnnviz import graph as g
from cnnviz.graph import Category
from cnnviz.tensor_layout import UNKNOWN, AxisLayout

# What an axis holds: the batch "N", the channels "C", one of several axes a reshape split the
# channels into "c", tokens "T", or the index of a spatial axis (0 = the first: D or H).
Role = str | int
Shape = tuple[int, ...]


class _Axes(NamedTuple):
    """The roles of an output's axes, and the grid of its token axis (with extra tokens
    before it), if it has one."""

    roles: tuple[Role, ...]
    grid: tuple[int, ...] = ()
    extra: int = 0


_Input = tuple[_Axes | None, Shape]
_Rule = Callable[[dict, list[_Input]], _Axes | None]


def assign_layouts(graph: nx.DiGraph, order: Iterable[str]) -> None:
    """Set ``layout`` (an :class:`AxisLayout`) on every node; ``order`` is topological.

    An input reaches an operation with its producer's layout only if the edge carries the
    producer's output (not another item of a tuple).
    """
    found: dict[str, _Axes | None] = {}
    nodes, predecessors = graph.nodes, graph.pred
    for name in order:
        attrs = nodes[name]
        out = attrs[g.OUT_SHAPE]
        axes = None
        if out is not None:
            inputs = [(found[p] if edge[g.SHAPE] == nodes[p][g.OUT_SHAPE] else None, edge[g.SHAPE])
                      for p, edge in predecessors[name].items()]
            axes = _consistent(_rule(attrs)(attrs, inputs), out)
        found[name] = axes
        attrs[g.LAYOUT] = _layout(axes)


# --------------------------------------------------------------------------------------------
# From roles to an AxisLayout


def _consistent(axes: _Axes | None, shape: Shape) -> _Axes | None:
    """``axes`` if they describe a tensor of ``shape``: a role per axis, the token axis as long
    as its grid and extra tokens."""
    if axes is None or len(axes.roles) != len(shape):
        return None
    if "T" in axes.roles and shape[axes.roles.index("T")] != math.prod(axes.grid) + axes.extra:
        return None
    return axes


@lru_cache(maxsize=256)
def _layout(axes: _Axes | None) -> AxisLayout:
    """The AxisLayout of ``axes``; unknown unless the batch is first, one axis holds the
    channels and the others are the whole grid (spatial axes, or one token axis)."""
    if axes is None:
        return UNKNOWN
    roles = axes.roles
    if roles[0] != "N" or roles.count("C") != 1 or "c" in roles:
        return UNKNOWN
    spatial = [role for role in roles if isinstance(role, int)]
    if roles.count("T") == 1 and not spatial:
        return AxisLayout(roles.index("C"), token_axis=roles.index("T"), grid=axes.grid,
                          extra_tokens=axes.extra)
    if len(spatial) + 2 != len(roles) or sorted(spatial) != list(range(len(spatial))):
        return UNKNOWN
    return AxisLayout(roles.index("C"), tuple(roles.index(k) for k in range(len(spatial))))


# --------------------------------------------------------------------------------------------
# Rules


def _unknown(attrs: dict, inputs: list[_Input]) -> _Axes | None:
    return None


def _input(attrs: dict, inputs: list[_Input]) -> _Axes | None:
    """The model's input: batch, channels, then the spatial axes."""
    rank = len(attrs[g.OUT_SHAPE])
    return _Axes(("N", "C", *range(rank - 2))) if rank >= 2 else None


def _elementwise(attrs: dict, inputs: list[_Input]) -> _Axes | None:
    """The layout of the inputs of the output's shape, if exactly one is known among them."""
    out = attrs[g.OUT_SHAPE]
    known = {axes for axes, shape in inputs if axes is not None and shape == out}
    return known.pop() if len(known) == 1 else None


def _channels_first(attrs: dict, inputs: list[_Input]) -> _Axes | None:
    """Convolutions, pools, resampling: channels on axis 1 and spatial axes after it, in and
    out."""
    axes, shape = inputs[0] if inputs else (None, ())
    if axes is None or axes.roles[:2] != ("N", "C") or len(shape) < 3 \
            or len(attrs[g.OUT_SHAPE]) != len(shape):
        return None
    return axes if all(isinstance(role, int) for role in axes.roles[2:]) else None


def _linear(attrs: dict, inputs: list[_Input]) -> _Axes | None:
    """A linear layer over the channel axis keeps the layout; over any other, unknown."""
    axes = inputs[0][0] if inputs else None
    return axes if axes is not None and axes.roles[-1] == "C" else None


def _permute(attrs: dict, inputs: list[_Input]) -> _Axes | None:
    config = attrs[g.CONFIG]
    dims = config.get("dims")
    if dims is None:
        dims = tuple(config[f"arg{i}"] for i in itertools.takewhile(
            lambda i: f"arg{i}" in config, itertools.count(1)))
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], tuple) else dims
    return _moved(inputs, dims)


def _transpose(attrs: dict, inputs: list[_Input]) -> _Axes | None:
    config = attrs[g.CONFIG]
    first, second = (config.get("dim0", config.get("arg1")),
                     config.get("dim1", config.get("arg2")))
    if not (isinstance(first, int) and isinstance(second, int) and inputs):
        return None
    dims = list(range(len(inputs[0][1])))
    dims[first], dims[second] = dims[second], dims[first]
    return _moved(inputs, tuple(dims))


def _moved(inputs: list[_Input], dims: tuple) -> _Axes | None:
    """Output axis k is input axis ``dims[k]``; the batch must stay first."""
    axes, shape = inputs[0] if inputs else (None, ())
    rank = len(shape)
    if axes is None or len(dims) != rank or not all(isinstance(d, int) for d in dims):
        return None
    dims = tuple(d % rank for d in dims) if rank else dims
    if sorted(dims) != list(range(rank)):
        return None
    return axes._replace(roles=tuple(axes.roles[d] for d in dims))


def _reshape(attrs: dict, inputs: list[_Input]) -> _Axes | None:
    """view, reshape, flatten, squeeze and the like, from the shapes before and after."""
    axes, shape = inputs[0] if inputs else (None, ())
    out = attrs[g.OUT_SHAPE]
    if axes is None or 0 in shape or math.prod(shape) != math.prod(out):
        return None
    roles: list[Role] = []
    grid, extra = axes.grid, axes.extra
    inserted = False
    for before, after in _groups(shape, out):
        was = [axes.roles[i] for i in before]
        if len(before) == len(after) == 1:
            roles += was
        elif not after:  # an axis of length 1 dropped: only a spatial one may go
            if not isinstance(was[0], int):
                return None
        elif not before:  # a new axis of length 1: a spatial one, after the channels of NC…
            roles.append(len(roles))
            inserted = True
        elif len(after) == 1:
            merged = _merged(axes.roles, was)
            if merged is None:
                return None
            roles.append(merged)
            if merged == "T":
                grid, extra = tuple(shape[i] for i in before), 0
        else:
            split = _split(axes, was[0], [out[j] for j in after])
            if split is None:
                return None
            roles += split
    if inserted and not (axes.roles == ("N", "C") and roles[:2] == ["N", "C"]):
        return None
    if "T" not in roles:
        grid, extra = (), 0
    return _Axes(_renumbered(roles), grid, extra)


def _groups(before: Shape, after: Shape) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The axes of ``before`` and ``after`` (shapes of as many elements, none 0) in the
    smallest groups of equal size, in order; an axis of length 1 on one side only is a group
    of its own with nothing on the other."""
    groups: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    i = j = 0
    while i < len(before) or j < len(after):
        one_before = i < len(before) and before[i] == 1
        one_after = j < len(after) and after[j] == 1
        if one_before != one_after:
            groups.append(((i,), ()) if one_before else ((), (j,)))
            i, j = (i + 1, j) if one_before else (i, j + 1)
            continue
        left, right, size_left, size_right = [i], [j], before[i], after[j]
        i, j = i + 1, j + 1
        while size_left != size_right:
            if size_left < size_right:
                left.append(i)
                size_left *= before[i]
                i += 1
            else:
                right.append(j)
                size_right *= after[j]
                j += 1
        groups.append((tuple(left), tuple(right)))
    return groups


def _merged(roles: tuple[Role, ...], was: list[Role]) -> Role | None:
    """The role of one axis made of several: the whole grid in order (tokens on that grid),
    the parts of split channels (the channels), or everything but the batch (features)."""
    spatial = [role for role in roles if isinstance(role, int)]
    if was == sorted(spatial) == list(range(len(spatial))) and "T" not in roles:
        return "T"
    if all(role == "c" for role in was) and len(was) == roles.count("c"):
        return "C"
    if "N" not in was and len(was) == len(roles) - 1 and "c" not in roles:
        return "C"
    return None


def _split(axes: _Axes, role: Role, sizes: list[int]) -> list[Role] | None:
    """The roles of the axes one axis is split into: tokens back onto their grid, or the
    channels into parts (ShuffleNet's channel shuffle)."""
    if role == "T" and axes.extra == 0 and tuple(sizes) == axes.grid:
        return list(range(len(sizes)))
    if role == "C" and "c" not in axes.roles:
        return ["c"] * len(sizes)
    return None


def _renumbered(roles: list[Role]) -> tuple[Role, ...]:
    """Spatial axes numbered 0, 1, … in the order they had (some may have been dropped)."""
    spatial = sorted(role for role in roles if isinstance(role, int))
    number = {role: k for k, role in enumerate(spatial)}
    return tuple(number[role] if isinstance(role, int) else role for role in roles)


def _indexed(attrs: dict, inputs: list[_Input]) -> _Axes | None:
    """Indexing, slicing, padding, splitting and reductions: the same layout when only
    lengths change (the token axis's excepted); when axes go, those found from ``dim`` or the
    shapes, if only the grid's go."""
    axes, shape = inputs[0] if inputs else (None, ())
    out = attrs[g.OUT_SHAPE]
    if axes is None or len(out) > len(shape):
        return None
    if len(out) == len(shape):  # a token axis that changes length fails _consistent
        return axes
    found = {_without(axes, removed) for removed in _removed(attrs[g.CONFIG], shape, out)}
    return found.pop() if len(found) == 1 else None


def _removed(config: dict, shape: Shape, out: Shape) -> list[tuple[int, ...]]:
    """The sets of axes whose removal from ``shape`` leaves ``out``: the ``dim`` argument's if
    it does, else every set that does."""
    rank = len(shape)
    dim = config.get("dim")
    dims = (dim,) if isinstance(dim, int) else dim
    if isinstance(dims, tuple) and all(isinstance(d, int) for d in dims):
        removed = tuple(sorted({d % rank for d in dims}))
        if tuple(s for i, s in enumerate(shape) if i not in removed) == out:
            return [removed]
    return [removed for removed in itertools.combinations(range(rank), rank - len(out))
            if tuple(s for i, s in enumerate(shape) if i not in removed) == out]


def _without(axes: _Axes, removed: tuple[int, ...]) -> _Axes | None:
    """``axes`` with the grid's axes ``removed`` (a token axis takes its grid with it)."""
    gone = [axes.roles[i] for i in removed]
    if any(role in ("N", "C", "c") for role in gone):
        return None
    roles = [role for i, role in enumerate(axes.roles) if i not in removed]
    return _Axes(_renumbered(roles)) if "T" in gone else axes._replace(roles=_renumbered(roles))


def _cat(attrs: dict, inputs: list[_Input]) -> _Axes | None:
    """Joined along channels or a spatial axis: the inputs' common layout. Along a grid's
    token axis, tokens made from parameters alone (the shapes after the graph's inputs in
    ``in_shapes``), one each, are extra tokens before the grid."""
    layouts = {axes for axes, _ in inputs}
    out = attrs[g.OUT_SHAPE]
    if len(layouts) != 1 or None in layouts:
        return None
    axes = layouts.pop()
    dim = attrs[g.CONFIG].get("dim", attrs[g.CONFIG].get("arg1", 0))
    role = axes.roles[dim % len(out)] if isinstance(dim, int) else "N"
    if role == "T":
        added = attrs[g.IN_SHAPES][len(inputs):]
        tokens = len(added)
        if len(inputs) != 1 or any(len(s) != len(out) or s[dim] != 1 for s in added) \
                or out[dim] != inputs[0][1][dim] + tokens:
            return None
        return axes._replace(extra=axes.extra + tokens)
    return None if role in ("N", "c") else axes


# --------------------------------------------------------------------------------------------
# Which rule applies

_RESAMPLING = ("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "interpolate",
               "upsample", "upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d",
               "upsample_bilinear2d", "upsample_bicubic2d", "upsample_linear1d",
               "upsample_trilinear3d", "PixelShuffle", "PixelUnshuffle", "pixel_shuffle",
               "pixel_unshuffle")
_SAME_SHAPE = ("contiguous", "clone", "detach", "alias", "to", "float", "type_as", "Identity",
               "sub", "rsub", "div", "truediv", "floordiv", "neg", "pow", "sqrt", "rsqrt", "exp",
               "log", "abs", "clamp", "clamp_min", "clamp_max", "clip", "masked_fill", "where",
               "erf", "square", "reciprocal", "maximum", "minimum", "channel_shuffle",
               "ChannelShuffle")
_INDEXING = ("getitem", "select", "slice", "narrow", "index", "index_select", "chunk", "split",
             "split_with_sizes", "tensor_split", "unbind", "pad", "constant_pad_nd", "mean",
             "amax", "amin", "sum", *(f"{kind}Pad{n}d" for kind in
                                      ("Zero", "Constant", "Reflection", "Replication",
                                       "Circular") for n in (1, 2, 3)))
_RESHAPING = ("view", "reshape", "flatten", "unflatten", "Flatten", "Unflatten", "squeeze",
              "unsqueeze", "unsafe_view", "view_as", "reshape_as")

_BY_NAME: dict[str, _Rule] = {
    **dict.fromkeys(_RESAMPLING, _channels_first),
    **dict.fromkeys(_SAME_SHAPE, _elementwise),
    **dict.fromkeys(_INDEXING, _indexed),
    **dict.fromkeys(_RESHAPING, _reshape),
    **dict.fromkeys(("Linear", "linear", "addmm", "LazyLinear"), _linear),
    **dict.fromkeys(("cat", "concat", "concatenate"), _cat),
    "permute": _permute, "transpose": _transpose,
}
_BY_CATEGORY: dict[Category, _Rule] = {
    Category.INPUT: _input,
    Category.CONV: _channels_first, Category.POOL: _channels_first,
    **dict.fromkeys((Category.NORM, Category.ACT, Category.DROPOUT, Category.ADD, Category.MUL,
                     Category.ATTENTION, Category.OUTPUT), _elementwise),
}


def _rule(attrs: dict) -> _Rule:
    return _BY_NAME.get(attrs[g.MODULE_TYPE]) or _BY_CATEGORY.get(attrs[g.CATEGORY], _unknown)
