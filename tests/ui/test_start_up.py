"""Requests made while torch loads are carried out once it has loaded, the newest of each kind."""
from __future__ import annotations

import threading

import pytest

from cnnviz import images
from cnnviz.ui import loading
from cnnviz.ui.jobs import JobKind
from cnnviz.ui.main_window import MainWindow
from cnnviz.ui.workers import JobState

TIMEOUT = 60_000


@pytest.fixture
def held_torch(monkeypatch):
    """The worker's torch import held back until the test sets the event."""
    release = threading.Event()
    real = loading.import_torch

    def held(context) -> None:
        assert release.wait(TIMEOUT / 1000), "the test never released the torch import"
        real(context)

    monkeypatch.setattr(loading, "import_torch", held)
    yield release
    release.set()


def test_requests_made_while_torch_loads_are_carried_out_once_it_has(qtbot, settings,
                                                                     held_torch) -> None:
    window = MainWindow(settings=settings, model="resnet18")
    qtbot.addWidget(window)
    ended = []
    window.worker.sigJobEnded.connect(lambda job: ended.append((job.kind, job.state)))
    window.show()
    assert window.loading.isVisible() and window.loading.text.text() == loading.LOADING_TORCH
    assert window.busy.isVisible()
    rocket = next(str(p) for p in images.sample_images() if p.name == "rocket.jpg")
    coffee = next(str(p) for p in images.sample_images() if p.name == "coffee.png")
    window.picker.sigModelChosen.emit("alexnet", "random")
    window.picker.sigModelChosen.emit("squeezenet1_1", "random")  # the newest model wins
    window.photo.open(coffee)
    window.photo.open(rocket)  # the newest photo wins
    for text in ("conv", "expand3x3"):  # the newest search wins
        window.search.setText(text)
        window.search.returnPressed.emit()
    assert window.session.loaded is None and not window.torch_ready

    held_torch.set()
    qtbot.waitUntil(lambda: window.photo.photo is not None
                    and window.session.search.text == "expand3x3", timeout=TIMEOUT)
    assert window.session.loaded.spec.name == "squeezenet1_1"
    assert window.photo.photo.label == "rocket.jpg"
    assert window.photo.photo.model is window.session.loaded
    matches = window.session.search.matches
    assert matches and all("expand3x3" in name for name in matches)
    assert window.session.selection == matches[0]
    assert not window.loading.isVisible()
    opened = [state for kind, state in ended if kind is JobKind.MODEL]
    assert opened == [JobState.CANCELLED, JobState.CANCELLED, JobState.DONE]
    assert (JobKind.TORCH, JobState.DONE) in ended
    window.close()


def test_the_diagram_area_names_the_model_being_traced_once_torch_is_ready(
        qtbot, settings, held_torch) -> None:
    window = MainWindow(settings=settings, model="resnet18")
    qtbot.addWidget(window)
    notes = []
    window.worker.sigJobEnded.connect(  # after the job's own callbacks
        lambda job: notes.append(window.loading.text.text()) if job.kind is JobKind.TORCH
        else None)
    window.show()
    held_torch.set()
    qtbot.waitUntil(lambda: window.session.diagram is not None, timeout=TIMEOUT)
    assert notes == ["Tracing ResNet-18…"]
    assert not window.loading.isVisible()
    window.close()
