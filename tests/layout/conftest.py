"""The layout tests' shared drawings; their checks get pytest's assertion messages."""
from __future__ import annotations

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
