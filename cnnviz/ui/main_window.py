"""The main window: it builds the diagram, the docks and the menus, and wires the controllers
to the session and to each other.

The session owns the state (model, diagram, selection, search); the controllers own the torch
worker's jobs (opening models, photos, timing, the inspector's weights); the views follow the
session. The window itself runs no job and keeps no copy of the state.

The window shows before torch has loaded (:mod:`cnnviz.ui.loading`): nothing imported here
brings torch in, and what is asked for meanwhile is carried out once it has loaded.
"""
from __future__ import annotations

import threading

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (QAction, QCloseEvent, QDragEnterEvent, QDropEvent,
                           QGuiApplication, QKeySequence)
from PySide6.QtWidgets import (QApplication, QCheckBox, QDockWidget, QFrame,
                               QHBoxLayout, QLabel, QLineEdit, QMainWindow, QMessageBox,
                               QProgressBar, QScrollArea, QSpinBox, QToolButton, QVBoxLayout,
                               QWidget)

from cnnviz import __version__, formatting, motifs, zoo
from cnnviz import graph as g
from cnnviz import session as sessions
from cnnviz.errors import CnnvizError
from cnnviz.layout.geometry import LEFT_TO_RIGHT, ORIENTATIONS, TOP_TO_BOTTOM
from cnnviz.references import resolve_model
from cnnviz.session import Diagram, DiagramChange, LoadedModel, ModelRequest, Session
from cnnviz.ui.colouring import Colouring
from cnnviz.ui.compare_dialog import CompareDialog
from cnnviz.ui.comparisons import Comparisons
from cnnviz.ui.file_actions import FileActions
from cnnviz.ui.graph_view import GraphView
from cnnviz.ui.inspector_controller import InspectorController
from cnnviz.ui.live_controller import LiveController
from cnnviz.ui.loading import LOADING_TORCH, LoadingNote, load_torch
from cnnviz.ui.minimap import Minimap
from cnnviz.ui.model_card import ModelCard
from cnnviz.ui.model_controller import ModelController
from cnnviz.ui.model_picker import ModelPicker
from cnnviz.ui.photo import PhotoController
from cnnviz.ui.timing_controller import TimingController
from cnnviz.ui.workers import TorchWorker, failure_message

READABLE_SCALE = 0.5  # below this zoom the diagram's labels are hidden
FRAME_MARGIN = 16  # pixels around what the first screen shows
LAYOUT_VERSION = 3  # of the docks' arrangement: a saved arrangement of another version is ignored


class MainWindow(QMainWindow):
    """cnnviz's window on ``model`` (a resolved request, or a name; None: the last zoo model
    with ``weights``), laid out ``orientation`` (None: as last chosen), repeats folded as
    ``fold`` says (None: in big models). ``sigDiagramShown(model)`` fires each time a diagram
    is drawn; ``sigLoadFailed(message)`` when a model or diagram could not be made."""

    sigDiagramShown = Signal(str)
    sigLoadFailed = Signal(str)

    def __init__(self, settings: QSettings | None = None,
                 model: ModelRequest | str | None = None, weights: str = "random",
                 select: str | None = None, orientation: str | None = None,
                 fold: bool | None = None) -> None:
        super().__init__()
        self.setWindowTitle("cnnviz")
        self.settings = settings or QSettings("cnnviz", "cnnviz")
        self.session = Session()
        self.worker = TorchWorker(self)
        self.torch_ready = False  # until the worker's first job has imported torch
        painted = threading.Event()  # the worker imports torch once the window is on screen
        loading_torch = load_torch(self.worker, painted)
        self._select_on_open = select
        self._search_when_drawn = ""  # a search made before any diagram was drawn
        self._build_widgets()
        self._build_menus()
        self._connect()
        self._restore_layout()
        self.loading.sigPainted.connect(painted.set)
        loading_torch.on_done(lambda _none: self._on_torch_ready())
        loading_torch.on_failed(lambda error: self._on_load_failed(failure_message(error)))
        self.models.folding = fold
        remembered = str(self.settings.value("orientation", TOP_TO_BOTTOM))
        self._show_orientation(orientation or (remembered if remembered in ORIENTATIONS
                                               else TOP_TO_BOTTOM))
        if isinstance(model, ModelRequest):
            self.open_model(model)
        else:
            self.request_model(model or self._last_model(), weights)

    # ---------------------------------------------------------------- building the window

    def _build_widgets(self) -> None:
        self.view = GraphView(self.session)  # first to follow the session: it draws first
        self.models = ModelController(self.worker, self.session,
                                      lambda message: self.confirm_trust(message), self)
        self.inspection = InspectorController(self.worker, self.session, self)
        self.inspector = self.inspection.inspector
        self.photo = PhotoController(self.worker, self.session, self)
        self.timing = TimingController(self.worker, self.session, self.inspector, self)
        self.live = LiveController(self.worker, self.session, self.photo,
                                   self.timing.panel.settings, self)
        self.comparison = CompareDialog(self.worker, self.timing.panel.settings, self)
        self.comparisons = Comparisons(self.worker, self.session,
                                       lambda message: self.confirm_trust(message), self)
        self.files = FileActions(self, self.session, self.models, self.photo, self.view)
        self.colouring = Colouring(self.view, self.session, self.photo, self.timing,
                                   self.comparisons, self)
        self.colour_by, self.clear_changes = self.colouring.box, self.colouring.clear_changes
        self.legend, self.heat_legend = self.colouring.legend, self.colouring.heat_legend
        self.depth = QSpinBox(minimum=0, maximum=0, specialValueText="all")
        self.depth.setToolTip("Collapse blocks nested deeper than this (all: every operation)")
        self.search = QLineEdit(placeholderText="Find layer (name, path or type)…",
                                clearButtonEnabled=True)
        self.search.setMaximumWidth(320)
        toolbar = QHBoxLayout()
        toolbar.setContentsMargins(6, 4, 6, 0)
        toolbar.addWidget(QLabel("Depth:"))
        toolbar.addWidget(self.depth)
        for text, tip, slot in (("Fit", "Fit the diagram to the window (F)", self.view.fit_to_window),
                                ("Selection", "Zoom to the selected layer (Z)",
                                 self.view.zoom_to_selection),
                                ("+", "Zoom in", self.view.zoom_in),
                                ("−", "Zoom out", self.view.zoom_out)):
            button = QToolButton(text=text, toolTip=tip, autoRaise=True)
            button.clicked.connect(slot)
            toolbar.addWidget(button)
        self.fold = QCheckBox("Fold repeats")
        self.fold.setToolTip("Draw consecutive blocks that repeat one structure as one stack "
                             "(double-click a stack to unfold it)")
        toolbar.addWidget(self.fold)
        self.left_to_right = QAction("&Left to right", self, checkable=True,
                                     shortcut=QKeySequence("Ctrl+L"))
        self.left_to_right.setToolTip("Lay the diagram out left to right instead of top to "
                                      "bottom (Ctrl+L)")
        orientation = QToolButton(autoRaise=True)
        orientation.setDefaultAction(self.left_to_right)
        toolbar.addWidget(orientation)
        toolbar.addWidget(self.colour_by)
        toolbar.addWidget(self.clear_changes)
        toolbar.addStretch(1)
        toolbar.addWidget(self.search)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(toolbar)
        column.addWidget(self.view, 1)
        self.setCentralWidget(central)
        self.loading = LoadingNote(self.view)
        self.loading.show_text(LOADING_TORCH)

        self.picker = ModelPicker()
        self.card = ModelCard()
        self._build_docks()

        self.summary = QLabel()
        self.error = QLabel(styleSheet="color: #b00020")
        self.busy = QProgressBar(maximum=0, maximumWidth=120, textVisible=False, visible=False)
        self.busy_text = QLabel()
        status = self.statusBar()
        status.addWidget(self.busy_text)
        status.addWidget(self.busy)
        status.addWidget(self.error, 1)
        status.addPermanentWidget(self.summary)
        self.resize(1500, 900)

    def _build_docks(self) -> None:
        overview = QWidget()
        overview_column = QVBoxLayout(overview)
        overview_column.setContentsMargins(2, 2, 2, 2)
        self.minimap = Minimap(self.view)
        overview_column.addWidget(self.minimap, 1)
        overview_column.addWidget(self.legend)
        overview_column.addWidget(self.heat_legend)
        photo_column = QWidget()
        photo_layout = QVBoxLayout(photo_column)
        photo_layout.setContentsMargins(0, 0, 0, 0)
        photo_layout.addWidget(self.photo.input_panel)
        photo_layout.addWidget(self.photo.predictions, 1)
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        models = self._dock("Models", self.picker, left)
        card = self._dock("Model card", self.card, left)
        photo_scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        photo_scroll.setWidget(photo_column)
        photo = self._dock("Photo", photo_scroll, left)
        self.tabifyDockWidget(card, photo)
        photo.raise_()
        inspector = self._dock("Inspector", self.inspector, right)
        feature_maps = self._dock("Feature maps", self.photo.feature_maps, right)
        self.tabifyDockWidget(inspector, feature_maps)
        timing_dock = self._dock("Timing", self.timing.panel, right)
        self.tabifyDockWidget(feature_maps, timing_dock)
        live_scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        live_scroll.setWidget(self.live.panel)
        self.live_dock = self._dock("Live", live_scroll, right)
        self.tabifyDockWidget(timing_dock, self.live_dock)
        inspector.raise_()
        overview_dock = self._dock("Overview", overview, right)
        self.resizeDocks([models, inspector], [300, 430], Qt.Orientation.Horizontal)
        self.resizeDocks([models, card, inspector, overview_dock], [200, 700, 640, 240],
                         Qt.Orientation.Vertical)
        self.setAcceptDrops(True)
        self.view.setAcceptDrops(False)  # drops anywhere reach the window
        self.view.viewport().setAcceptDrops(False)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        def action(menu, text: str, slot, shortcut=None) -> QAction:
            item = QAction(text, self)
            if shortcut is not None:
                item.setShortcut(QKeySequence(shortcut))
            item.triggered.connect(slot)
            menu.addAction(item)
            return item

        file_menu = self.menuBar().addMenu("&File")
        files = self.files
        action(file_menu, "Open &image…", self.photo.choose_file, QKeySequence.StandardKey.Open)
        action(file_menu, "&Paste image", lambda: files.open_mime(
            QGuiApplication.clipboard().mimeData()), QKeySequence.StandardKey.Paste)
        action(file_menu, "Open &model file…", files.open_model_dialog, "Ctrl+Shift+M")
        action(file_menu, "Open &checkpoint…", files.choose_checkpoint, "Ctrl+Shift+O")
        action(file_menu, "Export diagram as &PNG…", files.export_png_dialog, "Ctrl+E")
        action(file_menu, "Export diagram as &SVG…", files.export_svg_dialog, "Ctrl+Shift+E")
        file_menu.addSeparator()
        action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        view_menu = self.menuBar().addMenu("&View")
        action(view_menu, "&Fit to window", self.view.fit_to_window, "Ctrl+0")
        action(view_menu, "Zoom &in", self.view.zoom_in, QKeySequence.StandardKey.ZoomIn)
        action(view_menu, "Zoom &out", self.view.zoom_out, QKeySequence.StandardKey.ZoomOut)
        action(view_menu, "Zoom to &selection", self.view.zoom_to_selection, "Ctrl+Shift+Z")
        action(view_menu, "F&ind layer", self._focus_search, QKeySequence.StandardKey.Find)
        view_menu.addSeparator()
        action(view_menu, "&Collapse one level", lambda: self.depth.stepBy(-1), "Ctrl+[")
        action(view_menu, "&Expand one level", lambda: self.depth.stepBy(1), "Ctrl+]")
        action(view_menu, "Expand &all", self.expand_all, "Ctrl+Shift+]")
        view_menu.addAction(self.left_to_right)
        view_menu.addSeparator()
        for dock in self.findChildren(QDockWidget):
            view_menu.addAction(dock.toggleViewAction())
        tools_menu = self.menuBar().addMenu("&Tools")
        action(tools_menu, "&Measure time", self.timing.measure, "Ctrl+T")
        action(tools_menu, "&Compare models…", self.comparison.open_comparison, "Ctrl+Shift+C")
        action(tools_menu, "Compare &architectures…", self.comparisons.choose_architecture,
               "Ctrl+Shift+D")
        action(tools_menu, "Compare &weights with…", self.comparisons.choose_checkpoint,
               "Ctrl+Shift+W")
        live_menu = tools_menu.addMenu("&Live")
        action(live_menu, "Show the &Live panel", self.show_live, "Ctrl+Shift+L")
        live_menu.addActions(self.live.actions(self))
        help_menu = self.menuBar().addMenu("&Help")
        action(help_menu, "&About cnnviz", self._about)

    def _connect(self) -> None:
        self.session.subscribe("model", self._on_model_change)
        self.session.subscribe("diagram", self._on_diagram_change)
        self.worker.sigBusyChanged.connect(self._on_busy_change)
        self._on_busy_change(self.worker.is_busy())  # torch is loading already
        self.models.sigBusy.connect(self.busy_text.setText)
        self.models.sigFailed.connect(self._on_load_failed)
        self.picker.sigModelChosen.connect(self.request_model)
        self.comparison.sigModelActivated.connect(self.request_model)
        self.view.sigBlockToggled.connect(self.models.toggle_block)
        self.depth.valueChanged.connect(lambda value: self.models.set_depth(value or None))
        self.fold.toggled.connect(self.models.set_folding)
        self.left_to_right.toggled.connect(
            lambda on: self.set_orientation(LEFT_TO_RIGHT if on else TOP_TO_BOTTOM))
        self.search.returnPressed.connect(self._on_search)
        self.search.textChanged.connect(self._on_search_text_change)
        for controller in (self.photo, self.timing, self.inspection, self.files,
                           self.comparisons, self.colouring, self.live):
            controller.sigMessage.connect(self._show_error)
        self.files.sigExported.connect(
            lambda path: self.statusBar().showMessage(f"Exported {path}", 5000))
        self.photo.sigPhotoShown.connect(lambda _label: self.error.clear())
        self.photo.sigNote.connect(lambda note: self.statusBar().showMessage(note, 10000))
        self.inspection.sigNodeShown.connect(lambda _name: self.timing.show_in_inspector())
        self.timing.sigNodeChosen.connect(self._select_and_centre)
        self.comparisons.sigNodeChosen.connect(self._select_and_centre)

        self.timing.panel.sigCompare.connect(self.comparison.open_comparison)

    # ---------------------------------------------------------------- opening models

    def request_model(self, name: str, weights: str = "random") -> None:
        """Open the model a name from the picker or the comparison names; the window keeps
        the current one until then."""
        try:
            reference = resolve_model(name)
        except CnnvizError as error:
            self._show_error(str(error))
            return
        self.open_model(ModelRequest(reference, weights))

    def open_model(self, request: ModelRequest) -> None:
        """Open a resolved zoo model or model file (see ``ModelController.open``)."""
        self.models.open(request)

    def confirm_trust(self, message: str) -> bool:
        """Ask whether to run a model file's code."""
        answer = QMessageBox.warning(
            self, "Run this file's code?", f"{message}\n\nRun it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def set_orientation(self, orientation: str) -> None:
        """Lay the diagram out ``"tb"`` (top to bottom) or ``"lr"`` (left to right); the
        choice is remembered."""
        if orientation not in ORIENTATIONS:
            raise ValueError(f"orientation must be one of {', '.join(ORIENTATIONS)}")
        self.settings.setValue("orientation", orientation)
        self._show_orientation(orientation)

    def set_folding(self, on: bool) -> None:
        """Fold repeated blocks into stacks, or show every one."""
        if self.fold.isChecked() != on:
            self.fold.setChecked(on)  # which asks for the diagram
        else:
            self.models.set_folding(on)

    def expand_all(self) -> None:
        """Every operation: no collapsed blocks, no folded stacks."""
        self.models.expand_all()

    def _show_orientation(self, orientation: str) -> None:
        self.left_to_right.blockSignals(True)
        self.left_to_right.setChecked(orientation == LEFT_TO_RIGHT)
        self.left_to_right.blockSignals(False)
        self.models.set_orientation(orientation)

    def _last_model(self) -> str:
        """The zoo model open when the app last closed (files are not reopened unasked)."""
        name = str(self.settings.value("model", zoo.DEFAULT_MODEL))
        try:
            return resolve_model(name).zoo_name or zoo.DEFAULT_MODEL
        except CnnvizError:
            return zoo.DEFAULT_MODEL

    def _on_torch_ready(self) -> None:
        self.torch_ready = True
        if self.session.diagram is None and self.models.opening:
            self.loading.show_text(f"Tracing {self.models.opening}…")

    def _on_load_failed(self, message: str) -> None:
        self.loading.hide()
        self._show_error(message)
        loaded = self.session.loaded
        if loaded is not None:  # the current model stays: show it as chosen again
            self.picker.show_model(loaded.request.reference.zoo_name or "", loaded.weights)
        self.sigLoadFailed.emit(message)

    # ---------------------------------------------------------------- following the session

    def _on_model_change(self, loaded: LoadedModel) -> None:
        totals = loaded.graph.graph
        reference = loaded.request.reference
        self.error.clear()
        if reference.zoo_name is not None:
            self.settings.setValue("model", reference.zoo_name)
        self.setWindowTitle(f"cnnviz — {loaded.spec.display_name}")
        self.picker.show_model(reference.zoo_name or "", loaded.weights)
        self.card.show_model(loaded.spec, totals, loaded.weights, reference.origin)
        self.depth.blockSignals(True)
        self.depth.setMaximum(sessions.max_depth(loaded.graph))
        self.depth.blockSignals(False)
        note = f" ({totals[g.TRACER_NOTE]})" if totals[g.TRACER_NOTE] else ""
        self.summary.setText(
            f"{formatting.count(totals[g.TOTAL_PARAMS])} params · "
            f"{formatting.metric(totals[g.TOTAL_MACS], 'MACs')} · "
            f"{loaded.graph.number_of_nodes()} operations · tracer: {totals[g.TRACER]}")
        self.summary.setToolTip(f"tracer: {totals[g.TRACER]}{note}")

    def _on_diagram_change(self, change: DiagramChange) -> None:
        self.loading.hide()
        if not change.keep_view:
            self._show_first_screen(change.diagram)
        view = change.diagram.view
        for widget, show in ((self.depth, lambda: self.depth.setValue(view.depth or 0)),
                             (self.fold, lambda: self.fold.setChecked(view.fold))):
            widget.blockSignals(True)
            show()
            widget.blockSignals(False)
        if self._select_on_open:
            self._select_first_time()
        if self._search_when_drawn:
            self.search.setText(self._search_when_drawn)
            self._search_when_drawn = ""
            self._on_search()
        self.sigDiagramShown.emit(change.diagram.model.spec.name)

    def _select_first_time(self) -> None:
        """The layer asked for on the command line, once; an unknown name is reported."""
        name, self._select_on_open = self._select_on_open, None
        if name not in self.session.diagram.graph:
            self._show_error(f"no layer named {name!r} in this diagram")
            return
        self._select_and_centre(name)

    def _select_and_centre(self, name: str) -> None:
        self.session.select(name)
        self.view.centre_on(name)

    def _show_first_screen(self, shown: Diagram) -> None:
        """The whole model when it fits at a readable scale (the view has just fitted it),
        else its first motif (an inception module, a residual block, a dense block's
        concatenations, a stack of convolutions) as large as fits, at least readable; a model
        without one starts at its input."""
        view, layout = self.view, shown.layout
        if view.scale_factor() >= READABLE_SCALE or not layout.nodes:
            return
        motif = motifs.first_motif(shown.graph)
        if motif is None:
            first = min(layout.nodes.values(), key=lambda box: (box.y, box.x))
            left, top = first.x - first.width / 2, first.y - first.height / 2
            right, bottom = left, top
        else:
            left, top, right, bottom = motifs.motif_frame(shown.graph, layout, motif)
        port = view.viewport().rect()
        room_x, room_y = port.width() - 2 * FRAME_MARGIN, port.height() - 2 * FRAME_MARGIN
        scale = min(1.0, room_x / max(right - left, 1.0), room_y / max(bottom - top, 1.0))
        view.zoom_to(max(scale, READABLE_SCALE))
        scale = view.scale_factor()
        centre_x = (left + right) / 2 if (right - left) * scale <= room_x \
            else left + room_x / 2 / scale  # too wide: its start, on the left
        centre_y = (top + bottom) / 2 if (bottom - top) * scale <= room_y \
            else top + room_y / 2 / scale  # too tall: its start, at the top
        view.centerOn(centre_x, centre_y)

    def _show_error(self, message: str) -> None:
        self.error.setText(f"⚠ {message}")
        self.error.setToolTip(message)

    def _on_busy_change(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        if not busy:
            self.busy_text.clear()

    # ---------------------------------------------------------------- user actions

    def show_live(self) -> None:
        """Bring the Live panel forward, with the keyboard on it (Space plays, → steps)."""
        self.live_dock.show()
        self.live_dock.raise_()
        self.live.panel.setFocus()

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _on_search(self) -> None:
        text = self.search.text().strip()
        if not text:
            return
        if self.session.diagram is None:  # still loading: the newest search waits for it
            self._search_when_drawn = text
            self.statusBar().showMessage(f"“{text}” is searched once the model is drawn", 4000)
            return
        if self.session.search.text == text:
            found = self.session.next_match()
        else:
            matches = self.session.find(text)
            found = matches[0] if matches else ""
            self.statusBar().showMessage(f"{len(matches)} layers match “{text}”"
                                         if matches else f"No layer matches “{text}”", 4000)
        if found:
            self.view.centre_on(found)

    def _on_search_text_change(self, text: str) -> None:
        if not text:
            self.session.find("")

    def _about(self) -> None:
        QMessageBox.about(self, "About cnnviz",
                          f"<h3>cnnviz {__version__}</h3><p>See inside convolutional networks: "
                          "traced architecture diagrams with exact parameters, MACs and "
                          "receptive fields for every layer.</p>")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt's name)
        self.files.open_mime(event.mimeData())
        event.acceptProposedAction()

    # ---------------------------------------------------------------- settings and closing

    def _restore_layout(self) -> None:
        """The window's size and the docks as the user left them, when they were saved by this
        arrangement of the docks (anything else, or damaged settings, leaves the default)."""
        geometry = self.settings.value("geometry")
        state = self.settings.value("state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state, LAYOUT_VERSION)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()
        self.live.stop()  # the capture thread ends before the worker
        self.worker.stop()
        super().closeEvent(event)

    def screenshot_when_ready(self, path: str) -> None:
        """Save a picture of the window once the first diagram is drawn, then quit."""
        def finish(status: int) -> None:
            self.close()  # stops the worker before the application ends
            QApplication.instance().exit(status)

        def capture() -> None:
            QApplication.processEvents()
            finish(0 if self.grab().save(path) else 1)

        def capture_when_idle() -> None:  # the photo's run and maps follow the diagram
            if self.worker.is_busy():
                QTimer.singleShot(100, capture_when_idle)
            else:
                QTimer.singleShot(300, capture)

        self.sigDiagramShown.connect(lambda _name: capture_when_idle())
        self.sigLoadFailed.connect(lambda _message: finish(1))

