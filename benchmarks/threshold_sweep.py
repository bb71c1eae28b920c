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
slow) unless ``--loop-repeats`` says otherwise. ``--loop-timed K`` times the loop on K of its
thresholds (evenly spread, the last included) and extrapolates linearly to all of them: the
frame and bins once (timed apart) plus K's per-threshold cost times ``--thresholds``; the JSON
then says so (``routellm_loop_extrapolated``, ``routellm_loop_note``). Targets: the curve
under 0.5 s, within 1.5x of the numpy reference, and at least 100x faster than the loop.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt
from _bench import emit, environment, figure, timed

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


def routellm_style_loop(
    strong: FloatArray,
    weak: FloatArray,
    router: FloatArray,
    n_thresholds: int,
    only: int | None = None,
) -> list[tuple[float, float, float]]:
    """Per threshold, what RouteLLM's benchmark loop does: (threshold, accuracy %, strong %).

    ``only``: evaluate just that many of the ``n_thresholds`` thresholds, evenly spread (the
    last one included), for a timing extrapolated linearly to all of them.
    """
    import pandas as pd

    df = pd.DataFrame({"strong-model": strong, "weak-model": weak, "strong_win_rates": router})
    _, thresholds = pd.qcut(df["strong_win_rates"], n_thresholds - 1, retbins=True)
    last = len(thresholds) - 1
    picked = list(range(len(thresholds)))
    if only is not None and only < len(thresholds):
        picked = sorted({round(float(x)) for x in np.linspace(0, last, max(1, only))})
    out = []
    for i in picked:
        threshold = thresholds[i]
        selection = (
            df["strong_win_rates"] >= threshold if i != last else df["strong_win_rates"] > threshold
        )
        results = np.where(selection, df["strong-model"], df["weak-model"])
        models = np.where(selection, "strong-model", "weak-model")
        counts = Counter(models)
        accuracy = sum(results) / len(results) * 100
        out.append((float(threshold), float(accuracy), counts["strong-model"] / len(results) * 100))
    return out


def loop_setup(strong: FloatArray, weak: FloatArray, router: FloatArray, n_thresholds: int) -> None:
    """The loop's one-off part (the frame and the qcut bins), timed apart for extrapolation."""
    import pandas as pd

    df = pd.DataFrame({"strong-model": strong, "weak-model": weak, "strong_win_rates": router})
    pd.qcut(df["strong_win_rates"], n_thresholds - 1, retbins=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="tasks (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=7, help="runs of the fast paths")
    parser.add_argument("--loop-repeats", type=int, default=1, help="runs of the slow loop")
    parser.add_argument("--thresholds", type=int, default=100, help="thresholds of the loop")
    parser.add_argument(
        "--loop-timed",
        type=int,
        default=None,
        help="time the loop on this many of its thresholds (evenly spread) and extrapolate "
        "linearly to --thresholds (default: time them all)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes (figures mean nothing)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.repeats, args.thresholds, args.loop_timed = 20_000, 2, 10, 4

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
        lambda: routellm_style_loop(strong, weak, router, args.thresholds, args.loop_timed),
        args.loop_repeats,
    )
    loop_timed = len(loop_points)
    extrapolated = loop_timed < args.thresholds
    t_loop_measured = t_loop
    t_setup = 0.0
    if extrapolated:  # the one-off part once, the per-threshold part scaled to all of them
        t_setup, _, _ = timed(
            lambda: loop_setup(strong, weak, router, args.thresholds), args.loop_repeats
        )
        per = max(0.0, t_loop - t_setup) / loop_timed
        t_loop = t_setup + per * args.thresholds

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
            "curve_and_apgr_s": figure(t_toolkit, TARGET_S, at_most=True),
            "ratio_to_numpy_reference": figure(ratio, TARGET_RATIO, at_most=True),
            "speedup_vs_routellm_loop": figure(speedup, TARGET_SPEEDUP, at_most=False),
        },
        "details": {
            "points_on_curve": len(curve.c),
            "apgr": apgr,
            "numpy_reference_s": t_numpy,
            "numpy_sort_keys_only_s": t_keys,
            "ratio_to_keys_only": t_toolkit / t_keys,
            "routellm_loop_s": t_loop,
            "routellm_loop_thresholds": args.thresholds if extrapolated else len(loop_points),
            "routellm_loop_per_threshold_s": t_loop / max(1, args.thresholds),
            "routellm_loop_extrapolated": extrapolated,
            "routellm_loop_timed_thresholds": loop_timed,
            "routellm_loop_timed_s": t_loop_measured,
            "routellm_loop_setup_s": t_setup if extrapolated else None,
            "routellm_loop_note": (
                f"timed on {loop_timed} of the {args.thresholds} thresholds (evenly spread) and "
                "extrapolated linearly: the frame and bins once, plus the timed per-threshold "
                f"cost x {args.thresholds}"
                if extrapolated
                else f"timed on all {loop_timed} thresholds"
            ),
            "loop_points_max_abs_diff_from_curve": worst,
            "toolkit_runs_s": all_toolkit,
            "numpy_runs_s": all_numpy,
            "loop_runs_s": all_loop,
            **environment(),
        },
    }
    return emit(result)


if __name__ == "__main__":
    sys.exit(main())
