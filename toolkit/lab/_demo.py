"""``toolkit demo``: the lab comparison as a table, and its cost report.

Every number comes from the cost report (``toolkit.report.build_cost_report``), which takes
them from ``toolkit.analysis.evaluate`` (offline strategies over the outcome matrix, fitted on
train, scored on test) and from the recorded live traces (``summarize_live``). The demo only
picks the rows and prints them.
"""

from __future__ import annotations

import math
import re
import sys
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit._errors import InputError, located

if TYPE_CHECKING:
    from toolkit.lab._record import Recording
    from toolkit.report import CostReport

DEFAULT_RUN = Path("data/runs/lab")
DEFAULT_SPEC = Path("benchmarks/lab.toml")
DEFAULT_OUT = Path("reports/demo")
LIVE_RUNS = Path("runs")
BASELINE = "gemma"
#: A routed strategy "beats" the baseline on quality when its paired p-value is below this.
ALPHA = 0.05


def repo_path(relative: Path) -> Path:
    """``relative`` from the current folder when it exists there, else from the checkout that
    holds this package (an editable install), else as given."""
    if relative.is_absolute() or relative.exists():
        return relative
    checkout = Path(__file__).resolve().parents[2]
    candidate = checkout / relative
    return candidate if candidate.exists() else relative


@dataclass(frozen=True)
class DemoRow:
    """One strategy (or one setting of a tunable one) on the test split.

    ``how`` is ``offline`` (scored over the outcome matrix) or ``live`` (recorded traces,
    routing calls included). ``saving`` is ``1 - cost per task / the baseline's`` (a fraction).
    """

    name: str
    how: str
    note: str
    quality: float | None
    quality_ci: tuple[float | None, float | None]
    cost_usd: float | None
    cost_per_task: float | None
    latency_p50_s: float | None
    latency_p95_s: float | None
    call_share: Mapping[str, float]
    saving: float | None
    p_value: float | None


@dataclass(frozen=True)
class DemoResult:
    """What the demo showed: the rows, the baseline, where the run and the report are."""

    run_dir: Path
    report_dir: Path
    baseline: str
    single_best: str
    rows: tuple[DemoRow, ...]
    n_train: int
    n_test: int
    hourly_rate: str
    text: str
    elapsed_s: float

    def row(self, name: str) -> DemoRow:
        """The first row called ``name``."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)


def demo_rows(report: CostReport) -> list[DemoRow]:
    """The rows of the report's main table, in its order."""
    out = []
    for r in report.analysis.shown():
        e = r.entry
        ci = e.get("quality_ci") or [None, None]
        out.append(
            DemoRow(
                name=r.label,
                how=r.how,
                note=r.note,
                quality=_opt(e.get("quality")),
                quality_ci=(_opt(ci[0]), _opt(ci[1])),
                cost_usd=_opt(e.get("cost_usd")),
                cost_per_task=_opt(e.get("cost_per_task")),
                latency_p50_s=_opt(e.get("latency_p50_s")),
                latency_p95_s=_opt(e.get("latency_p95_s")),
                call_share={str(k): float(v) for k, v in (e.get("call_share") or {}).items()},
                saving=r.saving_pct,
                p_value=_opt(e.get("p_value_vs_single_best")),
            )
        )
    return out


def run_demo(
    run_dir: str | Path | None = None,
    *,
    out: str | Path | None = None,
    live: bool = False,
    spec: str | Path | None = None,
    live_out: str | Path | None = None,
    baseline: str = BASELINE,
    seed: int = 0,
    n_boot: int = 1000,
    echo: Callable[[str], None] | None = None,
) -> DemoResult:
    """Print the lab comparison and write its cost report; returns what was shown.

    Default: the recorded run (``data/runs/lab``): instant, deterministic, no model needed.
    ``live``: first run the lab spec (``benchmarks/lab.toml``) for real through its cache,
    with the local llama.cpp server, into ``live_out`` (default ``runs/lab-<time>``), and show
    that run instead.
    ``baseline`` is the executor every saving is measured against (``single:<baseline>``).
    """
    say = echo or _print
    started = time.monotonic()
    if live:
        recording = _live_run(spec, live_out, say)
        source = recording.out
    else:
        source = Path(run_dir) if run_dir is not None else repo_path(DEFAULT_RUN)
        if not (source / "manifest.json").is_file():
            raise InputError(
                located(
                    source,
                    None,
                    "run",
                    "no recorded run here; regenerate it with `python benchmarks/record_lab.py`"
                    " or run the lab live with `toolkit demo --live`",
                )
            )
    report_dir = Path(out) if out is not None else DEFAULT_OUT
    from toolkit.report import build_cost_report

    report = build_cost_report(source, baseline=baseline, seed=seed, n_boot=n_boot)
    rows = demo_rows(report)
    evaluation = report.analysis.evaluation
    single_best = str(evaluation["single_best"]["name"])
    base_name = report.analysis.baseline
    text = format_demo(
        rows,
        baseline=base_name,
        single_best=single_best,
        source=source,
        n_train=int(evaluation["n_train"]),
        n_test=int(evaluation["n_test"]),
        hourly_rate=report.inputs.hourly_rate_text(),
        parity=evaluation.get("parity", []),
    )
    say(text)
    written = report.write(report_dir)
    say(where_to_look(written))
    return DemoResult(
        run_dir=source,
        report_dir=written,
        baseline=base_name,
        single_best=single_best,
        rows=tuple(rows),
        n_train=int(evaluation["n_train"]),
        n_test=int(evaluation["n_test"]),
        hourly_rate=report.inputs.hourly_rate_text(),
        text=text,
        elapsed_s=time.monotonic() - started,
    )


def _live_run(
    spec: str | Path | None, out: str | Path | None, say: Callable[[str], None]
) -> Recording:
    from toolkit.lab._record import record_run

    spec_path = Path(spec) if spec is not None else repo_path(DEFAULT_SPEC)
    out = Path(out) if out is not None else LIVE_RUNS / f"lab-{time.strftime('%Y%m%d-%H%M%S')}"
    say(
        f"Running {spec_path} live into {out} (the local llama.cpp server answers for Gemma; "
        "calls already in the lab cache are replayed at no cost)..."
    )
    recording = record_run(spec_path, out, progress=None)
    from toolkit.lab._record import partial_dir

    say(recording.summary.line().replace(str(partial_dir(out)), str(out)))
    return recording


# ----- text -------------------------------------------------------------------------------------


def money(x: float | None) -> str:
    """Dollars with three significant digits and no exponent: ``$0.0000213``, ``$1.25``."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "$0"
    digits = max(2, 2 - math.floor(math.log10(abs(x))))
    return f"${x:.{digits}f}"


def _small_money(x: float | None) -> str:
    """:func:`money`, with an exponent below $0.0001 (``$5.97e-07``) to keep columns narrow."""
    if x is not None and math.isfinite(x) and 0 < abs(x) < 1e-4:
        return f"${x:.2e}"
    return money(x)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:+.0f}%".replace("+-", "-")


def _q(row: DemoRow) -> str:
    if row.quality is None:
        return "n/a"
    lo, hi = row.quality_ci
    if lo is None or hi is None:
        return f"{row.quality:.3f}"
    return f"{row.quality:.3f} [{lo:.3f}, {hi:.3f}]"


def _secs(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def shares_text(shares: Mapping[str, float]) -> str:
    """``gemma 56%, specialist 30%`` (largest first; shares may sum to more than 100%)."""
    items = sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{k} {100 * v:.0f}%" for k, v in items if v > 0) or "-"


#: Short tags for the report's row notes, shown in the "how" column.
NOTE_TAGS = {
    "baseline": "baseline",
    "upper bound (hindsight)": "hindsight",
    "at parity (chosen on train)": "parity",
    "on the test frontier": "frontier",
    "routing calls included": "",
}

COLUMNS = (
    "strategy",
    "how",
    "quality [95% CI]",
    "$ per task",
    "p50 s",
    "p95 s",
    "saving",
)
#: The second table: what each strategy spent in all and which executors it called.
SPEND_COLUMNS = ("strategy", "total $", "calls")
#: The printed text fits a terminal this wide (call shares wrap onto their own lines).
WIDTH = 120

_SHORT = (
    ("lambda=", "λ="),
    ("threshold=", "t="),
    ("strong_share=", "p="),
    ("stages=", ""),
    (" → ", "→"),
)


def short_name(name: str) -> str:
    """The row's name with its parameters abbreviated (λ, t, p; a pair as strong/weak)."""
    for old, new in _SHORT:
        name = name.replace(old, new)
    return re.sub(r", strong=([^,()]+), weak=([^,()]+)", r", \1/\2", name)


def table_cells(row: DemoRow) -> list[str]:
    """The printed cells of one row, in :data:`COLUMNS` order."""
    tag = NOTE_TAGS.get(row.note, row.note)
    how = "off" if row.how == "offline" else row.how
    return [
        short_name(row.name),
        f"{how}, {tag}" if tag else how,
        _q(row),
        _small_money(row.cost_per_task),
        _secs(row.latency_p50_s),
        _secs(row.latency_p95_s),
        _pct(row.saving),
    ]


def spend_cells(row: DemoRow) -> list[str]:
    """The printed cells of one row, in :data:`SPEND_COLUMNS` order."""
    return [short_name(row.name), money(row.cost_usd), shares_text(row.call_share)]


def _aligned(header: Sequence[str], cells: list[list[str]], left: set[int]) -> list[str]:
    rows = [list(header), *cells]
    widths = [max(len(c[i]) for c in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        parts = [c.ljust(widths[i]) if i in left else c.rjust(widths[i]) for i, c in enumerate(row)]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def format_table(rows: Sequence[DemoRow]) -> str:
    """The rows as two aligned text tables that fit :data:`WIDTH` columns: quality, cost per
    task, latency and saving; then each strategy's total and its call shares (numbers
    right-aligned; a long list of shares wraps, indented, under its row)."""
    main = _aligned(COLUMNS, [table_cells(r) for r in rows], {0, 1})
    spend = _aligned(SPEND_COLUMNS[:2], [spend_cells(r)[:2] for r in rows], {0})
    indent = len(spend[0]) + 2
    wrapped = [f"{spend[0]}  {SPEND_COLUMNS[2]}", spend[1] + "  " + "-" * 5]
    for line, r in zip(spend[2:], rows, strict=True):
        shares = textwrap.wrap(shares_text(r.call_share), max(30, WIDTH - indent))
        wrapped.append((line.ljust(indent - 2) + "  " + shares[0]).rstrip())
        wrapped.extend(" " * indent + more for more in shares[1:])
    return "\n".join([*main, "", *wrapped])


def verdicts(rows: Sequence[DemoRow], baseline: str, single_best: str) -> list[str]:
    """One line per routed strategy: does it beat the baseline on quality, and on cost?"""
    base = next((r for r in rows if r.name == baseline), None)
    if base is None or base.quality is None:
        return []
    p_ok = baseline == single_best
    out = []
    for r in rows:
        if r.name.startswith("single:") or r.name == "oracle" or r.quality is None:
            continue
        dq = r.quality - base.quality
        if p_ok and r.p_value is not None:
            sig = "significant" if r.p_value < ALPHA else "not significant"
            q = f"quality {r.quality:.3f} vs {base.quality:.3f} ({dq:+.3f}, paired p={r.p_value:.2g}, {sig})"
        else:
            q = f"quality {r.quality:.3f} vs {base.quality:.3f} ({dq:+.3f})"
        if r.saving is None:
            c = "cost n/a"
        elif r.saving >= 0:
            c = f"{100 * r.saving:.0f}% cheaper per task"
        else:
            c = f"{-100 * r.saving:.0f}% dearer per task"
        line = f"{short_name(r.name)} [{r.how}]: {q}; {c}"
        out.extend(textwrap.wrap(line, WIDTH, initial_indent="  ", subsequent_indent="      "))
    return out


def format_demo(
    rows: Sequence[DemoRow],
    *,
    baseline: str,
    single_best: str,
    source: Path,
    n_train: int,
    n_test: int,
    hourly_rate: str,
    parity: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The demo's whole printed text: facts, the table, the verdicts against the baseline and
    the saving at each quality target (``parity``: the evaluation's entries)."""
    head = [
        f"The lab: {source} ({n_train} train tasks, {n_test} test tasks).",
        f"Every number is on the test split; learned routers were fitted on train. "
        f"Local compute is priced at {hourly_rate}.",
        f"Baseline: {baseline}; saving = 1 - cost per task / the baseline's. "
        f"'off' rows are scored offline over the outcome matrix, 'live' rows are the recorded "
        f"traces with their routing calls counted. A tunable router shows its setting chosen "
        f"on train to match the best single executor's quality ('parity') and its settings on "
        f"the test cost-quality frontier ('frontier'); summary.csv has them all. p-values are "
        f"paired t-tests against {single_best} (the best single executor on train).",
        "",
    ]
    from toolkit.analysis import small_sample_caveat

    caveat = small_sample_caveat(n_test)
    if caveat:
        head[-1:-1] = [caveat]
    head = [line for text in head for line in (textwrap.wrap(text, WIDTH) or [""])]
    body = [format_table(rows), "", f"Against {baseline}:"]
    body.extend(verdicts(rows, baseline, single_best) or ["  (no routed strategy to compare)"])
    body.extend(target_savings(parity, single_best))
    return "\n".join(head + body)


def target_savings(parity: Sequence[Mapping[str, Any]], single_best: str) -> list[str]:
    """One line per tunable strategy: its saving against ``single_best`` at each quality
    target Q, with the 95% CI, and whether the setting chosen on train holds on test."""
    by_strategy: dict[str, list[str]] = {}
    for p in parity:
        q = float(p.get("target", 1.0))
        ratio = p.get("cost_ratio")
        if not p.get("reached"):
            cell = f"Q {q:g}: not reached on train"
        elif ratio is None:
            cell = f"Q {q:g}: saving n/a"
        else:
            lo, hi = p.get("cost_ratio_ci") or (None, None)
            ci = ""
            if lo is not None and hi is not None:
                ci = f" [{round(100 * (1 - hi))}%, {round(100 * (1 - lo))}%]"
            holds = "holds" if p.get("holds_on_test") else "fails"
            cell = f"Q {q:g}: {round(100 * (1 - ratio))}%{ci} saved, {holds} on test"
        by_strategy.setdefault(str(p["strategy"]), []).append(cell)
    if not by_strategy:
        return []
    head = (
        f"Saving against {single_best} at each quality target Q (the cheapest setting keeping "
        f"Q x its train quality, chosen on train; 95% CI over test tasks):"
    )
    out = ["", *textwrap.wrap(head, WIDTH)]
    for name, cells in by_strategy.items():
        line = f"{short_name(name)}: {'; '.join(cells)}"
        out.extend(textwrap.wrap(line, WIDTH, initial_indent="  ", subsequent_indent="      "))
    return out


def where_to_look(report_dir: Path) -> str:
    """Where the report is and how to open it and the notebooks."""
    html = report_dir / "report.html"
    return "\n".join(
        [
            "",
            f"The cost report is in {report_dir}/:",
            f"  {html}  (self-contained; open it in a browser: xdg-open {html})",
            f"  {report_dir / 'report.md'}, {report_dir / 'summary.csv'} (every strategy "
            "setting) and the PNG figures.",
            "Notebooks: `make lab` starts JupyterLab on notebooks/ (compare strategies, tune",
            "thresholds, cost report, orchestrator, public outcomes).",
        ]
    )


def _opt(x: Any) -> float | None:
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def _print(text: str) -> None:
    print(text, file=sys.stdout, flush=True)
