"""The docks stay put: selecting layers never resizes the diagram, the top-5 bars are visible
without scrolling at the default size, and a saved dock arrangement restores only when valid."""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect
from PySide6.QtWidgets import QDockWidget, QScrollArea

from cnnviz.ui.main_window import LAYOUT_VERSION, MainWindow

TIMEOUT = 60_000


def geometries(window: MainWindow) -> dict[str, QRect]:
    """Where the diagram and every dock on screen are (not those behind another's tab)."""
    found = {"diagram": window.view.geometry()}
    found.update({dock.objectName(): dock.geometry() for dock in window.findChildren(QDockWidget)
                  if not dock.visibleRegion().isEmpty()})
    return found


def settle(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.worker.is_busy(), timeout=TIMEOUT)
    qtbot.wait(50)


def test_selecting_layers_never_resizes_the_diagram_or_the_docks(qtbot, window) -> None:
    dock = {d.objectName(): d for d in window.findChildren(QDockWidget)}
    for tab in ("Inspector", "Feature maps", "Timing"):
        dock[tab].raise_()
        settle(qtbot, window)
        before = geometries(window)
        assert tab in before and before["diagram"].width() > 600
        for name in ("layer2_0_conv1", "fc", "x", "add_3", "layer4_1_bn2"):
            window.session.select(name)  # a convolution's weights, a linear layer, the input …
            settle(qtbot, window)
            assert geometries(window) == before, (tab, name)
    dock["Inspector"].raise_()
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        window.depth.setValue(2)
    settle(qtbot, window)
    before = geometries(window)
    window.session.select("layer3.1")  # a block: the inspector lists its operations
    settle(qtbot, window)
    assert geometries(window) == before


def test_the_top_five_bars_are_visible_without_scrolling(qtbot, window) -> None:
    predictions = window.photo.predictions
    assert len(predictions.bars()) == 5 and predictions.banner.isVisible()
    area = next(a for a in window.findChildren(QScrollArea) if a.widget().isAncestorOf(predictions))
    assert area.verticalScrollBar().maximum() == 0
    plot = predictions.plot
    bottom_right = plot.mapTo(area.viewport(), plot.rect().bottomRight())
    assert area.viewport().rect().contains(bottom_right)


def test_a_saved_arrangement_is_restored_only_when_valid(qtbot, settings) -> None:
    first = MainWindow(settings=settings, model="alexnet")
    qtbot.addWidget(first)
    qtbot.waitUntil(lambda: first.session.diagram is not None, timeout=TIMEOUT)
    timing = next(d for d in first.findChildren(QDockWidget) if d.objectName() == "Timing")
    timing.setFloating(True)  # the user's arrangement, different from the default
    first.close()
    assert first.settings.value("state") is not None
    again = MainWindow(settings=settings, model="alexnet")
    qtbot.addWidget(again)
    assert next(d for d in again.findChildren(QDockWidget)
                if d.objectName() == "Timing").isFloating()
    again.close()
    for saved in (QByteArray(b"\x00\xffnot a state"),
                  again.saveState(LAYOUT_VERSION - 1)):  # damaged, or an older arrangement
        settings.setValue("state", saved)
        window = MainWindow(settings=settings, model="alexnet")
        qtbot.addWidget(window)
        assert not next(d for d in window.findChildren(QDockWidget)
                        if d.objectName() == "Timing").isFloating()
        window.close()
