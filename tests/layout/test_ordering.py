"""Ordering: every rank a permutation of its items, clusters contiguous, siblings in one order,
rails on their sides."""
from __future__ import annotations

import itertools

import pytest
from layout_checks import layered
from synthetic_models import SYNTHETIC_MODELS, random_model

from cnnviz.layout.ordering import order_ranks

GRAPHS = {"googlenet": SYNTHETIC_MODELS["googlenet"], "resnet50": SYNTHETIC_MODELS["resnet50"],
          "densenet121": SYNTHETIC_MODELS["densenet121"],
          **{f"random{seed}": lambda seed=seed: random_model(seed) for seed in range(8)}}


@pytest.mark.parametrize("name", GRAPHS)
def test_clusters_stay_contiguous_and_siblings_keep_one_order(name):
    _, _, clusters, graph = layered(GRAPHS[name]())
    ordering = order_ranks(graph, clusters)
    assert sorted(itertools.chain(*ordering.order)) == list(range(len(graph.rank)))
    sides: dict[tuple[int, int], bool] = {}
    for r, order in enumerate(ordering.order):
        assert {graph.rank[item] for item in order} == {r}
        assert [ordering.pos[item] for item in order] == list(range(len(order)))
        where: dict[int, list[int]] = {}  # piece -> indices of its items (inner pieces' too)
        for index, item in enumerate(order):
            for piece in graph.ancestors[item]:
                where.setdefault(piece, []).append(index)
        assert ordering.segment_start[r] == {piece: found[0] for piece, found in where.items()}
        for piece, found in where.items():
            assert found == list(range(found[0], found[0] + len(found))), f"{piece} split"
        for index, item in enumerate(order):  # a rail's points keep to their side
            side = graph.side[item]
            beyond = [order[i] for i in where[graph.piece[item]] if (i - index) * side > 0]
            assert all(graph.side[other] == side for other in beyond), f"{item} off its side"
        for p, q in itertools.combinations(sorted(where), 2):
            if clusters.pieces[p].parent == clusters.pieces[q].parent:
                left = where[p][0] < where[q][0]
                assert sides.setdefault((p, q), left) == left, f"{p} and {q} swap at rank {r}"
