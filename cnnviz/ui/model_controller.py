"""Opening models: building or importing them and laying out their diagrams on the torch worker,
asking before a file's code runs, and reloading a watched Python file when it is saved.

``ModelController`` puts what it opens into the session; the views follow the session. The
current model stays until a new one has opened: a failure leaves it, and the file it came
from, as they were.
"""
from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from cnnviz import diff
from cnnviz import graph as g
from cnnviz import session as sessions
from cnnviz.errors import UntrustedCodeError
from cnnviz.layout.geometry import TOP_TO_BOTTOM
from cnnviz.session import DiagramView, ModelRequest, Session
from cnnviz.ui.jobs import DiagramMade, JobKind, ModelOpened
from cnnviz.ui.workers import JobContext, TorchWorker, failure_message

RELOAD_DELAY_MS = 300  # after a watched file changes, wait this long for more changes


class ModelController(QObject):
    """Opens models and their diagrams into the session, and watches the opened file."""

    sigBusy = Signal(str)  # what is being done: "Opening ResNet-50…", "Laying out…"
    sigFailed = Signal(str)  # a model or diagram that could not be made: one line

    def __init__(self, worker: TorchWorker, session: Session,
                 ask_trust: Callable[[str], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker, self._session, self._ask_trust = worker, session, ask_trust
        self.orientation = TOP_TO_BOTTOM  # what new diagrams are laid out with
        self.folding: bool | None = None  # whether new diagrams fold (None: big models do)
        self.opening = ""  # what the newest request opens, while it opens
        self._watcher = QFileSystemWatcher(self)
        self._reload_timer = QTimer(self, singleShot=True, interval=RELOAD_DELAY_MS)
        self._watcher.fileChanged.connect(self._reload_timer.start)  # editors write in steps
        self._reload_timer.timeout.connect(self._reload)

    def open(self, request: ModelRequest, reload: bool = False) -> None:
        """Open a model on the worker. A file whose code would run without ``request.trust``
        is asked about first. A ``reload`` (the watched file changed) keeps the diagram's view
        and the selection."""
        self._worker.cancel(JobKind.DIAGRAM)
        self._worker.cancel(JobKind.WEIGHTS)
        self.opening = request.reference.label
        self.sigBusy.emit(f"{'Reloading' if reload else 'Opening'} {self.opening}…")
        drawn, previous = self._session.diagram, self._session.loaded
        view = drawn.view if reload and drawn is not None else None

        def task(context: JobContext) -> ModelOpened:
            loaded = request.load()
            _settle_memory()
            context.check()
            context.progress(0.5, "Laying out")
            shown = view if view is not None else sessions.default_view(
                loaded.graph, self.orientation, self.folding)
            changes = diff.diff_graphs(previous.graph, loaded.graph) \
                if reload and previous is not None else None
            return ModelOpened(request, loaded, sessions.make_diagram(loaded, shown), reload,
                               changes)

        job = self._worker.submit(JobKind.MODEL, task)
        job.on_done(self._on_opened).on_failed(
            lambda error: self._on_open_failed(error, request, reload))

    def request_view(self, view: DiagramView, keep_view: bool = False) -> None:
        """Collapse and lay out the current model again, as ``view`` says."""
        loaded = self._session.loaded
        if loaded is None:
            return
        self.sigBusy.emit("Laying out…")
        job = self._worker.submit(JobKind.DIAGRAM, lambda context: DiagramMade(
            sessions.make_diagram(loaded, view), keep_view))
        job.on_done(lambda made: self._session.set_diagram(made.diagram, made.keep_view))
        job.on_failed(lambda error: self.sigFailed.emit(failure_message(error)))

    def set_depth(self, depth: int | None) -> None:
        """Collapse every block nested deeper than ``depth`` (None: show every operation)."""
        drawn = self._session.diagram
        self.request_view((drawn.view if drawn else DiagramView()).with_depth(depth))

    def toggle_block(self, path: str) -> None:
        """Unfold the stack at ``path``, or expand the block at ``path`` if it is drawn
        collapsed, else collapse it; the view stays where it is."""
        drawn = self._session.diagram
        if drawn is None:
            return
        attrs = drawn.graph.nodes[path] if path in drawn.graph else {}
        if attrs.get(g.REPEAT):
            self.request_view(drawn.view.unfolding(path), keep_view=True)
            return
        collapsed = attrs.get(g.CATEGORY) == g.Category.BLOCK
        self.request_view(drawn.view.toggled(path, collapsed), keep_view=True)

    def set_orientation(self, orientation: str) -> None:
        """Lay diagrams out top to bottom (``tb``) or left to right (``lr``), this one too."""
        self.orientation = orientation
        drawn = self._session.diagram
        if drawn is not None and drawn.view.orientation != orientation:
            self.request_view(drawn.view.with_orientation(orientation))

    def set_folding(self, fold: bool) -> None:
        """Fold the diagram's repeated blocks into stacks, or show them all."""
        drawn = self._session.diagram
        if drawn is None:  # nothing drawn yet: the first diagram folds as asked
            self.folding = fold
        elif drawn.view.fold != fold:
            self.request_view(drawn.view.with_folding(fold), keep_view=True)

    def expand_all(self) -> None:
        """Every operation: no collapsed block, no folded stack."""
        drawn = self._session.diagram
        if drawn is not None:
            self.request_view(drawn.view.expanded_all(), keep_view=True)

    def watched_files(self) -> list[str]:
        """The files whose changes reload the model."""
        return self._watcher.files()

    def _on_opened(self, opened: ModelOpened) -> None:
        self.opening = ""
        selection = self._session.selection if opened.reload else ""
        self._session.set_model(opened.model)
        if opened.changes is not None:
            self._session.set_changes(opened.changes)
        self._session.set_diagram(opened.diagram, keep_view=opened.reload)
        if selection in opened.diagram.graph:
            self._session.select(selection)
        self._watch(opened.request)

    def _on_open_failed(self, error: BaseException, request: ModelRequest, reload: bool) -> None:
        self.opening = ""
        if isinstance(error, UntrustedCodeError):
            if self._ask_trust(str(error)):
                self.open(replace(request, trust=True), reload)
            return
        loaded = self._session.loaded
        if loaded is not None:  # a reload that failed: keep watching the file
            self._watch(loaded.request)
        self.sigFailed.emit(failure_message(error))

    def _watch(self, request: ModelRequest) -> None:
        """Watch the opened .py file (only it): when it changes, the model is reloaded."""
        if self._watcher.files():
            self._watcher.removePaths(self._watcher.files())
        path = request.reference.watched_file
        if path is not None:
            self._watcher.addPath(path)

    def _reload(self) -> None:
        loaded = self._session.loaded
        if loaded is not None:
            self.open(loaded.request, reload=True)


def _settle_memory() -> None:
    """Collect what earlier models left, then move every object alive into the collector's
    permanent generation: a model of 10,000 operations holds about 700,000 tracked objects,
    and a full collection of them (0.3–0.4 s) would otherwise land at random inside later
    layouts and redraws. The next model unfreezes them first, so nothing is kept for good."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
