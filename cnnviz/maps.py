"""Feature maps as pictures: any layer output as a stack of 2-D maps, their display order,
levels and statistics, colour maps, and a map laid over the input image.

Everything here is numpy on plain arrays (a layer's output with the batch dimension removed),
so the views only index and display what these functions return. A node's output is read
through its axis layout (``cnnviz.tensor_layout``) when the graph knows it.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from PIL import Image

from cnnviz import formatting
from cnnviz.tensor_layout import AxisLayout, channels_first

# How opaque a heat map is where it is laid over the photo (the app's starting opacity).
OVERLAY_OPACITY = 0.55

SORTS = ("index", "mean")
MAPS, TOKENS, VECTOR, MATRIX = "maps", "tokens", "vector", "matrix"
UNKNOWN_LAYOUT_NOTE = "layout unknown: shown as stored"
# A vector is laid out on an exact rows × columns grid when one is at most this elongated;
# otherwise on a square-ish grid whose last row is padded with NaN.
_VECTOR_ASPECT = 4

# Colour maps as 33 evenly spaced control points (matplotlib's viridis, inferno and magma,
# CC0; taken from pyqtgraph's tables), interpolated linearly to 256 entries.
_CONTROL_POINTS = {
    "inferno": (
        "000004 040312 0b0724 150b37 210c4a 2f0a5b 3d0965 4a0c6b 57106e 64156e 71196e "
        "7d1e6d 8a226a 972766 a32c61 b0315b bc3754 c63d4d d04545 da4e3c e35933 eb6429 "
        "f1711f f67e14 f98c0a fb9b06 fcaa0f fbba1f f9c932 f5d949 f2e865 f3f586 fcffa4"),
    "viridis": (
        "440154 470d60 48186a 482374 472d7b 453781 424086 3e4989 3b528b 375b8d 33638d "
        "2f6b8e 2c728e 297a8e 26828e 23898e 21918c 1f978b 1f9f88 21a685 27ad81 31b57b "
        "3dbc74 4cc26c 5cc863 6ece58 81d34d 95d840 aadc32 c0df25 d5e21a eae51a fde725"),
    "magma": (
        "000004 030312 0a0822 130d34 1d1147 29115a 36106b 440f76 51127c 5d177f 6a1c81 "
        "762181 832681 902a81 9c2e7f aa337d b73779 c23b75 cf4070 db476a e55064 ee5b5e "
        "f4695c f9785d fb8761 fd9668 fea571 feb47b fec287 fed194 fde0a1 fceeb0 fcfdbf"),
    "gray": "000000 ffffff",
}
COLORMAPS = tuple(_CONTROL_POINTS)


class MapStack(NamedTuple):
    """A layer output as 2-D maps: ``maps`` is float32 ``(N, H, W)``; ``kind`` is one of
    ``maps``, ``tokens`` (spatial tokens on their grid), ``vector`` (one map: the values row
    by row) or ``matrix`` (one map: a row per token); ``description`` says what was done
    (empty when the output was already a stack of maps)."""

    maps: np.ndarray
    description: str
    kind: str

    @property
    def spatial(self) -> bool:
        """True when the maps are positions of the input image (they can overlay it)."""
        return self.kind in (MAPS, TOKENS)


def as_maps(array: np.ndarray, layout: AxisLayout | None = None) -> MapStack:
    """Any node output (batch removed) as a stack of 2-D maps, and how it was arranged.

    With the node's ``layout``, an output on a grid is read through it: a map per channel on
    its grid (NHWC's channels; ViT's tokens as 14×14 maps, the class token left out; NCL's
    channels as 1×L maps), then as below. An unknown ``layout`` is said in the description
    (``UNKNOWN_LAYOUT_NOTE``) and the output is read as stored, by its shape alone, as without
    a layout:

    - ``(C, H, W)``: as is, one map per channel. More dimensions, ``(C, D, H, W)``: the
      leading ones flattened into ``C·D`` maps.
    - ``(C, 1, 1)``, ``(F,)`` and scalars: a vector, drawn as one map holding the values row
      by row on an exact near-square grid (1000 → 25×40), or on a ``⌈√F⌉``-wide grid whose
      last row is padded with NaN where no grid is at most 4 times as wide as high.
    - ``(T, C)`` token sequences: when ``T`` is a square number (``T = s²``, s ≥ 2) the tokens
      are an ``s×s`` grid of positions; when ``T - 1`` is (ViT's 197 = 1 + 14²) the first,
      class, token is left out. Either gives ``C`` maps of ``s×s``. Other sequences are one
      ``T × C`` map, a row per token.
    """
    data = np.asarray(array, dtype=np.float32)
    if layout is not None and layout.spatial:
        return _through_layout(data, layout)
    stack = _as_stored(data)
    if layout is not None and not layout.known:
        return stack._replace(description=_joined(UNKNOWN_LAYOUT_NOTE, stack.description))
    return stack


def _as_stored(data: np.ndarray) -> MapStack:
    if data.ndim >= 3 and data.shape[-2:] != (1, 1):
        if data.ndim == 3:
            return MapStack(data, "", MAPS)
        stack = data.reshape(-1, *data.shape[-2:])
        return MapStack(stack, f"{formatting.shape(data.shape[:-2])} maps flattened into "
                        f"{len(stack)}", MAPS)
    if data.ndim == 2:
        return _tokens(data)
    return _vector(data.reshape(-1), "channels of 1×1" if data.ndim == 3 else "values")


def _through_layout(data: np.ndarray, layout: AxisLayout) -> MapStack:
    """A spatial output read channels first on its grid (``layout.spatial`` holds)."""
    grid = channels_first(data[np.newaxis], layout)
    if grid.ndim == 2:  # one spatial axis: each channel a 1×L map
        grid = grid[:, np.newaxis]
    stack = _as_stored(np.ascontiguousarray(grid))
    channels, positions = len(grid), "×".join(map(str, grid.shape[1:]))
    if layout.grid:
        return MapStack(stack.maps, _tokens_text(data.shape[layout.token_axis - 1],
                                                 layout.extra_tokens, positions), TOKENS)
    standard = layout.channel_axis == 1 and layout.spatial_axes == tuple(
        range(2, 2 + len(layout.spatial_axes)))
    if standard and grid.ndim == data.ndim:
        return stack
    read = f"{layout.name} read as {channels} maps of {positions}"
    return stack._replace(description=_joined(read, stack.description))


def _joined(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def channel_order(maps: np.ndarray, sort: str) -> np.ndarray:
    """Channel indices in display order: ``index`` (0 … C-1) or ``mean`` (highest mean
    activation first; equal means keep index order)."""
    if sort == "index":
        return np.arange(len(maps))
    if sort == "mean":
        means = maps.reshape(len(maps), -1).mean(axis=1, dtype=np.float64)
        return np.argsort(-means, kind="stable")
    raise ValueError(f"sort must be one of {SORTS}, not {sort!r}")


def channel_statistics(channel: np.ndarray) -> dict[str, float]:
    """``mean``, ``std`` (population), ``min``, ``max`` and ``zero_fraction`` (exactly 0) of
    one map, summed in float64. NaN cells (a vector grid's padding) are left out; a map of
    nothing but NaN has NaN statistics."""
    values = np.asarray(channel, dtype=np.float64).reshape(-1)
    values = values[~np.isnan(values)]
    if not values.size:
        return dict.fromkeys(("mean", "std", "min", "max", "zero_fraction"), math.nan)
    mean = values.sum() / values.size
    return {
        "mean": float(mean),
        "std": float(np.sqrt(np.square(values - mean).sum() / values.size)),
        "min": float(values.min()),
        "max": float(values.max()),
        "zero_fraction": float(np.count_nonzero(values == 0) / values.size),
    }


def levels(maps: np.ndarray, channels: np.ndarray | list[int],
           shared: bool) -> list[tuple[float, float]]:
    """Display levels (low, high) for each of ``channels``: each map's own min and max, or,
    when ``shared``, the min and max over all the maps of the layer. NaN is ignored.

    A constant map (or layer) gets a range that reaches to zero, so that it shows at the
    bottom of the colour map when it is zero or negative and at the top when it is positive.
    """
    channels = np.asarray(channels, dtype=np.intp)
    if shared:
        return [value_range(maps)] * len(channels)
    chosen = maps[channels]
    lows, highs = np.fmin.reduce(chosen, axis=(1, 2)), np.fmax.reduce(chosen, axis=(1, 2))
    return [_displayable(float(low), float(high)) for low, high in zip(lows, highs)]


def value_range(values: np.ndarray) -> tuple[float, float]:
    """The (low, high) display range of an array: its min and max, NaN ignored, made
    non-degenerate as :func:`levels` describes."""
    return _displayable(float(np.fmin.reduce(values, axis=None)),
                        float(np.fmax.reduce(values, axis=None)))


def lookup_table(colormap: str) -> np.ndarray:
    """The 256 RGB colours (uint8, read-only) of one of ``COLORMAPS``, lowest value first."""
    if colormap not in _CONTROL_POINTS:
        raise ValueError(f"colormap must be one of {COLORMAPS}, not {colormap!r}")
    return _lookup_table(colormap)


def colorize(values: np.ndarray, colormap: str = "inferno") -> np.ndarray:
    """Values in [0, 1] (clipped; NaN as 0) as RGB bytes ``(..., 3)`` of a colour map's
    256 entries."""
    index = np.rint(np.clip(np.nan_to_num(values), 0.0, 1.0) * 255).astype(np.intp)
    return lookup_table(colormap)[index]


def upsample(heat: np.ndarray, height: int, width: int) -> np.ndarray:
    """A map resized to ``height × width`` by bilinear interpolation (pixel centres aligned,
    edges clamped: torch's ``align_corners=False``), as float32."""
    image = Image.fromarray(np.ascontiguousarray(heat, dtype=np.float32))  # mode "F"
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))


def overlay(image: np.ndarray, heat: np.ndarray, opacity: float,
            colormap: str = "inferno") -> np.ndarray:
    """``heat`` (h, w) laid over ``image`` (H, W, 3 uint8): scaled to its own display range
    (:func:`value_range`), resized bilinearly to the image, coloured and alpha-blended with
    weight ``opacity`` (0: the image, 1: the coloured map). Returns (H, W, 3) uint8."""
    low, high = value_range(heat)
    scaled = (np.asarray(heat, dtype=np.float64) - low) / (high - low)
    height, width = image.shape[:2]
    colours = colorize(upsample(scaled, height, width), colormap)
    blended = (1.0 - opacity) * image + opacity * colours.astype(np.float64)
    return np.rint(blended).astype(np.uint8)


def branch_labels(sources: list[tuple[str, int]]) -> list[str]:
    """One label per channel of a concatenation, naming the input it came from and its
    channel there: ``inception3a_branch2_1_relu · ch 37``."""
    return [f"{name} · ch {index}" for name, channels in sources for index in range(channels)]


def _tokens(data: np.ndarray) -> MapStack:
    tokens, channels = data.shape
    for skipped in (0, 1):
        side = math.isqrt(tokens - skipped)
        if side >= 2 and side * side == tokens - skipped:
            grid = data[skipped:].T.reshape(channels, side, side)
            return MapStack(np.ascontiguousarray(grid),
                            _tokens_text(tokens, skipped, f"{side}×{side}"), TOKENS)
    return MapStack(data[np.newaxis], f"{tokens} tokens × {channels} channels as one map, "
                    "a row per token", MATRIX)


def _tokens_text(tokens: int, extra: int, grid: str) -> str:
    """``197 tokens: the first (class) token left out, 196 as a 14×14 grid of positions, …``"""
    left_out = ("" if not extra else ": the first (class) token left out, " if extra == 1
                else f": the first {extra} (class) tokens left out, ")
    kept = f"{tokens - extra}" if extra else ""
    return f"{tokens} tokens{left_out}{kept} as a {grid} grid of positions, a map per channel"


def _vector(values: np.ndarray, what: str) -> MapStack:
    size = values.size
    rows = next(r for r in range(math.isqrt(size), 0, -1) if size % r == 0)
    columns = size // rows
    padded = ""
    if columns > _VECTOR_ASPECT * rows:
        columns = math.isqrt(size - 1) + 1
        rows = -(-size // columns)
        values = np.concatenate([values, np.full(rows * columns - size, np.nan, np.float32)])
        padded = ", the last row padded"
    grid = values.reshape(1, rows, columns)
    return MapStack(grid, f"{size} {what} as one {rows}×{columns} map, row by row{padded}",
                    VECTOR)


def _displayable(low: float, high: float) -> tuple[float, float]:
    if not (math.isfinite(low) and math.isfinite(high)):
        return 0.0, 1.0
    if low == high:
        return (min(low, 0.0), max(high, 0.0)) if low != 0 else (0.0, 1.0)
    return low, high


@lru_cache(maxsize=None)
def _lookup_table(colormap: str) -> np.ndarray:
    points = [[int(code[i:i + 2], 16) for i in (0, 2, 4)]
              for code in _CONTROL_POINTS[colormap].split()]
    colours = np.array(points, dtype=np.float64)
    where = np.linspace(0.0, 1.0, len(colours))
    steps = np.linspace(0.0, 1.0, 256)
    table = np.stack([np.interp(steps, where, colours[:, k]) for k in range(3)], axis=1)
    table = np.rint(table).astype(np.uint8)
    table.flags.writeable = False
    return table
