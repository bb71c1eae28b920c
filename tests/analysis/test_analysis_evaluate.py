"""evaluate(): the JSON object, each entry checked against the plain-loop references."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from analysis_refs import ref_aiq, ref_apgr, ref_cpt, ref_curve, ref_hull, ref_parity
from analysis_support import synthetic_matrix

from toolkit._errors import InputError
from toolkit.analysis import evaluate, parse_strategies, split_outcomes, to_json
from toolkit.analysis._evaluate import assemble, build_settings
from toolkit.analysis._policies import EvalData, Setting, pair_router_score, routed, singles
from toolkit.cli import main
from toolkit.outcomes import OutcomeMatrix

TOP_KEYS = {
    "n_train",
    "n_test",
    "seed",
    "single_best",
    "strategies",
    "frontier",
    "aiq",
    "parity",
    "two_executor",
}
STRATEGY_KEYS = {
    "name",
    "params",
    "quality",
    "quality_ci",
    "cost_usd",
    "cost_per_task",
    "cost_per_correct",
    "latency_p50_s",
    "latency_p95_s",
    "call_share",
    "p_value_vs_single_best",
    "by_category",
}
PARITY_KEYS = {
    "strategy",
    "params",
    "reached",
    "test_quality",
    "test_cost_usd",
    "cost_ratio",
    "cost_ratio_ci",
    "target",
    "holds_on_test",
}
TWO_KEYS = {"strategy", "strong", "weak", "apgr", "apgr_ci", "cpt50", "cpt80"}


def _no_nan(x: Any) -> None:
    if isinstance(x, float):
        assert math.isfinite(x)
    elif isinstance(x, dict):
        for v in x.values():
            _no_nan(v)
    elif isinstance(x, list):
        for v in x:
            _no_nan(v)


@pytest.fixture(scope="module")
def synthetic_eval() -> tuple[EvalData, list[Setting], dict[str, Any]]:
    """SYNTHETIC: 150 tasks x 3 executors, evaluated with every default strategy."""
    m = synthetic_matrix(150, seed=1)
    train, test, _ = split_outcomes(m, test_fraction=0.4, seed=0)
    data = EvalData.prepare(train, test, seed=0)
    names = parse_strategies(None, data.executors)
    settings = build_settings(data, names)
    result = assemble(data, settings, names, [], n_boot=200)
    return data, settings, result


def test_json_shape_and_sanity(
    synthetic_eval: tuple[EvalData, list[Setting], dict[str, Any]],
) -> None:
    data, _, r = synthetic_eval
    assert set(r) >= TOP_KEYS and set(r) - TOP_KEYS <= {
        "cost_axis",
        "notes",
        "aiq_means",
        "no_saving",
    }
    assert r["no_saving"] is None
    text = to_json(r)  # refuses NaN
    _no_nan(json.loads(text))
    assert r["n_train"] == 90 and r["n_test"] == 60 and r["cost_axis"] == "usd"
    names = {s["name"] for s in r["strategies"]}
    assert {"single:small", "single:mid", "single:large", "random", "oracle"} <= names
    assert {
        "score_router:tfidf_logreg",
        "score_router:knn",
        "cascade:tfidf_logreg",
        "cascade:knn",
    } <= names
    for s in r["strategies"]:
        assert set(s) == STRATEGY_KEYS
        lo, hi = s["quality_ci"]
        assert lo <= s["quality"] + 1e-12 and s["quality"] <= hi + 1e-12
        assert s["cost_per_task"] == pytest.approx(s["cost_usd"] / r["n_test"])
        assert set(s["by_category"]) == {"easy", "hard"}
        assert sum(c["n"] for c in s["by_category"].values()) == r["n_test"]
        assert 0.0 <= s["p_value_vs_single_best"] <= 1.0
        assert s["latency_p50_s"] <= s["latency_p95_s"]
    by_name = {s["name"]: s for s in r["strategies"] if not s["params"]}
    best = r["single_best"]
    assert by_name[best["name"]]["p_value_vs_single_best"] == 1.0
    assert by_name["oracle"]["quality"] >= max(
        by_name[f"single:{e}"]["quality"] for e in data.executors
    )
    # single_best is the best on TRAIN (ties: cheaper).
    q_train = data.train.score.mean(axis=0)
    assert best["name"] == f"single:{data.executors[int(np.argmax(q_train))]}"
    # Call shares: a router's add to 1; a cascade's may exceed 1.
    for s in r["strategies"]:
        total = sum(s["call_share"].values())
        if s["name"].startswith("cascade"):
            assert total >= 1.0 - 1e-12
        else:
            assert total == pytest.approx(1.0)
    assert all(set(p) == PARITY_KEYS for p in r["parity"])
    assert all(set(t) == TWO_KEYS for t in r["two_executor"])
    front = r["frontier"]
    assert all(f["name"] != "oracle" for f in front)
    assert all(
        a["cost_usd"] < b["cost_usd"] and a["quality"] < b["quality"] for a, b in pairwise(front)
    )


def test_frontier_and_aiq_match_reference(
    synthetic_eval: tuple[EvalData, list[Setting], dict[str, Any]],
) -> None:
    _, _, r = synthetic_eval
    pts = [(s["cost_usd"], s["quality"]) for s in r["strategies"] if s["name"] != "oracle"]
    expect = ref_hull(pts)
    got = [(f["cost_usd"], f["quality"]) for f in r["frontier"]]
    np.testing.assert_allclose(np.array(got), np.array(expect), atol=1e-9)
    families: dict[str, list[tuple[float, float]]] = {}
    for s in r["strategies"]:
        if not s["name"].startswith("single:") and s["name"] != "oracle":
            families.setdefault(s["name"], []).append((s["cost_usd"], s["quality"]))
    # single executors and the oracle get no AIQ: they are shown with quality and cost
    assert set(r["aiq"]) == set(families) and "single" not in r["aiq"]
    assert "oracle" not in r["aiq"] and "RouterBench" in r["aiq_means"]
    hulls = {f: ref_hull(p) for f, p in families.items()}
    x_max = max(h[-1][0] for h in hulls.values())
    for fam, hull in hulls.items():
        area = ref_aiq(hull, hull[0][0], x_max) * (x_max - hull[0][0])
        assert r["aiq"][fam] == pytest.approx(area / x_max, abs=1e-9), fam


def test_parity_matches_reference(
    synthetic_eval: tuple[EvalData, list[Setting], dict[str, Any]],
) -> None:
    data, settings, r = synthetic_eval
    best = singles(data)[data.single_best]
    assert best.train is not None
    base_q = best.train.quality
    best_test_cost = float(best.test.cost.sum())
    fams: dict[str, list[Setting]] = {}
    for s in settings:
        if s.family.split(":")[0] in ("random", "score_router", "cascade"):
            fams.setdefault(s.family, []).append(s)
    # one entry per family and quality target, in that order
    assert [(p["strategy"], p["target"]) for p in r["parity"]] == [
        (f, q) for f in fams for q in (1.0, 0.95, 0.9)
    ]
    for p in r["parity"]:
        group = fams[p["strategy"]]
        tr_cost = [g.train.cost_per_task for g in group if g.train]
        tr_q = [g.train.quality for g in group if g.train]
        k = ref_parity(tr_cost, tr_q, p["target"] * base_q)
        if k is None:
            assert p["reached"] is False and p["cost_ratio"] is None
            assert p["holds_on_test"] is None
            continue
        chosen = group[k]
        assert p["reached"] is True and p["params"] == chosen.params
        assert p["holds_on_test"] == (chosen.test.quality >= p["target"] * best.test.quality)
        assert p["test_quality"] == pytest.approx(chosen.test.quality, abs=1e-12)
        assert p["test_cost_usd"] == pytest.approx(float(chosen.test.cost.sum()), abs=1e-12)
        assert p["cost_ratio"] == pytest.approx(
            float(chosen.test.cost.sum()) / best_test_cost, abs=1e-9
        )
        lo, hi = p["cost_ratio_ci"]
        assert lo <= hi


def test_two_executor_matches_reference(
    synthetic_eval: tuple[EvalData, list[Setting], dict[str, Any]],
) -> None:
    data, _, r = synthetic_eval
    assert {t["strategy"] for t in r["two_executor"]} == {
        "random",
        "oracle",
        "score_router:tfidf_logreg",
        "score_router:knn",
        "cascade:tfidf_logreg",
        "cascade:knn",
    }
    for t in r["two_executor"]:
        s, w = data.executors.index(t["strong"]), data.executors.index(t["weak"])
        assert (s, w) == (data.single_best, data.weak)
        score = pair_router_score(data, t["strategy"], s, w)
        assert score is not None
        cs, qs = ref_curve(
            data.test.score[:, s].tolist(), data.test.score[:, w].tolist(), score.tolist()
        )
        assert t["apgr"] == pytest.approx(ref_apgr(cs, qs), abs=1e-9)
        for key, x in (("cpt50", 0.5), ("cpt80", 0.8)):
            e = ref_cpt(cs, qs, x)
            assert (t[key] is None and e is None) or t[key] == pytest.approx(e, abs=1e-9)
        lo, hi = t["apgr_ci"]
        assert lo <= hi


def test_hand_example_through_assemble() -> None:
    """The 6-task example of test_analysis_metrics, end to end through the JSON.

    weak W costs 0.1 a task, strong S 1.0. Scores (W, S): t1 (1,1) t2 (0,1) t3 (0,1)
    t4 (1,0) t5 (0,0) t6 (0,1); categories: t1-t3 math, t4-t6 code. Train = test.
    """
    m = OutcomeMatrix.build(
        task_ids=[f"t{i}" for i in range(1, 7)],
        executors=["W", "S"],
        score=np.column_stack([[1, 0, 0, 1, 0, 0], [1, 1, 1, 0, 0, 1]]),
        text=["x"] * 6,
        category=["math"] * 3 + ["code"] * 3,
        cost_usd=np.tile([0.1, 1.0], (6, 1)),
        latency_s=np.tile([1.0, 3.0], (6, 1)),
    )
    data = EvalData.prepare(m, m, seed=0)
    router = np.array([0.9, 0.8, 0.8, 0.5, 0.3, 0.1])
    hand = [
        Setting(
            family="score_router:hand",
            name="score_router:hand",
            params={"threshold": t},
            test=routed(m, m.cost_usd, np.where(router >= t, 1, 0)),
            train=routed(m, m.cost_usd, np.where(router >= t, 1, 0)),
        )
        for t in (1.0, 0.9, 0.8, 0.5, 0.3, 0.1)
    ]
    from toolkit.analysis._policies import oracle

    settings = [*singles(data), *oracle(data), *hand]
    r = assemble(data, settings, [], [], n_boot=100)
    by = {(s["name"], json.dumps(s["params"])): s for s in r["strategies"]}
    # single_best: S (train quality 4/6 > 2/6), test cost 6 x 1.0.
    assert r["single_best"] == {
        "name": "single:S",
        "quality": pytest.approx(2 / 3),
        "cost_usd": pytest.approx(6.0),
        "chosen_by": "train",
        "train_quality": pytest.approx(2 / 3),
    }
    w = by[("single:W", "{}")]
    # W: quality 2/6, cost 6 x 0.1 = 0.6, per correct 0.6 / 2 = 0.3, latency 1 s everywhere.
    assert w["quality"] == pytest.approx(1 / 3) and w["cost_usd"] == pytest.approx(0.6)
    assert w["cost_per_correct"] == pytest.approx(0.3) and w["latency_p50_s"] == 1.0
    assert w["call_share"] == {"W": 1.0, "S": 0.0}
    # p-value of W vs S: the paired t statistic is exactly -1 with 5 df (see the metrics test).
    from scipy import stats

    assert w["p_value_vs_single_best"] == pytest.approx(2 * stats.t.sf(1.0, 5))
    s = by[("single:S", "{}")]
    # S by category: math (1,1,1) -> 1, cost 3.0; code (0,0,1) -> 1/3, cost 3.0.
    assert s["by_category"]["math"] == {"quality": 1.0, "cost_usd": pytest.approx(3.0), "n": 3}
    assert s["by_category"]["code"]["quality"] == pytest.approx(1 / 3)
    o = by[("oracle", "{}")]
    # Oracle: W on t1 (tie, cheaper), t4, t5 (tie at 0); S on t2, t3, t6.
    # Quality 5/6, cost 3 x 0.1 + 3 x 1.0 = 3.3, shares 1/2 and 1/2, per correct 3.3 / 5.
    assert o["quality"] == pytest.approx(5 / 6) and o["cost_usd"] == pytest.approx(3.3)
    assert o["call_share"] == {"W": 0.5, "S": 0.5} and o["cost_per_correct"] == pytest.approx(0.66)
    # Latency of the oracle: 1 s on 3 tasks, 3 s on 3: p50 = 2.0, p95 = 3.0.
    assert o["latency_p50_s"] == pytest.approx(2.0) and o["latency_p95_s"] == pytest.approx(3.0)
    # Frontier: single:W (0.6, 1/3) then the router at threshold 0.8 (3.3, 2/3).
    assert [(f["name"], f["params"]) for f in r["frontier"]] == [
        ("single:W", {}),
        ("score_router:hand", {"threshold": 0.8}),
    ]
    # AIQ (RouterBench): the router's hull runs (0.6, 1/3) -> (3.3, 2/3), the largest hull
    # cost; area 2.7 x (1/3 + 2/3) / 2 = 1.35, over 3.3: 9/22. Singles and oracle get none.
    assert r["aiq"] == {"score_router:hand": pytest.approx(9 / 22)}
    # Parity: for each target Q (1, 0.95, 0.9) the cheapest setting with train quality
    # >= Q x 2/3 is threshold 0.8 (cost 3.3): test quality 2/3, cost ratio 3.3 / 6.0 = 0.55,
    # and it holds on test (2/3 >= Q x 2/3).
    assert [p["target"] for p in r["parity"]] == [1.0, 0.95, 0.9]
    for p in r["parity"]:
        assert p["reached"] and p["params"] == {"threshold": 0.8} and p["holds_on_test"]
        assert p["test_quality"] == pytest.approx(2 / 3) and p["cost_ratio"] == pytest.approx(0.55)


def test_no_cost_uses_strong_share_axis(make_matrix: Callable[..., OutcomeMatrix]) -> None:
    """SYNTHETIC two-executor matrix without costs (as RouteLLM data)."""
    m = make_matrix(80, seed=2, cost=False, executors=("weak", "strong"))
    train, test, _ = split_outcomes(m, test_fraction=0.5, seed=1)
    r = evaluate(train, test, strategies=["single", "random", "oracle"], n_boot=50)
    assert r["cost_axis"] == "strong_share"
    by = {s["name"]: s for s in r["strategies"] if s["name"] != "random"}
    strong = r["single_best"]["name"]
    assert by[strong]["cost_per_task"] == 1.0
    weak = next(n for n in by if n.startswith("single:") and n != strong)
    assert by[weak]["cost_per_task"] == 0.0
    for s in r["strategies"]:
        # cost per task is the share of calls to the strong executor
        assert s["cost_per_task"] == pytest.approx(s["call_share"][strong.split(":")[1]])
    assert any("share of calls to the strong executor" in n for n in r["notes"])


def test_split_outcomes_uses_split_column_then_random(
    make_matrix: Callable[..., OutcomeMatrix],
) -> None:
    m = make_matrix(30, seed=3, split=True)
    train, test, how = split_outcomes(m, test_fraction=0.5, seed=0)
    assert how == "by the split column" and test.n_tasks == 10 and train.n_tasks == 20
    m2 = make_matrix(30, seed=3)
    a = split_outcomes(m2, test_fraction=0.2, seed=5)
    b = split_outcomes(m2, test_fraction=0.2, seed=5)
    assert a[1].n_tasks == 6 and a[1].task_ids.tolist() == b[1].task_ids.tolist()
    assert not set(a[0].task_ids) & set(a[1].task_ids)
    with pytest.raises(InputError, match="--test-fraction"):
        split_outcomes(m2, test_fraction=1.5)


def test_bad_strategy_and_pair_are_input_errors(make_matrix: Callable[..., OutcomeMatrix]) -> None:
    ex = ("a", "b")
    assert parse_strategies(["single:a", "score_router:knn"], ex) == [
        "single:a",
        "score_router:knn",
    ]
    for bad in (["nope"], ["single:zzz"], ["score_router:bert"], ["random:x"]):
        with pytest.raises(InputError, match="--strategy"):
            parse_strategies(bad, ex)
    m = make_matrix(20, seed=4)
    with pytest.raises(InputError, match="not in the outcomes"):
        evaluate(m, m, strategies=["oracle"], pairs=[("large", "zzz")], n_boot=10)


def test_cli_evaluate_json(
    tmp_path: Path, make_matrix: Callable[..., OutcomeMatrix], capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_matrix(60, seed=5, split=True).to_parquet(tmp_path / "m.parquet")
    code = main(
        [
            "evaluate",
            str(path),
            "--strategy",
            "single",
            "--strategy",
            "oracle",
            "--strategy",
            "random",
            "--pair",
            "large,small",
            "--pair",
            "mid,small",
            "--seed",
            "3",
            "--bootstrap",
            "50",
            "--json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    r = json.loads(out)  # exactly one JSON object
    assert r["seed"] == 3 and r["split"] == "by the split column"
    pairs = {(t["strong"], t["weak"]) for t in r["two_executor"]}
    assert pairs == {("large", "small"), ("mid", "small")}
    code = main(["evaluate", str(path), "--train", str(path), "--json"])
    assert code == 2
    assert "not both" in capsys.readouterr().err
    code = main(["evaluate", str(path), "--pair", "large", "--json"])
    assert code == 2
    assert "expected STRONG,WEAK" in capsys.readouterr().err


def test_without_text_learned_strategies_are_left_out_with_a_note(
    make_matrix: Callable[..., OutcomeMatrix],
) -> None:
    """SYNTHETIC matrix whose texts are blanked out (as a run without its task files)."""
    from dataclasses import replace

    m = make_matrix(40, seed=6)
    m = replace(m, text=np.array([""] * m.n_tasks, dtype=object))
    train, test, _ = split_outcomes(m, test_fraction=0.5, seed=0)
    r = evaluate(train, test, n_boot=20)
    names = {s["name"] for s in r["strategies"]}
    assert "oracle" in names and "random" in names
    assert not any(n.startswith(("score_router", "cascade")) for n in names)
    assert any("score_router:knn: left out, because the task text" in n for n in r["notes"])
    assert {t["strategy"] for t in r["two_executor"]} == {"random", "oracle"}
    # The random signal reads no text, so it still works.
    r2 = evaluate(train, test, strategies=["score_router:random"], n_boot=20)
    assert any(s["name"] == "score_router:random" for s in r2["strategies"])


def test_text_summary_fits_120_columns_with_people_units(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lab = Path(__file__).resolve().parents[2] / "data" / "runs" / "lab"
    assert main(["evaluate", str(lab), "--bootstrap", "50"]) == 0
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines()) <= 120
    assert "cost $0.0157" in text and "e-0" not in text.split("Single executors")[0]
    assert " ms" in text or " s " in text  # live latencies with a unit, never 1.2e-05


def test_a_plugin_signal_that_raises_is_one_line_naming_it_and_the_file(
    tmp_path: Path, make_matrix: Callable[..., OutcomeMatrix], capsys: pytest.CaptureFixture[str]
) -> None:
    import toolkit
    from toolkit.registry import REGISTRY

    class Raising:
        """A signal plugin with a bug (synthetic)."""

        def fit(self, train: object) -> Raising:
            raise ZeroDivisionError("a bug in fit")

        def predict(self, m: object) -> object:
            return None

    Raising.__module__ = "broken_signal_plugin"
    toolkit.signal("raising_test")(Raising)
    try:
        path = make_matrix(40, seed=2, split=True).to_parquet(tmp_path / "m.parquet")
        tune = ["tune", "--train", str(path), "--test", str(path), "--strong-share", "0.5"]
        for argv in (["evaluate", str(path)], [*tune, "--pair", "large,small"]):
            code = main([*argv, "--strategy", "score_router:raising_test"])
            err = capsys.readouterr().err
            assert code == 1, err
            assert "signal 'raising_test' (module:broken_signal_plugin) failed in fit() on " in err
            assert "ZeroDivisionError: a bug in fit" in err and "Traceback" not in err
    finally:
        REGISTRY.unregister("signal", "raising_test")


def test_category_prior_routes_offline_like_any_signal(
    tmp_path: Path, make_matrix: Callable[..., OutcomeMatrix], capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_matrix(90, seed=3, split=True).to_parquet(tmp_path / "m.parquet")
    argv = ["evaluate", str(path), "--strategy", "score_router:category_prior"]
    assert main([*argv, "--bootstrap", "20", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    names = [row["name"] for row in result["strategies"]]
    assert any(n.startswith("score_router:category_prior") for n in names), names
