"""Comparing zoo models: params, MACs, depth, reference accuracy and measured latency side by side.

The rows hold cnnviz's own counts from the traced graph (params, MACs, depth) next to
torchvision's published top-1 of each model's default weights, so the lessons of the ImageNet
architectures can be read off: how much VGG paid over AlexNet, how little GoogLeNet needed, how
cheaply ResNet and DenseNet went deep. Latency is measured by a function the caller passes in
(the timing module's benchmark on the current device and settings), so this module stays free
of any particular timing method.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import networkx as nx

from cnnviz import graph as g
from cnnviz import session, zoo
from cnnviz.references import ZooModel
from cnnviz.session import LoadedModel

# The ImageNet winners and their best-known heirs, oldest first.
CLASSICS: tuple[str, ...] = (
    "alexnet", "vgg16", "googlenet", "inception_v3", "resnet50", "resnet152", "densenet121",
    "mobilenet_v2", "efficientnet_b0",
)

# Products of two activations (attention scores, attention-weighted values): no weights.
_ACTIVATION_PRODUCTS = frozenset({
    "matmul", "__matmul__", "bmm", "mm", "baddbmm", "einsum", "scaled_dot_product_attention",
})
_WEIGHTED_CATEGORIES = frozenset({g.Category.CONV, g.Category.LINEAR, g.Category.ATTENTION})


@dataclass(frozen=True)
class ModelRow:
    """One model in the comparison; ``latency_ms`` is None until measured."""

    name: str
    display_name: str
    year: int | None
    params: int
    macs: int
    depth: int
    top1: float
    latency_ms: float | None = None


def is_weighted_layer(attrs: dict) -> bool:
    """True for a convolution, linear layer or attention module: an operation with weights."""
    return (attrs[g.CATEGORY] in _WEIGHTED_CATEGORIES
            and attrs[g.MODULE_TYPE] not in _ACTIVATION_PRODUCTS)


def depth(graph: nx.DiGraph) -> int:
    """The most weighted layers on any path from input to output: the papers' depth.

    This is how AlexNet has 8 layers, VGG-16 16, GoogLeNet 22, ResNet-50 50 and DenseNet-121
    121 (and how MATLAB's model docs count Inception-v3's 48 and MobileNet v2's 53):
    convolutions and fully connected layers count, a parallel branch or shortcut does not
    lengthen the path it joins. Normalisation, activation, pooling and element-wise
    operations have no weights and do not count. For transformers an attention module (with
    its input and output projections) counts as one layer and each linear layer of its MLP as
    one more; products of two activations (the ``q @ k`` and ``attn @ v`` matmuls of Swin or
    MaxViT) have no weights of their own and do not count. Squeeze-and-excitation's two 1×1
    convolutions lie on the path, so they count in MobileNet v3 and EfficientNet.
    """
    longest: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        before = max((longest[p] for p in graph.predecessors(node)), default=0)
        longest[node] = before + is_weighted_layer(graph.nodes[node])
    return max(longest.values(), default=0)


def model_row(loaded: LoadedModel, latency_ms: float | None = None) -> ModelRow:
    """The row of a built, traced model: counts from its graph, top-1 from its reference."""
    spec, graph = loaded.spec, loaded.graph
    return ModelRow(
        name=spec.name,
        display_name=spec.display_name,
        year=spec.year,
        params=graph.graph[g.TOTAL_PARAMS],
        macs=graph.graph[g.TOTAL_MACS],
        depth=depth(graph),
        top1=spec.reference.acc1,
        latency_ms=latency_ms,
    )


def measure_rows(
    names: Iterable[str],
    measure: Callable[[LoadedModel], float] | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[ModelRow]:
    """Load each zoo model in turn and build its row, timing it with ``measure`` if given.

    ``measure`` returns a latency in milliseconds (for example a benchmark's median); without
    it the rows come back unmeasured. ``progress(fraction, text)`` is told as each model
    starts, then ``1.0`` at the end. ``cancelled()`` is polled before each model: once it
    returns True the loop stops and the rows finished so far are returned, in order, so a
    cancelled run still shows what it measured. Raises :class:`UnknownModelError` for a
    name not in the zoo.
    """
    names = list(names)
    rows: list[ModelRow] = []
    for index, name in enumerate(names):
        if cancelled is not None and cancelled():
            return rows
        spec = zoo.get_spec(name)
        if progress is not None:
            verb = "Measuring" if measure is not None else "Loading"
            progress(index / len(names), f"{verb} {spec.display_name} ({index + 1}/{len(names)})…")
        loaded = session.load_model(session.ModelRequest(ZooModel(spec)))
        rows.append(model_row(loaded, measure(loaded) if measure is not None else None))
    if progress is not None:
        progress(1.0, "Done")
    return rows


def merged(rows: Sequence[ModelRow], updates: Iterable[ModelRow]) -> list[ModelRow]:
    """``rows`` with each updated row replaced by name and new ones appended in order.

    A row's latency survives an update without one (adding a model does not forget what was
    measured).
    """
    result = {row.name: row for row in rows}
    for row in updates:
        old = result.get(row.name)
        if row.latency_ms is None and old is not None:
            row = replace(row, latency_ms=old.latency_ms)
        result[row.name] = row
    return list(result.values())


def lessons(rows: Iterable[ModelRow]) -> list[str]:
    """What the rows teach about the classic architectures, computed from their numbers.

    A sentence is left out when a model it needs is not in the rows.
    """
    by_name = {row.name: row for row in rows}
    alexnet, vgg, googlenet = (by_name.get(n) for n in ("alexnet", "vgg16", "googlenet"))
    sentences = []
    if alexnet and vgg:
        sentences.append(
            f"{vgg.display_name} has {proportion(vgg.params, alexnet.params)} "
            f"{alexnet.display_name}'s parameters and {proportion(vgg.macs, alexnet.macs)} its "
            f"MACs, for a top-1 of {vgg.top1:.1f}% against {alexnet.top1:.1f}%.")
    if googlenet and vgg:
        gap = vgg.top1 - googlenet.top1
        standing = (f"comes within {gap:.1f} points of {vgg.display_name}'s top-1" if gap >= 0
                    else f"beats {vgg.display_name}'s top-1 by {-gap:.1f} points")
        sentences.append(
            f"{googlenet.display_name} {standing} with "
            f"{proportion(googlenet.params, vgg.params)} its parameters and "
            f"{proportion(googlenet.macs, vgg.macs)} its MACs.")
    for family in ("resnet", "densenet"):
        deepest = _deepest(by_name.values(), family)
        if deepest and vgg:
            sentences.append(
                f"{deepest.display_name} is {proportion(deepest.depth, vgg.depth)} as deep as "
                f"{vgg.display_name} ({deepest.depth} weighted layers against {vgg.depth}) "
                f"with {proportion(deepest.macs, vgg.macs)} its MACs and "
                f"{proportion(deepest.params, vgg.params)} its parameters.")
    return sentences


def proportion(value: float, reference: float) -> str:
    """``value`` against ``reference`` in words: ``22×``, ``2.3×``, ``74% of``, ``1/21 of``."""
    ratio = value / reference
    if ratio >= 10:
        return f"{ratio:.0f}×"
    if ratio >= 1:
        return f"{ratio:.1f}×"
    if ratio >= 0.1:
        return f"{ratio:.0%} of"
    return f"1/{1 / ratio:.0f} of"


def _deepest(rows: Iterable[ModelRow], family: str) -> ModelRow | None:
    """The deepest plain member of a family (``resnet152``, not ``resnext`` or ``wide_``)."""
    members = [row for row in rows if re.fullmatch(rf"{family}\d+", row.name)]
    return max(members, key=lambda row: row.depth, default=None)
