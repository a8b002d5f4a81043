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

from cnnviz import formatting, timing
from cnnviz import graph as g
from cnnviz.session import LoadedModel, Session
from cnnviz.ui.graph_view import GraphView
from cnnviz.ui.inspector import Inspector
from cnnviz.ui.timing_panel import TimingPanel
from cnnviz.ui.workers import JobContext, TorchWorker

CAPABILITIES_JOB, BENCH_JOB = "capabilities", "bench"
BARS = 15  # the slowest layers charted
NOT_MEASURED = "Not measured yet: press Measure (Ctrl+T)."


class TimingController(QObject):
    """Owns the Timing panel and the latest measurement of the current model."""

    sigTimesChanged = Signal()  # a measurement was shown or cleared
    sigMeasured = Signal(str)  # the model a measurement was shown for
    sigMessage = Signal(str)  # a one-line error for the status bar

    def __init__(self, worker: TorchWorker, session: Session, view: GraphView,
                 inspector: Inspector, parent: QWidget) -> None:
        super().__init__(parent)
        self._worker, self._session, self._view, self._inspector = (
            worker, session, view, inspector)
        self.panel = TimingPanel()
        self.result: timing.BenchResult | None = None
        self.panel.show_summary(NOT_MEASURED)
        self.panel.sigMeasure.connect(self.measure)
        self.panel.sigCancel.connect(self.cancel)
        self.panel.continuous.toggled.connect(lambda _on: self._measure_again())
        self.panel.bars.sigNodeChosen.connect(self._on_bar_chosen)
        worker.sigFinished.connect(self._on_job_finished)
        worker.sigFailed.connect(self._on_job_failed)
        worker.sigProgress.connect(self._on_progress)
        session.subscribe("model", self._on_model_change)
        session.subscribe("diagram", self._show_bars)
        session.subscribe("selection", lambda: self.panel.bars.select(session.selection))
        worker.submit(CAPABILITIES_JOB, lambda context: timing.capabilities())

    def measure(self) -> None:
        """Time the current model with the panel's settings, on the worker."""
        loaded = self._session.loaded
        if loaded is None:
            return
        settings = self.panel.settings()

        def task(context: JobContext) -> tuple[LoadedModel, timing.BenchResult]:
            return loaded, timing.benchmark(loaded, settings, progress=context.progress,
                                            cancelled=context.cancelled)

        self.panel.set_running(True)
        self._worker.submit(BENCH_JOB, task)

    def cancel(self) -> None:
        """Stop the running measurement and running continuously."""
        self.panel.continuous.setChecked(False)
        self._worker.cancel(BENCH_JOB)
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
        return timing.drawn_times(self.result.layers_ms, drawn.graph)

    # ---------------------------------------------------------------- results

    def _on_job_finished(self, _job_id: int, kind: str, result: object) -> None:
        if kind == CAPABILITIES_JOB:
            found: timing.Capabilities = result
            self.panel.set_devices(found.devices, found.problems, found.threads)
        elif kind == BENCH_JOB:
            self.panel.set_running(False)
            loaded, measured = result
            if loaded is not self._session.loaded:
                return  # a measurement of a model since replaced
            self._show_result(loaded, measured)
            QTimer.singleShot(0, self._measure_again)

    def _on_job_failed(self, _job_id: int, kind: str, message: str) -> None:
        if kind in (CAPABILITIES_JOB, BENCH_JOB):
            self.panel.continuous.setChecked(False)
            self.panel.set_running(False)
            self.sigMessage.emit(message)

    def _on_progress(self, _job_id: int, kind: str, fraction: float, text: str) -> None:
        if kind == BENCH_JOB:
            self.panel.set_progress(fraction, text)

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

    def _on_model_change(self) -> None:
        self._worker.cancel(BENCH_JOB)
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
            self._view.select(name, centre=True)

    def _measure_again(self) -> None:
        """Running continuously: the next measurement, unless the box was cleared meanwhile."""
        if self.panel.continuous.isChecked() and self.panel.measure_button.isEnabled():
            self.measure()
