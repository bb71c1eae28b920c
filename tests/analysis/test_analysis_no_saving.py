"""No saving possible: the baseline is also the cheapest executor on train (issue 26, 1.7).

As on RouterArena: AIQ, APGR and CPT would be computed against a "strong" executor that is
the cheapest one, so they are null, the JSON says why, and the report says it in a sentence.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from analysis_support import synthetic_matrix

from toolkit.analysis import evaluate, split_outcomes
from toolkit.cli import main


def _cheapest_is_best() -> tuple:
    m = synthetic_matrix(90, seed=3)  # SYNTHETIC: "large" is the best executor
    flipped = replace(m, cost_usd=m.cost_usd[:, ::-1].copy())  # ... and now the cheapest
    train, test, _ = split_outcomes(flipped, test_fraction=0.3, seed=0)
    return flipped, train, test


def test_no_saving_nulls_aiq_and_the_gap_measures() -> None:
    _, train, test = _cheapest_is_best()
    result = evaluate(train, test)
    assert result["single_best"]["name"] == "single:large"
    assert "large is also the cheapest executor on train" in result["no_saving"]
    assert result["aiq"] and all(v is None for v in result["aiq"].values())
    assert result["two_executor"]
    for t in result["two_executor"]:
        assert (t["apgr"], t["apgr_ci"], t["cpt50"], t["cpt80"]) == (None, [None, None], None, None)


def test_with_a_saving_possible_the_field_is_null() -> None:
    m = synthetic_matrix(90, seed=3)
    train, test, _ = split_outcomes(m, test_fraction=0.3, seed=0)
    result = evaluate(train, test)
    assert result["no_saving"] is None
    assert any(v is not None for v in result["aiq"].values())


def test_the_report_says_it_in_one_sentence(tmp_path: Path) -> None:
    flipped, _, _ = _cheapest_is_best()
    data = tmp_path / "m.parquet"
    flipped.to_parquet(data)
    assert main(["report", str(data), "--out", str(tmp_path / "r")]) == 0
    html = (tmp_path / "r" / "report.html").read_text("utf-8")
    assert html.count("No saving is possible here: the baseline large") == 1
    assert "Two-executor routers" not in html


def test_evaluate_json_has_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flipped, _, _ = _cheapest_is_best()
    data = tmp_path / "m.parquet"
    flipped.to_parquet(data)
    assert main(["evaluate", str(data), "--json"]) == 0
    assert '"no_saving": "the baseline large is also the cheapest' in capsys.readouterr().out
