"""Errors cnnviz reports to the user: each message is one clear, specific line."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class CnnvizError(Exception):
    """Base of every error shown to the user as a message rather than a traceback."""


class Cancelled(Exception):
    """Long work (a run, a benchmark) stopped because its ``cancelled`` callback said so."""


class UnknownModelError(CnnvizError):
    """A model name that is not in the zoo."""


class ModelFileError(CnnvizError):
    """A user's model file that cannot be opened, or text that names one badly."""


class UntrustedCodeError(CnnvizError):
    """Opening a model file would run code from it, and trust was not given."""


class WeightsError(CnnvizError):
    """Weights that cannot be found, downloaded, read or matched to the model."""


class TraceError(CnnvizError):
    """A model that neither tracer could turn into a graph."""


_OUT_OF_MEMORY = ("out of memory", "can't allocate memory", "not enough memory")


@contextmanager
def out_of_memory_reported(doing: str) -> Iterator[None]:
    """Turn running out of memory inside the block into a CnnvizError saying what was being
    done ("running resnet50 at batch 4096 on cpu"); other errors pass through. torch raises
    RuntimeError subclasses for both CPU and GPU allocators."""
    try:
        yield
    except (RuntimeError, MemoryError) as error:
        text = str(error).lower()
        if not isinstance(error, MemoryError) and not any(w in text for w in _OUT_OF_MEMORY):
            raise
        raise CnnvizError(f"out of memory {doing}: try a smaller batch or input") from error
