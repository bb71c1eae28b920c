"""Live strategies of a run (rules, classify-then-route, ...) on the test split, in the
``evaluate --json`` strategy layout, so the report can put them beside the offline ones.

The main figures come from ``toolkit.analysis.summarize_live`` (quality over scored rows,
recorded cost with routing calls, latency percentiles, call shares). This module adds what
that summary lacks and the report needs: the bootstrap CI of quality (same seed and task order
as ``evaluate``), the paired p-value against ``single_best``, cost per correct answer, the
per-category breakdown, the cost per executor from ``calls.jsonl``, and the per-task arrays
for the figures. Those additions belong in ``toolkit.analysis`` in time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from toolkit.outcomes import OutcomeMatrix
    from toolkit.runs import CallRecord, ResultRecord

FloatArray = npt.NDArray[np.float64]

SINGLE_PREFIX = "single:"

_Rec = TypeVar("_Rec", "CallRecord", "ResultRecord")


@dataclass(frozen=True, eq=False)
class LiveStrategy:
    """One live strategy on the test tasks it covers: its summary entry and per-task arrays
    (``score`` is NaN where the trace has no score)."""

    entry: dict[str, Any]
    task_ids: tuple[str, ...]
    score: FloatArray
    cost: FloatArray
    latency: FloatArray
    cost_by_executor: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def live_strategies(
    base: Sequence[Mapping[str, Any]],
    results: Sequence[ResultRecord],
    calls: Sequence[CallRecord],
    test: OutcomeMatrix,
    *,
    reference: str,
    seed: int = 0,
    n_boot: int = 1000,
    taken: Sequence[str] = (),
) -> list[LiveStrategy]:
    """The live strategies of ``base`` (``summarize_live``'s entries) completed for the report.

    ``results`` and ``calls`` are the run's records (costs may be re-priced); entries named
    ``single:<executor>`` are left out (the outcome matrix has them). ``reference`` is the
    executor the p-value is taken against. A name that clashes with ``taken`` (an offline
    strategy) is shown as ``live:<name>``.
    """
    from toolkit.analysis import num, paired_bootstrap, paired_t_pvalues, percentile_ci

    order = {str(t): i for i, t in enumerate(test.task_ids)}
    ref_col = test.score[:, test.index(reference)]
    results_of = _by_strategy(results)
    calls_of = _by_strategy(calls)
    out: list[LiveStrategy] = []
    for summary in base:
        name = str(summary["name"])
        if name.startswith(SINGLE_PREFIX):
            continue
        rows: dict[int, ResultRecord] = {}
        for r in results_of.get(name, ()):
            if r.task_id in order:
                rows[order[r.task_id]] = r  # a repeated row: the last one counts
        if not rows:
            continue
        idx = np.array(sorted(rows), dtype=np.intp)
        recs = [rows[int(i)] for i in idx]
        score = np.array([np.nan if r.score is None else r.score for r in recs])
        cost = np.array([r.cost_usd for r in recs])
        latency = np.array([r.latency_s for r in recs])
        scored = np.isfinite(score)
        notes: list[str] = []
        if len(idx) < test.n_tasks:
            notes.append(
                f"{name}: covers {len(idx)} of {test.n_tasks} test tasks; its numbers are over "
                "those tasks only"
            )
        if not scored.all():
            notes.append(
                f"{name}: {int((~scored).sum())} test tasks have no score (errors); quality is "
                "over the scored ones, cost and latency over all"
            )
        q_ci: list[float | None] = [None, None]
        pval = None
        if scored.any():
            boot = paired_bootstrap({"score": score[scored][:, None]}, [], n_boot=n_boot, seed=seed)
            lo, hi = percentile_ci(boot.means["score"])
            q_ci = [num(lo[0]), num(hi[0])]
            pval = num(paired_t_pvalues(score[scored][:, None], ref_col[idx][scored])[0])
        total = float(cost.sum())
        correct = float(np.nansum(score))
        by_cat: dict[str, dict[str, Any]] = {}
        cats = np.array([str(test.category[i]) for i in idx], dtype=object)
        for c in sorted(set(cats)):
            sel = cats == c
            ok = sel & scored
            by_cat[c] = {
                "quality": num(score[ok].mean()) if ok.any() else None,
                "cost_usd": num(cost[sel].sum()),
                "n": int(sel.sum()),
            }
        entry: dict[str, Any] = {
            "name": f"live:{name}" if name in taken else name,
            "params": {},
            "quality": summary.get("quality"),
            "quality_ci": q_ci,
            "cost_usd": num(total),
            "cost_per_task": num(total / len(idx)),
            "cost_per_correct": num(total / correct) if correct > 0 else None,
            "latency_p50_s": summary.get("latency_p50_s"),
            "latency_p95_s": summary.get("latency_p95_s"),
            "call_share": dict(summary.get("call_share", {})),
            "p_value_vs_single_best": pval,
            "by_category": by_cat,
            "n": len(idx),
            "n_unscored": int((~scored).sum()),
        }
        ids = tuple(r.task_id for r in recs)
        out.append(
            LiveStrategy(
                entry=entry,
                task_ids=ids,
                score=score,
                cost=cost,
                latency=latency,
                cost_by_executor=_cost_by_executor(calls_of.get(name, ()), set(ids)),
                notes=tuple(notes),
            )
        )
    return out


def _by_strategy(records: Sequence[_Rec]) -> dict[str, list[_Rec]]:
    """The records grouped by strategy, each group in record order."""
    out: dict[str, list[_Rec]] = {}
    for r in records:
        out.setdefault(r.strategy, []).append(r)
    return out


def _cost_by_executor(calls: Sequence[CallRecord], ids: set[str]) -> dict[str, float]:
    """Cost of one strategy's calls per executor on some tasks: routing calls included."""
    out: dict[str, float] = {}
    for c in calls:
        if c.task_id in ids:
            out[c.executor] = out.get(c.executor, 0.0) + c.cost_usd
    return out
