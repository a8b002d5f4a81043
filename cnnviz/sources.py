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
that does all torch work (DESIGN.md), never on the GUI thread.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import itertools
import json
import pickle
import re
import sys
import traceback
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import torch
from torch import nn

from cnnviz import graph as g
from cnnviz.errors import CnnvizError, TraceError
from cnnviz.limits import time_limit
from cnnviz.trace import trace_model

DEFAULT_INPUT_SHAPE = (1, 3, 224, 224)
DEFAULT_TIME_LIMIT_S = 30.0
PYTHON_SUFFIX = ".py"
SAVED_SUFFIXES = (".pt", ".pth", ".pt2", ".ts", ".jit")

PYTHON, TORCHSCRIPT, EXPORTED, PICKLE = "python", "torchscript", "exported", "pickle"

_PACKAGE = Path(__file__).resolve().parent
_TRUST_HINT = "Open it only if you trust it: pass --trust (in the app: confirm)"
_MODULE_NAMES = itertools.count()


class UntrustedCodeError(CnnvizError):
    """Opening the file would run code from it, and trust was not given."""


class ModelFileError(CnnvizError):
    """Anything else wrong with a user's model file."""


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


def is_model_reference(text: str) -> bool:
    """Whether ``text`` names a model file (``FILE.py:NAME`` or a ``.py``, ``.pt``, ``.pth``,
    ``.pt2``, ``.ts`` or ``.jit`` path, existing or not) rather than a zoo model."""
    path, _ = _split_reference(text)
    return path.lower().endswith((PYTHON_SUFFIX, *SAVED_SUFFIXES))


def watched_file(reference: str) -> str | None:
    """The Python file behind ``reference`` (absolute), the one to watch for edits; None for
    saved models and zoo names."""
    path, _ = _split_reference(reference)
    if not path.lower().endswith(PYTHON_SUFFIX):
        return None
    return str(Path(path).expanduser().absolute())


def candidate_names(path: str) -> list[str]:
    """The names a Python file may offer as ``FILE.py:NAME``, read without running it: its
    top-level classes that derive from a ``…Module`` (or from such a class), then its public
    functions. Empty for a file that cannot be read or parsed."""
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    classes: list[str] = []
    functions: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(base).rpartition(".")[2] for base in node.bases]
            if any(base.endswith("Module") or base in classes for base in bases):
                classes.append(node.name)
        elif isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            functions.append(node.name)
    return classes + functions


def load_user_model(reference: str, *, trust: bool = False, arguments: str = "",
                    time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> UserModel:
    """Open the model that ``reference`` (``FILE.py:NAME``, ``FILE.py`` or a saved model's
    path) names, in eval mode.

    Raises :class:`UntrustedCodeError` when that would run the file's code and ``trust`` is
    False, :class:`ModelFileError` (or :class:`~cnnviz.limits.TimeLimitError`) for anything
    else. ``arguments`` (a JSON object or ``name=value, …``) go to a Python model's
    constructor or factory.
    """
    path_text, attribute = _split_reference(reference)
    path = Path(path_text).expanduser().absolute()
    _check_readable(path)
    if path.suffix.lower() == PYTHON_SUFFIX:
        return _load_python(path, attribute, trust, arguments, time_limit_s)
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


def parse_input_shape(text: str) -> tuple[int, ...]:
    """``"1,1,28,28"`` or ``"1x1x28x28"`` → ``(1, 1, 28, 28)``: at least two positive sizes."""
    parts = [part.strip() for part in re.split(r"[,x×*]", text.strip().strip("()[]"))]
    if not all(re.fullmatch(r"[+-]?\d+", part) for part in parts):
        raise CnnvizError(f"cannot read the input shape {text!r}: write sizes separated by "
                          "commas or x, such as 1,3,224,224")
    return _checked_shape(tuple(int(part) for part in parts), f"the input shape {text!r}")


def trace_user_model(user: UserModel, input_shape: tuple[int, ...] | None = None, *,
                     time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> nx.DiGraph:
    """The analysed graph of ``user`` traced on zeros of ``input_shape``, else the shape the
    model declares, else :data:`DEFAULT_INPUT_SHAPE`.

    Raises :class:`~cnnviz.errors.TraceError` naming the line of the user's file that failed,
    and :class:`~cnnviz.limits.TimeLimitError` for a forward that does not finish.
    """
    shape = _checked_shape(tuple(input_shape or user.input_shape or DEFAULT_INPUT_SHAPE),
                           "the input shape")
    shown = "×".join(str(size) for size in shape)
    try:
        example = torch.zeros(shape)
    except (RuntimeError, MemoryError) as error:
        raise CnnvizError(f"cannot make a {shown} input for {user.name}: "
                          f"{_first_line(error)}") from error
    try:
        with time_limit(time_limit_s, user.name, "trace"):
            graph = trace_model(user.module, example, user.name)
    except TraceError as error:
        reason = (_describe_error(error.__cause__, Path(user.path)) if error.__cause__
                  else str(error).removeprefix(f"cannot trace {user.name}: "))
        raise TraceError(f"cannot trace {user.name} on a {shown} input: {reason}"
                         f"{_shape_hint(user, input_shape)}") from None
    except CnnvizError:
        raise
    except (Exception, SystemExit) as error:
        raise TraceError(f"cannot trace {user.name} on a {shown} input: "
                         f"{_describe_error(error, Path(user.path))}") from None
    output = [n for n, category in graph.nodes(data=g.CATEGORY) if category == g.Category.OUTPUT]
    if not any(graph.in_degree(n) for n in output):
        raise TraceError(f"cannot draw {user.name}: its forward returns no tensor computed from "
                         "its input (cnnviz needs a tensor, or a tuple, list or dict of them)")
    return graph


# --------------------------------------------------------------------------------------------
# References and files


def _split_reference(text: str) -> tuple[str, str]:
    """``net.py:Net`` → (``net.py``, ``Net``); a path without ``:NAME`` → (path, "")."""
    head, separator, tail = text.strip().rpartition(":")
    if separator and head.lower().endswith(PYTHON_SUFFIX) \
            and all(part.isidentifier() for part in tail.split(".")):
        return head, tail
    return text.strip(), ""


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
# Python files


def _load_python(path: Path, attribute: str, trust: bool, arguments: str,
                 time_limit_s: float) -> UserModel:
    if not trust:
        raise UntrustedCodeError(f"{path.name} is Python code: opening it runs it. "
                                 f"{_TRUST_HINT}")
    keywords = _parse_arguments(arguments)
    module = _import_file(path, time_limit_s)
    attribute = attribute or _only_model_class(module, path)
    name = f"{path.name}:{attribute}"
    target = _attribute(module, attribute, path)
    try:
        with time_limit(time_limit_s, name, "build"):
            built, declared = _build(target, keywords, name)
    except CnnvizError:
        raise
    except (Exception, SystemExit) as error:
        raise ModelFileError(f"cannot build {name}: {_describe_error(error, path)}") from None
    return UserModel(built, name, str(path), PYTHON, declared)


def _parse_arguments(text: str) -> dict[str, Any]:
    """A JSON object, or Python-style keywords whose values are literals (never evaluated)."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise ModelFileError(f"cannot read the arguments {text!r}: not valid JSON "
                                 f"({error.msg}, column {error.colno})") from None
        if not all(isinstance(key, str) and key.isidentifier() for key in value):
            raise ModelFileError(f"cannot read the arguments {text!r}: names must be "
                                 "Python identifiers")
        return value
    usage = "write them as name=value, separated by commas (num_classes=10, width=0.5)"
    try:
        call = ast.parse(f"f({text})", mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ModelFileError(f"cannot read the arguments {text!r}: {usage}") from None
    if not isinstance(call, ast.Call) or call.args \
            or any(keyword.arg is None for keyword in call.keywords):
        raise ModelFileError(f"cannot read the arguments {text!r}: {usage}")
    keywords: dict[str, Any] = {}
    for keyword in call.keywords:
        try:
            keywords[keyword.arg] = ast.literal_eval(keyword.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise ModelFileError(
                f"cannot read the arguments {text!r}: the value of {keyword.arg} must be a "
                "literal (a number, string, True/False/None, or a tuple, list or dict of "
                "them)") from None
    return keywords


def _import_file(path: Path, time_limit_s: float) -> Any:
    """The file imported as a fresh module (its folder on sys.path during the import only)."""
    stem = re.sub(r"\W", "_", path.stem)
    name = f"cnnviz_user_{next(_MODULE_NAMES)}_{stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ModelFileError(f"cannot open {path.name}: Python cannot import it")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # classes find their module (inspect, dataclasses, pickling)
    try:
        with _importing_from(path.parent), time_limit(time_limit_s, path.name, "import"):
            spec.loader.exec_module(module)
    except CnnvizError:
        sys.modules.pop(name, None)
        raise
    except (Exception, SystemExit) as error:
        sys.modules.pop(name, None)
        raise ModelFileError(f"cannot open {path.name}: {_describe_error(error, path)}") \
            from None
    return module


@contextmanager
def _importing_from(folder: Path) -> Iterator[None]:
    """``folder`` first on sys.path for the block, and no ``__pycache__`` written into it (the
    app never writes into the user's folders); the modules imported from it are forgotten
    afterwards, so the next import reads the user's edited files again."""
    entry = str(folder)
    before = set(sys.modules)
    sys.path.insert(0, entry)
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        yield
    finally:
        sys.dont_write_bytecode = writes_bytecode
        if entry in sys.path:
            sys.path.remove(entry)
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None) or ""
            if file and _is_users(file, folder) and not name.startswith("cnnviz_user_"):
                del sys.modules[name]


def _only_model_class(module: Any, path: Path) -> str:
    classes = _defined(module)["model classes"]
    if len(classes) == 1:
        return classes[0]
    if not classes:
        raise ModelFileError(f"cannot open {path.name}: it defines no nn.Module subclass; name "
                             f"the model as {path.name}:NAME ({_listing(module)})")
    raise ModelFileError(f"cannot open {path.name}: it defines several models "
                         f"({', '.join(classes)}); pick one as {path.name}:{classes[0]}")


def _attribute(module: Any, attribute: str, path: Path) -> Any:
    value = module
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise ModelFileError(f"cannot open {path.name}:{attribute}: {path.name} defines no "
                                 f"{attribute} ({_listing(module)})") from None
    return value


def _defined(module: Any) -> dict[str, list[str]]:
    """The models, model classes and functions a user's module defines, by kind."""
    found: dict[str, list[str]] = {"model classes": [], "functions": [], "models": []}
    for key, value in vars(module).items():
        if key.startswith("_"):
            continue
        if isinstance(value, type) and issubclass(value, nn.Module) \
                and value.__module__ == module.__name__:
            found["model classes"].append(key)
        elif inspect.isfunction(value) and value.__module__ == module.__name__:
            found["functions"].append(key)
        elif isinstance(value, nn.Module):
            found["models"].append(key)
    return found


def _listing(module: Any) -> str:
    parts = [f"{kind}: {', '.join(names)}" for kind, names in _defined(module).items() if names]
    return "it defines " + "; ".join(parts) if parts else \
        "it defines no model classes, functions or models"


def _build(target: Any, keywords: dict[str, Any], name: str
           ) -> tuple[nn.Module, tuple[int, ...] | None]:
    """The model ``target`` stands for, in eval mode, and the input shape it declares."""
    if isinstance(target, nn.Module):
        if keywords:
            raise ModelFileError(f"cannot build {name}: it is a model already and takes no "
                                 "arguments")
        built = target
    elif isinstance(target, type) and issubclass(target, nn.Module):
        built = target(**keywords)
    elif isinstance(target, type) or not callable(target):
        what = "an imported module" if inspect.ismodule(target) else \
            "a class that is not an nn.Module" if isinstance(target, type) else \
            f"a {type(target).__name__}"
        raise ModelFileError(f"cannot build {name}: it is {what}, not an nn.Module subclass, "
                             "a function that returns a model, or a model")
    else:
        built = target(**keywords)
        if not isinstance(built, nn.Module):
            raise ModelFileError(f"cannot build {name}: it returned a "
                                 f"{type(built).__name__}, not an nn.Module")
    built.eval()
    return built, _declared_shape(built, name)


def _declared_shape(model: nn.Module, name: str) -> tuple[int, ...] | None:
    """``input_shape`` (a tuple of sizes) or the shape of ``example_input`` (a tensor)."""
    shape = getattr(model, "input_shape", None)
    if shape is not None:
        if not isinstance(shape, (tuple, list, torch.Size)) \
                or not all(isinstance(size, int) for size in shape):
            raise ModelFileError(f"cannot use {name}: its input_shape must be a tuple of "
                                 f"sizes such as (1, 3, 224, 224), not {shape!r}")
        return _checked_shape(tuple(shape), f"the input_shape of {name}")
    example = getattr(model, "example_input", None)
    if isinstance(example, torch.Tensor):
        return _checked_shape(tuple(example.shape), f"the example_input of {name}")
    return None


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
                             f"({_first_line(error)})") from None
    return UserModel(module, path.name, str(path), TORCHSCRIPT, _declared_shape(module, path.name))


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
                             f"({_first_line(error)})") from None
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
        raise ModelFileError(f"cannot open {path.name}: {_describe_error(error, path)}") \
            from None
    return UserModel(content, path.name, str(path), PICKLE, _declared_shape(content, path.name))


def _unpickle(path: Path, time_limit_s: float) -> Any:
    """A trusted pickle, its classes imported from its folder where they live."""
    try:
        with warnings.catch_warnings(), _importing_from(path.parent), \
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
                             f"{_describe_error(error, path)}{hint}") from None


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


def _describe_error(error: BaseException, path: Path) -> str:
    """``net.py, line 12, in forward: ZeroDivisionError: division by zero``: the innermost
    frame in the user's folder (outside installed packages), or just the error."""
    if isinstance(error, SyntaxError) and error.filename and error.lineno:
        return f"{Path(error.filename).name}, line {error.lineno}: " \
               f"{type(error).__name__}: {error.msg}"
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if Path(frame.filename) == path or _is_users(frame.filename, path.parent)]
    what = _first_line(error)
    if not frames:
        return what
    frame = frames[-1]
    return f"{Path(frame.filename).name}, line {frame.lineno}, in {frame.name}: {what}"


def _is_users(filename: str, folder: Path) -> bool:
    """A file in or below the user's folder that is neither installed code nor cnnviz's own."""
    file = Path(filename)
    return folder in file.parents and _PACKAGE not in file.parents \
        and not {"site-packages", "dist-packages"} & set(file.parts)


def _first_line(error: BaseException) -> str:
    """The error in one line; for TorchScript's, the last line, which says what went wrong."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    if "TorchScript" in lines[0] and len(lines) > 1:
        return lines[-1]
    return f"{type(error).__name__}: {lines[0]}"


def _torch_reason(error: BaseException) -> str:
    """torch's long load errors cut to their first sentence about what went wrong."""
    text = str(error)
    for marker in ("WeightsUnpickler error:", "failed "):
        if marker in text:
            reason = text.split(marker, 1)[1].strip().splitlines()
            if reason and reason[0].strip():
                return reason[0].strip().split(". ")[0].rstrip(".")
    return _first_line(error).split(". ")[0]


def _shape_hint(user: UserModel, given: tuple[int, ...] | None) -> str:
    if given is None and user.input_shape is None:
        return (" (the default input shape: give the model's own with --input-shape, or "
                "declare input_shape on the model)")
    if user.kind == EXPORTED and user.input_shape and tuple(given or ()) != user.input_shape:
        shape = "×".join(str(size) for size in user.input_shape)
        return f" (it was exported for a {shape} input)"
    return ""


def _checked_shape(shape: tuple[Any, ...], what: str) -> tuple[int, ...]:
    if len(shape) < 2:
        raise CnnvizError(f"{what} needs at least two sizes (batch and features), "
                          f"not {len(shape)}")
    if not all(isinstance(size, int) and not isinstance(size, bool) and size > 0
               for size in shape):
        raise CnnvizError(f"{what} must have sizes of 1 or more, not "
                          f"{', '.join(str(size) for size in shape)}")
    return shape

