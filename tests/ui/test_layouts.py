"""Feature maps and the inspector follow each node's axis layout in the window: ConvNeXt's
channels-last outputs as maps of their channels, an unknown layout shown as stored and said."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnviz import maps
from cnnviz.ui.main_window import MainWindow

TIMEOUT = 60_000


@pytest.fixture
def open_window(qtbot, settings):
    """A window on the named model, its diagram drawn and the sample photo run."""
    windows = []

    def open_on(model: str) -> MainWindow:
        window = MainWindow(settings=settings, model=model)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.session.diagram is not None
                        and window.photo.photo is not None, timeout=TIMEOUT)
        windows.append(window)
        return window
    yield open_on
    for window in windows:
        window.close()


def select(qtbot, window: MainWindow, name: str) -> None:
    with qtbot.waitSignal(window.photo.sigMapsShown, timeout=TIMEOUT):
        window.session.select(name)


def test_convnext_channels_last_output_shows_its_96_channels(qtbot, open_window) -> None:
    window = open_window("convnext_tiny")
    model = window.session.loaded.model
    seen = []
    handle = model.features[1][0].block[0].register_forward_hook(
        lambda m, i, o: seen.append(o[0].detach().clone()))
    with torch.no_grad():
        model(window.photo.photo.prepared.tensor)
    handle.remove()
    select(qtbot, window, "permute_2")
    panel = window.photo.feature_maps
    assert panel.page_count() == 2  # 96 maps, 64 a page
    first = panel.visible_channels()[0]
    tile = panel.channel_item(first).image
    assert tile.shape == (56, 56)
    np.testing.assert_allclose(tile, seen[0][first].numpy(), atol=1e-4)
    assert "NHWC read as 96 maps of 56×56" in panel.caption.text()
    assert window.inspector.field_text("layout") == "NHWC"
    assert window.inspector.field_text("out_shape").replace(" ", "") == "1×56×56×96"


def test_an_unknown_layout_is_shown_as_stored_with_a_note(qtbot, open_window) -> None:
    window = open_window("shufflenet_v2_x0_5")
    select(qtbot, window, "view")  # the channel shuffle splits the channels in two
    panel = window.photo.feature_maps
    assert maps.UNKNOWN_LAYOUT_NOTE in panel.caption.text()
    assert window.inspector.field_text("layout") == "unknown"
