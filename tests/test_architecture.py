"""The core (the layout package included) never imports Qt; the views and the layout never
import torch (docs/ARCHITECTURE.md, "Layers"); the application never loads the layout quality
measures; model references are resolved only where text enters."""
from __future__ import annotations

import ast
import json
import os
import pathlib
import subprocess
import sys

import pytest

from cnnviz import zoo

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "cnnviz"
LAYOUT = sorted((PACKAGE / "layout").glob("*.py"))
CORE = sorted(p for p in PACKAGE.glob("*.py") if p.name != "__main__.py") + LAYOUT
VIEWS = sorted((PACKAGE / "ui").glob("*.py"))


def module_name(path: pathlib.Path) -> str:
    """``cnnviz.layout.ranks`` for cnnviz/layout/ranks.py, ``cnnviz.layout`` for its __init__."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_import_without_loading_qt() -> None:
    modules = ", ".join(module_name(p) for p in CORE)
    code = (f"import sys, importlib\nfor m in '{modules}'.split(', '): importlib.import_module(m)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_core_files_do_not_import_qt() -> None:
    for path in CORE:
        assert not imported_modules(path) & {"PySide6", "pyqtgraph", "shiboken6"}, path.name


def test_views_do_not_import_torch() -> None:
    for path in VIEWS:
        assert "torch" not in imported_modules(path), path.name


def test_layout_does_not_import_torch() -> None:
    assert [p.name for p in LAYOUT if "torch" in imported_modules(p)] == []


def test_application_never_imports_the_layout_quality_measures() -> None:
    code = ("import sys, cnnviz.ui.main_window, cnnviz.cli, cnnviz.layout\n"
            "print('cnnviz.layout.quality' in sys.modules)")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


# Where text naming a model enters: the command line (through ModelRequest.of), the model
# picker, the comparison and the remembered model (the window), drops and pastes (file
# actions), the Open-model dialog, the comparison's own box and the model to compare
# architectures with.
TEXT_ENTERS = {"cnnviz/session.py", "cnnviz/ui/main_window.py", "cnnviz/ui/file_actions.py",
               "cnnviz/ui/open_model.py", "cnnviz/ui/compare_view.py",
               "cnnviz/ui/comparisons.py"}


def test_model_references_are_resolved_only_where_text_enters() -> None:
    callers = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "resolve_model":
                callers.add(str(path.relative_to(PACKAGE.parent)))
    assert callers == TEXT_ENTERS
    session = (PACKAGE / "session.py").read_text()
    assert session.count("resolve_model(") == 1  # ModelRequest.of, for the command line
    cli = (PACKAGE / "cli.py").read_text()
    assert "ModelRequest.of(" in cli and "get_spec(" not in cli


def test_frame_sources_and_the_player_load_neither_torch_nor_opencv_nor_qt() -> None:
    code = ("import sys, cnnviz.video, cnnviz.player\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'cv2', 'PySide6')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# torch, and the core that runs on it: never on the window's start-up path (docs/ARCHITECTURE.md,
# "Start-up").
TORCH_SIDE = ("torch", "torchvision", "cnnviz.trace", "cnnviz.inference", "cnnviz.timing",
              "cnnviz.sources", "cnnviz.gradcam", "cnnviz.kernels")


def test_the_start_up_path_imports_no_torch() -> None:
    code = ("import sys, cnnviz.__main__, cnnviz.cli, cnnviz.ui.app, cnnviz.ui.main_window\n"
            f"print(sorted(m for m in {TORCH_SIDE!r} if m in sys.modules))")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# A window opened with the worker's import of torch held back: what is imported, and from which
# thread, before the window shows; then torch is let through and the first model is drawn.
WINDOW_FIRST = """
import importlib.abc, json, sys, threading
TORCH_SIDE = {torch_side!r}
main, release, from_gui = threading.main_thread(), threading.Event(), []

class Gate(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name in TORCH_SIDE or name.split(".")[0] in TORCH_SIDE:
            if threading.current_thread() is main:
                from_gui.append(name)
            elif name == "torch":
                release.wait(120)
        return None

sys.meta_path.insert(0, Gate())
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QTreeWidget
import cnnviz.ui.app
from cnnviz.ui.main_window import MainWindow

qt = QApplication([])
window = MainWindow(settings=QSettings({settings!r}, QSettings.Format.IniFormat), model="resnet18")
window.show()
qt.processEvents()
shown = dict(visible=window.isVisible(), loaded=sorted(m for m in TORCH_SIDE if m in sys.modules),
             from_gui=list(from_gui), note=window.loading.text.text(),
             docks=sorted(d.windowTitle() for d in window.findChildren(QDockWidget)
                          if d.isVisible()),
             menus=[a.text() for a in window.menuBar().actions()],
             listed=sum(tree.topLevelItem(i).childCount() for tree in
                        window.picker.findChildren(QTreeWidget)
                        for i in range(tree.topLevelItemCount())))
release.set()
window.sigDiagramShown.connect(lambda _name: qt.quit())
window.sigLoadFailed.connect(lambda _message: qt.quit())
QTimer.singleShot(120000, qt.quit)
qt.exec()
shown["drawn"] = window.session.diagram is not None
window.close()
print(json.dumps(shown))
"""


def test_the_window_shows_before_torch_is_imported(tmp_path) -> None:
    code = WINDOW_FIRST.format(torch_side=TORCH_SIDE, settings=str(tmp_path / "settings.ini"))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["visible"] and shown["loaded"] == [] and shown["from_gui"] == []
    assert shown["note"] == "Loading PyTorch…"
    assert {"Models", "Inspector", "Overview"} <= set(shown["docks"])
    assert shown["menus"] == ["&File", "&View", "&Tools", "&Help"]
    assert shown["listed"] == len(zoo.list_models())
    assert shown["drawn"]


# Whether importing a module after PySide6 reads the module's source (PySide6's feature scan).
SOURCE_READS = """
import inspect, sys
import PySide6.QtWidgets
from cnnviz.ui import app
if sys.argv[1] == "skip":
    app.skip_pyside_feature_scan()
reads = []
original = inspect.getsource
inspect.getsource = lambda obj: reads.append(obj.__name__) or original(obj)
import colorsys
print(reads.count("colorsys"))
"""


@pytest.mark.parametrize("mode, reads", [("skip", "0"), ("scan", "1")])
def test_the_app_spares_later_imports_pysides_source_scan(mode: str, reads: str) -> None:
    done = subprocess.run([sys.executable, "-c", SOURCE_READS, mode], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == reads


# The Open-model dialog lists a Python file's models without torch: it works while torch loads.
DIALOG_NAMES = """
import sys
from PySide6.QtWidgets import QApplication
from cnnviz.ui.open_model import OpenModelDialog
app = QApplication([])
dialog = OpenModelDialog()
dialog.path.setText(sys.argv[1])
print([dialog.name.itemText(i) for i in range(dialog.name.count())], "torch" in sys.modules)
"""


def test_the_open_model_dialog_lists_a_files_models_without_torch(tmp_path) -> None:
    path = tmp_path / "net.py"
    path.write_text("import torch\nclass Net(torch.nn.Module):\n    pass\n"
                    "def make_net():\n    return Net()\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", DIALOG_NAMES, str(path)], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "['Net', 'make_net'] False"
