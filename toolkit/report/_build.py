"""The cost report: analysis numbers (from ``toolkit.analysis``) turned into tables, figures,
a monthly projection and an optional re-priced what-if, written atomically to a folder."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit._errors import InputError, located
from toolkit.report._inputs import ReportInputs, load_inputs
from toolkit.report._live import LiveStrategy, live_strategies
from toolkit.report._pdf import html_to_pdf
from toolkit.report._points import labelled, params_text
from toolkit.report._projection import Projection, normalise_mix, project
from toolkit.report._render import (
    Block,
    images,
    to_csv,
    to_html,
    to_markdown,
)
from toolkit.report._reprice import Repricing, read_reprice_table, reprice

if TYPE_CHECKING:
    from toolkit.report._widgets import ReportPreview

DEFAULT_MONTHLY_REQUESTS = 1_000_000
FILES = ("report.md", "report.html", "summary.csv")

SUMMARY_COLUMNS = (
    "strategy",
    "how",
    "params",
    "shown",
    "note",
    "quality",
    "quality_ci_lo",
    "quality_ci_hi",
    "cost_usd",
    "cost_per_task",
    "cost_per_correct",
    "latency_p50_s",
    "latency_p95_s",
    "call_share",
    "p_value_vs_single_best",
    "saving_vs_baseline_pct",
    "on_frontier",
    "monthly_usd",
    "monthly_saving_usd",
    "monthly_saving_pct",
)


@dataclass(frozen=True, eq=False)
class StrategyRow:
    """One strategy setting in the report.

    ``entry`` is in the ``evaluate --json`` strategy layout. ``how`` is ``offline`` (scored
    over the outcome matrix) or ``live`` (recorded traces). ``shown`` rows are in the main
    table; every row is in ``summary.csv``.
    """

    entry: Mapping[str, Any]
    how: str
    family: str
    label: str
    saving_pct: float | None
    on_frontier: bool
    shown: bool
    note: str = ""

    @property
    def name(self) -> str:
        """The strategy's name (``single:<executor>``, ``score_router:<signal>``, ...)."""
        return str(self.entry["name"])


@dataclass(frozen=True, eq=False)
class Analysis:
    """The numbers of one pricing: the evaluation, the report rows and the projection."""

    evaluation: Mapping[str, Any]
    rows: tuple[StrategyRow, ...]
    live: tuple[LiveStrategy, ...]
    baseline: str
    projection: Projection | None

    @property
    def cost_axis(self) -> str:
        """``usd``, ``tokens`` (USD estimated from token counts), ``rank`` or ``strong_share``
        (no cost: RouteLLM data)."""
        return str(self.evaluation.get("cost_axis", "usd"))

    @property
    def in_dollars(self) -> bool:
        """True when the cost fields are dollars (the ``usd`` and ``tokens`` axes)."""
        from toolkit.analysis import MONEY_AXES

        return self.cost_axis in MONEY_AXES

    def row(self, name: str) -> StrategyRow:
        """The first row of a strategy (its first setting)."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def shown(self) -> list[StrategyRow]:
        """The rows of the main table."""
        return [r for r in self.rows if r.shown]


@dataclass(frozen=True, eq=False)
class CostReport:
    """A built cost report: inputs, analysis, the re-priced what-if, and its blocks.

    ``write(out)`` writes ``report.md``, ``report.html``, ``summary.csv`` and the figures.
    """

    title: str
    inputs: ReportInputs
    analysis: Analysis
    monthly_requests: int
    mix: Mapping[str, float] | None
    whatif: tuple[Repricing, Analysis] | None = None
    n_boot: int = 1000
    quality_target: float = 1.0
    notes: tuple[str, ...] = ()
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    def markdown(self) -> str:
        """``report.md``."""
        return to_markdown(self.title, self.blocks)

    def html(self) -> str:
        """``report.html``: self-contained, every text escaped, under a strict CSP."""
        return to_html(self.title, self.blocks)

    def summary_csv(self) -> str:
        """``summary.csv``: every strategy setting (offline and live), one row each."""
        return summary_csv(self.analysis)

    def figures(self) -> dict[str, bytes]:
        """PNG figures by file name."""
        return {img.filename: img.png for img in images(self.blocks)}

    def write(self, out: str | Path, *, pdf: bool = False) -> Path:
        """Write the report into ``out`` atomically: built in a temp folder beside it, then
        renamed into place, so no half-written report is ever left. ``pdf`` adds
        ``report.pdf``, printed by headless Chromium (an InputError when there is none)."""
        page = self.html()
        printed = {"report.pdf": html_to_pdf(page)} if pdf else {}
        return write_files(
            Path(out),
            {
                "report.md": self.markdown().encode("utf-8"),
                "report.html": page.encode("utf-8"),
                "summary.csv": self.summary_csv().encode("utf-8"),
                **printed,
                **self.figures(),
            },
        )

    def preview(self) -> ReportPreview:
        """An ipywidgets preview of the monthly projection (volume and mix widgets)."""
        from toolkit.report._widgets import ReportPreview

        return ReportPreview(self)


# ----- building -----


def build_cost_report(
    source: str | Path | ReportInputs,
    *,
    monthly_requests: int = DEFAULT_MONTHLY_REQUESTS,
    mix: Mapping[str, float] | None = None,
    baseline: str | None = None,
    reprice_file: str | Path | None = None,
    seed: int = 0,
    test_fraction: float = 0.3,
    n_boot: int = 1000,
    strategies: Sequence[str] | None = None,
    quality_target: float = 1.0,
    allow_overlap: bool = False,
    dedupe_across_splits: bool = False,
) -> CostReport:
    """Build the cost report of a run directory or an outcome file (nothing is written).

    ``baseline`` is an executor name (``single:<executor>`` also accepted); the default is the
    evaluation's ``single_best``. ``mix`` maps categories to raw shares (None: the measured
    test mix). ``reprice_file`` adds the what-if section. ``quality_target`` Q is what the
    recommendation must keep: Q x the baseline's quality, reached on train and held on test.
    """
    if not 0.0 < quality_target <= 1.5:
        raise InputError(f"--quality-target must be in (0, 1.5], got {quality_target}")
    if monthly_requests < 0:
        raise InputError(f"--monthly-requests must be >= 0, got {monthly_requests}")
    inputs = (
        source
        if isinstance(source, ReportInputs)
        else load_inputs(
            source,
            test_fraction=test_fraction,
            seed=seed,
            allow_overlap=allow_overlap,
            dedupe_across_splits=dedupe_across_splits,
        )
    )
    # Check every flag before the (slower) evaluation, so bad input fails fast.
    base_name = _baseline_name(inputs, baseline)
    if mix is not None:
        normalise_mix(mix, sorted({str(c) for c in inputs.test.category}))
    table = read_reprice_table(reprice_file) if reprice_file is not None else None
    measured = analyze(
        inputs,
        baseline=base_name,
        monthly_requests=monthly_requests,
        mix=mix,
        seed=seed,
        n_boot=n_boot,
        strategies=strategies,
        quality_target=quality_target,
    )
    whatif = None
    if reprice_file is not None:
        repriced = reprice(inputs, reprice_file, prices=table)
        whatif = (
            repriced,
            analyze(
                repriced.inputs,
                baseline=measured.baseline,
                monthly_requests=monthly_requests,
                mix=mix,
                seed=seed,
                n_boot=n_boot,
                strategies=strategies,
            ),
        )
    title = f"Cost report: {inputs.name or inputs.source.name}"
    report = CostReport(
        title=title,
        inputs=inputs,
        analysis=measured,
        monthly_requests=monthly_requests,
        mix=mix,
        whatif=whatif,
        n_boot=n_boot,
        quality_target=quality_target,
    )
    from toolkit.report._sections import report_blocks

    blocks, notes = report_blocks(report)
    return replace(report, notes=tuple(notes), blocks=tuple(blocks))


def build_report(
    source: str | Path,
    out: str | Path,
    *,
    monthly_requests: int = DEFAULT_MONTHLY_REQUESTS,
    mix: Mapping[str, float] | None = None,
    baseline: str | None = None,
    reprice_file: str | Path | None = None,
    seed: int = 0,
    test_fraction: float = 0.3,
    n_boot: int = 1000,
) -> Path:
    """Build the cost report of ``source`` and write it to ``out``; returns ``out``."""
    report = build_cost_report(
        source,
        monthly_requests=monthly_requests,
        mix=mix,
        baseline=baseline,
        reprice_file=reprice_file,
        seed=seed,
        test_fraction=test_fraction,
        n_boot=n_boot,
    )
    return report.write(out)


def _baseline_name(inputs: ReportInputs, baseline: str | None) -> str | None:
    if baseline is None:
        return None
    executor = baseline.removeprefix("single:")
    inputs.matrix.index(executor)  # unknown: InputError listing the executors
    return f"single:{executor}"


def analyze(
    inputs: ReportInputs,
    *,
    baseline: str | None,
    monthly_requests: int,
    mix: Mapping[str, float] | None,
    seed: int,
    n_boot: int,
    strategies: Sequence[str] | None = None,
    quality_target: float = 1.0,
) -> Analysis:
    """Evaluate the offline strategies, summarise the live ones, pick the table's rows and
    project the month (all numbers from ``toolkit.analysis``)."""
    from toolkit.analysis import MONEY_AXES, PARITY_TARGETS, evaluate

    evaluation = evaluate(
        inputs.train,
        inputs.test,
        strategies=strategies,
        seed=seed,
        n_boot=n_boot,
        baseline=baseline,
        parity_targets=tuple(dict.fromkeys((quality_target, *PARITY_TARGETS))),
    )
    base_name = baseline or str(evaluation["single_best"]["name"])
    offline = list(evaluation["strategies"])
    names = {str(s["name"]) for s in offline}
    if base_name not in names:
        raise InputError(
            f"baseline {base_name!r} was not evaluated (strategies: {', '.join(sorted(names))})"
        )
    live: list[LiveStrategy] = []
    if inputs.kind == "run":
        from toolkit.analysis import summarize_live

        base = summarize_live(inputs.source, task_ids=inputs.test_ids)["strategies"]
        reference = str(evaluation["single_best"]["name"]).removeprefix("single:")
        live = live_strategies(
            base,
            inputs.results,
            inputs.calls,
            inputs.test,
            reference=reference,
            seed=seed,
            n_boot=n_boot,
            taken=sorted(names),
        )
    rows = _rows(evaluation, offline, live, base_name)
    projection = None
    if evaluation.get("cost_axis", "usd") in MONEY_AXES:
        projection = project(
            labelled(rows),
            baseline=base_name,
            monthly_requests=monthly_requests,
            mix=mix,
        )
    elif mix is not None:
        raise InputError(
            f"--mix: these outcomes have no dollar cost (cost axis "
            f"{evaluation.get('cost_axis')!r}), so there is no monthly projection to weight"
        )
    return Analysis(
        evaluation=evaluation,
        rows=tuple(rows),
        live=tuple(live),
        baseline=base_name,
        projection=projection,
    )


def _key(name: str, params: Any) -> str:
    return name + "\0" + json.dumps(params, sort_keys=True, default=str)


def _rows(
    evaluation: Mapping[str, Any],
    offline: Sequence[Mapping[str, Any]],
    live: Sequence[LiveStrategy],
    baseline: str,
) -> list[StrategyRow]:
    """Report rows: every offline setting and live strategy, the main table's ones marked."""
    base_entry = next(s for s in offline if s["name"] == baseline)
    base_cpt = base_entry.get("cost_per_task")
    frontier = {_key(str(f["name"]), f.get("params")) for f in evaluation.get("frontier", [])}
    parity = {
        _key(str(p["strategy"]), p.get("params"))
        for p in evaluation.get("parity", [])
        if p.get("reached") and p.get("target", 1.0) == 1.0
    }
    counts: dict[str, int] = {}
    for s in offline:
        counts[str(s["name"])] = counts.get(str(s["name"]), 0) + 1

    def saving(entry: Mapping[str, Any]) -> float | None:
        c = entry.get("cost_per_task")
        if c is None or base_cpt is None or not base_cpt > 0:
            return None
        return 1.0 - float(c) / float(base_cpt)

    rows: list[StrategyRow] = []
    for s in offline:
        name = str(s["name"])
        key = _key(name, s.get("params"))
        tunable = counts[name] > 1
        on_front = key in frontier
        note = ""
        if name == baseline:
            note = "baseline"
        elif name == "oracle":
            note = "upper bound (hindsight)"
        elif key in parity:
            note = "at parity (chosen on train)"
        elif tunable and on_front:
            note = "on the test frontier"
        shown = not tunable or key in parity or on_front
        label = name if not tunable else f"{name} ({params_text(s.get('params'))})"
        rows.append(
            StrategyRow(
                entry=s,
                how="offline",
                family=name,
                label=label,
                saving_pct=saving(s),
                on_frontier=on_front,
                shown=shown,
                note=note,
            )
        )
    for lv in live:
        rows.append(
            StrategyRow(
                entry=lv.entry,
                how="live",
                family=str(lv.entry["name"]),
                label=str(lv.entry["name"]),
                saving_pct=saving(lv.entry),
                on_frontier=False,
                shown=True,
                note="routing calls included",
            )
        )
    return rows


# ----- summary.csv -----


def summary_csv(analysis: Analysis) -> str:
    """Every strategy setting with its numbers, the saving and the projected month."""
    from toolkit.analysis import num

    proj = analysis.projection
    out_rows = []
    for r in analysis.rows:
        e = r.entry
        ci = e.get("quality_ci") or [None, None]
        p = proj.row(r.label) if proj is not None else None
        out_rows.append(
            [
                r.name,
                r.how,
                json.dumps(e.get("params") or {}, sort_keys=True),
                int(r.shown),
                r.note,
                num(e.get("quality")),
                num(ci[0]),
                num(ci[1]),
                num(e.get("cost_usd")),
                num(e.get("cost_per_task")),
                num(e.get("cost_per_correct")),
                num(e.get("latency_p50_s")),
                num(e.get("latency_p95_s")),
                json.dumps(e.get("call_share") or {}, sort_keys=True),
                num(e.get("p_value_vs_single_best")),
                None if r.saving_pct is None else 100.0 * r.saving_pct,
                int(r.on_frontier),
                None if p is None else p.monthly_usd,
                None if p is None else p.saving_usd,
                None if p is None or p.saving_pct is None else 100.0 * p.saving_pct,
            ]
        )
    return to_csv(SUMMARY_COLUMNS, out_rows)


# ----- writing -----


def write_files(out: Path, files: Mapping[str, bytes]) -> Path:
    """Write ``files`` into folder ``out`` atomically.

    They are written into a temp folder beside ``out``; only when every file is written is
    ``out`` (if it exists) moved aside and the temp folder renamed into its place. A crash
    never leaves a half-written report at ``out``: at worst (between the two renames) the
    complete old and new reports sit beside it as hidden ``.NAME.old-*``/``.NAME.tmp-*``.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(located(out, None, "--out", "exists and is not a folder"))
    if out.is_dir() and any(out.iterdir()) and not _is_report_dir(out):
        raise InputError(
            located(
                out,
                None,
                "--out",
                "is a folder that does not hold a report; choose an empty or new folder "
                "(a previous report there is replaced)",
            )
        )
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(located(parent, None, "--out", f"cannot create: {exc.strerror}")) from None
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    old: Path | None = None
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        os.chmod(tmp, 0o755)
        if out.exists():
            old = parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
        os.replace(tmp, out)
    except OSError as exc:
        if old is not None and not out.exists():
            os.replace(old, out)
            old = None
        raise InputError(located(out, None, "--out", f"cannot write the report: {exc}")) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
        if old is not None and old.exists():
            shutil.rmtree(old)
    return out


def _is_report_dir(path: Path) -> bool:
    """True when ``path`` holds only what a report writes (so it may be replaced)."""
    names = {p.name for p in path.iterdir()}
    return "report.html" in names and all(n in FILES or n.endswith(".png") for n in names)
