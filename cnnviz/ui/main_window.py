"""The main window: model picker and card, the diagram, the inspector, and the status bar.

All torch work (build, trace, layout, weights) goes to the one ``TorchWorker``; the window only
submits requests and shows the results that are still current.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QFileSystemWatcher, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (QAction, QCloseEvent, QColor, QDragEnterEvent, QDropEvent,
                           QGuiApplication, QKeySequence)
from PySide6.QtWidgets import (QApplication, QComboBox, QDockWidget, QFileDialog, QFrame,
                               QHBoxLayout,
                               QInputDialog, QLabel, QLineEdit, QMainWindow, QMessageBox,
                               QProgressBar, QScrollArea, QSpinBox, QToolButton, QVBoxLayout,
                               QWidget)

from cnnviz import __version__, formatting, kernels, session, sources, zoo
from cnnviz import diagram as diagrams
from cnnviz import graph as g
from cnnviz.session import Diagram, DiagramView, LoadedModel, Session
from cnnviz.ui.compare_dialog import CompareDialog
from cnnviz.ui.graph_view import GraphView
from cnnviz.ui.heat_legend import HeatLegend
from cnnviz.ui.inspector import Inspector
from cnnviz.ui.legend import Legend
from cnnviz.ui.minimap import Minimap
from cnnviz.ui.model_card import ModelCard
from cnnviz.ui.model_picker import ModelPicker
from cnnviz.ui.open_model import OpenModelDialog
from cnnviz.ui.photo import PhotoController
from cnnviz.ui.timing_controller import TimingController
from cnnviz.ui.workers import JobContext, TorchWorker

MODEL_JOB, DIAGRAM_JOB, WEIGHTS_JOB = "model", "diagram", "weights"
RELOAD_DELAY_MS = 300  # after a watched file changes, wait this long for more changes
READABLE_SCALE = 0.5  # below this zoom the diagram's labels are hidden
BY_CATEGORY, BY_ACTIVATION, BY_TIME = range(3)
COLOURINGS = ["Colour by category", "Colour by activation", "Colour by time"]


class MainWindow(QMainWindow):
    """cnnviz's window. ``sigDiagramShown(model)`` fires each time a diagram is drawn."""

    sigDiagramShown = Signal(str)
    sigLoadFailed = Signal(str)

    def __init__(self, settings: QSettings | None = None,
                 model: str | session.ModelRequest | None = None, weights: str = "random",
                 select: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("cnnviz")
        self.settings = settings or QSettings("cnnviz", "cnnviz")
        self.session = Session()
        self.worker = TorchWorker(self)
        self._pending_view_keep = False
        self._last_search: str | None = None
        self._select_on_open = select
        self._request: session.ModelRequest | None = None  # how the shown model was opened
        self._pending_reload = False
        self._watcher = QFileSystemWatcher(self)
        self._reload_timer = QTimer(self, singleShot=True, interval=RELOAD_DELAY_MS)
        self._build_widgets()
        self._build_menus()
        self._connect()
        self._restore_layout()
        if isinstance(model, session.ModelRequest):
            self.open_model(model)
        else:
            self.request_model(model or str(self.settings.value("model", zoo.DEFAULT_MODEL)),
                               weights)

    # ---------------------------------------------------------------- building the window

    def _build_widgets(self) -> None:
        self.view = GraphView()
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
        self.colour_by = QComboBox()
        self.colour_by.addItems(COLOURINGS)
        self.colour_by.setToolTip("Colour the diagram's layers by their kind, by the mean "
                                  "magnitude of their output for the current photo, or by "
                                  "their measured time")
        toolbar.addWidget(self.colour_by)
        toolbar.addStretch(1)
        toolbar.addWidget(self.search)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(toolbar)
        column.addWidget(self.view, 1)
        self.setCentralWidget(central)

        self.picker = ModelPicker()
        self.card = ModelCard()
        self.inspector = Inspector()
        overview = QWidget()
        overview_column = QVBoxLayout(overview)
        overview_column.setContentsMargins(2, 2, 2, 2)
        self.minimap = Minimap(self.view)
        overview_column.addWidget(self.minimap, 1)
        self.legend = Legend()
        self.heat_legend = HeatLegend()
        self.heat_legend.hide()
        overview_column.addWidget(self.legend)
        overview_column.addWidget(self.heat_legend)
        self.photo = PhotoController(self.worker, self.session, self)
        self.timing = TimingController(self.worker, self.session, self.view, self.inspector,
                                       self)
        self.comparison = CompareDialog(self.worker, self.timing.panel.settings, self)
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
        inspector.raise_()
        overview_dock = self._dock("Overview", overview, right)
        self.resizeDocks([models, inspector], [300, 430], Qt.Orientation.Horizontal)
        self.resizeDocks([models, card, inspector, overview_dock], [200, 700, 640, 240],
                         Qt.Orientation.Vertical)
        self.setAcceptDrops(True)
        self.view.setAcceptDrops(False)  # drops anywhere reach the window
        self.view.viewport().setAcceptDrops(False)

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
        action(file_menu, "Open &image…", self.photo.choose_file, QKeySequence.StandardKey.Open)
        action(file_menu, "&Paste image", self.paste_image, QKeySequence.StandardKey.Paste)
        action(file_menu, "Open &model file…", self._open_model_dialog, "Ctrl+Shift+M")
        action(file_menu, "Open &checkpoint…", self._choose_checkpoint, "Ctrl+Shift+O")
        action(file_menu, "Export diagram as &PNG…", self._export_png_dialog, "Ctrl+E")
        action(file_menu, "Export diagram as &SVG…", self._export_svg_dialog, "Ctrl+Shift+E")
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
        view_menu.addSeparator()
        for dock in self.findChildren(QDockWidget):
            view_menu.addAction(dock.toggleViewAction())
        tools_menu = self.menuBar().addMenu("&Tools")
        action(tools_menu, "&Measure time", self.timing.measure, "Ctrl+T")
        action(tools_menu, "&Compare models…", self.comparison.open_comparison, "Ctrl+Shift+C")
        help_menu = self.menuBar().addMenu("&Help")
        action(help_menu, "&About cnnviz", self._about)

    def _connect(self) -> None:
        self.worker.sigFinished.connect(self._on_job_finished)
        self.worker.sigFailed.connect(self._on_job_failed)
        self.worker.sigBusyChanged.connect(self._on_busy_change)
        self.picker.sigModelChosen.connect(self.request_model)
        self.view.sigNodeSelected.connect(self._on_node_selected)
        self.view.sigBlockToggled.connect(self._on_block_toggled)
        self.depth.valueChanged.connect(self._on_depth_change)
        self.search.returnPressed.connect(self._on_search)
        self.search.textChanged.connect(self._on_search_text_change)
        self.session.subscribe("selection", self._on_selection_change)
        self.photo.sigMessage.connect(self._show_error)
        self.photo.sigPhotoShown.connect(lambda _label: self.error.clear())
        self.photo.sigNote.connect(lambda note: self.statusBar().showMessage(note, 10000))
        self.colour_by.currentIndexChanged.connect(self._recolour)
        self.photo.sigActivationsChanged.connect(self._recolour)
        self.timing.sigTimesChanged.connect(self._recolour)
        self.timing.sigMessage.connect(self._show_error)
        self.timing.panel.sigCompare.connect(self.comparison.open_comparison)
        self.comparison.sigModelActivated.connect(self.request_model)
        self.session.subscribe("diagram", self._recolour)
        self._watcher.fileChanged.connect(self._on_watched_file_changed)
        self._reload_timer.timeout.connect(self._reload)

    # ---------------------------------------------------------------- requests to the worker

    def request_model(self, name: str, weights: str = "random") -> None:
        """Build and trace a zoo model on the worker; the window keeps the current one until
        then."""
        try:
            zoo.get_spec(name)
        except zoo.UnknownModelError as error:
            self._show_error(str(error))
            return
        self.open_model(session.ModelRequest(name, weights))

    def open_model(self, request: session.ModelRequest, reload: bool = False) -> None:
        """Open a zoo model or a model file on the worker. A file whose code would run without
        ``request.trust`` is asked about first (:meth:`confirm_trust`). A ``reload`` (the
        watched file changed) keeps the diagram's view and the selection."""
        self.worker.cancel(DIAGRAM_JOB)
        self.worker.cancel(WEIGHTS_JOB)
        self._pending_reload = reload
        label = os.path.basename(request.name) if sources.is_model_reference(request.name) \
            else zoo.get_spec(request.name).display_name
        self.busy_text.setText(f"{'Reloading' if reload else 'Opening'} {label}…")
        view = self.session.diagram.view if reload and self.session.diagram else None

        def task(context: JobContext) -> object:
            try:
                loaded = request.load()
            except sources.UntrustedCodeError as error:
                return _NeedsTrust(request, str(error))
            context.check()
            context.progress(0.5, "Laying out")
            shown = view if view is not None else session.default_view(loaded.graph)
            return request, loaded, session.make_diagram(loaded.graph, shown)

        self.worker.submit(MODEL_JOB, task)

    def confirm_trust(self, message: str) -> bool:
        """Ask whether to run a model file's code."""
        answer = QMessageBox.warning(
            self, "Run this file's code?", f"{message}\n\nRun it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def request_view(self, view: DiagramView, keep_view: bool = False) -> None:
        """Collapse and lay out the current model again, as ``view`` says."""
        loaded = self.session.loaded
        if loaded is None:
            return
        self._pending_view_keep = keep_view
        self.busy_text.setText("Laying out…")
        self.worker.submit(DIAGRAM_JOB, lambda context: session.make_diagram(loaded.graph, view))

    def export_diagram(self, path: str, scale: float = 2.0) -> None:
        """Write the diagram as PNG or SVG, chosen by the extension."""
        if Path(path).suffix.lower() == ".svg":
            self.view.export_svg(path)
        else:
            self.view.export_png(path, scale)
        self.statusBar().showMessage(f"Exported {path}", 5000)

    # ---------------------------------------------------------------- results

    def _on_job_finished(self, _job_id: int, kind: str, result: object) -> None:
        if result is None:
            return
        if kind == MODEL_JOB:
            if isinstance(result, _NeedsTrust):
                if self.confirm_trust(result.message):
                    self.open_model(replace(result.request, trust=True), self._pending_reload)
                return
            request, loaded, diagram = result
            self._show_opened(request, loaded, diagram)
        elif kind == DIAGRAM_JOB:
            self._show_diagram(result, keep_view=self._pending_view_keep)
        elif kind == WEIGHTS_JOB:
            self.inspector.show_weights(result)

    def _on_job_failed(self, _job_id: int, kind: str, message: str) -> None:
        if kind not in (MODEL_JOB, DIAGRAM_JOB, WEIGHTS_JOB):
            return  # the photo controller reports its own
        self._show_error(message)
        if kind == MODEL_JOB:
            loaded = self.session.loaded
            if loaded is not None:  # keep the current model; show it as chosen again
                self.picker.show_model(loaded.spec.name, loaded.weights)
            if self._request is not None:  # a reload that failed: keep watching the file
                self._watch(self._request)
            self.sigLoadFailed.emit(message)

    def _show_opened(self, request: session.ModelRequest, loaded: LoadedModel,
                     diagram: Diagram) -> None:
        """A model opened (or reloaded: the selection is kept where its node still exists)."""
        selection = self.session.selection if self._pending_reload else ""
        self._request = request
        self.session.set_model(loaded)
        self._show_model(loaded)
        self._show_diagram(diagram, keep_view=self._pending_reload)
        if selection in diagram.graph:
            self.session.select(selection)
            self.view.select(selection)
        self._watch(request)

    def _watch(self, request: session.ModelRequest) -> None:
        """Watch the opened .py file: when it changes, the model is reloaded."""
        if self._watcher.files():
            self._watcher.removePaths(self._watcher.files())
        path = sources.watched_file(request.name)
        if path is not None:
            self._watcher.addPath(path)

    def _on_watched_file_changed(self, _path: str) -> None:
        self._reload_timer.start()  # editors write in several steps: wait for the last

    def _reload(self) -> None:
        if self._request is not None:
            self.open_model(self._request, reload=True)

    def _show_model(self, loaded: LoadedModel) -> None:
        totals = loaded.graph.graph
        self.error.clear()
        if loaded.spec.reference is not None:  # files are not reopened unasked
            self.settings.setValue("model", loaded.spec.name)
        self.setWindowTitle(f"cnnviz — {loaded.spec.display_name}")
        self.picker.show_model(loaded.spec.name, loaded.weights)
        self.card.show_model(loaded.spec, totals, loaded.weights)
        self.inspector.clear()
        self.depth.blockSignals(True)
        self.depth.setMaximum(session.max_depth(loaded.graph))
        self.depth.blockSignals(False)
        note = f" ({totals[g.TRACER_NOTE]})" if totals[g.TRACER_NOTE] else ""
        self.summary.setText(
            f"{formatting.count(totals[g.TOTAL_PARAMS])} params · "
            f"{formatting.metric(totals[g.TOTAL_MACS], 'MACs')} · "
            f"{loaded.graph.number_of_nodes()} operations · tracer: {totals[g.TRACER]}")
        self.summary.setToolTip(f"tracer: {totals[g.TRACER]}{note}")

    def _show_diagram(self, diagram: Diagram, keep_view: bool) -> None:
        self.session.set_diagram(diagram)
        self.view.set_diagram(diagram.graph, diagram.layout, keep_view=keep_view)
        if not keep_view:
            self._show_the_input_readably(diagram)
        self.depth.blockSignals(True)
        self.depth.setValue(diagram.view.depth or 0)
        self.depth.blockSignals(False)
        if self._select_on_open:
            self._select_first_time(diagram)
        if self.session.selection:
            self.view.select(self.session.selection)
        self.sigDiagramShown.emit(self.session.loaded.spec.name if self.session.loaded else "")

    def _select_first_time(self, diagram: Diagram) -> None:
        """The layer asked for on the command line, once; an unknown name is reported."""
        name, self._select_on_open = self._select_on_open, None
        if name not in diagram.graph:
            self._show_error(f"no layer named {name!r} in this diagram")
            return
        self.session.select(name)
        self.view.select(name, centre=True)

    def _show_the_input_readably(self, diagram: Diagram) -> None:
        """Long models fit the window only as an unreadable sliver: start at the input instead."""
        if self.view.scale_factor() >= READABLE_SCALE or not diagram.layout.nodes:
            return
        self.view.reset_zoom()
        first = min(diagram.layout.nodes.values(), key=lambda box: box.y)
        half_height = self.view.viewport().height() / 2 / self.view.scale_factor()
        self.view.centerOn(first.x, first.y - first.height + half_height)

    def _show_error(self, message: str) -> None:
        self.error.setText(f"⚠ {message}")
        self.error.setToolTip(message)

    def _on_busy_change(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        if not busy:
            self.busy_text.clear()

    def _recolour(self) -> None:
        """Colour the diagram as the colour-by box says; heat maps get their legend. Values
        not known yet are asked for (statistics of the photo, a measurement), and the
        category colours stay until they come."""
        mode = self.colour_by.currentIndex()
        values, title, describe = None, "", formatting.metric
        if mode == BY_ACTIVATION:
            values, title = self.photo.activation_magnitudes(), "Mean |activation| of the photo"
        elif mode == BY_TIME:
            values, title = self.timing.drawn_times(), "Measured time per layer"
            describe = _milliseconds
            if values is None:
                self.timing.ensure_measured()
        heat = values is not None
        self.view.set_node_colors({name: QColor(*rgb) for name, rgb in
                                   diagrams.heat_colors(values).items()} if heat else None)
        self.legend.setVisible(not heat)
        self.heat_legend.setVisible(heat)
        if heat:
            self.heat_legend.show_scale(title, max(values.values(), default=0.0), describe)

    # ---------------------------------------------------------------- user actions

    def _on_node_selected(self, name: str) -> None:
        if self.session.diagram is not None and (not name or name in self.session.diagram.graph):
            self.session.select(name)

    def _on_selection_change(self) -> None:
        attrs = self.session.selected_attributes()
        self.worker.cancel(WEIGHTS_JOB)
        if attrs is None:
            self.inspector.clear()
            return
        loaded = self.session.loaded
        self.inspector.show_node(attrs, loaded.graph.graph,
                                 self.session.block_children(self.session.selection))
        self.timing.show_in_inspector()
        # Convolutions only: a histogram of VGG's 100M-weight linear layer would hold the
        # worker (and the photo's maps) for seconds.
        if attrs[g.OP] == "call_module" and attrs[g.CATEGORY] == g.Category.CONV:
            qualname = attrs[g.QUALNAME]
            self.worker.submit(WEIGHTS_JOB,
                               lambda context: kernels.layer_weights(loaded.model, qualname))
        else:
            self.inspector.show_weights(None)

    def _on_block_toggled(self, path: str) -> None:
        diagram = self.session.diagram
        if diagram is None:
            return
        drawn_collapsed = path in diagram.graph and \
            diagram.graph.nodes[path][g.CATEGORY] == g.Category.BLOCK
        self.request_view(diagram.view.toggled(path, drawn_collapsed), keep_view=True)

    def _on_depth_change(self, value: int) -> None:
        diagram = self.session.diagram
        view = diagram.view if diagram else DiagramView()
        self.request_view(view.with_depth(value or None))

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _on_search(self) -> None:
        text = self.search.text().strip()
        if not text:
            return
        if self._last_search == text:
            found = self.view.next_match()
        else:
            self._last_search = text
            matches = self.view.find(text)
            found = matches[0] if matches else ""
            self.statusBar().showMessage(f"{len(matches)} layers match “{text}”"
                                         if matches else f"No layer matches “{text}”", 4000)
        if found:
            self.session.select(found)

    def _on_search_text_change(self, text: str) -> None:
        self._last_search = None
        if not text:
            self.view.find("")

    def _open_model_dialog(self) -> None:
        dialog = OpenModelDialog(self)
        if dialog.exec() == OpenModelDialog.DialogCode.Accepted:
            self.open_model(dialog.request())

    def _choose_checkpoint(self) -> None:
        loaded = self.session.loaded
        if loaded is None:
            return
        path, _ = QFileDialog.getOpenFileName(
            self, f"Open a checkpoint for {loaded.spec.display_name}", "",
            "PyTorch checkpoints (*.pt *.pth *.ckpt *.bin);;All files (*)")
        if path:
            self.request_model(loaded.spec.name, path)

    def _export_png_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export diagram as PNG", self._export_name("png"),
                                              "PNG images (*.png)")
        if path:
            scale, ok = QInputDialog.getDouble(self, "PNG scale", "Scale (pixels per scene unit):",
                                               2.0, 0.25, 8.0, 2)
            if ok:
                self.export_diagram(path, scale)

    def _export_svg_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export diagram as SVG", self._export_name("svg"),
                                              "SVG images (*.svg)")
        if path:
            self.export_diagram(path)

    def _export_name(self, extension: str) -> str:
        """A file name for the model (a model file's path is not a name: net.py:Net → net.py_Net)."""
        loaded = self.session.loaded
        stem = re.sub(r"[^\w.-]+", "_", os.path.basename(loaded.spec.name)) if loaded else "diagram"
        return f"{stem}.{extension}"

    def _about(self) -> None:
        QMessageBox.about(self, "About cnnviz",
                          f"<h3>cnnviz {__version__}</h3><p>See inside convolutional networks: "
                          "traced architecture diagrams with exact parameters, MACs and "
                          "receptive fields for every layer.</p>")

    def paste_image(self) -> None:
        """Edit › Paste: an image, or image files, from the clipboard."""
        data = QGuiApplication.clipboard().mimeData()
        if data.hasImage():
            self.photo.open_clipboard(data.imageData())
        elif data.hasUrls():
            self.photo.open_files([url.toLocalFile() for url in data.urls()])
        else:
            self._show_error("the clipboard holds no image")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt's name)
        data = event.mimeData()
        if data.hasUrls():
            self.photo.open_files([url.toLocalFile() for url in data.urls()])
        elif data.hasImage():
            self.photo.open_clipboard(data.imageData())
        event.acceptProposedAction()

    # ---------------------------------------------------------------- settings and closing

    def _restore_layout(self) -> None:
        geometry = self.settings.value("geometry")
        state = self.settings.value("state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("state", self.saveState())
        self.settings.sync()
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


def _milliseconds(value: float) -> str:
    return f"{value:.2f} ms"


@dataclass(frozen=True)
class _NeedsTrust:
    """A model job's answer when opening the file would run its code: ask first."""

    request: session.ModelRequest
    message: str
