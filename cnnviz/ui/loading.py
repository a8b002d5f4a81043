"""Start-up: the window shows before torch has loaded, and the worker's first job loads it.

Nothing the window imports to start brings torch in (docs/ARCHITECTURE.md, "Start-up"). The
worker imports torch, torchvision and the traced core as its first job; requests made in the
meantime (a model, a photo, a search) queue behind it or wait for the first diagram, so they
are carried out once torch is ready. :class:`LoadingNote` tells the user what is loading, over
the empty diagram area.
"""
from __future__ import annotations

import importlib
import threading

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from cnnviz.ui.jobs import JobKind
from cnnviz.ui.workers import Job, JobContext, TorchWorker

LOADING_TORCH = "Loading PyTorch…"
# How long the import waits for the window's first paint: a window that is never shown (a
# test's) loads torch after this.
FIRST_PAINT_WAIT_S = 2.0
# The modules the worker's jobs need: loaded together, so that no job and no lazy import on
# the GUI thread pays for them later.
TORCH_MODULES = ("torch", "torchvision", "cnnviz.trace", "cnnviz.inference", "cnnviz.gradcam",
                 "cnnviz.timing", "cnnviz.kernels", "cnnviz.sources")


def import_torch(context: JobContext) -> None:
    """Import torch and the core that runs on it (worker thread)."""
    for name in TORCH_MODULES:
        importlib.import_module(name)


def load_torch(worker: TorchWorker, painted: threading.Event) -> Job:
    """Submit the torch import, the worker's first job; its ``on_done`` says torch is ready.

    The import starts once the window has first painted (``painted`` is set), since it holds
    the interpreter's lock for much of its time and would slow the window's start. The task
    looks ``import_torch`` up when it runs, so tests can hold it back."""
    def task(context: JobContext) -> None:
        painted.wait(FIRST_PAINT_WAIT_S)
        import_torch(context)

    return worker.submit(JobKind.TORCH, task)


class LoadingNote(QWidget):
    """What is loading ("Loading PyTorch…", "Tracing ResNet-50…") and a busy bar, centred
    over ``covered`` (the diagram area) while nothing is drawn there. ``sigPainted`` fires
    after its first paint: the window is on screen."""

    sigPainted = Signal()

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

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        self.sigPainted.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self._covered and event.type() == QEvent.Type.Resize:
            self._fit()
        return False

    def _fit(self) -> None:
        self.setGeometry(self._covered.rect())
