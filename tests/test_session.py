"""App state without Qt: loading, collapsing views, selection and notifications."""
from __future__ import annotations

import pytest

from cnnviz import graph as g
from cnnviz import session
from cnnviz.session import DiagramChange, DiagramView, Search, Session


@pytest.fixture(scope="module")
def resnet18() -> session.LoadedModel:
    return session.ModelRequest.of("ResNet-18").load()


def test_load_model_builds_and_traces_at_the_models_input_size(resnet18) -> None:
    assert resnet18.spec.name == "resnet18" and resnet18.weights == "random"
    assert resnet18.graph.graph[g.INPUT_SHAPE] == (1, 3, 224, 224)
    assert not resnet18.model.training


def test_small_models_open_expanded_and_large_ones_collapsed(resnet18) -> None:
    assert session.default_view(resnet18.graph) == DiagramView()
    densenet = session.ModelRequest.of("densenet121").load()
    view = session.default_view(densenet.graph)
    assert view.depth is not None
    shown = session.make_diagram(densenet, view)
    assert shown.graph.number_of_nodes() <= session.EXPANDED_UP_TO
    assert set(shown.layout.nodes) == set(shown.graph.nodes)


def test_toggling_a_block_expands_then_collapses_it(resnet18) -> None:
    view = DiagramView(2)
    collapsed = session.make_diagram(resnet18, view)
    assert collapsed.graph.nodes["layer2.0"][g.CATEGORY] == g.Category.BLOCK
    opened = session.make_diagram(resnet18, view.toggled("layer2.0", True))
    assert "layer2.0" not in opened.graph and "layer2_0_conv1" in opened.graph
    assert "layer2.1" in opened.graph  # its siblings stay collapsed
    closed_again = view.toggled("layer2.0", True).toggled("layer2.0", False)
    assert session.make_diagram(resnet18, closed_again).graph.nodes["layer2.0"]
    whole_stage = session.make_diagram(resnet18, DiagramView().toggled("layer3", False))
    assert whole_stage.graph.nodes["layer3"][g.CHILDREN][0] == "layer3_0_conv1"


def test_session_notifies_with_the_new_values_and_keeps_a_selection_that_still_exists(
        resnet18) -> None:
    state = Session()
    events: list[tuple[str, object]] = []
    for event in ("model", "diagram", "selection"):
        state.subscribe(event, lambda payload, event=event: events.append((event, payload)))
    state.set_model(resnet18)
    full = session.make_diagram(resnet18, DiagramView())
    assert state.set_diagram(full)
    state.select("layer2_0_conv1")
    by_stage = session.make_diagram(resnet18, DiagramView(1))
    state.set_diagram(by_stage, keep_view=True)
    assert state.selection == ""  # layer2_0_conv1 is inside the collapsed layer2 now
    by_block = session.make_diagram(resnet18, DiagramView(2))
    state.set_diagram(by_block)
    state.select("layer2.0")
    children = state.block_children("layer2.0")
    assert [c[g.NAME] for c in children][:2] == ["layer2_0_conv1", "layer2_0_bn1"]
    assert sum(c[g.PARAMS] for c in children) == state.selected_attributes()[g.PARAMS]
    assert events == [
        ("model", resnet18), ("diagram", DiagramChange(full, False)),
        ("selection", "layer2_0_conv1"), ("diagram", DiagramChange(by_stage, True)),
        ("selection", ""), ("diagram", DiagramChange(by_block, False)), ("selection", "layer2.0")]
    with pytest.raises(KeyError):
        state.select("no_such_node")


def test_a_diagram_of_another_model_is_refused(resnet18) -> None:
    state = Session()
    state.set_model(resnet18)
    state.set_diagram(session.make_diagram(resnet18, DiagramView()))
    other = session.ModelRequest.of("alexnet").load()
    drawn: list[object] = []
    state.subscribe("diagram", drawn.append)
    assert not state.set_diagram(session.make_diagram(other, DiagramView()))
    assert state.diagram.model is resnet18 and drawn == []
    state.set_model(other)  # a model switch drops the old diagram and selection at once
    assert state.diagram is None and state.selection == ""
    assert not state.set_diagram(session.make_diagram(resnet18, DiagramView(2)))
    assert state.diagram is None and drawn == []


def test_search_matches_top_to_bottom_and_cycles(resnet18) -> None:
    state = Session()
    state.set_model(resnet18)
    shown = session.make_diagram(resnet18, DiagramView())
    state.set_diagram(shown)
    found: list[Search] = []
    state.subscribe("search", found.append)
    matches = state.find("DOWNSAMPLE")
    expected = [n for n, a in resnet18.graph.nodes(data=True) if "downsample" in a[g.QUALNAME]]
    assert sorted(matches) == sorted(expected) and len(matches) == 6
    ys = [shown.layout.nodes[name].y for name in matches]
    assert ys == sorted(ys)
    assert state.selection == matches[0] and found[-1] == Search("DOWNSAMPLE", matches)
    assert [state.next_match() for _ in matches] == [*matches[1:], matches[0]]
    state.set_diagram(session.make_diagram(resnet18, DiagramView(1)))  # found again
    assert state.search.matches == () and state.selection == ""
    assert state.find("") == () and found[-1] == Search()


def test_view_choices_survive_or_reset_as_a_user_expects() -> None:
    view = DiagramView(2, fold=True, orientation="lr").toggled("layer2", False).unfolding("layer3.1")
    assert view.collapsed == {"layer2"} and view.unfolded == {"layer3.1"}
    deeper = view.with_depth(3)  # a new depth resets per-block choices, keeps the rest
    assert (deeper.depth, deeper.fold, deeper.orientation) == (3, True, "lr")
    assert not deeper.collapsed and not deeper.unfolded
    assert view.with_folding(False) == DiagramView(2, frozenset({"layer2"}), fold=False,
                                                   orientation="lr")
    assert view.with_orientation("tb").unfolded == {"layer3.1"}
    assert view.expanded_all() == DiagramView(orientation="lr")


def test_the_biggest_models_open_folded(resnet18) -> None:
    assert not session.default_view(resnet18.graph).fold
    assert session.default_view(resnet18.graph, "lr").orientation == "lr"


def test_a_folded_diagram_draws_each_stack_as_one_node() -> None:
    resnet50 = session.ModelRequest.of("resnet50").load()
    folded = session.make_diagram(resnet50, DiagramView(fold=True))
    stacks = {n: a[g.REPEAT] for n, a in folded.graph.nodes(data=True) if a.get(g.REPEAT)}
    assert stacks == {"layer1.1": 2, "layer2.1": 3, "layer3.1": 5, "layer4.1": 2}
    assert folded.graph.nodes["layer3.1"][g.QUALNAME] == "layer3.1–5"
    assert set(folded.layout.nodes) == set(folded.graph)
    unfolded = session.make_diagram(resnet50, DiagramView(fold=True).unfolding("layer3.1"))
    assert "layer3.1" not in unfolded.graph and "layer3_3_conv2" in unfolded.graph
    assert "layer2.1" in unfolded.graph  # the other stacks stay folded
