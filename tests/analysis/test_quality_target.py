"""``--quality-target Q`` in ``toolkit evaluate`` and ``toolkit tune`` on a hand-computed case.

SYNTHETIC outcomes: ``big`` (cost 10 a task) solves the easy and hard tasks; ``small`` (cost 1)
only the easy ones; nobody solves the lost ones. A test signal reads the task kind from the
text, so every routing choice below is worked out by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from toolkit.cli import main
from toolkit.outcomes import OutcomeMatrix
from toolkit.registry import REGISTRY, signal
from toolkit.signals import texts_of


@pytest.fixture
def kind_signal() -> Iterator[str]:
    @signal("test_reads_kind")
    class ReadsKind:
        """p(big) = 1 unless lost; p(small) = 1 only when easy (columns: big, small)."""

        def __init__(self, **_: Any) -> None:
            pass

        def fit(self, train: Any) -> ReadsKind:
            return self

        def predict(self, x: Any) -> np.ndarray:
            texts = texts_of(x)
            return np.array(
                [[t.startswith(("easy", "hard")), t.startswith("easy")] for t in texts], float
            )

    yield "test_reads_kind"
    REGISTRY.unregister("signal", "test_reads_kind")


def _matrix(kinds: str, split: str) -> OutcomeMatrix:
    """One task per letter of ``kinds``: e easy, h hard, l lost."""
    names = {"e": "easy", "h": "hard", "l": "lost"}
    score = np.array([[k in "eh", k == "e"] for k in kinds], dtype=float)
    return OutcomeMatrix.build(
        task_ids=[f"{split}{i}" for i in range(len(kinds))],
        executors=("big", "small"),
        score=score,
        text=[f"{names[k]} task {split} {i}" for i, k in enumerate(kinds)],
        cost_usd=np.tile([10.0, 1.0], (len(kinds), 1)),
    )


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    train, test = tmp_path / "train.parquet", tmp_path / "test.parquet"
    _matrix("eeeeeehhhl", "tr").to_parquet(train)  # big 0.9, small 0.6
    _matrix("eeeeehhhhl", "te").to_parquet(test)  # big 0.9, small 0.5
    return str(train), str(test)


def test_evaluate_adds_one_parity_entry_per_strategy_and_target(
    kind_signal: str, files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    train, test = files
    args = [
        "evaluate",
        "--train",
        train,
        "--test",
        test,
        "--strategy",
        f"score_router:{kind_signal}",
    ]
    code = main([*args, "--quality-target", "0.98", "--quality-target", "0.5", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    r = json.loads(out.out)
    entries = {p["target"]: p for p in r["parity"]}
    assert set(entries) == {0.98, 0.5}
    # Q = 0.98: needs 0.882 on train: hard tasks to big (train quality 0.9, cost 3.7 a task)
    hard = entries[0.98]
    assert hard["strategy"] == f"score_router:{kind_signal}" and hard["reached"]
    assert hard["params"]["threshold"] == 1.0
    # on test: 4 hard x 10 + 6 x 1 = 46, against 100 for big alone; quality 0.9 = big's
    assert hard["test_cost_usd"] == pytest.approx(46.0)
    assert hard["cost_ratio"] == pytest.approx(0.46)
    assert hard["test_quality"] == pytest.approx(0.9) and hard["holds_on_test"] is True
    lo, hi = hard["cost_ratio_ci"]
    assert lo <= 0.46 <= hi
    # Q = 0.5: small alone (0.6 >= 0.45 on train) costs 10 on test; 0.5 >= 0.45 holds
    low = entries[0.5]
    assert low["test_cost_usd"] == pytest.approx(10.0) and low["holds_on_test"] is True
    # --parity-target is the same flag
    assert main([*args, "--parity-target", "0.98", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["parity"] == [hard]


def test_tune_quality_target_is_reached_on_train_and_checked_on_test(
    kind_signal: str, files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    train, test = files
    args = ["tune", "--train", train, "--test", test, "--strategy", f"score_router:{kind_signal}"]
    assert main([*args, "--quality-target", "0.98", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["target"] == {"quality_target": 0.98}
    assert r["train"]["strong_share"] == pytest.approx(0.3)  # the three hard tasks
    qt = r["quality_target"]
    assert qt["train_quality_needed"] == pytest.approx(0.98 * 0.9)
    assert qt["test_quality_needed"] == pytest.approx(0.98 * 0.9)
    assert qt["holds_on_test"] is True and r["test"]["quality"] == pytest.approx(0.9)
    # one of the four targets only
    with pytest.raises(SystemExit):
        main([*args, "--quality-target", "0.98", "--strong-share", "0.3"])
    assert "not allowed with argument" in capsys.readouterr().err
    assert main([*args, "--quality-target", "3"]) == 2
    assert "(0, 2]" in capsys.readouterr().err


def test_auto_chooses_the_signal_on_train_only(tmp_path: Path) -> None:
    from analysis_support import synthetic_matrix

    from toolkit.analysis import evaluate, split_outcomes
    from toolkit.analysis._policies import AUTO_SIGNALS

    train, test, _ = split_outcomes(synthetic_matrix(160, seed=2), test_fraction=0.4, seed=0)
    r = evaluate(train, test, strategies=["score_router:auto", "cascade:auto"], n_boot=20)
    auto = r["auto"]
    assert auto["signal"] in AUTO_SIGNALS and set(auto["train_aiq"]) <= set(AUTO_SIGNALS)
    assert {"tfidf_logreg", "knn"} <= set(auto["train_aiq"])
    best = max(v for v in auto["train_aiq"].values() if v is not None)
    assert auto["train_aiq"][auto["signal"]] == best
    routed = [s for s in r["strategies"] if s["name"].startswith("score_router:auto")]
    assert routed and all(s["params"]["signal"] == auto["signal"] for s in routed)
    assert any(n.startswith(f"auto chose {auto['signal']}") for n in r["notes"])
    # another test set, the same train: the same choice (test is never looked at)
    flipped = OutcomeMatrix.build(
        task_ids=list(test.task_ids),
        executors=test.executors,
        score=1.0 - test.score,
        text=list(test.text),
        cost_usd=test.cost_usd,
    )
    again = evaluate(train, flipped, strategies=["score_router:auto"], n_boot=20)
    assert again["auto"] == auto


def test_tune_names_evaluate_for_auto(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    train, test = files
    args = ["tune", "--train", train, "--test", test, "--strategy", "score_router:auto"]
    assert main([*args, "--quality-target", "0.98"]) == 2
    assert "toolkit evaluate FILE --strategy score_router:auto" in capsys.readouterr().err
