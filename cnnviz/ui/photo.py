"""What happens to a photo: it is prepared and run on the torch worker, then the predictions,
the feature maps of the selected layer and Grad-CAM are shown.

``PhotoController`` owns the input panel, the predictions and the feature maps, submits their
jobs to the window's worker, and follows the session (a new model reruns the photo; a new
selection shows that layer's maps from what the last run kept, without rerunning the model).
"""
from __future__ import annotations

import os

from PySide6.QtCore import QBuffer, QIODevice, QObject, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QWidget

from typing import TYPE_CHECKING

import numpy as np

from cnnviz import formatting, images, maps, zoo
from cnnviz import graph as g
from cnnviz.errors import CnnvizError
from cnnviz.session import LoadedModel, Session
from cnnviz.ui.feature_maps import FeatureMaps
from cnnviz.ui.input_panel import InputPanel
from cnnviz.ui.jobs import GradCam, JobKind, LayerMaps, Photo, PhotoRun, PhotoStatistics
from cnnviz.ui.predictions import PredictionsView
from cnnviz.ui.workers import Job, JobContext, TorchWorker, failure_message

if TYPE_CHECKING:  # torch's: imported where the photo runs, once torch has loaded
    from cnnviz import inference

DEFAULT_SAMPLE = "chelsea.png"  # a tabby cat: a class every ImageNet model knows
IMAGE_FILES = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"


def default_sample() -> str:
    """The photo the app opens with, so feature maps are never empty on first launch."""
    samples = images.sample_images()
    chosen = [p for p in samples if p.name == DEFAULT_SAMPLE] or samples
    return str(chosen[0])


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
        self._cam: GradCam | None = None
        self.stats: dict[str, inference.NodeStats] | None = None  # of the photo, when asked for
        # The photo to run through the next model: the latest asked for (kept while a model
        # takes no photos).
        self._source: tuple[str | bytes, str | None] = (default_sample(), None)
        self._stats_job: tuple[Photo, Job] | None = None  # the photo and job computing them
        self.input_panel.set_samples(images.sample_images())
        self.feature_maps.clear("Drop a photo to see feature maps")
        self.input_panel.sigSampleChosen.connect(lambda path: self.open(path))
        self.input_panel.sigOpenRequested.connect(self.choose_file)
        self.input_panel.sigGradCamChanged.connect(self._show_selected_layer)
        self.input_panel.sigOpacityChanged.connect(lambda _opacity: self._show_cam())
        session.subscribe("model", self._on_model_change)
        session.subscribe("selection", lambda _name: self._show_selected_layer())

    # ---------------------------------------------------------------- opening photos

    def open(self, source: str | bytes, label: str | None = None, note: str = "") -> None:
        """Load, prepare and run a photo on the worker; the current one stays until then.
        Before any model has opened, the photo waits for the first."""
        label = label or (os.path.basename(source) if isinstance(source, str) else "image")
        self._source = source, label  # the latest request, for the next model too
        loaded = self._session.loaded
        if loaded is None:
            return
        if loaded.spec.preprocessing is None:
            self.sigMessage.emit(f"{loaded.spec.display_name} does not take photos: "
                                 f"{label} is kept for the next model that does")
            return
        for kind in (JobKind.CAPTURE, JobKind.GRADCAM, JobKind.STATISTICS):
            self._worker.cancel(kind)

        def task(context: JobContext) -> PhotoRun:
            from cnnviz import inference

            image = images.load_image(source)
            context.check()
            prepared = inference.prepare(image, loaded.spec.preprocessing)
            result = inference.run(loaded, prepared, zoo.categories(loaded.spec),
                                   cancelled=context.cancelled)
            return PhotoRun(Photo(source, label, loaded, prepared, result), note)

        job = self._worker.submit(JobKind.RUN, task)
        job.on_done(self._show_photo).on_failed(self._on_run_failed)

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

    def _on_run_failed(self, error: BaseException) -> None:
        # The shown photo stays the one to run.
        self._source = ((self.photo.source, self.photo.label) if self.photo is not None
                        else (default_sample(), None))
        self._report(error)

    def _report(self, error: BaseException) -> None:
        self.sigMessage.emit(failure_message(error))

    def _show_photo(self, run: PhotoRun) -> None:
        if not self._session.is_current(run.model):
            return  # made with a model that has since been replaced
        photo = run.photo
        self.photo, self._cam, self.stats = photo, None, None
        self.predictions.show_predictions(
            [(p.index, p.label, p.prob) for p in photo.result.top],
            random_weights=photo.model.weights == "random")
        self.input_panel.show_image(photo.prepared.shown, self._caption(photo))
        self.feature_maps.set_input(photo.prepared.shown)
        self.sigActivationsChanged.emit()
        self._show_selected_layer()
        self.sigPhotoShown.emit(photo.label)
        if run.note:
            self.sigNote.emit(run.note)

    def _caption(self, photo: Photo) -> str:
        top = photo.result.top[0]
        size = photo.prepared.shown.shape
        return (f"{photo.label} as {photo.model.spec.display_name} sees it ({size[1]}×{size[0]}) · "
                f"top: {top.label} ({100 * top.prob:.1f}%) · {photo.result.total_ms:.0f} ms")

    # ---------------------------------------------------------------- following the session

    def _on_model_change(self, loaded: LoadedModel) -> None:
        self.input_panel.set_categories(zoo.categories(loaded.spec))
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

    def _show_selected_layer(self) -> None:
        """The selected layer's maps (kept by the run, else captured on the worker) and its
        Grad-CAM when asked for."""
        name = self._session.selection
        photo = self.photo
        if photo is None:
            return
        if not name:
            self.feature_maps.clear("Select a layer in the diagram to see its feature maps")
            self._cam = None
            self._show_cam()
            return
        node = self._session.producing_node(name)
        kept = photo.result.activations.get(node)
        if kept is not None:
            self._show_maps(LayerMaps(photo, node, kept))
        else:
            job = self._worker.submit(JobKind.CAPTURE, lambda context: LayerMaps(
                photo, node, _capture(photo, node)))
            job.on_done(self._show_maps).on_failed(self._report)
        self._request_cam(node)

    def _show_maps(self, found: LayerMaps) -> None:
        if found.photo is not self.photo:
            return  # maps of a photo (or model) since replaced
        graph = found.model.graph
        labels = None
        if graph.nodes[found.node][g.CATEGORY] == g.Category.CONCAT:
            from cnnviz import inference  # loaded: a photo has run

            labels = maps.branch_labels(inference.concat_sources(graph, found.node))
        self.feature_maps.show_maps(found.node, found.maps, found.photo.prepared.shown, labels,
                                    layout=graph.nodes[found.node][g.LAYOUT])
        self.sigMapsShown.emit(found.node)

    def _request_cam(self, node: str) -> None:
        self._worker.cancel(JobKind.GRADCAM)
        if not self.input_panel.gradcam_enabled():
            self._cam = None
            self._show_cam()
            return
        from cnnviz import gradcam  # loaded: a photo has run

        photo, text = self.photo, self.input_panel.class_text()
        categories = zoo.categories(photo.model.spec)
        try:
            index = (gradcam.class_index_by_name(categories, text) if text
                     else photo.result.top[0].index)
        except CnnvizError as error:
            self.sigMessage.emit(str(error))
            return
        job = self._worker.submit(JobKind.GRADCAM, lambda context: GradCam(
            photo, node, categories[index], gradcam.grad_cam(photo.model, photo.prepared, node,
                                                             index)))
        job.on_done(self._on_cam).on_failed(self._report)

    def _on_cam(self, cam: GradCam) -> None:
        if cam.photo is self.photo:
            self._cam = cam
            self._show_cam()

    def _show_cam(self) -> None:
        if self.photo is None:
            return
        if self._cam is None:
            self.input_panel.show_image(self.photo.prepared.shown, self._caption(self.photo))
            return
        blended = maps.overlay(self.photo.prepared.shown, self._cam.heat,
                               self.input_panel.opacity())
        self.input_panel.show_image(
            blended, f"Grad-CAM for “{self._cam.class_name}” at {self._cam.node}")
        self.sigGradCamShown.emit(self._cam.node)

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
                and self._worker.is_current(self._stats_job[1]):
            return  # already on its way
        job = self._worker.submit(JobKind.STATISTICS, lambda context: PhotoStatistics(
            photo, _statistics(photo, context)))
        job.on_done(self._on_statistics).on_failed(self._report)
        self._stats_job = photo, job

    def _on_statistics(self, found: PhotoStatistics) -> None:
        if found.photo is self.photo:
            self.stats = found.statistics
            self.sigActivationsChanged.emit()


def _capture(photo: Photo, node: str) -> np.ndarray:
    """One node's maps for the photo that the run did not keep (worker thread)."""
    from cnnviz import inference

    return inference.capture(photo.model, photo.prepared, node)[0]


def _statistics(photo: Photo, context: JobContext) -> dict[str, inference.NodeStats]:
    """Every node's activation statistics for the photo (worker thread)."""
    from cnnviz import inference

    return inference.statistics(photo.model, photo.prepared, context.cancelled)
