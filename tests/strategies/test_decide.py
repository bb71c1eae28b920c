"""The utility rule's fast form picks what the plain rule picks, ties included."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.strategies import route_by_utility, routes_by_utility


def _plain(pred: np.ndarray, cost: np.ndarray, lam: float, names: list[str]) -> np.ndarray:
    """The rule as written first: max, the tied columns, the cheapest (then by name)."""
    utility = pred - lam * cost
    tied = utility == utility.max(axis=1, keepdims=True)
    order = sorted(range(len(names)), key=lambda j: (float(cost[j]), names[j]))
    rank = np.empty(len(names), dtype=np.intp)
    rank[order] = np.arange(len(names))
    return np.argmin(np.where(tied, rank[None, :], len(names)), axis=1)


@pytest.mark.parametrize("seed", range(5))
def test_routes_by_utility_equal_the_plain_rule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(2, 9))
    # coarse predictions and repeated costs: many exact ties, within rows and across columns
    pred = rng.integers(0, 4, size=(400, m)) / 4.0
    cost = rng.integers(1, 4, size=m).astype(float)
    names = [f"e{j}" for j in rng.permutation(m)]
    lams = [0.0, 0.125, 0.25, 0.5, 1.0, *rng.random(20).tolist(), 10.0]
    got = list(routes_by_utility(pred, cost, lams, names))
    for lam, picked in zip(lams, got, strict=True):
        want = _plain(pred, cost, lam, names)
        assert np.array_equal(picked, want)
        assert np.array_equal(route_by_utility(pred, cost, lam, names), want)
