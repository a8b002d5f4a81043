"""A layer's learned weights as pictures and numbers: kernel images, a histogram, statistics.

Only 2-D convolution kernels (weights of shape ``out × in/groups × kh × kw``) are drawn;
every weight tensor gets a histogram and statistics. Everything here returns numpy arrays and
plain values, so the results can cross from the worker thread to the GUI.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

# Weights are read in slices of this many values, so that a 100M-weight layer (VGG's first
# classifier layer) never needs a float64 copy of itself.
_CHUNK = 1 << 22


def kernel_images(weight: torch.Tensor, limit: int = 64) -> np.ndarray:
    """The first ``min(out, limit)`` kernels of a 2-D convolution as float32 images in [0, 1].

    With three input channels per filter (a first layer reading RGB) the result is
    ``(n, kh, kw, 3)``: each kernel min-max normalised over all its channels, drawn in colour.
    Otherwise it is ``(n, kh, kw)``: the mean over input channels of each filter, scaled by its
    largest magnitude so that 0.5 is zero (a diverging view). A constant kernel is all 0.5.
    Raises ValueError for weights that are not 4-D (Conv1d, Conv3d, Linear).
    """
    if weight.dim() != 4:
        raise ValueError(f"only 2-D convolution kernels are drawn, not a weight of shape "
                         f"{tuple(weight.shape)}")
    kernels = weight.detach()[:limit].to("cpu", torch.float64)
    if kernels.shape[1] == 3:
        low = kernels.amin(dim=(1, 2, 3), keepdim=True)
        spread = kernels.amax(dim=(1, 2, 3), keepdim=True) - low
        constant = spread == 0
        images = torch.where(constant, 0.5, (kernels - low) / spread.masked_fill(constant, 1.0))
        images = images.permute(0, 2, 3, 1)
    else:
        mean = kernels.mean(dim=1)
        scale = mean.abs().amax(dim=(1, 2), keepdim=True)
        constant = scale == 0
        images = torch.where(constant, 0.5, 0.5 + 0.5 * mean / scale.masked_fill(constant, 1.0))
    return images.clamp(0.0, 1.0).numpy().astype(np.float32)


def weight_histogram(weight: torch.Tensor, bins: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Counts and float64 bin edges of all the weights, exactly as ``numpy.histogram`` bins them.

    Uniform bins from the smallest to the largest weight (±0.5 around a constant tensor).
    """
    values = weight.detach()
    low, high = float(values.min()), float(values.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts = np.zeros(bins, dtype=np.int64)
    for chunk in _chunks(values):
        part, edges = np.histogram(chunk, bins=bins, range=(low, high))
        counts += part
    return counts, edges


def weight_statistics(weight: torch.Tensor) -> dict[str, float]:
    """``mean``, ``std`` (population), ``min``, ``max`` and ``zeros`` (fraction exactly 0).

    Sums are taken in float64.
    """
    values = weight.detach()
    total = values.numel()
    mean = sum(float(chunk.sum()) for chunk in _chunks(values)) / total
    variance = sum(float(np.square(chunk - mean).sum()) for chunk in _chunks(values)) / total
    return {
        "mean": mean,
        "std": variance ** 0.5,
        "min": float(values.min()),
        "max": float(values.max()),
        "zeros": int(torch.count_nonzero(values == 0)) / total,
    }


def layer_weights(model: nn.Module, qualname: str) -> dict | None:
    """Kernels, histogram and statistics of the ``weight`` of the module at ``qualname``.

    Returns ``{"shape": weight shape, "kernels": kernel_images(...) or None,
    "histogram": (counts, edges), "statistics": weight_statistics(...)}``. Kernels are drawn
    for 2-D convolutions only. Returns None when ``qualname`` is not a module (a function
    node, a path of another model) or the module has no ``weight`` tensor.
    """
    try:
        module = model.get_submodule(qualname)
    except AttributeError:
        return None
    weight = getattr(module, "weight", None)
    if not isinstance(weight, torch.Tensor) or weight.numel() == 0:
        return None
    is_conv2d = isinstance(module, nn.Conv2d) and weight.dim() == 4
    return {
        "shape": tuple(weight.shape),
        "kernels": kernel_images(weight) if is_conv2d else None,
        "histogram": weight_histogram(weight),
        "statistics": weight_statistics(weight),
    }


def _chunks(weight: torch.Tensor) -> Iterator[np.ndarray]:
    """The weights, flattened, as float64 slices of at most ``_CHUNK`` values."""
    flat = weight.reshape(-1)
    for start in range(0, flat.numel(), _CHUNK):
        yield flat[start:start + _CHUNK].to("cpu", torch.float64).numpy()
