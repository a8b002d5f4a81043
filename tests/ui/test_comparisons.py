"""Comparing in the app: another architecture side by side, a checkpoint's weight changes as
heat and a sorted table, and what a save of the watched file changed."""
from __future__ import annotations

import torch
import torchvision

from cnnviz import graph as g
from cnnviz.diff import NodeClass
from cnnviz.session import ModelRequest
from cnnviz.ui.diagram_style import CATEGORY_COLORS, DIFF_COLORS
from cnnviz.ui.colouring import BY_WEIGHT_CHANGE

TIMEOUT = 120_000
NEW_BLOCKS = ("layer1.2", "layer2.2", "layer2.3", "layer3.2", "layer3.3", "layer3.4",
              "layer3.5", "layer4.2")


def test_resnet18_against_resnet34_side_by_side(qtbot, window) -> None:
    comparisons = window.comparisons
    with qtbot.waitSignal(window.worker.sigJobEnded, timeout=TIMEOUT,
                          check_params_cb=lambda job: job.kind.value == "architectures"):
        comparisons.compare_architecture(ModelRequest.of("resnet34"))
    diff_window = comparisons.window
    assert diff_window.isVisible()
    a_session, b_session = diff_window.sessions
    b_graph = b_session.diagram.graph
    added = {n for n, attrs in b_graph.nodes(data=True)
             if any(path in NEW_BLOCKS for path, _ in attrs[g.HIERARCHY])}
    assert len(added) == 8 * 7 and diff_window.changes.count() == len(added)
    b_view = diff_window.views[1]
    coloured = {n for n in b_graph
                if b_view.node_item(n).brush().color() == DIFF_COLORS[NodeClass.ADDED]}
    assert coloured == added
    assert not any(diff_window.views[0].node_item(n).brush().color()
                   == DIFF_COLORS[NodeClass.REMOVED] for n in a_session.diagram.graph)
    a_session.select("layer2_1_conv2")  # selection follows into B
    assert b_session.selection == "layer2_1_conv2"
    a_view, b_view = diff_window.views
    a_view.zoom_to(1.5)
    a_view.centerOn(a_view.node_scene_pos("layer4_0_conv1"))  # panning A moves B alike
    qtbot.wait(50)

    def offset(view):  # of the view's centre from the node, in scene units
        return view.mapToScene(view.viewport().rect().center()) - view.node_scene_pos(
            "layer4_0_conv1")

    assert b_view.scale_factor() == 1.5
    assert (offset(b_view) - offset(a_view)).manhattanLength() < 20
    diff_window.changes.itemClicked.emit(diff_window.changes.item(10))  # a change jumps
    assert b_session.selection in added and b_view.scale_factor() >= 1.0
    centre = b_view.mapToScene(b_view.viewport().rect().center())
    assert abs(centre.y() - b_view.node_scene_pos(b_session.selection).y()) < 20


def test_weight_changes_of_one_layer(qtbot, window, tmp_path) -> None:
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    torch.save(model.state_dict(), tmp_path / "a.pt")
    with torch.no_grad():
        model.layer3[1].conv1.weight.mul_(1.5)  # ‖Wb − Wa‖ / ‖Wa‖ = 0.5
    torch.save(model.state_dict(), tmp_path / "b.pt")
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        window.request_model("resnet18", str(tmp_path / "a.pt"))
    with qtbot.waitSignal(window.comparisons.sigWeightChangesChanged, timeout=TIMEOUT):
        window.comparisons.compare_weights(str(tmp_path / "b.pt"))
    rows = window.comparisons.table.rows()
    assert rows[0] == ("layer3.1.conv1", "50.0%")
    assert all(change == "0.0%" for _, change in rows[1:])
    assert window.colour_by.currentIndex() == BY_WEIGHT_CHANGE
    recoloured = [n for n in window.session.diagram.graph
                  if window.view.node_item(n).brush().color()
                  != CATEGORY_COLORS[window.session.diagram.graph.nodes[n][g.CATEGORY]]]
    assert recoloured == ["layer3_1_conv1"]  # only that layer is coloured
    window.request_model("alexnet")  # a new model clears them
    qtbot.waitUntil(lambda: window.comparisons.weight_changes is None, timeout=TIMEOUT)
