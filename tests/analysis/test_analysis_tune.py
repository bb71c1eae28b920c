"""ThresholdRouter and `toolkit tune`: fitting is choosing the threshold on train."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from analysis_support import synthetic_matrix

from toolkit._errors import InputError
from toolkit.analysis._tune import ThresholdRouter, tune
from toolkit.cli import main
from toolkit.signals import KnnSignal


@pytest.fixture(scope="module")
def split_pair() -> tuple[object, object]:
    """SYNTHETIC train and test matrices (two executors)."""
    m = synthetic_matrix(200, seed=11, executors=("weak", "strong"))
    idx = np.arange(m.n_tasks)
    return m.subset(idx % 4 != 0), m.subset(idx % 4 == 0)


def test_strong_share_is_met_on_train(split_pair: tuple) -> None:
    train, test = split_pair
    r = ThresholdRouter(signal="knn", strong_share=0.3).fit(train)
    assert r.strong_ == "strong" and r.weak_ == "weak"
    # The chosen threshold gives the train share closest to 0.3 among all thresholds.
    shares = [(r.train_scores_ >= t).mean() for t in np.unique(r.train_scores_)]
    best = min(abs(s - 0.3) for s in [0.0, *shares])
    assert abs(r.train_["strong_share"] - 0.3) == pytest.approx(best)
    # predict/evaluate agree with each other on new tasks.
    to_strong = r.predict(test)
    ev = r.evaluate(test)
    assert ev["strong_share"] == pytest.approx(to_strong.mean())
    expect_q = np.where(to_strong, test.score[:, 1], test.score[:, 0]).mean()
    assert ev["quality"] == pytest.approx(expect_q)
    expect_c = np.where(to_strong, test.cost_usd[:, 1], test.cost_usd[:, 0]).sum()
    assert ev["cost_usd"] == pytest.approx(expect_c)


def test_target_quality_and_budget(split_pair: tuple) -> None:
    train, _ = split_pair
    q_weak, q_strong = train.score.mean(axis=0)
    target = (q_weak + q_strong) / 2
    r = ThresholdRouter(signal=KnnSignal(k=5), target_quality=target).fit(train)
    assert r.train_["quality"] >= target
    budget = float(train.cost_usd.mean(axis=0).mean())
    b = ThresholdRouter(signal="tfidf_logreg", budget_per_task=budget).fit(train)
    assert b.train_["cost_per_task"] <= budget
    cascade = ThresholdRouter(signal="knn", kind="cascade", strong_share=0.5).fit(train)
    # A cascade always pays the weak call, plus the strong one when it escalates.
    assert cascade.train_["cost_per_task"] >= train.cost_usd[:, 0].mean()
    assert train.score.max(axis=1).mean() < 1.0  # no threshold can reach quality 1
    with pytest.raises(InputError, match="not reached on train"):
        ThresholdRouter(signal="knn", target_quality=1.0).fit(train)
    with pytest.raises(InputError, match=r"--target-quality must be in \[0, 1\]"):
        ThresholdRouter(signal="knn", target_quality=1.5).fit(train)
    with pytest.raises(InputError, match="exactly one of"):
        ThresholdRouter(signal="knn", strong_share=0.2, budget_per_task=1.0).fit(train)
    with pytest.raises(InputError, match="below the cheapest"):
        ThresholdRouter(signal="knn", budget_per_task=0.0).fit(train)


def test_tune_reports_drift_and_writes_spec(split_pair: tuple, tmp_path: Path) -> None:
    train, test = split_pair
    router, result = tune(train, test, strategy="score_router:knn", strong_share=0.4)
    assert {"threshold", "train", "test", "drift"} <= set(result)
    for k in ("strong_share", "quality", "cost_usd", "cost_per_task"):
        assert result["drift"][k] == pytest.approx(result["test"][k] - result["train"][k])
    assert result["threshold"] == router.threshold_
    from toolkit.analysis import write_tuned_spec

    source = train.to_parquet(tmp_path / "train.parquet")
    out = write_tuned_spec(tmp_path / "spec" / "snippet.toml", router, source)
    spec = tomllib.loads(out.read_text(encoding="utf-8"))
    (table,) = spec["strategies"]
    assert table == {
        "kind": "score_router",
        "name": "score_router:knn:tuned",
        "signal": "knn",
        "executors": ["weak", "strong"],
        "threshold": router.live_threshold(),
        "fit_outcomes": "../train.parquet",
        "fit_split": "all",
    }
    # the written threshold is a short number that routes the train tasks as the fitted one
    assert len(repr(router.threshold_)) <= 8
    live = router.train_scores_ >= table["threshold"]
    assert (live == (router.train_scores_ >= router.threshold_)).all()


def test_a_cascades_live_threshold_routes_train_as_tuned(split_pair: tuple) -> None:
    train, _ = split_pair
    r = ThresholdRouter(signal="knn", kind="cascade", strong_share=0.3).fit(train)
    escalate = r.train_scores_ >= r.threshold_  # 1 - p_weak >= t
    weak_answers = (1.0 - r.train_scores_) >= r.live_threshold()  # live: p_weak >= T
    assert 0 < escalate.sum() < len(escalate)
    assert (weak_answers == ~escalate).all()


@pytest.mark.parametrize(
    ("lo", "hi", "want"),
    [
        (0.07, 0.1, 0.1),
        (-0.1000001, -0.09999999999999998, -0.1),
        (0.41, 0.4123, 0.412),
        (0.9, float("inf"), 1.0),
        (float("-inf"), -0.25, -0.3),
        (1e-5, 3e-5, 3e-5),
    ],
)
def test_short_between(lo: float, hi: float, want: float) -> None:
    from toolkit.analysis._metrics import short_between

    got = short_between(lo, hi)
    assert lo < got <= hi and got == want


def test_cli_tune_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = synthetic_matrix(120, seed=12, executors=("weak", "strong"), split=True)
    path = m.to_parquet(tmp_path / "m.parquet")
    spec = tmp_path / "tuned.toml"
    code = main(
        [
            "tune",
            "--train",
            str(path),
            "--test",
            str(path),
            "--strategy",
            "cascade:knn",
            "--pair",
            "strong,weak",
            "--strong-share",
            "0.25",
            "--json",
            "--write-spec",
            str(spec),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    r = json.loads(captured.out)
    assert r["n_train"] == 80 and r["n_test"] == 40  # each side takes its own split
    assert set(r["train"]) == {"strong_share", "quality", "cost_usd", "cost_per_task"}
    (table,) = tomllib.loads(spec.read_text(encoding="utf-8"))["strategies"]
    assert table["kind"] == "cascade" and table["signal"] == "score"
    assert table["executors"] == ["weak", "strong"] and table["estimator"] == "knn"
    assert r["live_threshold"] == table["threshold"] and 0.0 <= table["threshold"] <= 1.0
    code = main(
        [
            "tune",
            "--train",
            str(path),
            "--test",
            str(path),
            "--strategy",
            "oracle",
            "--strong-share",
            "0.2",
        ]
    )
    assert code == 2 and "tune takes score_router" in capsys.readouterr().err
