"""The window driven as scripts and tests do: orientation (remembered), folding, expanding
everything."""
from __future__ import annotations

from cnnviz import graph as g
from cnnviz.ui.main_window import MainWindow

TIMEOUT = 120_000


def test_orientation_folding_and_expand_all(qtbot, settings) -> None:
    window = MainWindow(settings=settings, model="resnet50")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session.diagram is not None, timeout=TIMEOUT)
    assert window.session.diagram.layout.orientation == "tb" and not window.fold.isChecked()
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        window.set_orientation("lr")
    layout = window.session.diagram.layout
    assert layout.orientation == "lr" and window.left_to_right.isChecked()
    assert all(edge.points[0][0] <= edge.points[-1][0] for edge in layout.edges)
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        window.set_folding(True)
    drawn = window.session.diagram.graph
    assert window.fold.isChecked() and drawn.nodes["layer3.1"][g.REPEAT] == 5
    assert window.session.diagram.layout.orientation == "lr"  # folding keeps the orientation
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        window.models.toggle_block("layer3.1")  # as a double-click on the stack does
    assert "layer3_3_conv2" in window.session.diagram.graph and "layer2.1" in window.session.diagram.graph
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        window.expand_all()
    assert set(window.session.diagram.graph) == set(window.session.loaded.graph)
    assert not window.fold.isChecked()
    window.close()
    again = MainWindow(settings=settings, model="alexnet")  # the orientation is remembered
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.session.diagram is not None, timeout=TIMEOUT)
    assert again.session.diagram.layout.orientation == "lr" and again.left_to_right.isChecked()
    again.close()
