"""Notebook helpers: tables (pandas) and figures (PNG) over the analysis layer's numbers.

The notebooks in ``notebooks/`` stay thin by calling these. Every number comes from
``toolkit.analysis`` (the same definitions as ``toolkit evaluate`` and the cost report); this
module only arranges it. pandas and matplotlib are imported inside the functions, and the
figures are drawn on the Agg canvas (never ``pyplot``), so a notebook keeps its own backend.

>>> cmp = compare_strategies("data/runs/lab")
>>> cmp.table()                  # one row per strategy shown in the report
>>> cmp.frontier_plot()          # displays inline in Jupyter (a PNG)
>>> cmp.by_category("quality")   # strategies x task categories
"""

from __future__ import annotations

import copy
import csv
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from toolkit._errors import InputError, located
from toolkit._format import duration
from toolkit.outcomes import LONG_FIELDS
from toolkit.report._render import csv_cell
from toolkit.signals import SIGNALS

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.analysis import ThresholdRouter
    from toolkit.outcomes import OutcomeMatrix
    from toolkit.report._build import Analysis, CostReport, StrategyRow
    from toolkit.report._inputs import ReportInputs
    from toolkit.report._projection import Projection
    from toolkit.report._widgets import ThresholdTuner

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "ELLIPSIS",
    "LONG_CSV_COLUMNS",
    "Comparison",
    "Png",
    "ThresholdSweep",
    "category_frame",
    "compare_strategies",
    "drift_frame",
    "export_long_csv",
    "export_setting",
    "frontier_plot",
    "plan_text",
    "plans_frame",
    "projection_frame",
    "repo_root",
    "shorten",
    "significance_frame",
    "step_costs",
    "steps_frame",
    "strategy_frame",
    "sweep_plot",
    "threshold_sweep",
    "timeline_plot",
    "tuned_router",
]

#: The columns ``export_long_csv`` writes: the ``long`` import format, every optional field.
LONG_CSV_COLUMNS = LONG_FIELDS


# ----- small things -----


class Png(bytes):
    """PNG bytes that Jupyter displays as an image (``_repr_png_``)."""

    def _repr_png_(self) -> bytes:
        return bytes(self)

    def __repr__(self) -> str:
        return f"<PNG image, {len(self):,} bytes>"


def repo_root(start: str | Path | None = None, *, marker: str = "pyproject.toml") -> Path:
    """The nearest folder at or above ``start`` (default: the working directory) that holds
    ``marker``: the repository root, wherever a notebook is started from."""
    here = Path.cwd() if start is None else Path(start)
    here = here.resolve()
    for folder in (here, *here.parents):
        if (folder / marker).is_file():
            return folder
    raise InputError(
        f"no {marker} found in {here} or any folder above it; start the notebook inside the "
        "toolkit repository (or pass its path)"
    )


# ----- comparing strategies (the report's analysis, as DataFrames) -----


@dataclass(frozen=True, eq=False)
class Comparison:
    """Offline and live strategies of one source, evaluated on its test split.

    ``inputs`` is what was loaded (matrix, split, run records); ``analysis`` is the cost
    report's analysis (the ``evaluate`` result, one row per strategy setting, the live
    strategies, the baseline). Build it with :func:`compare_strategies`.
    """

    inputs: ReportInputs
    analysis: Analysis

    @property
    def evaluation(self) -> Mapping[str, Any]:
        """The ``toolkit evaluate --json`` object."""
        return self.analysis.evaluation

    def table(self, *, all_settings: bool = False) -> pd.DataFrame:
        """The per-strategy table (see :func:`strategy_frame`)."""
        return strategy_frame(self.analysis, all_settings=all_settings)

    def by_category(self, metric: str = "quality") -> pd.DataFrame:
        """Strategies x task categories (see :func:`category_frame`)."""
        return category_frame(self.analysis, metric=metric)

    def significance(self, *, alpha: float = 0.05) -> pd.DataFrame:
        """Paired t-tests against ``single_best`` (see :func:`significance_frame`)."""
        return significance_frame(self.analysis, alpha=alpha)

    def frontier_plot(self) -> Png:
        """The cost-quality plane with the frontier (see :func:`frontier_plot`)."""
        return frontier_plot(self.analysis)


def compare_strategies(
    source: str | Path | ReportInputs | OutcomeMatrix,
    *,
    seed: int = 0,
    n_boot: int = 1000,
    baseline: str | None = None,
    test_fraction: float = 0.3,
    strategies: Sequence[str] | None = None,
) -> Comparison:
    """Evaluate every strategy of a run directory or outcome file on its test split.

    The same numbers as ``toolkit evaluate`` and the cost report (learned parts fitted on
    train, bootstrap CIs with ``n_boot`` resamples and ``seed``); for a run, its live
    strategies are summarised from the recorded traces beside the offline ones. ``source``
    may also be an imported :class:`OutcomeMatrix` (split by its ``split`` column, else at
    random with ``test_fraction`` and ``seed``). ``baseline`` is the executor savings are
    measured against (default: ``single_best``).
    """
    from toolkit.analysis import split_outcomes
    from toolkit.outcomes import OutcomeMatrix
    from toolkit.report._build import DEFAULT_MONTHLY_REQUESTS, _baseline_name, analyze
    from toolkit.report._inputs import ReportInputs, load_inputs

    if isinstance(source, ReportInputs):
        inputs = source
    elif isinstance(source, OutcomeMatrix):
        train, test, how = split_outcomes(source, test_fraction=test_fraction, seed=seed)
        inputs = ReportInputs(
            source=Path(source.source or "outcomes"),
            kind="outcomes",
            matrix=source,
            train=train,
            test=test,
            split_how=how,
            name=Path(source.source).stem if source.source else "outcomes",
            executor_models={e: e for e in source.executors},
        )
    else:
        inputs = load_inputs(source, test_fraction=test_fraction, seed=seed)
    analysis = analyze(
        inputs,
        baseline=_baseline_name(inputs, baseline),
        monthly_requests=DEFAULT_MONTHLY_REQUESTS,
        mix=None,
        seed=seed,
        n_boot=n_boot,
        strategies=strategies,
    )
    return Comparison(inputs=inputs, analysis=analysis)


def _analysis_of(source: Analysis | Comparison | CostReport) -> Analysis:
    inner = getattr(source, "analysis", None)
    return source if inner is None else inner  # type: ignore[return-value]


def _num(x: Any) -> float:
    """A float, NaN for a missing value (so pandas columns stay numeric)."""
    return float("nan") if x is None else float(x)


def _rows(a: Analysis, all_settings: bool) -> list[StrategyRow]:
    return list(a.rows) if all_settings else a.shown()


def strategy_frame(
    source: Analysis | Comparison | CostReport, *, all_settings: bool = False
) -> pd.DataFrame:
    """One row per strategy setting on the test split, indexed by its label.

    By default the settings of the report's main table (every single executor, random, the
    oracle, the live strategies, and of each tunable strategy its setting at parity and those
    on the frontier); ``all_settings=True`` gives every threshold / lambda. Columns: ``how``
    (offline / live), ``quality`` with ``ci_lo``/``ci_hi`` (95% bootstrap), ``cost_usd``
    (total), ``cost_per_task``, ``cost_per_correct``, ``latency_p50_s``, ``latency_p95_s``,
    ``saving_vs_baseline`` (1 - cost per task / the baseline's, a fraction),
    ``p_value_vs_single_best``, ``on_frontier``, ``note``, then one ``share:<executor>``
    column per executor: the fraction of test tasks that called it. Missing values are NaN.
    """
    import pandas as pd

    a = _analysis_of(source)
    records = []
    executors: list[str] = []
    for r in _rows(a, all_settings):
        e = r.entry
        ci = e.get("quality_ci") or [None, None]
        shares = e.get("call_share") or {}
        records.append(
            {
                "strategy": r.label,
                "how": r.how,
                "family": r.family,
                "quality": _num(e.get("quality")),
                "ci_lo": _num(ci[0]),
                "ci_hi": _num(ci[1]),
                "cost_usd": _num(e.get("cost_usd")),
                "cost_per_task": _num(e.get("cost_per_task")),
                "cost_per_correct": _num(e.get("cost_per_correct")),
                "latency_p50_s": _num(e.get("latency_p50_s")),
                "latency_p95_s": _num(e.get("latency_p95_s")),
                "saving_vs_baseline": _num(r.saving_pct),
                "p_value_vs_single_best": _num(e.get("p_value_vs_single_best")),
                "on_frontier": r.on_frontier,
                "note": r.note,
                **{f"share:{k}": float(v) for k, v in shares.items()},
            }
        )
        executors.extend(k for k in shares if k not in executors)
    columns = [
        "strategy",
        "how",
        "family",
        "quality",
        "ci_lo",
        "ci_hi",
        "cost_usd",
        "cost_per_task",
        "cost_per_correct",
        "latency_p50_s",
        "latency_p95_s",
        "saving_vs_baseline",
        "p_value_vs_single_best",
        "on_frontier",
        "note",
        *(f"share:{e}" for e in executors),
    ]
    frame = pd.DataFrame(records, columns=columns).set_index("strategy")
    shares = [c for c in frame.columns if c.startswith("share:")]
    frame[shares] = frame[shares].fillna(0.0)
    return frame


def category_frame(
    source: Analysis | Comparison | CostReport,
    *,
    metric: str = "quality",
    all_settings: bool = False,
) -> pd.DataFrame:
    """Strategies (rows, by label) x task categories (columns) of one ``metric`` on the test
    split: ``quality`` (mean score), ``cost_per_task``, ``cost_usd`` (total) or ``n`` (tasks).

    A category a strategy did not cover is NaN.
    """
    import pandas as pd

    if metric not in ("quality", "cost_per_task", "cost_usd", "n"):
        raise InputError(f"metric must be quality, cost_per_task, cost_usd or n, got {metric!r}")
    a = _analysis_of(source)
    rows = _rows(a, all_settings)
    cats = sorted({str(c) for r in rows for c in (r.entry.get("by_category") or {})})
    data: dict[str, list[float]] = {}
    for r in rows:
        by = r.entry.get("by_category") or {}
        vals = []
        for c in cats:
            x = by.get(c)
            if not x:
                vals.append(float("nan"))
                continue
            n = int(x.get("n") or 0)
            if metric == "cost_per_task":
                cost = x.get("cost_usd")
                vals.append(float("nan") if cost is None or n == 0 else float(cost) / n)
            elif metric == "n":
                vals.append(float(n))
            else:
                vals.append(_num(x.get(metric)))
        data[r.label] = vals
    frame = pd.DataFrame.from_dict(data, orient="index", columns=cats)
    frame.index.name = "strategy"
    frame.columns.name = metric
    return frame


def significance_frame(
    source: Analysis | Comparison | CostReport,
    *,
    alpha: float = 0.05,
    all_settings: bool = False,
) -> pd.DataFrame:
    """Each strategy against ``single_best`` on the test tasks: the quality difference and
    the two-sided paired t-test p-value (``evaluate``'s ``p_value_vs_single_best``).

    Columns: ``quality``, ``delta_vs_single_best`` (quality minus single_best's test
    quality), ``p_value``, ``significant`` (p < ``alpha``) and ``verdict`` (``better``,
    ``worse`` or ``no significant difference``). single_best itself is left out.
    """
    import pandas as pd

    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be in (0, 1), got {alpha}")
    a = _analysis_of(source)
    best = a.evaluation["single_best"]
    q_best = _num(best.get("quality"))
    records = []
    for r in _rows(a, all_settings):
        if r.name == best["name"] and r.how == "offline":
            continue
        q = _num(r.entry.get("quality"))
        p = _num(r.entry.get("p_value_vs_single_best"))
        delta = q - q_best
        sig = bool(p < alpha) if math.isfinite(p) else False
        verdict = ("better" if delta > 0 else "worse") if sig else "no significant difference"
        records.append(
            {
                "strategy": r.label,
                "how": r.how,
                "quality": q,
                "delta_vs_single_best": delta,
                "p_value": p,
                "significant": sig,
                "verdict": verdict,
            }
        )
    columns = [
        "strategy",
        "how",
        "quality",
        "delta_vs_single_best",
        "p_value",
        "significant",
        "verdict",
    ]
    frame = pd.DataFrame(records, columns=columns).set_index("strategy")
    frame.attrs["single_best"] = str(best["name"])
    frame.attrs["alpha"] = alpha
    return frame


def frontier_plot(source: Analysis | Comparison | CostReport) -> Png:
    """The cost-quality plane on the test split: every strategy setting and single executor,
    the live strategies, the oracle, and the frontier line (the report's figure)."""
    from toolkit.report._figures import frontier_png
    from toolkit.report._points import frontier_line, frontier_points

    a = _analysis_of(source)
    frontier = frontier_line(a)
    return Png(frontier_png(frontier_points(a), frontier, cost_axis=a.cost_axis))


def projection_frame(projection: Projection) -> pd.DataFrame:
    """A monthly projection (``CostReport.analysis.projection``, ``ReportPreview.update``) as
    a table, one row per strategy: ``monthly_usd``, ``saving_usd``, ``saving_pct`` (a
    fraction), ``quality`` (expected at the mix) and ``is_baseline``. The volume, mix and
    baseline are in ``attrs``."""
    import pandas as pd

    columns = ["strategy", "monthly_usd", "saving_usd", "saving_pct", "quality", "is_baseline"]
    frame = pd.DataFrame(
        [
            {
                "strategy": r.strategy,
                "monthly_usd": _num(r.monthly_usd),
                "saving_usd": _num(r.saving_usd),
                "saving_pct": _num(r.saving_pct),
                "quality": _num(r.quality),
                "is_baseline": r.is_baseline,
            }
            for r in projection.rows
        ],
        columns=columns,
    ).set_index("strategy")
    frame.attrs.update(
        monthly_requests=projection.monthly_requests,
        mix=dict(projection.mix),
        baseline=projection.baseline,
    )
    return frame


# ----- threshold sweeps and tuning -----


@dataclass(frozen=True, eq=False)
class ThresholdSweep:
    """Threshold curves of two-executor routers on the test split.

    ``frame`` has one row per (signal, threshold): ``signal``, ``threshold``,
    ``strong_share``, ``quality``, ``cost_per_task`` (NaN without costs) and ``pgr``.
    ``routers`` holds the fitted :class:`toolkit.analysis.ThresholdRouter` of each learned
    signal (``oracle`` has none: it ranks by the true test gain, a hindsight upper bound).
    """

    frame: pd.DataFrame
    routers: Mapping[str, ThresholdRouter]
    strong: str
    weak: str
    kind: str
    q_strong: float
    q_weak: float
    apgr: Mapping[str, float | None] = field(default_factory=dict)

    def plot(self, point: tuple[float, float] | None = None) -> Png:
        """The curves (see :func:`sweep_plot`)."""
        return sweep_plot(self, point=point)


def threshold_sweep(
    train: OutcomeMatrix,
    test: OutcomeMatrix,
    *,
    signals: Sequence[str] = SIGNALS,
    kind: str = "score_router",
    strong: str | None = None,
    weak: str | None = None,
    oracle: bool = True,
    seed: int = 0,
) -> ThresholdSweep:
    """Fit one :class:`ThresholdRouter` per signal on train and sweep its threshold on test.

    Each curve routes the test tasks with router score >= threshold to ``strong`` (a cascade
    skips ``weak`` for them, as the live cascade does), at every distinct threshold: the points of
    ``toolkit.analysis.threshold_curve``, with the cost per task at the same thresholds.
    ``strong``/``weak`` default as in ``toolkit tune`` (the baseline, and the best executor
    costing at most a fifth of it).
    """
    import pandas as pd

    from toolkit.analysis import ThresholdRouter, descending_order, threshold_curve, tie_group_ends

    if kind not in ("score_router", "cascade"):
        raise InputError(f"kind must be score_router or cascade, got {kind!r}")
    if not signals and not oracle:
        raise InputError("give at least one signal (or oracle=True)")
    routers: dict[str, ThresholdRouter] = {}
    scores: dict[str, FloatArray] = {}
    strong_name, weak_name = strong, weak
    for sig in signals:
        router = ThresholdRouter(
            signal=sig,
            strong=strong,
            weak=weak,
            strong_share=0.5,
            kind="cascade" if kind == "cascade" else "score_router",
            seed=seed,
        ).fit(train)
        routers[sig] = router
        strong_name, weak_name = router.strong_, router.weak_
        scores[sig] = np.asarray(
            router.routing_score(test.select_executors(list(router.executors_))),
            dtype=np.float64,
        )
    if strong_name is None or weak_name is None:
        from toolkit.analysis import choose_baseline, default_weak

        q = train.score.mean(axis=0)
        cells = train.axis_cost()
        c = np.zeros(train.n_executors) if cells is None else cells.mean(axis=0)
        s_j = train.index(strong_name) if strong_name else choose_baseline(train, c).index
        w_j = train.index(weak_name) if weak_name else default_weak(q, c, s_j)
        strong_name, weak_name = train.executors[s_j], train.executors[w_j]
    s, w = test.index(strong_name), test.index(weak_name)
    s_score, w_score = test.score[:, s], test.score[:, w]
    if oracle:
        scores["oracle"] = (s_score - w_score).astype(np.float64)
    has_cost = test.has_cost
    extra = test.cost_usd[:, s] - test.cost_usd[:, w] if has_cost else np.zeros(test.n_tasks)
    c0 = float(test.cost_usd[:, w].mean()) if has_cost else float("nan")
    n = test.n_tasks
    parts = []
    apgr: dict[str, float | None] = {}
    for sig, sc in scores.items():
        curve = threshold_curve(s_score, w_score, sc)
        order = descending_order(sc)
        ends = tie_group_ends(sc[order])
        cum = np.cumsum(extra[order])
        cost = (
            np.concatenate([[c0], c0 + cum[ends] / n])
            if has_cost
            else np.full(len(curve.c), np.nan)
        )
        g = curve.pgr()
        parts.append(
            pd.DataFrame(
                {
                    "signal": sig,
                    "threshold": curve.thresholds,
                    "strong_share": curve.c,
                    "quality": curve.q,
                    "cost_per_task": cost,
                    "pgr": g if g is not None else np.full(len(curve.c), np.nan),
                }
            )
        )
        apgr[sig] = curve.apgr()
    return ThresholdSweep(
        frame=pd.concat(parts, ignore_index=True),
        routers=routers,
        strong=strong_name,
        weak=weak_name,
        kind=kind,
        q_strong=float(s_score.mean()),
        q_weak=float(w_score.mean()),
        apgr=apgr,
    )


def sweep_plot(sweep: ThresholdSweep, *, point: tuple[float, float] | None = None) -> Png:
    """Two panels: quality against the strong share, and quality against the cost per task
    (when costs are known), one curve per signal; ``point`` (strong share, quality) marks an
    operating point."""
    from toolkit.report._figures import color, label, new_figure, to_png

    f = sweep.frame
    has_cost = bool(np.isfinite(f["cost_per_task"].to_numpy(dtype=float)).any())
    fig = new_figure(11.0 if has_cost else 6.5, 4.2)
    axes = [fig.add_subplot(1, 2 if has_cost else 1, i + 1) for i in range(2 if has_cost else 1)]
    for i, (sig, g) in enumerate(f.groupby("signal", sort=False)):
        style = ":" if sig == "oracle" else "-"
        name = "oracle (hindsight)" if sig == "oracle" else str(sig)
        a = sweep.apgr.get(str(sig))
        name += f", APGR {a:.2f}" if a is not None else ""
        axes[0].plot(g["strong_share"], g["quality"], style, color=color(i), lw=1.5, label=name)
        if has_cost:
            axes[1].plot(g["cost_per_task"], g["quality"], style, color=color(i), lw=1.5)
    axes[0].axhline(sweep.q_strong, color="#444444", ls="--", lw=0.8, label="all strong")
    axes[0].axhline(sweep.q_weak, color="#999999", ls="--", lw=0.8, label="all weak")
    if point is not None:
        axes[0].plot([point[0]], [point[1]], "o", color="#d62728", ms=9, label="operating point")
    axes[0].set_xlabel(f"share of tasks sent to {label(sweep.strong, 30)}")
    axes[0].set_ylabel("quality on the test split")
    axes[0].set_title(label(f"{sweep.kind}: {sweep.strong} vs {sweep.weak}", 70))
    axes[0].grid(True, alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    if has_cost:
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        axes[1].xaxis.set_major_locator(MaxNLocator(5))
        axes[1].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}"))
        axes[1].set_xlabel("cost per task (USD)")
        axes[1].set_title("the same curves against cost")
        axes[1].grid(True, alpha=0.3)
    return Png(to_png(fig))


def drift_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """``toolkit tune``'s result as a table: rows ``train``, ``test`` and ``drift`` (test -
    train); columns ``strong_share``, ``quality``, ``cost_usd``, ``cost_per_task`` (NaN when
    unknown)."""
    import pandas as pd

    cols = ["strong_share", "quality", "cost_usd", "cost_per_task"]
    frame = pd.DataFrame(
        {side: [_num(result[side].get(c)) for c in cols] for side in ("train", "test", "drift")},
        index=cols,
    ).T
    frame.index.name = "split"
    frame.attrs["threshold"] = result.get("threshold")
    frame.attrs["target"] = result.get("target")
    return frame


def tuned_router(tuner: ThresholdTuner | ThresholdRouter) -> ThresholdRouter:
    """A copy of the tuner's router with its threshold at the tuner's current operating
    point (a fitted router is returned as a copy unchanged)."""
    router = getattr(tuner, "router", None)
    if router is None:
        return copy.copy(tuner)  # type: ignore[return-value]
    at: ThresholdRouter = copy.copy(router)
    at.threshold_ = float(tuner.threshold)  # type: ignore[union-attr]
    return at


def export_setting(
    tuner: ThresholdTuner | ThresholdRouter, path: str | Path, source: str | Path
) -> str:
    """Write the tuner's current setting as a spec that runs it live (the file ``toolkit tune
    --write-spec`` writes; ``source`` is the run directory or outcome file it was tuned on)
    and return its text."""
    from toolkit.analysis import write_tuned_spec

    out = write_tuned_spec(path, tuned_router(tuner), source)
    return out.read_text(encoding="utf-8")


# ----- orchestrated runs: plans, steps, timelines -----


def plan_text(plan: Mapping[str, Any]) -> str:
    """A plan (the ``info["plan"]`` of an orchestrated result) as text, one step a line:
    ``id [role] <- dependencies: description``, then the answer template if any."""
    steps = plan.get("steps") or []
    if not steps:
        return "(empty plan)"
    width = max(len(str(s.get("id", ""))) for s in steps)
    lines = []
    for s in steps:
        deps = ", ".join(str(d) for d in s.get("depends_on") or []) or "(start)"
        where = f"[{s.get('role') or '-'}" + (f" -> {s['executor']}" if s.get("executor") else "")
        sid = str(s.get("id"))
        desc = " ".join(str(s.get("description", "")).split())
        lines.append(f"{sid:<{width}}  {where}]  <- {deps}: {desc}")
    if plan.get("answer"):
        lines.append(f"answer: {plan['answer']}")
    return "\n".join(lines)


def plans_frame(run: str | Path) -> pd.DataFrame:
    """One row per orchestrated (task, strategy) of a run: the planner, the plan's steps in
    order, how many steps were done / failed / skipped, the critical path and its seconds,
    the measured wall seconds, cost, score and what stopped the plan early (if anything).

    Results without a plan (single executors, other strategies) are left out.
    """
    import pandas as pd

    from toolkit.runs import read_results

    records = []
    for r in read_results(run):
        info = r.info or {}
        if "steps" not in info and "plan" not in info:
            continue
        steps = info.get("steps") or []
        states = [str(s.get("state")) for s in steps]
        planner = info.get("planner") or {}
        plan = info.get("plan") or {}
        records.append(
            {
                "task_id": r.task_id,
                "strategy": r.strategy,
                "category": r.category,
                "split": r.split,
                "planner": planner.get("kind"),
                "template": planner.get("template"),
                "plan_attempts": planner.get("attempts"),
                "n_steps": len(plan.get("steps") or steps),
                "steps": " -> ".join(str(s.get("id")) for s in plan.get("steps") or steps),
                "done": states.count("done"),
                "failed": states.count("failed"),
                "skipped": states.count("skipped"),
                "critical_path": " -> ".join(str(x) for x in info.get("critical_path") or []),
                "critical_path_s": _num(info.get("critical_path_s")),
                "wall_s": _num(info.get("wall_s")),
                "cost_usd": r.cost_usd,
                "n_calls": r.n_calls,
                "score": _num(r.score),
                "stopped_by": info.get("stopped_by"),
                "error": r.error,
            }
        )
    columns = [
        "task_id",
        "strategy",
        "category",
        "split",
        "planner",
        "template",
        "plan_attempts",
        "n_steps",
        "steps",
        "done",
        "failed",
        "skipped",
        "critical_path",
        "critical_path_s",
        "wall_s",
        "cost_usd",
        "n_calls",
        "score",
        "stopped_by",
        "error",
    ]
    return pd.DataFrame(records, columns=columns)


def steps_frame(run: str | Path) -> pd.DataFrame:
    """One row per step of every orchestrated (task, strategy) of a run, from the traces:
    ``task_id``, ``strategy``, ``category``, ``step``, ``role``, ``depends_on``, ``state``,
    ``executor``, ``model``, ``start_s`` and ``end_s`` (seconds from the task's start; NaN for
    a step that never ran), ``duration_ms``, ``service_s``, ``cost_usd``, ``tokens_in``,
    ``tokens_out``, ``n_calls``, ``routed_by``, ``compressed`` and ``error``."""
    import pandas as pd

    from toolkit.runs import read_results

    records = []
    for r in read_results(run):
        info = r.info or {}
        t0 = info.get("started_at")
        for s in info.get("steps") or []:
            start, end = s.get("started_at"), s.get("ended_at")
            records.append(
                {
                    "task_id": r.task_id,
                    "strategy": r.strategy,
                    "category": r.category,
                    "step": s.get("id"),
                    "role": s.get("role"),
                    "depends_on": ", ".join(str(d) for d in s.get("depends_on") or []),
                    "state": s.get("state"),
                    "executor": s.get("executor"),
                    "model": s.get("model"),
                    "start_s": _num(None if start is None or t0 is None else start - t0),
                    "end_s": _num(None if end is None or t0 is None else end - t0),
                    "duration_ms": _num(s.get("duration_ms")),
                    "service_s": _num(s.get("service_s")),
                    "cost_usd": _num(s.get("cost_usd")),
                    "tokens_in": s.get("tokens_in") or 0,
                    "tokens_out": s.get("tokens_out") or 0,
                    "n_calls": s.get("n_calls") or 0,
                    "routed_by": (s.get("routing") or {}).get("by"),
                    "compressed": bool((s.get("compression") or {}).get("applied")),
                    "error": s.get("error"),
                }
            )
    columns = [
        "task_id",
        "strategy",
        "category",
        "step",
        "role",
        "depends_on",
        "state",
        "executor",
        "model",
        "start_s",
        "end_s",
        "duration_ms",
        "service_s",
        "cost_usd",
        "tokens_in",
        "tokens_out",
        "n_calls",
        "routed_by",
        "compressed",
        "error",
    ]
    return pd.DataFrame(records, columns=columns)


def step_costs(run: str | Path, *, by: Sequence[str] = ("strategy", "step")) -> pd.DataFrame:
    """Per-step cost of a run from its ``calls.jsonl``, grouped by ``by`` (any call columns,
    e.g. ``("strategy", "executor")``): calls, tasks, total ``cost_usd``, ``cost_per_task``
    (the total over the tasks the strategy ran), mean ``service_s``, tokens in and out.

    A call's ``step`` is the plan step's id, ``plan`` / ``plan:retry`` for the planner,
    ``<step>:compress`` for context compression, ``judge`` for grading, and ``(whole task)``
    for a strategy that calls without steps (a single executor). Judge calls are left out:
    they grade, they are not the strategy's cost.
    """
    import pandas as pd

    from toolkit.runs import calls_frame, results_frame

    calls = calls_frame(run)
    keys = list(by)
    unknown = [k for k in keys if k not in calls.columns]
    if unknown:
        raise InputError(
            f"step_costs: unknown column(s) {', '.join(unknown)}; "
            f"known: {', '.join(map(str, calls.columns))}"
        )
    calls = calls[calls["step"] != "judge"].copy()
    calls["step"] = calls["step"].where(calls["step"] != "", "(whole task)")
    results = results_frame(run)
    tasks_per_strategy = results.groupby("strategy")["task_id"].nunique()
    g = calls.groupby(keys, sort=True)
    out = pd.DataFrame(
        {
            "calls": g.size(),
            "tasks": g["task_id"].nunique(),
            "cost_usd": g["cost_usd"].sum(),
            "service_s_mean": g["service_s"].mean(),
            "tokens_in": g["tokens_in"].sum(),
            "tokens_out": g["tokens_out"].sum(),
        }
    )
    if "strategy" in keys:
        strat = out.index.get_level_values("strategy") if len(keys) > 1 else out.index
        n = np.asarray([tasks_per_strategy.get(s, 0) for s in strat], dtype=np.float64)
        out["cost_per_task"] = np.where(
            n > 0, out["cost_usd"].to_numpy() / np.maximum(n, 1), np.nan
        )
    return out


def timeline_plot(run: str | Path, task_id: str, *, strategies: Sequence[str] | None = None) -> Png:
    """The step timeline of one task: a bar per call, from its start to its end in seconds
    after the strategy's first call on the task, one lane per (strategy, step), coloured by
    executor. The light part of a bar is the call's wall time, the dark part its service time
    (at the end; before it the call waited, e.g. for the local server, which serves one request
    at a time). Parallel steps overlap; the planner's calls show as ``plan``, failed calls
    hatched."""
    from toolkit.report._figures import color, label, new_figure, to_png
    from toolkit.runs import read_calls

    calls = [
        c
        for c in read_calls(run)
        if c.task_id == task_id
        and c.step != "judge"
        and (strategies is None or c.strategy in strategies)
    ]
    if not calls:
        raise InputError(
            located(
                Path(run).name,
                None,
                "task_id",
                f"no calls recorded for task {task_id!r}"
                + (f" by {', '.join(strategies)}" if strategies else ""),
            )
        )
    order = list(dict.fromkeys(c.strategy for c in calls))
    if strategies is not None:
        order = [s for s in strategies if s in order]
    start = {s: min(c.started_at for c in calls if c.strategy == s) for s in order}
    lanes: list[tuple[str, str]] = []
    for s in order:
        for c in sorted((c for c in calls if c.strategy == s), key=lambda c: c.started_at):
            lane = (s, c.step or "(whole task)")
            if lane not in lanes:
                lanes.append(lane)
    executors = list(dict.fromkeys(c.executor for c in calls))
    fig = new_figure(10.0, max(2.2, 0.38 * len(lanes) + 1.4))
    ax = fig.add_subplot(1, 1, 1)
    seen: set[str] = set()
    span = max(c.ended_at - start[c.strategy] for c in calls)
    visible = max(span, 1e-9) * 0.006  # a microsecond step still shows as a sliver
    for c in calls:
        y = lanes.index((c.strategy, c.step or "(whole task)"))
        x0 = c.started_at - start[c.strategy]
        wall = max(c.ended_at - c.started_at, 0.0)
        service = min(max(c.service_s, 0.0), wall)
        col = color(executors.index(c.executor))
        if wall < visible:  # drawn at the smallest visible width, its real duration written
            ax.annotate(
                duration(wall),
                (x0 + visible, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
            wall = service = visible
        # Light: the call's whole wall time; dark: its service time, at the end (the
        # part before it is waiting, e.g. for the local server, which serves one at a time).
        ax.barh(y, wall, left=x0, height=0.6, color=col, alpha=0.3)
        ax.barh(
            y,
            max(service, min(visible, wall)),
            left=x0 + wall - max(service, min(visible, wall)),
            height=0.6,
            color=col,
            edgecolor="#333333" if c.error else col,
            hatch="//" if c.error else None,
            label=None if c.executor in seen else label(c.executor, 24),
        )
        seen.add(c.executor)
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels([label(f"{s} · {st}", 44) for s, st in lanes], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("seconds after the strategy's first call on this task")
    ax.set_title(label(f"step timeline of task {task_id}", 80))
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(
        fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="executor", title_fontsize=8
    )
    return Png(to_png(fig))


# ----- exporting outcomes in a public format -----


def _cell(x: float) -> str:
    if not math.isfinite(x):
        return ""
    return repr(int(x)) if float(x).is_integer() else repr(float(x))


#: What replaces the middle of a prompt shortened by ``export_long_csv``.
ELLIPSIS = " [...] "


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters by dropping its middle (head and tail kept, joined
    by ``ELLIPSIS``): a long-context prompt keeps its opening and its question."""
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    head = (room + 1) // 2
    return text[:head] + ELLIPSIS + text[len(text) - (room - head) :]


def export_long_csv(
    matrix: OutcomeMatrix, path: str | Path, *, max_prompt_chars: int | None = None
) -> Path:
    """Write an outcome matrix as a ``long`` CSV (one row per task x executor, the format
    ``toolkit outcomes import --format long`` reads), atomically; returns the path.

    Columns: ``LONG_CSV_COLUMNS``; the executor is the ``model`` column, an unknown value is
    an empty cell. ``max_prompt_chars`` (at least 40) shortens longer prompts by dropping
    their middle (see :func:`shorten`), to keep a committed file small; ``None`` keeps them
    whole.
    """
    if max_prompt_chars is not None and max_prompt_chars < 40:
        raise InputError(f"max_prompt_chars must be >= 40, got {max_prompt_chars}")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(LONG_CSV_COLUMNS)
            for i in range(matrix.n_tasks):
                text = str(matrix.text[i])
                if max_prompt_chars is not None:
                    text = shorten(text, max_prompt_chars)
                for j, executor in enumerate(matrix.executors):
                    w.writerow(
                        [
                            csv_cell(str(matrix.task_ids[i])),
                            csv_cell(text),
                            csv_cell(str(matrix.category[i])),
                            csv_cell(executor),
                            _cell(float(matrix.score[i, j])),
                            _cell(float(matrix.tokens_in[i, j])),
                            _cell(float(matrix.tokens_out[i, j])),
                            _cell(float(matrix.cost_usd[i, j])),
                            _cell(float(matrix.latency_s[i, j])),
                            csv_cell(str(matrix.splits[i])),
                        ]
                    )
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out
