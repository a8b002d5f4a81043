"""Entry point of ``cnnviz`` and ``python -m cnnviz``."""
from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (the window when given no command). Nothing here imports torch:
    the help, ``models`` and the window come first (docs/ARCHITECTURE.md, "Start-up")."""
    from cnnviz import cli

    return cli.main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    raise SystemExit(main())
