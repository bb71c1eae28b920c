"""``orchestrator``: a planner makes a plan (a DAG of steps) and executors run its steps.

The orchestrator is one more strategy: ``await Orchestrator(config).run(task, ctx)`` returns a
:class:`~toolkit.Trace` whose calls are every call made (planner, compression, steps), whose
``latency_s`` is the critical path (planner time plus the longest chain of dependent steps,
each step counted by the measured service time of its calls; parallel steps overlap), and
whose ``info`` records the plan, each step's state, times, executor, model, cost and tokens,
the final handoff, and why the plan stopped early if it did.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from toolkit._errors import InputError
from toolkit._types import Trace
from toolkit.orchestration._compress import CompressionConfig
from toolkit.orchestration._execute import PlanRun, critical_path, final_answer
from toolkit.orchestration._handoff import Constraints, Handoff
from toolkit.orchestration._plan import Plan
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
from toolkit.strategies import (
    PlannedCall,
    Rule,
    StrategyConfig,
    StrategyContext,
    register_strategy,
)
from toolkit.tasks import Task

PlannerConfig = Annotated[
    TemplatePlannerConfig | LLMPlannerConfig | DataPlannerConfig, Field(discriminator="kind")
]


class OrchestratorConfig(StrategyConfig):
    """``[[strategies]] kind = "orchestrator"``.

    - ``planner``: ``{kind = "template"}`` (default), ``{kind = "llm", executor = ...}`` or
      ``{kind = "data", plan = {...}}``.
    - Routing of a step, first that applies: the step's own ``executor``; ``roles`` (role ->
      executor); ``rules`` (the ``rules`` strategy's rules, matched on the step); else
      ``default_executor``.
    - ``max_concurrency``: steps of one task running at once.
    - ``constraints``: ``max_steps``, ``max_tokens``, ``deadline_s``.
    - ``compression``: how step inputs are fitted into 70% of the model's window.
    """

    kind: Literal["orchestrator"] = "orchestrator"
    planner: PlannerConfig = Field(default_factory=TemplatePlannerConfig)
    roles: dict[str, str] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    default_executor: str | None = Field(default=None, min_length=1)
    cost_order: list[str] = Field(default_factory=list)
    max_concurrency: int = Field(default=4, gt=0)
    constraints: Constraints = Field(default_factory=Constraints)
    compression: CompressionConfig = Field(default_factory=CompressionConfig)

    @model_validator(mode="after")
    def _routable(self) -> OrchestratorConfig:
        if isinstance(self.planner, LLMPlannerConfig) and not (
            self.roles or self.rules or self.default_executor
        ):
            raise ValueError(
                "an llm planner needs roles, rules or a default_executor to route its steps"
            )
        return self

    def executor_refs(self) -> list[tuple[str, str]]:
        refs = [(f"roles.{role}", name) for role, name in self.roles.items()]
        refs.extend(
            (f"rules.{i}.executor", r.executor)
            for i, r in enumerate(self.rules)
            if r.executor is not None
        )
        if self.default_executor is not None:
            refs.append(("default_executor", self.default_executor))
        refs.extend((f"cost_order.{i}", n) for i, n in enumerate(self.cost_order))
        if isinstance(self.planner, LLMPlannerConfig):
            refs.append(("planner.executor", self.planner.executor))
        if isinstance(self.planner, DataPlannerConfig) and self.planner.plan is not None:
            refs.extend(
                (f"planner.plan.steps.{i}.executor", s.executor)
                for i, s in enumerate(self.planner.plan.steps)
                if s.executor is not None
            )
        if self.compression.summariser is not None:
            refs.append(("compression.summariser", self.compression.summariser))
        return refs

    def default_name(self) -> str:
        return f"orchestrator:{self.planner.kind}"


def _make_planner(config: OrchestratorConfig) -> Planner:
    p = config.planner
    if isinstance(p, LLMPlannerConfig):
        return LLMPlanner(p, roles=list(config.roles))
    if isinstance(p, DataPlannerConfig):
        return DataPlanner(p)
    return TemplatePlanner(p)


def _initial_facts(task: Task) -> dict[str, str]:
    raw = task.metadata.get("facts")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError(
            f"task {task.id!r}: metadata 'facts' must be a table of name = text, "
            f"got {type(raw).__name__}"
        )
    return {str(k): str(v) for k, v in raw.items()}


class Orchestrator:
    """Plan, then run the plan's steps on their executors (see the module docstring)."""

    def __init__(self, config: OrchestratorConfig) -> None:
        self.config = config
        self.name = config.strategy_name
        self.router = StepRouter(
            config.roles, config.rules, config.default_executor, config.cost_order
        )
        self.planner = _make_planner(config)

    # ----- dry runs --------------------------------------------------------------------------

    def prepare(self, ctx: StrategyContext) -> None:
        """Nothing to prepare: plans are made per task."""

    def plan(self, task: Task, ctx: StrategyContext) -> Sequence[PlannedCall]:
        """Worst-case calls: the planner's (an llm planner may retry once), then each step of a
        plan known in advance on every executor its routing can pick, plus a summariser call
        per dependency when compression summarises. With an llm planner the steps are not
        known: ``max_steps`` calls on every executor the routing can pick."""
        calls = list(self.planner.planned_calls(task))
        plan = self.planner.static_plan(task)
        summarise = self.config.compression.method == "summarise"
        summariser = self.config.compression.summariser
        if plan is None:
            p = self.config.planner
            n = p.max_steps if isinstance(p, LLMPlannerConfig) else 0
            targets = sorted(
                set(self.config.roles.values())
                | {r.executor for r in self.config.rules if r.executor is not None}
                | ({self.config.default_executor} if self.config.default_executor else set())
            )
            for name in targets:
                calls.extend(PlannedCall(name, ctx.request(task, name)) for _ in range(n))
            return calls
        for step in plan.steps:
            view = Handoff(task_id=task.id, task=task.input).for_step(step)
            names: list[str] = []
            for role in [None, *step.routes.values()]:
                try:
                    name, _ = self.router.resolve(step, task, role=role)
                except InputError:  # unresolvable before the run (e.g. capability rules)
                    continue
                if name not in names:
                    names.append(name)
            for name in names:
                # the prompt as it would be with empty dependency results
                request = ctx.request(
                    task, name, prompt=view.render(), step=step.id, role=step.role
                )
                calls.append(PlannedCall(name, request))
            if summarise and summariser is not None:
                calls.extend(
                    PlannedCall(
                        summariser,
                        ctx.request(task, summariser, step=f"{step.id}:compress"),
                    )
                    for _ in step.depends_on
                )
        return calls

    # ----- running ---------------------------------------------------------------------------

    async def _make_plan(
        self, task: Task, ctx: StrategyContext, started: float
    ) -> tuple[PlanOutcome, str | None]:
        def check(plan: Plan) -> list[str]:
            return self.router.problems(plan, task, ctx.executors)

        deadline = self.config.constraints.deadline_s
        if deadline is None:
            return await self.planner.make_plan(task, ctx, check), None
        try:
            outcome = await asyncio.wait_for(
                self.planner.make_plan(task, ctx, check),
                timeout=max(deadline - (time.monotonic() - started), 0.0),
            )
        except TimeoutError:
            reason = f"deadline: {deadline} s passed while planning"
            return PlanOutcome(None, errors=[reason]), reason
        return outcome, None

    async def run(self, task: Task, ctx: StrategyContext) -> Trace:
        started = time.monotonic()
        wall_started = time.time()
        self.router.prepare(ctx)
        info: dict[str, Any] = {"planner": {"kind": self.planner.kind}}
        try:
            facts = _initial_facts(task)
        except ValueError as exc:
            return Trace(answer="", error=str(exc), info=info)
        outcome, stopped = await self._make_plan(task, ctx, started)
        planner_calls = outcome.calls
        planner_s = sum(c.service_s for c in planner_calls)
        info["planner"].update(
            {"attempts": outcome.attempts, "errors": list(outcome.errors), **outcome.info}
        )
        planner_route = tuple(
            c.executor for c in planner_calls[-1:] if self.planner.kind == "llm" and c.ok
        )
        if outcome.plan is None:
            if stopped is not None:
                info.update(stopped_by="deadline", stop_reason=stopped)
            failure = (
                stopped
                if stopped is not None
                else f"planning failed after {outcome.attempts} attempt(s): "
                + "; ".join(outcome.errors)
            )
            info["wall_s"] = time.monotonic() - started
            return Trace(
                answer="",
                calls=tuple(planner_calls),
                route=planner_route,
                latency_s=planner_s,
                error=failure,
                info=info,
            )
        plan = outcome.plan
        execution = await PlanRun(
            plan,
            task,
            ctx,
            router=self.router,
            constraints=self.config.constraints,
            compression=self.config.compression,
            concurrency=self.config.max_concurrency,
            started=started,
            tokens_used=sum(c.tokens_in + c.tokens_out for c in planner_calls),
            facts=facts,
        ).run()
        answer, answer_from = final_answer(execution, plan)
        path_s, path = critical_path(execution, plan)
        runs = [execution.runs[s.id] for s in plan.steps]
        error: str | None = None
        if not answer.strip():
            failures = [f"step {r.step.id!r}: {r.error}" for r in runs if r.state == "failed"]
            error = execution.stop_reason or (failures[0] if failures else None)
            error = error or "the plan produced an empty answer"
        info.update(
            {
                "plan": plan.model_dump(exclude_defaults=True),
                "steps": [r.info() for r in runs],
                "answer_from": answer_from,
                "stopped_by": execution.stopped_by,
                "stop_reason": execution.stop_reason,
                "critical_path": path,
                "critical_path_s": path_s,
                "planner_s": planner_s,
                "started_at": wall_started,
                "wall_s": time.monotonic() - started,
                "handoff": execution.handoff.model_dump(),
            }
        )
        route = planner_route + tuple(
            execution.runs[i].executor
            for i in execution.completed
            if execution.runs[i].state == "done"
        )
        return Trace(
            answer=answer,
            calls=tuple(planner_calls) + tuple(execution.calls),
            route=route,
            latency_s=planner_s + path_s,
            error=error,
            info=info,
        )

    def __repr__(self) -> str:
        return f"Orchestrator(name={self.name!r}, planner={self.planner.kind!r})"


register_strategy(
    "orchestrator",
    OrchestratorConfig,
    Orchestrator,
    summary="a planner makes a DAG of steps; executors run ready steps in parallel",
)
