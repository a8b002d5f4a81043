"""Checkpoint files written with ``torch.save``: reading them safely (tensors only) and
loading their state_dict into a model with every key checked."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping

import torch
from torch import nn

from cnnviz.errors import WeightsError

# Keys that a checkpoint may lack: the auxiliary classifiers of GoogLeNet and Inception-v3 only
# run in training mode (torchvision's pretrained GoogLeNet drops them), and batch norm fills in
# a missing ``num_batches_tracked`` itself (checkpoints older than PyTorch 0.4.1 lack it).
_OPTIONAL_KEY_PREFIXES = ("aux1.", "aux2.", "AuxLogits.")
_OPTIONAL_KEY_SUFFIX = "num_batches_tracked"
# Entries under which training scripts commonly nest the state_dict.
_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model")
# Prefixes added to every key by DataParallel / DistributedDataParallel and torch.compile.
_WRAPPER_PREFIXES = ("module.", "_orig_mod.")
# torchvision's DenseNet checkpoints name layers ``norm.1`` where the modules are now ``norm1``.
_LEGACY_DENSENET_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.([12]\.(?:weight|bias|running_mean|running_var))$"
)
_NAMES_SHOWN = 5


def load_checkpoint(
    model: nn.Module, path: str | os.PathLike[str], *, model_name: str | None = None
) -> None:
    """Load a ``torch.save``-d state_dict from ``path`` into ``model``, checking every key.

    Accepts a bare state_dict or one under a ``state_dict``, ``model_state_dict`` or ``model``
    entry, with ``module.`` (DataParallel) or ``_orig_mod.`` (torch.compile) prefixes, and
    torchvision's legacy DenseNet key names. Missing keys of GoogLeNet's and Inception-v3's
    auxiliary classifiers are accepted: those heads only run in training mode, so eval-mode
    results do not depend on them. Any other missing, unexpected or wrongly shaped key, and any
    file that is not a readable checkpoint, raises :class:`WeightsError` naming the file.
    """
    path = os.fspath(path)
    state = _state_dict(_read_checkpoint(path), path)
    expected = model.state_dict()
    missing = [
        key for key in expected
        if key not in state
        and not key.startswith(_OPTIONAL_KEY_PREFIXES)
        and not key.endswith(_OPTIONAL_KEY_SUFFIX)
    ]
    unexpected = [key for key in state if key not in expected]
    mismatched = [
        f"{key}: checkpoint {tuple(tensor.shape)} vs model {tuple(expected[key].shape)}"
        for key, tensor in state.items()
        if key in expected and tensor.shape != expected[key].shape
    ]
    problems = [
        _count(items, noun, plural)
        for items, noun, plural in (
            (missing, "missing key", "missing keys"),
            (unexpected, "unexpected key", "unexpected keys"),
            (mismatched, "shape mismatch", "shape mismatches"),
        )
        if items
    ]
    if problems:
        target = model_name or type(model).__name__
        raise WeightsError(f"checkpoint {path} does not match {target}: {', '.join(problems)}")
    model.load_state_dict(state, strict=False)


def _read_checkpoint(path: str) -> object:
    """What ``torch.load`` finds in ``path`` (tensors and plain containers only)."""
    if not os.path.exists(path):
        raise WeightsError(f"checkpoint file not found: {path}")
    if os.path.isdir(path):
        raise WeightsError(f"checkpoint path is a directory, not a file: {path}")
    if os.path.getsize(path) == 0:
        raise WeightsError(f"checkpoint file is empty: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except OSError as error:
        reason = error.strerror or error
        raise WeightsError(f"cannot read checkpoint file {path}: {reason}") from error
    # torch.load raises almost any type (KeyError, UnpicklingError, RuntimeError, ...) on a file
    # that is not a checkpoint.
    except Exception as error:
        unsafe = re.search(r"Unsupported global: GLOBAL (\S+)", str(error))
        if unsafe:
            raise WeightsError(
                f"checkpoint file {path} holds Python objects ({unsafe[1]}) that cannot be "
                "loaded safely; save the model's state_dict() instead"
            ) from error
        raise WeightsError(
            f"{path} is not a PyTorch checkpoint "
            f"(torch.load failed: {load_error_reason(error)})"
        ) from error


def _is_state_dict(content: object) -> bool:
    return (
        isinstance(content, Mapping)
        and len(content) > 0
        and all(isinstance(key, str) and isinstance(value, torch.Tensor)
                for key, value in content.items())
    )


def _state_dict(content: object, path: str) -> dict[str, torch.Tensor]:
    """The state_dict inside a loaded checkpoint, with wrapper prefixes and legacy names fixed."""
    while isinstance(content, Mapping) and not _is_state_dict(content):
        inner = next(
            (content[key] for key in _WRAPPER_KEYS if isinstance(content.get(key), Mapping)),
            None,
        )
        if inner is None:
            if not content:
                raise WeightsError(f"checkpoint file {path} holds an empty dict, not a state_dict")
            raise WeightsError(
                f"checkpoint file {path} holds a dict that is not a state_dict "
                f"(keys {_names([str(key) for key in content])}) and has no 'state_dict' "
                "or 'model' entry"
            )
        content = inner
    if not isinstance(content, Mapping):
        raise WeightsError(
            f"checkpoint file {path} holds a {type(content).__name__}, not a state_dict"
        )
    state = dict(content)
    while prefix := next(
        (prefix for prefix in _WRAPPER_PREFIXES if all(key.startswith(prefix) for key in state)),
        None,
    ):
        state = {key[len(prefix):]: value for key, value in state.items()}
    return {_LEGACY_DENSENET_KEY.sub(r"\1\2", key): value for key, value in state.items()}


def _names(items: list[str]) -> str:
    """At most a few names, then how many more."""
    shown = ", ".join(items[:_NAMES_SHOWN])
    hidden = len(items) - _NAMES_SHOWN
    return f"{shown}, …and {hidden} more" if hidden > 0 else shown


def _count(items: list[str], noun: str, plural: str) -> str:
    return f"{len(items)} {noun if len(items) == 1 else plural} ({_names(items)})"


def load_error_reason(error: BaseException) -> str:
    """A one-line account of an exception from torch or a download."""
    text = str(error)
    unpickler = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", text)
    if unpickler:
        return unpickler[1].strip()
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
