"""What a user does to the window, as the window's tests do it: clicks on the diagram's nodes
and files dropped on the window."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from cnnviz.ui.main_window import MainWindow


def click_node(window: MainWindow, name: str, double: bool = False) -> None:
    """Click (or double-click) a drawn node where it is on screen, centring it first."""
    window.view.centerOn(window.view.node_scene_pos(name))
    point = window.view.mapFromScene(window.view.node_scene_pos(name))
    click = QTest.mouseDClick if double else QTest.mouseClick
    click(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)


def drop(window: MainWindow, *paths) -> QMimeData:
    """Drag files onto the middle of the window and drop them."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    position = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(position.toPoint(), Qt.DropAction.CopyAction, data,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(position, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    return data  # keep the mime data alive while Qt uses it
