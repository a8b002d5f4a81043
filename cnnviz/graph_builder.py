"""The operation graph in ``cnnviz.graph``'s format, built the same way by every tracer.

A node per operation with its category, configuration and parameters (each parameter counted
once), an edge per tensor; and the names, categories and configurations of torch.nn layers and
of the functions called between them.
"""
from __future__ import annotations

import inspect
import itertools
from collections.abc import Iterator
from typing import Any

import networkx as nx
import torch
from torch import nn
from torch.fx.operator_schemas import normalize_function

from cnnviz import graph as g

# Module attributes worth showing as configuration, in display order.
_CONFIG_ATTRIBUTES = (
    "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
    "padding_mode", "output_padding", "in_features", "out_features", "num_features",
    "normalized_shape", "num_groups", "num_channels", "eps", "momentum", "affine",
    "track_running_stats", "output_size", "ceil_mode", "count_include_pad", "p", "inplace",
    "negative_slope", "approximate", "dim", "start_dim", "end_dim", "size", "alpha", "beta",
    "k", "embed_dim", "num_heads", "batch_first", "kdim", "vdim", "scale_factor", "mode",
)

_MODULE_CATEGORIES: tuple[tuple[type, g.Category], ...] = (
    (nn.modules.conv._ConvNd, g.Category.CONV),
    (nn.modules.batchnorm._NormBase, g.Category.NORM),
    (nn.LayerNorm, g.Category.NORM),
    (nn.GroupNorm, g.Category.NORM),
    (nn.LocalResponseNorm, g.Category.NORM),
    (nn.MultiheadAttention, g.Category.ATTENTION),
    (nn.Linear, g.Category.LINEAR),
    (nn.Bilinear, g.Category.LINEAR),
    (nn.modules.dropout._DropoutNd, g.Category.DROPOUT),
    (nn.Flatten, g.Category.RESHAPE),
    (nn.Unflatten, g.Category.RESHAPE),
)

_FUNCTION_CATEGORIES: dict[str, g.Category] = {
    **dict.fromkeys(("add", "iadd"), g.Category.ADD),
    **dict.fromkeys(("mul", "imul"), g.Category.MUL),
    **dict.fromkeys(("cat", "concat", "concatenate", "stack"), g.Category.CONCAT),
    **dict.fromkeys(("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                     "conv_transpose3d", "convolution"), g.Category.CONV),
    **dict.fromkeys(("linear", "matmul", "bmm", "mm", "baddbmm", "addmm", "einsum"),
                    g.Category.LINEAR),
    **dict.fromkeys(("scaled_dot_product_attention", "multi_head_attention_forward",
                     "scaled_dot_product_flash_attention_for_cpu"), g.Category.ATTENTION),
    **dict.fromkeys(("layer_norm", "batch_norm", "group_norm", "instance_norm",
                     "local_response_norm", "normalize", "native_layer_norm",
                     "native_batch_norm", "native_batch_norm_legit_no_training",
                     "native_batch_norm_legit_functional", "native_group_norm"),
                    g.Category.NORM),
    **dict.fromkeys(("relu", "relu6", "gelu", "silu", "sigmoid", "tanh", "hardswish",
                     "hardsigmoid", "hardtanh", "leaky_relu", "elu", "selu", "softmax",
                     "log_softmax", "mish", "softplus"), g.Category.ACT),
    **dict.fromkeys(("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d",
                     "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
                     "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
                     "adaptive_max_pool3d", "mean", "amax", "max_pool1d_with_indices",
                     "max_pool2d_with_indices", "max_pool3d_with_indices"), g.Category.POOL),
    **dict.fromkeys(("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                     "stochastic_depth", "native_dropout", "feature_dropout"),
                    g.Category.DROPOUT),
    **dict.fromkeys(("flatten", "view", "reshape", "permute", "transpose", "contiguous",
                     "squeeze", "unsqueeze", "getitem", "expand", "chunk", "split", "narrow",
                     "roll", "t", "repeat", "unflatten", "channel_shuffle", "slice", "select",
                     "unsafe_view", "clone", "alias", "split_with_sizes", "unbind"),
                    g.Category.RESHAPE),
}
# torch.nn containers: never drawn as one node.
_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")


def is_leaf_type_name(qualified_name: str) -> bool:
    """``torch.nn.modules.conv.Conv2d`` (a type's full name, as export and TorchScript record
    it) names a torch.nn layer, not a container."""
    name = qualified_name.removeprefix("__torch__.")
    return name.startswith(("torch.nn.", "torch.ao.nn.")) \
        and name.rpartition(".")[2] not in _CONTAINERS


def split_leaf(chain: tuple[tuple[str, str], ...], innermost_is_leaf: bool, name: str
               ) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(qualname, hierarchy) of an operation inside the modules ``chain``, outermost first.

    An operation of a torch.nn layer is named after the layer and the layer leaves the
    hierarchy, as for a layer traced whole; other operations are named within their module.
    """
    if chain and innermost_is_leaf:
        return chain[-1][0], chain[:-1]
    return (f"{chain[-1][0]}.{name}" if chain else name), chain


class GraphBuilder:
    """Accumulates nodes and edges in the contract's format, counting each parameter once."""

    def __init__(self, model: nn.Module) -> None:
        self.graph = nx.DiGraph()
        self._counted_params: set[int] = set()
        self._parameter_ids = {id(p) for p in model.parameters()}
        self._names: dict[str, itertools.count] = {}

    def unique_name(self, base: str) -> str:
        """fx-style unique names: ``add``, ``add_1``, ``add_2``."""
        counter = self._names.setdefault(base, itertools.count())
        index = next(counter)
        name = base if index == 0 else f"{base}_{index}"
        while name in self.graph:
            name = f"{base}_{next(counter)}"
        return name

    def count_parameters(self, tensors: list[torch.Tensor]) -> tuple[int, int]:
        """Parameters among ``tensors`` not counted before: (all, trainable)."""
        total = trainable = 0
        for tensor in tensors:
            if id(tensor) in self._parameter_ids and id(tensor) not in self._counted_params:
                self._counted_params.add(id(tensor))
                total += tensor.numel()
                trainable += tensor.numel() if tensor.requires_grad else 0
        return total, trainable

    def add_node(self, name: str, *, op: str, target: str, qualname: str, module_type: str,
                 category: g.Category, config: dict[str, Any], in_shapes: list[tuple[int, ...]],
                 out_shape: tuple[int, ...] | None, dtype: str, params: tuple[int, int],
                 hierarchy: tuple[tuple[str, str], ...]) -> None:
        """Add one operation with the contract's attributes (analysis fills in the rest)."""
        self.graph.add_node(name, **{
            g.NAME: name, g.OP: op, g.TARGET: target, g.QUALNAME: qualname,
            g.MODULE_TYPE: module_type, g.CATEGORY: category, g.CONFIG: config,
            g.IN_SHAPES: in_shapes, g.OUT_SHAPE: out_shape, g.DTYPE: dtype,
            g.PARAMS: params[0], g.TRAINABLE_PARAMS: params[1], g.HIERARCHY: hierarchy,
        })

    def add_edge(self, source: str, target: str, shape: tuple[int, ...] | None) -> None:
        """One tensor flowing from ``source`` to ``target``."""
        if source != target:
            self.graph.add_edge(source, target, **{g.SHAPE: shape, g.SKIP: False})

    def add_input(self, shape: tuple[int, ...], dtype: str) -> None:
        """The model's input tensor, named ``x``."""
        self.add_node("x", op="placeholder", target="x", qualname="x", module_type="input",
                      category=g.Category.INPUT, config={}, in_shapes=[], out_shape=shape,
                      dtype=dtype, params=(0, 0), hierarchy=())

    def add_output(self, sources: list[tuple[str, tuple[int, ...]]]) -> None:
        """The model's output, named ``output``, fed by ``sources`` (node name, tensor shape)."""
        self.add_node("output", op="output", target="output", qualname="output",
                      module_type="output", category=g.Category.OUTPUT, config={},
                      in_shapes=[s for _, s in sources],
                      out_shape=sources[0][1] if len(sources) == 1 else None,
                      dtype="", params=(0, 0), hierarchy=())
        for source, shape in sources:
            self.add_edge(source, "output", shape)

    def add_module_node(self, name: str, qualname: str, module: nn.Module,
                        in_shapes: list[tuple[int, ...]], out_shape: tuple[int, ...] | None,
                        dtype: str, hierarchy: tuple[tuple[str, str], ...]) -> None:
        """A call of a leaf module."""
        self.add_node(
            name, op="call_module", target=qualname, qualname=qualname,
            module_type=type(module).__name__, category=module_category(module),
            config=module_config(module), in_shapes=in_shapes, out_shape=out_shape,
            dtype=dtype, params=self.count_parameters(list(module.parameters())),
            hierarchy=hierarchy,
        )

    def add_function_node(self, name: str, op: str, function: Any, args: tuple, kwargs: dict,
                          tensors_used: list[torch.Tensor], in_shapes: list[tuple[int, ...]],
                          out_shape: tuple[int, ...] | None, dtype: str,
                          hierarchy: tuple[tuple[str, str], ...],
                          qualname: str | None = None) -> None:
        """A call of a function or tensor method outside leaf modules (``qualname`` defaults
        to the enclosing module's path joined with ``name``)."""
        function_name = readable_function_name(function)
        parent = hierarchy[-1][0] if hierarchy else ""
        self.add_node(
            name, op=op, target=function_name,
            qualname=qualname or (f"{parent}.{name}" if parent else name),
            module_type=function_name,
            category=function_category(function_name),
            config=call_config(function, args, kwargs), in_shapes=in_shapes,
            out_shape=out_shape, dtype=dtype, params=self.count_parameters(tensors_used),
            hierarchy=hierarchy,
        )


def module_category(module: nn.Module) -> g.Category:
    """The diagram category of a leaf module."""
    for base, category in _MODULE_CATEGORIES:
        if isinstance(module, base):
            return category
    module_file = type(module).__module__
    if module_file.endswith("activation"):
        return g.Category.ACT
    if module_file.endswith("pooling"):
        return g.Category.POOL
    return g.Category.OTHER


def function_category(function_name: str) -> g.Category:
    """The diagram category of a function, by its readable name."""
    return _FUNCTION_CATEGORIES.get(function_name, g.Category.OTHER)


def module_config(module: nn.Module) -> dict[str, Any]:
    """The module's hyper-parameters as plain values."""
    config = {key: plain_value(getattr(module, key)) for key in _CONFIG_ATTRIBUTES
              if hasattr(module, key) and not callable(getattr(module, key))}
    if isinstance(module, (nn.modules.conv._ConvNd, nn.Linear)):
        config["bias"] = module.bias is not None
    return {key: value for key, value in config.items() if value is not None or key == "stride"}


def call_config(function: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    """The non-tensor arguments of a call, by parameter name where torch knows the schema."""
    named = _normalized_arguments(function, args, kwargs)
    if named is None:
        named = {f"arg{i}": value for i, value in enumerate(args)} | dict(kwargs)
    return {key: plain_value(value) for key, value in named.items() if is_plain_value(value)}


def readable_function_name(function: Any) -> str:
    """``add`` for operator.add, Tensor.__iadd__, torch.add and aten's add.Tensor alike."""
    if isinstance(function, torch._ops.OpOverload):
        function = function.overloadpacket
    name = function if isinstance(function, str) else getattr(function, "__name__", str(function))
    name = name.rpartition("::")[2].strip("_")
    if name.startswith("i") and name[1:] in ("add", "mul", "sub", "truediv"):
        name = name[1:]
    return name.rstrip("_") or name


def _normalized_arguments(function: Any, args: tuple, kwargs: dict) -> dict[str, Any] | None:
    if isinstance(function, str):  # an fx call_method target: the torch function of that name
        function = getattr(torch, function, None)
        if function is None:
            return None
    try:
        pair = normalize_function(function, args, kwargs, normalize_to_only_use_kwargs=True)
        if pair is None:
            types = tuple(type(a) for a in args)
            pair = normalize_function(function, args, kwargs, arg_types=types,
                                      kwarg_types={k: type(v) for k, v in kwargs.items()},
                                      normalize_to_only_use_kwargs=True)
        if pair is not None:
            return dict(pair.kwargs)
    except Exception:  # schema matching is best effort; fall back to signature or positions
        pass
    try:
        signature = inspect.signature(function)
        bound = signature.bind(*args, **kwargs).arguments
    except (TypeError, ValueError):
        return None
    named: dict[str, Any] = {}
    for key, value in bound.items():
        if signature.parameters[key].kind is inspect.Parameter.VAR_POSITIONAL:
            named |= {f"{key}{i}": item for i, item in enumerate(value)}
        else:
            named[key] = value
    return named


def is_plain_value(value: Any) -> bool:
    """A number, string, flag or None, or a sequence of numbers, strings and flags."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return True
    if isinstance(value, (tuple, list, torch.Size)):
        return all(isinstance(v, (bool, int, float, str)) for v in value)
    return False


def plain_value(value: Any) -> Any:
    """``value`` as plain data: sequences as tuples, anything unknown as its text."""
    if isinstance(value, (tuple, list, torch.Size)):
        return tuple(plain_value(v) for v in value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)


def first_line(error: BaseException) -> str:
    """``TypeName: first line of the message``, for a one-line note."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def tensors_in(value: Any) -> Iterator[torch.Tensor]:
    """The tensors in a value: a tensor, or tuples, lists and dicts of them."""
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from tensors_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from tensors_in(item)


def dtype_name(tensor: torch.Tensor) -> str:
    """``float32`` for torch.float32."""
    return str(tensor.dtype).removeprefix("torch.")
