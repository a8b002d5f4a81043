"""Grad-CAM (Selvaraju et al. 2017): where in the image a layer found evidence for a class.

The gradients of the class score (the logit, before softmax) with respect to a layer's feature
maps, averaged over each map, weight the maps; the ReLU of their weighted sum, upsampled
bilinearly to the input's size and divided by its maximum, is the map: values in [0, 1], all
zero where the layer found no evidence for the class.
"""
from __future__ import annotations

import difflib

import networkx as nx
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz import formatting, inference, trace
from cnnviz import graph as g
from cnnviz.errors import CnnvizError
from cnnviz.inference import Prepared
from cnnviz.session import LoadedModel

_SUGGESTIONS = 5


def grad_cam(loaded: LoadedModel, prepared: Prepared, node_name: str,
             class_index: int) -> np.ndarray:
    """Grad-CAM of ``class_index`` at a layer: (H, W) float32 in [0, 1], H×W the input's."""
    return grad_cam_of(loaded.model, loaded.graph, prepared.tensor, node_name, class_index)


def grad_cam_of(model: nn.Module, graph: nx.DiGraph, tensor: torch.Tensor, node_name: str,
                class_index: int) -> np.ndarray:
    """Grad-CAM for any fx-traced model and its graph (``trace.trace_model``)."""
    shape = inference.find_node(graph, node_name)[g.OUT_SHAPE]
    if shape is None or len(shape) != 4:
        raise CnnvizError(f"Grad-CAM needs a layer with spatial feature maps; {node_name} "
                          f"outputs {formatting.shape(shape)}")
    if graph.graph[g.TRACER] != trace.FX:
        raise CnnvizError(f"Grad-CAM needs a model that torch.fx can trace; "
                          f"{graph.graph[g.MODEL]} was recorded instead")
    model.eval()
    with torch.inference_mode(False), torch.enable_grad():
        maps, output = inference.forward_exposing(model, graph, tensor.clone(), node_name,
                                                  track_gradient=True)
        scores = inference.logits(output)
        if not 0 <= class_index < scores.shape[1]:
            raise CnnvizError(f"class index {class_index} is out of range: the model has "
                              f"{scores.shape[1]} classes")
        (gradients,) = torch.autograd.grad(scores[0, class_index], maps)
    return class_activation_map(maps.detach(), gradients, tuple(tensor.shape[-2:]))


def class_activation_map(maps: torch.Tensor, gradients: torch.Tensor,
                         size: tuple[int, int]) -> np.ndarray:
    """Grad-CAM from (1, C, h, w) feature maps and their gradients, at ``size`` (H, W)."""
    weights = gradients.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * maps).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)[0, 0]
    peak = cam.max()
    if peak > 0:
        cam = cam / peak
    return cam.to(torch.float32).numpy()


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
