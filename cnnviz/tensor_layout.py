"""Which axis of a tensor holds the channels and which hold the spatial grid: NCHW, NHWC,
tokens on a grid, NC, NCL, NCDHW, or unknown.

The tracer records a layout on every node (the graph contract's ``layout``); the feature maps
and Grad-CAM read a node's output through it, so that channels-last outputs (ConvNeXt, Swin)
and tokens (ViT) show as maps on their grid.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AxisLayout:
    """The axes of a node's output (batch first).

    ``channel_axis`` holds the channels (None: not known). For a grid of positions either
    ``spatial_axes`` are the tensor's own axes (NCHW: 1 and (2, 3); NHWC: 3 and (1, 2)), or the
    positions are tokens along ``token_axis`` laid out on ``grid`` (row-major) after
    ``extra_tokens`` tokens that are not on it (a class token).
    """

    channel_axis: int | None
    spatial_axes: tuple[int, ...] = ()
    token_axis: int | None = None
    grid: tuple[int, ...] = ()
    extra_tokens: int = 0

    @property
    def known(self) -> bool:
        return self.channel_axis is not None

    @property
    def spatial(self) -> bool:
        """Whether the output has a spatial reading: channels on a grid of positions."""
        return self.known and bool(self.spatial_axes or self.grid)

    @property
    def name(self) -> str:
        """``NCHW``, ``NHWC``, ``NCL``, ``NCDHW``, ``NC``, ``tokens 14×14 +1`` or ``unknown``."""
        if not self.known:
            return "unknown"
        if self.grid:
            extra = f" +{self.extra_tokens}" if self.extra_tokens else ""
            return f"tokens {'×'.join(map(str, self.grid))}{extra}"
        letters = {0: "N", self.channel_axis: "C"}
        letters.update(zip(self.spatial_axes, "DHW"[3 - len(self.spatial_axes):]
                           if len(self.spatial_axes) <= 3 else "S" * len(self.spatial_axes)))
        if len(self.spatial_axes) == 1:
            letters[self.spatial_axes[0]] = "L"
        return "".join(letters[axis] for axis in sorted(letters))


UNKNOWN = AxisLayout(None)
NCHW = AxisLayout(1, (2, 3))
NHWC = AxisLayout(3, (1, 2))
NC = AxisLayout(1)


def channels_first(values: np.ndarray, layout: AxisLayout) -> np.ndarray:
    """One sample's output as (C, *grid): channels first, positions on their grid, extra
    tokens dropped. ``values`` has the batch axis; the first sample is taken. ValueError for a
    layout without a spatial reading."""
    if not layout.spatial:
        raise ValueError(f"a {layout.name} output has no spatial reading")
    sample = values[0]
    channel = layout.channel_axis - 1
    if layout.grid:
        tokens = layout.token_axis - 1
        moved = np.moveaxis(sample, (channel, tokens), (0, 1))
        count = int(np.prod(layout.grid))
        on_grid = moved[:, layout.extra_tokens:layout.extra_tokens + count]
        return on_grid.reshape(moved.shape[0], *layout.grid)
    spatial = [axis - 1 for axis in layout.spatial_axes]
    return np.moveaxis(sample, [channel, *spatial], list(range(1 + len(spatial))))
