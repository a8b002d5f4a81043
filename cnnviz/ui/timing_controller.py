"""Measuring where the time goes: runs benchmarks on the torch worker with the Timing panel's
settings and shows the results in the panel, the inspector and (through ``sigTimesChanged``)
the diagram's colours.

A result belongs to the model it measured: a new model clears it. With "Run continuously"
each finished measurement starts the next, until the box is cleared, Cancel is pressed or a
run fails.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from typing import TYPE_CHECKING

from cnnviz import formatting
from cnnviz import graph as g
from cnnviz.session import LoadedModel, Session
from cnnviz.ui.inspector import Inspector
from cnnviz.ui.jobs import JobKind, Measurement
from cnnviz.ui.timing_panel import TimingPanel
from cnnviz.ui.workers import JobContext, TorchWorker, failure_message

if TYPE_CHECKING:
    from cnnviz import timing

BARS = 15  # the slowest layers charted
NOT_MEASURED = "Not measured yet: press Measure (Ctrl+T)."


class TimingController(QObject):
    """Owns the Timing panel and the latest measurement of the current model."""

    sigTimesChanged = Signal()  # a measurement was shown or cleared
    sigMeasured = Signal(str)  # the model a measurement was shown for
    sigMessage = Signal(str)  # a one-line error for the status bar
    sigNodeChosen = Signal(str)  # a drawn node whose bar was clicked

    def __init__(self, worker: TorchWorker, session: Session, inspector: Inspector,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self._worker, self._session, self._inspector = worker, session, inspector
        self.panel = TimingPanel()
        self.result: timing.BenchResult | None = None
        self.panel.show_summary(NOT_MEASURED)
        self.panel.sigMeasure.connect(self.measure)
        self.panel.sigCancel.connect(self.cancel)
        self.panel.continuous.toggled.connect(lambda _on: self._measure_again())
        self.panel.bars.sigNodeChosen.connect(self._on_bar_chosen)
        session.subscribe("model", self._on_model_change)
        session.subscribe("diagram", lambda _change: self._show_bars())
        session.subscribe("selection", self.panel.bars.select)
        job = worker.submit(JobKind.CAPABILITIES, _capabilities)
        job.on_done(lambda found: self.panel.set_devices(found.devices, found.problems,
                                                         found.threads))
        job.on_failed(self._on_failed)

    def measure(self) -> None:
        """Time the current model with the panel's settings, on the worker."""
        loaded = self._session.loaded
        if loaded is None:
            return
        settings = self.panel.settings()

        def task(context: JobContext) -> Measurement:
            from cnnviz import timing

            return Measurement(loaded, timing.benchmark(
                loaded, settings, progress=context.progress, cancelled=context.cancelled))

        self.panel.set_running(True)
        job = self._worker.submit(JobKind.BENCH, task)
        job.on_done(self._on_measured).on_failed(self._on_failed)
        job.on_progress(self.panel.set_progress)

    def cancel(self) -> None:
        """Stop the running measurement and running continuously."""
        self.panel.continuous.setChecked(False)
        self._worker.cancel(JobKind.BENCH)
        self.panel.set_running(False)

    def ensure_measured(self) -> None:
        """Measure the current model unless it has been measured or is being measured."""
        if self.result is None and self.panel.measure_button.isEnabled():
            self.measure()

    def drawn_times(self) -> dict[str, float] | None:
        """The measured time of each drawn node, or None when the model is not measured."""
        drawn = self._session.diagram
        if self.result is None or drawn is None:
            return None
        from cnnviz import timing  # loaded: there is a result

        return timing.drawn_times(self.result.layers_ms, drawn.graph)

    # ---------------------------------------------------------------- results

    def _on_measured(self, measured: Measurement) -> None:
        self.panel.set_running(False)
        if not self._session.is_current(measured.model):
            return  # a measurement of a model since replaced
        self._show_result(measured.model, measured.result)
        QTimer.singleShot(0, self._measure_again)

    def _on_failed(self, error: BaseException) -> None:
        self.panel.continuous.setChecked(False)
        self.panel.set_running(False)
        self.sigMessage.emit(failure_message(error))

    def _show_result(self, loaded: LoadedModel, result: timing.BenchResult) -> None:
        self.result = result
        self.panel.history.add(result.median_ms, result.p10_ms, result.p90_ms)
        layers = (f"Per-layer runs: median {result.instrumented_median_ms:.2f} ms "
                  f"({result.instrumented_median_ms / result.median_ms:.2f}× the plain run); "
                  f"the layers account for {formatting.percent(result.coverage)} of it"
                  if result.layers_ms else
                  "No per-layer times: TorchScript runs its graph itself, out of reach")
        self.panel.show_summary(
            f"{loaded.spec.display_name} · {result.settings.describe()}\n"
            f"Median {result.median_ms:.2f} ms (p10 {result.p10_ms:.2f}, "
            f"p90 {result.p90_ms:.2f}) · {result.images_per_s:.1f} images/s\n{layers}")
        self._show_bars()
        self.show_in_inspector()
        self.sigTimesChanged.emit()
        self.sigMeasured.emit(loaded.spec.name)

    # ---------------------------------------------------------------- following the session

    def _on_model_change(self, _loaded: LoadedModel) -> None:
        self._worker.cancel(JobKind.BENCH)
        self.panel.set_running(False)
        self.result = None
        self.panel.history.clear_history()
        self.panel.show_summary(NOT_MEASURED)
        self._show_bars()
        self.sigTimesChanged.emit()
        QTimer.singleShot(0, self._measure_again)

    def _show_bars(self) -> None:
        times = self.drawn_times() or {}
        result = self.result
        ranked = sorted(times.items(), key=lambda item: -item[1])[:BARS]
        self.panel.bars.set_bars([
            (name, ms, f"{name}: {ms:.3f} ms, {formatting.percent(result.share(ms))} of the run")
            for name, ms in ranked])
        self.panel.bars.select(self._session.selection)

    def show_in_inspector(self) -> None:
        """The selected node's time, share and achieved GFLOP/s in the inspector (after the
        inspector shows the node: that hides the time)."""
        name = self._session.selection
        times = self.drawn_times()
        if not name or times is None or name not in times:
            self._inspector.show_timing(None)
            return
        ms = times[name]
        macs = self._session.diagram.graph.nodes[name][g.MACS]
        gflops = self.result.gflops_per_s(macs, ms)
        runs = len(self.result.instrumented_times_ms)
        self._inspector.show_timing(
            {"time": f"{ms:.3f} ms", "time_share": formatting.percent(self.result.share(ms)),
             "gflops": f"{gflops:.1f} GFLOP/s" if gflops and macs else "–"},
            {"time": f"median of {runs} runs", "time_share": self.result.settings.describe(),
             "gflops": "2 × MACs / time" if macs else "no MACs"})

    def _on_bar_chosen(self, name: str) -> None:
        if self._session.diagram is not None and name in self._session.diagram.graph:
            self.sigNodeChosen.emit(name)

    def _measure_again(self) -> None:
        """Running continuously: the next measurement, unless the box was cleared meanwhile."""
        if self.panel.continuous.isChecked() and self.panel.measure_button.isEnabled():
            self.measure()


def _capabilities(context: JobContext) -> timing.Capabilities:
    """The devices and precisions that work here (worker thread)."""
    from cnnviz import timing

    return timing.capabilities()
