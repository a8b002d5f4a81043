"""The network simplex against independent solutions of the same linear program:

minimise Σ weight·(x[head] − x[tail]) subject to x[head] − x[tail] ≥ minlen,

whose dual is a min-cost flow (networkx solves it), and whose optimum, the constraint matrix
being a network matrix, is met at a spanning tree of tight constraints (brute force).
"""
from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest

from cnnviz.layout.network_simplex import network_simplex

Problem = tuple[int, list[int], list[int], list[float], list[int]]


def random_problem(seed: int, count: int, extra: int, fractional: bool = False) -> Problem:
    """Connected acyclic constraints, shaped like the x program: zero-weight separations
    and weighted pulls, some parallel constraints."""
    rng = random.Random(seed)
    order = list(range(count))
    rng.shuffle(order)  # constraints run from earlier to later in this order: acyclic
    place = {v: i for i, v in enumerate(order)}
    pairs = [(order[rng.randrange(i)], order[i]) for i in range(1, count)]  # a spanning tree
    for _ in range(extra):
        a, b = rng.sample(range(count), 2)
        pairs.append((a, b) if place[a] < place[b] else (b, a))
    tails, heads = [t for t, _ in pairs], [h for _, h in pairs]
    step = 0.5 if fractional else 1.0
    minlens = [rng.randrange(-2, 8) * step for _ in pairs]
    weights = [rng.choice([0, 0, 1, 2, 8]) for _ in pairs]
    return count, tails, heads, minlens, weights


def objective(problem: Problem, x: list[float]) -> float:
    _, tails, heads, _, weights = problem
    return sum(w * (x[h] - x[t]) for t, h, w in zip(tails, heads, weights))


def assert_feasible(problem: Problem, x: list[float]) -> None:
    count, tails, heads, minlens, _ = problem
    assert len(x) == count
    for t, h, minlen in zip(tails, heads, minlens):
        assert x[h] - x[t] >= minlen - 1e-9, (t, h, minlen)


def flow_optimum(problem: Problem) -> float:
    """The optimum by LP duality: max Σ minlen·f over flows f ≥ 0 whose net inflow at each
    variable is Σ weight of its constraints in minus Σ weight of those out."""
    count, tails, heads, minlens, weights = problem
    network = nx.MultiDiGraph()
    network.add_nodes_from(range(count), demand=0)
    for t, h, minlen, w in zip(tails, heads, minlens, weights):
        network.add_edge(t, h, weight=-int(minlen))  # integral here: exact costs
        network.nodes[h]["demand"] += w
        network.nodes[t]["demand"] -= w
    cost, _ = nx.network_simplex(network)
    return -cost


def tree_optimum(problem: Problem) -> float:
    """The best objective over all spanning trees of tight constraints that are feasible."""
    count, tails, heads, minlens, _ = problem
    best = float("inf")
    for tree in itertools.combinations(range(len(tails)), count - 1):
        x: dict[int, float] = {tails[tree[0]]: 0.0}
        pending = list(tree)
        while pending:
            progress = [e for e in pending if (tails[e] in x) != (heads[e] in x)]
            if not progress:
                break  # not a spanning tree: a cycle, or two components
            for e in progress:
                if tails[e] in x and heads[e] not in x:
                    x[heads[e]] = x[tails[e]] + minlens[e]
                elif heads[e] in x and tails[e] not in x:
                    x[tails[e]] = x[heads[e]] - minlens[e]
            pending = [e for e in pending if e not in progress]
        if len(x) < count:
            continue
        values = [x[v] for v in range(count)]
        if all(values[h] - values[t] >= m - 1e-9 for t, h, m in zip(tails, heads, minlens)):
            best = min(best, objective(problem, values))
    return best


@pytest.mark.parametrize("seed", range(40))
def test_optimum_matches_min_cost_flow(seed):
    problem = random_problem(seed, count=5 + seed, extra=seed + seed // 2)
    x = network_simplex(*problem)
    assert_feasible(problem, x)
    assert objective(problem, x) == flow_optimum(problem)


@pytest.mark.parametrize("seed", range(30))
def test_optimum_matches_brute_force_over_tight_trees(seed):
    problem = random_problem(1000 + seed, count=3 + seed % 4, extra=1 + seed % 4, fractional=True)
    x = network_simplex(*problem)
    assert_feasible(problem, x)
    assert objective(problem, x) == pytest.approx(tree_optimum(problem), abs=1e-9)


def test_large_problem_like_a_dense_layout():
    problem = random_problem(7, count=400, extra=900)
    x = network_simplex(*problem)
    assert_feasible(problem, x)
    assert objective(problem, x) == flow_optimum(problem)


def test_pulled_pair_ends_at_its_separation():
    # x1 − x0 ≥ 10; a helper 2 below both pulls them together with weight 3 on each side:
    # the optimum keeps them exactly 10 apart, the helper at the left one.
    x = network_simplex(3, [0, 2, 2], [1, 0, 1], [10.0, 0.0, 0.0], [0, 3, 3])
    assert x[1] - x[0] == 10.0
    assert x[0] == x[2]


def test_a_single_variable_and_zero_weights():
    assert network_simplex(1, [], [], [], []) == [0.0]
    x = network_simplex(3, [0, 1], [1, 2], [4.0, 5.0], [0, 0])
    assert x[1] - x[0] >= 4.0 and x[2] - x[1] >= 5.0
