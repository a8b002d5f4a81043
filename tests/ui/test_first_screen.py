"""The first screen at the default size (1500×900): each ILSVRC landmark either fits at a
readable scale or shows its signature motif at a readable scale."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF

from cnnviz import graph as g
from cnnviz import motifs
from cnnviz.ui.main_window import READABLE_SCALE, MainWindow

TIMEOUT = 120_000


def visible(window: MainWindow) -> QRectF:
    view = window.view
    return view.mapToScene(view.viewport().rect()).boundingRect()


def box(layout, name: str) -> QRectF:
    node = layout.nodes[name]
    return QRectF(node.x - node.width / 2, node.y - node.height / 2, node.width, node.height)


@pytest.mark.parametrize("name", ["alexnet", "vgg16", "googlenet", "resnet50", "densenet121"])
def test_each_landmark_fits_or_shows_its_motif_readably(qtbot, settings, name) -> None:
    window = MainWindow(settings=settings, model=name)
    qtbot.addWidget(window)
    window.resize(1500, 900)
    window.show()
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        pass
    shown, seen = window.session.diagram, visible(window)
    assert window.view.scale_factor() >= READABLE_SCALE
    whole = QRectF(0, 0, shown.layout.width, shown.layout.height)
    if not seen.contains(whole.adjusted(20, 20, -20, -20)):  # it does not fit: its motif shows
        motif = motifs.first_motif(shown.graph)
        assert motif is not None, f"{name} neither fits nor has a motif"
        assert all(seen.contains(box(shown.layout, node)) for node in motif.nodes), name
        joins = [n for n in motif.nodes if shown.graph.in_degree(n) >= 2]
        kernels = [n for n in motif.nodes if shown.graph.nodes[n][g.CATEGORY] == g.Category.CONV]
        assert joins or len(kernels) >= 2
    window.close()
