"""Learned routing signals: predict each executor's chance of success from the task text.

A signal is a scikit-learn-style estimator registered with :func:`toolkit.signal`, shared by
the offline evaluation (``toolkit.analysis``) and the live ``score_router`` and ``cascade``
strategies:

- ``__init__`` only stores keyword-only settings;
- ``fit(train)`` learns from an :class:`~toolkit.OutcomeMatrix` (texts, categories and every
  executor's scores) and returns ``self``;
- learned state ends in ``_``;
- ``predict(matrix_or_tasks)`` returns an (n_tasks, n_executors) array of predicted scores.

The built-ins also take the text-level form ``fit(texts, y)`` / ``predict_proba(texts)``,
where ``y`` is an (n_tasks, n_executors) array of scores in [0, 1].

With two executors a router routes to the strong one when the predicted *advantage*
``p_strong - p_weak`` (:func:`strong_advantage`) is at or above its threshold. That is the
many-executor rule "maximise predicted score - lambda x cost" restricted to two executors, with
the threshold playing lambda x (cost_strong - cost_weak).

numpy and scikit-learn are imported lazily.
"""

from toolkit.signals import _builtin  # noqa: F401  (registers the built-in signals)
from toolkit.signals._base import (
    EMBED_SIGNALS,
    SIGNALS,
    Signal,
    checked_prediction,
    clone_signal,
    make_signal,
    texts_of,
)
from toolkit.signals._builtin import KnnSignal, RandomSignal, TfidfLogRegSignal
from toolkit.signals._fit import cross_fit_matrix, fit_predict, strong_advantage
from toolkit.signals._text import TfidfFeatures, count_ngrams, prime_counts

__all__ = [
    "EMBED_SIGNALS",
    "SIGNALS",
    "KnnSignal",
    "RandomSignal",
    "Signal",
    "TfidfFeatures",
    "TfidfLogRegSignal",
    "checked_prediction",
    "clone_signal",
    "count_ngrams",
    "cross_fit_matrix",
    "fit_predict",
    "make_signal",
    "prime_counts",
    "strong_advantage",
    "texts_of",
]
