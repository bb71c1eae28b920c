"""Fitting a signal on a train matrix: out-of-fold train predictions and test predictions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit.registry import plugin_failure
from toolkit.signals._base import checked_prediction, clone_signal, make_signal
from toolkit.signals._text import prime_counts

if TYPE_CHECKING:
    from toolkit.outcomes import OutcomeMatrix
    from toolkit.signals._base import FloatArray


def fit_predict(
    name: str,
    train: OutcomeMatrix,
    test: OutcomeMatrix,
    *,
    folds: int = 5,
    seed: int = 0,
    settings: dict[str, Any] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """(out-of-fold train predictions, test predictions) of signal ``name`` fitted on train.

    Each train task is predicted by a copy fitted on the other folds, so thresholds tuned on
    these predictions behave on new tasks as they do on train.
    """
    est = make_signal(name, seed=seed, **(settings or {}))
    _prime(est, train, test)
    jobs = [(train, test), *_fold_jobs(train, folds, seed)]
    test_pred, *fold_preds = _fit_and_predict(est, jobs, name)
    return _assemble(train, folds, seed, fold_preds), test_pred


def cross_fit_matrix(
    signal: Any, train: OutcomeMatrix, *, folds: int = 5, seed: int = 0, name: str = ""
) -> FloatArray:
    """Out-of-fold predictions on a train matrix: each task is predicted by a copy of
    ``signal`` fitted on the other folds."""
    _prime(signal, train)
    preds = _fit_and_predict(signal, _fold_jobs(train, folds, seed), name)
    return _assemble(train, folds, seed, preds)


def _prime(signal: Any, *matrices: OutcomeMatrix) -> None:
    """Count (or embed) the texts of ``matrices`` once for every fit to share (test texts are
    counted, never used to choose terms: a fit's terms and weights come from its own rows)."""
    ngrams = getattr(signal, "ngram_range", None)
    prime = getattr(signal, "prime", None)
    if ngrams is None and not callable(prime):
        return
    texts = [str(t) for matrix in matrices for t in matrix.text]
    if ngrams is not None:
        prime_counts(texts, (int(ngrams[0]), int(ngrams[1])))
    if callable(prime):
        prime(texts)


def _fold_order(n: int, folds: int, seed: int) -> tuple[Any, int]:
    import numpy as np

    return np.random.default_rng(seed).permutation(n), max(2, min(folds, n))


def _fold_jobs(
    train: OutcomeMatrix, folds: int, seed: int
) -> list[tuple[OutcomeMatrix, OutcomeMatrix]]:
    """(fit on, predict) per fold: each fold is predicted by a fit on the others."""
    import numpy as np

    order, k = _fold_order(train.n_tasks, folds, seed)
    jobs = []
    for f in range(k):
        held = order[f::k]
        rest = np.setdiff1d(order, held, assume_unique=True)
        jobs.append((train.subset(rest), train.subset(held)))
    return jobs


def _assemble(train: OutcomeMatrix, folds: int, seed: int, preds: list[FloatArray]) -> FloatArray:
    import numpy as np

    order, k = _fold_order(train.n_tasks, folds, seed)
    oof = np.empty((train.n_tasks, train.n_executors))
    for f in range(k):
        oof[order[f::k]] = preds[f]
    return oof


def _fit_and_predict(
    signal: Any, jobs: list[tuple[OutcomeMatrix, OutcomeMatrix]], name: str
) -> list[FloatArray]:
    """Each job's prediction by a fresh copy of ``signal`` fitted on the job's train part.

    A signal whose class says ``thread_safe = True`` (the built-ins do) is fitted on every core
    at once, in threads: their numeric work releases the GIL, and BLAS is held to one thread
    per fit meanwhile.
    """
    shown = name or type(signal).__name__

    def one(job: tuple[OutcomeMatrix, OutcomeMatrix]) -> FloatArray:
        fit_on, predict = job
        with plugin_failure("signal", shown, f"in fit() on {fit_on.source or 'the train tasks'}"):
            est = clone_signal(signal).fit(fit_on)
        with plugin_failure("signal", shown, f"in predict() on {predict.source or 'the tasks'}"):
            pred = est.predict(predict)
        return checked_prediction(shown, pred, predict.n_tasks, fit_on.n_executors)

    workers = min(len(jobs), _cores())
    if workers < 2 or not getattr(signal, "thread_safe", False):
        return [one(job) for job in jobs]
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped,unused-ignore]

    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, jobs))


def _cores() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def strong_advantage(pred: FloatArray, strong: int, weak: int) -> FloatArray:
    """The two-executor routing score: predicted strong score minus predicted weak score."""
    result: FloatArray = pred[:, strong] - pred[:, weak]
    return result
