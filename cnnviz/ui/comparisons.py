"""Comparing the model shown with another architecture (Tools › Compare architectures…) or
with a checkpoint of itself (Tools › Compare weights with…), on the torch worker.

The architecture diff opens in a :class:`~cnnviz.ui.diff_window.DiffWindow`; the weight
changes belong to the model they were measured on (a new model clears them) and are shown
by the window as a colouring and here as a sorted table.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from cnnviz import diagram, diff, formatting, weight_diff, zoo
from cnnviz import graph as g
from cnnviz import session as sessions
from cnnviz.errors import CnnvizError, UntrustedCodeError
from cnnviz.references import resolve_model
from cnnviz.session import LoadedModel, ModelRequest, Session
from cnnviz.ui.diff_window import DiffWindow
from cnnviz.ui.file_actions import CHECKPOINTS
from cnnviz.ui.jobs import ArchitectureDiff, JobKind, WeightChanges
from cnnviz.ui.open_model import MODEL_FILES
from cnnviz.ui.workers import JobContext, TorchWorker, failure_message


class Comparisons(QObject):
    """Runs the comparisons of the current model and keeps its latest weight changes."""

    sigMessage = Signal(str)  # a one-line error for the status bar
    sigWeightChangesChanged = Signal()  # measured for the current model, or cleared
    sigNodeChosen = Signal(str)  # a drawn node picked in the weight-change table

    def __init__(self, worker: TorchWorker, session: Session,
                 ask_trust: Callable[[str], bool], parent: QWidget) -> None:
        super().__init__(parent)
        self._worker, self._session, self._ask_trust, self._parent = (
            worker, session, ask_trust, parent)
        self.window = DiffWindow(parent)
        self.weight_changes: WeightChanges | None = None
        self.table = WeightChangesTable(parent)
        self.table.sigNodeChosen.connect(self._on_table_choice)
        session.subscribe("model", self._on_model_change)

    # ---------------------------------------------------------------- architectures

    def choose_architecture(self) -> None:
        """Ask which model to compare the current one with, then compare."""
        loaded = self._session.loaded
        if loaded is None:
            return
        dialog = PickModelDialog(loaded.spec.display_name, self._parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            reference = resolve_model(dialog.text())
        except CnnvizError as error:
            self.sigMessage.emit(str(error))
            return
        self.compare_architecture(ModelRequest(reference))

    def compare_architecture(self, request: ModelRequest) -> None:
        """Trace ``request``'s model, diff it against the current one and show both."""
        loaded = self._session.loaded
        if loaded is None:
            return

        def task(context: JobContext) -> ArchitectureDiff:
            other = request.load()
            context.check()
            view = _shared_view(loaded, other)
            return ArchitectureDiff(loaded, other, sessions.make_diagram(loaded, view),
                                    sessions.make_diagram(other, view),
                                    diff.diff_graphs(loaded.graph, other.graph))

        job = self._worker.submit(JobKind.ARCHITECTURES, task)
        job.on_done(self._show_architectures)
        job.on_failed(lambda error: self._on_architecture_failed(error, request))

    def _show_architectures(self, result: ArchitectureDiff) -> None:
        if self._session.is_current(result.model):
            self.window.show_diff(result)
            self.window.show()
            self.window.raise_()

    def _on_architecture_failed(self, error: BaseException, request: ModelRequest) -> None:
        if isinstance(error, UntrustedCodeError):
            if self._ask_trust(str(error)):
                self.compare_architecture(replace(request, trust=True))
            return
        self.sigMessage.emit(failure_message(error))

    # ---------------------------------------------------------------- weights

    def choose_checkpoint(self) -> None:
        """Ask for a checkpoint of the current model, then measure how far each layer moved."""
        loaded = self._session.loaded
        if loaded is None:
            return
        path, _ = QFileDialog.getOpenFileName(
            self._parent, f"Compare the weights of {loaded.spec.display_name} with…", "",
            CHECKPOINTS)
        if path:
            self.compare_weights(path)

    def compare_weights(self, checkpoint: str) -> None:
        """Each layer's relative change ‖Wb − Wa‖ / ‖Wa‖ from the current weights to
        ``checkpoint``'s (zoo models: a model file brings its own weights)."""
        loaded = self._session.loaded
        if loaded is None:
            return
        if loaded.request.reference.zoo_name is None:
            self.sigMessage.emit("weights can be compared for zoo models: a model file "
                                 "brings its own")
            return

        def task(context: JobContext) -> WeightChanges:
            other = zoo.build_model(loaded.spec.name, checkpoint)
            return WeightChanges(loaded, checkpoint,
                                 weight_diff.relative_changes(loaded.graph, loaded.model, other))

        job = self._worker.submit(JobKind.WEIGHT_CHANGES, task)
        job.on_done(self._show_weight_changes)
        job.on_failed(lambda error: self.sigMessage.emit(failure_message(error)))

    def _show_weight_changes(self, result: WeightChanges) -> None:
        if not self._session.is_current(result.model):
            return
        self.weight_changes = result
        self.table.show_changes(result)
        self.table.show()
        self.table.raise_()
        self.sigWeightChangesChanged.emit()

    def drawn_weight_changes(self) -> dict[str, float] | None:
        """The relative weight change of each drawn node whose weights moved (a block's
        largest), or None before a comparison: layers that did not move stay uncoloured."""
        drawn, found = self._session.diagram, self.weight_changes
        if drawn is None or found is None:
            return None
        values = {}
        for name, attrs in drawn.graph.nodes(data=True):
            moved = [found.changes[op] for op in g.operations_of(name, attrs)
                     if op in found.changes]
            if moved and max(moved) > 0:
                values[name] = max(moved)
        return values

    def _on_model_change(self, _loaded: LoadedModel) -> None:
        self._worker.cancel(JobKind.WEIGHT_CHANGES)
        if self.weight_changes is not None:
            self.weight_changes = None
            self.table.hide()
            self.sigWeightChangesChanged.emit()

    def _on_table_choice(self, operation: str) -> None:
        drawn = self._session.diagram
        if drawn is not None:
            names = diagram.nodes_standing_for(drawn.graph, {operation})
            if names:
                self.sigNodeChosen.emit(names[0])


def _shared_view(a: LoadedModel, b: LoadedModel) -> sessions.DiagramView:
    """One way of drawing both models: the collapsing that the bigger one opens with,
    unfolded, so that every change shows."""
    bigger = max(a.graph, b.graph, key=lambda graph: graph.number_of_nodes())
    return replace(sessions.default_view(bigger), fold=False)


class PickModelDialog(QDialog):
    """Which model to compare with: a zoo name (typed or picked) or a model file."""

    def __init__(self, current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare {current} with…")
        self.model = QComboBox(editable=True)
        self.model.addItems([spec.name for spec in zoo.list_models()])
        self.model.setCurrentText("")
        self.model.lineEdit().setPlaceholderText("resnet34, or net.py:Net, model.pt …")
        browse = QPushButton("File…")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        row = QHBoxLayout()
        row.addWidget(self.model, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Model", row)
        form.addRow(buttons)
        self.resize(480, 0)
        browse.clicked.connect(self._browse)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

    def text(self) -> str:
        return self.model.currentText().strip()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Compare with a model file", "", MODEL_FILES)
        if path:
            self.model.setCurrentText(path)


class WeightChangesTable(QDialog):
    """The layers sorted by how far their weights moved; a click selects one in the
    diagram."""

    sigNodeChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Weight changes")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Layer", "‖Wb − Wa‖ / ‖Wa‖"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        self.resize(460, 520)
        self.table.cellClicked.connect(
            lambda row, _column: self.sigNodeChosen.emit(self.table.item(row, 0).data(
                Qt.ItemDataRole.UserRole)))

    def show_changes(self, result: WeightChanges) -> None:
        """Fill the table, the layer that moved most first."""
        graph = result.model.graph
        self.setWindowTitle(f"Weight changes: {result.model.spec.display_name} → "
                            f"{os.path.basename(result.checkpoint)}")
        ranked = weight_diff.ranked(result.changes)
        self.table.setRowCount(len(ranked))
        for row, (name, change) in enumerate(ranked):
            layer = QTableWidgetItem(graph.nodes[name][g.QUALNAME])
            layer.setData(Qt.ItemDataRole.UserRole, name)
            value = QTableWidgetItem(formatting.percent(change) if change != float("inf")
                                     else "∞ (was all zero)")
            value.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, 0, layer)
            self.table.setItem(row, 1, value)

    def rows(self) -> list[tuple[str, str]]:
        """What the table shows: (layer, change) per row."""
        return [(self.table.item(r, 0).text(), self.table.item(r, 1).text())
                for r in range(self.table.rowCount())]
