"""Model + example input → the operation graph of ``cnnviz.graph``.

torch.fx with shape propagation first; when fx cannot trace a model (data-dependent control
flow, unsupported calls), a recorder runs the model for real and records every leaf module and
every tensor function called outside one (``__torch_function__``), so joins such as
``torch.cat`` and ``+`` are in the graph too. ``graph.graph["tracer"]`` says which one ran.

Two kinds of saved model are read from their own graphs instead:

- An exported program's module (``torch.export.load(path).module()``, an fx GraphModule of
  aten operations) is used as its own fx graph: one node per aten operation, named as in the
  program, inside the module hierarchy recorded at export (an operation of a torch.nn layer
  takes the layer's path as its ``qualname``).
- A TorchScript module: hooks do not fire inside scripted code and fx cannot trace it, so the
  inlined TorchScript graph is read (one node per aten operation, its module found from the
  parameters it uses or TorchScript's module hierarchy) and run once by TorchScript itself to
  learn every tensor's shape. Control flow (``prim::If``, ``prim::Loop``) that computes tensors
  is one node of category ``other``: the operations inside it are not drawn.
"""
from __future__ import annotations

import inspect
import itertools
import operator
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import networkx as nx
import torch
from torch import nn
from torch.fx import GraphModule, Node, Tracer
from torch.fx.operator_schemas import normalize_function
from torch.fx.passes import shape_prop
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata
from torch.func import functional_call
from torch.overrides import TorchFunctionMode

from cnnviz import analysis
from cnnviz import graph as g
from cnnviz.errors import TraceError

FX = "torch.fx"
RECORDER = "recorder"
TORCHSCRIPT = "torchscript"

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


def trace_model(model: nn.Module, example_input: torch.Tensor, name: str = "model") -> nx.DiGraph:
    """Trace ``model`` (in eval mode) on ``example_input`` into an analysed operation graph.

    Raises :class:`TraceError` when the model cannot run on the input; its ``__cause__`` is
    what the model raised.
    """
    try:
        model.eval()
    except NotImplementedError:  # an exported program's module: its mode was fixed at export
        pass
    if isinstance(model, torch.jit.ScriptModule):
        graph, note = _trace_with_torchscript(model, example_input, name)
        graph.graph[g.TRACER] = TORCHSCRIPT
        graph.graph[g.TRACER_NOTE] = note
    else:
        graph = _trace_python_module(model, example_input, name)
    graph.graph[g.MODEL] = name
    graph.graph[g.INPUT_SHAPE] = tuple(example_input.shape)
    analysis.annotate(graph)
    return graph


def _trace_python_module(model: nn.Module, example_input: torch.Tensor, name: str) -> nx.DiGraph:
    try:
        graph = _trace_with_fx(model, example_input)
        graph.graph[g.TRACER] = FX
        graph.graph[g.TRACER_NOTE] = ""
    except Exception as fx_error:  # fx fails in many ways on user code; the recorder copes
        note = f"torch.fx could not trace it ({_first_line(fx_error)}); recorded a real run instead"
        try:
            graph = _trace_with_recorder(model, example_input)
        except Exception as error:
            raise TraceError(f"cannot trace {name}: {_first_line(error)}") from error
        graph.graph[g.TRACER] = RECORDER
        graph.graph[g.TRACER_NOTE] = note
    return graph


def is_leaf_module(module: nn.Module) -> bool:
    """Modules drawn as one node: torch.nn's own layers (as torch.fx treats them), not containers."""
    is_torch_nn = type(module).__module__.startswith(("torch.nn", "torch.ao.nn"))
    return is_torch_nn and not isinstance(module, (nn.Sequential, nn.ModuleList, nn.ModuleDict))


def _is_leaf_type_name(qualified_name: str) -> bool:
    """``torch.nn.modules.conv.Conv2d`` (a type's full name, as export and TorchScript record
    it) names a torch.nn layer, not a container."""
    name = qualified_name.removeprefix("__torch__.")
    return name.startswith(("torch.nn.", "torch.ao.nn.")) \
        and name.rpartition(".")[2] not in _CONTAINERS


def _split_leaf(chain: tuple[tuple[str, str], ...], innermost_is_leaf: bool, name: str
                ) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(qualname, hierarchy) of an operation inside the modules ``chain``, outermost first.

    An operation of a torch.nn layer is named after the layer and the layer leaves the
    hierarchy, as for a layer traced whole; other operations are named within their module.
    """
    if chain and innermost_is_leaf:
        return chain[-1][0], chain[:-1]
    return (f"{chain[-1][0]}.{name}" if chain else name), chain


# --------------------------------------------------------------------------------------------
# Shared node construction


class _GraphBuilder:
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
            category=_FUNCTION_CATEGORIES.get(function_name, g.Category.OTHER),
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


def module_config(module: nn.Module) -> dict[str, Any]:
    """The module's hyper-parameters as plain values."""
    config = {key: _plain(getattr(module, key)) for key in _CONFIG_ATTRIBUTES
              if hasattr(module, key) and not callable(getattr(module, key))}
    if isinstance(module, (nn.modules.conv._ConvNd, nn.Linear)):
        config["bias"] = module.bias is not None
    return {key: value for key, value in config.items() if value is not None or key == "stride"}


def call_config(function: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    """The non-tensor arguments of a call, by parameter name where torch knows the schema."""
    named = _normalized_arguments(function, args, kwargs)
    if named is None:
        named = {f"arg{i}": value for i, value in enumerate(args)} | dict(kwargs)
    return {key: _plain(value) for key, value in named.items() if _is_plain(value)}


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


def _is_plain(value: Any) -> bool:
    if isinstance(value, (bool, int, float, str)) or value is None:
        return True
    if isinstance(value, (tuple, list, torch.Size)):
        return all(isinstance(v, (bool, int, float, str)) for v in value)
    return False


def _plain(value: Any) -> Any:
    if isinstance(value, (tuple, list, torch.Size)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


# --------------------------------------------------------------------------------------------
# torch.fx


class _LeafTracer(Tracer):
    def is_leaf_module(self, module: nn.Module, qualified_name: str) -> bool:
        return is_leaf_module(module)


def fx_module(model: nn.Module) -> GraphModule:
    """The model as a torch.fx GraphModule, its node names those of ``trace_model``'s graph.

    A GraphModule (an exported program's module, a model traced before) is its own graph.
    Raises what torch.fx raises for a model it cannot trace (``trace_model`` records those).
    """
    if isinstance(model, GraphModule):
        return model
    return GraphModule(model, _LeafTracer().trace(model))


def _trace_with_fx(model: nn.Module, example_input: torch.Tensor) -> nx.DiGraph:
    module = fx_module(model)
    _propagate_shapes(module, example_input)
    return _graph_from_fx(module, model)


def _propagate_shapes(module: GraphModule, example_input: torch.Tensor) -> None:
    """Shapes from a run on the meta device (no arithmetic), or a real run where meta fails."""
    with torch.no_grad(), _quiet_shape_propagation():
        try:
            meta_state = {f"module.{name}": torch.empty_like(tensor, device="meta")
                          for name, tensor in itertools.chain(module.named_parameters(),
                                                              module.named_buffers())}
            functional_call(_ShapePropagation(module), meta_state, (example_input.to("meta"),))
        except Exception:  # some operations have no meta kernel
            ShapeProp(module).propagate(example_input)


@contextmanager
def _quiet_shape_propagation() -> Iterator[None]:
    """torch.fx's ShapeProp prints a traceback for a failing node before raising; failures
    are handled here (by the recorder), so nothing should reach the user's terminal."""
    saved = shape_prop.traceback
    shape_prop.traceback = SimpleNamespace(print_exc=lambda *args, **kwargs: None)
    try:
        yield
    finally:
        shape_prop.traceback = saved


class _ShapePropagation(nn.Module):
    """Runs torch.fx's ShapeProp as a forward, so ``functional_call`` can swap in meta weights."""

    def __init__(self, module: GraphModule) -> None:
        super().__init__()
        self.module = module

    def forward(self, example_input: torch.Tensor) -> None:
        ShapeProp(self.module).propagate(example_input)


def _graph_from_fx(module: GraphModule, model: nn.Module) -> nx.DiGraph:
    builder = _GraphBuilder(model)
    # fx nodes that are not drawn: parameters (get_attr) and tuple items (getitem on a tuple).
    parameter_of: dict[Node, list[torch.Tensor]] = {}
    item_of: dict[Node, tuple[Node, int]] = {}
    drawn: dict[Node, str] = {}

    def source(node: Node) -> tuple[str, tuple[int, ...] | None] | None:
        """The drawn node a tensor input comes from, and the tensor's shape."""
        if node in item_of:
            producer, index = item_of[node]
            return (drawn[producer], _shape_of(producer, index)) if producer in drawn else None
        return (drawn[node], _shape_of(node)) if node in drawn else None

    for node in module.graph.nodes:
        meta = node.meta.get("tensor_meta")
        if node.op == "get_attr":
            parameter_of[node] = [_fetch_attribute(module, node.target)]
            continue
        if _is_tuple_item(node):
            item_of[node] = (node.args[0], node.args[1])
            continue
        if node.op not in ("placeholder", "output") and _first_metadata(meta) is None:
            continue  # sizes, shapes and other non-tensor values
        inputs = node.all_input_nodes
        edges = [s for s in (source(n) for n in inputs) if s is not None]
        params_used = [p for n in inputs for p in parameter_of.get(n, [])]
        if not edges and node.op in ("call_function", "call_method"):
            parameter_of[node] = params_used  # computed from parameters alone (class tokens)
            continue
        in_shapes = [shape for _, shape in edges] + [tuple(p.shape) for p in params_used]
        out = _first_metadata(meta)
        out_shape = tuple(out.shape) if out is not None else None
        dtype = str(out.dtype).removeprefix("torch.") if out is not None else ""
        hierarchy = _fx_hierarchy(node)
        if node.op == "placeholder":
            builder.add_node(node.name, op="placeholder", target=str(node.target),
                             qualname=node.name, module_type="input", category=g.Category.INPUT,
                             config={}, in_shapes=[], out_shape=out_shape, dtype=dtype,
                             params=(0, 0), hierarchy=())
        elif node.op == "output":
            out_shape = edges[0][1] if len(edges) == 1 else None
            builder.add_node(node.name, op="output", target="output", qualname="output",
                             module_type="output", category=g.Category.OUTPUT, config={},
                             in_shapes=in_shapes, out_shape=out_shape, dtype="", params=(0, 0),
                             hierarchy=())
        elif node.op == "call_module":
            builder.add_module_node(node.name, str(node.target), module.get_submodule(node.target),
                                    in_shapes, out_shape, dtype, hierarchy[:-1])
        else:
            if params_used and _is_opaque(node.target):
                raise TraceError(f"{readable_function_name(node.target)} hides layers inside one call")
            # Exported programs record the torch.nn layer an aten operation belongs to.
            in_layer = bool(hierarchy) and _is_leaf_type_name(_fx_type_name(node, -1))
            qualname, hierarchy = _split_leaf(hierarchy, in_layer, node.name)
            builder.add_function_node(node.name, node.op, node.target, _fx_values(node.args),
                                      _fx_values(node.kwargs), params_used, in_shapes, out_shape,
                                      dtype, hierarchy, qualname)
        drawn[node] = node.name
        for source_name, shape in edges:
            builder.add_edge(source_name, node.name, shape)
    return builder.graph


def _is_opaque(target: Any) -> bool:
    """A function outside torch that fx kept whole (``torch.fx.wrap``) though it holds layers."""
    package = (getattr(target, "__module__", None) or "").split(".")[0]
    return callable(target) and package not in ("torch", "_operator", "operator", "builtins")


def _is_tuple_item(node: Node) -> bool:
    if node.op != "call_function" or node.target is not operator.getitem:
        return False
    producer = node.args[0]
    return isinstance(producer, Node) and _is_sequence_metadata(producer.meta.get("tensor_meta"))


def _is_sequence_metadata(meta: Any) -> bool:
    """Metadata of a tuple or list of tensors (TensorMetadata itself is a NamedTuple)."""
    return isinstance(meta, (tuple, list)) and not isinstance(meta, TensorMetadata)


def _first_metadata(meta: Any) -> TensorMetadata | None:
    if isinstance(meta, TensorMetadata):
        return meta
    if _is_sequence_metadata(meta) and meta and isinstance(meta[0], TensorMetadata):
        return meta[0]
    return None


def _shape_of(node: Node, index: int | None = None) -> tuple[int, ...] | None:
    meta = node.meta.get("tensor_meta")
    if index is not None and _is_sequence_metadata(meta) and index < len(meta):
        meta = meta[index]
    meta = _first_metadata(meta)
    return tuple(meta.shape) if meta is not None else None


def _fetch_attribute(module: nn.Module, target: str) -> torch.Tensor:
    value: Any = module
    for part in target.split("."):
        value = getattr(value, part)
    return value


def _fx_hierarchy(node: Node) -> tuple[tuple[str, str], ...]:
    """(path, type name) of the modules around an fx node, outermost first."""
    stack = node.meta.get("nn_module_stack") or {}
    return tuple((path, _fx_type_name_of(module_type).rpartition(".")[2])
                 for path, module_type in stack.values() if path)


def _fx_type_name(node: Node, index: int) -> str:
    """The full type name of the ``index``-th module around an fx node (root excluded)."""
    stack = [module_type for path, module_type in (node.meta.get("nn_module_stack") or {}).values()
             if path]
    return _fx_type_name_of(stack[index])


def _fx_type_name_of(module_type: type | str) -> str:
    """torch.fx records module types as types, torch.export as their full names."""
    if isinstance(module_type, type):
        return f"{module_type.__module__}.{module_type.__qualname__}"
    return str(module_type)


def _fx_values(value: Any) -> Any:
    """fx arguments with graph nodes replaced by a placeholder (only plain values matter)."""
    return torch.fx.node.map_arg(value, lambda _: _TENSOR)


class _TensorArgument:
    def __repr__(self) -> str:
        return "<tensor>"


_TENSOR = _TensorArgument()


# --------------------------------------------------------------------------------------------
# Fallback: record a real run


def _trace_with_recorder(model: nn.Module, example_input: torch.Tensor) -> nx.DiGraph:
    recorder = _Recorder(model)
    recorder.record_input(example_input)
    with torch.no_grad(), recorder.hooks(), recorder:
        output = model(example_input)
    recorder.record_output(output)
    return recorder.builder.graph


def record_run(model: nn.Module, example_input: torch.Tensor,
               on_node: Callable[[str, torch.Tensor, float], None]) -> Any:
    """Run ``model`` as the fallback tracer records it, reporting each operation as it ends.

    ``on_node(name, output, seconds)`` gets the name the operation has in the recorder's graph,
    its first output tensor, and the seconds the operation itself took: a leaf module from its
    forward pre-hook to its forward hook, a function around its call. The input and output
    nodes are not reported. Runs in the caller's grad mode; returns the model's output.
    """
    recorder = _ObservingRecorder(model, on_node)
    recorder.record_input(example_input)
    with recorder.hooks(), recorder:
        return model(example_input)


class _Recorder(TorchFunctionMode):
    """Records leaf modules (through forward hooks) and the tensor functions between them."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.builder = _GraphBuilder(model)
        self._paths = {id(m): path for path, m in model.named_modules(remove_duplicate=False)}
        self._stack: list[tuple[str, str]] = []  # enclosing non-leaf modules
        self._leaf_depth = 0  # > 0 while inside a leaf module: its internals are not recorded
        self._producer: dict[int, tuple[str, tuple[int, ...]]] = {}
        # Parameters, and tensors computed from parameters alone, by id: what they carry.
        self._parameters_behind: dict[int, list[torch.Tensor]] = {
            id(p): [p] for p in model.parameters()}
        self._alive: list[torch.Tensor] = []  # keeps recorded tensors' ids from being reused

    def record_input(self, tensor: torch.Tensor) -> None:
        self.builder.add_node("x", op="placeholder", target="x", qualname="x",
                              module_type="input", category=g.Category.INPUT, config={},
                              in_shapes=[], out_shape=tuple(tensor.shape),
                              dtype=_dtype_name(tensor), params=(0, 0), hierarchy=())
        self._produced(tensor, "x")

    def record_output(self, output: Any) -> None:
        sources = self._sources(list(tensors_in(output)))
        self.builder.add_node("output", op="output", target="output", qualname="output",
                              module_type="output", category=g.Category.OUTPUT, config={},
                              in_shapes=[s for _, s in sources],
                              out_shape=sources[0][1] if len(sources) == 1 else None,
                              dtype="", params=(0, 0), hierarchy=())
        for name, shape in sources:
            self.builder.add_edge(name, "output", shape)

    def hooks(self) -> "_HookRegistration":
        return _HookRegistration(self._before_module, self._after_module)

    def __torch_function__(self, func: Callable, types: Any, args: tuple = (),
                           kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if self._leaf_depth == 0:
            self._record_function(func, args, kwargs, result)
        return result

    def _record_function(self, func: Callable, args: tuple, kwargs: dict, result: Any) -> None:
        outputs = list(tensors_in(result))
        if not outputs:
            return
        inputs = list(tensors_in((args, kwargs)))
        sources = self._sources(inputs)
        params_used = [p for t in inputs for p in self._parameters_behind.get(id(t), [])]
        if not sources:  # not computed from the model's input: charge its parameters onwards
            for tensor in outputs:
                self._parameters_behind[id(tensor)] = params_used
                self._alive.append(tensor)
            return
        function_name = readable_function_name(func)
        if function_name == "getitem" and isinstance(args[0], (tuple, list)):
            return
        name = self.builder.unique_name(function_name)
        plain_args = tuple(_TENSOR if isinstance(a, torch.Tensor) else a for a in args)
        plain_kwargs = {k: _TENSOR if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}
        self.builder.add_function_node(
            name, "call_function", func, plain_args, plain_kwargs, params_used,
            [s for _, s in sources] + [tuple(p.shape) for p in params_used],
            tuple(outputs[0].shape), _dtype_name(outputs[0]), tuple(self._stack))
        self._connect(name, sources, outputs)

    def _before_module(self, module: nn.Module, args: tuple) -> None:
        if self._leaf_depth:
            self._leaf_depth += 1
        elif is_leaf_module(module):
            self._leaf_depth = 1
        elif id(module) in self._paths and self._paths[id(module)]:
            self._stack.append((self._paths[id(module)], type(module).__name__))

    def _after_module(self, module: nn.Module, args: tuple, result: Any) -> None:
        if self._leaf_depth > 1:
            self._leaf_depth -= 1
            return
        if self._leaf_depth == 1:
            self._leaf_depth = 0
            self._record_module(module, args, result)
        elif self._stack and self._stack[-1][0] == self._paths.get(id(module)):
            self._stack.pop()

    def _record_module(self, module: nn.Module, args: tuple, result: Any) -> None:
        outputs = list(tensors_in(result))
        sources = self._sources(list(tensors_in(args)))
        if not outputs or not sources:
            return
        qualname = self._paths.get(id(module), type(module).__name__)
        name = self.builder.unique_name(qualname.replace(".", "_") or "module")
        self.builder.add_module_node(name, qualname, module, [s for _, s in sources],
                                     tuple(outputs[0].shape), _dtype_name(outputs[0]),
                                     tuple(self._stack))
        self._connect(name, sources, outputs)

    def _sources(self, tensors: list[torch.Tensor]) -> list[tuple[str, tuple[int, ...]]]:
        return [self._producer[id(t)] for t in tensors if id(t) in self._producer]

    def _connect(self, name: str, sources: list[tuple[str, tuple[int, ...]]],
                 outputs: list[torch.Tensor]) -> None:
        for source, shape in sources:
            self.builder.add_edge(source, name, shape)
        for tensor in outputs:
            self._produced(tensor, name)

    def _produced(self, tensor: torch.Tensor, name: str) -> None:
        self._producer[id(tensor)] = (name, tuple(tensor.shape))
        self._alive.append(tensor)


class _ObservingRecorder(_Recorder):
    """The recorder, also timing each operation and handing its output to a callback."""

    def __init__(self, model: nn.Module,
                 on_node: Callable[[str, torch.Tensor, float], None]) -> None:
        super().__init__(model)
        self._on_node = on_node
        self._module_starts: list[float] = []
        self._seconds = 0.0

    def __torch_function__(self, func: Callable, types: Any, args: tuple = (),
                           kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if self._leaf_depth:
            return func(*args, **kwargs)
        start = time.perf_counter()
        result = func(*args, **kwargs)
        self._seconds = time.perf_counter() - start
        self._record_function(func, args, kwargs, result)
        return result

    def _before_module(self, module: nn.Module, args: tuple) -> None:
        self._module_starts.append(time.perf_counter())
        super()._before_module(module, args)

    def _after_module(self, module: nn.Module, args: tuple, result: Any) -> None:
        self._seconds = time.perf_counter() - self._module_starts.pop()
        super()._after_module(module, args, result)

    def _connect(self, name: str, sources: list[tuple[str, tuple[int, ...]]],
                 outputs: list[torch.Tensor]) -> None:
        super()._connect(name, sources, outputs)
        self._leaf_depth += 1  # the callback's own tensor operations are not the model's
        try:
            self._on_node(name, outputs[0], self._seconds)
        finally:
            self._leaf_depth -= 1


class _HookRegistration:
    """Global module hooks for the duration of a ``with`` block."""

    def __init__(self, before: Callable, after: Callable) -> None:
        self._before, self._after = before, after
        self._handles: list[Any] = []

    def __enter__(self) -> None:
        self._handles = [
            nn.modules.module.register_module_forward_pre_hook(self._before),
            nn.modules.module.register_module_forward_hook(self._after),
        ]

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()


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


def _dtype_name(tensor: torch.Tensor) -> str:
    return str(tensor.dtype).removeprefix("torch.")


# --------------------------------------------------------------------------------------------
# TorchScript: the inlined graph, with shapes from one run of it

_TORCHSCRIPT_NOTE = ("read from the TorchScript graph; operations inside control flow "
                     "(if, loop) are drawn as one node")
# TorchScript nodes that only pack, unpack or convert values: their outputs carry their inputs.
_TORCHSCRIPT_PLUMBING = ("prim::ListConstruct", "prim::TupleConstruct", "prim::ListUnpack",
                         "prim::TupleUnpack", "prim::TupleIndex", "aten::__getitem__",
                         "prim::unchecked_cast", "aten::list", "prim::DictConstruct",
                         "aten::values", "prim::data", "aten::detach", "prim::NumToTensor")
# List operations that add their other inputs' tensors to the list in their first input.
_TORCHSCRIPT_LIST_MUTATIONS = ("aten::append", "aten::extend", "aten::insert",
                               "aten::_set_item")


def _trace_with_torchscript(model: torch.jit.ScriptModule, example_input: torch.Tensor,
                            name: str) -> tuple[nx.DiGraph, str]:
    """One node per aten operation of the inlined TorchScript graph, shapes from a run; the
    whole model as one node where the graph holds what the reader does not know. Returns the
    graph and the tracer note."""
    script_graph = _readable_graph(model)
    inputs = list(script_graph.inputs())
    if len(inputs) != 2:
        raise TraceError(f"cannot trace {name}: its forward takes {len(inputs) - 1} inputs; "
                         "cnnviz draws models with one input tensor")
    try:
        values = _run_torchscript_graph(model, script_graph, example_input)
    except Exception as error:
        try:  # a branch not taken leaves its results undefined, and they cannot be returned
            values = _run_torchscript_graph(model, script_graph, example_input,
                                            control_flow=False)
        except Exception:
            raise TraceError(f"cannot trace {name}: {_last_line(error)}") from error
    try:
        return _ScriptGraphReader(model, values).read(script_graph, example_input), \
            _TORCHSCRIPT_NOTE
    except Exception as error:  # a construct the reader does not know: draw the model whole
        with torch.no_grad():
            output = model(example_input)
        return _one_node_graph(model, example_input, output), (
            f"the TorchScript graph could not be read ({_first_line(error)}): the model is "
            "drawn as one node")


def _one_node_graph(model: nn.Module, example_input: torch.Tensor, output: Any) -> nx.DiGraph:
    """Input → the whole model → output."""
    builder = _GraphBuilder(model)
    first = _first_tensor_in(output)
    out_shape = tuple(first.shape) if first is not None else None
    shape = tuple(example_input.shape)
    builder.add_node("x", op="placeholder", target="x", qualname="x", module_type="input",
                     category=g.Category.INPUT, config={}, in_shapes=[], out_shape=shape,
                     dtype=_dtype_name(example_input), params=(0, 0), hierarchy=())
    module_type = getattr(model, "original_name", type(model).__name__)
    builder.add_node("model", op="call_module", target="", qualname="model",
                     module_type=module_type, category=g.Category.OTHER, config={},
                     in_shapes=[shape], out_shape=out_shape,
                     dtype=_dtype_name(first) if first is not None else "",
                     params=builder.count_parameters(list(model.parameters())), hierarchy=())
    builder.add_node("output", op="output", target="output", qualname="output",
                     module_type="output", category=g.Category.OUTPUT, config={},
                     in_shapes=[out_shape] if out_shape else [], out_shape=out_shape, dtype="",
                     params=(0, 0), hierarchy=())
    builder.add_edge("x", "model", shape)
    if out_shape is not None:
        builder.add_edge("model", "output", out_shape)
    return builder.graph


def _readable_graph(model: torch.jit.ScriptModule) -> torch._C.Graph:
    """The model's inlined graph with its plain attributes (``training``, flags such as
    ``use_res_connect``) folded into constants, so the branches on them disappear, as
    ``torch.jit.freeze`` would do; parameters and submodules stay attributes. Nothing is
    folded where the graph sets attributes."""
    script_graph = model.inlined_graph
    nodes = list(script_graph.nodes())
    if any(node.kind() == "prim::SetAttr" for node in _all_nodes(nodes)):
        return script_graph
    try:
        objects = {next(script_graph.inputs()).debugName(): model}
        for node in _all_nodes(nodes):
            if node.kind() != "prim::GetAttr" or node.inputsAt(0).debugName() not in objects:
                continue
            value = getattr(objects[node.inputsAt(0).debugName()], node.s("name"))
            if isinstance(value, nn.Module):
                objects[node.output().debugName()] = value
            elif isinstance(value, (bool, int, float)) or value is None:
                with script_graph.insert_point_guard(node):
                    constant = script_graph.insertConstant(value)
                node.output().replaceAllUsesWith(constant)
        torch._C._jit_pass_constant_propagation(script_graph)
        torch._C._jit_pass_dce(script_graph)
    except (AttributeError, RuntimeError):  # what Python cannot see: read it unfolded
        return model.inlined_graph
    return script_graph


def _all_nodes(nodes: list[torch._C.Node]) -> Iterator[torch._C.Node]:
    for node in nodes:
        yield node
        yield from _nodes_within(node)


def _run_torchscript_graph(model: torch.jit.ScriptModule, script_graph: torch._C.Graph,
                           example_input: torch.Tensor, control_flow: bool = True
                           ) -> dict[str, Any]:
    """The tensors of every top-level value of the graph, by debug name, from one run of
    TorchScript's own interpreter: a function made from a copy of the graph rewritten to
    return them all (the tensor items of tuples; optional tensors cannot be returned).
    Without ``control_flow`` the results of ifs and loops are left out."""
    probe_graph = script_graph.copy()  # the same nodes in the same order; names may differ
    probes: list[tuple[str, list[torch._C.Value]]] = []
    left_out = ("prim::Uninitialized",) if control_flow else (
        "prim::Uninitialized", "prim::If", "prim::Loop")
    for original, node in zip(list(script_graph.nodes()), list(probe_graph.nodes())):
        if node.kind() in left_out:
            continue
        for name, value in zip([v.debugName() for v in original.outputs()], node.outputs()):
            if _is_tensor_type(value.type()):
                probes.append((name, [value]))
            elif isinstance(value.type(), torch._C.TupleType):
                elements = value.type().elements()
                if not any(_is_tensor_type(element) for element in elements):
                    continue
                unpack = probe_graph.create("prim::TupleUnpack", [value], len(elements))
                for item, element in zip(unpack.outputs(), elements):
                    item.setType(element)
                unpack.insertAfter(node)
                items = zip(unpack.outputs(), elements)
                probes.append((name, [item for item, element in items
                                      if _is_tensor_type(element)]))
    ret = probe_graph.return_node()
    everything = [ret.inputsAt(0), *(item for _, items in probes for item in items)]
    pack = probe_graph.create("prim::TupleConstruct", everything, 1)
    pack.output().setType(torch._C.TupleType([value.type() for value in everything]))
    pack.insertBefore(ret)
    ret.replaceInput(0, pack.output())
    function = torch._C._create_function_from_graph("cnnviz_probe", probe_graph)
    with torch.no_grad():
        results = iter(function(model._c, example_input)[1:])
    values: dict[str, Any] = {}
    for name, items in probes:
        taken = tuple(next(results) for _ in items)
        values[name] = taken[0] if len(taken) == 1 else taken
    return values


def _holds_tensors(value_type: torch._C.JitType) -> bool:
    """A tensor, an optional one, a list of them, or a tuple holding any of those."""
    if isinstance(value_type, torch._C.TupleType):
        return any(_holds_tensors(element) for element in value_type.elements())
    return _is_tensor_type(value_type) or value_type.isSubtypeOf(torch._C.OptionalType.ofTensor())


def _is_tensor_type(value_type: torch._C.JitType) -> bool:
    return value_type.isSubtypeOf(torch._C.TensorType.get()) \
        or value_type.isSubtypeOf(torch._C.ListType.ofTensors())


class _ScriptGraphReader:
    """Builds the cnnviz graph from an inlined TorchScript graph and its run's values."""

    def __init__(self, model: torch.jit.ScriptModule, values: dict[str, Any]) -> None:
        self.builder = _GraphBuilder(model)
        self._model = model
        self._values = values
        self._modules = dict(model.named_modules())
        self._owners = {id(t): path for path, module in self._modules.items()
                        for t in itertools.chain(module.parameters(recurse=False),
                                                 module.buffers(recurse=False))}
        self._objects: dict[str, Any] = {}  # modules and tensors fetched by prim::GetAttr
        self._sources: dict[str, list[tuple[str, tuple[int, ...]]]] = {}  # drawn producers
        self._parameters: dict[str, list[torch.Tensor]] = {}  # weights behind a value

    def read(self, script_graph: torch._C.Graph, example_input: torch.Tensor) -> nx.DiGraph:
        self_value, input_value = script_graph.inputs()
        self._objects[self_value.debugName()] = self._model
        shape = tuple(example_input.shape)
        self.builder.add_node("x", op="placeholder", target="x", qualname="x",
                              module_type="input", category=g.Category.INPUT, config={},
                              in_shapes=[], out_shape=shape, dtype=_dtype_name(example_input),
                              params=(0, 0), hierarchy=())
        self._sources[input_value.debugName()] = [("x", shape)]
        for node in script_graph.nodes():
            self._read_node(node)
        self._add_output(script_graph.return_node().inputsAt(0).debugName())
        return self.builder.graph

    def _read_node(self, node: torch._C.Node) -> None:
        kind = node.kind()
        outputs = [value.debugName() for value in node.outputs()]
        if kind == "prim::GetAttr":
            self._read_attribute(node)
            return
        for inner in _nodes_within(node):  # control flow: what its blocks fetch and read
            if inner.kind() == "prim::GetAttr":
                self._read_attribute(inner)
        names = [value.debugName() for value in _inputs_within(node)]
        sources = list(dict.fromkeys(s for n in names for s in self._sources.get(n, [])))
        used = list({id(p): p for n in names for p in self._parameters.get(n, [])}.values())
        if not sources:  # computed from weights alone: carried on to where the input meets them
            for output in outputs:
                self._parameters[output] = used
            return
        if kind in _TORCHSCRIPT_LIST_MUTATIONS:  # the list itself now holds more tensors
            outputs.append(names[0])
        if kind in _TORCHSCRIPT_PLUMBING or kind in _TORCHSCRIPT_LIST_MUTATIONS:
            for output in outputs:
                self._sources[output] = self._with_shape(sources, output)
                self._parameters[output] = used
            return
        produced = [value.debugName() for value in node.outputs() if _holds_tensors(value.type())]
        if not produced:
            return  # sizes, flags, checks: no tensor comes out
        if _is_in_place(kind):  # later readers of the tensor read what this operation wrote
            produced.append(names[0])
        self._add_operation(node, produced, sources, used)

    def _read_attribute(self, node: torch._C.Node) -> None:
        """``prim::GetAttr``: a submodule, a parameter or a buffer of an object we know."""
        owner = self._objects.get(node.inputsAt(0).debugName())
        if owner is None:
            return
        fetched = getattr(owner, node.s("name"))
        output = node.output().debugName()
        self._objects[output] = fetched
        if isinstance(fetched, torch.Tensor):
            self._parameters[output] = [fetched]

    def _add_operation(self, node: torch._C.Node, produced: list[str],
                       sources: list[tuple[str, tuple[int, ...]]],
                       used: list[torch.Tensor]) -> None:
        kind = node.kind()
        function_name = readable_function_name(kind.replace("prim::", "").lower())
        name = self.builder.unique_name(function_name)
        chain, in_layer = self._module_chain(node, used)
        qualname, hierarchy = _split_leaf(chain, in_layer, name)
        first = _first_tensor_in(self._values.get(produced[0]))
        self.builder.add_node(
            name, op="call_function", target=kind, qualname=qualname,
            module_type=function_name,
            category=_FUNCTION_CATEGORIES.get(function_name, g.Category.OTHER),
            config=_script_config(node), in_shapes=[s for _, s in sources]
            + [tuple(p.shape) for p in used],
            out_shape=tuple(first.shape) if first is not None else None,
            dtype=_dtype_name(first) if first is not None else "",
            params=self.builder.count_parameters(used), hierarchy=hierarchy)
        for source, shape in sources:
            self.builder.add_edge(source, name, shape)
        for output in produced:
            self._sources[output] = self._with_shape([(name, ())], output)

    def _with_shape(self, sources: list[tuple[str, tuple[int, ...]]], value: str
                    ) -> list[tuple[str, tuple[int, ...]]]:
        """The sources of ``value``, with its own shape where the run recorded it."""
        tensor = _first_tensor_in(self._values.get(value))
        if tensor is None:
            return sources
        return [(source, tuple(tensor.shape)) for source, _ in sources]

    def _module_chain(self, node: torch._C.Node, used: list[torch.Tensor]
                      ) -> tuple[tuple[tuple[str, str], ...], bool]:
        """The modules around an operation, outermost first, and whether the innermost is a
        torch.nn layer. The module owning the weights it uses is certain; otherwise
        TorchScript's module hierarchy is followed from the root."""
        path = self._owner_of(used) if used else self._hierarchy_path(node.getModuleHierarchy())
        if not path:
            return (), False
        parts = path.split(".")
        prefixes = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
        # Lists and dicts of modules are never called: torch.fx leaves them out too.
        chain = tuple((prefix, self._type_name(prefix)) for prefix in prefixes
                      if self._type_name(prefix) not in ("ModuleList", "ModuleDict"))
        module = self._modules.get(path)
        is_leaf = module is not None and _is_leaf_type_name(module._c._type().qualified_name())
        return chain, is_leaf

    def _owner_of(self, used: list[torch.Tensor]) -> str:
        return next((self._owners[id(t)] for t in used if id(t) in self._owners), "")

    def _hierarchy_path(self, hierarchy: str) -> str:
        """``block(Block).conv(Conv2d).SELF(Conv2d)`` → ``block.conv``; an instance TorchScript
        names without its container (``0(Conv2d)`` for ``layers.0``) is looked up in the
        containers right below the module above it."""
        path = ""
        for instance, type_name in re.findall(r"([^.()]+)\(([^()]*)\)", hierarchy):
            if instance in ("SELF", "UNKNOWN_INSTANCE"):
                continue
            direct = f"{path}.{instance}" if path else instance
            if direct not in self._modules:
                contained = [p for p, m in self._modules.items()
                             if p.rpartition(".")[2] == instance
                             and _parent(_parent(p)) == path
                             and getattr(m, "original_name", "") == type_name]
                direct = contained[0] if contained else direct
            path = direct
        return path if path in self._modules else ""

    def _type_name(self, path: str) -> str:
        module = self._modules.get(path)
        return getattr(module, "original_name", type(module).__name__)

    def _add_output(self, returned: str) -> None:
        sources = self._sources.get(returned, [])
        self.builder.add_node("output", op="output", target="output", qualname="output",
                              module_type="output", category=g.Category.OUTPUT, config={},
                              in_shapes=[s for _, s in sources],
                              out_shape=sources[0][1] if len(sources) == 1 else None,
                              dtype="", params=(0, 0), hierarchy=())
        for source, shape in sources:
            self.builder.add_edge(source, "output", shape)


def _nodes_within(node: torch._C.Node) -> Iterator[torch._C.Node]:
    """The nodes inside a node's blocks (the branches of an if, the body of a loop), deeply."""
    for block in node.blocks():
        for inner in block.nodes():
            yield inner
            yield from _nodes_within(inner)


def _inputs_within(node: torch._C.Node) -> list[torch._C.Value]:
    """A node's inputs and every value its blocks read (those defined outside are its inputs
    too: TorchScript blocks read the enclosing scope directly)."""
    values = list(node.inputs())
    for block in node.blocks():
        values += block.returnNode().inputs()
    for inner in _nodes_within(node):
        values += inner.inputs()
    return values


def _is_in_place(kind: str) -> bool:
    """``aten::relu_``, ``aten::add_``: the operation writes into its first input."""
    name = kind.rpartition("::")[2]
    return name.endswith("_") and not name.endswith("__")


def _parent(path: str) -> str:
    return path.rpartition(".")[0]


def _script_config(node: torch._C.Node) -> dict[str, Any]:
    """The constant arguments of a TorchScript operation, by the names in its schema."""
    try:
        arguments = torch._C.parse_schema(node.schema()).arguments
    except RuntimeError:  # no schema: prim:: nodes
        return {}
    config: dict[str, Any] = {}
    for argument, value in zip(arguments, node.inputs()):
        constant = _constant_value(value)
        if constant is not None and _is_plain(constant):
            config[argument.name] = _plain(constant)
    return config


def _constant_value(value: torch._C.Value) -> Any:
    """The value of a constant (or a list of constants), else None."""
    producer = value.node()
    if producer.kind() == "prim::Constant":
        return value.toIValue()
    if producer.kind() == "prim::ListConstruct":
        items = [_constant_value(item) for item in producer.inputs()]
        return None if any(item is None for item in items) else items
    return None


def _first_tensor_in(value: Any) -> torch.Tensor | None:
    return next(tensors_in(value), None)


def _last_line(error: BaseException) -> str:
    """TorchScript errors end with the Python-style line that says what went wrong."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__
