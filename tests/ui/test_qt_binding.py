"""The Qt binding must not leak references: PySide6 6.12.0 drops one reference to None on
every call of a method returning nothing, and Python aborts once None's count reaches zero."""
from __future__ import annotations

import sys

from PySide6.QtCore import QTimer


def test_calls_into_qt_keep_references_to_none_balanced() -> None:
    timer = QTimer()
    before = sys.getrefcount(None)
    for _ in range(5000):
        timer.setInterval(3)
    assert sys.getrefcount(None) >= before - 100
