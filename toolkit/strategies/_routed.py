"""The routing strategies: importing this module registers their kinds.

``rules``, ``classify_then_route``, ``cascade``, ``score_router`` and ``random`` run live;
``oracle`` is registered only to refuse a live spec with a pointer to ``toolkit evaluate``.
:class:`StrategyExecutor` wraps any strategy as an executor.

A strategy here may define ``prepare(ctx)``: the work it does once before planning or running
(resolving capability rules, fitting a learned signal, reading a reference run's shares).
``run`` calls it lazily, so it is optional; a runner calls it before a dry run's ``plan``.
"""

from __future__ import annotations

from toolkit.strategies._cascade import Cascade, CascadeConfig, agreement, parse_verdict
from toolkit.strategies._classify import ClassifyThenRoute, ClassifyThenRouteConfig, parse_label
from toolkit.strategies._composite import StrategyExecutor, as_executor, trace_call
from toolkit.strategies._oracle import OracleConfig
from toolkit.strategies._random import RandomConfig, RandomRouter, SharesFrom
from toolkit.strategies._routed_common import (
    SAMPLE_SETTING,
)
from toolkit.strategies._rules import (
    ExecutorInfo,
    Rule,
    Rules,
    RulesConfig,
    RuleWhen,
    build_registry,
    cheapest_with,
    estimate_input_tokens,
)
from toolkit.strategies._score_router import (
    LearnedScores,
    ScoreRouter,
    ScoreRouterConfig,
    TrainOutcomes,
    read_train_outcomes,
)

__all__ = [
    "SAMPLE_SETTING",
    "Cascade",
    "CascadeConfig",
    "ClassifyThenRoute",
    "ClassifyThenRouteConfig",
    "ExecutorInfo",
    "LearnedScores",
    "OracleConfig",
    "RandomConfig",
    "RandomRouter",
    "Rule",
    "RuleWhen",
    "Rules",
    "RulesConfig",
    "ScoreRouter",
    "ScoreRouterConfig",
    "SharesFrom",
    "StrategyExecutor",
    "TrainOutcomes",
    "agreement",
    "as_executor",
    "build_registry",
    "cheapest_with",
    "estimate_input_tokens",
    "parse_label",
    "parse_verdict",
    "read_train_outcomes",
    "trace_call",
]
