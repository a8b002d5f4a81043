"""File › Open model…: the dialog offers the file's classes and factories without running
it, and turns what was filled in into a request (or says what is wrong)."""
from __future__ import annotations

import textwrap

from cnnviz.session import ModelRequest
from cnnviz.ui.open_model import OpenModelDialog

SOURCE = textwrap.dedent("""
    import pathlib
    from torch import nn

    pathlib.Path(__file__).with_name("ran").touch()

    class Block(nn.Module):
        pass

    class Net(Block):
        pass

    def make_net(width=1):
        return Net()

    def _private():
        pass
""")


def test_the_dialog_lists_models_without_running_the_file(qtbot, tmp_path) -> None:
    path = tmp_path / "net.py"
    path.write_text(SOURCE)
    dialog = OpenModelDialog()
    qtbot.addWidget(dialog)
    dialog.path.setText(str(path))
    names = [dialog.name.itemText(i) for i in range(dialog.name.count())]
    assert names == ["Block", "Net", "make_net"] and not (tmp_path / "ran").exists()
    dialog.name.setCurrentText("make_net")
    dialog.arguments.setText("width=2")
    dialog.input_shape.setText("1x1x28x28")
    assert dialog.request() == ModelRequest.of(f"{path}:make_net", input_shape=(1, 1, 28, 28),
                                            arguments="width=2")


def test_bad_entries_are_explained_and_the_dialog_stays(qtbot, tmp_path) -> None:
    dialog = OpenModelDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog._accept()
    assert dialog.error.text() == "choose a model file" and dialog.isVisible()
    dialog.path.setText(str(tmp_path / "notes.txt"))
    dialog._accept()
    assert "notes.txt is not a model file" in dialog.error.text()
    dialog.path.setText(str(tmp_path / "model.pt"))
    assert not dialog.name.isEnabled() and not dialog.arguments.isEnabled()
    dialog.input_shape.setText("1,3,a")
    dialog._accept()
    assert "cannot read the input shape '1,3,a'" in dialog.error.text() and dialog.isVisible()
    dialog.input_shape.setText("1,3,64,64")
    dialog._accept()
    assert not dialog.isVisible()
    assert dialog.request() == ModelRequest.of(str(tmp_path / "model.pt"), input_shape=(1, 3, 64, 64))
