"""Which executor runs a step: per-step override, then the role map, then the rules, then the
default. The rules are the ``rules`` strategy's (:class:`toolkit.strategies._rules.Rule`),
matched against the step as a sub-task: its ``category`` is the step's category (else its
role), its metadata ``task_type`` is the step's role, its input is the step's description.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from toolkit._errors import InputError
from toolkit.orchestration._plan import Plan, Step
from toolkit.strategies import Rule, StrategyContext, cheapest_with, registry_from_context
from toolkit.tasks import Task


def normalize_label(text: str) -> str:
    """A classifier's label reduced for lookup: first line, lower case, no edge punctuation."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first.strip().strip(".,;:!?\"'`()[]{}*").strip().lower()


class StepRouter:
    """Resolves each step's executor (see the module docstring)."""

    def __init__(
        self,
        roles: Mapping[str, str],
        rules: Sequence[Rule] = (),
        default: str | None = None,
        cost_order: Sequence[str] = (),
    ) -> None:
        self.roles = dict(roles)
        self.rules = list(rules)
        self.default = default
        self.cost_order = list(cost_order)
        self._capabilities: dict[str, str] | None = None

    def prepare(self, ctx: StrategyContext) -> None:
        """Resolve capability rules to the cheapest executor having each capability, once."""
        if self._capabilities is not None:
            return
        wanted = sorted({r.capability for r in self.rules if r.capability is not None})
        resolved: dict[str, str] = {}
        if wanted:
            registry = registry_from_context(ctx)
            allowed = list(ctx.executors) or None
            for cap in wanted:
                found = cheapest_with(cap, registry, cost_order=self.cost_order, allowed=allowed)
                if found is None:
                    raise InputError(
                        f"orchestrator: no executor has capability {cap!r}; add it to an "
                        "executor's `capabilities` or route that rule to an `executor`"
                    )
                resolved[cap] = found
        self._capabilities = resolved

    def resolve(
        self, step: Step, task: Task, role: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """``(executor, how it was chosen)`` for ``step``; ``role`` overrides the step's role.

        Raises InputError when nothing routes the step (no role entry, rule or default).
        """
        if step.executor is not None:
            return step.executor, {"by": "step"}
        role = step.role if role is None else role
        if role in self.roles:
            return self.roles[role], {"by": "role", "role": role}
        if self.rules:
            sub = Task(
                id=f"{task.id}:{step.id}",
                input=step.description,
                category=step.category or role or task.category,
                metadata={"task_type": role} if role else {},
            )
            for i, rule in enumerate(self.rules):
                if rule.when.matches(sub):
                    if rule.capability is not None:
                        caps = self._capabilities or {}
                        if rule.capability not in caps:
                            raise InputError(
                                f"orchestrator: capability {rule.capability!r} is not resolved; "
                                "prepare(ctx) runs before planning"
                            )
                        return caps[rule.capability], {"by": f"rule {i}", "role": role}
                    assert rule.executor is not None
                    return rule.executor, {"by": f"rule {i}", "role": role}
        if self.default is not None:
            return self.default, {"by": "default", "role": role}
        known = ", ".join(sorted(self.roles)) or "none"
        raise InputError(
            f"step {step.id!r}: no executor for role {role!r} (roles: {known}; no rule matches "
            "and there is no default_executor)"
        )

    def problems(self, plan: Plan, task: Task, executors: Mapping[str, Any]) -> list[str]:
        """Every step (and every role its ``routes`` can pick) must resolve to an executor of
        this run; one message per problem, naming the step and the executors known."""
        known = ", ".join(sorted(executors)) or "none"
        out: list[str] = []
        for step in plan.steps:
            roles: list[str | None] = [None, *step.routes.values()]
            for role in roles:
                try:
                    name, _ = self.resolve(step, task, role=role)
                except InputError as exc:
                    out.append(str(exc))
                    continue
                if name not in executors:
                    via = "" if role is None else f" (route to role {role!r})"
                    out.append(
                        f"step {step.id!r}{via}: unknown executor {name!r} (this run has: {known})"
                    )
        return out
