"""Kernel images, weight histograms and statistics, checked against independent computation."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from cnnviz import kernels


@pytest.fixture(scope="module")
def resnet() -> nn.Module:
    torch.manual_seed(0)
    return torchvision.models.resnet18().eval()


def test_first_layer_kernels_are_colour_images_min_max_normalised_per_kernel(resnet):
    weight = resnet.conv1.weight.detach()  # 64 × 3 × 7 × 7
    images = kernels.kernel_images(weight)
    assert images.shape == (64, 7, 7, 3) and images.dtype == np.float32
    for i in (0, 17, 63):
        kernel = weight[i].numpy().astype(np.float64)  # 3 × 7 × 7
        expected = (kernel - kernel.min()) / (kernel.max() - kernel.min())
        np.testing.assert_allclose(images[i], expected.transpose(1, 2, 0), atol=1e-6)
        assert images[i].min() == 0.0 and images[i].max() == 1.0


def test_deeper_kernels_are_the_channel_mean_centred_on_half(resnet):
    weight = resnet.layer1[0].conv1.weight.detach()  # 64 × 64 × 3 × 3
    images = kernels.kernel_images(weight)
    assert images.shape == (64, 3, 3)
    for i in (0, 40):
        mean = weight[i].numpy().astype(np.float64).mean(axis=0)
        np.testing.assert_allclose(images[i], 0.5 + 0.5 * mean / np.abs(mean).max(), atol=1e-6)
        assert images[i].min() == 0.0 or images[i].max() == 1.0  # the largest magnitude hits an end


def test_known_weights_give_known_images():
    weight = torch.zeros(2, 2, 1, 2)
    weight[0, :, 0, :] = torch.tensor([[1.0, -3.0], [3.0, 1.0]])  # channel mean: 2, -1
    # filter 1 stays zero: a constant kernel is drawn as zero, 0.5
    images = kernels.kernel_images(weight)
    np.testing.assert_array_equal(images[0], [[1.0, 0.25]])
    np.testing.assert_array_equal(images[1], [[0.5, 0.5]])

    rgb = torch.tensor([[0.0, 2.0, 4.0], [5.0, 5.0, 5.0]]).reshape(2, 3, 1, 1)
    np.testing.assert_array_equal(kernels.kernel_images(rgb)[:, 0, 0], [[0, 0.5, 1], [0.5] * 3])


def test_limit_one_by_one_and_depthwise():
    wide = nn.Conv2d(16, 200, 1).weight
    assert kernels.kernel_images(wide).shape == (64, 1, 1)
    assert kernels.kernel_images(wide, limit=10).shape == (10, 1, 1)
    assert kernels.kernel_images(wide, limit=500).shape == (200, 1, 1)
    # A 1×1 kernel is a single value: its own largest magnitude, so 0 or 1.
    assert set(np.unique(kernels.kernel_images(wide))) <= {0.0, 1.0}

    depthwise = nn.Conv2d(32, 32, 3, groups=32).weight.detach()  # 32 × 1 × 3 × 3
    images = kernels.kernel_images(depthwise)
    assert images.shape == (32, 3, 3)
    single = depthwise[5, 0].numpy().astype(np.float64)
    np.testing.assert_allclose(images[5], 0.5 + 0.5 * single / np.abs(single).max(), atol=1e-6)


@pytest.mark.parametrize("layer", [nn.Conv1d(3, 8, 3), nn.Conv3d(3, 8, 3), nn.Linear(4, 5)])
def test_only_two_dimensional_kernels_are_drawn(layer):
    with pytest.raises(ValueError, match="only 2-D"):
        kernels.kernel_images(layer.weight)


def test_histogram_equals_numpy(resnet):
    weight = resnet.layer3[1].conv2.weight
    counts, edges = kernels.weight_histogram(weight, bins=50)
    expected_counts, expected_edges = np.histogram(weight.detach().numpy().astype(np.float64), 50)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_array_equal(edges, expected_edges)
    assert edges.dtype == np.float64 and counts.sum() == weight.numel()


def test_histogram_across_chunks_equals_numpy(monkeypatch):
    monkeypatch.setattr(kernels, "_CHUNK", 1000)
    weight = torch.randn(7, 11, 13, 5)
    counts, edges = kernels.weight_histogram(weight)
    expected_counts, expected_edges = np.histogram(weight.numpy().astype(np.float64), 64)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_array_equal(edges, expected_edges)


def test_histogram_of_known_and_constant_weights():
    counts, edges = kernels.weight_histogram(torch.tensor([0.0, 0.0, 1.0, 1.0, 1.0, 2.0]), bins=2)
    np.testing.assert_array_equal(counts, [2, 4])  # [0, 1) and [1, 2]
    np.testing.assert_array_equal(edges, [0.0, 1.0, 2.0])
    counts, edges = kernels.weight_histogram(torch.ones(10), bins=4)  # a fresh BatchNorm weight
    np.testing.assert_array_equal(counts, [0, 0, 10, 0])
    np.testing.assert_array_equal(edges, [0.5, 0.75, 1.0, 1.25, 1.5])


def test_statistics_of_known_weights():
    stats = kernels.weight_statistics(torch.tensor([[-2.0, 0.0], [0.0, 6.0]]))
    assert stats == {"mean": 1.0, "std": pytest.approx(np.sqrt(9.0)), "min": -2.0, "max": 6.0,
                     "zeros": 0.5}


def test_statistics_equal_numpy(resnet, monkeypatch):
    monkeypatch.setattr(kernels, "_CHUNK", 5000)
    weight = resnet.layer4[0].conv1.weight
    values = weight.detach().numpy().astype(np.float64)
    stats = kernels.weight_statistics(weight)
    assert stats["mean"] == pytest.approx(values.mean(), rel=1e-12, abs=1e-15)
    assert stats["std"] == pytest.approx(values.std(), rel=1e-12)
    assert (stats["min"], stats["max"]) == (values.min(), values.max())
    assert stats["zeros"] == 0.0


def test_layer_weights_of_modules(resnet):
    first = kernels.layer_weights(resnet, "conv1")
    assert first["shape"] == (64, 3, 7, 7)
    assert first["kernels"].shape == (64, 7, 7, 3)
    np.testing.assert_array_equal(first["histogram"][0],
                                  kernels.weight_histogram(resnet.conv1.weight)[0])
    assert first["statistics"] == kernels.weight_statistics(resnet.conv1.weight)

    assert kernels.layer_weights(resnet, "layer2.0.downsample.0")["kernels"].shape == (64, 1, 1)
    norm = kernels.layer_weights(resnet, "layer1.0.bn1")  # a weight, but no kernels to draw
    assert norm["kernels"] is None and norm["histogram"][0].sum() == 64
    assert kernels.layer_weights(resnet, "fc")["kernels"] is None


@pytest.mark.parametrize("qualname", ["relu", "maxpool", "layer1.0", "layer1.0.add", "nowhere"])
def test_layer_weights_of_modules_without_weights_is_none(resnet, qualname):
    assert kernels.layer_weights(resnet, qualname) is None


def test_layer_weights_without_affine_weight_is_none():
    assert kernels.layer_weights(nn.Sequential(nn.BatchNorm2d(4, affine=False)), "0") is None
