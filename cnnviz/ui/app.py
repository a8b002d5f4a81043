"""Starting the desktop app."""
from __future__ import annotations

import os
import sys

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from cnnviz.errors import CnnvizError
from cnnviz.session import ModelRequest

RESOURCES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "resources")


def has_display() -> bool:
    """Whether a window can be shown (an X or Wayland display, or a non-Linux desktop)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("QT_QPA_PLATFORM"))


def skip_pyside_feature_scan() -> None:
    """Spare the modules imported after PySide6 (torch's two thousand) a read of their source.

    PySide6's ``__feature__`` support reads the source of every module imported after it, to
    see whether it names PySide6 and may select features (snake_case, true_property); cnnviz
    selects none. The read costs about 0.3 s of torch's import on the worker, holding the
    interpreter's lock. A module whose source is not read is ignored by the feature support,
    as are modules without source, and behaves as it does without features."""
    feature = sys.modules.get("shibokensupport.feature")
    if feature is not None and hasattr(feature, "_mod_uses_pyside"):
        feature._mod_uses_pyside = lambda module: False


def run_app(model: ModelRequest | None = None, weights: str = "random",
            screenshot: str | None = None, select: str | None = None,
            orientation: str | None = None, fold: bool | None = None) -> int:
    """Open the window on a resolved model (None: the last one, with ``weights``), laid out
    ``orientation`` (None: as last chosen), repeats folded as ``fold`` says (None: in big
    models), or render it to ``screenshot`` and quit; returns the exit status."""
    if not has_display():
        if screenshot is None:
            raise CnnvizError("no display to open the window on (set DISPLAY, or use "
                              "--screenshot PATH to render the window to a file)")
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    skip_pyside_feature_scan()
    from cnnviz.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("cnnviz")
    app.setOrganizationName("cnnviz")
    icon = os.path.join(RESOURCES, "icon.png")
    if os.path.exists(icon):
        app.setWindowIcon(QIcon(icon))
    window = MainWindow(model=model, weights=weights, select=select, orientation=orientation,
                        fold=fold)
    if screenshot:
        window.screenshot_when_ready(screenshot)
    window.show()
    return app.exec()


def export_image(graph, layout, path: str, scale: float = 2.0) -> None:
    """Draw a laid-out diagram without a window and save it as PNG or SVG (by extension)."""
    if not has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from cnnviz.ui.graph_view import GraphView

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 (keeps Qt alive)
    view = GraphView()
    view.set_diagram(graph, layout)
    if path.lower().endswith(".svg"):
        view.export_svg(path)
    else:
        view.export_png(path, scale)
