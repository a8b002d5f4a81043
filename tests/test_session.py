"""App state without Qt: loading, collapsing views, selection and notifications."""
from __future__ import annotations

import pytest

from cnnviz import graph as g
from cnnviz import session
from cnnviz.session import DiagramView, Session


@pytest.fixture(scope="module")
def resnet18() -> session.LoadedModel:
    return session.load_model("ResNet-18")


def test_load_model_builds_and_traces_at_the_models_input_size(resnet18) -> None:
    assert resnet18.spec.name == "resnet18" and resnet18.weights == "random"
    assert resnet18.graph.graph[g.INPUT_SHAPE] == (1, 3, 224, 224)
    assert not resnet18.model.training


def test_small_models_open_expanded_and_large_ones_collapsed(resnet18) -> None:
    assert session.default_view(resnet18.graph) == DiagramView()
    densenet = session.load_model("densenet121")
    view = session.default_view(densenet.graph)
    assert view.depth is not None
    shown = session.make_diagram(densenet.graph, view)
    assert shown.graph.number_of_nodes() <= session.EXPANDED_UP_TO
    assert set(shown.layout.nodes) == set(shown.graph.nodes)


def test_toggling_a_block_expands_then_collapses_it(resnet18) -> None:
    view = DiagramView(2)
    collapsed = session.make_diagram(resnet18.graph, view)
    assert collapsed.graph.nodes["layer2.0"][g.CATEGORY] == g.Category.BLOCK
    opened = session.make_diagram(resnet18.graph, view.toggled("layer2.0", True))
    assert "layer2.0" not in opened.graph and "layer2_0_conv1" in opened.graph
    assert "layer2.1" in opened.graph  # its siblings stay collapsed
    closed_again = view.toggled("layer2.0", True).toggled("layer2.0", False)
    assert session.make_diagram(resnet18.graph, closed_again).graph.nodes["layer2.0"]
    whole_stage = session.make_diagram(resnet18.graph, DiagramView().toggled("layer3", False))
    assert whole_stage.graph.nodes["layer3"][g.CHILDREN][0] == "layer3_0_conv1"


def test_session_notifies_and_keeps_a_selection_that_still_exists(resnet18) -> None:
    state = Session()
    events: list[str] = []
    for event in ("model", "diagram", "selection"):
        state.subscribe(event, lambda event=event: events.append(event))
    state.set_model(resnet18)
    state.set_diagram(session.make_diagram(resnet18.graph, DiagramView()))
    state.select("layer2_0_conv1")
    state.set_diagram(session.make_diagram(resnet18.graph, DiagramView(1)))
    assert state.selection == ""  # layer2_0_conv1 is inside the collapsed layer2 now
    state.set_diagram(session.make_diagram(resnet18.graph, DiagramView(2)))
    state.select("layer2.0")
    children = state.block_children("layer2.0")
    assert [c[g.NAME] for c in children][:2] == ["layer2_0_conv1", "layer2_0_bn1"]
    assert sum(c[g.PARAMS] for c in children) == state.selected_attributes()[g.PARAMS]
    assert events == ["model", "diagram", "selection", "diagram", "diagram", "selection"]
    with pytest.raises(KeyError):
        state.select("no_such_node")
