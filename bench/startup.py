"""Start-up times, measured from outside the process, against importing torch in the same sitting.

Each launch is timed from just before the process starts until:

- ``import torch``: ``python -c "import torch, torchvision"`` has exited (the reference);
- ``--help`` and ``models``: ``python -m cnnviz --help`` / ``models`` have exited;
- ``window``: a viewable top-level X window titled "cnnviz" exists (``xwininfo`` polled);
- ``ResNet-50 drawn``: that window's title names ResNet-50. The window sets its title to the
  model in the same GUI-thread step that puts the diagram into the scene, so the title is the
  outside-visible sign that the diagram is drawn.

The app runs with a fresh settings folder under Xvfb (started on a free display when $DISPLAY
is unset). Targets, as ratios to the import's median: window ≤ 0.4, ``--help`` and ``models``
≤ 0.25, ResNet-50 drawn ≤ 1.3.

Run: ``.venv/bin/python bench/startup.py [--launches N]`` (default 3) from the repository root.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"--help": 0.25, "models": 0.25, "window": 0.4, "ResNet-50 drawn": 1.3}
POLL_S = 0.01
LIMIT_S = 120.0


def _environment(home: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), HOME=home, XDG_CONFIG_HOME=home)
    env.pop("QT_QPA_PLATFORM", None)
    return env


def time_exit(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from starting ``argv`` until it has exited (successfully)."""
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def _window_titles(env: dict[str, str]) -> list[str]:
    """The titles of the viewable top-level windows."""
    tree = subprocess.run(["xwininfo", "-root", "-children"], env=env, capture_output=True,
                          text=True).stdout
    titles = []
    for window_id, title in re.findall(r"^\s*(0x[0-9a-f]+) \"(.*?)\"", tree, re.MULTILINE):
        if title.startswith("cnnviz"):
            info = subprocess.run(["xwininfo", "-id", window_id], env=env, capture_output=True,
                                  text=True).stdout
            if "IsViewable" in info:
                titles.append(title)
    return titles


def _wait_for(found: Callable[[], bool], process: subprocess.Popen, start: float) -> float:
    while not found():
        if process.poll() is not None:
            raise RuntimeError(f"the app ended (status {process.returncode}) before it showed")
        if time.perf_counter() - start > LIMIT_S:
            raise RuntimeError("the app did not show in time")
        time.sleep(POLL_S)
    return time.perf_counter() - start


def time_window(env: dict[str, str]) -> tuple[float, float]:
    """Seconds until the window shows, and until ResNet-50 is drawn in it."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen([sys.executable, "-m", "cnnviz", "--model", "resnet50"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            shown = _wait_for(lambda: bool(_window_titles(env)), process, start)
            drawn = _wait_for(lambda: any("ResNet-50" in t for t in _window_titles(env)),
                              process, start)
        except RuntimeError as error:
            errors.seek(0)
            raise RuntimeError(f"{error}; it said: {errors.read()[-2000:]}") from None
        finally:
            process.terminate()
            process.wait()
    return shown, drawn


def _start_display() -> subprocess.Popen | None:
    """An Xvfb server on a free display when there is none; None when $DISPLAY is set."""
    if os.environ.get("DISPLAY"):
        return None
    if shutil.which("Xvfb") is None or shutil.which("xwininfo") is None:
        raise SystemExit("needs $DISPLAY, or Xvfb and xwininfo (apt-get install xvfb x11-utils)")
    number = next(n for n in range(90, 200) if not os.path.exists(f"/tmp/.X11-unix/X{n}"))
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1500x900x24"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ["DISPLAY"] = f":{number}"
    for _ in range(100):
        if os.path.exists(f"/tmp/.X11-unix/X{number}"):
            return server
        time.sleep(0.05)
    raise SystemExit("Xvfb did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=3, help="launches of each (default 3)")
    args = parser.parse_args()
    server = _start_display()
    times: dict[str, list[float]] = {what: [] for what in ("import torch", *TARGETS)}
    try:
        with tempfile.TemporaryDirectory() as home:
            env = _environment(home)
            python = [sys.executable]
            time_exit(python + ["-c", "import torch, torchvision"], env)  # warm the file cache
            for _ in range(args.launches):  # interleaved: each kind sees the same machine
                times["import torch"].append(
                    time_exit(python + ["-c", "import torch, torchvision"], env))
                times["--help"].append(time_exit(python + ["-m", "cnnviz", "--help"], env))
                times["models"].append(time_exit(python + ["-m", "cnnviz", "models"], env))
                shown, drawn = time_window(env)
                times["window"].append(shown)
                times["ResNet-50 drawn"].append(drawn)
    finally:
        if server is not None:
            server.terminate()
    reference = statistics.median(times["import torch"])
    print(f"{'what':18s} {'median s':>9s} {'ratio':>7s} {'target':>7s}  launches (s)")
    for what, measured in times.items():
        median = statistics.median(measured)
        target = f"≤ {TARGETS[what]}" if what in TARGETS else ""
        print(f"{what:18s} {median:9.2f} {median / reference:7.2f} {target:>7s}  "
              + " ".join(f"{t:.2f}" for t in measured))


if __name__ == "__main__":
    main()
