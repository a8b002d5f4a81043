"""Test set-up: Qt must run offscreen before any Qt module loads."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402,F401  (torch before Qt, as in the app)
