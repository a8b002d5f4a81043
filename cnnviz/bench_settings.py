"""How a timing runs (device, precision, batch, runs): the settings and their defaults, which
the command line and the Timing panel need before torch has loaded. Checking them against
the machine imports torch (:mod:`cnnviz.timing`)."""
from __future__ import annotations

from dataclasses import dataclass

from cnnviz.errors import CnnvizError

PRECISION_NAMES = ("fp32", "fp16", "bf16")
DEFAULT_RUNS = 20
DEFAULT_WARMUP = 3


@dataclass(frozen=True)
class BenchSettings:
    """How to run: device, precision, batch size, runs, memory format and CPU threads
    (None: torch's current setting)."""

    device: str = "cpu"
    dtype: str = "fp32"
    batch: int = 1
    runs: int = DEFAULT_RUNS
    warmup: int = DEFAULT_WARMUP
    channels_last: bool = False
    threads: int | None = None

    def check(self) -> None:
        """DeviceError for an absent device or precision, CnnvizError for bad numbers."""
        for name, value, least in (("batch", self.batch, 1), ("runs", self.runs, 1),
                                   ("warmup", self.warmup, 0)):
            if value < least:
                raise CnnvizError(f"--{name} must be {least} or more, not {value}")
        if self.threads is not None and self.threads < 1:
            raise CnnvizError(f"--threads must be 1 or more, not {self.threads}")
        from cnnviz import timing

        device = timing.resolve_device(self.device)
        problem = timing.precision_problem(device.name, self.dtype)
        if problem:
            raise timing.DeviceError(problem)

    def describe(self) -> str:
        """One line, e.g. "cpu · fp32 · batch 1 · 2 threads"."""
        parts = [self.device, self.dtype, f"batch {self.batch}"]
        if self.channels_last:
            parts.append("channels-last")
        if self.device == "cpu":
            threads = self.threads
            if threads is None:  # torch's own count: describing set threads needs no torch
                import torch

                threads = torch.get_num_threads()
            parts.append(f"{threads} thread{'s' if threads > 1 else ''}")
        return " · ".join(parts)
