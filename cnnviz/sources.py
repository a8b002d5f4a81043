"""Opening the user's own models: a Python file, TorchScript, an exported program, a pickle.

What each kind of file needs, and whether opening it runs code from the file:

- ``net.py:Net`` (``.py``): the file is imported and ``Net`` built; this runs the file's code,
  so it needs trust (``--trust``, or the user's confirmation in the app). ``Net`` may be an
  ``nn.Module`` subclass (instantiated), a factory function (called) or a module instance;
  ``arguments`` are passed to the constructor or factory. Without ``:NAME`` the file must
  define exactly one ``nn.Module`` subclass.
- TorchScript (``torch.jit.save``): loaded with ``torch.jit.load``; no trust needed.
- An exported program (``torch.export.save``, ``.pt2``): loaded with ``torch.export.load``.
  Its weights and example inputs can hold pickles that torch unpickles with
  ``weights_only=False``; without trust, loading patches ``torch.load`` to weights-only (and
  ``pickle.loads`` to refuse) for its duration, so such a program needs trust.
- Anything else written with ``torch.save``: read with ``weights_only=True``. A state_dict is
  refused with a pointer to ``--weights``; a pickled ``nn.Module`` needs trust, and is then
  unpickled with the file's folder on ``sys.path``.

The kind is told from the file's content, not its name. Every failure becomes a one-line
:class:`~cnnviz.errors.CnnvizError` naming the file (and, for errors in the user's code, the
innermost line of it), and code from the file runs under a time limit
(:mod:`cnnviz.limits`). All of this runs on the calling thread: call it on the worker thread
that does all torch work, never on the GUI thread.
"""
from __future__ import annotations

import importlib
import pickle
import re
import warnings
import zipfile
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import torch
from torch import nn

from cnnviz import graph as g
from cnnviz import python_models
from cnnviz.errors import CnnvizError, ModelFileError, TraceError, UntrustedCodeError
from cnnviz.limits import time_limit
from cnnviz.input_shapes import (DEFAULT_INPUT_SHAPE, checked_shape,  # noqa: F401 (API)
                                 parse_input_shape)
from cnnviz.python_models import declared_shape, describe_error, first_line, importing_from
from cnnviz.references import ModelFile
from cnnviz.trace import trace_model

DEFAULT_TIME_LIMIT_S = 30.0

PYTHON, TORCHSCRIPT, EXPORTED, PICKLE = "python", "torchscript", "exported", "pickle"

_TRUST_HINT = "Open it only if you trust it: pass --trust (in the app: confirm)"


@dataclass(frozen=True)
class UserModel:
    """A model opened from the user's file.

    ``module`` is in eval mode (an exported program's module runs as it was exported: its
    ``train()`` and ``eval()`` only set flags). ``input_shape`` is the shape the model
    declares, or None.
    """

    module: nn.Module
    name: str  # what to call it: "net.py:Net", "model.pt"
    path: str  # absolute path of the file
    kind: str  # PYTHON, TORCHSCRIPT, EXPORTED or PICKLE
    input_shape: tuple[int, ...] | None


def load_user_model(reference: ModelFile, *, trust: bool = False, arguments: str = "",
                    time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> UserModel:
    """Open the model in the file ``reference`` names, in eval mode.

    Raises :class:`UntrustedCodeError` when that would run the file's code and ``trust`` is
    False, :class:`ModelFileError` (or :class:`~cnnviz.limits.TimeLimitError`) for anything
    else. ``arguments`` (a JSON object or ``name=value, …``) go to a Python model's
    constructor or factory.
    """
    path, attribute = Path(reference.path), reference.attribute
    _check_readable(path)
    if reference.is_python:
        if not trust:
            raise UntrustedCodeError(f"{path.name} is Python code: opening it runs it. "
                                     f"{_TRUST_HINT}")
        module, name, declared = python_models.build(path, attribute, arguments, time_limit_s)
        return UserModel(module, name, str(path), PYTHON, declared)
    if attribute or arguments.strip():
        what = f":{attribute}" if attribute else "constructor arguments"
        raise ModelFileError(f"cannot open {path.name}: {what} only apply to Python files "
                             "(FILE.py:NAME)")
    kind = _saved_kind(path)
    if kind == TORCHSCRIPT:
        return _load_torchscript(path)
    if kind == EXPORTED:
        return _load_exported(path, trust)
    return _load_pickle(path, trust, time_limit_s)


def trace_user_model(user: UserModel, input_shape: tuple[int, ...] | None = None, *,
                     time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> nx.DiGraph:
    """The analysed graph of ``user`` traced on zeros of ``input_shape``, else the shape the
    model declares, else :data:`DEFAULT_INPUT_SHAPE`.

    Raises :class:`~cnnviz.errors.TraceError` naming the line of the user's file that failed,
    and :class:`~cnnviz.limits.TimeLimitError` for a forward that does not finish.
    """
    shape = checked_shape(tuple(input_shape or user.input_shape or DEFAULT_INPUT_SHAPE),
                          "the input shape")
    shown = "×".join(str(size) for size in shape)
    try:
        example = torch.zeros(shape)
    except (RuntimeError, MemoryError) as error:
        raise CnnvizError(f"cannot make a {shown} input for {user.name}: "
                          f"{first_line(error)}") from error
    try:
        with time_limit(time_limit_s, user.name, "trace"):
            graph = trace_model(user.module, example, user.name)
    except TraceError as error:
        reason = (describe_error(error.__cause__, Path(user.path)) if error.__cause__
                  else str(error).removeprefix(f"cannot trace {user.name}: "))
        raise TraceError(f"cannot trace {user.name} on a {shown} input: {reason}"
                         f"{_shape_hint(user, input_shape)}") from None
    except CnnvizError:
        raise
    except (Exception, SystemExit) as error:
        raise TraceError(f"cannot trace {user.name} on a {shown} input: "
                         f"{describe_error(error, Path(user.path))}") from None
    output = [n for n, category in graph.nodes(data=g.CATEGORY) if category == g.Category.OUTPUT]
    if not any(graph.in_degree(n) for n in output):
        raise TraceError(f"cannot draw {user.name}: its forward returns no tensor computed from "
                         "its input (cnnviz needs a tensor, or a tuple, list or dict of them)")
    return graph


# --------------------------------------------------------------------------------------------
# References and files


def _check_readable(path: Path) -> None:
    if path.is_dir():
        raise ModelFileError(f"cannot open {path.name}: it is a folder, not a model file")
    try:
        with open(path, "rb") as file:
            empty = not file.read(1)
    except FileNotFoundError:
        raise ModelFileError(f"cannot open {path.name}: no such file ({path})") from None
    except PermissionError:
        raise ModelFileError(f"cannot open {path.name}: permission denied") from None
    except OSError as error:
        raise ModelFileError(f"cannot open {path.name}: {error.strerror or error}") from None
    if empty:
        raise ModelFileError(f"cannot open {path.name}: the file is empty")


def _saved_kind(path: Path) -> str:
    """TORCHSCRIPT, EXPORTED or PICKLE, from the archive's entries (torch.save's zip archives
    and its older plain pickles are both PICKLE)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        return PICKLE
    if any(name.rpartition("/")[2] == "constants.pkl" for name in names):
        return TORCHSCRIPT
    if any(name.rpartition("/")[2] == "archive_format" for name in names):
        return EXPORTED
    return PICKLE


# --------------------------------------------------------------------------------------------
# Saved models


def _load_torchscript(path: Path) -> UserModel:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit's deprecation notices
            module = torch.jit.load(str(path), map_location="cpu")
        module.eval()
    except Exception as error:
        raise ModelFileError(f"cannot open {path.name}: a damaged TorchScript file "
                             f"({first_line(error)})") from None
    return UserModel(module, path.name, str(path), TORCHSCRIPT, declared_shape(module, path.name))


def _load_exported(path: Path, trust: bool) -> UserModel:
    guard = _WeightsOnly() if not trust else None
    try:
        with warnings.catch_warnings(), guard or nullcontext():
            warnings.simplefilter("ignore")
            program = torch.export.load(str(path))
            module = program.module()
    except Exception as error:
        if guard is not None and guard.refused:
            raise UntrustedCodeError(f"{path.name} is an exported program that holds pickled "
                                     f"Python objects ({guard.refused}); unpickling them runs "
                                     f"code from the file. {_TRUST_HINT}") from None
        raise ModelFileError(f"cannot open {path.name}: not a readable exported program "
                             f"({first_line(error)})") from None
    inputs = program.graph_signature.user_inputs
    if len(inputs) != 1:
        raise ModelFileError(f"cannot open {path.name}: the program takes {len(inputs)} inputs; "
                             "cnnviz draws models with one input tensor")
    for fixed in ("train", "eval"):  # ep.module() forbids them; its graph ignores the mode
        vars(module).pop(fixed, None)
    return UserModel(module, path.name, str(path), EXPORTED, _exported_shape(program))


def _exported_shape(program: torch.export.ExportedProgram) -> tuple[int, ...] | None:
    """The shape of the example input stored with the program, else of its input placeholder
    where every size is fixed."""
    args, kwargs = program.example_inputs or ((), {})
    if len(args) == 1 and not kwargs and isinstance(args[0], torch.Tensor):
        return tuple(args[0].shape)
    name = program.graph_signature.user_inputs[0]
    for node in program.graph.nodes:
        if node.op == "placeholder" and node.name == name:
            value = node.meta.get("val")
            sizes = getattr(value, "shape", None)
            if sizes is not None and all(isinstance(size, int) for size in sizes):
                return tuple(sizes)
    return None


def _load_pickle(path: Path, trust: bool, time_limit_s: float) -> UserModel:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            content = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        pickled_global = _refused_global(error)
        if pickled_global is None:
            raise ModelFileError(f"cannot open {path.name}: not a PyTorch model file, or a "
                                 f"damaged one ({_torch_reason(error)})") from None
        if not trust:
            raise UntrustedCodeError(f"{path.name} is a pickled Python object "
                                     f"({pickled_global}); unpickling it runs code from the "
                                     f"file. {_TRUST_HINT}") from None
        content = _unpickle(path, time_limit_s)
    except Exception as error:
        raise ModelFileError(f"cannot open {path.name}: not a PyTorch model file, or a "
                             f"damaged one ({_torch_reason(error)})") from None
    if isinstance(content, dict):
        raise ModelFileError(f"cannot open {path.name}: it is a checkpoint of weights (a "
                             "state_dict), not a model; open the architecture it belongs to "
                             f"with --weights {path.name} (a zoo model)")
    if not isinstance(content, nn.Module):
        raise ModelFileError(f"cannot open {path.name}: it holds a {type(content).__name__}, "
                             "not a model")
    try:
        content.eval()
    except Exception as error:
        raise ModelFileError(f"cannot open {path.name}: {describe_error(error, path)}") \
            from None
    return UserModel(content, path.name, str(path), PICKLE, declared_shape(content, path.name))


def _unpickle(path: Path, time_limit_s: float) -> Any:
    """A trusted pickle, its classes imported from its folder where they live."""
    try:
        with warnings.catch_warnings(), importing_from(path.parent), \
                time_limit(time_limit_s, path.name, "unpickle"):
            warnings.simplefilter("ignore")
            return torch.load(str(path), map_location="cpu", weights_only=False)
    except CnnvizError:
        raise
    except (Exception, SystemExit) as error:
        hint = (" (a pickled model needs the module of its class: open that .py file as "
                "FILE.py:NAME instead)" if isinstance(error, (ImportError, AttributeError))
                else "")
        raise ModelFileError(f"cannot open {path.name}: unpickling failed: "
                             f"{describe_error(error, path)}{hint}") from None


def _refused_global(error: pickle.UnpicklingError) -> str | None:
    """What torch's weights-only unpickler refused to import, if that is why it failed."""
    found = re.search(r"GLOBAL ([\w.]+)", str(error))
    return found.group(1) if found else None


class _WeightsOnly:
    """While active, ``torch.load`` loads weights only and torch.export's ``pickle.loads``
    refuses: what ``torch.export.load`` would otherwise unpickle with code. ``refused`` says
    what was refused, if anything."""

    def __init__(self) -> None:
        self.refused = ""
        self._package = importlib.import_module("torch.export.pt2_archive._package")

    def __enter__(self) -> None:
        self._load, self._pickle = torch.load, self._package.pickle
        torch.load = self._weights_only_load
        self._package.pickle = _RefusingPickle(self)

    def __exit__(self, *exc: object) -> None:
        torch.load, self._package.pickle = self._load, self._pickle

    def _weights_only_load(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["weights_only"] = True
        try:
            return self._load(*args, **kwargs)
        except pickle.UnpicklingError as error:
            self.refused = _refused_global(error) or self.refused
            raise


class _RefusingPickle:
    """Stands in for the pickle module: refuses to unpickle."""

    def __init__(self, guard: _WeightsOnly) -> None:
        self._guard = guard

    def loads(self, *args: Any, **kwargs: Any) -> Any:
        self._guard.refused = "a pickled constant"
        raise pickle.UnpicklingError("unpickling refused without trust")


# --------------------------------------------------------------------------------------------
# Messages


def _torch_reason(error: BaseException) -> str:
    """torch's long load errors cut to their first sentence about what went wrong."""
    text = str(error)
    for marker in ("WeightsUnpickler error:", "failed "):
        if marker in text:
            reason = text.split(marker, 1)[1].strip().splitlines()
            if reason and reason[0].strip():
                return reason[0].strip().split(". ")[0].rstrip(".")
    return first_line(error).split(". ")[0]


def _shape_hint(user: UserModel, given: tuple[int, ...] | None) -> str:
    if given is None and user.input_shape is None:
        return (" (the default input shape: give the model's own with --input-shape, or "
                "declare input_shape on the model)")
    if user.kind == EXPORTED and user.input_shape and tuple(given or ()) != user.input_shape:
        shape = "×".join(str(size) for size in user.input_shape)
        return f" (it was exported for a {shape} input)"
    return ""
