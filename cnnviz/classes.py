"""A classifier's classes: their labels and the most probable ones, read from probabilities
with numpy alone (no torch: the command line's defaults come from here)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOP_K = 5


@dataclass(frozen=True)
class Prediction:
    """One class of a prediction."""

    index: int
    label: str
    prob: float


def as_json(top: list[Prediction]) -> list[dict]:
    """Predictions as the commands' JSON writes them: ``{"index", "label", "prob"}`` each."""
    return [{"index": p.index, "label": p.label, "prob": p.prob} for p in top]


def top_predictions(probabilities: np.ndarray, categories: list[str] | None,
                    k: int = TOP_K) -> list[Prediction]:
    """The ``k`` most probable classes, most probable first."""
    order = np.argsort(-probabilities, kind="stable")[:k]
    return [Prediction(int(i), class_label(categories, int(i)), float(probabilities[i]))
            for i in order]


def class_label(categories: list[str] | None, index: int) -> str:
    """The label of class ``index``, or ``class N`` where the model has none."""
    return categories[index] if categories and index < len(categories) else f"class {index}"
