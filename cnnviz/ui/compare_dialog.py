"""The model comparison window: the ``CompareView`` with its rows loaded and its latencies
measured on the torch worker, with the Timing panel's device and settings."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from cnnviz import compare
from cnnviz.bench_settings import BenchSettings
from cnnviz.session import LoadedModel
from cnnviz.ui.compare_view import CompareView
from cnnviz.ui.jobs import JobKind
from cnnviz.ui.workers import JobContext, TorchWorker, failure_message

COMPARE_RUNS = 10  # plain runs a model when measuring the comparison's latencies


class CompareDialog(QDialog):
    """A window of its own (not modal): the comparison of zoo models."""

    sigModelActivated = Signal(str)  # a zoo name to open in the main window

    def __init__(self, worker: TorchWorker, settings: Callable[[], BenchSettings],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare models")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self._worker, self._settings = worker, settings
        self.view = CompareView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.resize(1150, 720)
        self.view.sigMeasureRequested.connect(lambda names: self._submit(names, measure=True))
        self.view.sigAddRequested.connect(lambda name: self._submit([name], measure=False))
        self.view.sigCancelRequested.connect(self.cancel)
        self.view.sigModelActivated.connect(self.sigModelActivated)

    def open_comparison(self) -> None:
        """Show the window; the first time, load the classic models' rows."""
        self.view.set_device_description(self._describe(self._settings()))
        self.show()
        self.raise_()
        if not self.view.rows():
            self._submit(list(compare.CLASSICS), measure=False)

    def cancel(self) -> None:
        self._worker.cancel(JobKind.COMPARE)
        self.view.set_busy(False)

    def _submit(self, names: list[str], measure: bool) -> None:
        settings = replace(self._settings(), runs=COMPARE_RUNS)
        self.view.set_device_description(self._describe(settings))

        def task(context: JobContext) -> list[compare.ModelRow]:
            from cnnviz import timing

            def latency(loaded: LoadedModel) -> float:
                return timing.benchmark(loaded, settings, per_layer=False,
                                        cancelled=context.cancelled).median_ms

            return compare.measure_rows(names, latency if measure else None,
                                        progress=context.progress, cancelled=context.cancelled)

        self.view.set_busy(True)
        job = self._worker.submit(JobKind.COMPARE, task)
        job.on_done(self._on_rows).on_failed(self._on_failed)
        job.on_progress(self.view.set_progress)

    @staticmethod
    def _describe(settings: BenchSettings) -> str:
        return f"{settings.describe()} · median of {COMPARE_RUNS} runs"

    def _on_rows(self, rows: list[compare.ModelRow]) -> None:
        self.view.set_busy(False)
        self.view.set_rows(compare.merged(self.view.rows(), rows))

    def _on_failed(self, error: BaseException) -> None:
        self.view.set_busy(False)
        self.view.set_progress(0.0, failure_message(error))
