"""Honest metrics with many executors: the baseline, parity targets, RouterBench's AIQ, the
default pair, the lambda grid and the cost axes (issue 14, items 1 and 3)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
from analysis_refs import routerbench_aiq
from analysis_support import synthetic_matrix

from toolkit._errors import InputError
from toolkit.analysis import evaluate, hull_area_aiq, lambda_grid, split_outcomes, tune
from toolkit.analysis._evaluate import build_settings
from toolkit.analysis._policies import EvalData
from toolkit.outcomes import OutcomeMatrix
from toolkit.strategies._decide import route_by_utility

# ----- AIQ: RouterBench's definition -----


@pytest.mark.parametrize("seed", range(40))
def test_aiq_matches_routerbench_port_on_random_families(seed: int) -> None:
    """Random families of 3-12 points with distinct costs, compared together."""
    rng = np.random.default_rng(seed)
    fams: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for f in range(int(rng.integers(1, 5))):
        k = int(rng.integers(3, 13))
        cost = rng.choice(np.arange(1, 1000), size=k, replace=False) * rng.uniform(0.001, 1.0)
        fams[f"f{f}"] = (cost.astype(float), rng.random(k))
    got = hull_area_aiq(fams)
    expect = routerbench_aiq([np.column_stack(v) for v in fams.values()])
    for name, e in zip(fams, expect, strict=True):
        assert got[name] == pytest.approx(e, abs=1e-9), name


def test_aiq_of_a_routers_settings_matches_routerbench_port() -> None:
    """The score_router and cascade settings of a SYNTHETIC evaluation, as RouterBench scores
    them (families whose settings have distinct test costs, as the port needs)."""
    m = synthetic_matrix(300, seed=3, executors=("a", "b", "c", "d"))
    train, test, _ = split_outcomes(m, test_fraction=0.4, seed=0)
    data = EvalData.prepare(train, test, seed=0)
    settings = build_settings(data, ["score_router:tfidf_logreg", "cascade:knn", "random"])
    fams: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for s in settings:
        c, q = fams.get(s.family, (np.zeros(0), np.zeros(0)))
        fams[s.family] = (np.append(c, s.test.cost.sum()), np.append(q, s.test.quality))
    # keep one setting per distinct cost (the port's input must have distinct costs)
    for f, (c, q) in list(fams.items()):
        _, first = np.unique(c, return_index=True)
        fams[f] = (c[first], q[first])
    fams = {f: v for f, v in fams.items() if len(v[0]) >= 3}
    assert len(fams) >= 2
    got = hull_area_aiq(fams)
    expect = routerbench_aiq([np.column_stack(v) for v in fams.values()])
    for name, e in zip(fams, expect, strict=True):
        assert got[name] == pytest.approx(e, abs=1e-9), name


def test_aiq_small_families_are_flat_from_their_cheapest_point() -> None:
    fams = {
        "one": (np.array([2.0]), np.array([0.5])),
        "two": (np.array([1.0, 4.0]), np.array([0.2, 0.9])),
        "three": (np.array([1.0, 2.0, 4.0]), np.array([0.2, 0.6, 0.8])),
    }
    got = hull_area_aiq(fams)
    # x_max = 4 (the three-point hull's last cost)
    assert got["one"] == pytest.approx(0.5 * 2 / 4)
    assert got["two"] == pytest.approx(0.2 * 3 / 4)
    assert got["three"] == pytest.approx((0.4 + 1.4) / 4)


# ----- the lambda grid -----


def _exact_breakpoints(pred: np.ndarray, cbar: np.ndarray, names: list[str]) -> set[float]:
    """Every lambda > 0 where some task's choice changes, by brute force over every pairwise
    crossing of score - lambda x cost."""
    cands = set()
    m = pred.shape[1]
    for i in range(pred.shape[0]):
        for a in range(m):
            for b in range(m):
                if cbar[a] > cbar[b] and pred[i, a] > pred[i, b]:
                    cands.add(float((pred[i, a] - pred[i, b]) / (cbar[a] - cbar[b])))
    out = set()
    for lam in sorted(cands):
        before = route_by_utility(pred, cbar, lam * (1 - 1e-10), names)
        if not np.array_equal(before, route_by_utility(pred, cbar, lam * (1 + 1e-10), names)):
            out.add(lam)
    return out


def _merged(values: set[float]) -> list[float]:
    """Sorted, one value per crossing (the same crossing computed from two pairs of lines may
    differ in the last bits)."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v > out[-1] * (1 + 1e-8):
            out.append(v)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_lambda_grid_is_the_exact_switching_points(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 12, 4
    pred = np.round(rng.random((n, m)), 2)  # rounding makes ties
    cbar = np.array([0.001, 0.004, 0.01, 0.03])[rng.permutation(m)]
    names = ["w", "x", "y", "z"]
    grid = lambda_grid(pred, cbar, names)
    assert grid[0] == 0.0
    exact = _merged(_exact_breakpoints(pred, cbar, names))
    got = _merged(set(grid[1:]))
    assert len(got) == len(exact)
    np.testing.assert_allclose(got, exact, rtol=1e-8)
    # every distinct routing over a fine sweep is reached by some grid value
    fine = {
        route_by_utility(pred, cbar, lam, names).tobytes() for lam in np.geomspace(1e-3, 1e4, 3000)
    }
    on_grid = {route_by_utility(pred, cbar, lam, names).tobytes() for lam in grid}
    assert fine <= on_grid


def test_lambda_grid_is_capped_at_200() -> None:
    rng = np.random.default_rng(0)
    pred = rng.random((500, 6))
    grid = lambda_grid(pred, np.geomspace(1e-3, 1e-1, 6), list("abcdef"))
    assert len(grid) == 200 and grid[0] == 0.0 and grid == sorted(grid)


# ----- baseline, parity, pair -----


def _many(n: int = 200, seed: int = 0) -> OutcomeMatrix:
    return synthetic_matrix(n, seed=seed, executors=("a", "b", "c", "d", "e"))


def test_baseline_given_is_single_best_and_the_p_value_reference() -> None:
    train, test, _ = split_outcomes(_many(), test_fraction=0.4, seed=0)
    r = evaluate(train, test, strategies=["single", "random"], n_boot=50, baseline="b")
    assert r["single_best"]["name"] == "single:b" and r["single_best"]["chosen_by"] == "given"
    by = {s["name"]: s for s in r["strategies"]}
    assert by["single:b"]["p_value_vs_single_best"] == 1.0
    # random mixes the baseline with the default weak executor
    assert {s["params"]["strong"] for s in r["strategies"] if s["name"] == "random"} == {"b"}
    with pytest.raises(InputError, match="'zz' is not in the outcomes"):
        evaluate(train, test, strategies=["single"], n_boot=10, baseline="zz")


def test_baseline_skips_executors_that_decline_often() -> None:
    train, test, _ = split_outcomes(_many(), test_fraction=0.4, seed=0)
    best = int(np.argmax(train.score.mean(axis=0)))
    declined = np.zeros(train.score.shape, dtype=bool)
    declined[: int(0.1 * train.n_tasks), best] = True  # answers 90% < 95%
    object.__setattr__(train, "declined", declined)  # a matrix that records declines
    data = EvalData.prepare(train, test)
    assert data.single_best != best
    q = train.score.mean(axis=0)
    assert q[data.single_best] == max(q[j] for j in range(len(q)) if j != best)
    assert any("fewer than 95%" in n for n in data.notes)


def test_baseline_by_validation_holds_out_part_of_train() -> None:
    train, test, _ = split_outcomes(_many(300, seed=4), test_fraction=0.3, seed=0)
    data = EvalData.prepare(train, test, baseline_by="validation", seed=0)
    assert data.chosen_by == "validation"
    held = ~data.target_rows
    assert 0 < held.sum() < train.n_tasks
    q_val = train.score[held].mean(axis=0)
    assert q_val[data.single_best] == q_val.max()
    r = evaluate(train, test, strategies=["single", "random"], n_boot=20, baseline_by="validation")
    assert r["single_best"]["chosen_by"] == "validation"
    # the target is the baseline's quality on the train tasks not used to choose it
    j = train.executors.index(r["single_best"]["name"].removeprefix("single:"))
    assert r["single_best"]["train_quality"] == pytest.approx(
        train.score[data.target_rows, j].mean()
    )


def test_parity_entries_per_target() -> None:
    train, test, _ = split_outcomes(_many(), test_fraction=0.4, seed=0)
    r = evaluate(train, test, strategies=["single", "random"], n_boot=50, parity_targets=[0.8, 1])
    assert [p["target"] for p in r["parity"]] == [0.8, 1.0]
    base_q = r["single_best"]["quality"]
    for p in r["parity"]:
        assert {
            "strategy",
            "params",
            "reached",
            "test_quality",
            "test_cost_usd",
            "cost_ratio",
        } < set(p)
        if p["reached"]:
            assert p["holds_on_test"] == (p["test_quality"] >= p["target"] * base_q)
    # a lower target is reached at no higher train cost
    low, high = r["parity"]
    assert low["reached"] and (not high["reached"] or low["test_cost_usd"] <= high["test_cost_usd"])
    with pytest.raises(InputError, match="--quality-target"):
        evaluate(train, test, strategies=["single"], n_boot=10, parity_targets=[0.0])


def test_default_pair_is_baseline_and_best_at_a_fifth_of_its_cost() -> None:
    # costs 1, 2, 10, 50 (x 1e-3): the baseline d (best), weak b: the best at <= 10
    m = synthetic_matrix(200, seed=5, executors=("a", "b", "c", "d"))
    cost = np.tile(np.array([1.0, 2.0, 10.0, 50.0]) * 1e-3, (m.n_tasks, 1))
    score = m.score.copy()
    score[:, 3] = 1.0  # d is the best
    score[:, 1] = np.maximum(score[:, 1], score[:, 0])  # b beats a
    score[:, 2] = 0.0  # c (cost 10 <= 50 / 5) is the worst
    m = dataclasses.replace(m, cost_usd=cost, score=score)
    train, test, _ = split_outcomes(m, test_fraction=0.4, seed=0)
    r = evaluate(train, test, strategies=["single", "random", "oracle"], n_boot=20)
    assert r["single_best"]["name"] == "single:d"
    assert {(t["strong"], t["weak"]) for t in r["two_executor"]} == {("d", "b")}
    # tune's default pair is the same
    _, t = tune(train, test, strategy="random", strong_share=0.5)
    assert (t["strong"], t["weak"]) == ("d", "b")


# ----- cost axes -----


def _with_axis(m: OutcomeMatrix, axis: str) -> OutcomeMatrix:
    if axis == "rank":
        return dataclasses.replace(
            m, cost_axis="rank", cost_rank=m.executors, cost_usd=np.full(m.score.shape, np.nan)
        )
    return dataclasses.replace(m, cost_axis=axis)


@pytest.mark.parametrize(
    ("axis", "note"),
    [("rank", "price rank, cheapest 1"), ("tokens", "estimated from token counts")],
)
def test_rank_and_tokens_axes_report_apgr_and_cpt(axis: str, note: str) -> None:
    m = _with_axis(synthetic_matrix(150, seed=6), axis)
    train, test, _ = split_outcomes(m, test_fraction=0.4, seed=0)
    r = evaluate(train, test, strategies=["single", "random", "oracle"], n_boot=50)
    assert r["cost_axis"] == axis
    assert any(note in n for n in r["notes"])
    (t1, t2) = r["two_executor"]
    assert all(t["apgr"] is not None and t["cpt50"] is not None for t in (t1, t2))
    by = {s["name"]: s for s in r["strategies"] if not s["params"]}
    if axis == "rank":  # each call costs its 1-based rank: small 1, mid 2, large 3
        assert [by[f"single:{e}"]["cost_per_task"] for e in m.executors] == [1.0, 2.0, 3.0]
    else:
        assert by["single:large"]["cost_usd"] == pytest.approx(test.cost_usd[:, 2].sum())


def test_rank_axis_budget_per_task_is_in_rank_units() -> None:
    m = _with_axis(synthetic_matrix(150, seed=6), "rank")
    train, test, _ = split_outcomes(m, test_fraction=0.4, seed=0)
    _, r = tune(train, test, strategy="random", budget_per_task=2.0)
    assert r["cost_axis"] == "rank" and r["train"]["cost_per_task"] <= 2.0
    with pytest.raises(InputError, match="rank units"):
        tune(train, test, strategy="random", budget_per_task=0.5)


def test_different_cost_axes_are_refused(make_matrix: Callable[..., OutcomeMatrix]) -> None:
    m = make_matrix(100, seed=1)
    train, test, _ = split_outcomes(m, test_fraction=0.4, seed=0)
    with pytest.raises(InputError, match="different cost axes: train 'usd', test 'tokens'"):
        evaluate(train, _with_axis(test, "tokens"), n_boot=10)
