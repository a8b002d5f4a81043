"""The command line: JSON output checked against torchvision, and one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
import torchvision

from cnnviz.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_summary_json_holds_the_model_numbers_and_graph(capsys) -> None:
    status, out, err = run(capsys, "summary", "resnet18", "--json")
    assert status == 0 and err == ""
    summary = json.loads(out)
    reference = torchvision.models.ResNet18_Weights.DEFAULT.meta
    assert summary["model"] == "resnet18" and summary["tracer"] == "torch.fx"
    assert summary["total_params"] == reference["num_params"]
    assert abs(summary["total_macs"] / 1e9 - reference["_ops"]) < 0.0005
    names = [n["name"] for n in summary["nodes"]]
    assert len(names) == len(set(names)) == 71
    assert all(a in names and b in names for a, b in summary["edges"])
    conv1 = next(n for n in summary["nodes"] if n["name"] == "conv1")
    assert conv1 | {"qualname": "conv1", "module_type": "Conv2d", "category": "conv",
                    "out_shape": [1, 64, 112, 112], "params": 9408, "rf": 7} == conv1
    assert conv1["macs"] == 64 * 112 * 112 * 3 * 7 * 7
    fc = next(n for n in summary["nodes"] if n["name"] == "fc")
    assert fc["rf"] is None and fc["rf_global"]
    assert (conv1["layout"], fc["layout"]) == ("NCHW", "NC")
    assert sum(n["params"] for n in summary["nodes"]) == summary["total_params"]
    assert len(summary["skip_edges"]) == 8


def test_summary_depth_collapses_blocks(capsys) -> None:
    status, out, _ = run(capsys, "summary", "resnet18", "--depth", "2", "--json")
    summary = json.loads(out)
    names = [n["name"] for n in summary["nodes"]]
    assert status == 0
    assert [n for n in names if n.startswith("layer")] == [
        f"layer{i}.{j}" for i in range(1, 5) for j in range(2)]
    assert summary["total_params"] == sum(n["params"] for n in summary["nodes"])


def test_summary_table_lists_layers_and_totals(capsys) -> None:
    status, out, _ = run(capsys, "summary", "alexnet")
    assert status == 0
    assert "features_12" in out and "195×195 (jump 32)" in out
    assert "Total params: 61,100,840" in out and "tracer: torch.fx" in out


def test_models_lists_the_zoo_landmarks_first(capsys) -> None:
    status, out, _ = run(capsys, "models")
    rows = [line.split()[0] for line in out.splitlines()[2:]]
    assert status == 0
    assert rows[:2] == ["alexnet", "vgg11"] and "densenet201" in rows and "vit_b_16" in rows


def test_summary_loads_a_checkpoint(capsys, tmp_path) -> None:
    path = tmp_path / "resnet18.pt"
    torch.save({"state_dict": torchvision.models.resnet18().state_dict()}, path)
    status, out, _ = run(capsys, "summary", "resnet18", "--weights", str(path), "--json")
    assert status == 0 and json.loads(out)["total_params"] == 11_689_512


@pytest.mark.parametrize("args,expected", [
    (("summary", "resnt50"), "did you mean resnet50"),
    (("summary", "resnet18", "--depth", "0"), "--depth must be 1 or more"),
    (("summary", "resnet18", "--depth", "two"), "invalid int value"),
    (("summary", "resnet18", "--weights", "/no/such/file.pt"), "/no/such/file.pt"),
    (("frobnicate",), "invalid choice"),
    (("export", "resnet18", "-o", "x.json", "--orientation", "sideways"), "invalid choice"),
])
def test_bad_input_exits_non_zero_with_one_line(capsys, args, expected) -> None:
    try:
        status = main(list(args))
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    assert status != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and expected in err


def test_mismatched_checkpoint_names_the_keys(capsys, tmp_path) -> None:
    path = tmp_path / "wrong.pt"
    torch.save(torchvision.models.resnet34().state_dict(), path)
    status, _, err = run(capsys, "summary", "resnet18", "--weights", str(path))
    assert status == 1 and len(err.strip().splitlines()) == 1
    assert "unexpected" in err and "layer1.2" in err


def test_console_script_runs_as_a_process() -> None:
    done = subprocess.run([sys.executable, "-m", "cnnviz", "summary", "nosuchnet"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().startswith("cnnviz: error: unknown model 'nosuchnet'")


def test_export_left_to_right_with_folded_stacks(capsys, tmp_path) -> None:
    path = tmp_path / "r50.json"
    assert main(["export", "resnet50", "-o", str(path), "--orientation", "lr", "--fold"]) == 0
    exported = json.loads(path.read_text())
    assert exported["orientation"] == "lr"
    boxes = {node["name"]: node for node in exported["nodes"]}
    for edge in exported["edges"]:  # every edge runs left to right
        xs = [x for x, _ in edge["points"]]
        assert xs == sorted(xs)
        assert boxes[edge["from"]]["x"] < boxes[edge["to"]]["x"]
    stacks = {n["name"]: (n["repeat"], n["members"]) for n in exported["nodes"] if "repeat" in n}
    assert stacks["layer3.1"] == (5, [f"layer3.{i}" for i in range(1, 6)])
    assert set(stacks) == {"layer1.1", "layer2.1", "layer3.1", "layer4.1"}
    assert main(["export", "resnet50", "-o", str(path)]) == 0  # by default: unfolded, down
    exported = json.loads(path.read_text())
    assert exported["orientation"] == "tb" and not any("repeat" in n for n in exported["nodes"])
