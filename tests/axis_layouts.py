"""Axis layouts told from output shapes, set by hand on the nodes a test uses until the tracer
records them (the graph contract's ``layout``)."""
from __future__ import annotations

import math

import networkx as nx

from cnnviz import graph as g
from cnnviz.tensor_layout import NCHW, NHWC, AxisLayout


def layout_from_shape(shape: tuple[int, ...]) -> AxisLayout:
    """NCHW; NHWC where a square grid comes before the channels; (N, T, C) tokens on a square
    grid, after a class token where T is one more than a square. Enough for the test models."""
    if len(shape) == 3:
        tokens = shape[1]
        extra = 0 if math.isqrt(tokens) ** 2 == tokens else 1
        side = math.isqrt(tokens - extra)
        assert side * side == tokens - extra, f"{tokens} tokens are not on a square grid"
        return AxisLayout(2, token_axis=1, grid=(side, side), extra_tokens=extra)
    assert len(shape) == 4, f"no layout for {shape}"
    return NHWC if shape[1] == shape[2] != shape[3] else NCHW


def set_layouts(graph: nx.DiGraph, *nodes: str) -> None:
    """Record on ``nodes`` the layout their output shape tells."""
    for node in nodes:
        graph.nodes[node][g.LAYOUT] = layout_from_shape(graph.nodes[node][g.OUT_SHAPE])
