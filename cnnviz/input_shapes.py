"""Input shapes as users write them (``1,1,28,28``) and as models declare them, checked;
no torch, so that the command line and the Open-model dialog read them at once."""
from __future__ import annotations

import re
from typing import Any

from cnnviz.errors import CnnvizError

DEFAULT_INPUT_SHAPE = (1, 3, 224, 224)


def parse_input_shape(text: str) -> tuple[int, ...]:
    """``"1,1,28,28"`` or ``"1x1x28x28"`` → ``(1, 1, 28, 28)``: at least two positive sizes."""
    parts = [part.strip() for part in re.split(r"[,x×*]", text.strip().strip("()[]"))]
    if not all(re.fullmatch(r"[+-]?\d+", part) for part in parts):
        raise CnnvizError(f"cannot read the input shape {text!r}: write sizes separated by "
                          "commas or x, such as 1,3,224,224")
    return checked_shape(tuple(int(part) for part in parts), f"the input shape {text!r}")


def checked_shape(shape: tuple[Any, ...], what: str) -> tuple[int, ...]:
    """``shape`` itself when it has two or more positive integer sizes; else CnnvizError."""
    if len(shape) < 2:
        raise CnnvizError(f"{what} needs at least two sizes (batch and features), "
                          f"not {len(shape)}")
    if not all(isinstance(size, int) and not isinstance(size, bool) and size > 0
               for size in shape):
        raise CnnvizError(f"{what} must have sizes of 1 or more, not "
                          f"{', '.join(str(size) for size in shape)}")
    return shape
