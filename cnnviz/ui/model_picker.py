"""The model picker: the zoo grouped by family, the ImageNet landmarks first, and the weights."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from cnnviz import formatting, zoo

RANDOM, PRETRAINED, FROM_FILE = "random", "pretrained", "file"
_NAME_ROLE = Qt.ItemDataRole.UserRole


class ModelPicker(QWidget):
    """Emits ``sigModelChosen(name, weights)`` when the user picks a model or its weights."""

    sigModelChosen = Signal(str, str)  # zoo name, "random" | "pretrained" | checkpoint path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filter = QLineEdit(placeholderText="Filter models…", clearButtonEnabled=True)
        self._tree = QTreeWidget(headerHidden=True, rootIsDecorated=True)
        self._tree.setColumnCount(2)
        self._weights = QComboBox()
        self._weights.addItem("Random weights (instant, offline)", RANDOM)
        self._weights.addItem("Pretrained (torchvision)", PRETRAINED)
        self._weights.addItem("From checkpoint file…", FROM_FILE)
        self._checkpoint = ""
        self._fill()
        weights_row = QHBoxLayout()
        weights_row.addWidget(QLabel("Weights:"))
        weights_row.addWidget(self._weights, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._filter)
        layout.addWidget(self._tree, 1)
        layout.addLayout(weights_row)
        self._filter.textChanged.connect(self._on_filter_change)
        self._tree.itemActivated.connect(self._on_item_activate)
        self._tree.itemClicked.connect(self._on_item_activate)
        self._weights.activated.connect(self._on_weights_change)

    def current_model(self) -> str:
        """The zoo name highlighted in the tree ("" if none)."""
        item = self._tree.currentItem()
        return item.data(0, _NAME_ROLE) or "" if item else ""

    def weights(self) -> str:
        """``random``, ``pretrained`` or the chosen checkpoint's path."""
        choice = self._weights.currentData()
        return self._checkpoint if choice == FROM_FILE else choice

    def show_model(self, name: str, weights: str) -> None:
        """Highlight ``name`` and its weights without emitting (e.g. after a failed load); a
        name outside the zoo (a model file) highlights nothing."""
        found = [item for item in self._items() if item.data(0, _NAME_ROLE) == name]
        if not found:
            self._tree.clearSelection()
            return
        self._tree.setCurrentItem(found[0])
        self._tree.scrollToItem(found[0])
        mode = weights if weights in (RANDOM, PRETRAINED) else FROM_FILE
        if mode == FROM_FILE:
            self._checkpoint = weights
        self._weights.setCurrentIndex(self._weights.findData(mode))

    def _fill(self) -> None:
        families: dict[str, QTreeWidgetItem] = {}
        for spec in zoo.list_models():
            family = families.get(spec.family)
            if family is None:
                year = f" ({spec.year})" if spec.year else ""
                family = QTreeWidgetItem(self._tree, [spec.family + year])
                family.setFlags(family.flags() & ~Qt.ItemFlag.ItemIsSelectable)
                families[spec.family] = family
            item = QTreeWidgetItem(family, [spec.display_name,
                                            formatting.metric(spec.reference.num_params)])
            item.setData(0, _NAME_ROLE, spec.name)
            item.setToolTip(0, f"{spec.name} · {formatting.count(spec.reference.num_params)} "
                               f"params · {spec.reference.gflops:.2f} GMACs")
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
        header = self._tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, header.ResizeMode.Stretch)
        header.setSectionResizeMode(1, header.ResizeMode.ResizeToContents)

    def _items(self) -> list[QTreeWidgetItem]:
        return [self._tree.topLevelItem(i).child(j) for i in range(self._tree.topLevelItemCount())
                for j in range(self._tree.topLevelItem(i).childCount())]

    def _on_filter_change(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self._tree.topLevelItemCount()):
            family = self._tree.topLevelItem(i)
            visible = 0
            for j in range(family.childCount()):
                item = family.child(j)
                hit = not needle or needle in item.text(0).lower() or needle in (
                    item.data(0, _NAME_ROLE) or "") or needle in family.text(0).lower()
                item.setHidden(not hit)
                visible += hit
            family.setHidden(visible == 0)
            family.setExpanded(bool(needle) and visible > 0)

    def _on_item_activate(self, item: QTreeWidgetItem) -> None:
        name = item.data(0, _NAME_ROLE)
        if name:
            self.sigModelChosen.emit(name, self.weights())
        else:
            item.setExpanded(not item.isExpanded())

    def _on_weights_change(self) -> None:
        if self._weights.currentData() == FROM_FILE:
            path, _ = QFileDialog.getOpenFileName(self, "Open a checkpoint", "",
                                                  "PyTorch checkpoints (*.pt *.pth *.ckpt *.bin);;"
                                                  "All files (*)")
            if not path:
                self._weights.setCurrentIndex(self._weights.findData(RANDOM))
                return
            self._checkpoint = path
        if self.current_model():
            self.sigModelChosen.emit(self.current_model(), self.weights())
