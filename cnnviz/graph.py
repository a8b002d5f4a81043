"""The graph contract: what every node, edge and graph of a traced model carries.

A traced model is a ``networkx.DiGraph`` with one node per operation and one edge per tensor.
Every part of cnnviz reads the attribute names defined here, never string literals of its own.

Node attributes (keys of ``graph.nodes[name]``):

- ``name``: unique node name (the torch.fx node name, e.g. ``layer1_0_conv1``, ``add_3``).
- ``op``: ``placeholder``, ``call_module``, ``call_function``, ``call_method``, ``output``,
  or ``block`` for a collapsed block.
- ``target``: what was called: a module path, a function or method name.
- ``qualname``: module path such as ``layer1.0.conv2``; for functions the enclosing module's
  path joined with the function's node name (``layer1.0.add``).
- ``module_type``: ``Conv2d`` for modules, the function's name (``add``, ``cat``) otherwise.
- ``category``: a :class:`Category` value.
- ``config``: dict of plain values (kernel_size, stride, padding, dilation, groups,
  in_channels, out_channels, bias, num_inputs for concatenations, ...).
- ``in_shapes``: list of input tensor shapes (tuples), in argument order.
- ``out_shape``: output tensor shape (tuple), or None when the output is not a tensor.
- ``dtype``: output dtype as a string (``float32``).
- ``params``: parameters this node owns, each tensor counted once in the whole graph.
- ``trainable_params``: the part of ``params`` that requires grad.
- ``macs``: multiply-accumulates (convolutions, linear layers, matrix products, attention).
- ``rf``: :class:`ReceptiveField` of one output position, or None where undefined.
- ``hierarchy``: tuple of ``(module_path, module_type)`` of the enclosing modules,
  outermost first (the node's own module excluded).
- ``activation_bytes``: bytes of the output tensor.
- ``param_share`` / ``mac_share``: the node's fraction of the model's params / MACs.
- ``children``: for collapsed blocks, the names of the nodes the block stands for.
- ``layout``: a :class:`~cnnviz.tensor_layout.AxisLayout`: which axis of the output holds the
  channels and which the spatial grid (NCHW, NHWC, tokens on a grid, NC, …, or unknown),
  propagated by :mod:`cnnviz.axes` from ``N, C, *spatial`` at the input (NCHW for an image);
  unknown wherever an operation's effect on the axes is not known. A collapsed block's is
  that of the output it shows.
- ``repeat`` and ``members``: for a folded stack of repeated sibling blocks (a block node), how
  many blocks it stands for and their module paths in order; its numbers are their sums.

Edge attributes: ``shape`` (the tensor's shape), ``skip`` (True on the shortcut input of a
residual addition).

Graph attributes (``graph.graph``): ``model``, ``tracer`` (``torch.fx`` or ``recorder``),
``tracer_note`` (why the fallback was used), ``input_shape``, ``total_params``,
``total_trainable_params``, ``total_macs``, ``total_activation_bytes``.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# Node attribute names.
NAME = "name"
OP = "op"
TARGET = "target"
QUALNAME = "qualname"
MODULE_TYPE = "module_type"
CATEGORY = "category"
CONFIG = "config"
IN_SHAPES = "in_shapes"
OUT_SHAPE = "out_shape"
DTYPE = "dtype"
PARAMS = "params"
TRAINABLE_PARAMS = "trainable_params"
MACS = "macs"
RF = "rf"
HIERARCHY = "hierarchy"
ACTIVATION_BYTES = "activation_bytes"
PARAM_SHARE = "param_share"
MAC_SHARE = "mac_share"
CHILDREN = "children"
LAYOUT = "layout"
REPEAT = "repeat"
MEMBERS = "members"

# Edge attribute names.
SHAPE = "shape"
SKIP = "skip"

# Graph attribute names.
MODEL = "model"
TRACER = "tracer"
TRACER_NOTE = "tracer_note"
INPUT_SHAPE = "input_shape"
TOTAL_PARAMS = "total_params"
TOTAL_TRAINABLE_PARAMS = "total_trainable_params"
TOTAL_MACS = "total_macs"
TOTAL_ACTIVATION_BYTES = "total_activation_bytes"

BLOCK_OP = "block"


class Category(str, Enum):
    """What kind of operation a node is; the diagram colours nodes by it."""

    CONV = "conv"
    NORM = "norm"
    ACT = "act"
    POOL = "pool"
    LINEAR = "linear"
    ATTENTION = "attention"
    DROPOUT = "dropout"
    ADD = "add"
    MUL = "mul"
    CONCAT = "concat"
    RESHAPE = "reshape"
    INPUT = "input"
    OUTPUT = "output"
    BLOCK = "block"
    OTHER = "other"


@dataclass(frozen=True)
class ReceptiveField:
    """Theoretical receptive field of one output position, per spatial axis.

    ``size`` and ``jump`` (cumulative stride) are in input pixels, one entry per spatial axis.
    A global field (the output depends on every input position) has ``is_global`` set and
    empty tuples.
    """

    size: tuple[int, ...] = ()
    jump: tuple[int, ...] = ()
    is_global: bool = False

    @classmethod
    def identity(cls, spatial_dims: int) -> "ReceptiveField":
        """The field of the input itself: one pixel, jump one."""
        return cls((1,) * spatial_dims, (1,) * spatial_dims)

    @classmethod
    def whole_input(cls) -> "ReceptiveField":
        """The field of an operation that mixes all positions."""
        return cls(is_global=True)

    @property
    def largest_size(self) -> int | None:
        """The size along the widest axis, or None when the field is global."""
        return None if self.is_global else max(self.size, default=1)

    def describe(self) -> str:
        """Human-readable form: ``195×195 (jump 32)`` or ``global``."""
        if self.is_global:
            return "global"
        size = "×".join(str(s) for s in self.size) or "1"
        jump = "×".join(str(j) for j in dict.fromkeys(self.jump)) or "1"
        return f"{size} (jump {jump})"


def joined(fields: list[ReceptiveField | None]) -> ReceptiveField | None:
    """The field at a join (add, concat, ...): the largest per axis; global wins.

    None stands for an input whose field is unknown, so the join's is unknown too.
    """
    if not fields:
        return None
    if any(f is not None and f.is_global for f in fields):
        return ReceptiveField.whole_input()
    if any(f is None for f in fields):
        return None
    known: list[ReceptiveField] = list(fields)  # type: ignore[arg-type]
    axes = max(len(f.size) for f in known)
    spatial = [f for f in known if len(f.size) == axes]
    size = tuple(max(f.size[i] for f in spatial) for i in range(axes))
    jump = tuple(max(f.jump[i] for f in spatial) for i in range(axes))
    return ReceptiveField(size, jump)


def operations_of(name: str, attrs: dict) -> tuple[str, ...]:
    """The operations of the full graph that node ``name`` stands for: a collapsed block's
    or a folded stack's children, else the node itself."""
    return attrs.get(CHILDREN) or (name,)
