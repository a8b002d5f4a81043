"""Every kind of job the torch worker runs, and what each delivers.

A result names the model it was computed for (``model``): a controller drops a result whose
model is no longer the session's (:meth:`cnnviz.session.Session.is_current`). Flags that
belong to a job (a reload, keeping the viewport) travel in its result.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cnnviz.diff import ModelDiff
from cnnviz.session import Diagram, LoadedModel, ModelRequest

if TYPE_CHECKING:  # torch's modules: the window is built before torch has loaded
    from cnnviz import inference, timing
    from cnnviz.live import FrameResult


class JobKind(enum.Enum):
    """The kinds of job; within a kind the newest request wins."""

    TORCH = "torch"  # import torch and torchvision, the first job of all
    MODEL = "model"  # build (or import) and trace a model, and lay it out
    DIAGRAM = "diagram"  # collapse and lay out the current model again
    WEIGHTS = "weights"  # a convolution's kernels and histogram, for the inspector
    RUN = "run"  # a photo through the model, keeping the maps the views need
    CAPTURE = "capture"  # one layer's maps that the run did not keep
    GRADCAM = "gradcam"  # Grad-CAM at a layer
    STATISTICS = "statistics"  # every layer's activation statistics, for colouring
    CAPABILITIES = "capabilities"  # devices and precisions that work here
    BENCH = "bench"  # timing the current model
    COMPARE = "compare"  # the comparison window's rows
    ARCHITECTURES = "architectures"  # another model traced and diffed against the current
    WEIGHT_CHANGES = "weight_changes"  # the current model's weights against a checkpoint's
    LIVE = "live"  # one frame of a video or camera through the model


@dataclass(frozen=True)
class ModelOpened:
    """A model built and traced, with its first diagram; for a reload, what changed since
    the version shown before."""

    request: ModelRequest
    model: LoadedModel
    diagram: Diagram
    reload: bool  # the watched file changed: keep the view and the selection
    changes: ModelDiff | None = None


@dataclass(frozen=True)
class DiagramMade:
    """The current model laid out again (its ``diagram.model`` says which)."""

    diagram: Diagram
    keep_view: bool  # keep the zoom and what is on screen where it is

    @property
    def model(self) -> LoadedModel:
        return self.diagram.model


@dataclass(frozen=True)
class LayerWeights:
    """A convolution's kernels, histogram and statistics (``kernels.layer_weights``)."""

    model: LoadedModel
    node: str
    weights: dict | None


@dataclass(frozen=True)
class Photo:
    """A photo run through a model."""

    source: str | bytes  # a path, or the encoded bytes of a pasted image
    label: str  # what to call it in captions
    model: LoadedModel
    prepared: inference.Prepared
    result: inference.RunResult


@dataclass(frozen=True)
class PhotoResult:
    """Something computed for a photo, and so for the model it ran through."""

    photo: Photo

    @property
    def model(self) -> LoadedModel:
        return self.photo.model


@dataclass(frozen=True)
class PhotoRun(PhotoResult):
    """A photo's run, and a note to show with it (e.g. which of several files)."""

    note: str


@dataclass(frozen=True)
class LayerMaps(PhotoResult):
    """Feature maps of one node for a photo."""

    node: str
    maps: np.ndarray


@dataclass(frozen=True)
class GradCam(PhotoResult):
    """A Grad-CAM heat map of one node for a photo and a class."""

    node: str
    class_name: str
    heat: np.ndarray


@dataclass(frozen=True)
class PhotoStatistics(PhotoResult):
    """Every node's activation statistics for a photo."""

    statistics: dict[str, inference.NodeStats]


@dataclass(frozen=True)
class Measurement:
    """A timing of a model with the Timing panel's settings."""

    model: LoadedModel
    result: timing.BenchResult


@dataclass(frozen=True)
class ArchitectureDiff:
    """The current model (``model``) against another (``other``): both diagrams, drawn alike,
    and the diff of their operations."""

    model: LoadedModel
    other: LoadedModel
    diagram: Diagram
    other_diagram: Diagram
    diff: ModelDiff


@dataclass(frozen=True)
class WeightChanges:
    """Each layer's relative weight change from the current model to a checkpoint of it."""

    model: LoadedModel
    checkpoint: str
    changes: dict[str, float]


@dataclass(frozen=True)
class LiveFrame:
    """A frame run through a model by the Live panel: the frame as it came from its source
    (``opened`` counts the sources opened, so a frame of a closed one is known), the node
    whose maps were read (None: none), what the network made of it, and a note to show
    with it (why Grad-CAM was left out)."""

    opened: int
    frame: np.ndarray
    node: str | None
    result: "FrameResult"
    note: str = ""

    @property
    def model(self) -> LoadedModel:
        return self.result.model
