"""``cnnviz diff``: the table by block, the JSON object, weights under two checkpoints, model
files, and one-line errors."""
from __future__ import annotations

import json

import pytest
import torch
import torchvision
from edited_net import write_net

from cnnviz.cli import main

JSON_KEYS = {"a", "b", "matched", "added", "removed", "changed", "totals", "blocks"}


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        status = main(list(args))
    except SystemExit as exit_:  # argparse's usage errors
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def summary_names(capsys, model: str) -> list[str]:
    status, out, _ = run(capsys, "summary", model, "--json")
    assert status == 0
    return [node["name"] for node in json.loads(out)["nodes"]]


def test_json_holds_the_matches_with_summary_node_names(capsys) -> None:
    status, out, err = run(capsys, "diff", "resnet18", "resnet34", "--json")
    assert status == 0 and err == ""
    result = json.loads(out)
    assert set(result) == JSON_KEYS
    assert (result["a"], result["b"]) == ("resnet18", "resnet34")
    assert set(result["totals"]) == {"params", "macs"}
    assert result["totals"]["params"] == [11_689_512, 21_797_672]
    assert result["totals"]["macs"][1] > result["totals"]["macs"][0]
    assert len(result["added"]) == 56 and result["removed"] == [] and result["changed"] == []
    names_a, names_b = summary_names(capsys, "resnet18"), summary_names(capsys, "resnet34")
    assert sorted(a for a, _ in result["matched"]) == sorted(names_a)
    assert sorted([b for _, b in result["matched"]] + result["added"]) == sorted(names_b)
    assert all(len(pair) == 2 for pair in result["matched"])
    layer3 = next(b for b in result["blocks"] if b["block"] == "layer3")
    assert set(layer3) == {"block", "params", "macs", "added", "removed", "changed"}
    assert layer3["added"] == 28 and layer3["params"][1] > layer3["params"][0]


def test_table_lists_the_blocks_the_totals_and_the_added_modules(capsys) -> None:
    status, out, err = run(capsys, "diff", "resnet18", "resnet34")
    assert status == 0 and err == ""
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert rows["layer3"][1:4] == ["2,099,712", "6,822,400", "+4,722,688"]
    assert rows["(total)"][1:4] == ["11,689,512", "21,797,672", "+10,108,160"]
    assert rows["(total)"][-3:] == ["56", "0", "0"]
    assert "Operations: 71 in A, 127 in B: 71 matched (0 changed), 56 added, 0 removed" in out
    assert "layer3.5: layer3_5_conv1, layer3_5_bn1, layer3_5_relu, … (7 in all)" in out


def test_model_files_edited_between_two_versions(capsys, tmp_path) -> None:
    old, new = str(write_net(tmp_path, 3, 1)), str(write_net(tmp_path, 5, 2))
    status, out, _ = run(capsys, "diff", old, new, "--trust", "--json")
    assert status == 0
    assert json.loads(out)["changed"] == [{"a": "conv2", "b": "conv2",
                                           "fields": ["config", "params"]}]
    status, out, _ = run(capsys, "diff", old, new, "--trust")
    assert status == 0
    assert ("conv2 (Conv2d): config (kernel_size (3, 3) → (5, 5), padding (1, 1) → (2, 2)); "
            "params 584 → 1,608") in out


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """Two ResNet-18 state dicts that differ in layer1.1.conv2's weights."""
    folder = tmp_path_factory.mktemp("checkpoints")
    state = torchvision.models.resnet18().state_dict()
    edited = dict(state, **{"layer1.1.conv2.weight": state["layer1.1.conv2.weight"] * 1.5})
    torch.save(state, folder / "a.pt")
    torch.save(edited, folder / "b.pt")
    return str(folder / "a.pt"), str(folder / "b.pt")


def test_weights_of_two_checkpoints_rank_the_layers_by_change(capsys, checkpoints) -> None:
    first, second = checkpoints
    status, out, _ = run(capsys, "diff", "resnet18", "resnet18", "--weights-a", first,
                         "--weights-b", second, "--json")
    result = json.loads(out)
    assert status == 0 and set(result) == JSON_KEYS | {"weights"}
    assert result["weights"][0] == {"node": "layer1_1_conv2",
                                    "relative_change": pytest.approx(0.5)}
    assert len(result["weights"]) == 41
    assert all(w["relative_change"] == 0 for w in result["weights"][1:])
    status, out, _ = run(capsys, "diff", "resnet18", "resnet18", "--weights-a", first,
                         "--weights-b", second)
    assert status == 0
    assert "Weights: relative change ‖Wb − Wa‖ / ‖Wa‖ of 41 layers, 40 unchanged" in out
    assert out.splitlines()[-1].split() == ["layer1_1_conv2", "layer1.1.conv2", "0.5"]


def test_weights_are_not_compared_without_both_checkpoints(capsys, checkpoints) -> None:
    status, out, _ = run(capsys, "diff", "resnet18", "resnet18", "--weights-a", checkpoints[0],
                         "--json")
    assert status == 0 and "weights" not in json.loads(out)


def test_models_of_different_input_sizes_are_diffed_then_reported(capsys) -> None:
    status, out, err = run(capsys, "diff", "resnet18", "inception_v3", "--json")
    assert status == 1 and len(err.strip().splitlines()) == 1
    assert "1×3×224×224" in err and "1×3×299×299" in err and "--input-shape" in err
    assert {"a": "x", "b": "x", "fields": ["output_shape"]} in json.loads(out)["changed"]
    status, out, err = run(capsys, "diff", "resnet18", "inception_v3", "--input-shape",
                           "1,3,224,224", "--json")
    assert status == 0 and err == "" and json.loads(out)["changed"][0]["a"] != "x"


@pytest.mark.parametrize("args,expected", [
    (("diff", "resnet18", "resnt34"), "unknown model 'resnt34': did you mean resnet34"),
    (("diff", "resnet18"), "the following arguments are required: B"),
    (("diff", "resnet18", "resnet18", "--weights-b", "/no/such.pt"), "/no/such.pt"),
])
def test_bad_input_exits_non_zero_with_one_line(capsys, args, expected) -> None:
    status, out, err = run(capsys, *args)
    assert status != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and expected in err


def test_a_mismatched_checkpoint_names_the_file_and_the_keys(capsys, tmp_path) -> None:
    path = tmp_path / "resnet34.pt"
    torch.save(torchvision.models.resnet34().state_dict(), path)
    status, out, err = run(capsys, "diff", "resnet18", "resnet18", "--weights-a", str(path))
    assert status == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert str(path) in err and "unexpected keys" in err and "layer1.2" in err
