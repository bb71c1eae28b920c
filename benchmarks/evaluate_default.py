"""Benchmark: ``toolkit evaluate`` with the default strategy set, signals fitted from text.

Issue 14's sizes: a RouteLLM-MMLU-sized matrix (14,042 tasks x 2 executors; target: under
15 s) and a RouterBench-sized one (36,000 x 11; target: under 60 s), on these 2 cores. The data
is SYNTHETIC (made up for timing only): each prompt is 60 words drawn from a 5,000-word
vocabulary with Zipf frequencies (as words in natural text are), with a topic word that moves
each executor's success rate; costs spread over two orders of magnitude.

Timed, per size (the median of ``--repeat`` runs): ``toolkit.analysis.evaluate`` on a 70/30
random split with every default strategy (singles, random, oracle, score_router and cascade
with the ``tfidf_logreg`` and ``knn`` signals) and B = 1000 bootstrap resamples. In the same
run, the reference: fitting the two signals alone (``toolkit.signals.fit_predict``, 5-fold
out-of-fold train predictions plus a fit on all of train), as ``evaluate`` does once per
signal and split. ``ratio_to_signal_fitting`` (evaluate / fitting) shows what the rest of the
evaluation adds to the fits: each signal is fitted once per split and its predictions are
reused by every setting, pair and family that reads it.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
from _bench import emit, environment, figure, median, parser

#: (tasks, executors, target seconds)
SIZES = ((14_042, 2, 15.0), (36_000, 11, 60.0))
QUICK_SIZES = ((600, 2, 15.0), (600, 11, 60.0))
N_BOOT = 1000
WORDS = 5000
PROMPT_WORDS = 60
TOPICS = 40


def synthetic_matrix(n: int, m: int, seed: int) -> Any:
    """A SYNTHETIC outcome matrix with Zipf-worded prompts; see the module docstring."""
    from toolkit.outcomes import OutcomeMatrix

    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(WORDS)], dtype=object)
    p = 1.0 / np.arange(1, WORDS + 1)
    words = rng.choice(WORDS, size=(n, PROMPT_WORDS), p=p / p.sum())
    topic = rng.integers(0, TOPICS, n)
    texts = [" ".join(vocab[row]) + f" topic{t}" for row, t in zip(words, topic, strict=True)]
    skill = np.linspace(0.35, 0.85, m)
    bias = rng.normal(0.0, 0.15, (TOPICS, m))
    prob = np.clip(skill[None, :] + bias[topic], 0.02, 0.98)
    score = (rng.random((n, m)) < prob).astype(np.float64)
    cost = np.geomspace(1e-4, 1e-2, m)[None, :] * rng.uniform(0.8, 1.2, (n, m))
    return OutcomeMatrix.build(
        task_ids=[f"syn{i}" for i in range(n)],
        executors=[f"exec{j}" for j in range(m)],
        score=score,
        text=texts,
        category=[f"topic{t % 5}" for t in topic],
        cost_usd=cost,
        notes=["synthetic benchmark matrix"],
    )


def measure(n: int, m: int, repeat: int, n_boot: int, seed: int) -> dict[str, Any]:
    """Evaluate and fit times of one size (medians of ``repeat`` runs)."""
    from toolkit.analysis import evaluate, split_outcomes
    from toolkit.analysis._policies import DEFAULT_SIGNALS, OOF_FOLDS
    from toolkit.signals import fit_predict

    matrix = synthetic_matrix(n, m, seed)
    train, test, _ = split_outcomes(matrix, test_fraction=0.3, seed=seed)
    eval_times, fit_times = [], []
    settings = 0
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        result = evaluate(train, test, seed=seed, n_boot=n_boot)
        eval_times.append(time.perf_counter() - t0)
        settings = len(result["strategies"])
        t0 = time.perf_counter()
        for sig in DEFAULT_SIGNALS:
            fit_predict(sig, train, test, folds=OOF_FOLDS, seed=seed)
        fit_times.append(time.perf_counter() - t0)
    t_eval, t_fit = median(eval_times), median(fit_times)
    return {
        "n_tasks": n,
        "n_executors": m,
        "n_train": train.n_tasks,
        "n_test": test.n_tasks,
        "settings": settings,
        "evaluate_s": t_eval,
        "evaluate_runs_s": eval_times,
        "signal_fitting_s": t_fit,
        "signal_fitting_runs_s": fit_times,
        "ratio_to_signal_fitting": t_eval / t_fit if t_fit > 0 else None,
        "rest_of_evaluation_s": max(0.0, t_eval - t_fit),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    p = parser(__doc__.splitlines()[0] if __doc__ else "evaluate default", repeat=1)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else SIZES
    n_boot = 50 if args.quick else N_BOOT
    figures: dict[str, Any] = {}
    details: dict[str, Any] = {"n_boot": n_boot, "sizes": {}, **environment()}
    for n, m, target in sizes:
        got = measure(n, m, args.repeat, n_boot, args.seed)
        key = f"{n}x{m}"
        details["sizes"][key] = got
        figures[f"evaluate_{key}_s"] = figure(got["evaluate_s"], target, at_most=True)
    return emit(
        {
            "benchmark": "evaluate_default",
            "data": (
                f"synthetic: Zipf-worded prompts ({PROMPT_WORDS} words of {WORDS}), "
                f"{', '.join(f'{n} x {m}' for n, m, _ in sizes)}, seed {args.seed}"
            ),
            "figures": figures,
            "details": details,
        }
    )


if __name__ == "__main__":
    sys.exit(main())
