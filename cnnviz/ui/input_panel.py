"""The input: the photo as the network sees it, the sample gallery, and Grad-CAM's controls."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QCompleter, QHBoxLayout, QLabel,
                               QListWidget, QListWidgetItem, QPushButton, QSizePolicy, QSlider,
                               QVBoxLayout, QWidget)

from cnnviz.maps import OVERLAY_OPACITY

TOP_PREDICTION = "top prediction"
PICTURE_SIZE = 150  # pixels: the photo as the network sees it, with room below for top-5
_PATH_ROLE = Qt.ItemDataRole.UserRole


def pixmap_from_array(image: np.ndarray) -> QPixmap:
    """An (H, W, 3) uint8 array as a pixmap."""
    image = np.ascontiguousarray(image)
    height, width = image.shape[:2]
    qimage = QImage(image.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimage.copy())


def fitted_pixmap(image: np.ndarray, side: int, smooth: bool = True) -> QPixmap:
    """An (H, W, 3) uint8 array as a pixmap fitting a ``side``-pixel square, aspect kept
    (``smooth=False``: faster, for video frames)."""
    mode = (Qt.TransformationMode.SmoothTransformation if smooth
            else Qt.TransformationMode.FastTransformation)
    return pixmap_from_array(image).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, mode)


class InputPanel(QWidget):
    """Shows the prepared input (or it with Grad-CAM on top) and offers photos to try."""

    sigSampleChosen = Signal(str)  # the sample's path
    sigOpenRequested = Signal()
    sigGradCamChanged = Signal()  # Grad-CAM switched on/off or its class changed
    sigOpacityChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture = QLabel("Drop a photo anywhere on the window", alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedHeight(PICTURE_SIZE)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.picture.setStyleSheet("border: 1px dashed #aaa; color: #777;")
        self.caption = QLabel(wordWrap=True, styleSheet="color: #555")
        self.gallery = QListWidget(viewMode=QListWidget.ViewMode.IconMode, flow=QListWidget.Flow.LeftToRight,
                                   wrapping=False, movement=QListWidget.Movement.Static)
        self.gallery.setIconSize(QSize(44, 44))
        self.gallery.setFixedHeight(58)
        self.gallery.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.gallery.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.gallery.setToolTip("Sample photos (public domain / CC0, see resources/samples)")
        open_button = QPushButton("Open image…")
        open_button.setToolTip("Or drop a file anywhere on the window, or paste (Ctrl+V)")
        self.gradcam = QCheckBox("Grad-CAM")
        self.gradcam.setToolTip("Grad-CAM at the selected layer: where the class's evidence is")
        self.target_class = QComboBox(editable=True)
        self.target_class.addItem(TOP_PREDICTION)
        self.target_class.setToolTip("The class to explain: the top prediction, or type a class")
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100,
                                      value=round(100 * OVERLAY_OPACITY))
        self.opacity_slider.setToolTip("Opacity of the Grad-CAM overlay")
        cam_row = QHBoxLayout()
        cam_row.addWidget(self.gradcam)
        cam_row.addWidget(self.target_class, 1)
        opacity_row = QHBoxLayout()
        opacity_row.addWidget(QLabel("Opacity:"))
        opacity_row.addWidget(self.opacity_slider, 1)
        opacity_row.addWidget(open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.gallery)
        layout.addWidget(self.picture)
        layout.addWidget(self.caption)
        layout.addLayout(cam_row)
        layout.addLayout(opacity_row)
        open_button.clicked.connect(self.sigOpenRequested)
        self.gallery.itemClicked.connect(
            lambda item: self.sigSampleChosen.emit(item.data(_PATH_ROLE)))
        self.gradcam.toggled.connect(lambda _on: self.sigGradCamChanged.emit())
        self.target_class.activated.connect(lambda _index: self.sigGradCamChanged.emit())
        self.opacity_slider.valueChanged.connect(
            lambda value: self.sigOpacityChanged.emit(value / 100))

    def set_samples(self, paths: list[Path]) -> None:
        """The gallery's photos."""
        self.gallery.clear()
        for path in paths:
            item = QListWidgetItem(QIcon(str(path)), "")
            item.setData(_PATH_ROLE, str(path))
            item.setToolTip(path.name)
            self.gallery.addItem(item)

    def set_categories(self, labels: list[str]) -> None:
        """The classes Grad-CAM can explain."""
        self.target_class.clear()
        self.target_class.addItem(TOP_PREDICTION)
        self.target_class.addItems(labels)
        completer = QCompleter(labels, self.target_class)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.target_class.setCompleter(completer)

    def show_image(self, image: np.ndarray | None, caption: str) -> None:
        """An (H, W, 3) uint8 image: the input, or the input with an overlay (None: none)."""
        if image is None:
            self.picture.clear()
            self.caption.setText(caption)
            return
        self.picture.setPixmap(fitted_pixmap(image, PICTURE_SIZE - 4))
        self.picture.setStyleSheet("")
        self.caption.setText(caption)

    def gradcam_enabled(self) -> bool:
        """Whether Grad-CAM is on."""
        return self.gradcam.isChecked()

    def class_text(self) -> str:
        """The class to explain; "" for the top prediction."""
        text = self.target_class.currentText().strip()
        return "" if text in ("", TOP_PREDICTION) else text

    def opacity(self) -> float:
        """Grad-CAM overlay opacity, 0..1."""
        return self.opacity_slider.value() / 100
