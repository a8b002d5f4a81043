"""Inference on one photo: preprocessing, a recorded forward pass, and single-layer captures.

:func:`run` is one forward pass in eval mode that records, for every node of the model's graph
(names as in ``cnnviz.graph``), the time it took and, within a byte budget, what the views need
to show its feature maps afterwards (:class:`ActivationStore`). :func:`statistics` (mean,
extremes and zeros of every node's output) is a pass of its own: reducing every output costs
more than the rest of the recording together.

A run follows the graph's names through ``cnnviz.probes`` (which also says what a node's
time includes). Everything here runs on the torch worker thread, one call at a time, except
``ActivationStore.get`` and ``in``: lookups the GUI thread may make.

Storage: for fx-traced graphs, the output of a node that is cheap to recompute (normalisation,
activation, pooling, addition, multiplication, concatenation, reshaping, dropout) is not kept.
The others (convolutions, linear layers, attention, the input, ...) are kept as they are when
no later operation can write into them, and otherwise copied when they run (into buffers
reused from run to run), in graph order while they fit the budget; for recorder graphs every
node is copied. Nodes that do not fit are listed as evicted. ``ActivationStore.get`` returns
kept outputs only (a lookup, safe on the GUI thread); :func:`capture` recomputes any other node on the worker from what the
latest run kept (a few milliseconds; tens for the last ReLU of ResNet-152's 36-block stage),
or, when that run kept too little or was of another image, with a forward pass.
"""
from __future__ import annotations

import difflib
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import networkx as nx
import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image
from torch import nn
from torch.autograd.graph import GradientEdge, get_gradient_edge

from cnnviz import graph as g
from cnnviz import probes, trace, zoo
from cnnviz.classes import TOP_K, Prediction, class_label, top_predictions  # noqa: F401 (API)
from cnnviz.probes import first_tensor, map_tensors_in
from cnnviz.trace import tensors_in
from cnnviz.errors import Cancelled, CnnvizError
from cnnviz.session import LoadedModel

DEFAULT_BUDGET_BYTES = 512 * 2**20
# Integer views of float types: counting non-zero bit patterns is many times faster than
# comparing floats with zero in torch's CPU kernels.
_BITS = {torch.float32: torch.int32, torch.float64: torch.int64,
         torch.float16: torch.int16, torch.bfloat16: torch.int16}
_SUGGESTIONS = 5


class UnknownLayerError(CnnvizError):
    """A node name that is not in the model's graph."""


@dataclass(frozen=True, eq=False)
class Prepared:
    """An image ready for a network.

    ``tensor``: the network's input, (1, 3, crop, crop) float32, normalised. ``shown``: the
    same pixels as the network sees them, resized and centre-cropped but not normalised,
    (crop, crop, 3) uint8.
    """

    tensor: torch.Tensor
    shown: np.ndarray


@dataclass(frozen=True)
class NodeStats:
    """Statistics of a node's whole output (batch included).

    ``zero_fraction`` is the fraction of elements equal to +0.0: the sparsity that ReLU
    creates. A −0.0 counts as non-zero; it is rare (a Hardswish gives one for some inputs
    below −3).
    """

    mean: float
    max: float
    min: float
    zero_fraction: float


class ActivationStore:
    """Node outputs one run kept, within a byte budget.

    :meth:`get` and ``in`` only look up what was kept, so they are safe on the GUI thread;
    :func:`capture` recomputes the other nodes on the torch worker. :meth:`get` returns a new
    float32 array each time, with the batch dimension removed: (C, H, W) for feature maps,
    (F,) for vectors, (T, C) for tokens. A node whose output is a tuple shows its first tensor.
    """

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._kept: dict[str, Any] = {}  # node outputs, tensors copied (tuples keep their shape)
        self._evicted: list[str] = []
        self._bytes = 0
        # What the outputs came from, for capture() to recompute nodes from them.
        self._model: weakref.ref[nn.Module] | None = None
        self._prepared: Prepared | None = None
        self._plan: probes.FxPlan | None = None
        weakref.finalize(self, _buffers.release, self._kept)

    def get(self, name: str) -> np.ndarray | None:
        """A copy of the node's output if the run kept it, else None."""
        tensor = first_tensor(self._kept.get(name))
        if tensor is None:
            return None
        if tensor.dim() > 0 and tensor.shape[0] == 1:
            tensor = tensor[0]
        return tensor.to(torch.float32, copy=True).numpy()

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._kept

    @property
    def bytes_used(self) -> int:
        """Bytes of the kept outputs."""
        return self._bytes

    @property
    def evicted(self) -> tuple[str, ...]:
        """Nodes that would have been kept but did not fit the budget."""
        return tuple(self._evicted)

    def _keep(self, name: str, value: Any, copy: bool) -> None:
        """Keep a node's output, a copy of it when later operations may change it in place."""
        size = sum(tensor.nbytes for tensor in tensors_in(value))
        if self._bytes + size > self.budget_bytes:
            self._evicted.append(name)
            return
        self._kept[name] = (map_tensors_in(value, lambda tensor: _buffers.take(tensor).copy_(tensor))
                            if copy else value)
        self._bytes += size

    def _output(self, model: nn.Module, prepared: Prepared, name: str) -> torch.Tensor | None:
        """The node's output for this model and image, kept or recomputed from kept outputs."""
        if self._model is None or self._model() is not model or self._prepared is not prepared:
            return None
        if name in self._kept:
            return first_tensor(self._kept[name])
        return None if self._plan is None else self._plan.recompute(name, self._kept)


class _BufferPool:
    """Buffers of the last store that was freed, for the next run to copy outputs into.

    Writing into new memory costs a page fault every 4 KiB, which on a virtual machine takes
    longer than the copy itself; reused buffers are already mapped. Stores only hand out
    copies, so a buffer is reused only once its store is gone.
    """

    def __init__(self) -> None:
        self._free: dict[tuple[tuple[int, ...], torch.dtype], list[torch.Tensor]] = {}
        self._lock = threading.RLock()  # stores are freed on whichever thread drops them last

    def take(self, like: torch.Tensor) -> torch.Tensor:
        """A contiguous buffer of the shape and type of ``like``, reused where possible."""
        with self._lock:
            free = self._free.get((tuple(like.shape), like.dtype))
            if free:
                return free.pop()
        return torch.empty(like.shape, dtype=like.dtype)

    def release(self, kept: dict[str, Any]) -> None:
        """Offer a freed store's buffers, if it had any, in place of those offered before."""
        free: dict[tuple[tuple[int, ...], torch.dtype], list[torch.Tensor]] = {}
        for buffer in tensors_in(list(kept.values())):
            if not _owns_its_memory(buffer):
                continue  # a view kept by reference
            free.setdefault((tuple(buffer.shape), buffer.dtype), []).append(buffer)
        if free:
            with self._lock:
                self._free = free


def _owns_its_memory(tensor: torch.Tensor) -> bool:
    """Whether the tensor is contiguous and the whole of its storage."""
    return tensor.is_contiguous() and tensor.untyped_storage().nbytes() == tensor.nbytes


_buffers = _BufferPool()

# The store of the latest run, while its RunResult lives: capture() recomputes from it.
_latest_store: weakref.ref[ActivationStore] | None = None


class Exposed(NamedTuple):
    """What :func:`forward_exposing` found."""

    value: torch.Tensor
    output: Any
    gradient_edge: GradientEdge | None


@dataclass
class RunResult:
    """What one recorded forward pass found.

    ``timings_ms``: per node, see ``cnnviz.probes`` for what a time includes.
    ``total_ms``: their sum, the forward pass without the recording. ``peak_bytes``: the
    most memory the kept activations held.
    """

    top: list[Prediction]
    probabilities: np.ndarray
    timings_ms: dict[str, float]
    total_ms: float
    activations: ActivationStore
    peak_bytes: int


def prepare(image: Image.Image, preprocessing: zoo.Preprocessing | None) -> Prepared:
    """Resize, centre-crop and normalise as torchvision's weight transforms do, bit for bit
    (grayscale for one-channel models; ``shown`` is then gray in all three channels)."""
    if preprocessing is None:
        raise CnnvizError("this model does not take images: it has no preprocessing for photos")
    mode = "L" if preprocessing.channels == 1 else "RGB"
    converted = image if image.mode == mode else image.convert(mode)
    resized = TF.resize(converted, [preprocessing.resize_size],
                        interpolation=TF.InterpolationMode(preprocessing.interpolation),
                        antialias=True)
    cropped = TF.center_crop(resized, [preprocessing.crop_size])
    tensor = TF.convert_image_dtype(TF.pil_to_tensor(cropped), torch.float)
    tensor = TF.normalize(tensor, list(preprocessing.mean), list(preprocessing.std))
    return Prepared(tensor.unsqueeze(0), np.array(cropped.convert("RGB"), dtype=np.uint8))


def run(loaded: LoadedModel, prepared: Prepared, categories: list[str] | None, *,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        cancelled: Callable[[], bool] | None = None) -> RunResult:
    """One forward pass in eval mode recording every node's time, statistics and output.

    See the module docstring. Raises :class:`Cancelled` once ``cancelled()`` returns True.
    """
    global _latest_store
    model, graph = loaded.model, loaded.graph
    model.eval()
    store = ActivationStore(budget_bytes)
    store._model, store._prepared = weakref.ref(model), prepared
    with torch.inference_mode():
        if graph.graph[g.TRACER] == trace.FX:
            plan = store._plan = probes.fx_plan(model, graph)
            recording = _Recording(store, plan.recomputed, plan.kept_by_reference, cancelled)
        else:
            recording = _Recording(store, frozenset(), frozenset(), cancelled)
        output = probes.observed_forward(model, graph, prepared.tensor, recording)
        probabilities = probabilities_of(output)
    _latest_store = weakref.ref(store)
    return RunResult(
        top=top_predictions(probabilities, categories), probabilities=probabilities,
        timings_ms=recording.timings_ms, total_ms=sum(recording.timings_ms.values()),
        activations=store, peak_bytes=store.bytes_used)


def statistics(loaded: LoadedModel, prepared: Prepared,
               cancelled: Callable[[], bool] | None = None) -> dict[str, NodeStats]:
    """Every node's output statistics for the image, from a forward pass of their own.

    Kept out of :func:`run`: reducing every output three times costs 0.3–0.5× a forward pass,
    and only colouring the diagram by activation needs them. Raises :class:`Cancelled` once
    ``cancelled()`` returns True.
    """
    loaded.model.eval()
    observer = _Statistics(cancelled)
    with torch.inference_mode():
        probes.observed_forward(loaded.model, loaded.graph, prepared.tensor, observer)
    return observer.result()


def predict(loaded: LoadedModel, prepared: Prepared) -> np.ndarray:
    """Class probabilities from one plain forward pass, nothing recorded."""
    loaded.model.eval()
    with torch.inference_mode():
        return probabilities_of(loaded.model(prepared.tensor))


def capture(loaded: LoadedModel, prepared: Prepared, node_name: str) -> np.ndarray:
    """One node's output for the image, float32 with the batch dimension included.

    When the latest :func:`run` was of this model and this ``prepared`` image, the output is
    recomputed from what that run kept (milliseconds); otherwise the network runs again.
    """
    find_node(loaded.graph, node_name)
    loaded.model.eval()
    store = _latest_store() if _latest_store is not None else None
    with torch.inference_mode():
        tensor = None if store is None else store._output(loaded.model, prepared, node_name)
        if tensor is None:
            tensor = forward_exposing(loaded.model, loaded.graph, prepared.tensor, node_name).value
    return tensor.to(torch.float32, copy=True).numpy()


def forward_exposing(model: nn.Module, graph: nx.DiGraph, tensor: torch.Tensor, node_name: str,
                     track_gradient: bool = False) -> Exposed:
    """Run ``model`` on ``tensor`` and return the node's output (a copy taken when the node
    ran) and the model's output.

    Runs in the caller's grad mode. With ``track_gradient`` (the node's output must then track
    gradients) ``Exposed.gradient_edge`` is where that output enters autograd's graph, so
    ``torch.autograd.grad`` differentiates with respect to it as it was when the node ran,
    even where later layers work in place; fx-traced and recorder graphs alike.
    """
    if graph.graph[g.TRACER] == trace.TORCHSCRIPT:
        raise CnnvizError("a TorchScript model runs its graph itself: cnnviz cannot show "
                          "what its layers output")
    exposing = _Exposing(node_name, track_gradient)
    output = probes.observed_forward(model, graph, tensor, exposing)
    if exposing.value is None:
        raise CnnvizError(f"{node_name} did not run for this input")
    return Exposed(exposing.value, output, exposing.edge)


def logits(output: Any) -> torch.Tensor:
    """The class scores in a model's output, as (batch, classes)."""
    tensor = first_tensor(output)
    if tensor is None or tensor.dim() == 0:
        raise CnnvizError("the model's output holds no class scores")
    return tensor.reshape(tensor.shape[0], -1)


def probabilities_of(output: Any) -> np.ndarray:
    """The class probabilities of the first image in a model's output, float32 on the CPU."""
    scores = logits(output)[0].detach().float().cpu()
    return torch.softmax(scores, dim=0).numpy().astype(np.float32, copy=True)


def find_node(graph: nx.DiGraph, name: str) -> dict:
    """The attributes of node ``name``; UnknownLayerError with the closest names otherwise."""
    if name in graph:
        return graph.nodes[name]
    model = graph.graph.get(g.MODEL, "the model")
    close = difflib.get_close_matches(name, list(graph.nodes), n=_SUGGESTIONS, cutoff=0.6)
    if close:
        raise UnknownLayerError(f"no layer {name!r} in {model}: did you mean {', '.join(close)}?")
    raise UnknownLayerError(f"no layer {name!r} in {model} "
                            f"(`cnnviz summary {model}` lists the layer names)")


def concat_sources(graph: nx.DiGraph, name: str) -> list[tuple[str, int]]:
    """The inputs of a concatenation in argument order, each with the channels it contributes.

    Channels are sizes along the concatenated dimension (1 per input for ``stack``). An input
    passed twice appears once, as the graph has one edge per pair of nodes.
    """
    attrs = find_node(graph, name)
    if attrs[g.CATEGORY] != g.Category.CONCAT:
        raise CnnvizError(f"{name} is a {attrs[g.MODULE_TYPE]}, not a concatenation")
    dim = attrs[g.CONFIG].get("dim", 0)
    stacked = attrs[g.MODULE_TYPE] == "stack"
    return [(source, 1 if stacked else shape[dim])
            for source, _, shape in graph.in_edges(name, data=g.SHAPE)]


# --------------------------------------------------------------------------------------------
# The observers of run, statistics and forward_exposing (see ``probes.Observer``)


class _Recording:
    """A run's observer: timing, and keeping the outputs not recomputed (by reference where
    nothing changes them in place later, else as a copy)."""

    def __init__(self, store: ActivationStore, recomputed: frozenset[str],
                 by_reference: frozenset[str], cancelled: Callable[[], bool] | None) -> None:
        self.store = store
        self.timings_ms: dict[str, float] = {}
        self._recomputed = recomputed
        self._by_reference = by_reference
        self._cancelled = cancelled

    def __call__(self, name: str, value: Any, seconds: float) -> Any:
        if self._cancelled is not None and self._cancelled():
            raise Cancelled(f"cancelled at {name}")
        self.timings_ms[name] = seconds * 1e3
        if name not in self._recomputed:
            self.store._keep(name, value, copy=name not in self._by_reference)
        return value


class _Statistics:
    """An observer of per-node mean, extremes and zero count, kept as 0-dim tensors and read
    once at the end.

    torch's reductions, not numpy's: they use the intra-op threads, as the network does.
    """

    def __init__(self, cancelled: Callable[[], bool] | None) -> None:
        self._cancelled = cancelled
        self._names: list[str] = []
        self._sizes: list[int] = []
        self._low: list[torch.Tensor] = []
        self._high: list[torch.Tensor] = []
        self._sums: list[torch.Tensor] = []
        self._nonzero: list[torch.Tensor] = []

    def __call__(self, name: str, value: Any, seconds: float) -> Any:
        if self._cancelled is not None and self._cancelled():
            raise Cancelled(f"cancelled at {name}")
        tensor = first_tensor(value)
        if tensor is None or tensor.numel() == 0:
            return value
        if tensor.dtype not in _BITS:
            tensor = tensor.float()
        low, high = torch.aminmax(tensor)
        self._names.append(name)
        self._sizes.append(tensor.numel())
        self._low.append(low)
        self._high.append(high)
        self._sums.append(tensor.sum(dtype=torch.float32))
        self._nonzero.append(torch.count_nonzero(tensor.contiguous().view(_BITS[tensor.dtype])))
        return value

    def result(self) -> dict[str, NodeStats]:
        if not self._names:
            return {}
        low, high, sums, nonzero = (torch.stack(values).tolist() for values in
                                    (self._low, self._high, self._sums, self._nonzero))
        return {name: NodeStats(mean=total / size, max=top, min=bottom,
                                zero_fraction=(size - count) / size)
                for name, size, bottom, top, total, count
                in zip(self._names, self._sizes, low, high, sums, nonzero)}


class _Exposing:
    """An observer that keeps one node's output (see ``forward_exposing``)."""

    def __init__(self, name: str, track_gradient: bool) -> None:
        self.name, self.track_gradient = name, track_gradient
        self.value: torch.Tensor | None = None
        self.edge: GradientEdge | None = None

    def __call__(self, name: str, value: Any, seconds: float) -> Any:
        if name != self.name:
            return value
        tensor = first_tensor(value)
        if tensor is None:
            raise CnnvizError(f"{name} outputs no tensor")
        if self.track_gradient:
            if not tensor.requires_grad:
                raise CnnvizError(f"{name} does not depend on the input: it has no gradient")
            self.edge = get_gradient_edge(tensor)
        self.value = tensor.detach().clone()
        return value

