"""What the strategies of a run did live, as recorded in its ``results.jsonl``."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.analysis._metrics import percentiles
from toolkit.runs import ResultRecord, read_results


def summarize_live(
    root: str | Path,
    *,
    task_ids: Collection[str] | None = None,
    split: str | None = "test",
) -> dict[str, Any]:
    """Per-strategy quality, cost and latency of a run, from its result rows as recorded.

    The rows are those of ``task_ids`` when given; otherwise those whose split is ``split``
    (when ``split`` is None, or no row has that split, every row). Quality is the mean score
    over scored rows; ``n_unscored`` counts rows without a score. Cost is the recorded
    ``cost_usd`` (every call the strategy made, routing calls included).

    Returns ``{"scope": str, "strategies": [{"name", "n", "n_unscored", "quality", "cost_usd",
    "cost_per_task", "latency_p50_s", "latency_p95_s", "call_share"}]}``.
    """
    rows = read_results(root)
    if task_ids is not None:
        wanted = {str(t) for t in task_ids}
        chosen = [r for r in rows if r.task_id in wanted]
        scope = f"{len(wanted)} given tasks"
    elif split is not None and any(r.split == split for r in rows):
        chosen = [r for r in rows if r.split == split]
        scope = f"the {split} split"
    else:
        chosen = rows
        scope = "every task" + (f" (no row has split {split!r})" if split is not None else "")
    by: dict[str, list[ResultRecord]] = {}
    for r in chosen:
        by.setdefault(r.strategy, []).append(r)
    out = []
    for name, group in by.items():
        scores = np.array([r.score for r in group if r.score is not None], dtype=np.float64)
        cost = np.array([r.cost_usd for r in group], dtype=np.float64)
        lat = np.array([r.latency_s for r in group], dtype=np.float64)
        p50, p95 = percentiles(lat, [50, 95])
        called: dict[str, int] = {}
        for r in group:
            for e in r.executors_called:
                called[e] = called.get(e, 0) + 1
        out.append(
            {
                "name": name,
                "n": len(group),
                "n_unscored": len(group) - len(scores),
                "quality": float(scores.mean()) if len(scores) else None,
                "cost_usd": float(cost.sum()),
                "cost_per_task": float(cost.mean()),
                "latency_p50_s": p50,
                "latency_p95_s": p95,
                "call_share": {e: k / len(group) for e, k in sorted(called.items())},
            }
        )
    return {"scope": scope, "strategies": out}
