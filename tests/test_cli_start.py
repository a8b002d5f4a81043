"""The help, argument errors and ``cnnviz models`` need no torch: with torch made unimportable
they give the same output as with it."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cnnviz import zoo
from cnnviz.cli import build_parser

# torch and torchvision made unimportable: ``import torch`` raises ImportError.
WITHOUT_TORCH = "import sys\nsys.modules['torch'] = sys.modules['torchvision'] = None\n"
RUN = "from cnnviz.__main__ import main\nraise SystemExit(main({argv!r}))\n"
COMMANDS = sorted(build_parser()._subparsers._group_actions[0].choices)  # every one


def cnnviz(argv: list[str], torch: bool) -> subprocess.CompletedProcess:
    code = ("" if torch else WITHOUT_TORCH) + RUN.format(argv=argv)
    env = dict(os.environ, COLUMNS="100")  # argparse wraps help to the terminal's width
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.mark.parametrize("argv", [["--help"], *([command, "--help"] for command in COMMANDS),
                                  ["models"], ["summary"], ["bench", "resnet18", "--dtype", "fp8"],
                                  ["--orientation", "up"], ["no-such-command"]])
def test_runs_without_torch_as_with_it(argv: list[str]) -> None:
    without, with_torch = cnnviz(argv, torch=False), cnnviz(argv, torch=True)
    assert "Traceback" not in without.stderr
    assert (without.returncode, without.stdout, without.stderr) == \
        (with_torch.returncode, with_torch.stdout, with_torch.stderr)


def test_models_without_torch_lists_the_whole_zoo() -> None:
    done = cnnviz(["models"], torch=False)
    assert done.returncode == 0, done.stderr
    names = [line.split()[0] for line in done.stdout.splitlines()[2:]]
    assert names == [spec.name for spec in zoo.list_models()]


def test_an_argument_error_is_one_line_without_torch() -> None:
    done = cnnviz(["summary"], torch=False)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("cnnviz summary: error:")
