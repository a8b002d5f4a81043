"""The network side of a live run: one frame at a time through the current model, giving the
top-5, a layer's feature maps and Grad-CAM.

A frame is prepared exactly as a still photo is (``inference.prepare``), so its predictions
equal those of ``cnnviz predict`` on the frame saved as a PNG. One forward pass gives the
predictions and the layer's output; with Grad-CAM that pass also tracks gradients. Runs on
the torch worker thread.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from cnnviz import gradcam, inference, maps, timing, zoo
from cnnviz import graph as g
from cnnviz.errors import CnnvizError
from cnnviz.inference import Prediction
from cnnviz.session import LoadedModel


@dataclass(frozen=True, eq=False)
class FrameResult:
    """What the network made of frame ``index``.

    ``shown``: the frame as the network sees it, uint8 (H, W, 3). ``maps``: the selected
    layer's output as the Feature maps panel reads it (None without a layer). ``heat``:
    Grad-CAM of the top class at that layer, (H, W) in [0, 1] at the input's size (None when
    not asked for). ``ms``: the time the frame took, from preparing it to the results on the
    CPU. ``model``: the model it ran on.
    """

    index: int
    shown: np.ndarray
    top: list[Prediction]
    maps: maps.MapStack | None
    heat: np.ndarray | None
    ms: float
    model: LoadedModel


class LiveRunner:
    """Runs frames through ``loaded``'s model on ``device`` in ``dtype`` (``timing.PRECISIONS``).

    Other than fp32 on the CPU, the runner holds a converted copy, so the model the still-photo
    path uses is left as it is. DeviceError for an absent device or precision.
    """

    def __init__(self, loaded: LoadedModel, device: str = "cpu", dtype: str = "fp32") -> None:
        if loaded.spec.preprocessing is None:
            shape = loaded.graph.graph[g.INPUT_SHAPE]
            raise CnnvizError(f"{loaded.spec.display_name} takes a {tuple(shape)} input, "
                              f"not video frames")
        self.device = timing.resolve_device(device).name
        problem = timing.precision_problem(self.device, dtype)
        if problem:
            raise timing.DeviceError(problem)
        self.loaded, self.dtype = loaded, dtype
        self._kind = timing.PRECISIONS[dtype]
        model = loaded.model.eval()
        if self.device != "cpu" or self._kind != torch.float32:
            model = copy.deepcopy(model).to(device=self.device, dtype=self._kind)
        self.model = model  # on the device, in the precision
        self._categories = zoo.categories(loaded.spec)

    def check_layer(self, layer: str, grad_cam: bool = False) -> None:
        """A one-line CnnvizError for a layer the graph lacks, or, with ``grad_cam``, one
        without a spatial reading."""
        if grad_cam:
            gradcam.spatial_reading(self.loaded.graph, layer)
        else:
            inference.find_node(self.loaded.graph, layer)

    def run(self, index: int, frame_rgb: np.ndarray, layer: str | None = None,
            grad_cam: bool = False) -> FrameResult:
        """Frame ``index`` (RGB uint8 H×W×3) through the network: top-5, and with ``layer``
        its maps and, with ``grad_cam``, Grad-CAM of the top class there."""
        if grad_cam and layer is None:
            raise CnnvizError("Grad-CAM needs a layer")
        if layer is not None:
            self.check_layer(layer, grad_cam)
        start = time.perf_counter()
        prepared = inference.prepare(Image.fromarray(frame_rgb),
                                     self.loaded.spec.preprocessing)
        tensor = prepared.tensor.to(device=self.device, dtype=self._kind)
        graph, value, heat, stack = self.loaded.graph, None, None, None
        if grad_cam:
            found = gradcam.explained(self.model, graph, tensor, layer)
            heat, value, output = found.heat, found.exposed.value, found.exposed.output
        else:
            with torch.inference_mode():
                if layer is None:
                    output = self.model(tensor)
                else:
                    value, output, _ = inference.forward_exposing(self.model, graph, tensor,
                                                                   layer)
        probabilities = inference.probabilities_of(output)
        if value is not None:
            stack = maps.as_maps(value[0].to(torch.float32).cpu().numpy(),
                                 graph.nodes[layer][g.LAYOUT])
        ms = (time.perf_counter() - start) * 1e3
        return FrameResult(index, prepared.shown,
                           inference.top_predictions(probabilities, self._categories), stack,
                           heat, ms, self.loaded)
