"""Tests of the layered layout, on synthetic graphs shaped like torchvision's traced models.

The builders below mimic what ``cnnviz.trace`` produces for the classic ImageNet winners
(node categories, module types, the ``hierarchy`` of enclosing modules, ``skip`` edges), so
the layout can be measured without torch. ``bench/layout_quality.py`` reuses them.
"""
from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys

import networkx as nx
import pytest

from cnnviz.layout import EdgePath, Layout, NodeBox, layout_graph, node_size
from cnnviz.layout.quality import count_crossings, edges_through_boxes, overlapping_boxes

Hierarchy = tuple[tuple[str, str], ...]


# ---------------------------------------------------------------------------------------------
# Synthetic models


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


# ---------------------------------------------------------------------------------------------
# Independent checks


def naive_crossings(graph: nx.DiGraph) -> int:
    """Crossings of the plain layering: longest-path ranks, a dummy per rank of a long edge,
    each rank in insertion order (nodes, then dummies in edge order)."""
    rank: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        rank[node] = max((rank[p] + 1 for p in graph.predecessors(node)), default=0)
    layers: dict[int, list] = {}
    for node in graph.nodes:
        layers.setdefault(rank[node], []).append(node)
    links: dict[int, list] = {}  # rank r -> (upper item, lower item) between r and r + 1
    for u, v in graph.edges:
        chain = [u] + [(u, v, r) for r in range(rank[u] + 1, rank[v])] + [v]
        for r, (a, b) in enumerate(zip(chain, chain[1:]), start=rank[u]):
            if r + 1 < rank[v]:
                layers[r + 1].append(b)
            links.setdefault(r, []).append((a, b))
    position = {item: i for layer in layers.values() for i, item in enumerate(layer)}
    total = 0
    for pairs in links.values():
        ordered = sorted((position[a], position[b]) for a, b in pairs)
        for (a1, b1), (a2, b2) in itertools.combinations(ordered, 2):
            total += a1 < a2 and b1 > b2
    return total


def assert_well_formed(graph: nx.DiGraph, layout: Layout) -> None:
    """Every property the layout promises, measured on the result."""
    assert set(layout.nodes) == set(graph.nodes)
    assert sorted((e.source, e.target) for e in layout.edges) == sorted(graph.edges)
    assert overlapping_boxes(layout) == []
    assert edges_through_boxes(layout) == []
    for edge in layout.edges:
        source, target = layout.nodes[edge.source], layout.nodes[edge.target]
        (x0, y0), (x1, y1) = edge.points[0], edge.points[-1]
        assert y0 == pytest.approx(source.y + source.height / 2)
        assert source.x - source.width / 2 <= x0 <= source.x + source.width / 2
        assert y1 == pytest.approx(target.y - target.height / 2)
        assert target.x - target.width / 2 <= x1 <= target.x + target.width / 2
        ys = [y for _, y in edge.points]
        assert all(a <= b + 1e-9 for a, b in zip(ys, ys[1:])), f"{edge} goes up"
    for box in layout.nodes.values():
        assert 0 <= box.x - box.width / 2 and box.x + box.width / 2 <= layout.width
        assert 0 <= box.y - box.height / 2 and box.y + box.height / 2 <= layout.height
    assert_clusters_well_formed(graph, layout)


def _inside(inner, outer, slack: float = 1e-6) -> bool:
    return (outer.x - outer.width / 2 - slack <= inner.x - inner.width / 2
            and inner.x + inner.width / 2 <= outer.x + outer.width / 2 + slack
            and outer.y - outer.height / 2 - slack <= inner.y - inner.height / 2
            and inner.y + inner.height / 2 <= outer.y + outer.height / 2 + slack)


def _overlap(a, b) -> bool:
    return (abs(a.x - b.x) < (a.width + b.width) / 2 - 1e-6
            and abs(a.y - b.y) < (a.height + b.height) / 2 - 1e-6)


def assert_clusters_well_formed(graph: nx.DiGraph, layout: Layout) -> None:
    """Each box holds exactly its members; two boxes are disjoint or nested by hierarchy."""
    members: dict[str, set[str]] = {}
    for node, hierarchy in graph.nodes(data="hierarchy"):
        for path, _ in hierarchy or ():
            members.setdefault(path, set()).add(node)
    assert {c.path for c in layout.clusters} == set(members)
    for cluster in layout.clusters:
        for name, box in layout.nodes.items():
            if _overlap(box, cluster):
                assert name in members[cluster.path], f"{name} inside {cluster.label}"
                assert _inside(box, cluster)
    for name in graph.nodes:
        for path, _ in graph.nodes[name].get("hierarchy") or ():
            assert any(_inside(layout.nodes[name], c) for c in layout.clusters if c.path == path)
    for a, b in itertools.combinations(layout.clusters, 2):
        if _overlap(a, b):
            outer, inner = (a, b) if a.width * a.height >= b.width * b.height else (b, a)
            assert _inside(inner, outer), f"{a.label} and {b.label} overlap"
            assert members[inner.path] <= members[outer.path]
            assert inner.depth > outer.depth


# ---------------------------------------------------------------------------------------------
# Tests


FAST_MODELS = ["alexnet", "vgg16", "googlenet", "resnet18", "resnet50", "densenet121"]


@pytest.fixture(scope="module")
def layouts() -> dict[str, tuple[nx.DiGraph, Layout]]:
    result = {}
    for name in FAST_MODELS:
        graph = SYNTHETIC_MODELS[name]()
        result[name] = graph, layout_graph(graph)
    return result


@pytest.mark.parametrize("name", FAST_MODELS)
def test_synthetic_models_are_well_formed(layouts, name):
    assert_well_formed(*layouts[name])


@pytest.mark.parametrize("name", FAST_MODELS)
def test_crossings_no_worse_than_naive_order(layouts, name):
    graph, layout = layouts[name]
    naive = naive_crossings(graph)
    assert count_crossings(graph, layout) <= count_crossings(graph, layout, unbundled=True) <= naive


def test_crossing_free_models_have_no_crossings(layouts):
    for name in ["alexnet", "vgg16", "googlenet", "resnet18", "resnet50"]:
        assert count_crossings(*layouts[name]) == 0, name


@pytest.mark.parametrize("name", ["alexnet", "vgg16"])
def test_chain_is_one_straight_column(layouts, name):
    _, layout = layouts[name]
    xs = {round(box.x, 6) for box in layout.nodes.values()}
    assert len(xs) == 1
    ys = sorted(box.y for box in layout.nodes.values())
    assert len(set(ys)) == len(ys)


def test_residual_main_path_straight_with_skip_beside(layouts):
    graph, layout = layouts["resnet50"]
    skips = [(u, v) for u, v, skip in graph.edges(data="skip") if skip]
    assert len(skips) == 16
    paths = {(e.source, e.target): e for e in layout.edges}
    for shortcut, add in skips:
        main = next(p for p in graph.predecessors(add) if p != shortcut)
        fork = shortcut if graph.in_degree(shortcut) and graph.out_degree(shortcut) == 2 \
            else next(iter(graph.predecessors(next(iter(graph.predecessors(shortcut))))))
        column = [add, main]
        while column[-1] != fork:  # the main path: one input per node up to the fork
            column.append(next(iter(graph.predecessors(column[-1]))))
        assert len(column) >= 7
        assert len({round(layout.nodes[n].x, 6) for n in column}) == 1, column
        box = layout.nodes[add]
        xs = [x for x, _ in paths[(shortcut, add)].points]
        assert max(abs(x - box.x) for x in xs) > box.width / 2, "skip edge not beside the path"


def _inception_modules(graph: nx.DiGraph) -> list[tuple[str, list[list[str]], str]]:
    """(fork, branches top-down, concat) of every four-branch concatenation."""
    modules = []
    for concat in graph.nodes:
        if graph.nodes[concat]["category"] != "concat" or graph.in_degree(concat) != 4:
            continue
        branches = []
        for end in graph.predecessors(concat):
            branch = [end]
            parent = next(iter(graph.predecessors(end)))
            while graph.out_degree(parent) == 1:
                branch.append(parent)
                parent = next(iter(graph.predecessors(parent)))
            branches.append(branch[::-1])
        modules.append((parent, branches, concat))
    return modules


def test_inception_branches_side_by_side(layouts):
    graph, layout = layouts["googlenet"]
    modules = _inception_modules(graph)
    assert len(modules) == 9
    for fork, branches, concat in modules:
        tops = [layout.nodes[branch[0]] for branch in branches]
        assert len({round(b.y, 6) for b in tops}) == 1, "branches start on one rank"
        lefts = sorted((b.x - b.width / 2, b.x + b.width / 2) for b in tops)
        assert all(r1 < l2 for (_, r1), (l2, _) in zip(lefts, lefts[1:])), "side by side"
        for branch in branches:
            assert len({round(layout.nodes[n].x, 6) for n in branch}) == 1, "straight branch"
            for n in branch:
                assert layout.nodes[fork].y < layout.nodes[n].y < layout.nodes[concat].y


def test_dense_blocks_route_their_edges_along_one_rail(layouts):
    graph, layout = layouts["densenet121"]
    rails: dict[str, set[float]] = {}
    for edge in layout.edges:
        for (x0, y0), (x1, y1) in zip(edge.points, edge.points[1:]):
            if x0 == x1 and y1 - y0 > 200:  # runs past at least two nodes
                block = graph.nodes[edge.target]["hierarchy"][1][0]
                rails.setdefault(block, set()).add(round(x0, 6))
    assert sorted(rails) == [f"features.denseblock{b}" for b in range(1, 5)]
    assert all(len(xs) == 1 for xs in rails.values()), rails
    concats = [n for n in graph.nodes if graph.nodes[n]["category"] == "concat"]
    ends = {}
    for edge in layout.edges:
        ends.setdefault(edge.target, []).append(edge)
    for concat in concats:
        assert len(ends[concat]) == graph.in_degree(concat)


def test_clusters_can_be_left_out(layouts):
    graph, _ = layouts["googlenet"]
    layout = layout_graph(graph, clusters=False)
    assert layout.clusters == []
    assert overlapping_boxes(layout) == edges_through_boxes(layout) == []


def test_cluster_labels_and_depths(layouts):
    _, layout = layouts["resnet18"]
    labels = {c.label: c.depth for c in layout.clusters}
    assert labels["layer2 · Sequential"] == 0
    assert labels["layer2.0 · BasicBlock"] == 1
    assert labels["layer2.0.downsample · Sequential"] == 2


def test_box_sizes_are_respected():
    graph = googlenet()
    rng = random.Random(3)
    sizes = {n: (rng.uniform(40, 260), rng.uniform(20, 70)) for n in graph.nodes}
    layout = layout_graph(graph, sizes)
    for name, (width, height) in sizes.items():
        assert (layout.nodes[name].width, layout.nodes[name].height) == (width, height)
    assert_well_formed(graph, layout)


@pytest.mark.parametrize("seed", range(12))
def test_random_graphs_are_well_formed(seed):
    graph = random_model(seed)
    assert_well_formed(graph, layout_graph(graph))


def test_layout_is_deterministic(layouts):
    graph, layout = layouts["googlenet"]
    assert layout_graph(graph) == layout
    code = ("import sys, hashlib; sys.path.insert(0, 'tests'); from test_layout import googlenet;"
            "from cnnviz.layout import layout_graph;"
            "print(hashlib.sha1(repr(layout_graph(googlenet())).encode()).hexdigest())")
    digests = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        digests.add(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                   capture_output=True, text=True).stdout)
    assert len(digests) == 1


def test_densenet201_lays_out_without_overlaps():
    """Its speed (about 0.3 s here, against dot's minutes) is measured in bench/."""
    layout = layout_graph(SYNTHETIC_MODELS["densenet201"]())
    assert overlapping_boxes(layout) == []


def test_small_graphs():
    assert layout_graph(nx.DiGraph()) == Layout({}, [], [], 0.0, 0.0)
    single = nx.DiGraph()
    single.add_node("x")
    layout = layout_graph(single)
    assert list(layout.nodes) == ["x"] and layout.edges == [] and layout.clusters == []
    parallel = nx.DiGraph([("a", "b"), ("c", "d")])
    assert_well_formed(parallel, layout_graph(parallel))


def test_cycles_are_rejected():
    with pytest.raises(ValueError):
        layout_graph(nx.DiGraph([("a", "b"), ("b", "a")]))


def test_node_size_grows_with_text():
    one = node_size(["conv1"])
    wide = node_size(["conv1", "Conv2d 3→64, 7×7, stride 2"])
    assert wide[0] > one[0] and wide[1] > one[1]
    assert node_size([]) == node_size([""])


# -- the measures themselves ------------------------------------------------------------------


def _drawing(*paths: tuple[str, str, list[tuple[float, float]]]) -> tuple[nx.DiGraph, Layout]:
    """A graph and a hand-made drawing of it: only the edge paths matter."""
    graph = nx.DiGraph([(s, t) for s, t, _ in paths])
    nodes = {n: NodeBox(n, 0, 0, 0, 0) for n in graph.nodes}
    edges = [EdgePath(s, t, tuple(p)) for s, t, p in paths]
    return graph, Layout(nodes, edges, [], 100, 100)


def test_count_crossings_on_known_drawings():
    x_shape = _drawing(("a", "b", [(0, 0), (10, 10)]), ("c", "d", [(10, 0), (0, 10)]))
    assert count_crossings(*x_shape) == 1
    through_vertex = _drawing(("a", "b", [(0, 0), (5, 5), (10, 10)]),
                              ("c", "d", [(10, 0), (5, 5), (0, 10)]))
    assert count_crossings(*through_vertex) == 1
    touching = _drawing(("a", "b", [(0, 0), (5, 5), (0, 10)]),
                        ("c", "d", [(10, 0), (5, 5), (10, 10)]))
    assert count_crossings(*touching) == 0
    shared_end = _drawing(("a", "b", [(0, 0), (10, 10)]), ("a", "d", [(10, 0), (0, 10)]))
    assert count_crossings(*shared_end) == 0
    # Joining a shared vertical stretch from the left and leaving it to the right: the paths
    # only touch, but drawn side by side they would cross once.
    bundle = _drawing(("a", "b", [(0, 0), (5, 5), (5, 15), (10, 20)]),
                      ("c", "d", [(5, -5), (5, 25)]))
    assert count_crossings(*bundle) == 0
    assert count_crossings(*bundle, unbundled=True) == 1
    same_side = _drawing(("a", "b", [(0, 0), (5, 5), (5, 15), (0, 20)]),
                         ("c", "d", [(5, -5), (5, 25)]))
    assert count_crossings(*same_side, unbundled=True) == 0
    twice = _drawing(("a", "b", [(0, 0), (10, 10), (0, 20)]), ("c", "d", [(5, 0), (5, 20)]))
    assert count_crossings(*twice) == 2


def test_overlap_and_through_measures_find_faults():
    nodes = {"a": NodeBox("a", 50, 20, 40, 20), "b": NodeBox("b", 75, 25, 40, 20),
             "c": NodeBox("c", 50, 200, 40, 20), "d": NodeBox("d", 50, 100, 40, 20)}
    layout = Layout(nodes, [EdgePath("a", "c", ((35, 30), (35, 190)))], [], 200, 300)
    assert overlapping_boxes(layout) == [("a", "b")]
    assert edges_through_boxes(layout) == [("a", "c", "d")]


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torchvision's GoogLeNet init notice
@pytest.mark.parametrize("name", ["resnet18", "googlenet"])
def test_real_traces_are_well_formed(name):
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    trace = pytest.importorskip("cnnviz.trace")
    model = torchvision.models.get_model(name, weights=None).eval()
    graph = trace.trace_model(model, torch.randn(1, 3, 224, 224), name)
    layout = layout_graph(graph)
    assert_well_formed(graph, layout)
    assert count_crossings(graph, layout) == 0
