"""File › Open model…: a Python file and the class or factory in it, a TorchScript file, an
exported program or a pickled module, with the input shape and constructor arguments."""
from __future__ import annotations

import os

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget)

from cnnviz import input_shapes
from cnnviz.errors import CnnvizError, UnknownModelError
from cnnviz.references import ModelFile, candidate_names, resolve_model
from cnnviz.session import ModelRequest

MODEL_FILES = "Models (*.py *.pt *.pth *.pt2 *.ts *.jit);;All files (*)"
TRUST_NOTE = ("Opening a .py file or a pickled module runs its code: you will be asked "
              "first. TorchScript files and exported programs (.pt2) run no Python code.")


class OpenModelDialog(QDialog):
    """Asks what model file to open and how; :meth:`request` is the answer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open a model")
        self.path = QLineEdit(placeholderText="net.py, model.pt, program.pt2 …")
        browse = QPushButton("Browse…")
        self.name = QComboBox(editable=True, toolTip="The nn.Module class, or a function "
                                                     "returning a module")
        self.arguments = QLineEdit(placeholderText='e.g. num_classes=10 or {"width": 0.5}')
        self.input_shape = QLineEdit(
            placeholderText=f"the model's own, else {','.join(map(str, input_shapes.DEFAULT_INPUT_SHAPE))}")
        self.error = QLabel(wordWrap=True, styleSheet="color: #b00020", visible=False)
        note = QLabel(TRUST_NOTE, wordWrap=True, styleSheet="color: palette(placeholder-text)")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                   | QDialogButtonBox.StandardButton.Cancel)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("File", row)
        form.addRow("Class or factory", self.name)
        form.addRow("Arguments", self.arguments)
        form.addRow("Input shape", self.input_shape)
        form.addRow(note)
        form.addRow(self.error)
        form.addRow(buttons)
        self.resize(560, 0)
        browse.clicked.connect(self._browse)
        self.path.textChanged.connect(self._on_path_change)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self._on_path_change()

    def request(self) -> ModelRequest:
        """The model to open as filled in; CnnvizError for a missing file or bad shape."""
        path = self.path.text().strip()
        if not path:
            raise CnnvizError("choose a model file")
        name = self.name.currentText().strip()
        text = f"{path}:{name}" if path.endswith(".py") and name else path
        try:
            reference = resolve_model(text)
        except UnknownModelError:  # read as a zoo name: the file's name does not end right
            reference = None
        if not isinstance(reference, ModelFile):
            raise CnnvizError(f"{os.path.basename(path)} is not a model file "
                              f"(.py, .pt, .pth, .pt2, .ts or .jit)")
        shape_text = self.input_shape.text().strip()
        shape = input_shapes.parse_input_shape(shape_text) if shape_text else None
        return ModelRequest(reference, input_shape=shape, arguments=self.arguments.text().strip())

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a model", self.path.text(), MODEL_FILES)
        if path:
            self.path.setText(path)

    def _on_path_change(self) -> None:
        path = self.path.text().strip()
        python = path.endswith(".py")
        self.name.setEnabled(python)
        self.arguments.setEnabled(python)
        self.name.clear()
        if python and os.path.isfile(path):
            self.name.addItems(candidate_names(path))
        self.error.hide()

    def _accept(self) -> None:
        try:
            self.request()
        except CnnvizError as error:
            self.error.setText(str(error))
            self.error.show()
            return
        self.accept()
