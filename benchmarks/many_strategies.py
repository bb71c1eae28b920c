"""Benchmark: 200+ strategy settings over 36,000 tasks x 11 executors, with bootstrap CIs (B=1000).

RouterBench's scale. The data is SYNTHETIC (made up for timing only): each executor has a
skill, each task a difficulty, correctness is drawn from both; costs spread over two orders
of magnitude between the cheapest and the dearest executor. The router signals are SYNTHETIC
too: four noisy predictions of each executor's success stand in for fitted text signals, so
the timing is of the evaluation, not of fitting a text model.

Timed, per run (the median of ``--repeat`` runs is reported): exactly what
``toolkit.analysis.evaluate`` does once its signals are fitted. ``EvalData.prepare``;
``build_settings`` with the toolkit's default grids: 11 singles, the oracle, 21 random mixes,
and per signal its score-router lambdas (the switching points of its train predictions, at
most 200) and 22 cascade thresholds (up to 921 settings); then
``assemble``: every metric, paired bootstrap CIs with B = 1000 resamples, p-values, frontier,
AIQ, parity and the ten two-executor APGR curves (random, oracle, and a score router and a
cascade per signal) with their CIs; then the JSON text. Target: under 3 s in total.

Reference, in the same run: the bare bootstrap floor, a numpy matrix product of the same
resample counts with as many score and cost columns as there are settings (what any
bootstrap of that many means must at least do). The ratio to it shows what the rest adds.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import numpy.typing as npt
from _bench import emit, environment, figure, median, parser, profiled

TARGET_S = 3.0
N_TASKS = 36_000
N_EXECUTORS = 11
N_BOOT = 1000
#: SYNTHETIC signals and the noise of their predictions (larger: a weaker signal).
SIGNALS = {"synthetic_a": 0.7, "synthetic_b": 1.0, "synthetic_c": 2.0, "synthetic_d": 3.0}

FloatArray = npt.NDArray[np.float64]


def synthetic_matrix(n: int, m: int, seed: int) -> Any:
    """SYNTHETIC outcomes: n tasks x m executors with skills, difficulties, costs, latencies."""
    from toolkit.outcomes import OutcomeMatrix

    rng = np.random.default_rng(seed)
    skill = np.linspace(-1.0, 2.0, m)
    difficulty = rng.normal(size=n)
    p = 1.0 / (1.0 + np.exp(-(skill[None, :] - difficulty[:, None])))
    score = (rng.random((n, m)) < p).astype(np.float64)
    price = np.geomspace(1e-4, 1e-2, m)
    tokens = rng.integers(50, 2000, size=(n, 1)).astype(np.float64)
    cost = price[None, :] * tokens / 1000.0 * rng.uniform(0.8, 1.2, size=(n, m))
    latency = 0.2 + 2.0 * np.log1p(np.arange(m))[None, :] * rng.gamma(2.0, 0.5, size=(n, m))
    cats = np.array([f"category-{k}" for k in range(8)], dtype=object)
    return OutcomeMatrix.build(
        task_ids=[f"synthetic-{i}" for i in range(n)],
        executors=[f"synthetic-executor-{j:02d}" for j in range(m)],
        score=score,
        text=[f"synthetic task {i}" for i in range(n)],
        category=cats[rng.integers(0, len(cats), size=n)],
        cost_usd=cost,
        latency_s=latency,
        notes=["SYNTHETIC data made up for the many-strategies benchmark"],
        source="synthetic",
    )


def synthetic_predictions(score: FloatArray, noise: float, seed: int) -> FloatArray:
    """SYNTHETIC predicted success per task x executor: the truth blurred by noise."""
    rng = np.random.default_rng(seed)
    logit = (score - 0.5) * 2.0 + rng.normal(scale=noise, size=score.shape)
    out: FloatArray = 1.0 / (1.0 + np.exp(-logit))
    return out


def strategy_names(executors: tuple[str, ...]) -> list[str]:
    """The strategies evaluated: every single, random, oracle, and both families per signal."""
    from toolkit.analysis import parse_strategies

    names: list[str] = parse_strategies(["single", "random", "oracle"], executors)
    names += [f"{kind}:{sig}" for kind in ("score_router", "cascade") for sig in SIGNALS]
    return names


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    p = parser(__doc__.splitlines()[0] if __doc__ else "many strategies")
    p.add_argument("--n", type=int, default=N_TASKS, help=f"tasks (default {N_TASKS})")
    p.add_argument("--n-boot", type=int, default=N_BOOT, help=f"resamples (default {N_BOOT})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--profile", action="store_true", help="add a pyinstrument profile")
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.n_boot = 600, 50

    from toolkit.analysis import split_outcomes, to_json
    from toolkit.analysis._evaluate import assemble, build_settings
    from toolkit.analysis._policies import EvalData

    matrix = synthetic_matrix(args.n, N_EXECUTORS, args.seed)
    train, test, _how = split_outcomes(matrix, test_fraction=0.3, seed=args.seed)
    preds = {
        sig: (
            synthetic_predictions(train.score, noise, args.seed + 10 + k),
            synthetic_predictions(test.score, noise, args.seed + 20 + k),
        )
        for k, (sig, noise) in enumerate(SIGNALS.items())
    }
    names = strategy_names(matrix.executors)

    def evaluation() -> tuple[str, int, int]:
        # toolkit.analysis.evaluate, with the SYNTHETIC signals in place of fitted ones
        data = EvalData.prepare(train, test, seed=args.seed)
        for sig, pair in preds.items():
            data._pred[sig] = pair
        settings = build_settings(data, names)
        result = assemble(data, settings, names, [], n_boot=args.n_boot)
        return to_json(result), len(settings), len(result["two_executor"])

    evaluation()  # warm up: imports (scipy), page faults
    times: list[float] = []
    cpu: list[float] = []
    text, n_settings, n_curves = "", 0, 0
    for _ in range(max(1, args.repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        text, n_settings, n_curves = evaluation()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    t_eval = median(times)

    # the floor: the bootstrap means of 200 score and cost columns, nothing else
    from toolkit.analysis._bootstrap import resample_counts

    rng = np.random.default_rng(args.seed)
    cols = rng.random((test.n_tasks, n_settings + 1))
    floor_times = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        for w in resample_counts(test.n_tasks, args.n_boot, args.seed):
            _ = (w @ cols) / test.n_tasks
            _ = (w @ cols) / test.n_tasks
        floor_times.append(time.perf_counter() - t0)
    t_floor = median(floor_times)

    from toolkit.analysis import lambda_grid

    cbar = train.cost_usd.mean(axis=0)
    details: dict[str, Any] = {
        "settings": n_settings,
        "lambdas_per_signal": {
            sig: len(lambda_grid(pair[0], cbar, list(matrix.executors)))
            for sig, pair in preds.items()
        },
        "two_executor_curves": n_curves,
        "n_train": train.n_tasks,
        "n_test": test.n_tasks,
        "n_boot": args.n_boot,
        "runs_s": times,
        "cpu_s": median(cpu),
        "cpu_runs_s": cpu,
        "bootstrap_floor_s": t_floor,
        "bootstrap_floor_runs_s": floor_times,
        "ratio_to_bootstrap_floor": t_eval / t_floor if t_floor > 0 else None,
        "json_chars": len(text),
        **environment(),
    }
    if args.profile:
        details["profile"] = profiled(evaluation, interval=0.002, lines=80)

    return emit(
        {
            "benchmark": "many_strategies",
            "data": (
                f"synthetic: {args.n} tasks x {N_EXECUTORS} executors, synthetic signals, "
                f"seed {args.seed}"
            ),
            "figures": {"evaluate_settings_s": figure(t_eval, TARGET_S, at_most=True)},
            "details": details,
        }
    )


if __name__ == "__main__":
    sys.exit(main())
