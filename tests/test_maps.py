"""Feature-map arithmetic checked against hand-made arrays and direct computations."""
from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from cnnviz import maps
from cnnviz.tensor_layout import UNKNOWN, AxisLayout


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


# ---------------------------------------------------------------------------- as_maps

def test_feature_maps_are_kept_as_they_are(rng):
    data = rng.normal(size=(8, 5, 7)).astype(np.float32)
    stack = maps.as_maps(data)
    assert stack.kind == maps.MAPS and stack.description == "" and stack.spatial
    assert stack.maps.dtype == np.float32
    np.testing.assert_array_equal(stack.maps, data)


def test_integer_outputs_become_float32():
    stack = maps.as_maps(np.arange(2 * 3 * 4).reshape(2, 3, 4))
    assert stack.maps.dtype == np.float32
    assert stack.maps[1, 2, 3] == 23.0


def test_vit_tokens_leave_out_the_class_token_and_form_the_patch_grid():
    tokens, channels, side = 197, 6, 14
    data = np.arange(tokens * channels, dtype=np.float32).reshape(tokens, channels)
    stack = maps.as_maps(data)
    assert stack.kind == maps.TOKENS and stack.spatial
    assert stack.maps.shape == (channels, side, side)
    for channel in (0, 5):
        for row, column in ((0, 0), (0, 13), (13, 0), (6, 9)):
            token = 1 + row * side + column  # patches row by row, after the class token
            assert stack.maps[channel, row, column] == data[token, channel]
    assert "(class) token left out" in stack.description and "14×14" in stack.description


def test_square_token_count_keeps_every_token():
    data = np.arange(49 * 3, dtype=np.float32).reshape(49, 3)
    stack = maps.as_maps(data)
    assert stack.maps.shape == (3, 7, 7)
    assert stack.maps[2, 1, 0] == data[7, 2]
    assert "class" not in stack.description


def test_other_token_sequences_are_one_matrix(rng):
    data = rng.normal(size=(12, 4)).astype(np.float32)  # neither 12 nor 11 is square
    stack = maps.as_maps(data)
    assert stack.kind == maps.MATRIX and not stack.spatial
    np.testing.assert_array_equal(stack.maps, data[np.newaxis])


def test_vectors_fill_an_exact_near_square_grid_row_by_row():
    values = np.arange(1000, dtype=np.float32)
    stack = maps.as_maps(values)
    assert stack.kind == maps.VECTOR and not stack.spatial
    assert stack.maps.shape == (1, 25, 40)
    assert stack.maps[0, 2, 3] == 2 * 40 + 3
    assert "25×40" in stack.description

    pooled = maps.as_maps(np.arange(2048, dtype=np.float32).reshape(2048, 1, 1))
    assert pooled.kind == maps.VECTOR and pooled.maps.shape == (1, 32, 64)
    assert pooled.maps[0, 1, 0] == 64


def test_vectors_without_a_compact_grid_are_padded_with_nan():
    stack = maps.as_maps(np.arange(1, 8, dtype=np.float32))  # 7 is prime: 1×7 is too long
    assert stack.maps.shape == (1, 3, 3)
    np.testing.assert_array_equal(stack.maps[0].reshape(-1)[:7], np.arange(1, 8))
    assert np.isnan(stack.maps[0, 2, 1:]).all()
    assert "padded" in stack.description
    assert maps.channel_statistics(stack.maps[0])["mean"] == 4.0
    assert maps.levels(stack.maps, [0], shared=False) == [(1.0, 7.0)]


def test_more_dimensions_are_flattened_into_maps(rng):
    data = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    stack = maps.as_maps(data)
    assert stack.kind == maps.MAPS and stack.maps.shape == (6, 4, 5)
    np.testing.assert_array_equal(stack.maps[4], data[1, 1])


# ---------------------------------------------------------------------------- through a layout

def test_channels_last_maps_are_one_per_channel(rng):
    data = rng.normal(size=(5, 7, 3)).astype(np.float32)  # H, W, C
    stack = maps.as_maps(data, AxisLayout(3, (1, 2)))
    assert stack.kind == maps.MAPS and stack.maps.shape == (3, 5, 7)
    for channel, row, column in ((0, 0, 0), (2, 4, 6), (1, 3, 2)):
        assert stack.maps[channel, row, column] == data[row, column, channel]
    assert stack.description == "NHWC read as 3 maps of 5×7"


def test_tokens_on_a_grid_leave_out_the_extra_tokens_before_it():
    tokens, channels, extra = 2 + 3 * 4, 5, 2
    data = np.arange(tokens * channels, dtype=np.float32).reshape(tokens, channels)
    stack = maps.as_maps(data, AxisLayout(2, token_axis=1, grid=(3, 4), extra_tokens=extra))
    assert stack.kind == maps.TOKENS and stack.maps.shape == (channels, 3, 4)
    for channel, row, column in ((0, 0, 0), (4, 2, 3), (3, 1, 2)):
        assert stack.maps[channel, row, column] == data[extra + row * 4 + column, channel]
    assert stack.description.startswith("14 tokens: the first 2 (class) tokens left out, 12 as")


def test_a_signal_is_a_row_per_channel(rng):
    data = rng.normal(size=(4, 9)).astype(np.float32)  # C, L: not tokens
    stack = maps.as_maps(data, AxisLayout(1, (2,)))
    assert stack.kind == maps.MAPS and stack.maps.shape == (4, 1, 9)
    np.testing.assert_array_equal(stack.maps[:, 0], data)
    assert "NCL" in stack.description


def test_channels_first_outputs_read_as_before(rng):
    image = rng.normal(size=(6, 4, 5)).astype(np.float32)
    volume = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    for data, layout in ((image, AxisLayout(1, (2, 3))), (volume, AxisLayout(1, (2, 3, 4))),
                         (image[:, :1, :1], AxisLayout(1, (2, 3))),
                         (image[:, 0, 0], AxisLayout(1))):
        through, stored = maps.as_maps(data, layout), maps.as_maps(data)
        assert (through.kind, through.description) == (stored.kind, stored.description)
        np.testing.assert_array_equal(through.maps, stored.maps)
    assert maps.as_maps(image[:, :1, :1], AxisLayout(1, (2, 3))).kind == maps.VECTOR


def test_an_unknown_layout_is_shown_as_stored_and_says_so(rng):
    data = rng.normal(size=(49, 96)).astype(np.float32)
    stack = maps.as_maps(data, UNKNOWN)
    np.testing.assert_array_equal(stack.maps, maps.as_maps(data).maps)
    assert stack.description.startswith(maps.UNKNOWN_LAYOUT_NOTE + "; 49 tokens")
    image = rng.normal(size=(3, 4, 5)).astype(np.float32)
    assert maps.as_maps(image, UNKNOWN).description == maps.UNKNOWN_LAYOUT_NOTE


# ---------------------------------------------------------------------------- ordering

def test_index_order():
    np.testing.assert_array_equal(maps.channel_order(np.zeros((5, 2, 2)), "index"), range(5))


def test_mean_order_is_descending_and_stable_on_ties():
    means = [1.0, 3.0, 3.0, 0.0, 3.0, -2.0]
    data = np.stack([np.full((3, 4), m, np.float32) for m in means])
    data[1, 0, 0] += 1.0  # channel 1: same mean as 2 and 4 after the next line
    data[1, 0, 1] -= 1.0
    expected = sorted(range(len(means)), key=lambda c: (-means[c], c))
    assert expected == [1, 2, 4, 0, 3, 5]
    np.testing.assert_array_equal(maps.channel_order(data, "mean"), expected)


def test_mean_order_matches_a_direct_sort(rng):
    data = rng.normal(size=(64, 9, 9)).astype(np.float32)
    means = [float(np.mean(channel, dtype=np.float64)) for channel in data]
    expected = sorted(range(64), key=lambda c: -means[c])
    np.testing.assert_array_equal(maps.channel_order(data, "mean"), expected)


def test_unknown_sort():
    with pytest.raises(ValueError, match="sort"):
        maps.channel_order(np.zeros((2, 2, 2)), "max")


# ---------------------------------------------------------------------------- statistics

def test_statistics_of_a_hand_made_map():
    channel = np.array([[0.0, 1.0, 2.0], [0.0, 4.0, -1.0]], np.float32)
    values = [0.0, 1.0, 2.0, 0.0, 4.0, -1.0]
    stats = maps.channel_statistics(channel)
    assert stats == {
        "mean": pytest.approx(statistics.fmean(values), abs=0),
        "std": pytest.approx(statistics.pstdev(values), rel=1e-15),
        "min": -1.0, "max": 4.0, "zero_fraction": 2 / 6,
    }


def test_statistics_accumulate_in_float64(rng):
    channel = (1e4 + rng.random((300, 300))).astype(np.float32)
    values = channel.astype(np.float64).reshape(-1).tolist()
    stats = maps.channel_statistics(channel)
    mean = math.fsum(values) / len(values)
    assert stats["mean"] == pytest.approx(mean, rel=1e-14)
    assert stats["std"] == pytest.approx(statistics.pstdev(values), rel=1e-9)
    assert stats["zero_fraction"] == 0.0


def test_statistics_of_a_constant_map():
    stats = maps.channel_statistics(np.zeros((4, 4), np.float32))
    assert stats == {"mean": 0.0, "std": 0.0, "min": 0.0, "max": 0.0, "zero_fraction": 1.0}


def test_statistics_of_a_map_without_numbers():
    stats = maps.channel_statistics(np.full((2, 2), np.nan, np.float32))
    assert set(stats) == {"mean", "std", "min", "max", "zero_fraction"}
    assert all(math.isnan(value) for value in stats.values())


# ---------------------------------------------------------------------------- levels

def test_per_channel_and_shared_levels(rng):
    data = rng.normal(size=(5, 6, 6)).astype(np.float32)
    shown = [3, 0]
    per_channel = maps.levels(data, shown, shared=False)
    assert per_channel == [(float(data[c].min()), float(data[c].max())) for c in shown]
    shared = maps.levels(data, shown, shared=True)
    assert shared == [(float(data.min()), float(data.max()))] * 2
    assert maps.levels(data, [], shared=False) == []


def test_constant_maps_get_a_range_reaching_zero():
    data = np.stack([np.full((3, 3), v, np.float32) for v in (0.0, 2.5, -3.0)])
    assert maps.levels(data, [0, 1, 2], shared=False) == [(0.0, 1.0), (0.0, 2.5), (-3.0, 0.0)]
    assert maps.levels(data[:1], [0], shared=True) == [(0.0, 1.0)]
    assert maps.levels(data[1:2], [0], shared=True) == [(0.0, 2.5)]
    assert maps.levels(np.full((1, 2, 2), np.nan), [0], shared=False) == [(0.0, 1.0)]


# ---------------------------------------------------------------------------- colour

def test_lookup_tables():
    for name in maps.COLORMAPS:
        table = maps.lookup_table(name)
        assert table.shape == (256, 3) and table.dtype == np.uint8
        assert not table.flags.writeable
    np.testing.assert_array_equal(maps.lookup_table("gray"), np.repeat(np.arange(256), 3)
                                  .reshape(256, 3))
    inferno = maps.lookup_table("inferno")  # matplotlib's ends: #000004 … #fcffa4
    assert inferno[0].tolist() == [0, 0, 4] and inferno[-1].tolist() == [252, 255, 164]
    viridis = maps.lookup_table("viridis")  # #440154 … #21918c (middle) … #fde725
    assert viridis[0].tolist() == [68, 1, 84] and viridis[-1].tolist() == [253, 231, 37]
    assert np.abs(viridis[128].astype(int) - [33, 145, 140]).max() <= 1
    with pytest.raises(ValueError, match="colormap"):
        maps.lookup_table("jet")


def test_colorize_indexes_the_table():
    table = maps.lookup_table("magma")
    values = np.array([[0.0, 1.0], [10 / 255, 2.0]])
    expected = np.stack([np.stack([table[0], table[255]]), np.stack([table[10], table[255]])])
    np.testing.assert_array_equal(maps.colorize(values, "magma"), expected)
    assert maps.colorize(np.array([np.nan]), "magma").tolist() == [table[0].tolist()]


def test_upsample_is_bilinear_with_aligned_pixel_centres():
    heat = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)
    # Output pixel centres fall at -0.25, 0.25, 0.75, 1.25 of the input (clamped at the edges).
    row = np.array([0.0, 0.25, 0.75, 1.0])
    expected = row[np.newaxis, :] + 2 * row[:, np.newaxis]
    np.testing.assert_allclose(maps.upsample(heat, 4, 4), expected, atol=1e-6)
    np.testing.assert_array_equal(maps.upsample(heat, 2, 2), heat)


def test_overlay_ends_and_blend(rng):
    image = rng.integers(0, 256, size=(6, 5, 3), dtype=np.uint8)
    heat = rng.normal(size=(6, 5)).astype(np.float32)
    np.testing.assert_array_equal(maps.overlay(image, heat, 0.0), image)
    scaled = (heat.astype(np.float64) - heat.min()) / (heat.max() - heat.min())
    table = maps.lookup_table("viridis")
    coloured = table[np.rint(scaled * 255).astype(int)]
    np.testing.assert_array_equal(maps.overlay(image, heat, 1.0, "viridis"), coloured)
    half = maps.overlay(image, heat, 0.5, "viridis").astype(int)
    assert np.abs(half - (image.astype(int) + coloured) / 2).max() <= 0.5


def test_overlay_resizes_the_map_to_the_image():
    image = np.zeros((4, 4, 3), np.uint8)
    heat = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)
    row = np.array([0.0, 0.25, 0.75, 1.0])
    scaled = (row[np.newaxis, :] + 2 * row[:, np.newaxis]) / 3
    expected = maps.lookup_table("gray")[np.rint(scaled * 255).astype(int)]
    np.testing.assert_array_equal(maps.overlay(image, heat, 1.0, "gray"), expected)
    bright_top_left = maps.overlay(np.zeros((8, 12, 3), np.uint8),
                                   np.array([[1.0, 0.0], [0.0, 0.0]]), 1.0, "gray")
    assert bright_top_left[0, 0, 0] == 255 and bright_top_left[-1, -1, 0] == 0
    assert bright_top_left[0, -1, 0] == 0 and bright_top_left[-1, 0, 0] == 0


def test_overlay_of_a_dead_map_is_the_lowest_colour():
    out = maps.overlay(np.full((3, 3, 3), 200, np.uint8), np.zeros((2, 2)), 1.0, "inferno")
    assert (out == maps.lookup_table("inferno")[0]).all()
    broken = maps.overlay(np.full((3, 3, 3), 200, np.uint8), np.full((2, 2), np.nan), 1.0)
    assert (broken == maps.lookup_table("inferno")[0]).all()  # NaN activations: no crash


# ---------------------------------------------------------------------------- concat labels

def test_branch_labels_name_the_source_channel():
    labels = maps.branch_labels([("inception3a_branch1_relu", 2),
                                 ("inception3a_branch2_1_relu", 3)])
    assert labels == ["inception3a_branch1_relu · ch 0", "inception3a_branch1_relu · ch 1",
                      "inception3a_branch2_1_relu · ch 0", "inception3a_branch2_1_relu · ch 1",
                      "inception3a_branch2_1_relu · ch 2"]
    assert maps.branch_labels([]) == []
