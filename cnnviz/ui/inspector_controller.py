"""The inspector follows the selection: the selected node's numbers at once, a convolution's
kernels and weight histogram from the torch worker."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from cnnviz import graph as g
from cnnviz.session import Session
from cnnviz.ui.inspector import Inspector
from cnnviz.ui.jobs import JobKind, LayerWeights
from cnnviz.ui.workers import TorchWorker, failure_message


class InspectorController(QObject):
    """Owns the Inspector; ``sigNodeShown(name)`` follows each node it shows, so that others
    (the timing controller) can add to it."""

    sigNodeShown = Signal(str)
    sigMessage = Signal(str)  # a one-line error for the status bar

    def __init__(self, worker: TorchWorker, session: Session,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker, self._session = worker, session
        self.inspector = Inspector()
        session.subscribe("model", lambda _loaded: self.inspector.clear())
        session.subscribe("selection", self._on_selection_change)

    def _on_selection_change(self, name: str) -> None:
        self._worker.cancel(JobKind.WEIGHTS)
        attrs = self._session.selected_attributes()
        if attrs is None:
            self.inspector.clear()
            return
        loaded = self._session.loaded
        self.inspector.show_node(attrs, loaded.graph.graph, self._session.block_children(name))
        self.sigNodeShown.emit(name)
        # Convolutions only: a histogram of VGG's 100M-weight linear layer would hold the
        # worker (and the photo's maps) for seconds.
        if attrs[g.OP] == "call_module" and attrs[g.CATEGORY] == g.Category.CONV:
            qualname = attrs[g.QUALNAME]
            job = self._worker.submit(JobKind.WEIGHTS, lambda context: LayerWeights(
                loaded, name, _layer_weights(loaded.model, qualname)))
            job.on_done(self._show_weights)
            job.on_failed(lambda error: self.sigMessage.emit(failure_message(error)))
        else:
            self.inspector.show_weights(None)

    def _show_weights(self, found: LayerWeights) -> None:
        if self._session.is_current(found.model) and found.node == self._session.selection:
            self.inspector.show_weights(found.weights)


def _layer_weights(model, qualname: str) -> dict | None:
    """``kernels.layer_weights`` (worker thread: the module imports torch)."""
    from cnnviz import kernels

    return kernels.layer_weights(model, qualname)
