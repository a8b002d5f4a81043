"""`cnnviz bench`: the JSON keys other tools read, the table, and one-line errors."""
from __future__ import annotations

import json

import pytest
import torch
import torchvision

from cnnviz.cli import main
from cnnviz.trace import trace_model

KEYS = {"model", "device", "dtype", "batch", "median_ms", "p10_ms", "p90_ms", "images_per_s",
        "instrumented_median_ms", "layers", "coverage"}


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_json_has_one_object_a_model_with_every_layer(capsys) -> None:
    status, out, err = run(capsys, "bench", "alexnet", "squeezenet1_0", "--runs", "3",
                           "--warmup", "1", "--batch", "2", "--json")
    assert status == 0 and err == ""
    results = json.loads(out)
    assert [r["model"] for r in results] == ["alexnet", "squeezenet1_0"]
    for result in results:
        assert KEYS <= set(result)
        assert (result["device"], result["dtype"], result["batch"]) == ("cpu", "fp32", 2)
        assert result["p10_ms"] <= result["median_ms"] <= result["p90_ms"]
        assert result["images_per_s"] == pytest.approx(2000 / result["median_ms"])
        layers = result["layers"]
        assert all(set(layer) == {"name", "ms"} for layer in layers)
        assert result["coverage"] == pytest.approx(
            sum(layer["ms"] for layer in layers) / result["instrumented_median_ms"])
    graph = trace_model(torchvision.models.alexnet(), torch.zeros(1, 3, 224, 224), "alexnet")
    assert [layer["name"] for layer in results[0]["layers"]] == list(graph)


def test_the_table_names_the_settings_and_slowest_layers(capsys) -> None:
    status, out, _ = run(capsys, "bench", "alexnet", "--runs", "2", "--warmup", "0",
                         "--dtype", "bf16", "--channels-last", "--threads", "1")
    lines = out.splitlines()
    assert status == 0
    assert lines[0] == "alexnet · cpu · bf16 · batch 1 · channels-last · 1 thread · 2 runs"
    assert lines[1].startswith("  median ") and "images/s" in lines[1]
    assert "layers cover" in lines[2] and len(lines) == 3 + 5


@pytest.mark.parametrize("args, message", [
    (["--device", "tpu"], "cnnviz: error: no device 'tpu' (available: cpu"),
    (["--batch", "0"], "cnnviz: error: --batch must be 1 or more, not 0"),
    (["--threads", "0"], "cnnviz: error: --threads must be 1 or more, not 0"),
])
def test_bad_settings_fail_with_one_line(capsys, args, message) -> None:
    status, out, err = run(capsys, "bench", "alexnet", *args)
    assert status == 1 and out == ""
    assert err.startswith(message) and err.count("\n") == 1


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_an_absent_gpu_fails_with_the_reason(capsys) -> None:
    status, out, err = run(capsys, "bench", "alexnet", "--device", "cuda")
    assert status == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("cnnviz: error: cuda is not available: ")


def test_an_unknown_precision_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "alexnet", "--dtype", "fp8"])
    assert exit_.value.code == 2
    assert "invalid choice: 'fp8'" in capsys.readouterr().err
