"""Typed handoffs: what passes between the steps of a plan, never raw text or the history.

A :class:`Handoff` holds the whole state of an orchestrated task: the original task, the
completed steps, the accumulated facts, the remaining steps and the constraints. An executor
never sees it whole: :meth:`Handoff.for_step` narrows it to a :class:`StepInput` with only
what that step needs (its description, the results of its direct dependencies, the facts),
and :meth:`StepInput.render` turns that into the executor's prompt.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from toolkit.orchestration._plan import NUMBERS_SPEC, Step


class Constraints(BaseModel):
    """Limits on one orchestrated task; hitting one stops the plan with the reason recorded.

    ``max_steps``: steps started (planner and compression calls excluded). ``max_tokens``:
    tokens in + out of every call (planner and compression included). ``deadline_s``: wall
    seconds from the start of the task, planning included.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_steps: int | None = Field(default=None, gt=0)
    max_tokens: int | None = Field(default=None, gt=0)
    deadline_s: float | None = Field(default=None, gt=0)


class CompletedStep(BaseModel):
    """A finished step as the handoff records it.

    ``confidence`` is the executor's own confidence in [0, 1] when it reports one (None
    otherwise; nothing is made up). ``tokens`` counts tokens in + out of the step's calls.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    step_id: str
    executor: str
    model: str
    action: str
    result: str
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    duration_ms: float = Field(ge=0.0)
    tokens: int = Field(default=0, ge=0)


class RemainingStep(BaseModel):
    """A step not yet run: its id, sub-task and dependencies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step_id: str
    description: str
    depends_on: list[str] = Field(default_factory=list)


class DependencyResult(BaseModel):
    """The result of one direct dependency, as a step's executor sees it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step_id: str
    description: str
    result: str


class StepInput(BaseModel):
    """Exactly what one step's executor receives: the original task, the facts, its own
    sub-task and the results of its direct dependencies (oldest first). ``template`` is the
    step's ``input`` template when it has one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task_id: str
    task: str
    step_id: str
    description: str
    facts: dict[str, str] = Field(default_factory=dict)
    dependencies: list[DependencyResult] = Field(default_factory=list)
    template: str | None = None

    def with_result(self, step_id: str, result: str) -> StepInput:
        """A copy with dependency ``step_id``'s result replaced (used by compression)."""
        deps = [
            d.model_copy(update={"result": result}) if d.step_id == step_id else d
            for d in self.dependencies
        ]
        return self.model_copy(update={"dependencies": deps})

    def render(self) -> str:
        """The prompt the step's executor gets."""
        if self.template is not None:
            values: dict[str, str] = {"input": self.task, "facts": render_facts(self.facts)}
            values.update({d.step_id: d.result for d in self.dependencies})
            return fill_template(self.template, values)
        parts = [f"Task: {self.task}"]
        if self.facts:
            parts.append("Facts:\n" + render_facts(self.facts))
        if self.dependencies:
            parts.append(
                "Results of earlier steps:\n"
                + "\n".join(f"- {d.description}: {d.result}" for d in self.dependencies)
            )
        parts.append(f"Your step: {self.description}")
        return "\n\n".join(parts)


class Handoff(BaseModel):
    """The state of an orchestrated task between steps (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task_id: str
    task: str
    completed: list[CompletedStep] = Field(default_factory=list)
    facts: dict[str, str] = Field(default_factory=dict)
    remaining: list[RemainingStep] = Field(default_factory=list)
    constraints: Constraints = Field(default_factory=Constraints)

    def for_step(self, step: Step) -> StepInput:
        """The narrow view ``step``'s executor gets: never the whole history."""
        wanted = set(step.depends_on)
        deps = [
            DependencyResult(step_id=c.step_id, description=c.action, result=c.result)
            for c in self.completed  # completion order: oldest first
            if c.step_id in wanted
        ]
        return StepInput(
            task_id=self.task_id,
            task=self.task,
            step_id=step.id,
            description=step.description,
            facts=dict(self.facts),
            dependencies=deps,
            template=step.input,
        )


def render_facts(facts: Mapping[str, str]) -> str:
    """Facts as ``- name: value`` lines."""
    return "\n".join(f"- {k}: {v}" for k, v in facts.items())


# thousands separators only when they group by three ("1,200"); "24, 37" is two numbers
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def numbers_in(text: str) -> list[str]:
    """The non-negative numbers in ``text``, in order, without thousands separators."""
    return [m.group(0).replace(",", "") for m in _NUMBER.finditer(text)]


class _TemplateFormatter(string.Formatter):
    """Fills ``{name}`` and ``{name:numbers SEP}``; missing names become ""."""

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        return kwargs.get(str(key), "")

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec.startswith(NUMBERS_SPEC):
            sep = format_spec[len(NUMBERS_SPEC) :] or ", "
            return sep.join(numbers_in(str(value)))
        if format_spec:
            raise ValueError(f"unknown format spec {format_spec!r}")
        return str(value)


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """``template`` with ``{name}`` and ``{name:numbers SEP}`` filled from ``values``.

    ``{name:numbers + }`` is the numbers found in ``values[name]`` joined by ``' + '``, so a
    step can hand an arithmetic tool ``"24 + 37"`` made from an extraction step's result.
    Names without a value become "" (a step that did not complete produced nothing).
    """
    return _TemplateFormatter().vformat(template, (), dict(values))
