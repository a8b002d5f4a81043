"""Entry point of ``cnnviz`` and ``python -m cnnviz``."""
from __future__ import annotations

import sys
from collections.abc import Sequence

import torch  # noqa: F401  (torch before any Qt module: avoids DLL clashes on Windows)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (the summary of the default model when given no command)."""
    from cnnviz import cli

    return cli.main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    raise SystemExit(main())
