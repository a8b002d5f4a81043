"""Users' models in the window: asking before running a file's code, errors that keep the
current model, watching the file, never writing the user's files, models that take no photos,
running out of memory, and a burst of quick requests."""
from __future__ import annotations

import os
import random
import textwrap

import pytest

from cnnviz import images
from cnnviz import graph as g
from cnnviz.diff import NodeClass
from cnnviz.session import ModelRequest
from cnnviz.ui.diagram_style import DIFF_COLORS
from cnnviz.ui.jobs import JobKind
from interaction import drop

TIMEOUT = 60_000

NET = textwrap.dedent("""
    import pathlib
    import torch
    from torch import nn

    pathlib.Path(__file__).with_name("ran").touch()  # proves the file's code ran

    class Net(nn.Module):
        input_shape = (1, 1, 28, 28)

        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
            self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
            self.fc = nn.Linear(16, 10)

        def forward(self, x):
            x = torch.relu(self.conv2(torch.relu(self.conv1(x))))
            return self.fc(x.mean((2, 3)))
""")


@pytest.fixture
def folder(tmp_path):
    """A folder of the user's with a model file in it."""
    user = tmp_path / "user"
    user.mkdir()
    (user / "net.py").write_text(NET)
    return user


def listing(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))
            if (folder / name).is_file() and name != "ran"} | {
        "dirs": str(sorted(p.name for p in folder.iterdir() if p.is_dir())).encode()}


def open_file(qtbot, window, request: ModelRequest) -> None:
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        window.open_model(request)


def test_a_python_file_runs_only_once_the_user_agrees(qtbot, window, folder, monkeypatch) -> None:
    asked = []
    monkeypatch.setattr(window, "confirm_trust", lambda message: asked.append(message) or False)
    window.open_model(ModelRequest.of(f"{folder / 'net.py'}:Net"))
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not window.worker.is_busy(), timeout=TIMEOUT)
    assert "net.py" in asked[0] and not (folder / "ran").exists()
    assert window.session.loaded.spec.name == "resnet18"  # declined: nothing changed
    monkeypatch.setattr(window, "confirm_trust", lambda message: True)
    open_file(qtbot, window, ModelRequest.of(f"{folder / 'net.py'}:Net"))
    assert (folder / "ran").exists()
    assert {"conv1", "conv2", "fc"} <= set(window.session.loaded.graph)
    assert window.session.loaded.graph.graph[g.INPUT_SHAPE] == (1, 1, 28, 28)


def test_a_dropped_model_file_opens_as_the_model(qtbot, window, folder, monkeypatch) -> None:
    asked = []
    monkeypatch.setattr(window, "confirm_trust", lambda message: asked.append(message) or True)
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        drop(window, folder / "net.py")
    assert len(asked) == 1 and "net.py" in asked[0]
    assert window.session.loaded.spec.display_name == "net.py:Net"
    assert window.models.watched_files() == [str(folder / "net.py")]


def test_a_broken_file_keeps_the_current_model(qtbot, window, folder) -> None:
    (folder / "broken.py").write_text("import torch\n\nclass Net(torch.nn.Module:\n    pass\n")
    with qtbot.waitSignal(window.sigLoadFailed, timeout=TIMEOUT) as failed:
        window.open_model(ModelRequest.of(f"{folder / 'broken.py'}:Net", trust=True))
    assert "broken.py" in failed.args[0] and "line 3" in failed.args[0]
    assert window.session.loaded.spec.name == "resnet18"
    assert window.session.diagram is not None


def test_the_watched_file_reloads_keeping_the_selection(qtbot, window, folder) -> None:
    path = folder / "net.py"
    open_file(qtbot, window, ModelRequest.of(f"{path}:Net", trust=True))
    window.session.select("conv2")
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        path.write_text(NET.replace("self.fc = nn.Linear(16, 10)",
                                    "self.fc = nn.Linear(16, 7)"))
    assert window.session.selection == "conv2" and window.view.node_item("conv2").is_selected()
    assert window.session.loaded.graph.nodes["fc"][g.OUT_SHAPE] == (1, 7)
    with qtbot.waitSignal(window.sigLoadFailed, timeout=TIMEOUT):  # a typo while editing
        path.write_text(NET + "\n  )\n")
    assert window.session.loaded.graph.nodes["fc"][g.OUT_SHAPE] == (1, 7)  # still shown
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):  # fixed: still watched
        path.write_text(NET)
    assert window.session.loaded.graph.nodes["fc"][g.OUT_SHAPE] == (1, 10)


def test_the_users_files_are_never_written(qtbot, window, folder) -> None:
    before = listing(folder)
    open_file(qtbot, window, ModelRequest.of(f"{folder / 'net.py'}:Net", trust=True))
    window.session.select("conv1")
    qtbot.waitUntil(lambda: not window.worker.is_busy(), timeout=TIMEOUT)
    assert listing(folder) == before  # no __pycache__, nothing changed


def test_a_model_that_takes_no_photos_says_so(qtbot, window, folder) -> None:
    (folder / "signal.py").write_text(textwrap.dedent("""
        from torch import nn

        def make():
            return nn.Sequential(nn.Conv1d(2, 4, 5), nn.ReLU(), nn.Flatten(), nn.Linear(496, 3))
    """))
    open_file(qtbot, window, ModelRequest.of(f"{folder / 'signal.py'}:make", trust=True,
                                          input_shape=(1, 2, 128)))
    panel = window.photo.input_panel
    assert "takes a 1×2×128 input, not photos" in panel.caption.text()
    window.photo.open(str(images.sample_images()[0]))
    assert "does not take photos" in window.error.text()
    with qtbot.waitSignal(window.timing.sigMeasured, timeout=TIMEOUT):
        window.timing.panel.runs.setValue(2)
        window.timing.measure()  # timing works on any input
    with qtbot.waitSignal(window.photo.sigPhotoShown, timeout=TIMEOUT):
        window.request_model("resnet18")  # the photo comes back with a model that takes it


def test_running_out_of_memory_is_reported_and_the_app_goes_on(qtbot, window) -> None:
    panel = window.timing.panel
    panel.batch.setValue(1_000_000)  # a 602 GB input
    with qtbot.waitSignal(window.worker.sigJobEnded, timeout=TIMEOUT,
                          check_params_cb=lambda job: job.kind is JobKind.BENCH) as ended:
        window.timing.measure()
    assert str(ended.args[0].error) == ("out of memory running resnet18 at batch 1000000 on cpu: "
                              "try a smaller batch or input")
    assert "out of memory" in window.error.text() and panel.measure_button.isEnabled()
    panel.batch.setValue(1)
    panel.runs.setValue(1)
    with qtbot.waitSignal(window.timing.sigMeasured, timeout=TIMEOUT):
        window.timing.measure()


def test_a_burst_of_requests_ends_with_the_last_ones_results(qtbot, window, tmp_path) -> None:
    rng = random.Random(6)
    samples = [str(p) for p in images.sample_images()]
    models = ["alexnet", "resnet18", "squeezenet1_0"]
    last_model, last_photo = "resnet18", None
    for step in range(50):
        action = rng.choice(["model", "photo", "click"])
        if action == "model":
            last_model = rng.choice(models)
            window.request_model(last_model)
        elif action == "photo":
            last_photo = rng.choice(samples)
            window.photo.open(last_photo)
        elif window.session.diagram is not None:
            window.session.select(rng.choice(list(window.session.diagram.graph)))
        qtbot.wait(rng.choice([0, 5, 20]))
    qtbot.waitUntil(lambda: not window.worker.is_busy() and window.photo.photo is not None
                    and window.session.loaded.spec.name == last_model, timeout=TIMEOUT)
    qtbot.wait(200)
    assert window.session.loaded.spec.name == last_model
    assert window.photo.photo.model is window.session.loaded
    if last_photo is not None:
        assert window.photo.photo.label == os.path.basename(last_photo)
    assert all(window.view.node_item(name) for name in window.session.diagram.graph)


def test_a_save_marks_what_changed_until_cleared(qtbot, window, folder) -> None:
    path = folder / "net.py"
    open_file(qtbot, window, ModelRequest.of(f"{path}:Net", trust=True))
    assert window.session.changes is None and not window.clear_changes.isVisible()
    with qtbot.waitSignal(window.sigDiagramShown, timeout=TIMEOUT):
        path.write_text(NET.replace("nn.Conv2d(8, 16, 3, padding=1)",
                                    "nn.Conv2d(8, 16, 5, padding=2)"))
    changes = window.session.changes
    assert [(c.a, c.b) for c in changes.changed] == [("conv2", "conv2")]  # shapes are kept
    assert set(changes.changed[0].fields) == {"config", "params"}
    assert not changes.added and not changes.removed
    colour = {n: window.view.node_item(n).brush().color() for n in window.session.diagram.graph}
    assert colour["conv2"] == DIFF_COLORS[NodeClass.CHANGED]
    assert {c.name() for n, c in colour.items() if n != "conv2"} == {
        DIFF_COLORS[NodeClass.SAME].name()}
    assert window.clear_changes.isVisibleTo(window)
    window.clear_changes.click()
    assert window.session.changes is None and not window.clear_changes.isVisibleTo(window)
    assert window.view.node_item("conv2").brush().color() != DIFF_COLORS[NodeClass.CHANGED]
