"""Which model a piece of text names: a zoo model or a model file.

Text enters from the command line, the model picker, the Open-model dialog and drops; each of
those calls :func:`resolve_model` once, and everything downstream takes the resolved object.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from cnnviz import zoo
from cnnviz.errors import ModelFileError, UnknownModelError

PYTHON_SUFFIX = ".py"
SAVED_SUFFIXES = (".pt", ".pth", ".pt2", ".ts", ".jit")


@dataclass(frozen=True)
class ZooModel:
    """A model of the zoo, by its spec."""

    spec: zoo.ModelSpec

    @property
    def label(self) -> str:
        """What to call it while it opens."""
        return self.spec.display_name

    @property
    def zoo_name(self) -> str:
        """The builder name: the model the app may reopen at start."""
        return self.spec.name

    @property
    def origin(self) -> str:
        """Where the model comes from."""
        return f"torchvision.models.{self.spec.name}"

    @property
    def watched_file(self) -> None:
        """Zoo models have no source file to watch."""
        return None


@dataclass(frozen=True)
class ModelFile:
    """A user's model file: ``path`` (absolute) and, for a Python file, the class or factory
    in it (``attribute``; "" for the file's only model class, and for saved models)."""

    path: str
    attribute: str = ""

    @property
    def is_python(self) -> bool:
        """Whether opening it means running its code as a Python module."""
        return self.path.lower().endswith(PYTHON_SUFFIX)

    @property
    def label(self) -> str:
        """The file's name, with ``:NAME`` where one was given: ``net.py:Net``."""
        name = Path(self.path).name
        return f"{name}:{self.attribute}" if self.attribute else name

    @property
    def zoo_name(self) -> None:
        """Files are never reopened unasked."""
        return None

    @property
    def origin(self) -> str:
        """Where the model comes from: the file's path."""
        return self.path

    @property
    def watched_file(self) -> str | None:
        """The Python file to watch for edits; None for saved models."""
        return self.path if self.is_python else None


ModelReference = ZooModel | ModelFile


def resolve_model(text: str) -> ModelReference:
    """Turn text into a zoo model (a builder name, display name or alias: ``resnet50``,
    ``ResNet-50``) or a model file (``FILE.py:NAME``, ``FILE.py``, or a ``.pt``, ``.pth``,
    ``.pt2``, ``.ts`` or ``.jit`` path; the file need not exist yet).

    Raises :class:`ModelFileError` for a Python file named with a malformed ``:NAME`` and
    :class:`~cnnviz.errors.UnknownModelError`, with suggestions, for any other text.
    """
    text = text.strip()
    if not text:
        raise UnknownModelError("no model named: give a zoo name (see `cnnviz models`) or a "
                                "model file")
    head, separator, tail = text.rpartition(":")
    if separator and head.lower().endswith(PYTHON_SUFFIX):
        if not all(part.isidentifier() for part in tail.split(".")):
            raise ModelFileError(f"cannot open {Path(head).name}:{tail}: after the colon "
                                 "give the name of a class or function in the file")
        return ModelFile(_absolute(head), tail)
    if text.lower().endswith((PYTHON_SUFFIX, *SAVED_SUFFIXES)):
        return ModelFile(_absolute(text))
    return ZooModel(zoo.get_spec(text))


def _absolute(path: str) -> str:
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
