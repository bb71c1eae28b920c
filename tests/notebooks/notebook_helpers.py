"""SYNTHETIC run directories for the notebook-helper tests, written with RunWriter.

``write_matrix_run``: three executors recorded on every task (``single:<executor>`` rows) over
two categories, plus one live strategy with its own classifier calls (``tests/synthetic_runs.py``). ``write_orchestrated_run``:
one single-model strategy and one orchestrated strategy whose traces hold plans, step states
and step times, with a call per step. Every number here is made up (seeded).
"""

from __future__ import annotations

from pathlib import Path

import synthetic_runs

from toolkit.runs import CallRecord, Manifest, ResultRecord, RunWriter

CATEGORIES = ("math", "sentiment")
HOURLY_RATE = 0.05  # synthetic hourly rate of the "tiny" local executor
WORDS = {
    "math": ["add", "sum", "multiply", "number", "plus", "total", "twice", "half"],
    "sentiment": ["movie", "great", "awful", "review", "loved", "boring", "plot", "actor"],
}
#: Synthetic success rates per executor and category.
QUALITY = {
    "tiny": {"math": 0.3, "sentiment": 0.7},
    "mid": {"math": 0.7, "sentiment": 0.9},
    "calc": {"math": 0.95, "sentiment": 0.0},
}


def write_matrix_run(root: Path, *, n_tasks: int = 120, seed: int = 3) -> Path:
    """A SYNTHETIC run with a full outcome matrix and one live strategy; returns the run."""
    return synthetic_runs.write_matrix_run(
        root,
        name="synthetic-notebook-fixture",
        categories=CATEGORIES,
        words=WORDS,
        quality=QUALITY,
        hourly_rate=HOURLY_RATE,
        n_tasks=n_tasks,
        seed=seed,
        split=lambda i: "train" if i % 3 else "test",
        text=lambda i, cat, words: f"synthetic {cat} task {i}: {words}",
        answer=lambda i, task_id: "synthetic answer",
    )


#: The SYNTHETIC orchestrated tasks: (task id, category, plan steps as (id, role, executor,
#: depends_on, start_s, end_s, cost, state)).
ORCH_TASKS = (
    (
        "o1",
        "extract_then_compute",
        (
            ("extract", "extractor", "numbers", (), 0.0, 0.1, 0.0, "done"),
            ("compute", "calculator", "calc", ("extract",), 0.1, 0.3, 0.0, "done"),
        ),
    ),
    (
        "o2",
        "multi_part",
        (
            ("part_a", "sentiment", "gemma", (), 0.0, 2.0, 0.0004, "done"),
            ("part_b", "date_extractor", "gemma", (), 0.0, 1.5, 0.0003, "failed"),
        ),
    ),
    (
        "o3",
        "multi_part",
        (
            ("part_a", "sentiment", "gemma", (), 0.0, 1.0, 0.0002, "done"),
            ("part_b", "date_extractor", "gemma", (), 0.0, 1.0, 0.0002, "done"),
            ("answer", "answerer", "gemma", ("part_a", "part_b"), 1.0, 3.0, 0.0005, "done"),
        ),
    ),
)
T0 = 1_700_000_000.0  # synthetic clock origin


def write_orchestrated_run(root: Path) -> Path:
    """A SYNTHETIC orchestrator run: ``single:gemma`` and ``orchestrated`` on three tasks."""
    run = root / "orch"
    writer = RunWriter.create(run, Manifest(name="synthetic-orchestrator", status="running"))
    for k, (tid, cat, steps) in enumerate(ORCH_TASKS):
        t0 = T0 + 100 * k
        writer.add_call(
            CallRecord(
                task_id=tid,
                strategy="single:gemma",
                executor="gemma",
                model="local/gemma-3-270m",
                cost_usd=0.001,
                service_s=2.0,
                started_at=t0,
                ended_at=t0 + 2.5,
            )
        )
        writer.add_result(
            ResultRecord(
                task_id=tid,
                strategy="single:gemma",
                category=cat,
                split="test",
                score=0.0,
                cost_usd=0.001,
                latency_s=2.0,
                n_calls=1,
            )
        )
        infos = []
        for sid, role, ex, deps, start, end, cost, state in steps:
            infos.append(
                {
                    "id": sid,
                    "role": role,
                    "depends_on": list(deps),
                    "state": state,
                    "executor": ex,
                    "model": "local/gemma-3-270m" if ex == "gemma" else f"tool:{ex}",
                    "started_at": t0 + start,
                    "ended_at": t0 + end,
                    "duration_ms": (end - start) * 1000,
                    "service_s": end - start,
                    "cost_usd": cost,
                    "tokens_in": 10,
                    "tokens_out": 2,
                    "n_calls": 1,
                    "error": "synthetic failure" if state == "failed" else None,
                    "routing": {"by": "role", "role": role},
                    "compression": {"applied": ex == "gemma"},
                }
            )
            writer.add_call(
                CallRecord(
                    task_id=tid,
                    strategy="orchestrated",
                    step=sid,
                    executor=ex,
                    model="local/gemma-3-270m" if ex == "gemma" else f"tool:{ex}",
                    tokens_in=10,
                    tokens_out=2,
                    cost_usd=cost,
                    service_s=(end - start) / 2,
                    started_at=t0 + start,
                    ended_at=t0 + end,
                    error="synthetic failure" if state == "failed" else None,
                )
            )
        plan = {
            "steps": [
                {"id": s[0], "role": s[1], "depends_on": list(s[3]), "description": f"do {s[0]}"}
                for s in steps
            ]
        }
        if cat == "multi_part":
            plan["answer"] = "(a) {part_a}; (b) {part_b}"
        total = sum(s[6] for s in steps)
        writer.add_result(
            ResultRecord(
                task_id=tid,
                strategy="orchestrated",
                category=cat,
                split="test",
                score=1.0,
                cost_usd=total,
                latency_s=max(s[5] for s in steps),
                n_calls=len(steps),
                info={
                    "planner": {"kind": "template", "attempts": 1, "template": cat},
                    "plan": plan,
                    "steps": infos,
                    "critical_path": [steps[-1][0]],
                    "critical_path_s": max(s[5] for s in steps),
                    "started_at": t0,
                    "wall_s": max(s[5] for s in steps) + 0.01,
                    "stopped_by": None,
                },
            )
        )
    writer.finish("done")
    return run
