# The whole set-up: `make run` and `make test` create .venv on first use and install everything.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# What this machine installs; pyproject.toml keeps open ranges for users.
TORCH_PINS := torch==2.14.1 torchvision==0.29.1
# PySide6 6.12.0 loses a reference to None on every call (Python aborts): use 6.11.3.
QT_PINS := PySide6-Essentials==6.11.3
# pytorch-grad-cam, the tests' independent Grad-CAM. Installed without its dependencies (the
# modules it imports are in the test extra, OpenCV in the main ones) so that no resolver can
# bring OpenCV's GUI build, opencv-python, whose cv2 would replace the headless one that live
# frames are read with.
GRADCAM_PIN := grad-cam==1.5.7

.PHONY: run test bench clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_PINS) $(QT_PINS)
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q --no-deps $(GRADCAM_PIN)
	@if $(PY) -m pip show -q opencv-python >/dev/null 2>&1; then \
		echo "opencv-python (OpenCV's GUI build) is installed: cv2 must be opencv-python-headless's"; \
		exit 1; fi
	$(PY) -c "import pytorch_grad_cam, pytorch_grad_cam.utils.model_targets"
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/trace_speed.py

clean:
	rm -rf $(VENV) build *.egg-info
