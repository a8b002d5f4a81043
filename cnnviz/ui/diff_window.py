"""Two architectures side by side: the model shown (A) and another (B), coloured by their diff
(removed red, changed amber, added green, the rest grey), with selection, pan and zoom synced,
and a list of the changes that jumps to each."""
from __future__ import annotations

from collections.abc import Callable

import networkx as nx
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QLabel, QListWidget, QListWidgetItem, QMainWindow, QSplitter,
                               QVBoxLayout, QWidget)

from cnnviz import diagram, formatting
from cnnviz import graph as g
from cnnviz.diff import ModelDiff, NodeClass, drawn_classes
from cnnviz.session import Session
from cnnviz.ui.diagram_style import DIFF_COLORS
from cnnviz.ui.graph_view import GraphView
from cnnviz.ui.jobs import ArchitectureDiff

_ROLE = Qt.ItemDataRole.UserRole  # a list item's (A's node, B's node), either may be ""
_MARKS = {NodeClass.ADDED: "+", NodeClass.REMOVED: "−", NodeClass.CHANGED: "~"}
ECHO_PIXELS = 24  # a view this close to where syncing put it has not been moved by the user


class DiffWindow(QMainWindow):
    """A window of its own: ``show_diff`` fills it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare architectures")
        self.sessions = Session(), Session()
        self.views = GraphView(self.sessions[0]), GraphView(self.sessions[1])
        self.titles = QLabel(), QLabel()
        self.summary = QLabel(wordWrap=True)
        self.changes = QListWidget()
        self.changes.setToolTip("Click a change to show it in both diagrams")
        self._diff: ModelDiff | None = None
        self._syncing = False
        self._placed: dict[int, tuple[float, float, float]] = {}  # where syncing put a view
        splitter = QSplitter(Qt.Orientation.Horizontal)
        for title, view in zip(self.titles, self.views):
            column = QWidget()
            layout = QVBoxLayout(column)
            layout.setContentsMargins(2, 2, 2, 2)
            layout.addWidget(title)
            layout.addWidget(view, 1)
            splitter.addWidget(column)
        changes = QWidget()
        side = QVBoxLayout(changes)
        side.setContentsMargins(2, 2, 2, 2)
        side.addWidget(self.summary)
        side.addWidget(self.changes, 1)
        splitter.addWidget(changes)
        splitter.setSizes([560, 560, 300])
        self.setCentralWidget(splitter)
        self.resize(1450, 850)
        for this, other in ((0, 1), (1, 0)):
            self.sessions[this].subscribe(
                "selection", lambda name, this=this, other=other: self._follow(name, this, other))
            self.views[this].sigViewportChanged.connect(
                lambda this=this, other=other: self._sync_view(this, other))
        self.changes.itemClicked.connect(self._on_change_clicked)

    def show_diff(self, result: ArchitectureDiff) -> None:
        """Show both models' diagrams and their diff."""
        self._diff = result.diff
        for session, model, shown in ((self.sessions[0], result.model, result.diagram),
                                      (self.sessions[1], result.other, result.other_diagram)):
            session.set_model(model)
            session.set_diagram(shown)
        classify = (self._diff.class_in_a, self._diff.class_in_b)
        for view, session, title, model, side in zip(
                self.views, self.sessions, self.titles, (result.model, result.other), "AB"):
            classes = drawn_classes(session.diagram.graph, classify[side == "B"])
            view.set_node_colors({name: DIFF_COLORS[kind] for name, kind in classes.items()})
            title.setText(f"<b>{side}: {model.spec.display_name}</b>")
        self._fill_changes(result)

    def _fill_changes(self, result: ArchitectureDiff) -> None:
        found, a, b = self._diff, result.model.graph, result.other.graph
        totals = found.totals
        self.summary.setText(
            f"{len(found.removed)} removed, {len(found.changed)} changed, "
            f"{len(found.added)} added operations · params {_delta(totals.params)} · "
            f"MACs {_delta(totals.macs)}")
        self.changes.clear()
        entries = [(NodeClass.REMOVED, name, "", a.nodes[name], "") for name in found.removed]
        entries += [(NodeClass.CHANGED, change.a, change.b, a.nodes[change.a],
                     ", ".join(change.fields)) for change in found.changed]
        entries += [(NodeClass.ADDED, "", name, b.nodes[name], "") for name in found.added]
        for kind, in_a, in_b, attrs, fields in entries:
            text = f"{_MARKS[kind]} {attrs[g.QUALNAME]} ({attrs[g.MODULE_TYPE]})"
            item = QListWidgetItem(f"{text}: {fields}" if fields else text)
            item.setForeground(DIFF_COLORS[kind].darker(150))
            item.setData(_ROLE, (in_a, in_b))
            self.changes.addItem(item)

    def _on_change_clicked(self, item: QListWidgetItem) -> None:
        """Select the change where it is drawn (its block, if collapsed), in both diagrams,
        zoomed in to be read."""
        for operation, session, view in zip(item.data(_ROLE), self.sessions, self.views):
            name = _drawn(session.diagram.graph, operation) if operation else ""
            if name:
                session.select(name)
                view.zoom_to_selection()

    def _follow(self, name: str, this: int, other: int) -> None:
        """A selection in one diagram selects its match in the other."""
        if self._syncing or self._diff is None:
            return
        match = self._counterpart(name, this, other) if name else ""
        self._syncing = True
        try:
            self.sessions[other].select(match or "")
            if match:
                self.views[other].centre_on(match)
        finally:
            self._syncing = False

    def _counterpart(self, name: str, this: int, other: int) -> str:
        """The drawn node of the other diagram that stands for the match of ``name``'s
        operations (the first that has one), "" when nothing matched."""
        counterpart: Callable[[str], str | None] = (
            self._diff.counterpart_in_b if this == 0 else self._diff.counterpart_in_a)
        attrs = self.sessions[this].diagram.graph.nodes[name]
        matches = {counterpart(op) for op in g.operations_of(name, attrs)} - {None}
        drawn = diagram.nodes_standing_for(self.sessions[other].diagram.graph, matches)
        return drawn[0] if drawn else ""

    def _sync_view(self, this: int, other: int) -> None:
        """The other diagram follows at the same zoom, the match of the matched node nearest
        this view's centre kept at the same offset from its centre."""
        if self._syncing or self._diff is None or self.sessions[other].diagram is None:
            return
        source, target = self.views[this], self.views[other]
        centre = source.mapToScene(source.viewport().rect().center())
        if _near(self._placed.get(this), _place(source)):
            return  # the echo of placing this view (a scroll bar came or went): the other leads
        boxes = sorted(self.sessions[this].diagram.layout.nodes.values(),
                       key=lambda box: abs(box.x - centre.x()) + abs(box.y - centre.y()))
        nearest, match = next(((box.name, found) for box in boxes
                               if (found := self._counterpart(box.name, this, other))),
                              ("", ""))
        self._syncing = True
        try:
            target.zoom_to(source.scale_factor())
            if match:
                offset = centre - source.node_scene_pos(nearest)
                target.centerOn(target.node_scene_pos(match) + offset)
            self._placed[other] = _place(target)
        finally:
            self._syncing = False


def _place(view: GraphView) -> tuple[float, float, float]:
    """Where a view is: its zoom and its centre."""
    centre = view.mapToScene(view.viewport().rect().center())
    return view.scale_factor(), centre.x(), centre.y()


def _near(placed: tuple[float, float, float] | None, now: tuple[float, float, float]) -> bool:
    """Whether a view is still where syncing placed it, give or take ``ECHO_PIXELS``."""
    if placed is None or abs(placed[0] - now[0]) > 1e-9:
        return False
    return max(abs(placed[1] - now[1]), abs(placed[2] - now[2])) * now[0] <= ECHO_PIXELS


def _drawn(shown: nx.DiGraph, operation: str) -> str:
    """The drawn node that stands for an operation of the full graph."""
    drawn = diagram.nodes_standing_for(shown, {operation})
    return drawn[0] if drawn else ""


def _delta(pair: tuple[int, int]) -> str:
    a, b = pair
    change = f"{'+' if b >= a else '−'}{formatting.metric(abs(b - a))}"
    return f"{formatting.metric(a)} → {formatting.metric(b)} ({change})"
