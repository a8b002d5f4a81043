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
- A TorchScript module is read by ``cnnviz.torchscript_graph``.
"""
from __future__ import annotations

import itertools
import operator
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import networkx as nx
import torch
from torch import nn
from torch.fx import GraphModule, Node, Tracer
from torch.fx.passes import shape_prop
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata
from torch.func import functional_call
from torch.overrides import TorchFunctionMode

from cnnviz import analysis
from cnnviz import graph as g
from cnnviz.errors import TraceError
from cnnviz.graph_builder import (
    GraphBuilder, dtype_name, first_line, is_leaf_type_name, readable_function_name,
    split_leaf, tensors_in,
)
from cnnviz.torchscript_graph import trace_torchscript

try:
    import tqdm
except ImportError:
    pass
else:  # torch.fx's interpreter makes a (disabled) tqdm bar on every run; the first would
    tqdm.tqdm.monitor_interval = 0  # start tqdm's monitor thread from the torch worker

FX = "torch.fx"
RECORDER = "recorder"
TORCHSCRIPT = "torchscript"


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
        graph, note = trace_torchscript(model, example_input, name)
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
        note = f"torch.fx could not trace it ({first_line(fx_error)}); recorded a real run instead"
        try:
            graph = _trace_with_recorder(model, example_input)
        except Exception as error:
            raise TraceError(f"cannot trace {name}: {first_line(error)}") from error
        graph.graph[g.TRACER] = RECORDER
        graph.graph[g.TRACER_NOTE] = note
    return graph


def is_leaf_module(module: nn.Module) -> bool:
    """Modules drawn as one node: torch.nn's own layers (as torch.fx treats them), not containers."""
    is_torch_nn = type(module).__module__.startswith(("torch.nn", "torch.ao.nn"))
    return is_torch_nn and not isinstance(module, (nn.Sequential, nn.ModuleList, nn.ModuleDict))


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
    builder = GraphBuilder(model)
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
            in_layer = bool(hierarchy) and is_leaf_type_name(_fx_type_name(node, -1))
            qualname, hierarchy = split_leaf(hierarchy, in_layer, node.name)
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
        self.builder = GraphBuilder(model)
        self._paths = {id(m): path for path, m in model.named_modules(remove_duplicate=False)}
        self._stack: list[tuple[str, str]] = []  # enclosing non-leaf modules
        self._leaf_depth = 0  # > 0 while inside a leaf module: its internals are not recorded
        self._producer: dict[int, tuple[str, tuple[int, ...]]] = {}
        # Parameters, and tensors computed from parameters alone, by id: what they carry.
        self._parameters_behind: dict[int, list[torch.Tensor]] = {
            id(p): [p] for p in model.parameters()}
        self._alive: list[torch.Tensor] = []  # keeps recorded tensors' ids from being reused

    def record_input(self, tensor: torch.Tensor) -> None:
        self.builder.add_input(tuple(tensor.shape), dtype_name(tensor))
        self._produced(tensor, "x")

    def record_output(self, output: Any) -> None:
        self.builder.add_output(self._sources(list(tensors_in(output))))

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
            tuple(outputs[0].shape), dtype_name(outputs[0]), tuple(self._stack))
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
                                     tuple(outputs[0].shape), dtype_name(outputs[0]),
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
