"""Offline analysis: metrics with honest statistics, strategy evaluation, threshold tuning.

>>> from toolkit.analysis import evaluate, split_outcomes
>>> train, test, how = split_outcomes(matrix, test_fraction=0.3, seed=0)
>>> result = evaluate(train, test, seed=0)
>>> ThresholdRouter(signal="knn", strong_share=0.3).fit(train).threshold_
"""

from __future__ import annotations

from toolkit.analysis._evaluate import (
    N_BOOT,
    evaluate,
    parse_strategies,
    split_outcomes,
    to_json,
)
from toolkit.analysis._live import summarize_live
from toolkit.analysis._metrics import (
    ThresholdCurve,
    aiq,
    cpt,
    hull_integral,
    paired_t_pvalues,
    parity_choice,
    pgr,
    threshold_curve,
    upper_hull,
)
from toolkit.analysis._policies import OfflineFit
from toolkit.analysis._tune import ThresholdRouter, tune, write_spec_snippet

__all__ = [
    "N_BOOT",
    "OfflineFit",
    "ThresholdCurve",
    "ThresholdRouter",
    "aiq",
    "cpt",
    "evaluate",
    "hull_integral",
    "paired_t_pvalues",
    "parity_choice",
    "parse_strategies",
    "pgr",
    "split_outcomes",
    "summarize_live",
    "threshold_curve",
    "to_json",
    "tune",
    "upper_hull",
    "write_spec_snippet",
]
