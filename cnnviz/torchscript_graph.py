"""A TorchScript module → the operation graph of ``cnnviz.graph``.

Hooks do not fire inside scripted code and torch.fx cannot trace it, so the inlined TorchScript
graph is read (one node per aten operation, its module found from the parameters it uses or
TorchScript's module hierarchy) and run once by TorchScript itself to learn every tensor's
shape. Control flow (``prim::If``, ``prim::Loop``) that computes tensors is one node of
category ``other``: the operations inside it are not drawn.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import networkx as nx
import torch
from torch import nn

from cnnviz import graph as g
from cnnviz.errors import TraceError
from cnnviz.graph_builder import (
    GraphBuilder, dtype_name, first_line, function_category, is_leaf_type_name,
    is_plain_value, plain_value, readable_function_name, split_leaf, tensors_in,
)

_TORCHSCRIPT_NOTE = ("read from the TorchScript graph; operations inside control flow "
                     "(if, loop) are drawn as one node")
# TorchScript nodes that only pack, unpack or convert values: their outputs carry their inputs.
_TORCHSCRIPT_PLUMBING = ("prim::ListConstruct", "prim::TupleConstruct", "prim::ListUnpack",
                         "prim::TupleUnpack", "prim::TupleIndex", "aten::__getitem__",
                         "prim::unchecked_cast", "aten::list", "prim::DictConstruct",
                         "aten::values", "prim::data", "aten::detach", "prim::NumToTensor")
# Plumbing that packs tensors: each source keeps its own shape (a list is not one tensor).
_TORCHSCRIPT_PACKING = ("prim::ListConstruct", "prim::TupleConstruct", "prim::DictConstruct")
# List operations that add their other inputs' tensors to the list in their first input.
_TORCHSCRIPT_LIST_MUTATIONS = ("aten::append", "aten::extend", "aten::insert",
                               "aten::_set_item")


def trace_torchscript(model: torch.jit.ScriptModule, example_input: torch.Tensor,
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
            f"the TorchScript graph could not be read ({first_line(error)}): the model is "
            "drawn as one node")


def _one_node_graph(model: nn.Module, example_input: torch.Tensor, output: Any) -> nx.DiGraph:
    """Input → the whole model → output."""
    builder = GraphBuilder(model)
    first = _first_tensor_in(output)
    out_shape = tuple(first.shape) if first is not None else None
    shape = tuple(example_input.shape)
    builder.add_input(shape, dtype_name(example_input))
    module_type = getattr(model, "original_name", type(model).__name__)
    builder.add_node("model", op="call_module", target="", qualname="model",
                     module_type=module_type, category=g.Category.OTHER, config={},
                     in_shapes=[shape], out_shape=out_shape,
                     dtype=dtype_name(first) if first is not None else "",
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
        self.builder = GraphBuilder(model)
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
        self.builder.add_input(shape, dtype_name(example_input))
        self._sources[input_value.debugName()] = [("x", shape)]
        for node in script_graph.nodes():
            self._read_node(node)
        returned = script_graph.return_node().inputsAt(0).debugName()
        self.builder.add_output(self._sources.get(returned, []))
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
                self._sources[output] = (sources if kind in _TORCHSCRIPT_PACKING
                                         else self._with_shape(sources, output))
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
        qualname, hierarchy = split_leaf(chain, in_layer, name)
        first = _first_tensor_in(self._values.get(produced[0]))
        self.builder.add_node(
            name, op="call_function", target=kind, qualname=qualname,
            module_type=function_name,
            category=function_category(function_name),
            config=_script_config(node), in_shapes=[s for _, s in sources]
            + [tuple(p.shape) for p in used],
            out_shape=tuple(first.shape) if first is not None else None,
            dtype=dtype_name(first) if first is not None else "",
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
        is_leaf = module is not None and is_leaf_type_name(module._c._type().qualified_name())
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
        if constant is not None and is_plain_value(constant):
            config[argument.name] = plain_value(constant)
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
