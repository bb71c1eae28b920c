"""SYNTHETIC run directories for tests, written with RunWriter: every number is made up (seeded).

``write_matrix_run`` writes three executors recorded on every task (``single:<executor>``
rows: a local model priced by the hour, an API model priced per token, a free tool) and one
live strategy, ``classify_then_route``, with its own classifier call on the local model. The
callers choose the categories, words, success rates and texts (the report tests put hostile
HTML in them). ``read_jsonl`` reads a run file back as plain dicts, for any test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.runs import CallRecord, Manifest, ResultRecord, RunWriter

EXECUTORS = ("tiny", "mid", "calc")
MODELS = {"tiny": "local/gemma-3-270m", "mid": "gpt-4o-mini", "calc": "tool/arithmetic"}
#: Synthetic per-token prices of "mid" (USD per million tokens in and out).
MID_PRICE = (0.15, 0.60)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every line of a JSONL run file (each must parse), as plain dicts."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_matrix_run(
    root: Path,
    *,
    name: str,
    categories: Sequence[str],
    words: Mapping[str, Sequence[str]],
    quality: Mapping[str, Mapping[str, float]],
    hourly_rate: float,
    n_tasks: int,
    seed: int,
    split: Callable[[int], str],
    text: Callable[[int, str, str], str],
    answer: Callable[[int, str], str],
) -> Path:
    """Write the run (and its task file) under ``root``; returns the run directory.

    ``split(i)`` gives task i's split, ``text(i, category, words)`` its input and
    ``answer(i, task_id)`` every answer recorded for it.
    """
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    task_file = root / "synthetic_tasks.jsonl"
    run = root / "run"
    tasks = []
    for i in range(n_tasks):
        cat = categories[i % len(categories)]
        drawn = " ".join(rng.choice(list(words[cat]), size=6))
        row = {"id": f"t{i:03d}", "input": text(i, cat, drawn), "category": cat}
        tasks.append({**row, "split": split(i), "target": "x"})
    task_file.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    spec = {
        "name": name,
        "description": f"SYNTHETIC run: {name}",
        "tasks": {"paths": [str(task_file)]},
        "local": {"hourly_rate_usd": hourly_rate},
        "executors": [
            {"name": "tiny", "kind": "local", "model": "gemma-3-270m"},
            {"name": "mid", "kind": "litellm", "model": "gpt-4o-mini"},
            {"name": "calc", "kind": "tool", "tool": "arithmetic"},
        ],
        "strategies": [{"kind": "single"}, {"kind": "classify_then_route"}],
    }
    manifest = Manifest(
        name=name,
        spec=spec,
        status="running",
        local_hourly_rate_usd=hourly_rate,
        executor_hourly_rates_usd={"tiny": hourly_rate},
    )
    writer = RunWriter.create(run, manifest)
    for k, t in enumerate(tasks):
        cat, said = t["category"], answer(k, t["id"])
        outcomes = {}
        for e in EXECUTORS:
            ok = bool(rng.random() < quality[e][cat])
            tin, tout = int(rng.integers(40, 400)), int(rng.integers(2, 40))
            latency = float(rng.uniform(0.4, 1.5) if e == "mid" else rng.uniform(0.05, 0.4))
            if e == "tiny":
                cost = latency * hourly_rate / 3600
            elif e == "mid":
                cost = (tin * MID_PRICE[0] + tout * MID_PRICE[1]) / 1e6
            else:
                cost = 0.0
            outcomes[e] = (ok, tin, tout, latency, cost)
            _record(writer, t, f"single:{e}", [("", e, tin, tout, cost, latency, said)], ok)
        # Live classify-then-route: a classifier call on tiny, then calc for math, else mid.
        target = "calc" if cat == "math" else "mid"
        c_lat = float(rng.uniform(0.05, 0.2))
        ok, tin, tout, lat, cost = outcomes[target]
        steps = [
            ("classify", "tiny", 60, 3, c_lat * hourly_rate / 3600, c_lat, cat),
            ("answer", target, tin, tout, cost, lat, said),
        ]
        _record(writer, t, "classify_then_route", steps, ok)
    writer.finish("done")
    return run


_Step = tuple[str, str, int, int, float, float, str]


def _record(
    writer: RunWriter, task: Mapping[str, str], strategy: str, steps: list[_Step], ok: bool
) -> None:
    """One call per step, then the result: the last step answers, all steps add up."""
    for step, executor, tin, tout, cost, latency, said in steps:
        writer.add_call(
            CallRecord(
                task_id=task["id"],
                strategy=strategy,
                step=step,
                executor=executor,
                model=MODELS[executor],
                tokens_in=tin,
                tokens_out=tout,
                cost_usd=cost,
                service_s=latency,
                latency_s=latency,
                text=said,
            )
        )
    writer.add_result(
        ResultRecord(
            task_id=task["id"],
            strategy=strategy,
            category=task["category"],
            split=task["split"],
            answer=steps[-1][6],
            score=1.0 if ok else 0.0,
            cost_usd=sum(s[4] for s in steps),
            latency_s=sum(s[5] for s in steps),
            tokens_in=sum(s[2] for s in steps),
            tokens_out=sum(s[3] for s in steps),
            n_calls=len(steps),
            route=[steps[-1][1]],
            executors_called=[s[1] for s in steps],
        )
    )
