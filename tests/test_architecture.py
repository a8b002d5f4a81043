"""The core never imports Qt; the views never import torch (DESIGN.md's split)."""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "cnnviz"
CORE = sorted(p for p in PACKAGE.glob("*.py") if p.name != "__main__.py")
VIEWS = sorted((PACKAGE / "ui").glob("*.py"))


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
    modules = ", ".join(f"cnnviz.{p.stem}" for p in CORE if p.stem != "__init__")
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
