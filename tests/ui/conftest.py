"""Fixtures shared by the window's tests."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from cnnviz.ui.main_window import MainWindow

TIMEOUT = 60_000


@pytest.fixture
def settings(tmp_path) -> QSettings:
    """Settings in a temporary file: the tests never touch the user's."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    """The window on ResNet-18, its diagram drawn and the sample photo run."""
    window = MainWindow(settings=settings, model="resnet18")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session.diagram is not None and window.photo.photo is not None,
                    timeout=TIMEOUT)
    yield window
    window.close()
    assert not window.worker.is_alive(), "the torch worker outlived the window"
