"""Synthetic graphs shaped like torchvision's traced models, for the layout tests and
``bench/layout_quality.py``.

The builders mimic what ``cnnviz.trace`` produces for the classic ImageNet winners (node
categories, module types, the ``hierarchy`` of enclosing modules, ``skip`` edges), so the
layout can be measured without torch.
"""
from __future__ import annotations

import random

import networkx as nx

Hierarchy = tuple[tuple[str, str], ...]


class _Model:
    """Builds a graph the way the tracer does: one node per operation, in execution order."""

    def __init__(self, name: str) -> None:
        self.graph = nx.DiGraph(model=name)
        self.last = self.op("x", "input", "placeholder", ())

    def op(self, name: str, category: str, module_type: str, hierarchy: Hierarchy,
           inputs: tuple[str, ...] | None = None, skip: str | None = None) -> str:
        """Add an operation fed by ``inputs`` (default: the previous operation)."""
        if inputs is None:
            inputs = (self.last,) if self.graph else ()
        qualname = ".".join([hierarchy[-1][0], name] if hierarchy else [name])
        self.graph.add_node(name, name=name, category=category, module_type=module_type,
                            hierarchy=hierarchy, qualname=qualname)
        for source in inputs:
            self.graph.add_edge(source, name, skip=source == skip)
        self.last = name
        return name

    def module(self, path: str, category: str, module_type: str, hierarchy: Hierarchy) -> str:
        """A leaf module call; its node is named like torch.fx names it."""
        return self.op(path.replace(".", "_"), category, module_type, hierarchy)

    def finish(self) -> nx.DiGraph:
        self.op("output", "output", "output", ())
        return self.graph


def _classifier(model: _Model, layers: list[tuple[str, str]]) -> None:
    model.module("avgpool", "pool", "AdaptiveAvgPool2d", ())
    model.op("flatten", "reshape", "flatten", ())
    scope = (("classifier", "Sequential"),)
    for i, (category, kind) in enumerate(layers):
        model.module(f"classifier.{i}", category, kind, scope)


def vgg16() -> nx.DiGraph:
    """VGG-16: thirteen 3×3 convolutions with ReLUs and five max-pools, then three linears."""
    model = _Model("vgg16")
    scope = (("features", "Sequential"),)
    index = 0
    for stage in (2, 2, 3, 3, 3):
        for _ in range(stage):
            model.module(f"features.{index}", "conv", "Conv2d", scope)
            model.module(f"features.{index + 1}", "act", "ReLU", scope)
            index += 2
        model.module(f"features.{index}", "pool", "MaxPool2d", scope)
        index += 1
    _classifier(model, [("linear", "Linear"), ("act", "ReLU"), ("dropout", "Dropout")] * 2
                + [("linear", "Linear")])
    return model.finish()


def alexnet() -> nx.DiGraph:
    """AlexNet: five convolutions, three max-pools, three linears."""
    model = _Model("alexnet")
    scope = (("features", "Sequential"),)
    layers = ["conv", "act", "pool", "conv", "act", "pool", "conv", "act", "conv", "act", "conv",
              "act", "pool"]
    kinds = {"conv": "Conv2d", "act": "ReLU", "pool": "MaxPool2d"}
    for i, category in enumerate(layers):
        model.module(f"features.{i}", category, kinds[category], scope)
    _classifier(model, [("dropout", "Dropout"), ("linear", "Linear"), ("act", "ReLU")] * 2
                + [("linear", "Linear")])
    return model.finish()


def resnet(depth: int) -> nx.DiGraph:
    """ResNet-18/34 (basic blocks) or ResNet-50/101/152 (bottlenecks), with skip edges."""
    blocks = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3],
              152: [3, 8, 36, 3]}[depth]
    bottleneck = depth >= 50
    model = _Model(f"resnet{depth}")
    for path, category, kind in [("conv1", "conv", "Conv2d"), ("bn1", "norm", "BatchNorm2d"),
                                 ("relu", "act", "ReLU"), ("maxpool", "pool", "MaxPool2d")]:
        model.module(path, category, kind, ())
    for layer, count in enumerate(blocks, start=1):
        for b in range(count):
            path = f"layer{layer}.{b}"
            scope = ((f"layer{layer}", "Sequential"), (path, "Bottleneck" if bottleneck
                                                              else "BasicBlock"))
            fork = model.last
            convs = 3 if bottleneck else 2
            for c in range(1, convs + 1):
                model.module(f"{path}.conv{c}", "conv", "Conv2d", scope)
                model.module(f"{path}.bn{c}", "norm", "BatchNorm2d", scope)
                if c < convs:
                    suffix = f"_{c - 1}" if c > 1 else ""
                    model.op(f"{path.replace('.', '_')}_relu{suffix}", "act", "ReLU", scope)
            main = model.last
            shortcut = fork
            if b == 0 and (layer > 1 or bottleneck):
                inner = scope + ((f"{path}.downsample", "Sequential"),)
                model.op(f"{path}.downsample.0".replace(".", "_"), "conv", "Conv2d", inner,
                         inputs=(fork,))
                shortcut = model.module(f"{path}.downsample.1", "norm", "BatchNorm2d", inner)
            name = path.replace(".", "_")
            model.op(f"{name}_add", "add", "add", scope, inputs=(main, shortcut), skip=shortcut)
            model.op(f"{name}_relu_out", "act", "ReLU", scope)
    _classifier_resnet(model)
    return model.finish()


def _classifier_resnet(model: _Model) -> None:
    model.module("avgpool", "pool", "AdaptiveAvgPool2d", ())
    model.op("flatten", "reshape", "flatten", ())
    model.module("fc", "linear", "Linear", ())


def _basic_conv(model: _Model, path: str, scope: Hierarchy,
                inputs: tuple[str, ...] | None = None) -> str:
    """GoogLeNet's BasicConv2d: convolution, batch norm, ReLU."""
    inner = scope + ((path, "BasicConv2d"),)
    model.op(f"{path}.conv".replace(".", "_"), "conv", "Conv2d", inner, inputs=inputs)
    model.module(f"{path}.bn", "norm", "BatchNorm2d", inner)
    return model.op(f"{path}_relu".replace(".", "_"), "act", "relu", inner)


def googlenet() -> nx.DiGraph:
    """GoogLeNet: nine inception modules of four branches joined by a concatenation."""
    model = _Model("googlenet")
    _basic_conv(model, "conv1", ())
    model.module("maxpool1", "pool", "MaxPool2d", ())
    _basic_conv(model, "conv2", ())
    _basic_conv(model, "conv3", ())
    model.module("maxpool2", "pool", "MaxPool2d", ())
    for name in ["3a", "3b", "pool3", "4a", "4b", "4c", "4d", "4e", "pool4", "5a", "5b"]:
        if name.startswith("pool"):
            model.module(f"max{name}", "pool", "MaxPool2d", ())
            continue
        path = f"inception{name}"
        scope = ((path, "Inception"),)
        fork = model.last
        ends = [_basic_conv(model, f"{path}.branch1", scope, inputs=(fork,))]
        for branch in ("branch2", "branch3"):
            inner = scope + ((f"{path}.{branch}", "Sequential"),)
            _basic_conv(model, f"{path}.{branch}.0", inner, inputs=(fork,))
            ends.append(_basic_conv(model, f"{path}.{branch}.1", inner))
        inner = scope + ((f"{path}.branch4", "Sequential"),)
        model.op(f"{path}_branch4_0", "pool", "MaxPool2d", inner, inputs=(fork,))
        ends.append(_basic_conv(model, f"{path}.branch4.1", inner))
        model.op(f"{path}_cat", "concat", "cat", scope, inputs=tuple(ends))
    model.module("avgpool", "pool", "AdaptiveAvgPool2d", ())
    model.op("flatten", "reshape", "flatten", ())
    model.module("dropout", "dropout", "Dropout", ())
    model.module("fc", "linear", "Linear", ())
    return model.finish()


def densenet(blocks: tuple[int, ...] = (6, 12, 24, 16), name: str = "densenet121") -> nx.DiGraph:
    """DenseNet: each layer concatenates the block input and every earlier layer's output."""
    model = _Model(name)
    features = (("features", "Sequential"),)
    for path, category, kind in [("features.conv0", "conv", "Conv2d"),
                                 ("features.norm0", "norm", "BatchNorm2d"),
                                 ("features.relu0", "act", "ReLU"),
                                 ("features.pool0", "pool", "MaxPool2d")]:
        model.module(path, category, kind, features)
    for b, layers in enumerate(blocks, start=1):
        block = f"features.denseblock{b}"
        block_scope = features + ((block, "_DenseBlock"),)
        outputs = [model.last]
        for layer in range(1, layers + 1):
            path = f"{block}.denselayer{layer}"
            scope = block_scope + ((path, "_DenseLayer"),)
            model.op(f"{path}.cat".replace(".", "_"), "concat", "cat", scope,
                     inputs=tuple(outputs))
            for part, category, kind in [("norm1", "norm", "BatchNorm2d"), ("relu1", "act", "ReLU"),
                                         ("conv1", "conv", "Conv2d"),
                                         ("norm2", "norm", "BatchNorm2d"), ("relu2", "act", "ReLU"),
                                         ("conv2", "conv", "Conv2d")]:
                model.module(f"{path}.{part}", category, kind, scope)
            outputs.append(model.last)
        model.op(f"{block}_cat".replace(".", "_"), "concat", "cat", block_scope,
                 inputs=tuple(outputs))
        if b < len(blocks):
            scope = features + ((f"features.transition{b}", "_Transition"),)
            for part, category, kind in [("norm", "norm", "BatchNorm2d"), ("relu", "act", "ReLU"),
                                         ("conv", "conv", "Conv2d"), ("pool", "pool", "AvgPool2d")]:
                model.module(f"features.transition{b}.{part}", category, kind, scope)
    model.module("features.norm5", "norm", "BatchNorm2d", features)
    model.op("relu", "act", "relu", ())
    model.op("adaptive_avg_pool2d", "pool", "adaptive_avg_pool2d", ())
    model.op("flatten", "reshape", "flatten", ())
    model.module("classifier", "linear", "Linear", ())
    return model.finish()


SYNTHETIC_MODELS = {
    "alexnet": alexnet,
    "vgg16": vgg16,
    "googlenet": googlenet,
    "resnet18": lambda: resnet(18),
    "resnet50": lambda: resnet(50),
    "densenet121": lambda: densenet((6, 12, 24, 16), "densenet121"),
    "densenet201": lambda: densenet((6, 12, 48, 32), "densenet201"),
}


def random_model(seed: int, count: int = 60) -> nx.DiGraph:
    """A random DAG with random nested modules, some used in scattered places."""
    rng = random.Random(seed)
    graph = nx.DiGraph()
    scopes: list[Hierarchy] = [()]
    for top in range(4):
        outer = ((f"m{top}", "Sequential"),)
        scopes.append(outer)
        for inner in range(2):
            scopes.append(outer + ((f"m{top}.{inner}", "Block"),))
    names: list[str] = []
    for i in range(count):
        name = f"op{i}"
        scope = scopes[min(len(scopes) - 1, i * len(scopes) // count + rng.choice([0, 0, 0, 1, 5]))]
        graph.add_node(name, category=rng.choice(["conv", "act", "add", "concat"]),
                       module_type="Op", hierarchy=scope, qualname=name)
        if names:
            for _ in range(rng.choice([1, 1, 1, 2, 3])):
                back = 1 + int(rng.expovariate(0.4))
                graph.add_edge(names[max(0, len(names) - back)], name)
        names.append(name)
    return graph


# Quick enough to lay out for every test that looks at a model's drawing.
FAST_MODELS = ["alexnet", "vgg16", "googlenet", "resnet18", "resnet50", "densenet121"]
