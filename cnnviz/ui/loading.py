"""Start-up: the window shows before torch has loaded, and the worker's first job loads it.

Nothing the window imports to start brings torch in (docs/ARCHITECTURE.md, "Start-up"). The
worker imports torch, torchvision and the traced core as its first job; requests made in the
meantime (a model, a photo, a search) queue behind it or wait for the first diagram, so they
are carried out once torch is ready. :class:`LoadingNote` tells the user what is loading, over
the empty diagram area.
"""
from __future__ import annotations

import importlib

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from cnnviz.ui.jobs import JobKind
from cnnviz.ui.workers import Job, JobContext, TorchWorker

LOADING_TORCH = "Loading PyTorch…"
# The modules the worker's jobs need: loaded together, so that no job and no lazy import on
# the GUI thread pays for them later.
TORCH_MODULES = ("torch", "torchvision", "cnnviz.trace", "cnnviz.inference", "cnnviz.gradcam",
                 "cnnviz.timing", "cnnviz.kernels", "cnnviz.sources")


def import_torch(context: JobContext) -> None:
    """Import torch and the core that runs on it (worker thread)."""
    for name in TORCH_MODULES:
        importlib.import_module(name)


def load_torch(worker: TorchWorker) -> Job:
    """Submit the torch import, the worker's first job; its ``on_done`` says torch is ready.
    ``import_torch`` is looked up when the job runs, so tests can hold it back."""
    return worker.submit(JobKind.TORCH, lambda context: import_torch(context))


class LoadingNote(QWidget):
    """What is loading ("Loading PyTorch…", "Tracing ResNet-50…") and a busy bar, centred
    over ``covered`` (the diagram area) while nothing is drawn there."""

    def __init__(self, covered: QWidget) -> None:
        super().__init__(covered)
        self._covered = covered
        self.text = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.text.setStyleSheet("font-size: 16px; color: #555")
        self.bar = QProgressBar(maximum=0, textVisible=False, fixedWidth=240)
        column = QVBoxLayout(self)
        column.addStretch(1)
        column.addWidget(self.text)
        column.addWidget(self.bar, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(1)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        covered.installEventFilter(self)
        self._fit()

    def show_text(self, text: str) -> None:
        """Say what is loading, with the busy bar."""
        self.text.setText(text)
        self._fit()
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self._covered and event.type() == QEvent.Type.Resize:
            self._fit()
        return False

    def _fit(self) -> None:
        self.setGeometry(self._covered.rect())
