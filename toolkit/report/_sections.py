"""The report's sections as blocks: tables, figures and plain-text paragraphs.

Every string placed in a block is escaped by the renderer (``_render``), whatever it holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

import toolkit.report._figures as figs
from toolkit._format import duration, usd
from toolkit.analysis import small_sample_caveat
from toolkit.report._points import frontier_line, frontier_points, params_text
from toolkit.report._render import Block, Bullets, Heading, Image, Para, Section, Table, excerpt

if TYPE_CHECKING:
    from toolkit.report._build import Analysis, CostReport, StrategyRow
    from toolkit.report._inputs import ReportInputs
    from toolkit.report._projection import Projection
    from toolkit.report._reprice import Repricing

#: Sample answers shown per report, and category series drawn per figure, at most.
MAX_SAMPLES = 5
MAX_CATEGORY_SERIES = 8


# ----- formatting -----


#: What the cost axis is, in the report's facts.
AXIS_TEXT = {
    "usd": "USD (cost_usd of every call at the recorded prices)",
    "tokens": "USD (estimated from tokens): token counts priced per model",
    "rank": "rank units: a call costs its executor's price rank, cheapest 1; these outcomes "
    "carry no cost",
    "strong_share": "share of calls to the strong executor: these outcomes carry no cost",
}


def cost_text(value: Any, axis: str, *, per_task: bool) -> str:
    """A cost cell: dollars (``usd``, ``tokens``), rank units, or strong-call counts/shares
    when cost is unknown."""
    from toolkit.analysis import MONEY_AXES

    if axis in MONEY_AXES:
        return usd(value)
    if value is None:
        return "n/a"
    v = float(value)
    if axis == "rank":
        return f"{v:.4g} rank units"
    return f"{100 * v:.1f}% strong" if per_task else f"{v:.4g} strong calls"


def pct(value: Any, *, signed: bool = False) -> str:
    """A fraction as a percentage."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    return f"{100 * float(value):+.1f}%" if signed else f"{100 * float(value):.1f}%"


def num(value: Any, digits: int = 3) -> str:
    """A plain number, ``n/a`` when missing."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    return f"{float(value):.{digits}f}"


def seconds(value: Any) -> str:
    """A latency with a unit that suits it (``10 µs``, ``3.2 ms``, ``0.98 s``)."""
    return duration(None if value is None else float(value))


def quality_ci(entry: Mapping[str, Any]) -> str:
    """``0.712 [0.650, 0.770]``."""
    ci = entry.get("quality_ci") or [None, None]
    q = num(entry.get("quality"))
    if ci[0] is None or ci[1] is None:
        return q
    return f"{q} [{num(ci[0])}, {num(ci[1])}]"


def shares_text(shares: Mapping[str, float]) -> str:
    """``gemma 62%, tfidf 38%`` (largest first, zeros left out)."""
    items = sorted(((v, k) for k, v in shares.items() if v), key=lambda x: (-x[0], x[1]))
    shown = ", ".join(f"{k} {100 * v:.0f}%" for v, k in items[:4]) or "none"
    if len(items) > 4:
        shown += f", {len(items) - 4} more"
    return shown


# ----- the report -----


def report_blocks(report: CostReport) -> tuple[list[Block], list[str]]:
    """Every section of the report, and the notes it gathered."""
    a = report.analysis
    inputs = report.inputs
    notes = _notes(inputs, a)
    blocks: list[Block] = []
    blocks += _recommendation_section(a, report.quality_target)
    blocks += _facts(report)
    blocks += _strategy_section(a, inputs)
    blocks += _frontier_section(a, inputs)
    blocks += _breakdown_section(a, inputs)
    blocks += _latency_section(a, inputs)
    blocks += _projection_section(a)
    if report.whatif is not None:
        blocks.append(_whatif_section(report.whatif[0], report.whatif[1], inputs))
    blocks += _samples_section(a, inputs)
    blocks += [Heading(2, "Notes", "notes"), Bullets(tuple(notes))]
    blocks += _definitions(report.n_boot)
    return blocks, notes


def _routing_cost_statement(inputs: ReportInputs) -> str:
    if inputs.imported:
        return (
            "unknown, not zero: imported outcome data records only each model's own answer, "
            "so the cost of a router, classifier or verifier call is not in these numbers"
        )
    return (
        "live strategies include every routing call they made (classifier, verifier); offline "
        "strategies are costed from the executors' recorded calls and leave out the router's "
        "own compute (a TF-IDF or k-NN prediction)"
    )


def _facts(report: CostReport) -> list[Block]:
    from toolkit import __version__

    inputs, a = report.inputs, report.analysis
    ev = a.evaluation
    m = inputs.matrix
    baseline_how = {
        "given": "given with --baseline",
        "validation": "best single executor on a held-out part of train (single_best)",
    }.get(
        str(ev["single_best"].get("chosen_by")),
        "best train quality among executors answering at least 95% of train (single_best)",
    )
    rows = [
        (
            "Source",
            f"{inputs.source} ({'run directory' if inputs.kind == 'run' else 'imported outcome file'})",
        ),
        (
            "Tasks",
            f"{m.n_tasks} ({ev['n_train']} train, {ev['n_test']} test; split {inputs.split_how})",
        ),
        ("Executors", ", ".join(m.executors)),
        ("Baseline", f"{a.baseline}: {baseline_how}"),
        ("Local compute hourly rate", inputs.hourly_rate_text()),
        (
            "Cost axis",
            AXIS_TEXT.get(a.cost_axis, a.cost_axis),
        ),
        ("Routing costs", _routing_cost_statement(inputs)),
        (
            "Statistics",
            f"95% percentile bootstrap over test tasks (B = {report.n_boot}), paired, "
            f"seed {ev['seed']}",
        ),
        ("Made by", f"toolkit {__version__} (toolkit report)"),
    ]
    blocks: list[Block] = [Table(("item", "value"), tuple(rows), css_class="facts")]
    if inputs.imported:
        blocks.append(
            Para(
                "Imported public data: routing costs are unknown, not zero. Every routed "
                "strategy here is costed from the executors' own answers only.",
                strong=True,
            )
        )
    return blocks


def _strategy_table(rows: Sequence[StrategyRow], axis: str, baseline: str) -> Table:
    cols = (
        "strategy",
        "how",
        "quality [95% CI]",
        "total cost",
        "cost per task",
        "cost per correct",
        "latency p50",
        "latency p95",
        "call shares",
        f"saving vs {baseline}",
        "p vs single_best",
        "note",
    )
    out = []
    for r in rows:
        e = r.entry
        out.append(
            (
                r.label,
                r.how,
                quality_ci(e),
                cost_text(e.get("cost_usd"), axis, per_task=False),
                cost_text(e.get("cost_per_task"), axis, per_task=True),
                cost_text(e.get("cost_per_correct"), axis, per_task=False),
                seconds(e.get("latency_p50_s")),
                seconds(e.get("latency_p95_s")),
                shares_text(e.get("call_share") or {}),
                pct(r.saving_pct),
                num(e.get("p_value_vs_single_best"), 4),
                r.note,
            )
        )
    numeric = (False, False, True, True, True, True, True, True, False, True, True, False)
    return Table(cols, tuple(out), numeric=numeric)


def _strategy_section(a: Analysis, inputs: ReportInputs) -> list[Block]:
    shown = a.shown()
    hidden = len(a.rows) - len(shown)
    ev = a.evaluation
    return [
        Heading(2, "Strategies on the test split", "strategies"),
        Para(
            f"Quality is the mean score over the {ev['n_test']} test tasks, with its 95% "
            "bootstrap interval. Costs are totals and means over the same tasks; the saving "
            f"is 1 - cost per task / the baseline's ({a.baseline}). Offline strategies are "
            "fitted on train and scored over the outcome matrix; live strategies are the "
            "run's recorded traces."
        ),
        _strategy_table(shown, a.cost_axis, a.baseline),
        Para(
            f"{len(shown)} of {len(a.rows)} settings are shown: every single executor, the "
            "oracle, the live strategies, and of each tunable strategy the setting at parity "
            "and those on the frontier."
            + (
                f" All {len(a.rows)} (including the {hidden} others) are in summary.csv."
                if hidden
                else ""
            )
        ),
    ]


def _per_task(total: Any, n: int) -> float | None:
    return None if total is None or n <= 0 else float(total) / n


def _frontier_section(a: Analysis, inputs: ReportInputs) -> list[Block]:
    ev = a.evaluation
    n = int(ev["n_test"])
    points = frontier_points(a)
    frontier = frontier_line(a)
    blocks: list[Block] = [Heading(2, "Cost–quality frontier", "frontier")]
    if points:
        blocks.append(
            Image(
                "frontier.png",
                figs.frontier_png(points, frontier, cost_axis=a.cost_axis),
                "Cost-quality frontier: every strategy setting and single executor",
                "Each dot is a strategy setting on the test split; black squares are single "
                "executors; the line is the frontier (the non-decreasing convex hull of the "
                "points in linear cost, oracle left out); a wide cost range is drawn on a log "
                "axis.",
            )
        )
    rows = tuple(
        (
            str(f["name"]),
            _params(f.get("params")),
            num(f.get("quality")),
            cost_text(_per_task(f.get("cost_usd"), n), a.cost_axis, per_task=True),
        )
        for f in ev.get("frontier", [])
    )
    blocks.append(
        Table(
            ("strategy", "setting", "quality", "cost per task"),
            rows,
            caption="Frontier points",
            numeric=(False, False, True, True),
        )
    )
    parity = ev.get("parity", [])
    if parity:
        prow = []
        for p in parity:
            ci = p.get("cost_ratio_ci") or [None, None]
            holds = p.get("holds_on_test")
            prow.append(
                (
                    str(p["strategy"]),
                    num(p.get("target", 1.0), 2),
                    "yes" if p.get("reached") else "no",
                    "n/a" if holds is None else ("yes" if holds else "no"),
                    _params(p.get("params")),
                    num(p.get("test_quality")),
                    cost_text(_per_task(p.get("test_cost_usd"), n), a.cost_axis, per_task=True),
                    num(p.get("cost_ratio"))
                    + (f" [{num(ci[0])}, {num(ci[1])}]" if ci[0] is not None else ""),
                )
            )
        blocks.append(
            Para(
                "Parity in one sentence: how cheaply each router keeps the baseline's quality "
                "(or a share Q of it), with its setting chosen on train and checked on test; a "
                "cost ratio of 0.4 means it pays 40% of what the baseline pays."
            )
        )
        blocks.append(
            Table(
                (
                    "strategy",
                    "target Q",
                    "reached on train",
                    "holds on test",
                    "setting",
                    "test quality",
                    "cost per task",
                    "cost ratio [95% CI]",
                ),
                tuple(prow),
                caption=(
                    "Savings at parity: per quality target Q, the cheapest setting whose train "
                    f"quality is at least Q x {ev['single_best']['name']}'s (single_best, the "
                    "baseline); it holds on test when its test quality is at least Q x the "
                    "baseline's test quality; cost ratio = its test cost / single_best's"
                ),
                numeric=(False, True, False, False, False, True, True, True),
            )
        )
    if ev.get("no_saving"):
        blocks.append(Para(f"No saving is possible here: {ev['no_saving']}."))
        return blocks
    extra = []
    for fam, v in sorted(ev.get("aiq", {}).items()):
        extra.append((str(fam), num(v)))
    if extra:
        from toolkit.analysis import AIQ_MEANS

        blocks.append(
            Table(
                ("strategy family", "AIQ"),
                tuple(extra),
                caption=str(ev.get("aiq_means") or AIQ_MEANS)
                + ". Single executors and the oracle are shown with their quality and cost above.",
                numeric=(False, True),
            )
        )
    two = ev.get("two_executor", [])
    if two:
        trows = []
        for t in two:
            ci = t.get("apgr_ci") or [None, None]
            trows.append(
                (
                    str(t["strategy"]),
                    str(t["strong"]),
                    str(t["weak"]),
                    num(t.get("apgr"))
                    + (f" [{num(ci[0])}, {num(ci[1])}]" if ci[0] is not None else ""),
                    num(t.get("cpt50")),
                    num(t.get("cpt80")),
                )
            )
        blocks.append(
            Para(
                "APGR (average performance gap recovered, RouteLLM's measure): the share of "
                "the quality gap between the weak and the strong executor that a router "
                "recovers, averaged over every share of tasks it may send to the strong one "
                "(random routing gets about 0.5, a perfect router 1 or more). CPT(x%): the "
                "share of tasks a router must send to the strong executor to recover x% of "
                "that gap (lower is cheaper)."
            )
        )
        blocks.append(
            Table(
                ("router", "strong", "weak", "APGR [95% CI]", "CPT(50%)", "CPT(80%)"),
                tuple(trows),
                caption="Two-executor routers: APGR and the strong-call share needed for 50% and 80% of the gap",
                numeric=(False, False, False, True, True, True),
            )
        )
    return blocks


def _params(params: Any) -> str:
    return params_text(params) if isinstance(params, Mapping) else ""


def _category_series(a: Analysis) -> list[StrategyRow]:
    """The strategies drawn per category: the baseline, then live, then the other shown
    non-single rows, at most MAX_CATEGORY_SERIES."""

    base = a.row(a.baseline)
    rest = [r for r in a.shown() if r.how == "live"]
    rest += [
        r
        for r in a.shown()
        if r.how == "offline" and not r.name.startswith("single:") and r is not base
    ]
    return [base, *rest][:MAX_CATEGORY_SERIES]


def _breakdown_section(a: Analysis, inputs: ReportInputs) -> list[Block]:
    test = inputs.test
    axis = a.cost_axis
    cats = sorted({str(c) for c in test.category})
    blocks: list[Block] = [Heading(2, "Cost breakdown", "breakdown")]
    # Executors x categories, from the outcome matrix.
    blocks.append(Heading(3, "By executor and task category", "by-executor-category"))
    if a.in_dollars:
        series = []
        rows = []
        for j, e in enumerate(test.executors):
            vals: list[float | None] = []
            for c in cats:
                sel = test.category == c
                vals.append(float(test.cost_usd[sel, j].mean()) if sel.any() else None)
            series.append((e, vals))
            total = float(test.cost_usd[:, j].sum())
            rows.append((e, usd(total), usd(total / max(1, test.n_tasks)), *(usd(v) for v in vals)))
        blocks.append(
            Image(
                "cost_by_executor_category.png",
                figs.grouped_bars_png(
                    cats,
                    series,
                    title="Cost per task by executor and category (test split)",
                    ylabel="USD per task",
                ),
                "Cost per task of each executor in each task category",
            )
        )
        blocks.append(
            Table(
                ("executor", "total", "per task", *(f"{c} per task" for c in cats)),
                tuple(rows),
                caption="Each executor alone on every test task (from the outcome matrix)",
                numeric=(False, True, True, *(True for _ in cats)),
            )
        )
    else:
        blocks.append(Para("These outcomes carry no dollar cost, so there is no cost by executor."))
    # Strategies x categories.
    blocks.append(Heading(3, "By strategy and task category", "by-strategy-category"))
    chosen = _category_series(a)
    srows = []
    sseries = []
    for r in chosen:
        by = r.entry.get("by_category", {})
        vals2 = []
        for c in cats:
            x = by.get(c)
            vals2.append(_per_task(x.get("cost_usd"), int(x.get("n") or 0)) if x else None)
        sseries.append((r.label, vals2))
        cells = []
        for c in cats:
            x = by.get(c)
            if not x:
                cells.append("n/a")
                continue
            cells.append(
                f"{cost_text(_per_task(x.get('cost_usd'), int(x.get('n') or 0)), axis, per_task=True)}"
                f" (q {num(x.get('quality'), 2)}, n {x.get('n')})"
            )
        srows.append((r.label, *cells))
    if a.in_dollars and sseries:
        blocks.append(
            Image(
                "cost_by_strategy_category.png",
                figs.grouped_bars_png(
                    cats,
                    sseries,
                    title="Cost per task by strategy and category (test split)",
                    ylabel="USD per task",
                ),
                "Cost per task of the baseline and the routed strategies in each category",
            )
        )
    blocks.append(
        Table(
            ("strategy", *cats),
            tuple(srows),
            caption="Cost per task in each category, with the category's quality q and task count n",
            numeric=(False, *(True for _ in cats)),
        )
    )
    # Live strategies by executor.
    blocks.append(Heading(3, "Live strategies by executor", "live-by-executor"))
    if not a.live:
        blocks.append(
            Para(
                "No live strategies: "
                + (
                    "imported outcome data has no traces."
                    if inputs.imported
                    else "this run recorded only single executors."
                )
            )
        )
        return blocks
    parts = sorted({e for lv in a.live for e in lv.cost_by_executor})
    names = [str(lv.entry["name"]) for lv in a.live]
    values = [[lv.cost_by_executor.get(p, 0.0) for p in parts] for lv in a.live]
    if a.in_dollars and parts:
        blocks.append(
            Image(
                "cost_by_executor_live.png",
                figs.stacked_bars_png(
                    names,
                    parts,
                    values,
                    title="Live strategies: test cost by executor (routing calls included)",
                    xlabel="USD over the test split",
                ),
                "Cost of each live strategy split by the executors it called",
            )
        )
    blocks.append(
        Table(
            ("strategy", *parts, "total"),
            tuple(
                (n, *(usd(v) for v in vals), usd(sum(vals)))
                for n, vals in zip(names, values, strict=True)
            ),
            caption="What each live strategy spent on each executor over the test split, its own routing calls included",
            numeric=(False, *(True for _ in parts), True),
        )
    )
    return blocks


def _latency_section(a: Analysis, inputs: ReportInputs) -> list[Block]:
    test = inputs.test
    blocks: list[Block] = [Heading(2, "Latency", "latency")]
    series: list[tuple[str, Any]] = []
    for j, e in enumerate(test.executors):
        col = test.latency_s[:, j]
        if np.isfinite(col).all():
            series.append((f"single:{e}", col))
    for lv in a.live:
        if np.isfinite(lv.latency).all():
            series.append((str(lv.entry["name"]), lv.latency))
    ranges = []
    for r in a.shown():
        if r.how == "offline" and not r.name.startswith("single:"):
            p50, p95 = r.entry.get("latency_p50_s"), r.entry.get("latency_p95_s")
            if p50 is not None and p95 is not None:
                ranges.append((r.label, float(p50), float(p95)))
    if not series and not ranges:
        blocks.append(Para("Latency is not recorded in these outcomes."))
        return blocks
    blocks.append(
        Image(
            "latency.png",
            figs.latency_png(series, ranges),
            "Latency per task on the test split",
            "Boxes: per-task latency of each single executor and live strategy. Lines: p50 "
            "(dot) to p95 (bar) of offline strategy settings, whose latency is that of the "
            "executors they call (a cascade's calls add up).",
        )
    )
    return blocks


def _projection_blocks(
    p: Projection, a: Analysis, shown: Sequence[StrategyRow], figure: str = "projection.png"
) -> list[Block]:
    blocks: list[Block] = [
        Para(
            f"{p.monthly_requests:,} requests a month, task mix {p.mix_source}. Each "
            "strategy's measured cost per task in each category (test split) is weighted by "
            f"the mix. Baseline: everything on {p.baseline}."
        ),
        Table(
            ("category", "share"),
            tuple((c, pct(w)) for c, w in p.mix.items()),
            caption="Task mix",
            numeric=(False, True),
        ),
    ]
    rows = []
    names: list[str] = []
    monthly: list[float] = []
    for r in shown:
        single = p.row(r.label)
        rows.append(
            (
                r.label,
                usd(single.monthly_usd),
                usd(single.saving_usd),
                pct(single.saving_pct),
                num(single.quality),
            )
        )
        if single.monthly_usd is not None:
            names.append(r.label)
            monthly.append(single.monthly_usd)
    blocks.append(
        Table(
            ("strategy", "USD per month", "saved per month", "% saved", "quality at this mix"),
            tuple(rows),
            caption=f"Everything on {p.baseline} vs each strategy",
            numeric=(False, True, True, True, True),
        )
    )
    if p.notes:
        blocks.append(Bullets(tuple(p.notes)))
    if names:
        base_label = a.row(a.baseline).label
        blocks.append(
            Image(
                figure,
                figs.projection_png(names, monthly, base_label, p.monthly_requests),
                "Projected monthly cost of each strategy",
            )
        )
    return blocks


def _projection_section(a: Analysis) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Monthly projection", "projection")]
    if a.projection is None:
        blocks.append(
            Para(
                "Not available: these outcomes carry no dollar cost (the cost axis is the share "
                "of strong calls), so a month cannot be priced."
            )
        )
        return blocks
    return blocks + _projection_blocks(a.projection, a, a.shown())


def _whatif_section(rp: Repricing, a: Analysis, inputs: ReportInputs) -> Section:
    blocks: list[Block] = [
        Heading(2, f"What-if: re-priced with {rp.source.name} (not measured)", "what-if"),
        Para(
            "WHAT-IF, NOT A MEASUREMENT. The measured token counts of every call are priced "
            f"with the table in {rp.source}, in USD per million tokens. Quality and latency "
            "are as measured; only costs change, and every strategy is re-evaluated with "
            "them (single_best, parity and the frontier may move).",
            strong=True,
        ),
        Para(
            "Executors are matched to the price table by model name: the model of each "
            "executor in the run's spec (local executors as local/<alias>; for imported "
            "outcomes the executor's name is the model name), then the executor's own name; "
            "a provider prefix such as openai/ is also tried without it. Live calls are "
            "matched by the model each call recorded."
        ),
    ]
    rows = [
        (e, model, usd(rp.prices[e].input_per_mtok), usd(rp.prices[e].output_per_mtok))
        for e, model in rp.matched.items()
    ]
    blocks.append(
        Table(
            ("executor", "priced as", "input per Mtok", "output per Mtok"),
            tuple(rows),
            caption="Re-priced executors",
            numeric=(False, False, True, True),
        )
    )
    if rp.kept:
        blocks.append(
            Bullets(tuple(f"{e} keeps its measured cost: {why}" for e, why in rp.kept.items()))
        )
    blocks.append(_strategy_table(a.shown(), a.cost_axis, a.baseline))
    if a.projection is not None:
        blocks.append(
            Heading(3, "Monthly projection at these prices (what-if)", "what-if-projection")
        )
        blocks += _projection_blocks(a.projection, a, a.shown(), figure="projection_whatif.png")
    return Section("whatif", tuple(blocks))


def _samples_section(a: Analysis, inputs: ReportInputs) -> list[Block]:

    test = inputs.test
    blocks: list[Block] = [Heading(2, "Sample tasks where the strategies disagree", "samples")]
    if test.n_tasks == 0:
        return blocks
    base_j = test.index(a.baseline.removeprefix("single:"))
    spread = test.score.max(axis=1) - test.score.min(axis=1)
    live_scores = {
        str(lv.entry["name"]): dict(zip(lv.task_ids, lv.score, strict=True)) for lv in a.live
    }
    candidates = []
    for i, tid in enumerate(test.task_ids):
        live_diff = any(
            tid in s and np.isfinite(s[tid]) and s[tid] != test.score[i, base_j]
            for s in live_scores.values()
        )
        if spread[i] > 0 or live_diff:
            candidates.append(i)
    # Round-robin over categories, so the samples show several kinds of task.
    by_cat: dict[str, list[int]] = {}
    for i in candidates:
        by_cat.setdefault(str(test.category[i]), []).append(i)
    picked: list[int] = []
    while len(picked) < MAX_SAMPLES and any(by_cat.values()):
        for c in sorted(by_cat):
            if by_cat[c] and len(picked) < MAX_SAMPLES:
                picked.append(by_cat[c].pop(0))
    if not picked:
        blocks.append(Para("Every strategy scored the same on every test task."))
        return blocks
    text = [str(t) for t in test.text]
    if inputs.kind != "run":
        cols = ("task", "category", "task text", *(f"score: {e}" for e in test.executors[:6]))
        rows = tuple(
            (
                str(test.task_ids[i]),
                str(test.category[i]),
                excerpt(text[i]) if text[i] else "(text not available)",
                *(num(test.score[i, j], 2) for j in range(min(6, test.n_executors))),
            )
            for i in picked
        )
        blocks.append(
            Para("The outcome file holds no answers, so only each executor's score is shown.")
        )
        blocks.append(Table(cols, rows, css_class="samples"))
        return blocks
    answers = {(r.strategy, r.task_id): r for r in inputs.results}
    q = test.score.mean(axis=0)
    others = [j for j in np.argsort(-q, kind="stable") if j != base_j][:2]
    shown_strats = [f"single:{test.executors[base_j]}"]
    shown_strats += [f"single:{test.executors[j]}" for j in others]
    shown_strats += [str(lv.entry["name"]).removeprefix("live:") for lv in a.live][:3]
    cols = ("task", "category", "task text", *(f"answer: {s}" for s in shown_strats))
    rows_out = []
    for i in picked:
        tid = str(test.task_ids[i])
        cells = []
        for s in shown_strats:
            rec = answers.get((s, tid))
            if rec is None:
                cells.append("(not run)")
            else:
                score = "no score" if rec.score is None else f"score {rec.score:.2f}"
                shown = excerpt(rec.answer, 120) if rec.answer else "(empty answer)"
                if rec.error:
                    shown += f" [error: {excerpt(rec.error, 60)}]"
                cells.append(f"{shown} ({score})")
        rows_out.append(
            (
                tid,
                str(test.category[i]),
                excerpt(text[i]) if text[i] else "(text not available)",
                *cells,
            )
        )
    blocks.append(
        Para(
            "Up to five test tasks on which the executors' scores differ, or a live strategy's "
            "score differs from the baseline's. Task text and answers are shown as plain text, "
            "shortened."
        )
    )
    blocks.append(Table(cols, tuple(rows_out), css_class="samples"))
    return blocks


def _notes(inputs: ReportInputs, a: Analysis) -> list[str]:
    notes = [f"Train/test split: {inputs.split_how}."]
    caveat = small_sample_caveat(int(a.evaluation["n_test"]))
    if caveat is not None:
        notes.append(caveat)
    if inputs.imported:
        notes.append(
            "Imported public outcome data: routing costs are unknown rather than zero; the "
            "local compute hourly rate is n/a."
        )
    else:
        notes.append(f"Local compute hourly rate used: {inputs.hourly_rate_text()}.")
    notes += [str(x) for x in a.evaluation.get("notes", [])]
    for lv in a.live:
        notes += list(lv.notes)
    if a.projection is not None:
        notes += list(a.projection.notes)
    return notes


def _definitions(n_boot: int) -> list[Block]:
    return [
        Heading(2, "Definitions", "definitions"),
        Bullets(
            (
                "quality: mean score in [0, 1] over the test tasks; CI: 95% percentile bootstrap "
                f"(B = {n_boot}), paired across strategies.",
                "cost per correct: total cost / sum of scores.",
                "call shares: fraction of test tasks that called each executor (a cascade's shares can sum to more than 1).",
                "p vs single_best: paired t-test on per-task scores against the best single executor on train.",
                "frontier: non-decreasing convex hull of all non-oracle settings and single executors.",
                "monthly projection: volume x sum over categories of share x measured cost per task in that category.",
            )
        ),
    ]


# ----- the recommendation -----


def _family_words(name: str, params: Mapping[str, Any], strong: str, weak: str) -> str:
    """What a strategy family does, in one plain sentence."""
    kind, _, signal = name.partition(":")
    s = str(params.get("strong", strong))
    w = str(params.get("weak", weak))
    if kind == "random":
        share = params.get("strong_share")
        part = f"{pct(share)} of tasks" if share is not None else "a fixed share of tasks"
        return f"It sends {part}, drawn at random without reading them, to {s}; the rest to {w}."
    if kind == "score_router" and "lambda" in params:
        return (
            f"A {signal} model reads each task and predicts every executor's score; the task "
            "goes to the executor with the best predicted score minus lambda x its cost."
        )
    if kind == "score_router":
        return (
            f"A {signal} model reads each task and predicts how much better {s} would answer "
            f"it than {w}; tasks where that gain clears the threshold go to {s}, the rest to {w}."
        )
    if kind == "single":
        return f"Every task goes to {signal}."
    if kind == "cascade" and signal == "declined":
        return (
            "It tries the cheaper executors first, in order; one that declines (not its kind "
            "of task) or fails passes the task on, and the last answers whatever is left."
        )
    if kind == "rules":
        return "Fixed rules route each task by its type and metadata to a named executor."
    if kind == "classify_then_route":
        return (
            "A classifier names each task's kind, and the kind picks the executor; the "
            "classifier's own calls are counted in the cost."
        )
    if kind == "cascade":
        return (
            "It tries the cheaper executors first and moves a task up to a dearer one when a "
            f"{signal} model, reading the task, predicts the cheaper answer would fail."
        )
    return f"The {name} strategy."


def _setting_row(a: Analysis, entry: Mapping[str, Any]) -> StrategyRow | None:
    """The report row of a parity entry's setting (same strategy and parameters)."""
    for r in a.rows:
        if r.name == entry.get("strategy") and dict(r.entry.get("params") or {}) == dict(
            entry.get("params") or {}
        ):
            return r
    return None


def _recommendation_section(a: Analysis, target: float) -> list[Block]:
    """The answer first: the cheapest setting that keeps ``target`` x the baseline's quality
    for less money, its month against the baseline, and the alternatives. A tuned setting
    must reach it on train (where it was chosen) and hold on test; a fixed strategy (a live
    rule, classifier or cascade, or another single executor: nothing tuned on these tasks)
    must reach it on test."""
    ev = a.evaluation
    base = a.row(a.baseline)
    bq = base.entry.get("quality")
    base_cost = base.entry.get("cost_usd")
    blocks: list[Block] = [Heading(2, "Recommendation", "recommendation")]
    picks: list[tuple[float, str, Mapping[str, Any], StrategyRow]] = []
    for p in ev.get("parity", []):
        row = _setting_row(a, p)
        ratio = p.get("cost_ratio")
        if (
            row is not None
            and p.get("target") == target
            and p.get("reached")
            and p.get("holds_on_test")
            and ratio is not None
            and float(ratio) < 1.0  # a saving, not the baseline under another name
        ):
            picks.append((float(ratio), "tuned", p, row))
    if bq is not None and base_cost:
        for r in a.rows:
            q, c = r.entry.get("quality"), r.entry.get("cost_usd")
            fixed = r.how == "live" or (r.family == "single" and r is not base)
            if fixed and q is not None and c is not None and float(q) >= target * float(bq):
                ratio = float(c) / float(base_cost)
                if ratio < 1.0:
                    fixed_entry: Mapping[str, Any] = {
                        "strategy": r.name,
                        "params": {},
                        "cost_ratio": ratio,
                    }
                    picks.append((ratio, "fixed", fixed_entry, r))
    goal = f"{pct(target)} of the baseline's quality" if target != 1.0 else "the baseline's quality"
    if not picks:
        blocks.append(
            Para(
                f"No strategy kept {goal} ({base.label}, quality {num(bq)}) on the test "
                f"tasks for less money: keep everything on {base.label}, or accept less "
                "quality (the alternatives below say what each costs).",
                strong=True,
            )
        )
        return blocks + _alternatives(a, base, None)
    _, how, entry, row = min(picks, key=lambda x: (x[0], x[3].label))
    blocks += _pick_blocks(a, entry, row, base, goal, how)
    return blocks + _alternatives(a, base, row)


def _pick_blocks(
    a: Analysis,
    pick: Mapping[str, Any],
    row: StrategyRow,
    base: StrategyRow,
    goal: str,
    how: str,
) -> list[Block]:
    ev = a.evaluation
    params = dict(pick.get("params") or {})
    strong = str(params.get("strong", a.baseline.removeprefix("single:")))
    weak = str(params.get("weak", ""))
    where = (
        "on train, where its setting was chosen, and on the held-out test tasks"
        if how == "tuned"
        else "on the test tasks (a fixed strategy: nothing in it was tuned on these tasks)"
    )
    lines = [
        f"Use {row.label}: it kept {goal} {where}, at {pct(pick.get('cost_ratio'))} of the "
        "baseline's cost.",
        _family_words(str(pick["strategy"]), params, strong, weak),
    ]
    p = a.projection
    ratio_ci = pick.get("cost_ratio_ci") or [None, None]
    saving_ci = (
        f" (95% CI of the saving: {pct(1 - ratio_ci[1])} to {pct(1 - ratio_ci[0])})"
        if None not in ratio_ci
        else ""
    )
    if p is not None:
        mine, theirs = p.row(row.label), p.row(base.label)
        lines.append(
            f"At {p.monthly_requests:,} requests a month it costs {usd(mine.monthly_usd)} "
            f"against {usd(theirs.monthly_usd)} with everything on {base.label}: "
            f"{usd(mine.saving_usd)} saved a month, {pct(mine.saving_pct)}"
            f"{saving_ci}."
        )
    else:
        lines.append(f"Its cost is {pct(pick.get('cost_ratio'))} of the baseline's{saving_ci}.")
    q, bq = row.entry.get("quality"), base.entry.get("quality")
    qci, bci = (
        row.entry.get("quality_ci") or [None, None],
        base.entry.get("quality_ci") or [None, None],
    )
    diff = float(q) - float(bq) if q is not None and bq is not None else None
    lines.append(
        f"Quality on the test tasks: {num(q)} [{num(qci[0])}, {num(qci[1])}] against "
        f"{num(bq)} [{num(bci[0])}, {num(bci[1])}] for the baseline, a difference of "
        f"{num(diff)} (paired p = {num(row.entry.get('p_value_vs_single_best'))}; "
        f"{ev['n_test']} test tasks)."
    )
    caveat = small_sample_caveat(int(ev["n_test"]))
    if caveat is not None:
        lines.append(caveat)
    return [Para(lines[0], strong=True), *(Para(t) for t in lines[1:])]


def _alternatives(a: Analysis, base: StrategyRow, chosen: StrategyRow | None) -> list[Block]:
    """Two or three settings worth knowing: the best quality and the cheapest acceptable
    (at least 95% of the baseline's quality); settings that save by answering much worse are
    named as such."""
    bq = base.entry.get("quality")
    rows = [
        r
        for r in a.shown()
        if r.entry.get("quality") is not None and r is not chosen and r.family != "oracle"
    ]
    if not rows or bq is None:
        return []

    def cost(r: StrategyRow) -> float:
        c = r.entry.get("cost_usd")
        return float(c) if c is not None else math.inf

    items: list[str] = []
    best = max(rows, key=lambda r: (float(r.entry["quality"]), -cost(r)))
    items.append(
        f"Best quality: {best.label}, quality {num(best.entry['quality'])} at "
        f"{pct(cost(best) / cost(base)) if cost(base) > 0 else 'n/a'} of the baseline's cost."
    )
    fine = [r for r in rows if float(r.entry["quality"]) >= 0.95 * float(bq) and r is not base]
    if fine:
        cheap = min(fine, key=cost)
        items.append(
            f"Cheapest within 5% of the baseline's quality: {cheap.label}, quality "
            f"{num(cheap.entry['quality'])} at "
            f"{pct(cost(cheap) / cost(base)) if cost(base) > 0 else 'n/a'} of its cost."
        )
    poor = [r for r in rows if float(r.entry["quality"]) < 0.9 * float(bq) and cost(r) < cost(base)]
    if poor:
        worst = min(poor, key=cost)
        items.append(
            f"Saving by answering worse: {worst.label} costs "
            f"{pct(cost(worst) / cost(base)) if cost(base) > 0 else 'n/a'} of the baseline but "
            f"keeps only {num(worst.entry['quality'])} quality against {num(bq)}; its saving is "
            "not a saving at equal quality."
        )
    return [Para("Alternatives worth knowing:"), Bullets(tuple(items))]
