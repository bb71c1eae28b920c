"""Run every benchmark, each in its own process, and write ``benchmarks/results/latest.json``.

``make bench`` runs ``python benchmarks/run_all.py``. Each benchmark script runs as a
subprocess (so one cannot disturb another's imports, memory or event loop) with the settings
below, prints its JSON, and the figures are gathered into ``latest.json``::

    {BENCHMARK: {FIGURE: {"value": number, "target": number, "met": bool}}}

A benchmark that cannot run here maps to ``{"skipped": "why"}``, and one that failed to
``{"error": "what happened"}``. ``latest_details.json`` beside it keeps every script's whole
JSON output (runs, references, profiles) and how long each took. ``live_calls.png`` beside
them draws the two live-call benchmarks (see ``_plot.py``). All three are git-ignored.

Exit status: 0 when every benchmark ran or was skipped (whether or not its targets were met;
the table printed at the end says), 1 when one failed. ``--only`` runs some of them,
``--quick`` runs each at tiny sizes (to check that they run; the figures then mean nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _plot import plot_live_calls

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"


@dataclass(frozen=True)
class Bench:
    """One benchmark script and the arguments ``make bench`` gives it."""

    name: str
    args: tuple[str, ...]
    timeout_s: float


#: In order; the arguments keep the whole suite under 10 minutes on 2 shared cores.
BENCHMARKS = (
    # the 100-threshold pandas loop takes 30-100 s: timed on 20 of them, extrapolated (said so)
    Bench("threshold_sweep", ("--repeats", "5", "--loop-timed", "20", "--loop-repeats", "3"), 300),
    Bench("many_strategies", ("--repeat", "3"), 240),
    # fits tfidf_logreg and knn from text at issue 14's sizes: one run, a few minutes
    Bench("evaluate_default", ("--repeat", "1"), 600),
    Bench("runner_overhead", ("--repeat", "3"), 300),
    # 2,000 calls at 32 and 64; 6.25 s of the ideal rate at 1 and 8 (63 and 500 calls)
    Bench("concurrency_scaling", ("--repeat", "3", "--max-seconds", "6.25"), 420),
    Bench("local_throughput", ("--repeat", "3", "--max-tokens", "32"), 300),
    Bench("startup_memory", ("--repeat", "3"), 180),
    Bench("notebooks", ("--repeat", "3", "--budget-s", "90"), 400),
    # 3,000,000 rows: about 10 s per import, plus writing the file and the pandas reference
    Bench("import_speed", ("--repeat", "3"), 300),
    # every signal on the lab and, from ../shared/data when present, arena and GSM8K
    Bench("router_quality", (), 1200),
)


def run_one(bench: Bench, *, quick: bool) -> tuple[dict[str, Any], float]:
    """Run one benchmark script; returns its JSON (or an error object) and its wall time."""
    cmd = [sys.executable, str(HERE / f"{bench.name}.py"), *bench.args]
    if quick:
        cmd.append("--quick")
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=bench.timeout_s, cwd=ROOT, env=env
        )
    except subprocess.TimeoutExpired:
        took = time.perf_counter() - t0
        return {"benchmark": bench.name, "error": f"timed out after {bench.timeout_s:g} s"}, took
    took = time.perf_counter() - t0
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        tail = (proc.stderr or proc.stdout).strip()[-1500:]
        result = {"benchmark": bench.name, "error": f"exit status {proc.returncode}: {tail}"}
    if not isinstance(result, dict):
        result = {"benchmark": bench.name, "error": "the script printed no JSON object"}
    if proc.returncode != 0 and "error" not in result:
        result["error"] = f"exit status {proc.returncode}: {proc.stderr.strip()[-1500:]}"
    return result, took


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The ``latest.json`` entry of one benchmark's output."""
    if "error" in result:
        return {"error": str(result["error"])}
    if "skipped" in result:
        return {"skipped": str(result["skipped"])}
    figures = result.get("figures") or {}
    return {
        name: {"value": f["value"], "target": f["target"], "met": bool(f["met"])}
        for name, f in figures.items()
    }


def table(latest: dict[str, Any], times: dict[str, float]) -> str:
    """A plain-text table of every figure beside its target."""
    rows = [f"{'benchmark':<20} {'figure':<40} {'value':>12} {'target':>8}  met   time"]
    for name, entry in latest.items():
        took = f"{times.get(name, 0.0):5.0f}s"
        if "error" in entry or "skipped" in entry:
            what = "ERROR" if "error" in entry else "skipped"
            text = str(entry.get("error") or entry.get("skipped")).splitlines()[0][:60]
            rows.append(f"{name:<20} {what}: {text}  {took}")
            continue
        for fig, f in entry.items():
            rows.append(
                f"{name:<20} {fig:<40} {f['value']:>12.4g} {f['target']:>8.4g}  "
                f"{'yes' if f['met'] else 'NO ':<4}  {took}"
            )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; write the results; print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    names = [b.name for b in BENCHMARKS]
    p.add_argument("--only", nargs="+", choices=names, metavar="NAME", help=", ".join(names))
    p.add_argument("--quick", action="store_true", help="tiny sizes: check that each runs")
    p.add_argument("--out", type=Path, default=RESULTS / "latest.json", help="results file")
    args = p.parse_args(argv)
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only]

    started = time.time()
    latest: dict[str, Any] = {}
    details: dict[str, Any] = {}
    times: dict[str, float] = {}
    for bench in chosen:
        print(f"[bench] {bench.name} ...", file=sys.stderr, flush=True)
        result, took = run_one(bench, quick=args.quick)
        latest[bench.name] = summary(result)
        details[bench.name] = {**result, "elapsed_s": took}
        times[bench.name] = took
        print(f"[bench] {bench.name}: {took:.0f} s", file=sys.stderr, flush=True)
    elapsed = time.time() - started

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(latest, indent=2) + "\n", encoding="utf-8")
    meta = {
        "started_at": started,
        "elapsed_s": elapsed,
        "quick": args.quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    detail_path = args.out.with_name(args.out.stem + "_details.json")
    detail_path.write_text(
        json.dumps({"run": meta, "benchmarks": details}, indent=2) + "\n", encoding="utf-8"
    )
    print(table(latest, times))
    print(f"\n{len(chosen)} benchmarks in {elapsed:.0f} s; results in {args.out}")
    drawn = plot_live_calls(details, args.out.parent)
    if drawn is not None:
        print(f"live-call figure: {drawn}")
    return 1 if any("error" in entry for entry in latest.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
