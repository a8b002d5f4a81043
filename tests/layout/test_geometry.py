"""Box sizes estimated from text."""
from __future__ import annotations

from cnnviz.layout import node_size


def test_node_size_grows_with_text():
    one = node_size(["conv1"])
    wide = node_size(["conv1", "Conv2d 3→64, 7×7, stride 2"])
    assert wide[0] > one[0] and wide[1] > one[1]
    assert node_size([]) == node_size([""])
