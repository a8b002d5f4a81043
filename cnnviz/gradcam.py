"""Grad-CAM (Selvaraju et al. 2017): where in the image a layer found evidence for a class.

The gradients of the class score (the logit, before softmax) with respect to a layer's feature
maps, averaged over each map, weight the maps; the ReLU of their weighted sum, upsampled
bilinearly to the input's size and divided by its maximum, is the map: values in [0, 1], all
zero where the layer found no evidence for the class.

Any node with a spatial reading will do, in fx-traced and recorder graphs alike: its output is
read through the node's layout (the graph contract's ``layout``), so channels-last outputs
(ConvNeXt, Swin) and tokens on a grid (ViT, class token dropped) are brought to channels-first
maps, gradients alike, as pytorch-grad-cam's reshape transforms do. Where a node's layout is not
known, a 4-d output is read as NCHW.
"""
from __future__ import annotations

import difflib
import math
from typing import NamedTuple

import networkx as nx
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz import formatting, inference, probes
from cnnviz import graph as g
from cnnviz.errors import CnnvizError
from cnnviz.inference import Prepared
from cnnviz.session import LoadedModel
from cnnviz.tensor_layout import NCHW, UNKNOWN, AxisLayout

_SUGGESTIONS = 5


def grad_cam(loaded: LoadedModel, prepared: Prepared, node_name: str,
             class_index: int) -> np.ndarray:
    """Grad-CAM of ``class_index`` at a layer: (H, W) float32 in [0, 1], H×W the input's."""
    return grad_cam_of(loaded.model, loaded.graph, prepared.tensor, node_name, class_index)


class Explained(NamedTuple):
    """What :func:`explained` found: the map, and the forward pass
    (the node's output and the model's, detached)."""

    heat: np.ndarray
    exposed: inference.Exposed


def grad_cam_of(model: nn.Module, graph: nx.DiGraph, tensor: torch.Tensor, node_name: str,
                class_index: int) -> np.ndarray:
    """Grad-CAM for any model and its graph (``trace.trace_model``), fx-traced or recorded."""
    return explained(model, graph, tensor, node_name, class_index).heat


def explained(model: nn.Module, graph: nx.DiGraph, tensor: torch.Tensor, node_name: str,
              class_index: int | None = None) -> Explained:
    """Grad-CAM of ``class_index`` (None: the top-scoring class) from one forward pass, which
    also gives the node's and the model's outputs."""
    layout = spatial_reading(graph, node_name)
    model.eval()
    with torch.inference_mode(False), torch.enable_grad():
        # An input that tracks gradients: every layer does, even with frozen weights.
        exposed = inference.forward_exposing(model, graph, tensor.clone().requires_grad_(),
                                             node_name, track_gradient=True)
        scores = inference.logits(exposed.output)
        if class_index is None:
            class_index = int(scores[0].argmax())
        if not 0 <= class_index < scores.shape[1]:
            raise CnnvizError(f"class index {class_index} is out of range: the model has "
                              f"{scores.shape[1]} classes")
        (gradients,) = torch.autograd.grad(scores[0, class_index], exposed.gradient_edge,
                                           allow_unused=True)
    if gradients is None:
        raise CnnvizError(f"the score of class {class_index} does not depend on {node_name}")
    heat = class_activation_map(channels_first(exposed.value, layout),
                                channels_first(gradients, layout), tuple(tensor.shape[-2:]))
    detached = inference.Exposed(exposed.value, probes.map_tensors_in(exposed.output,
                                                                      torch.Tensor.detach), None)
    return Explained(heat, detached)


def spatial_reading(graph: nx.DiGraph, node_name: str) -> AxisLayout:
    """How Grad-CAM reads the node's output: its layout, else NCHW where the output is 4-d.

    A one-line CnnvizError for a node without channels on a 2-d grid of more than one
    position (a classifier, a pooled vector), naming the model's last layer that has them.
    """
    attrs = inference.find_node(graph, node_name)
    layout, shape = _layout(attrs), attrs[g.OUT_SHAPE]
    if _has_spatial_reading(layout, shape):
        return layout
    reading = layout.name if layout.known else "layout unknown"
    if layout.spatial:
        reading += ", one position" if _positions(layout, shape) == 1 else ", not a 2-d grid"
    found = f"{node_name} outputs {formatting.shape(shape)} ({reading})"
    last = next((name for name in reversed(list(nx.topological_sort(graph)))
                 if graph.nodes[name][g.CATEGORY] != g.Category.INPUT
                 and _has_spatial_reading(_layout(graph.nodes[name]),
                                          graph.nodes[name][g.OUT_SHAPE])), None)
    if last is None:
        raise CnnvizError(f"Grad-CAM needs a layer with a spatial reading, and "
                          f"{graph.graph.get(g.MODEL, 'the model')} has none: {found}")
    raise CnnvizError(f"Grad-CAM needs a layer with a spatial reading; {found}: try {last}, "
                      f"the last one")


def channels_first(tensor: torch.Tensor, layout: AxisLayout) -> torch.Tensor:
    """``tensor_layout.channels_first`` in torch, the batch kept: (N, C, *grid), positions on
    their grid, extra tokens dropped."""
    if layout.grid:
        moved = tensor.movedim((layout.channel_axis, layout.token_axis), (1, 2))
        count = math.prod(layout.grid)
        on_grid = moved[:, :, layout.extra_tokens:layout.extra_tokens + count]
        if on_grid.shape[2] != count:
            raise CnnvizError(f"{moved.shape[2]} tokens do not fill a "
                              f"{'×'.join(map(str, layout.grid))} grid")
        return on_grid.reshape(*moved.shape[:2], *layout.grid)
    axes = (layout.channel_axis, *layout.spatial_axes)
    return tensor.movedim(axes, tuple(range(1, 1 + len(axes))))


def class_activation_map(maps: torch.Tensor, gradients: torch.Tensor,
                         size: tuple[int, int]) -> np.ndarray:
    """Grad-CAM from (1, C, h, w) feature maps and their gradients, at ``size`` (H, W)."""
    weights = gradients.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * maps).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)[0, 0]
    peak = cam.max()
    if peak > 0:
        cam = cam / peak
    return cam.to(torch.float32).cpu().numpy()


def class_index_by_name(categories: list[str], text: str) -> int:
    """The class whose label is ``text`` (any case), else the one label containing it."""
    wanted = text.strip().casefold()
    labels = [label.casefold() for label in categories]
    exact = [i for i, label in enumerate(labels) if label == wanted]
    found = exact or [i for i, label in enumerate(labels) if wanted and wanted in label]
    if len(found) == 1:
        return found[0]
    if found:
        shown = ", ".join(f"{categories[i]} ({i})" for i in found[:_SUGGESTIONS])
        more = f", …and {len(found) - _SUGGESTIONS} more" if len(found) > _SUGGESTIONS else ""
        raise CnnvizError(f"{text!r} matches {len(found)} classes: {shown}{more}")
    close = difflib.get_close_matches(wanted, labels, n=_SUGGESTIONS, cutoff=0.6)
    if close:
        shown = ", ".join(categories[labels.index(label)] for label in close)
        raise CnnvizError(f"no class {text!r}: did you mean {shown}?")
    raise CnnvizError(f"no class {text!r} among the {len(categories)} classes")


def _layout(attrs: dict) -> AxisLayout:
    """A node's layout; NCHW for a 4-d output where it is not known."""
    layout = attrs.get(g.LAYOUT) or UNKNOWN
    shape = attrs[g.OUT_SHAPE]
    return NCHW if not layout.known and shape is not None and len(shape) == 4 else layout


def _positions(layout: AxisLayout, shape: tuple[int, ...] | None) -> int:
    """How many positions the output's grid has."""
    if layout.grid:
        return math.prod(layout.grid)
    return math.prod(shape[axis] for axis in layout.spatial_axes) if shape else 0


def _has_spatial_reading(layout: AxisLayout, shape: tuple[int, ...] | None) -> bool:
    """Whether the output is channels on a 2-d grid of more than one position."""
    axes = len(layout.grid or layout.spatial_axes)
    return layout.spatial and axes == 2 and _positions(layout, shape) > 1
