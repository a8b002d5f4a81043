"""The feature-map panel shows exactly the maps it is given, upright, paged, sorted and levelled
as cnnviz.maps says, and a chosen channel large with its statistics and overlay."""
from __future__ import annotations

import pathlib

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from cnnviz import formatting, maps
from cnnviz.tensor_layout import UNKNOWN, AxisLayout
from cnnviz.ui.feature_maps import DEFAULT_COLORMAP, DEFAULT_OPACITY, NO_LAYER, PAGE_SIZE, \
    FeatureMaps

PHOTO = pathlib.Path(__file__).resolve().parents[2] / "resources" / "samples" / "chelsea.png"


@pytest.fixture
def panel(qtbot) -> FeatureMaps:
    widget = FeatureMaps()
    widget.resize(1000, 560)
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def painted(panel: FeatureMaps) -> None:
    """Lay out and paint the grid, as the screen does before the user points at it (the
    view's transform is brought up to date when it is painted)."""
    panel.grid.grab()


def tile_center(panel: FeatureMaps, channel: int) -> QPoint:
    """Where ``channel``'s tile is, in the grid's viewport coordinates."""
    painted(panel)
    rect = panel.channel_item(channel).sceneBoundingRect()
    return panel.grid.mapFromScene(rect.center())


def click_channel(panel: FeatureMaps, channel: int, qtbot) -> None:
    with qtbot.waitSignal(panel.sigChannelChosen) as blocker:
        QTest.mouseClick(panel.grid.viewport(), Qt.MouseButton.LeftButton,
                         pos=tile_center(panel, channel))
    assert blocker.args == [channel]


def screen_pixels(panel: FeatureMaps, channel: int, height: int, width: int) -> np.ndarray:
    """The grey level drawn at each map pixel's centre, sampled from the tile's rectangle on
    screen (independent of how the item maps its own coordinates)."""
    shot = panel.grid.grab().toImage()
    rect = panel.channel_item(channel).sceneBoundingRect()
    out = np.zeros((height, width), int)
    for row in range(height):
        for column in range(width):
            scene = QPointF(rect.left() + (column + 0.5) * rect.width() / width,
                            rect.top() + (row + 0.5) * rect.height() / height)
            out[row, column] = shot.pixelColor(panel.grid.mapFromScene(scene)).red()
    return out


def test_tiles_are_the_channels_drawn_upright(panel):
    height, width = 6, 9
    data = np.zeros((3, height, width), np.float32)
    data[:, 0, 1:3] = 1.0  # a bright mark in the top row, left of centre
    data[:, 4, 0] = 0.5  # and a grey one low in the left column
    data[1, 5, 8] = 0.25  # channel 1 differs from the others
    panel.set_colormap("gray")
    panel.show_maps("conv", data, None)
    assert panel.visible_channels() == [0, 1, 2]
    for channel in range(3):
        item = panel.channel_item(channel)
        np.testing.assert_array_equal(item.image, data[channel])
        assert item.axisOrder == "row-major"
        rect = item.sceneBoundingRect()
        assert rect.width() / rect.height() == pytest.approx(width / height)
        drawn = screen_pixels(panel, channel, height, width)
        assert np.abs(drawn - data[channel] * 255).max() <= 2, drawn
    first, second, third = (panel.channel_item(c).sceneBoundingRect() for c in range(3))
    assert second.left() > first.right() and second.top() == first.top()  # left to right,
    assert third.top() > first.bottom() and third.left() == first.left()  # then down


def test_pages_show_every_channel_once(panel, rng, qtbot):
    data = rng.normal(size=(150, 4, 5)).astype(np.float32)
    panel.show_maps("cat", data, None)
    assert panel.page_count() == 3 and panel.page() == 0
    for sort in ("index", "mean"):
        panel.set_sort(sort)
        seen = []
        for page in range(panel.page_count()):
            panel.set_page(page)
            shown = panel.visible_channels()
            assert len(shown) == min(PAGE_SIZE, 150 - page * PAGE_SIZE)
            for channel in shown:
                np.testing.assert_array_equal(panel.channel_item(channel).image, data[channel])
            seen += shown
        assert sorted(seen) == list(range(150)) and len(seen) == 150
    drawn = [tile for tile in panel._tiles if tile.isVisible()]
    assert len(drawn) == 150 - 2 * PAGE_SIZE  # the last page hides the tiles it does not use

    panel.set_page(99)
    assert panel.page() == 2 and not panel.next_button.isEnabled()
    qtbot.mouseClick(panel.previous_button, Qt.MouseButton.LeftButton)
    assert panel.page() == 1 and panel.page_box.value() == 2
    panel.page_box.setValue(1)
    assert panel.page() == 0 and not panel.previous_button.isEnabled()


def test_sort_by_mean_activation(panel, rng):
    data = rng.normal(size=(70, 5, 5)).astype(np.float32)
    data[[3, 40]] = 0.25  # a tie: index order within it
    panel.show_maps("relu", data, None)
    assert panel.visible_channels() == list(range(PAGE_SIZE))
    panel.set_sort("mean")
    means = [float(np.mean(channel, dtype=np.float64)) for channel in data]
    expected = sorted(range(70), key=lambda c: (-means[c], c))
    assert panel.visible_channels() == expected[:PAGE_SIZE]
    assert expected.index(3) + 1 == expected.index(40)
    panel.set_page(1)
    assert panel.visible_channels() == expected[PAGE_SIZE:]
    panel.set_sort("index")
    assert panel.page() == 0 and panel.visible_channels() == list(range(PAGE_SIZE))


def test_per_channel_and_shared_levels(panel, rng):
    data = rng.normal(size=(100, 6, 6)).astype(np.float32)
    data[90, 2, 2] = 40.0  # the layer's maximum is on the second page
    data[7, 1, 1] = -30.0
    panel.show_maps("bn", data, None)
    for channel in panel.visible_channels():
        assert panel.channel_image_levels(channel) == \
            (float(data[channel].min()), float(data[channel].max()))
    panel.set_shared_levels(True)
    for channel in panel.visible_channels():
        assert panel.channel_image_levels(channel) == (-30.0, 40.0)
    panel.set_page(1)
    assert panel.channel_image_levels(90) == (-30.0, 40.0)


def test_clicking_a_channel_shows_it_large(panel, rng, qtbot):
    data = np.maximum(rng.normal(size=(16, 14, 14)), 0).astype(np.float32)
    photo = rng.integers(0, 256, size=(56, 56, 3), dtype=np.uint8)
    panel.show_maps("layer1_0_relu", data, photo)
    assert panel.selected_channel() is None and not panel.detail.isVisibleTo(panel)
    click_channel(panel, 9, qtbot)
    assert panel.selected_channel() == 9 and panel.detail.isVisibleTo(panel)
    np.testing.assert_array_equal(panel.large_image.image, data[9])
    assert panel.detail_title.text() == "channel 9"

    values = data[9].astype(np.float64)
    assert panel.statistic_text("mean") == formatting.metric(values.sum() / values.size)
    assert panel.statistic_text("std") == formatting.metric(np.sqrt(np.mean(
        (values - values.mean()) ** 2)))
    assert panel.statistic_text("min") == formatting.metric(0.0)
    assert panel.statistic_text("max") == formatting.metric(values.max())
    assert panel.statistic_text("zero_fraction") == \
        formatting.percent(np.count_nonzero(values == 0) / values.size)
    panel.large_canvas.grab()
    panel.large_canvas.scene().sigMouseMoved.emit(panel.large_image.mapToScene(QPointF(4.5, 2.5)))
    assert panel.readout.text() == \
        f"channel 9 · row 2, column 4: {formatting.metric(float(data[9, 2, 4]))}"

    assert panel.overlay_canvas.isVisibleTo(panel)
    np.testing.assert_array_equal(panel.overlay_image.image, maps.overlay(
        photo, data[9], DEFAULT_OPACITY, DEFAULT_COLORMAP))
    panel.opacity.setValue(0)
    np.testing.assert_array_equal(panel.overlay_image.image, photo)
    panel.set_colormap("magma")
    panel.opacity.setValue(100)
    np.testing.assert_array_equal(panel.overlay_image.image, maps.overlay(photo, data[9], 1.0,
                                                                          "magma"))
    assert (panel.channel_item(9).lut == maps.lookup_table("magma")).all()
    assert (panel.large_image.lut == maps.lookup_table("magma")).all()

    panel.set_input(None)
    assert not panel.overlay_canvas.isVisibleTo(panel)
    assert not panel.overlay_controls.isVisibleTo(panel)
    panel.set_input(photo)
    assert panel.overlay_canvas.isVisibleTo(panel)

    click_channel(panel, 2, qtbot)  # another click moves the selection
    assert panel.selected_channel() == 2
    np.testing.assert_array_equal(panel.large_image.image, data[2])


def test_clicks_between_tiles_choose_nothing(panel, rng, qtbot):
    panel.show_maps("conv", rng.normal(size=(4, 8, 8)).astype(np.float32), None)
    first, second = (tile_center(panel, c) for c in (0, 1))
    gap = QPoint((first.x() + second.x()) // 2, first.y())
    with qtbot.assertNotEmitted(panel.sigChannelChosen):
        QTest.mouseClick(panel.grid.viewport(), Qt.MouseButton.LeftButton, pos=gap)
    assert panel.selected_channel() is None


def test_concatenation_channels_name_their_branch(panel, rng):
    sources = [("inception3a_branch1_relu", 64), ("inception3a_branch2_1_relu", 128)]
    data = rng.random((192, 7, 7)).astype(np.float32)
    panel.show_maps("inception3a_cat", data, None, maps.branch_labels(sources))
    panel.set_page(1)
    panel.select_channel(101)
    assert panel.detail_title.text() == "channel 101 · inception3a_branch2_1_relu · ch 37"
    item = panel.channel_item(101)
    painted(panel)
    panel.grid.scene().sigMouseMoved.emit(item.mapToScene(QPointF(3.5, 1.5)))
    assert panel.readout.text() == ("channel 101 · inception3a_branch2_1_relu · ch 37 · "
                                    f"row 1, column 3: {formatting.metric(float(data[101, 1, 3]))}")

    panel.show_maps("other", data, None, ["too", "few"])  # labels that do not fit are left out
    assert panel.detail_title.text() == "channel 101"


def test_selection_stays_across_layers_with_the_same_channels(panel, rng):
    panel.show_maps("conv1", rng.normal(size=(64, 8, 8)).astype(np.float32), None)
    panel.select_channel(40)
    relu = rng.random((64, 4, 4)).astype(np.float32)
    panel.show_maps("maxpool", relu, None)
    assert panel.selected_channel() == 40
    np.testing.assert_array_equal(panel.large_image.image, relu[40])
    panel.show_maps("layer2", rng.normal(size=(128, 2, 2)).astype(np.float32), None)
    assert panel.selected_channel() is None and not panel.detail.isVisibleTo(panel)


def test_vectors_and_tokens(panel, rng):
    photo = np.zeros((32, 32, 3), np.uint8)
    logits = rng.normal(size=1000).astype(np.float32)
    panel.show_maps("fc", logits, photo)
    assert panel.visible_channels() == [0] and panel.page_count() == 1
    np.testing.assert_array_equal(panel.channel_item(0).image, logits.reshape(25, 40))
    assert "25×40" in panel.caption.text() and "1000" in panel.caption.text()
    panel.select_channel(0)
    assert panel.detail_title.text() == "the whole output"
    assert not panel.overlay_canvas.isVisibleTo(panel)  # a vector is no place in the image
    painted(panel)
    panel.grid.scene().sigMouseMoved.emit(panel.channel_item(0).mapToScene(QPointF(3.5, 2.5)))
    assert panel.readout.text() == f"element 83: {formatting.metric(float(logits[83]))}"

    tokens = rng.normal(size=(197, 8)).astype(np.float32)
    panel.show_maps("encoder_layer_11", tokens, photo, note="ViT")
    assert panel.visible_channels() == list(range(8))
    np.testing.assert_array_equal(panel.channel_item(5).image,
                                  tokens[1:, 5].reshape(14, 14))
    assert "class" in panel.caption.text() and panel.caption.text().endswith("ViT")
    panel.select_channel(5)
    assert panel.overlay_canvas.isVisibleTo(panel)
    assert panel.overlay_image.image.shape == photo.shape


def test_a_layout_reads_channels_last_outputs_and_an_unknown_one_says_so(panel, rng):
    photo = np.zeros((32, 32, 3), np.uint8)
    channels_last = rng.normal(size=(6, 5, 12)).astype(np.float32)  # H, W, C
    panel.show_maps("permute", channels_last, photo, layout=AxisLayout(3, (1, 2)))
    assert panel.page_count() == 1 and len(panel.visible_channels()) == 12
    np.testing.assert_array_equal(panel.channel_item(7).image, channels_last[:, :, 7])
    assert "NHWC" in panel.caption.text()
    panel.show_maps("view", channels_last, photo, layout=UNKNOWN)
    assert len(panel.visible_channels()) == 6  # as stored: the rows read as channels
    np.testing.assert_array_equal(panel.channel_item(2).image, channels_last[2])
    assert maps.UNKNOWN_LAYOUT_NOTE in panel.caption.text()


def test_clear_empties(panel, rng):
    panel.show_maps("conv", rng.normal(size=(10, 5, 5)).astype(np.float32),
                    np.zeros((20, 20, 3), np.uint8))
    panel.select_channel(3)
    panel.clear("Drop a photo to see feature maps")
    assert panel.message.isVisibleTo(panel)
    assert panel.message.text() == "Drop a photo to see feature maps"
    assert panel.visible_channels() == [] and panel.page_count() == 0
    assert panel.selected_channel() is None and panel.caption.text() == ""
    assert not panel.splitter.isVisibleTo(panel) and not panel.controls.isVisibleTo(panel)
    assert not any(tile.isVisible() or tile.image is not None for tile in panel._tiles)
    assert panel.large_image.image is None and panel.overlay_image.image is None
    panel.clear()
    assert panel.message.text() == NO_LAYER
    panel.show_maps("conv", np.ones((2, 3, 3), np.float32), None)
    assert panel.splitter.isVisibleTo(panel) and not panel.message.isVisibleTo(panel)


def test_unknown_colormap_and_channel(panel):
    with pytest.raises(ValueError):
        panel.set_colormap("jet")
    panel.show_maps("conv", np.ones((2, 3, 3), np.float32), None)
    with pytest.raises(IndexError):
        panel.select_channel(2)


def photo_and_maps(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A 224×224 crop of a sample photo and 64 rectified oriented-edge and colour maps of it
    at 112×112, like a first convolution's."""
    with Image.open(PHOTO) as image:
        width, height = image.size
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        photo = np.asarray(image.convert("RGB").crop((left, top, left + side, top + side))
                           .resize((224, 224)))
    small = photo[::2, ::2].astype(np.float32) / 255
    rows, columns = np.gradient(small.mean(axis=2))
    channels = []
    for _ in range(64):
        angle, colour = rng.uniform(0, np.pi), rng.normal(size=3)
        response = 6 * (np.cos(angle) * columns + np.sin(angle) * rows) + 0.5 * small @ colour
        channels.append(np.maximum(response - rng.uniform(0, 0.3), 0) * rng.uniform(0.5, 2))
    return photo, np.array(channels, np.float32)


def test_renders_a_realistic_layer(panel, rng, tmp_path, qtbot):
    photo, data = photo_and_maps(rng)
    panel.resize(1100, 560)
    panel.show_maps("layer1_0_relu", data, photo, note="ReLU")
    click_channel(panel, 12, qtbot)
    qtbot.wait(10)  # let the layouts settle before the picture is taken
    for name in ("grid.png", "large.png"):
        widget = panel if name == "grid.png" else panel.detail
        path = tmp_path / name
        assert widget.grab().save(str(path)) and path.stat().st_size > 10_000
