"""The main window, offscreen: launching, switching models, clicking, expanding, searching,
exporting, failing to load, and switching quickly."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from cnnviz import formatting
from cnnviz import graph as g
from cnnviz.ui.main_window import MainWindow
from interaction import click_node

TIMEOUT = 60_000


def test_the_window_opens_on_the_model_with_its_diagram(window) -> None:
    loaded = window.session.loaded
    assert loaded.spec.name == "resnet18"
    assert set(window.session.diagram.graph) == set(loaded.graph)  # small: fully expanded
    assert "11,689,512 params" in window.summary.text()
    assert "tracer: torch.fx" in window.summary.text()
    assert "ILSVRC 2015 winner" in window.card.toPlainText()
    assert window.picker.current_model() == "resnet18"


def test_clicking_a_node_shows_the_cores_numbers(qtbot, window) -> None:
    click_node(window, "layer2_0_conv1")
    qtbot.waitUntil(lambda: window.session.selection == "layer2_0_conv1", timeout=5000)
    attrs = window.session.loaded.graph.nodes["layer2_0_conv1"]
    inspector = window.inspector
    assert inspector.field_text("params") == formatting.count(attrs[g.PARAMS]) == "73,728"
    assert inspector.field_text("macs") == formatting.count(attrs[g.MACS])
    assert attrs[g.MACS] == 128 * 28 * 28 * 64 * 9  # closed form: out positions × fan-in
    assert inspector.field_text("rf") == attrs[g.RF].describe()
    # The conv's kernels come from the worker.
    qtbot.waitUntil(lambda: inspector.has_weights(), timeout=TIMEOUT)


def test_depth_and_double_click_collapse_and_expand_blocks(qtbot, window) -> None:
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        window.depth.setValue(2)
    drawn = window.session.diagram.graph
    assert drawn.nodes["layer3.1"][g.CATEGORY] == g.Category.BLOCK
    transform = window.view.transform()
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        click_node(window, "layer3.1", double=True)
    drawn = window.session.diagram.graph
    assert "layer3.1" not in drawn and "layer3_1_conv2" in drawn and "layer3.0" in drawn
    assert window.view.transform() == transform  # the user's zoom survives


def test_search_cycles_through_matches(qtbot, window) -> None:
    window.search.setText("downsample")
    QTest.keyClick(window.search, Qt.Key.Key_Return)
    first = window.session.selection
    QTest.keyClick(window.search, Qt.Key.Key_Return)
    second = window.session.selection
    expected = [n for n, a in window.session.diagram.graph.nodes(data=True)
                if "downsample" in a[g.QUALNAME]]
    assert len(expected) == 6 and first in expected and second in expected and first != second


def test_export_png_svg_and_json(qtbot, window, tmp_path) -> None:
    window.files.export_diagram(str(tmp_path / "d.png"), scale=1.0)
    window.files.export_diagram(str(tmp_path / "d.svg"))
    image = QImage(str(tmp_path / "d.png"))
    assert not image.isNull() and image.width() > 100 and image.height() > 1000
    assert "<svg" in (tmp_path / "d.svg").read_text()[:2000]
    done = subprocess.run([sys.executable, "-m", "cnnviz", "export", "resnet18", "--depth", "2",
                           "-o", str(tmp_path / "d.json")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    exported = json.loads((tmp_path / "d.json").read_text())
    names = {n["name"] for n in exported["nodes"]}
    assert {"layer1.0", "layer4.1", "fc"} <= names
    for edge in exported["edges"]:
        assert edge["from"] in names and edge["to"] in names and len(edge["points"]) >= 2


def test_a_failed_load_keeps_the_current_model(qtbot, window, tmp_path) -> None:
    before = window.session.loaded
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    with qtbot.waitSignal(window.sigLoadFailed, timeout=TIMEOUT) as failure:
        window.request_model("resnet18", str(broken))
    assert "broken.pt" in failure.args[0] and "broken.pt" in window.error.text()
    assert window.session.loaded is before
    assert window.session.diagram is not None


def test_a_checkpoint_from_the_menu_path_loads(qtbot, window, tmp_path) -> None:
    import torchvision

    state = torchvision.models.resnet18().state_dict()
    torch.save({"model": state}, tmp_path / "good.pt")
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        window.request_model("resnet18", str(tmp_path / "good.pt"))
    model = window.session.loaded.model
    assert torch.equal(model.conv1.weight, state["conv1.weight"])
    assert str(tmp_path / "good.pt") in window.card.toPlainText()


def test_rapid_switching_ends_on_the_last_model(qtbot, window, settings) -> None:
    for name in ["alexnet", "vgg11", "squeezenet1_1", "resnet34", "alexnet", "mobilenet_v2",
                 "googlenet", "resnet18", "squeezenet1_0", "alexnet"]:
        window.request_model(name)
        qtbot.wait(5)
    qtbot.waitUntil(lambda: not window.worker.is_busy(), timeout=TIMEOUT)
    assert window.session.loaded.spec.name == "alexnet"
    assert set(window.session.diagram.graph) == set(window.session.loaded.graph)
    assert settings.value("model") == "alexnet"
    assert "AlexNet" in window.windowTitle()
    assert [t.name for t in threading.enumerate() if t.name.startswith("Dummy")] == []


def test_the_last_model_and_layout_are_remembered(qtbot, settings) -> None:
    first = MainWindow(settings=settings, model="alexnet")
    qtbot.addWidget(first)
    qtbot.waitUntil(lambda: first.session.diagram is not None, timeout=TIMEOUT)
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    qtbot.waitUntil(lambda: second.session.diagram is not None, timeout=TIMEOUT)
    assert second.session.loaded.spec.name == "alexnet"
    second.close()


def test_screenshot_option_renders_the_window(tmp_path) -> None:
    path = tmp_path / "shot.png"
    done = subprocess.run([sys.executable, "-m", "cnnviz", "--model", "alexnet", "--screenshot",
                           str(path)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                               "XDG_CONFIG_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    image = QImage(str(path))
    assert image.width() >= 800 and len({image.pixel(x, y) for x in range(0, image.width(), 37)
                                         for y in range(0, image.height(), 37)}) > 5
