"""`toolkit demo` on the recorded lab run: the table holds every strategy, and its numbers are
those of `toolkit.analysis.evaluate` (offline) and `summarize_live` (live) on the same run."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from lab_helpers import answering_executors, lab_spec_data

from toolkit.analysis import evaluate, split_outcomes, summarize_live
from toolkit.cli import main
from toolkit.lab import DemoResult, DemoRow, money, run_demo, table_cells
from toolkit.outcomes import OutcomeMatrix
from toolkit.runs import ResultRecord, read_results


@pytest.fixture(scope="module")
def demo(lab_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, str]:
    printed: list[str] = []
    out = tmp_path_factory.mktemp("demo") / "report"
    result = run_demo(lab_run, out=out, echo=printed.append)
    return result, "\n".join(printed)


@pytest.fixture(scope="module")
def evaluation(lab_run: Path) -> dict[str, object]:
    train, test, _ = split_outcomes(OutcomeMatrix.from_run(lab_run))
    return evaluate(train, test, seed=0)


def _live_names() -> list[str]:
    return [
        s.get("name") or s["kind"] for s in lab_spec_data()["strategies"] if s["kind"] != "single"
    ]


def test_table_has_every_strategy(demo: tuple[DemoResult, str]) -> None:
    result, text = demo
    names = [r.name for r in result.rows]
    for executor in answering_executors():
        assert f"single:{executor}" in names
    for name in ["random", "oracle", "score_router:tfidf_logreg", "score_router:knn"]:
        assert any(n == name or n.startswith(name + " (") for n in names), name
    assert any(n.startswith("cascade:") and "(" in n for n in names)  # offline, fitted
    live = [r.name for r in result.rows if r.how == "live"]
    default_cascade = "cascade:declined"
    assert sorted(live) == sorted(n if n != "cascade" else default_cascade for n in _live_names())
    lines = text.splitlines()
    for row in result.rows:
        cells = table_cells(row)
        line = next(x for x in lines if x.startswith(cells[0] + " "))
        at = 0
        for cell in cells[1:]:  # every cell, in column order, on the row's own line
            at = line.index(cell, at) + len(cell)
    assert result.baseline == "single:gemma"
    assert "quality [95% CI]" in text and "saving" in text and "calls" in text
    # fits a 120-column terminal (but for the lines naming this test's long temporary path)
    assert max(len(line) for line in text.splitlines() if "report" not in line) <= 120


def test_offline_rows_match_evaluate(
    demo: tuple[DemoResult, str], evaluation: dict[str, object]
) -> None:
    result, text = demo
    strategies = evaluation["strategies"]
    assert isinstance(strategies, list)
    by_name = {s["name"]: s for s in strategies if not s["params"]}
    assert result.n_test == evaluation["n_test"] and result.n_train == evaluation["n_train"]
    base = by_name["single:gemma"]
    for executor in answering_executors():
        row = result.row(f"single:{executor}")
        want = by_name[f"single:{executor}"]
        assert row.how == "offline"
        assert row.quality == pytest.approx(want["quality"], abs=1e-12)
        assert row.quality_ci == pytest.approx(tuple(want["quality_ci"]), abs=1e-12)
        assert row.cost_usd == pytest.approx(want["cost_usd"], abs=1e-15)
        assert row.cost_per_task == pytest.approx(want["cost_per_task"], abs=1e-15)
        assert row.latency_p50_s == pytest.approx(want["latency_p50_s"], abs=1e-12)
        assert row.latency_p95_s == pytest.approx(want["latency_p95_s"], abs=1e-12)
        assert dict(row.call_share) == pytest.approx(want["call_share"])
        saving = 1.0 - want["cost_per_task"] / base["cost_per_task"]
        assert row.saving == pytest.approx(saving, abs=1e-12)
        q = want["quality"]
        lo, hi = want["quality_ci"]
        assert f"{q:.3f} [{lo:.3f}, {hi:.3f}]" in text
        assert table_cells(row)[3] in text  # $ per task, as printed
        assert money(want["cost_usd"]) in text  # total $, in the second table
    oracle = result.row("oracle")
    assert oracle.quality == pytest.approx(by_name["oracle"]["quality"], abs=1e-12)
    assert oracle.quality is not None
    assert oracle.quality >= max(
        result.row(f"single:{e}").quality or 0.0 for e in answering_executors()
    )


def test_live_rows_match_summarize_live(
    demo: tuple[DemoResult, str], evaluation: dict[str, object], lab_run: Path
) -> None:
    result, _ = demo
    test_ids = {r.task_id for r in _test_rows(lab_run)}
    assert len(test_ids) == evaluation["n_test"]
    live = {s["name"]: s for s in summarize_live(lab_run, task_ids=test_ids)["strategies"]}
    base = live["single:gemma"]
    rows = [r for r in result.rows if r.how == "live"]
    assert rows
    for row in rows:
        want = live[row.name]
        assert want["n"] == len(test_ids) and want["n_unscored"] == 0
        assert row.quality == pytest.approx(want["quality"], abs=1e-12)
        assert row.cost_usd == pytest.approx(want["cost_usd"], abs=1e-15)
        assert row.cost_per_task == pytest.approx(want["cost_per_task"], abs=1e-15)
        assert row.latency_p50_s == pytest.approx(want["latency_p50_s"], abs=1e-12)
        assert row.latency_p95_s == pytest.approx(want["latency_p95_s"], abs=1e-12)
        assert dict(row.call_share) == pytest.approx(want["call_share"])
        saving = 1.0 - want["cost_per_task"] / base["cost_per_task"]
        assert row.saving == pytest.approx(saving, abs=1e-12)
        lo, hi = row.quality_ci
        assert lo is not None and hi is not None and lo <= (row.quality or 0) <= hi
    # the live baseline is the offline one: the same recorded rows
    assert base["quality"] == pytest.approx(result.row("single:gemma").quality, abs=1e-12)
    ctr = live["classify_then_route:gemma"]
    assert ctr["call_share"]["gemma_router"] == 1.0  # its classifier call is counted on every task


def test_report_is_written_where_the_demo_says(demo: tuple[DemoResult, str]) -> None:
    result, text = demo
    for name in ("report.html", "report.md", "summary.csv", "frontier.png"):
        assert (result.report_dir / name).is_file(), name
    assert str(result.report_dir / "report.html") in text
    assert "make lab" in text
    html = (result.report_dir / "report.html").read_text(encoding="utf-8")
    assert "classify_then_route:gemma" in html and "0.08925" in html


def test_rows_are_finite_numbers(demo: tuple[DemoResult, str]) -> None:
    result, _ = demo
    for row in result.rows:
        assert isinstance(row, DemoRow)
        assert row.quality is not None and 0.0 <= row.quality <= 1.0
        assert row.cost_usd is not None and math.isfinite(row.cost_usd) and row.cost_usd >= 0


def test_cli_demo(lab_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    assert main(["demo", "--run", str(lab_run), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "single:gemma" in printed and "classify_then_route:specialist" in printed
    assert (out / "report.html").is_file()
    # bad input: a folder that is not a run, and --run with --live
    assert main(["demo", "--run", str(tmp_path), "--out", str(out)]) == 2
    assert "no recorded run here" in capsys.readouterr().err
    assert main(["demo", "--live", "--run", str(lab_run)]) == 2


def _test_rows(lab_run: Path) -> list[ResultRecord]:
    return [r for r in read_results(lab_run) if r.split == "test" and r.strategy == "single:gemma"]


def test_money_keeps_three_significant_digits() -> None:
    assert money(0.0000213456) == "$0.0000213"
    assert money(1.25) == "$1.25"
    assert money(123.456) == "$123.46"
    assert money(0.0) == "$0"
    assert money(None) == "n/a"
    assert money(float("nan")) == "n/a"


def test_the_demo_shows_the_saving_at_each_quality_target(demo: tuple[DemoResult, str]) -> None:
    result, printed = demo
    assert "at each quality target Q" in printed
    assert "at each quality target Q" in result.text
    section = " ".join(result.text.split("at each quality target Q", 1)[1].split())
    tfidf = section.split("score_router:tfidf_logreg:", 1)[1].split("score_router:knn:")[0]
    assert all(f"Q {q}:" in tfidf for q in ("1", "0.95", "0.9")) and "saved, " in tfidf


def test_target_savings_turn_cost_ratios_into_savings_with_their_ci() -> None:
    from toolkit.lab._demo import target_savings

    parity = [
        {"strategy": "cascade:knn", "target": 1.0, "reached": True, "cost_ratio": 0.4,
         "cost_ratio_ci": [0.3, 0.55], "holds_on_test": True},
        {"strategy": "cascade:knn", "target": 0.98, "reached": False, "cost_ratio": None,
         "cost_ratio_ci": [None, None], "holds_on_test": None},
    ]  # fmt: skip
    lines = target_savings(parity, "single:big")
    assert lines[1].startswith("Saving against single:big at each quality target Q")
    text = " ".join(lines)
    assert "cascade:knn: Q 1: 60% [45%, 70%] saved, holds on test; Q 0.98: not reached" in text
    assert target_savings([], "single:big") == []
