"""The orchestrator notebook's helpers on a SYNTHETIC orchestrated run (notebook_helpers.py):
plans, steps, per-step costs and the step timeline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from notebook_helpers import ORCH_TASKS

from toolkit._errors import InputError
from toolkit.report._notebook import (
    plan_text,
    plans_frame,
    step_costs,
    steps_frame,
    timeline_plot,
)


def test_plans_frame_has_one_row_per_orchestrated_task(orchestrated_run: Path) -> None:
    plans = plans_frame(orchestrated_run)
    assert list(plans["task_id"]) == [t[0] for t in ORCH_TASKS]  # single:gemma rows left out
    assert set(plans["strategy"]) == {"orchestrated"}
    o2 = plans.set_index("task_id").loc["o2"]
    assert o2["steps"] == "part_a -> part_b"
    assert (o2["n_steps"], o2["done"], o2["failed"], o2["skipped"]) == (2, 1, 1, 0)
    assert o2["template"] == "multi_part" and o2["planner"] == "template"
    o3 = plans.set_index("task_id").loc["o3"]
    assert o3["cost_usd"] == pytest.approx(0.0009)
    assert o3["critical_path"] == "answer"


def test_steps_frame_times_are_relative_to_the_task_start(orchestrated_run: Path) -> None:
    steps = steps_frame(orchestrated_run)
    expected = [(tid, s) for tid, _, ss in ORCH_TASKS for s in ss]
    assert len(steps) == len(expected)
    for (_, row), (tid, s) in zip(steps.iterrows(), expected, strict=True):
        sid, role, ex, deps, start, end, cost, state = s
        assert (row["task_id"], row["step"], row["role"], row["executor"]) == (tid, sid, role, ex)
        assert row["depends_on"] == ", ".join(deps)
        assert row["start_s"] == pytest.approx(start) and row["end_s"] == pytest.approx(end)
        assert row["state"] == state and row["cost_usd"] == pytest.approx(cost)
        assert row["compressed"] == (ex == "gemma")
        assert row["routed_by"] == "role"


def test_step_costs_add_up_to_each_strategys_cost(orchestrated_run: Path) -> None:
    costs = step_costs(orchestrated_run)
    calls = [
        json.loads(line)
        for line in (orchestrated_run / "calls.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    results = [
        json.loads(line)
        for line in (orchestrated_run / "results.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    for (strategy, step), row in costs.iterrows():
        mine = [
            c for c in calls if c["strategy"] == strategy and (c["step"] or "(whole task)") == step
        ]
        assert row["calls"] == len(mine)
        assert row["cost_usd"] == pytest.approx(sum(c["cost_usd"] for c in mine))
        assert row["tasks"] == len({c["task_id"] for c in mine})
    # Per-task step costs sum to the strategy's recorded cost per task.
    for strategy in ("orchestrated", "single:gemma"):
        rows = [r for r in results if r["strategy"] == strategy]
        per_task = np.mean([r["cost_usd"] for r in rows])
        assert costs.loc[strategy]["cost_per_task"].sum() == pytest.approx(per_task)
    assert costs.loc[("single:gemma", "(whole task)"), "calls"] == len(ORCH_TASKS)
    by_executor = step_costs(orchestrated_run, by=("strategy", "executor"))
    assert by_executor.loc[("orchestrated", "gemma"), "calls"] == 5
    with pytest.raises(InputError, match="unknown column"):
        step_costs(orchestrated_run, by=("nope",))


def test_timeline_plot_draws_a_task_and_rejects_an_unknown_one(orchestrated_run: Path) -> None:
    png = timeline_plot(orchestrated_run, "o3")
    assert png.startswith(b"\x89PNG") and len(png) > 3000
    only = timeline_plot(orchestrated_run, "o3", strategies=["orchestrated"])
    assert only != png  # fewer lanes, a different picture
    with pytest.raises(InputError, match="no calls recorded for task 'zz'"):
        timeline_plot(orchestrated_run, "zz")


def test_plan_text_lists_steps_dependencies_and_answer() -> None:
    plan = {
        "steps": [
            {"id": "a", "role": "extractor", "description": "pull   numbers"},
            {"id": "bb", "role": "calculator", "depends_on": ["a"], "description": "add"},
        ],
        "answer": "{bb}",
    }
    assert plan_text(plan).splitlines() == [
        "a   [extractor]  <- (start): pull numbers",
        "bb  [calculator]  <- a: add",
        "answer: {bb}",
    ]
    assert plan_text({"steps": []}) == "(empty plan)"
