"""What happens to a photo: it is prepared and run on the torch worker, then the predictions,
the feature maps of the selected layer and Grad-CAM are shown.

``PhotoController`` owns the input panel, the predictions and the feature maps, submits their
jobs to the window's worker, and follows the session (a new model reruns the photo; a new
selection shows that layer's maps from what the last run kept, without rerunning the model).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QBuffer, QIODevice, QObject, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QWidget

from cnnviz import formatting, gradcam, images, inference, maps, zoo
from cnnviz import graph as g
from cnnviz.errors import CnnvizError
from cnnviz.session import LoadedModel, Session
from cnnviz.ui.feature_maps import FeatureMaps
from cnnviz.ui.input_panel import InputPanel
from cnnviz.ui.predictions import PredictionsView
from cnnviz.ui.workers import JobContext, TorchWorker

RUN_JOB, CAPTURE_JOB, GRADCAM_JOB, STATS_JOB = "run", "capture", "gradcam", "statistics"
DEFAULT_SAMPLE = "chelsea.png"  # a tabby cat: a class every ImageNet model knows
IMAGE_FILES = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"


def default_sample() -> str:
    """The photo the app opens with, so feature maps are never empty on first launch."""
    samples = images.sample_images()
    chosen = [p for p in samples if p.name == DEFAULT_SAMPLE] or samples
    return str(chosen[0])


@dataclass(frozen=True)
class Photo:
    """A photo run through the current model."""

    source: str | bytes  # a path, or the encoded bytes of a pasted image
    label: str  # what to call it in captions
    model: LoadedModel
    prepared: inference.Prepared
    result: inference.RunResult


class PhotoController(QObject):
    """Runs photos through the current model and shows what they produce."""

    sigPhotoShown = Signal(str)  # the photo's label, once its predictions are shown
    sigMapsShown = Signal(str)  # the node whose feature maps are shown
    sigGradCamShown = Signal(str)  # the node Grad-CAM was computed at
    sigMessage = Signal(str)  # a one-line error for the status bar
    sigNote = Signal(str)  # information, e.g. which of several dropped files is shown
    sigActivationsChanged = Signal()  # a new photo, or its statistics arrived

    def __init__(self, worker: TorchWorker, session: Session, parent: QWidget) -> None:
        super().__init__(parent)
        self._worker, self._session, self._parent = worker, session, parent
        self.input_panel = InputPanel()
        self.predictions = PredictionsView()
        self.feature_maps = FeatureMaps()
        self.photo: Photo | None = None
        self._cam: tuple[str, np.ndarray] | None = None  # node, heat map
        self._cam_class = ""
        self.stats: dict[str, inference.NodeStats] | None = None  # of the photo, when asked for
        # The photo to run through the next model: the latest asked for (kept while a model
        # takes no photos).
        self._source: tuple[str | bytes, str | None] = (default_sample(), None)
        self._stats_job: tuple[Photo, int] | None = None  # the photo and job computing them
        self.input_panel.set_samples(images.sample_images())
        self.feature_maps.clear("Drop a photo to see feature maps")
        self.input_panel.sigSampleChosen.connect(lambda path: self.open(path))
        self.input_panel.sigOpenRequested.connect(self.choose_file)
        self.input_panel.sigGradCamChanged.connect(self._on_selection_change)
        self.input_panel.sigOpacityChanged.connect(lambda _opacity: self._show_cam())
        worker.sigFinished.connect(self._on_job_finished)
        worker.sigFailed.connect(self._on_job_failed)
        session.subscribe("model", self._on_model_change)
        session.subscribe("selection", self._on_selection_change)

    # ---------------------------------------------------------------- opening photos

    def open(self, source: str | bytes, label: str | None = None, note: str = "") -> None:
        """Load, prepare and run a photo on the worker; the current one stays until then."""
        loaded = self._session.loaded
        if loaded is None:
            return
        label = label or (os.path.basename(source) if isinstance(source, str) else "image")
        self._source = source, label  # the latest request, for the next model too
        if loaded.spec.preprocessing is None:
            self.sigMessage.emit(f"{loaded.spec.display_name} does not take photos: "
                                 f"{label} is kept for the next model that does")
            return
        for kind in (CAPTURE_JOB, GRADCAM_JOB, STATS_JOB):
            self._worker.cancel(kind)

        def task(context: JobContext) -> tuple[Photo, str]:
            image = images.load_image(source)
            context.check()
            prepared = inference.prepare(image, loaded.spec.preprocessing)
            result = inference.run(loaded, prepared, zoo.categories(loaded.spec.name),
                                   cancelled=context.cancelled)
            return Photo(source, label, loaded, prepared, result), note

        self._worker.submit(RUN_JOB, task)

    def open_files(self, paths: list[str]) -> None:
        """Several dropped files: the first image among them, saying so."""
        try:
            path, note = images.first_image(paths)
        except CnnvizError as error:
            self.sigMessage.emit(str(error))
            return
        self.open(path, note=note)

    def open_clipboard(self, image: QImage) -> None:
        """A pasted image, passed to the core as PNG bytes."""
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        self.open(bytes(buffer.data()), "pasted image")

    def choose_file(self) -> None:
        """File › Open image…"""
        path, _ = QFileDialog.getOpenFileName(self._parent, "Open an image", "", IMAGE_FILES)
        if path:
            self.open(path)

    # ---------------------------------------------------------------- results

    def _on_job_finished(self, _job_id: int, kind: str, result: object) -> None:
        if result is None:
            return
        if kind == RUN_JOB:
            photo, note = result
            if photo.model is not self._session.loaded:
                return  # made with a model that has since been replaced
            self._show_photo(photo, note)
        elif kind == CAPTURE_JOB:
            name, array = result
            self._show_maps(name, array)
        elif kind == GRADCAM_JOB:
            self._cam = result
            self._show_cam()
        elif kind == STATS_JOB:
            photo, stats = result
            if photo is self.photo:
                self.stats = stats
                self.sigActivationsChanged.emit()

    def _on_job_failed(self, _job_id: int, kind: str, message: str) -> None:
        if kind == RUN_JOB:  # the shown photo stays the one to run
            self._source = ((self.photo.source, self.photo.label) if self.photo is not None
                            else (default_sample(), None))
        if kind in (RUN_JOB, CAPTURE_JOB, GRADCAM_JOB, STATS_JOB):
            self.sigMessage.emit(message)

    def _show_photo(self, photo: Photo, note: str) -> None:
        self.photo, self._cam, self.stats = photo, None, None
        model = photo.model
        self.predictions.show_predictions(
            [(p.index, p.label, p.prob) for p in photo.result.top],
            random_weights=model.weights == "random")
        self.input_panel.show_image(photo.prepared.shown, self._caption(photo))
        self.feature_maps.set_input(photo.prepared.shown)
        self.sigActivationsChanged.emit()
        self._on_selection_change()
        self.sigPhotoShown.emit(photo.label)
        if note:
            self.sigNote.emit(note)

    def _caption(self, photo: Photo) -> str:
        top = photo.result.top[0]
        size = photo.prepared.shown.shape
        return (f"{photo.label} as {photo.model.spec.display_name} sees it ({size[1]}×{size[0]}) · "
                f"top: {top.label} ({100 * top.prob:.1f}%) · {photo.result.total_ms:.0f} ms")

    # ---------------------------------------------------------------- following the session

    def _on_model_change(self) -> None:
        loaded = self._session.loaded
        self.input_panel.set_categories(zoo.categories(loaded.spec.name))
        self.predictions.clear()
        self._cam = None
        self.photo = None
        if loaded.spec.preprocessing is None:
            shape = formatting.shape(loaded.graph.graph[g.INPUT_SHAPE])
            self.input_panel.show_image(None, f"{loaded.spec.display_name} takes a {shape} "
                                              f"input, not photos")
            self.feature_maps.clear("This model does not take photos")
            return
        self.feature_maps.clear("Running the photo through the new model…")
        self.open(*self._source)

    def _on_selection_change(self) -> None:
        name = self._session.selection
        if self.photo is None:
            return
        if not name:
            self.feature_maps.clear("Select a layer in the diagram to see its feature maps")
            self._cam = None
            self._show_cam()
            return
        node = self._session.producing_node(name)
        kept = self.photo.result.activations.get(node)
        if kept is not None:
            self._show_maps(node, kept)
        else:
            photo = self.photo
            self._worker.submit(CAPTURE_JOB, lambda context: (
                node, inference.capture(photo.model, photo.prepared, node)[0]))
        self._request_cam(node)

    def _show_maps(self, node: str, array: np.ndarray) -> None:
        graph = self._session.loaded.graph
        labels = None
        if graph.nodes[node][g.CATEGORY] == g.Category.CONCAT:
            labels = maps.branch_labels(inference.concat_sources(graph, node))
        self.feature_maps.show_maps(node, array, self.photo.prepared.shown, labels)
        self.sigMapsShown.emit(node)

    def _request_cam(self, node: str) -> None:
        self._worker.cancel(GRADCAM_JOB)
        if not self.input_panel.gradcam_enabled():
            self._cam = None
            self._show_cam()
            return
        photo, text = self.photo, self.input_panel.class_text()
        categories = zoo.categories(photo.model.spec.name)
        try:
            index = gradcam.class_index_by_name(categories, text) if text else photo.result.top[0].index
        except CnnvizError as error:
            self.sigMessage.emit(str(error))
            return
        self._cam_class = categories[index]
        self._worker.submit(GRADCAM_JOB, lambda context: (
            node, gradcam.grad_cam(photo.model, photo.prepared, node, index)))

    def _show_cam(self) -> None:
        if self.photo is None:
            return
        if self._cam is None:
            self.input_panel.show_image(self.photo.prepared.shown, self._caption(self.photo))
            return
        node, heat = self._cam
        blended = maps.overlay(self.photo.prepared.shown, heat, self.input_panel.opacity())
        self.input_panel.show_image(blended, f"Grad-CAM for “{self._cam_class}” at {node}")
        self.sigGradCamShown.emit(node)

    def activation_magnitudes(self) -> dict[str, float] | None:
        """Each drawn node's mean activation magnitude for the photo; None while unknown (the
        statistics are then computed on the worker and ``sigActivationsChanged`` follows)."""
        drawn = self._session.diagram
        if self.photo is None or drawn is None:
            return None
        if self.stats is None:
            self._request_stats()
            return None
        magnitudes = {}
        for name in drawn.graph:
            node = self._session.producing_node(name)
            if node in self.stats:
                magnitudes[name] = abs(self.stats[node].mean)
        return magnitudes

    def _request_stats(self) -> None:
        photo = self.photo
        if self._stats_job is not None and self._stats_job[0] is photo \
                and self._worker.is_current(self._stats_job[1], STATS_JOB):
            return  # already on its way

        def task(context: JobContext) -> tuple[Photo, dict[str, inference.NodeStats]]:
            return photo, inference.statistics(photo.model, photo.prepared, context.cancelled)

        self._stats_job = photo, self._worker.submit(STATS_JOB, task)
