"""Files in and out of the window: the Open-model and checkpoint dialogs, drops and pastes
(a model file opens as the model, images go to the photo), and exporting the diagram."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from cnnviz.errors import CnnvizError, UnknownModelError
from cnnviz.references import ModelFile, resolve_model
from cnnviz.session import ModelRequest, Session
from cnnviz.ui.graph_view import GraphView
from cnnviz.ui.model_controller import ModelController
from cnnviz.ui.open_model import OpenModelDialog
from cnnviz.ui.photo import PhotoController

CHECKPOINTS = "PyTorch checkpoints (*.pt *.pth *.ckpt *.bin);;All files (*)"


class FileActions(QObject):
    """What the File menu, drops and pastes do; dialogs open over ``window``."""

    sigMessage = Signal(str)  # a one-line error for the status bar
    sigExported = Signal(str)  # the path written

    def __init__(self, window: QWidget, session: Session, models: ModelController,
                 photo: PhotoController, view: GraphView) -> None:
        super().__init__(window)
        self._window, self._session, self._models = window, session, models
        self._photo, self._view = photo, view

    def open_model_dialog(self) -> None:
        """File › Open model file…"""
        dialog = OpenModelDialog(self._window)
        if dialog.exec() == OpenModelDialog.DialogCode.Accepted:
            self._models.open(dialog.request())

    def choose_checkpoint(self) -> None:
        """File › Open checkpoint…: the current model with weights from a file."""
        loaded = self._session.loaded
        if loaded is None:
            return
        path, _ = QFileDialog.getOpenFileName(
            self._window, f"Open a checkpoint for {loaded.spec.display_name}", "", CHECKPOINTS)
        if path:
            self._models.open(replace(loaded.request, weights=path))

    def open_mime(self, data: QMimeData) -> None:
        """Dropped or pasted data: files (one model file opens as the model; otherwise the
        first image among them is the photo) or an image."""
        if data.hasUrls():
            self.open_files([url.toLocalFile() for url in data.urls()])
        elif data.hasImage():
            self._photo.open_clipboard(data.imageData())
        else:
            self.sigMessage.emit("there is no image or file to open")

    def open_files(self, paths: list[str]) -> None:
        """One model file opens as the model; anything else goes to the photo."""
        if len(paths) == 1:
            try:
                reference = resolve_model(paths[0])
            except UnknownModelError:  # not named like a model file: a photo, perhaps
                reference = None
            except CnnvizError as error:
                self.sigMessage.emit(str(error))
                return
            if isinstance(reference, ModelFile):
                self._models.open(ModelRequest(reference))
                return
        self._photo.open_files(paths)

    def export_diagram(self, path: str, scale: float = 2.0) -> None:
        """Write the diagram as PNG or SVG, chosen by the extension."""
        if Path(path).suffix.lower() == ".svg":
            self._view.export_svg(path)
        else:
            self._view.export_png(path, scale)
        self.sigExported.emit(path)

    def export_png_dialog(self) -> None:
        """File › Export diagram as PNG…, at a chosen scale."""
        path, _ = QFileDialog.getSaveFileName(self._window, "Export diagram as PNG",
                                              self._export_name("png"), "PNG images (*.png)")
        if path:
            scale, ok = QInputDialog.getDouble(self._window, "PNG scale",
                                               "Scale (pixels per scene unit):", 2.0, 0.25, 8.0, 2)
            if ok:
                self.export_diagram(path, scale)

    def export_svg_dialog(self) -> None:
        """File › Export diagram as SVG…"""
        path, _ = QFileDialog.getSaveFileName(self._window, "Export diagram as SVG",
                                              self._export_name("svg"), "SVG images (*.svg)")
        if path:
            self.export_diagram(path)

    def _export_name(self, extension: str) -> str:
        loaded = self._session.loaded
        return f"{loaded.spec.name if loaded else 'diagram'}.{extension}"
