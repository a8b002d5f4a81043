"""How numbers and shapes are written for people, the same in the CLI and the app."""
from __future__ import annotations

from collections.abc import Sequence


def count(value: int) -> str:
    """``25,557,032``."""
    return f"{value:,}"


def metric(value: float, unit: str = "") -> str:
    """``4.09G``, ``118M MACs``, ``512``: three significant digits and an SI prefix."""
    suffix = f" {unit}" if unit else ""
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            scaled = value / factor
            digits = 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0
            return f"{scaled:.{digits}f}{prefix}{suffix}"
    return f"{value:g}{suffix}"


def size_in_bytes(value: int) -> str:
    """``6.1 MiB``."""
    for factor, unit in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if value >= factor:
            return f"{value / factor:.1f} {unit}"
    return f"{value} B"


def shape(dims: Sequence[int] | None) -> str:
    """``1×64×56×56``, or ``–`` where there is no tensor."""
    return "×".join(str(d) for d in dims) if dims else "–"


def percent(fraction: float) -> str:
    """``12.3%``."""
    return f"{100 * fraction:.1f}%"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """Rows under a header and a rule, in padded columns; ``right``: right-aligned columns."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), "  ".join("─" * w for w in widths), *map(line, rows)])
