"""The zoo's table of torchvision's published numbers (cnnviz/zoo_numbers.py, read without
torch) against torchvision's own metadata, so that it cannot drift.

Run this file to print the table afresh: ``python tests/test_zoo_numbers.py``.
"""
from __future__ import annotations

import torchvision

from cnnviz import zoo_numbers
from cnnviz.zoo_numbers import DefaultWeights


def torchvision_facts(name: str) -> DefaultWeights:
    """What torchvision says of ``name``'s default weights, read from their metadata."""
    weights = torchvision.models.get_model_weights(name).DEFAULT
    transforms, meta = weights.transforms(), weights.meta
    metrics = meta["_metrics"]["ImageNet-1K"]
    normalisation = next(key for key, value in zoo_numbers.NORMALISATIONS.items()
                         if value == (tuple(transforms.mean), tuple(transforms.std)))
    return DefaultWeights(str(weights), int(transforms.resize_size[0]),
                          int(transforms.crop_size[0]), normalisation,
                          transforms.interpolation.value, meta["num_params"], meta["_ops"],
                          metrics["acc@1"], metrics["acc@5"])


def test_the_table_lists_every_torchvision_classifier() -> None:
    assert sorted(zoo_numbers.DEFAULT_WEIGHTS) == sorted(
        torchvision.models.list_models(module=torchvision.models))


def test_every_row_agrees_with_torchvision_metadata() -> None:
    differing = {name: (row, torchvision_facts(name))
                 for name, row in zoo_numbers.DEFAULT_WEIGHTS.items()
                 if row != torchvision_facts(name)}
    assert differing == {}


if __name__ == "__main__":
    for name in sorted(torchvision.models.list_models(module=torchvision.models)):
        print(f"    {name!r}: DefaultWeights{tuple(torchvision_facts(name))!r},")
