"""Run directories: evaluate reads the matrix and reports live strategies as recorded, and the
offline single executors agree with the live ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit.analysis._live import summarize_live
from toolkit.cli import main
from toolkit.runs import Manifest, ResultRecord, RunWriter

# A run with two executors recorded alone on 6 tasks, and a `rules` strategy (hand-made values).
ROWS = {
    # task: (split, category, score a, score b, rules' route)
    "t1": ("train", "math", 1.0, 0.0, "a"),
    "t2": ("train", "math", 0.0, 1.0, "b"),
    "t3": ("train", "code", 1.0, 1.0, "b"),
    "t4": ("test", "math", 1.0, 0.0, "a"),
    "t5": ("test", "code", 0.0, 1.0, "a"),
    "t6": ("test", "code", 1.0, 1.0, "b"),
}
COST = {"a": 0.01, "b": 0.002}
LATENCY = {"a": 2.0, "b": 0.5}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(
        "".join(json.dumps({"id": t, "input": f"question {t} " * 3}) + "\n" for t in ROWS),
        encoding="utf-8",
    )
    w = RunWriter.create(
        tmp_path / "run", Manifest(name="live", spec={"tasks": {"paths": [str(tasks)]}})
    )
    for t, (split, cat, sa, sb, route) in ROWS.items():
        for e, s in (("a", sa), ("b", sb)):
            w.add_result(
                ResultRecord(
                    task_id=t,
                    strategy=f"single:{e}",
                    category=cat,
                    split=split,
                    score=s,
                    cost_usd=COST[e],
                    latency_s=LATENCY[e],
                    executors_called=[e],
                )
            )
        w.add_result(
            ResultRecord(
                task_id=t,
                strategy="rules",
                category=cat,
                split=split,
                score=sa if route == "a" else sb,
                cost_usd=COST[route] + 0.0001,  # the rule's own (classifier) cost
                latency_s=LATENCY[route],
                executors_called=[route],
            )
        )
    w.finish()
    return tmp_path / "run"


def test_summarize_live_on_test_split(run_dir: Path) -> None:
    live = summarize_live(run_dir)
    assert live["scope"] == "the test split"
    by = {s["name"]: s for s in live["strategies"]}
    # rules on t4 (a: 1), t5 (a: 0), t6 (b: 1): quality 2/3; cost 2 x 0.0101 + 0.0021.
    assert by["rules"]["quality"] == pytest.approx(2 / 3)
    assert by["rules"]["cost_usd"] == pytest.approx(0.0101 * 2 + 0.0021)
    assert by["rules"]["call_share"] == pytest.approx({"a": 2 / 3, "b": 1 / 3})
    assert by["rules"]["latency_p50_s"] == pytest.approx(2.0)
    assert by["single:b"]["quality"] == pytest.approx(2 / 3) and by["single:b"]["n"] == 3


def test_evaluate_run_dir_agrees_with_live(
    run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "evaluate",
            str(run_dir),
            "--strategy",
            "single",
            "--strategy",
            "oracle",
            "--bootstrap",
            "20",
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    r = json.loads(captured.out)
    assert r["n_train"] == 3 and r["n_test"] == 3 and r["split"] == "by the split column"
    live = {s["name"]: s for s in r["live"]["strategies"]}
    assert r["live"]["scope"] == "3 given tasks"
    assert "rules" in live
    for s in r["strategies"]:
        if s["name"].startswith("single:"):
            # The same strategy, offline from the matrix and live as recorded: same numbers.
            assert s["quality"] == pytest.approx(live[s["name"]]["quality"], abs=1e-12)
            assert s["cost_usd"] == pytest.approx(live[s["name"]]["cost_usd"], abs=1e-12)
            assert s["latency_p50_s"] == pytest.approx(live[s["name"]]["latency_p50_s"], abs=1e-12)
    # The text came from the task file named in the manifest: learned routers can run.
    code = main(
        ["evaluate", str(run_dir), "--strategy", "score_router:knn", "--bootstrap", "20", "--json"]
    )
    r = json.loads(capsys.readouterr().out)
    assert code == 0 and any(s["name"] == "score_router:knn" for s in r["strategies"])
