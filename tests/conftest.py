"""Test set-up: Qt must run offscreen before any Qt module loads; shared fixtures."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402,F401  (torch before Qt, as in the app)
import pytest  # noqa: E402
import torchvision  # noqa: E402


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Random ResNet-18 weights in a file, so a command and its test use the same model."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "resnet18.pt"
    torch.save(torchvision.models.resnet18().state_dict(), path)
    return str(path)
