"""Orchestration: a planner makes a plan (a DAG of steps), executors run the steps.

The layer above strategies: plans and their validation, typed handoffs, context compression,
parallel execution of ready steps under constraints, and the ``orchestrator`` strategy.
"""

from __future__ import annotations

from toolkit.orchestration._compress import Compressed, CompressionConfig, compress_step
from toolkit.orchestration._execute import Execution, PlanRun, StepRun, critical_path, final_answer
from toolkit.orchestration._handoff import (
    CompletedStep,
    Constraints,
    DependencyResult,
    Handoff,
    RemainingStep,
    StepInput,
    fill_template,
    numbers_in,
)
from toolkit.orchestration._plan import (
    PLAN_SCHEMA,
    Plan,
    PlanError,
    Step,
    find_cycle,
    parse_plan,
    plan_schema,
    topological_order,
)
from toolkit.orchestration._planners import (
    DataPlanner,
    DataPlannerConfig,
    LLMPlanner,
    LLMPlannerConfig,
    Planner,
    PlanOutcome,
    TemplatePlanner,
    TemplatePlannerConfig,
)
from toolkit.orchestration._routing import StepRouter
from toolkit.orchestration._strategy import Orchestrator, OrchestratorConfig
from toolkit.orchestration._templates import TEMPLATES, PartRole, TemplateSettings, template_plan
from toolkit.orchestration._tokens import (
    ApproxCounter,
    LiteLLMCounter,
    LocalServerCounter,
    ModelWindow,
    TokenCounter,
    TokenCountError,
    model_window,
)

__all__ = [
    "PLAN_SCHEMA",
    "TEMPLATES",
    "ApproxCounter",
    "CompletedStep",
    "Compressed",
    "CompressionConfig",
    "Constraints",
    "DataPlanner",
    "DataPlannerConfig",
    "DependencyResult",
    "Execution",
    "Handoff",
    "LLMPlanner",
    "LLMPlannerConfig",
    "LiteLLMCounter",
    "LocalServerCounter",
    "ModelWindow",
    "Orchestrator",
    "OrchestratorConfig",
    "PartRole",
    "Plan",
    "PlanError",
    "PlanOutcome",
    "PlanRun",
    "Planner",
    "RemainingStep",
    "Step",
    "StepInput",
    "StepRouter",
    "StepRun",
    "TemplatePlanner",
    "TemplatePlannerConfig",
    "TemplateSettings",
    "TokenCountError",
    "TokenCounter",
    "compress_step",
    "critical_path",
    "fill_template",
    "final_answer",
    "find_cycle",
    "model_window",
    "numbers_in",
    "parse_plan",
    "plan_schema",
    "template_plan",
    "topological_order",
]
