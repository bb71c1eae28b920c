"""Offline analysis: metrics with honest statistics, strategy evaluation, threshold tuning.

>>> from toolkit.analysis import evaluate, split_outcomes
>>> train, test, how = split_outcomes(matrix, test_fraction=0.3, seed=0)
>>> result = evaluate(train, test, seed=0)
>>> ThresholdRouter(signal="knn", strong_share=0.3).fit(train).threshold_
"""

from __future__ import annotations

from toolkit.analysis._baseline import PARITY_TARGETS, choose_baseline, default_weak
from toolkit.analysis._bootstrap import SMALL_SAMPLE, paired_bootstrap, small_sample_caveat
from toolkit.analysis._evaluate import (
    N_BOOT,
    evaluate,
    num,
    parse_strategies,
    split_outcomes,
    to_json,
)
from toolkit.analysis._leakage import Overlap, check_overlap, find_overlap
from toolkit.analysis._live import summarize_live
from toolkit.analysis._metrics import (
    AIQ_MEANS,
    ThresholdCurve,
    aiq,
    cpt,
    descending_order,
    hull_area_aiq,
    hull_integral,
    paired_t_pvalues,
    parity_choice,
    percentile_ci,
    pgr,
    threshold_curve,
    tie_group_ends,
    upper_hull,
)
from toolkit.analysis._policies import COST_UNITS, MONEY_AXES, OfflineFit, lambda_grid
from toolkit.analysis._spec_out import check_spec_path, write_tuned_spec
from toolkit.analysis._tune import ThresholdRouter, tune

__all__ = [
    "AIQ_MEANS",
    "COST_UNITS",
    "MONEY_AXES",
    "N_BOOT",
    "PARITY_TARGETS",
    "SMALL_SAMPLE",
    "OfflineFit",
    "Overlap",
    "ThresholdCurve",
    "ThresholdRouter",
    "aiq",
    "check_overlap",
    "check_spec_path",
    "choose_baseline",
    "cpt",
    "default_weak",
    "descending_order",
    "evaluate",
    "find_overlap",
    "hull_area_aiq",
    "hull_integral",
    "lambda_grid",
    "num",
    "paired_bootstrap",
    "paired_t_pvalues",
    "parity_choice",
    "parse_strategies",
    "percentile_ci",
    "pgr",
    "small_sample_caveat",
    "split_outcomes",
    "summarize_live",
    "threshold_curve",
    "tie_group_ends",
    "to_json",
    "tune",
    "upper_hull",
    "write_tuned_spec",
]
