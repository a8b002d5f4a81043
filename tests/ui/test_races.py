"""Races the way users make them: many actions quickly, across kinds of work (clicks,
double-clicks, depth, folding, orientation, expanding everything, model switches, drops,
searches, colouring). Whatever the order in which results come back, only the current
model's are drawn, and no slot raises.

The random-interaction test runs with fixed seeds; set CNNVIZ_SEEDS=7,8,9 to try others.
"""
from __future__ import annotations

import os
import random

import pytest

from cnnviz import images
from cnnviz.ui.main_window import MainWindow
from cnnviz.ui.node_item import NodeItem
from interaction import click_node, drop
from test_live import write_video

TIMEOUT = 120_000
SEEDS = [int(seed) for seed in os.environ.get("CNNVIZ_SEEDS", "1,2").split(",")]
ACTIONS = 400
MODELS = ["alexnet", "resnet18", "squeezenet1_0", "googlenet"]


def drawn_nodes(window: MainWindow) -> set[str]:
    return {item.name for item in window.view.scene().items() if isinstance(item, NodeItem)}


def assert_consistent(window: MainWindow) -> None:
    """Everything shown belongs to the loaded model."""
    state = window.session
    assert state.diagram is not None and state.diagram.model is state.loaded
    assert drawn_nodes(window) == set(state.diagram.graph)
    assert state.selection == "" or state.selection in state.diagram.graph
    assert [n for n in state.diagram.graph if window.view.node_item(n).is_selected()] == \
        ([state.selection] if state.selection else [])
    if window.photo.photo is not None:
        assert window.photo.photo.model is state.loaded
    if window.live.last is not None:
        assert window.live.last.model is state.loaded


def test_a_depth_change_while_another_model_opens_draws_only_the_new_model(qtbot, window):
    window.request_model("densenet121")  # the model job comes first …
    window.depth.setValue(1)  # … then a layout of the model still shown, resnet18
    qtbot.waitUntil(lambda: window.session.loaded.spec.name == "densenet121"
                    and not window.worker.is_busy(), timeout=TIMEOUT)
    assert_consistent(window)
    drawn = drawn_nodes(window)
    assert any(n.startswith("cat") for n in drawn)  # DenseNet's concatenations
    assert not any(n.startswith("layer") for n in drawn)  # none of ResNet-18's stages
    name = next(n for n in window.session.diagram.graph if n.startswith("features"))
    click_node(window, name)  # raised KeyError in a slot when the old diagram was drawn
    assert window.session.selection == name
    assert window.inspection.inspector.field_text("name") == name


@pytest.mark.parametrize("seed", SEEDS)
def test_random_interaction_ends_consistent_and_raises_nowhere(qtbot, window, seed,
                                                              tmp_path) -> None:
    rng = random.Random(seed)
    samples = [str(p) for p in images.sample_images()]
    video = write_video(tmp_path / "clip.mkv", 8, fps=20.0)
    actions = ["click", "click", "double", "depth", "model", "drop", "search", "colour", "fold",
               "orientation", "expand", "live"]
    for _ in range(ACTIONS):
        action = rng.choice(actions)
        drawn = sorted(drawn_nodes(window))
        if action in ("click", "double") and drawn:
            click_node(window, rng.choice(drawn), double=action == "double")
        elif action == "depth":
            window.depth.setValue(rng.randint(0, window.depth.maximum()))
        elif action == "model":
            window.request_model(rng.choice(MODELS))
        elif action == "drop":
            drop(window, rng.choice(samples))
        elif action == "fold":
            window.fold.toggle()
        elif action == "orientation":
            window.left_to_right.toggle()
        elif action == "expand":
            window.expand_all()
        elif action == "live":  # open the video, play, pause or step it
            rng.choice([lambda: window.live.open(video), window.live.panel.play.click,
                        window.live.step])()
        elif action == "search":
            window.search.setText(rng.choice(["conv", "relu", "layer", "", "nothing here"]))
            window.search.returnPressed.emit()
        else:
            window.colour_by.setCurrentIndex(rng.choice([0, 0, 1]))
        qtbot.wait(rng.choice([0, 0, 1, 5, 5, 50, 200]))  # mostly little waiting
    if window.live.playing():
        window.live.pause()
    qtbot.waitUntil(lambda: not window.worker.is_busy(), timeout=TIMEOUT)
    qtbot.wait(100)
    assert_consistent(window)
    last = window.session.loaded.spec.name
    assert last in MODELS and window.picker.current_model() == last
