"""Models written in Python: the model a file's class or factory builds, imported without
writing into the user's folder (the names a file offers are read, without torch, by
:func:`cnnviz.references.candidate_names`).

Building runs the file's code, under a time limit (:mod:`cnnviz.limits`); errors name the line
of the user's file that raised them (:func:`describe_error`).
"""
from __future__ import annotations

import ast
import importlib.util
import inspect
import itertools
import json
import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cnnviz.errors import CnnvizError, ModelFileError
from cnnviz.input_shapes import checked_shape
from cnnviz.limits import time_limit

_PACKAGE = Path(__file__).resolve().parent
_MODULE_NAMES = itertools.count()


def build(path: Path, attribute: str, arguments: str, time_limit_s: float
          ) -> tuple[nn.Module, str, tuple[int, ...] | None]:
    """Import the file and build ``attribute`` (a class, a factory or a model; "" for the
    file's only model class) with ``arguments``: the model in eval mode, what to call it
    (``net.py:Net``) and the input shape it declares. Runs the file's code: the caller has
    asked for trust."""
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
        raise ModelFileError(f"cannot build {name}: {describe_error(error, path)}") from None
    return built, name, declared


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
        with importing_from(path.parent), time_limit(time_limit_s, path.name, "import"):
            spec.loader.exec_module(module)
    except CnnvizError:
        sys.modules.pop(name, None)
        raise
    except (Exception, SystemExit) as error:
        sys.modules.pop(name, None)
        raise ModelFileError(f"cannot open {path.name}: {describe_error(error, path)}") \
            from None
    return module


@contextmanager
def importing_from(folder: Path) -> Iterator[None]:
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
    return built, declared_shape(built, name)


def declared_shape(model: nn.Module, name: str) -> tuple[int, ...] | None:
    """``input_shape`` (a tuple of sizes) or the shape of ``example_input`` (a tensor)."""
    shape = getattr(model, "input_shape", None)
    if shape is not None:
        if not isinstance(shape, (tuple, list, torch.Size)) \
                or not all(isinstance(size, int) for size in shape):
            raise ModelFileError(f"cannot use {name}: its input_shape must be a tuple of "
                                 f"sizes such as (1, 3, 224, 224), not {shape!r}")
        return checked_shape(tuple(shape), f"the input_shape of {name}")
    example = getattr(model, "example_input", None)
    if isinstance(example, torch.Tensor):
        return checked_shape(tuple(example.shape), f"the example_input of {name}")
    return None


def describe_error(error: BaseException, path: Path) -> str:
    """``net.py, line 12, in forward: ZeroDivisionError: division by zero``: the innermost
    frame in the user's folder (outside installed packages), or just the error."""
    if isinstance(error, SyntaxError) and error.filename and error.lineno:
        return f"{Path(error.filename).name}, line {error.lineno}: " \
               f"{type(error).__name__}: {error.msg}"
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if Path(frame.filename) == path or _is_users(frame.filename, path.parent)]
    what = first_line(error)
    if not frames:
        return what
    frame = frames[-1]
    return f"{Path(frame.filename).name}, line {frame.lineno}, in {frame.name}: {what}"


def _is_users(filename: str, folder: Path) -> bool:
    """A file in or below the user's folder that is neither installed code nor cnnviz's own."""
    file = Path(filename)
    return folder in file.parents and _PACKAGE not in file.parents \
        and not {"site-packages", "dist-packages"} & set(file.parts)


def first_line(error: BaseException) -> str:
    """The error in one line; for TorchScript's, the last line, which says what went wrong."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    if "TorchScript" in lines[0] and len(lines) > 1:
        return lines[-1]
    return f"{type(error).__name__}: {lines[0]}"
