"""Helpers of the benchmark smoke tests: run a benchmark script and read its JSON."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"

#: Every figure a benchmark reports, and which side of its target is good.
AT_MOST = "at most"
AT_LEAST = "at least"
FIGURES: dict[str, dict[str, str]] = {
    "threshold_sweep": {
        "curve_and_apgr_s": AT_MOST,
        "ratio_to_numpy_reference": AT_MOST,
        "speedup_vs_routellm_loop": AT_LEAST,
    },
    "many_strategies": {"evaluate_settings_s": AT_MOST},
    "evaluate_default": {"evaluate_600x2_s": AT_MOST, "evaluate_600x11_s": AT_MOST},
    "runner_overhead": {"toolkit_share_of_bare_throughput": AT_LEAST},
    "concurrency_scaling": {"toolkit_share_of_bare_worst_level": AT_LEAST},
    "local_throughput": {"toolkit_share_of_direct_tokens_per_s": AT_LEAST},
    "startup_memory": {
        "import_toolkit_s": AT_MOST,
        "toolkit_help_s": AT_MOST,
        "load_matrix_extra_peak_rss_mb": AT_MOST,
    },
    "notebooks": {"all_notebooks_s": AT_MOST},
    "import_speed": {"rows_per_s": AT_LEAST, "peak_rss_mb": AT_MOST},
    "router_quality": {
        "lab_auto_aiq_ratio_to_baseline": AT_LEAST,
        "arena_bench_v1_auto_aiq_ratio_to_baseline": AT_LEAST,
        "routellm_gsm8k_auto_aiq_ratio_to_baseline": AT_LEAST,
        "routellm_gsm8k_auto_apgr": AT_LEAST,
    },
}


@dataclass(frozen=True)
class Ran:
    """A finished benchmark script: its exit status, JSON output and stderr."""

    returncode: int
    out: dict[str, Any]
    stderr: str


def run_script(name: str, *args: str, timeout_s: float = 300.0) -> Ran:
    """Run ``benchmarks/<name>.py`` with ``args`` in a fresh interpreter; parse its stdout."""
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    proc = subprocess.run(
        [sys.executable, str(BENCH / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=BENCH.parent,
        env=env,
        check=False,
    )
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(
            f"{name}: stdout is not JSON ({exc}); stderr ends: {proc.stderr[-2000:]}"
        ) from None
    assert isinstance(out, dict), f"{name}: printed {type(out).__name__}, not an object"
    return Ran(proc.returncode, out, proc.stderr)


def check_figures(name: str, figures: dict[str, Any]) -> None:
    """The figures are exactly the benchmark's, each a finite value, a target and a ``met``
    that agrees with the value's side of the target."""
    assert set(figures) == set(FIGURES[name]), f"{name}: figures {sorted(figures)}"
    for fig, entry in figures.items():
        assert set(entry) == {"value", "target", "met"}, f"{name}.{fig}: keys {sorted(entry)}"
        value, target, met = entry["value"], entry["target"], entry["met"]
        assert isinstance(value, int | float) and math.isfinite(value), f"{name}.{fig}: {value}"
        assert isinstance(target, int | float) and target > 0, f"{name}.{fig}: {target}"
        assert isinstance(met, bool)
        expect = value <= target if FIGURES[name][fig] == AT_MOST else value >= target
        assert met == expect, f"{name}.{fig}: met={met} but value {value} vs target {target}"
