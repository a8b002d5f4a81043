"""Clusters: the hierarchy as nested boxes, cut where a cluster has no member."""
from __future__ import annotations


def test_cluster_labels_and_depths(layouts):
    _, layout = layouts["resnet18"]
    labels = {c.label: c.depth for c in layout.clusters}
    assert labels["layer2 · Sequential"] == 0
    assert labels["layer2.0 · BasicBlock"] == 1
    assert labels["layer2.0.downsample · Sequential"] == 2
