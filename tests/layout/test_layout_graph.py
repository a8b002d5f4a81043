"""layout_graph as a whole: every promise of a layout, on synthetic, random and real graphs."""
from __future__ import annotations

import concurrent.futures
import gc
import os
import random
import subprocess
import sys

import networkx as nx
import pytest
from layout_checks import assert_well_formed, naive_crossings
from synthetic_models import FAST_MODELS, SYNTHETIC_MODELS, googlenet, random_model

from cnnviz.layout import Layout, layout_graph
from cnnviz.layout.quality import count_crossings, edges_through_boxes, overlapping_boxes


@pytest.mark.parametrize("name", FAST_MODELS)
def test_synthetic_models_are_well_formed(layouts, name):
    assert_well_formed(*layouts[name])


@pytest.mark.parametrize("name", FAST_MODELS)
def test_crossings_no_worse_than_naive_order(layouts, name):
    graph, layout = layouts[name]
    naive = naive_crossings(graph)
    assert count_crossings(graph, layout) <= count_crossings(graph, layout, unbundled=True) <= naive


def test_densenet_crosses_less_than_dot(layouts):
    """dot 2.43 draws the real DenseNet-121 with 6,593 crossings (bench/README.md); this
    look-alike is drawn like it. Counted as if each rail's edges ran side by side."""
    assert count_crossings(*layouts["densenet121"], unbundled=True) < 6593


def test_crossing_free_models_have_no_crossings(layouts):
    for name in ["alexnet", "vgg16", "googlenet", "resnet18", "resnet50"]:
        assert count_crossings(*layouts[name]) == 0, name


def test_clusters_can_be_left_out(layouts):
    graph, _ = layouts["googlenet"]
    layout = layout_graph(graph, clusters=False)
    assert layout.clusters == []
    assert overlapping_boxes(layout) == edges_through_boxes(layout) == []


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
    code = (f"import sys, hashlib; sys.path.insert(0, {os.path.dirname(__file__)!r});"
            "from synthetic_models import googlenet;"
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


def test_a_layout_leaves_no_reference_cycles(layouts):
    """layout_graph pauses the cyclic collector: what it drops must go by reference counts."""
    graph, _ = layouts["densenet121"]
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        layout_graph(graph)
        gc.collect()
        ours = [o for o in gc.garbage if (getattr(o, "__module__", None) or type(o).__module__
                                          or "").startswith("cnnviz.layout")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert ours == []


def test_the_collector_is_paused_only_while_laying_out(layouts):
    graph, _ = layouts["resnet18"]
    assert gc.isenabled()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert len(list(pool.map(lambda _: layout_graph(graph), range(8)))) == 8
    assert gc.isenabled()
    gc.disable()
    try:
        layout_graph(graph)
        assert not gc.isenabled()
    finally:
        gc.enable()
