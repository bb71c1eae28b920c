"""The live-call benchmarks as a picture: ``benchmarks/results/live_calls.png``.

Left: concurrency scaling, calls per second of bare litellm and of the toolkit at each level
against the ideal (concurrency / latency) and the CPU-bound ceiling (1 / client CPU per call).
Right: runner overhead, every run of each way (bare litellm, the toolkit, the toolkit with
litellm's thread hop), with the median. Drawn by ``run_all.py`` from the scripts' JSON.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import Any

FILE = "live_calls.png"


def plot_live_calls(details: dict[str, Any], out_dir: Path) -> Path | None:
    """Draw the figure from ``run_all``'s per-benchmark details; None when neither ran."""
    scaling = (details.get("concurrency_scaling") or {}).get("details")
    overhead = (details.get("runner_overhead") or {}).get("details")
    if not scaling and not overhead:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    if scaling:
        _scaling(left, scaling)
    else:
        left.set_axis_off()
    if overhead:
        _overhead(right, overhead)
    else:
        right.set_axis_off()
    fig.suptitle("Live calls to a local stub server (SYNTHETIC echo tasks)")
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILE
    tmp = out_dir / f".{FILE}.{os.getpid()}.part"
    try:  # written whole or not at all
        fig.savefig(tmp, dpi=110, format="png")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return path


def _scaling(ax: Any, d: dict[str, Any]) -> None:
    levels = sorted(d["levels"], key=int)
    xs = [int(c) for c in levels]
    rows = [d["levels"][c] for c in levels]
    ax.plot(xs, [r["ideal_calls_per_s"] for r in rows], "k:", label="ideal: concurrency / latency")
    ax.plot(xs, [r["bare_calls_per_s"] for r in rows], "o-", label="bare litellm")
    ax.plot(xs, [r["toolkit_calls_per_s"] for r in rows], "s-", label="toolkit runner")
    ceiling = d.get("ceiling") or {}
    if "bare_cpu_bound_calls_per_s" in ceiling:
        ax.axhline(
            ceiling["bare_cpu_bound_calls_per_s"],
            color="grey",
            linestyle="--",
            label="CPU-bound ceiling: 1 / client CPU per call",
        )
    for x, r in zip(xs, rows, strict=True):
        ax.annotate(
            f"{r['toolkit_share_of_bare']:.2f}",
            (x, r["toolkit_calls_per_s"]),
            textcoords="offset points",
            xytext=(0, -14),
            ha="center",
            fontsize=8,
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_ylim(bottom=0.6 * min(r["toolkit_calls_per_s"] for r in rows))
    ax.set_xticks(xs, [str(x) for x in xs])
    ax.set_xlabel("concurrent calls")
    ax.set_ylabel("calls per second")
    ax.set_title("Concurrency scaling (labels: toolkit / bare)")
    ax.legend(fontsize=8)


def _overhead(ax: Any, d: dict[str, Any]) -> None:
    ways = [
        ("bare litellm", d.get("bare_runs_calls_per_s") or []),
        ("toolkit runner", d.get("toolkit_runs_calls_per_s") or []),
        ("toolkit, litellm's\nthread hop", d.get("thread_hop_runs_calls_per_s") or []),
    ]
    ways = [(name, runs) for name, runs in ways if runs]
    for i, (_name, runs) in enumerate(ways):
        ax.scatter([i] * len(runs), runs, alpha=0.6)
        mid = statistics.median(runs)
        ax.hlines(mid, i - 0.25, i + 0.25, color="black")
        ax.annotate(f"{mid:.0f}/s", (i + 0.28, mid), va="center", fontsize=8)
    ax.set_xticks(range(len(ways)), [name for name, _ in ways])
    ax.set_xlim(-0.5, len(ways) - 0.2)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("calls per second")
    n, c = d.get("calls_per_run"), d.get("concurrency")
    ax.set_title(f"Runner overhead: {n} calls at {c}, instant stub (line: median)")
