"""Clusters: the hierarchy as nested boxes, cut where a cluster has no member."""
from __future__ import annotations

from cnnviz.layout.clusters import Clusters, Hierarchy, build_clusters, cluster_boxes
from cnnviz.layout.geometry import CLUSTER_LABEL_HEIGHT, CLUSTER_PAD


def test_cluster_labels_and_depths(layouts):
    _, layout = layouts["resnet18"]
    labels = {c.label: c.depth for c in layout.clusters}
    assert labels["layer2 · Sequential"] == 0
    assert labels["layer2.0 · BasicBlock"] == 1
    assert labels["layer2.0.downsample · Sequential"] == 2


M = (("m", "Block"),)
INNER = M + (("m.0", "Conv"),)
LABEL = CLUSTER_PAD + CLUSTER_LABEL_HEIGHT


def spans(clusters: Clusters) -> list[tuple[Hierarchy, int, int]]:
    return [(piece.key, piece.start, piece.end) for piece in clusters.pieces[1:]]


def test_a_cluster_is_cut_where_it_has_no_member():
    # Nodes 0 and 2 are in m, node 1 between them is not.
    clusters = build_clusters([M, (), M], [0, 1, 2], [(0, 1), (1, 2)], [])
    assert spans(clusters) == [(M, 0, 0), (M, 2, 2)]
    assert clusters.node_piece == [1, 0, 2]


def test_an_edge_inside_a_cluster_keeps_it_whole_unless_on_a_rail():
    edges = [(0, 1), (1, 2), (0, 2)]
    assert spans(build_clusters([M, (), M], [0, 1, 2], edges, [])) == [(M, 0, 2)]
    assert spans(build_clusters([M, (), M], [0, 1, 2], edges, {2})) == [(M, 0, 0), (M, 2, 2)]


def test_nested_pieces_and_how_far_their_boxes_reach():
    # m holds nodes 0 to 2; m.0 holds 0 and 1: it starts with m and ends before it.
    clusters = build_clusters([INNER, INNER, M], [0, 1, 2], [(0, 1), (1, 2)], [])
    assert spans(clusters) == [(M, 0, 2), (INNER, 0, 1)]
    _, outer, inner = clusters.pieces
    assert (outer.parent, outer.children, outer.depth) == (0, (2,), 0)
    assert (inner.parent, inner.children, inner.depth) == (1, (), 1)
    assert clusters.chain(2) == [2, 1, 0]
    assert clusters.top_reach == [0.0, 2 * LABEL, LABEL]  # m's label above m.0's
    assert clusters.bottom_reach == [0.0, CLUSTER_PAD, CLUSTER_PAD]


def test_boxes_pad_their_contents():
    clusters = build_clusters([INNER, INNER, M], [0, 1, 2], [(0, 1), (1, 2)], [])
    boxes = cluster_boxes(clusters, clusters.node_piece, [0.0, 50.0, 100.0], [10.0, 10.0, 20.0],
                          [0.0, 100.0, 200.0], [40.0, 140.0, 240.0])
    outer, inner = boxes
    assert (inner.path, inner.label, inner.depth) == ("m.0", "m.0 · Conv", 1)
    left, right = -10 - CLUSTER_PAD, 60 + CLUSTER_PAD
    top, bottom = -LABEL, 140 + CLUSTER_PAD
    assert (inner.x, inner.width) == ((left + right) / 2, right - left)
    assert (inner.y, inner.height) == ((top + bottom) / 2, bottom - top)
    left, right = left - CLUSTER_PAD, 120 + CLUSTER_PAD
    top, bottom = -2 * LABEL, 240 + CLUSTER_PAD
    assert (outer.path, outer.depth) == ("m", 0)
    assert (outer.x, outer.width) == ((left + right) / 2, right - left)
    assert (outer.y, outer.height) == ((top + bottom) / 2, bottom - top)
