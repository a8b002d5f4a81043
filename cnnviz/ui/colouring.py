"""What the diagram's fills say: the category of each layer, or a heat map (activation, time,
weight change) as the colour-by box asks, or, while they are marked, what the last save of
the watched file changed. Owns the box, the two legends and the Clear changes button."""
from __future__ import annotations

import math

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QToolButton, QWidget

from cnnviz import diagram, formatting
from cnnviz.diff import drawn_classes
from cnnviz.session import Session
from cnnviz.ui.comparisons import Comparisons
from cnnviz.ui.diagram_style import DIFF_COLORS
from cnnviz.ui.graph_view import GraphView
from cnnviz.ui.heat_legend import HeatLegend
from cnnviz.ui.legend import Legend
from cnnviz.ui.photo import PhotoController
from cnnviz.ui.timing_controller import TimingController

BY_CATEGORY, BY_ACTIVATION, BY_TIME, BY_WEIGHT_CHANGE = range(4)
COLOURINGS = ["Colour by category", "Colour by activation", "Colour by time",
              "Colour by weight change"]


class Colouring(QObject):
    """Recolours the view whenever what it shows, the box or the values change."""

    sigMessage = Signal(str)  # a hint for the status bar

    def __init__(self, view: GraphView, session: Session, photo: PhotoController,
                 timing: TimingController, comparisons: Comparisons, parent: QWidget) -> None:
        super().__init__(parent)
        self._view, self._session = view, session
        self._photo, self._timing, self._comparisons = photo, timing, comparisons
        self.box = QComboBox()
        self.box.addItems(COLOURINGS)
        self.box.setToolTip("Colour the diagram's layers by their kind, by the mean magnitude "
                            "of their output for the current photo, by their measured time, "
                            "or by how far their weights moved from a checkpoint")
        self.clear_changes = QToolButton(text="Clear changes", autoRaise=True, visible=False)
        self.clear_changes.setToolTip("Stop marking what changed at the last save of the "
                                      "watched file")
        self.legend = Legend()
        self.heat_legend = HeatLegend()
        self.heat_legend.hide()
        self.box.currentIndexChanged.connect(self.recolour)
        photo.sigActivationsChanged.connect(self.recolour)
        timing.sigTimesChanged.connect(self.recolour)
        comparisons.sigWeightChangesChanged.connect(self._on_weight_changes)
        session.subscribe("diagram", lambda _change: self.recolour())
        session.subscribe("changes", lambda _changes: self.recolour())
        self.clear_changes.clicked.connect(lambda: session.set_changes(None))

    def recolour(self) -> None:
        """Colour the diagram: what changed at the watched file's last save while it is
        marked, else as the box says (heat maps get their legend). Values not known yet are
        asked for (statistics of the photo, a measurement), and the category colours stay
        until they come."""
        changes, drawn = self._session.changes, self._session.diagram
        self.clear_changes.setVisible(changes is not None)
        if changes is not None and drawn is not None:
            classes = drawn_classes(drawn.graph, changes.class_in_b)
            self._view.set_node_colors({name: DIFF_COLORS[kind] for name, kind in classes.items()})
            self.clear_changes.setText(f"Clear changes ({len(changes.changed)} changed, "
                                       f"{len(changes.added)} added, "
                                       f"{len(changes.removed)} removed)")
            self._show_heat(None, "", formatting.metric)
            return
        mode = self.box.currentIndex()
        values, title, describe = None, "", formatting.metric
        if mode == BY_ACTIVATION:
            values, title = self._photo.activation_magnitudes(), "Mean |activation| of the photo"
        elif mode == BY_TIME:
            values, title, describe = self._timing.drawn_times(), "Measured time per layer", \
                _milliseconds
            if values is None:
                self._timing.ensure_measured()
        elif mode == BY_WEIGHT_CHANGE:
            values, title = self._comparisons.drawn_weight_changes(), "‖Wb − Wa‖ / ‖Wa‖"
            describe = formatting.percent
            if values is None:
                self.sigMessage.emit("compare the weights with a checkpoint first "
                                     "(Tools › Compare weights with…)")
        finite = None if values is None else {
            name: value for name, value in values.items() if value != math.inf}
        self._view.set_node_colors(None if finite is None else {
            name: QColor(*rgb) for name, rgb in diagram.heat_colors(finite).items()})
        self._show_heat(finite, title, describe)

    def _show_heat(self, values: dict[str, float] | None, title: str, describe) -> None:
        heat = values is not None
        self.legend.setVisible(not heat)
        self.heat_legend.setVisible(heat)
        if heat:
            self.heat_legend.show_scale(title, max(values.values(), default=0.0), describe)

    def _on_weight_changes(self) -> None:
        """Weight changes measured: colour by them; cleared: colour by category again."""
        measured = self._comparisons.weight_changes is not None
        wanted = BY_WEIGHT_CHANGE if measured else BY_CATEGORY
        if measured or self.box.currentIndex() == BY_WEIGHT_CHANGE:
            if self.box.currentIndex() != wanted:
                self.box.setCurrentIndex(wanted)  # which recolours
                return
        self.recolour()


def _milliseconds(value: float) -> str:
    return f"{value:.2f} ms"
