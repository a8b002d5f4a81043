"""The layout tests' shared drawings; their checks get pytest's assertion messages."""
from __future__ import annotations

import functools
import warnings

import networkx as nx
import pytest
from synthetic_models import FAST_MODELS, SYNTHETIC_MODELS

from cnnviz.layout import Layout, layout_graph

pytest.register_assert_rewrite("layout_checks")  # before the test modules import it


@pytest.fixture(scope="session")
def layouts() -> dict[str, tuple[nx.DiGraph, Layout]]:
    """The quick synthetic models and their layouts."""
    result = {}
    for name in FAST_MODELS:
        graph = SYNTHETIC_MODELS[name]()
        result[name] = graph, layout_graph(graph)
    return result


@functools.cache
def _traced(name: str) -> nx.DiGraph:
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    trace = pytest.importorskip("cnnviz.trace")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchvision's GoogLeNet init notice
        model = torchvision.models.get_model(name, weights=None).eval()
    return trace.trace_model(model, torch.randn(1, 3, 224, 224), name)


@pytest.fixture(scope="session", params=[f"{name}{depth}" for name in
                                         ["alexnet", "vgg16", "googlenet", "resnet50",
                                          "densenet121"] for depth in ("", "@3")])
def real_graph(request: pytest.FixtureRequest) -> tuple[nx.DiGraph, dict[str, tuple[float, float]]]:
    """A zoo classic traced for real, expanded (``resnet50``) or collapsed at depth 3 as the
    app shows it (``resnet50@3``), with the app's box sizes; skipped without torch."""
    from cnnviz import analysis, diagram

    name, _, depth = request.param.partition("@")
    graph = _traced(name)
    if depth:
        graph = analysis.collapse(graph, depth=int(depth))
    return graph, diagram.box_sizes(graph)
