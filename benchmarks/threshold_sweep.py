"""Benchmark: the full threshold curve and APGR of a two-executor router over 1,000,000 tasks.

The data is SYNTHETIC (random correctness for a weak and a strong executor and a noisy router
score), made up for timing only. In the same run it times:

- the toolkit: ``toolkit.analysis.threshold_curve`` (every distinct threshold) plus APGR;
- the numpy reference: ``np.argsort`` of the router score, the gain gathered in that order,
  and ``np.cumsum`` (a sort plus a cumulative sum: about the physical limit of the job);
- the keys-only bound: ``np.sort`` of the scores plus ``np.cumsum`` (it does not even carry
  the gains, so no curve comes out of it; shown as a floor);
- a RouteLLM-style loop: per threshold, a pandas selection, ``np.where`` over the scores and
  the model names, a ``Counter`` of the names and Python's ``sum`` (as RouteLLM's
  ``routellm/evals/benchmarks.py`` evaluates each of its thresholds), over 100 thresholds
  taken as RouteLLM takes them (``pandas.qcut`` bin edges).

Prints one JSON object. Figures are medians of ``--repeats`` runs; the loop runs once (it is
slow) unless ``--loop-repeats`` says otherwise. Targets: the curve under 0.5 s, within 1.5x of
the numpy reference, and at least 100x faster than the loop.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

TARGET_S = 0.5
TARGET_RATIO = 1.5
TARGET_SPEEDUP = 100.0

FloatArray = npt.NDArray[np.float64]


def synthetic(n: int, seed: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """SYNTHETIC outcomes: weak right 60% of the time, strong 80%, a noisy router score."""
    rng = np.random.default_rng(seed)
    strong = (rng.random(n) < 0.8).astype(np.float64)
    weak = (rng.random(n) < 0.6).astype(np.float64)
    router = 0.3 * (strong - weak) + rng.normal(size=n)
    return strong, weak, router


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float], Any]:
    """Median wall time of ``repeats`` calls, all the times, and the last result."""
    times = []
    result = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def routellm_style_loop(
    strong: FloatArray, weak: FloatArray, router: FloatArray, n_thresholds: int
) -> list[tuple[float, float, float]]:
    """Per threshold, what RouteLLM's benchmark loop does: (threshold, accuracy %, strong %)."""
    import pandas as pd

    df = pd.DataFrame({"strong-model": strong, "weak-model": weak, "strong_win_rates": router})
    _, thresholds = pd.qcut(df["strong_win_rates"], n_thresholds - 1, retbins=True)
    out = []
    for i, threshold in enumerate(thresholds):
        selection = (
            df["strong_win_rates"] >= threshold
            if i != len(thresholds) - 1
            else df["strong_win_rates"] > threshold
        )
        results = np.where(selection, df["strong-model"], df["weak-model"])
        models = np.where(selection, "strong-model", "weak-model")
        counts = Counter(models)
        accuracy = sum(results) / len(results) * 100
        out.append((float(threshold), float(accuracy), counts["strong-model"] / len(results) * 100))
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="tasks (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=7, help="runs of the fast paths")
    parser.add_argument("--loop-repeats", type=int, default=1, help="runs of the slow loop")
    parser.add_argument("--thresholds", type=int, default=100, help="thresholds of the loop")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from toolkit.analysis import threshold_curve

    strong, weak, router = synthetic(args.n, args.seed)
    gain = strong - weak

    def toolkit_curve() -> tuple[Any, float | None]:
        curve = threshold_curve(strong, weak, router)
        return curve, curve.apgr()

    def numpy_reference() -> FloatArray:
        order = np.argsort(-router)
        result: FloatArray = np.cumsum(gain[order])
        return result

    def keys_only() -> FloatArray:
        result: FloatArray = np.cumsum(np.sort(router))
        return result

    toolkit_curve()  # warm up (imports, page faults)
    t_toolkit, all_toolkit, (curve, apgr) = timed(toolkit_curve, args.repeats)
    t_numpy, all_numpy, _ = timed(numpy_reference, args.repeats)
    t_keys, _, _ = timed(keys_only, args.repeats)
    t_loop, all_loop, loop_points = timed(
        lambda: routellm_style_loop(strong, weak, router, args.thresholds), args.loop_repeats
    )

    # The loop's points lie on the toolkit's curve: check it at each loop threshold.
    worst = 0.0
    for i, (threshold, accuracy, _share) in enumerate(loop_points):
        routed = router >= threshold if i != len(loop_points) - 1 else router > threshold
        expect = float(np.where(routed, strong, weak).mean())
        k = int(routed.sum())
        # the curve point that routes exactly these k tasks (tie groups end at k)
        j = int(np.searchsorted(np.rint(curve.c * args.n), k))
        worst = max(worst, abs(curve.q[j] - expect), abs(accuracy / 100 - expect))

    ratio = t_toolkit / t_numpy
    speedup = t_loop / t_toolkit
    result = {
        "benchmark": "threshold_sweep",
        "data": f"synthetic: {args.n} tasks x 2 executors, seed {args.seed}",
        "figures": {
            "curve_and_apgr_s": {
                "value": t_toolkit,
                "target": TARGET_S,
                "met": t_toolkit < TARGET_S,
            },
            "ratio_to_numpy_reference": {
                "value": ratio,
                "target": TARGET_RATIO,
                "met": ratio <= TARGET_RATIO,
            },
            "speedup_vs_routellm_loop": {
                "value": speedup,
                "target": TARGET_SPEEDUP,
                "met": speedup >= TARGET_SPEEDUP,
            },
        },
        "details": {
            "points_on_curve": len(curve.c),
            "apgr": apgr,
            "numpy_reference_s": t_numpy,
            "numpy_sort_keys_only_s": t_keys,
            "ratio_to_keys_only": t_toolkit / t_keys,
            "routellm_loop_s": t_loop,
            "routellm_loop_thresholds": len(loop_points),
            "routellm_loop_per_threshold_s": t_loop / max(1, len(loop_points)),
            "loop_points_max_abs_diff_from_curve": worst,
            "toolkit_runs_s": all_toolkit,
            "numpy_runs_s": all_numpy,
            "loop_runs_s": all_loop,
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "machine": platform.machine(),
        },
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
