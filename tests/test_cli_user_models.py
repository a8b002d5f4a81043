"""The commands on users' model files: a .py class with --trust, TorchScript, --input-shape,
non-image inputs, and one-line errors."""
from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz import images
from cnnviz.cli import main

MNIST_NET = textwrap.dedent("""
    import torch
    from torch import nn

    class Net(nn.Module):
        input_shape = (1, 1, 28, 28)

        def __init__(self, classes=10):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
            self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Linear(16 * 7 * 7, classes)

        def forward(self, x):
            x = self.pool(torch.relu(self.conv1(x)))
            x = self.pool(torch.relu(self.conv2(x)))
            return self.fc(torch.flatten(x, 1))

    class Signal(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(2, 4, 5)
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            return self.fc(self.conv(x).mean(-1))

    class MLP(nn.Module):
        input_shape = (1, 3, 32, 32)

        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(3 * 32 * 32, 16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))
""")


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def net_file(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(MNIST_NET)
    return path


def reference_net(classes: int = 10) -> nn.Module:
    namespace: dict = {}
    exec(MNIST_NET, namespace)  # the test's own copy, to count against
    return namespace["Net"](classes)


def test_a_python_class_needs_trust(capsys, net_file) -> None:
    status, out, err = run(capsys, "summary", f"{net_file}:Net")
    assert status == 1 and out == "" and err.count("\n") == 1
    assert "net.py" in err and "--trust" in err


def test_summary_of_a_python_class_with_arguments(capsys, net_file) -> None:
    status, out, err = run(capsys, "summary", f"{net_file}:Net", "--trust", "--args",
                           "classes=5", "--json")
    assert status == 0, err
    summary = json.loads(out)
    net = reference_net(5)
    assert summary["input_shape"] == [1, 1, 28, 28]  # declared by the class
    assert summary["total_params"] == sum(p.numel() for p in net.parameters())
    conv2 = next(n for n in summary["nodes"] if n["name"] == "conv2")
    assert conv2["out_shape"] == [1, 16, 14, 14]
    assert conv2["macs"] == 16 * 14 * 14 * 8 * 3 * 3
    assert summary["nodes"][-2]["out_shape"] == [1, 5]


def test_a_one_dimensional_signal_net_with_an_input_shape(capsys, net_file) -> None:
    status, out, err = run(capsys, "summary", f"{net_file}:Signal", "--trust",
                           "--input-shape", "1,2,128", "--json")
    assert status == 0, err
    conv = next(n for n in json.loads(out)["nodes"] if n["name"] == "conv")
    assert conv["out_shape"] == [1, 4, 124] and conv["macs"] == 4 * 124 * 2 * 5
    assert conv["rf"] == 5
    status, out, err = run(capsys, "predict", f"{net_file}:Signal", "--trust",
                           "--input-shape", "1,2,128", str(images.sample_images()[0]))
    assert status == 1 and err == "cnnviz: error: net.py:Signal takes a 1×2×128 input, not an image\n"


def test_predict_with_a_grayscale_net(capsys, net_file) -> None:
    status, out, err = run(capsys, "predict", f"{net_file}:Net", "--trust", "--json",
                           str(images.sample_images()[0]))
    assert status == 0, err
    result = json.loads(out)
    assert len(result["top"]) == 5 and result["top"][0]["label"].startswith("class ")


def test_gradcam_on_user_models(capsys, net_file, tmp_path) -> None:
    """A map at the photo's size for a convolutional net; one line for a net without maps, or
    for a class label where the model has none."""
    photo, path = str(images.sample_images()[0]), tmp_path / "cam.npy"
    status, out, err = run(capsys, "gradcam", f"{net_file}:Net", photo, "--trust", "--layer",
                           "conv2", "--class", "3", "-o", str(path))
    assert status == 0, err
    assert out == f"wrote {path}: Grad-CAM at conv2 for class 3 (3)\n"
    assert np.load(path).shape == (28, 28)
    status, out, err = run(capsys, "gradcam", f"{net_file}:Net", photo, "--trust", "--layer",
                           "conv2", "--class", "tabby", "-o", str(path))
    assert status == 1 and err == ("cnnviz: error: net.py:Net has no class labels: give --class "
                                   "an index\n")
    status, out, err = run(capsys, "gradcam", f"{net_file}:MLP", photo, "--trust", "--layer",
                           "fc1", "-o", str(tmp_path / "mlp.npy"))
    assert status == 1 and out == "" and not (tmp_path / "mlp.npy").exists()
    assert err == ("cnnviz: error: Grad-CAM needs a layer with a spatial reading, and "
                   "net.py:MLP has none: fc1 outputs 1×16 (NC)\n")


def test_torchscript_files_open_without_trust(capsys, tmp_path) -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(4, 2))
    path = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(model), str(path))
    status, out, err = run(capsys, "summary", str(path), "--input-shape", "1,3,32,32", "--json")
    assert status == 0, err
    assert json.loads(out)["total_params"] == sum(p.numel() for p in model.parameters())
    status, out, err = run(capsys, "bench", str(path), "--input-shape", "1,3,32,32", "--runs",
                           "2", "--json")
    result = json.loads(out)[0]
    assert status == 0 and result["median_ms"] > 0
    assert result["layers"] == [] and result["coverage"] is None  # TorchScript hides them
    status, out, err = run(capsys, "activations", str(path), str(images.sample_images()[0]),
                           "--input-shape", "1,3,32,32", "--layer", "output",
                           "-o", str(tmp_path / "a.npy"))
    assert status == 1 and err.count("\n") == 1 and "TorchScript" in err


def test_bench_a_model_file(capsys, net_file) -> None:
    status, out, err = run(capsys, "bench", f"{net_file}:Net", "--trust", "--runs", "2",
                           "--json")
    assert status == 0, err
    result = json.loads(out)[0]
    assert {layer["name"] for layer in result["layers"]} >= {"conv1", "conv2", "fc"}


@pytest.mark.parametrize("text", ["1,3,x", "0,3,4,4", "5"])
def test_a_bad_input_shape_is_one_line(capsys, text) -> None:
    status, out, err = run(capsys, "summary", "resnet18", "--input-shape", text)
    assert status == 1 and out == "" and err.count("\n") == 1


def test_a_zoo_model_at_another_input_size(capsys) -> None:
    status, out, _ = run(capsys, "summary", "resnet18", "--input-shape", "1,3,320,320",
                         "--json")
    summary = json.loads(out)
    assert status == 0 and summary["input_shape"] == [1, 3, 320, 320]
    conv1 = next(n for n in summary["nodes"] if n["name"] == "conv1")
    assert conv1["out_shape"] == [1, 64, 160, 160]
