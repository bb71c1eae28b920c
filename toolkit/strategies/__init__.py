"""Strategies: policies over executors. A strategy runs a task and returns a Trace.

Kinds are registered in :mod:`toolkit.registry` (``@toolkit.strategy``); a spec's ``[[strategies]]`` tables
are validated by their kind's config and built with :func:`build_strategy`. This package
ships ``single``; routers, cascades and the orchestrator register more kinds.
"""

from __future__ import annotations

from toolkit.strategies._base import (
    ModelOverride,
    PlannedCall,
    RunInfo,
    Strategy,
    StrategyConfig,
    StrategyContext,
    build_strategy,
    make_request,
    parse_strategy_config,
    register_strategy,
    strategy_kind,
    strategy_kinds,
    task_model,
)
from toolkit.strategies._decide import (
    cascade_stop,
    draw_from_shares,
    route_by_advantage,
    route_by_utility,
    routes_by_utility,
    share_order,
    stage_answers,
    unit_draws,
)
from toolkit.strategies._routed_common import unwrap
from toolkit.strategies._rules import Rule, cheapest_with, registry_from_context
from toolkit.strategies._single import Single, SingleConfig, call_error

__all__ = [
    "ModelOverride",
    "PlannedCall",
    "Rule",
    "RunInfo",
    "Single",
    "SingleConfig",
    "Strategy",
    "StrategyConfig",
    "StrategyContext",
    "build_strategy",
    "call_error",
    "cascade_stop",
    "cheapest_with",
    "draw_from_shares",
    "make_request",
    "parse_strategy_config",
    "register_strategy",
    "registry_from_context",
    "route_by_advantage",
    "route_by_utility",
    "routes_by_utility",
    "share_order",
    "stage_answers",
    "strategy_kind",
    "strategy_kinds",
    "task_model",
    "unit_draws",
    "unwrap",
]
