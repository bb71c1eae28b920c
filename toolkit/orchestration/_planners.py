"""Planners: where a plan comes from.

- ``template``: a deterministic template for task types whose decomposition is known.
- ``llm``: a planner executor writes the plan as JSON. The request carries the plan's JSON
  schema (``Request.json_schema``): a cloud model answers in JSON mode, and the local
  llama.cpp server constrains decoding to the schema's grammar. An invalid plan is retried
  once with the problems shown to the planner; then the task fails, recorded in its trace.
- ``data``: a plan given as data, in the spec (one plan for every task) or in each task's
  metadata ``plan``.

Every planner returns a :class:`PlanOutcome` and never raises for a bad plan.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from toolkit._types import Call
from toolkit.orchestration._plan import Plan, PlanError, graph_problems, parse_plan, plan_schema
from toolkit.orchestration._templates import TemplateSettings, template_plan
from toolkit.strategies import PlannedCall, StrategyContext, call_error, make_request
from toolkit.tasks import Task

#: Checks a parsed plan against the run (executors, routing); returns problems.
Check = Callable[[Plan], list[str]]


@dataclass
class PlanOutcome:
    """What planning produced: a plan or the reasons there is none, and the calls made."""

    plan: Plan | None
    calls: list[Call] = field(default_factory=list)
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


class Planner(Protocol):
    """Makes the plan of one task."""

    kind: str

    def planned_calls(self, task: Task, ctx_overrides: Sequence[Any] = ()) -> list[PlannedCall]:
        """The planner's own calls in the worst case (dry runs)."""
        ...

    def static_plan(self, task: Task) -> Plan | None:
        """The plan when it is known without a call (dry runs), else None."""
        ...

    async def make_plan(self, task: Task, ctx: StrategyContext, check: Check) -> PlanOutcome:
        """The plan of ``task``, checked with ``check``; failures are in the outcome."""
        ...


# ----- template --------------------------------------------------------------------------------


class TemplatePlannerConfig(TemplateSettings):
    """``planner = {kind = "template", ...}``: see :class:`TemplateSettings`."""

    kind: Literal["template"] = "template"


class TemplatePlanner:
    """Plans from a deterministic template (no call)."""

    kind = "template"

    def __init__(self, config: TemplatePlannerConfig) -> None:
        self.config = config

    def planned_calls(self, task: Task, ctx_overrides: Sequence[Any] = ()) -> list[PlannedCall]:
        return []

    def static_plan(self, task: Task) -> Plan | None:
        try:
            return template_plan(task, self.config)[1]
        except PlanError:
            return None

    async def make_plan(self, task: Task, ctx: StrategyContext, check: Check) -> PlanOutcome:
        try:
            name, plan = template_plan(task, self.config)
            plan = parse_plan(plan)
        except PlanError as exc:
            return PlanOutcome(None, attempts=1, errors=list(exc.problems))
        problems = check(plan)
        if problems:
            return PlanOutcome(None, attempts=1, errors=problems, info={"template": name})
        return PlanOutcome(plan, attempts=1, info={"template": name})


# ----- data ------------------------------------------------------------------------------------


class DataPlannerConfig(BaseModel):
    """``planner = {kind = "data", plan = {...}}``: one plan for every task; without ``plan``,
    each task's metadata ``plan`` (a mapping of the same form)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    kind: Literal["data"] = "data"
    plan: Plan | None = None

    @model_validator(mode="after")
    def _graph(self) -> DataPlannerConfig:
        if self.plan is not None:
            problems = graph_problems(self.plan)
            if problems:  # a spec's plan is checked when the spec loads
                raise ValueError("; ".join(problems))
        return self


class DataPlanner:
    """Plans given as data."""

    kind = "data"

    def __init__(self, config: DataPlannerConfig) -> None:
        self.config = config

    def _raw(self, task: Task) -> Plan | Mapping[str, Any]:
        if self.config.plan is not None:
            return self.config.plan
        raw = task.metadata.get("plan")
        if not isinstance(raw, Mapping):
            raise PlanError(
                [
                    f"data planner: task {task.id!r} has no metadata 'plan' (a mapping with "
                    "'steps'), and the spec gives no plan"
                ]
            )
        return raw

    def planned_calls(self, task: Task, ctx_overrides: Sequence[Any] = ()) -> list[PlannedCall]:
        return []

    def static_plan(self, task: Task) -> Plan | None:
        try:
            return parse_plan(self._raw(task))
        except PlanError:
            return None

    async def make_plan(self, task: Task, ctx: StrategyContext, check: Check) -> PlanOutcome:
        source = "spec" if self.config.plan is not None else "task metadata"
        try:
            plan = parse_plan(self._raw(task))
        except PlanError as exc:
            return PlanOutcome(None, attempts=1, errors=list(exc.problems), info={"from": source})
        problems = check(plan)
        if problems:
            return PlanOutcome(None, attempts=1, errors=problems, info={"from": source})
        return PlanOutcome(plan, attempts=1, info={"from": source})


# ----- llm -------------------------------------------------------------------------------------

PLANNER_PROMPT = """\
You are the planner. Break the task below into a few small steps. A worker does each step; \
the step's role says which kind of worker.
Roles:
{roles}
Write each step as {{"id": a short name, "description": what the worker must do, "role": \
one of the roles, "depends_on": the ids of earlier steps whose results it needs}}. A step \
never depends on itself. Steps that do not depend on each other run in parallel. The last \
step gives the final answer.
Example: {{"steps": [{{"id": "first", "description": "find the facts", "role": "{role1}", \
"depends_on": []}}, {{"id": "second", "description": "answer from the facts", "role": \
"{role2}", "depends_on": ["first"]}}]}}
Answer with one JSON object {{"steps": [...]}} and nothing else.

Task: {task}"""

RETRY_PROMPT = """\


Your previous plan was rejected:
{problems}
Your previous answer: {previous}
Write a corrected plan."""


class LLMPlannerConfig(BaseModel):
    """``planner = {kind = "llm", executor = "...", ...}``.

    ``roles`` describes each role for the prompt (role -> what its workers do); the roles
    offered are these plus the orchestrator's role map. ``prompt`` may use ``{roles}``,
    ``{task}``, ``{role1}`` and ``{role2}`` (the first and last role, for its example). ``max_steps`` and ``max_text`` bound
    the plan in its schema. ``choose_executors`` lets the plan name executors per step.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    kind: Literal["llm"] = "llm"
    executor: str = Field(min_length=1)
    roles: dict[str, str] = Field(default_factory=dict)
    max_steps: int = Field(default=6, gt=0, le=50)
    max_text: int = Field(default=200, gt=10)
    choose_executors: bool = False
    prompt: str = PLANNER_PROMPT


class LLMPlanner:
    """A planner executor writes the plan (see the module docstring)."""

    kind = "llm"
    attempts = 2  # the first answer and one retry with the problems shown

    def __init__(self, config: LLMPlannerConfig, roles: Sequence[str] = ()) -> None:
        self.config = config
        self.role_names = sorted(set(config.roles) | set(roles))

    def schema(self) -> dict[str, Any]:
        """The JSON schema sent with the planner's request."""
        return plan_schema(
            self.role_names or None,
            max_steps=self.config.max_steps,
            full=False,
            executors=self.config.choose_executors,
            max_text=self.config.max_text,
        )

    def prompt(self, task: Task) -> str:
        roles = "\n".join(
            f"- {r}: {self.config.roles.get(r, 'a worker for ' + r.replace('_', ' '))}"
            for r in self.role_names
        )
        names = self.role_names or ["any"]
        return self.config.prompt.format(
            roles=roles or "- any: a general worker",
            task=task.input,
            role1=names[0],
            role2=names[-1],
        )

    def _request(self, task: Task, ctx_overrides: Sequence[Any], prompt: str, step: str) -> Any:
        request = make_request(
            task,
            self.config.executor,
            overrides=ctx_overrides,
            prompt=prompt,
            step=step,
            role="planner",
        )
        return dataclasses.replace(request, json_schema=self.schema())

    def planned_calls(self, task: Task, ctx_overrides: Sequence[Any] = ()) -> list[PlannedCall]:
        prompt = self.prompt(task)
        return [
            PlannedCall(self.config.executor, self._request(task, ctx_overrides, prompt, step))
            for step in ("plan", "plan:retry")
        ]

    def static_plan(self, task: Task) -> Plan | None:
        return None

    async def make_plan(self, task: Task, ctx: StrategyContext, check: Check) -> PlanOutcome:
        executor = ctx.executor(self.config.executor)
        schema = self.schema()
        base = self.prompt(task)
        prompt = base
        outcome = PlanOutcome(None, info={"executor": self.config.executor})
        for attempt in range(1, self.attempts + 1):
            step = "plan" if attempt == 1 else "plan:retry"
            call = await executor.complete(self._request(task, ctx.overrides, prompt, step))
            outcome.calls.append(call)
            outcome.attempts = attempt
            error = call_error(call)
            if error is not None:  # the executor layer has retried already: not a bad plan
                outcome.errors.append(f"attempt {attempt}: the planner call failed: {error}")
                return outcome
            try:
                plan = parse_plan(call.text, schema=schema)
                problems = check(plan)
            except PlanError as exc:
                problems = list(exc.problems)
            if not problems:
                outcome.plan = plan
                return outcome
            outcome.errors.extend(f"attempt {attempt}: {p}" for p in problems)
            previous = call.text if len(call.text) <= 600 else call.text[:597] + "..."
            prompt = base + RETRY_PROMPT.format(
                problems="\n".join(f"- {p}" for p in problems), previous=json.dumps(previous)
            )
        return outcome
