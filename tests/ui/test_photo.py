"""Dropping photos on the window: predictions, feature maps equal to a forward hook's output,
Grad-CAM, bad input leaving everything as it was, and a second drop cancelling the first."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QGuiApplication, QImage

from cnnviz import graph as g
from cnnviz.ui.diagram_style import CATEGORY_COLORS
from cnnviz.ui.jobs import JobKind
from cnnviz.ui.predictions import RANDOM_WEIGHTS_WARNING
from interaction import drop

TIMEOUT = 60_000


def striped_png(path, colour=(200, 30, 30)) -> str:
    array = np.zeros((300, 400, 3), np.uint8)
    array[::20] = colour
    Image.fromarray(array).save(path)
    return str(path)


def test_starts_with_a_sample_and_a_random_weights_banner(window) -> None:
    assert window.photo.photo.label == "chelsea.png"
    assert len(window.photo.predictions.bars()) == 5
    assert window.photo.predictions.banner.isVisibleTo(window)
    assert window.photo.predictions.banner.text() == RANDOM_WEIGHTS_WARNING


def test_a_dropped_png_gives_predictions_equal_to_the_models(qtbot, window, tmp_path) -> None:
    path = striped_png(tmp_path / "stripes.png")
    with qtbot.waitSignal(window.photo.sigPhotoShown, timeout=TIMEOUT):
        drop(window, path)
    photo = window.photo.photo
    assert photo.label == "stripes.png"
    with torch.no_grad():
        probabilities = torch.softmax(window.session.loaded.model(photo.prepared.tensor), 1)[0]
    top = torch.topk(probabilities, 5)
    shown = window.photo.predictions.bars()
    assert [label for label, _ in shown] == [photo.result.top[i].label for i in range(5)]
    assert [p.index for p in photo.result.top] == top.indices.tolist()
    assert np.allclose([prob for _, prob in shown], top.values.numpy(), atol=1e-5)


def test_feature_maps_equal_a_forward_hooks_output(qtbot, window) -> None:
    model = window.session.loaded.model
    captured = {}
    handle = model.layer1[0].conv2.register_forward_hook(
        lambda m, i, o: captured.update(out=o.detach().clone()))
    with torch.no_grad():
        model(window.photo.photo.prepared.tensor)
    handle.remove()
    with qtbot.waitSignal(window.photo.sigMapsShown, timeout=TIMEOUT) as shown:
        window.session.select("layer1_0_conv2")
    assert shown.args == ["layer1_0_conv2"]
    panel = window.photo.feature_maps
    first = panel.visible_channels()[0]
    assert np.allclose(panel.channel_item(first).image, captured["out"][0, first].numpy(),
                       atol=1e-4)


def test_selecting_a_node_reuses_the_last_run(qtbot, window) -> None:
    runs = []
    window.worker.sigJobEnded.connect(lambda job: runs.append(job.kind))
    for name in ["layer2_0_conv1", "add_3", "layer3_1_bn2"]:
        with qtbot.waitSignal(window.photo.sigMapsShown, timeout=TIMEOUT):
            window.session.select(name)
    assert JobKind.RUN not in runs


def test_grad_cam_at_the_selected_layer(qtbot, window) -> None:
    window.photo.input_panel.gradcam.setChecked(True)
    with qtbot.waitSignal(window.photo.sigGradCamShown, timeout=TIMEOUT) as shown:
        window.session.select("layer4_1_conv2")
    assert shown.args == ["layer4_1_conv2"]
    assert "Grad-CAM" in window.photo.input_panel.caption.text()
    with qtbot.waitSignal(window.photo.sigMessage, timeout=TIMEOUT) as refused:
        window.session.select("fc")  # the classifier: no spatial reading
    assert refused.args[0].startswith("Grad-CAM needs a layer with a spatial reading; fc ")
    assert window.error.text() == f"⚠ {refused.args[0]}" and "\n" not in refused.args[0]


@pytest.mark.parametrize("bad", ["not_an_image", "empty", "truncated", "directory", "missing"])
def test_bad_input_leaves_image_model_and_results_as_they_were(qtbot, window, tmp_path,
                                                                bad) -> None:
    before = (window.photo.photo, window.session.loaded, window.photo.predictions.bars())
    path = tmp_path / f"{bad}.png"
    if bad == "not_an_image":
        path.write_text("hello, I am text")
    elif bad == "empty":
        path.write_bytes(b"")
    elif bad == "truncated":
        striped_png(path)
        path.write_bytes(path.read_bytes()[:300])
    elif bad == "directory":
        path.mkdir()
    drop(window, path)
    qtbot.waitUntil(lambda: window.error.text() != "" and not window.worker.is_busy(),
                    timeout=TIMEOUT)
    assert path.name in window.error.text()
    assert (window.photo.photo, window.session.loaded, window.photo.predictions.bars()) == before


def test_several_files_take_the_first_image_and_say_so(qtbot, window, tmp_path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    image = striped_png(tmp_path / "second.png")
    with qtbot.waitSignal(window.photo.sigPhotoShown, timeout=TIMEOUT):
        drop(window, text, image)
    assert window.photo.photo.label == "second.png"
    assert "second.png" in window.error.text() or "second.png" in window.statusBar().currentMessage()


def test_a_second_drop_mid_run_shows_only_the_second(qtbot, window, tmp_path) -> None:
    first = striped_png(tmp_path / "first.png", (255, 0, 0))
    second = striped_png(tmp_path / "second.png", (0, 0, 255))
    shown = []
    window.photo.sigPhotoShown.connect(shown.append)
    drop(window, first)
    drop(window, second)
    qtbot.waitUntil(lambda: "second.png" in shown and not window.worker.is_busy(),
                    timeout=TIMEOUT)
    assert shown == ["second.png"]
    assert window.photo.photo.label == "second.png"


def test_paste_an_image(qtbot, window) -> None:
    image = QImage(64, 48, QImage.Format.Format_RGB888)
    image.fill(Qt.GlobalColor.darkGreen)
    QGuiApplication.clipboard().setImage(image)
    paste = next(a for a in window.findChildren(QAction) if a.text() == "&Paste image")
    with qtbot.waitSignal(window.photo.sigPhotoShown, timeout=TIMEOUT):
        paste.trigger()
    assert window.photo.photo.label == "pasted image"


def test_a_new_model_reruns_the_photo(qtbot, window) -> None:
    with qtbot.waitSignal(window.photo.sigPhotoShown, timeout=TIMEOUT):
        window.request_model("alexnet")
    assert window.photo.photo.model.spec.name == "alexnet"
    assert window.photo.photo.label == "chelsea.png"


def test_colour_by_activation_colours_every_drawn_node(qtbot, window) -> None:
    with qtbot.waitSignal(window.worker.sigJobEnded, timeout=TIMEOUT,
                          check_params_cb=lambda job: job.kind is JobKind.STATISTICS):
        window.colour_by.setCurrentIndex(1)  # statistics are computed when first asked for
    stats = window.photo.stats
    strongest = max((n for n in window.session.diagram.graph if n in stats),
                    key=lambda n: abs(stats[n].mean))
    assert window.view.node_item(strongest).brush().color().name() == "#800026"
    window.colour_by.setCurrentIndex(0)
    category = window.session.diagram.graph.nodes[strongest][g.CATEGORY]
    assert window.view.node_item(strongest).brush().color() == QColor(CATEGORY_COLORS[category])
