"""Worst-case cost of planned calls, for ``toolkit run --dry-run``. Nothing is called.

Each planned call is priced by its executor exactly as the budget would reserve it: prompt
tokens (counted offline) plus ``max_tokens`` at the recorded prices, or ``timeout_s`` at
the hourly rate for executors priced by compute time. Specialist and tool executors cost
nothing. A call's fallback chain is counted too (each fallback as if it were needed), on the
fallback executor's line. Retries are not: the budget still caps them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from toolkit._errors import InputError
from toolkit._types import Executor, Request
from toolkit.runner._spec import Spec
from toolkit.strategies import task_model
from toolkit.tasks import Task


@dataclass
class _Acc:
    models: set[str] = dataclasses.field(default_factory=set)
    calls: int = 0
    fallback_calls: int = 0
    usd: float = 0.0
    pricing: set[str] = dataclasses.field(default_factory=set)


def with_task_model(task: Task, executor: str, request: Request, spec: Spec) -> Request:
    """``request`` with the per-task model override the runner's context would have set."""
    if request.model is not None:
        return request
    model = task_model(task, executor, spec.overrides)
    return request if model is None else dataclasses.replace(request, model=model)


@dataclass(frozen=True)
class PlanLine:
    """Dry-run figures for one executor: planned calls and their worst-case cost.

    ``fallback_calls`` counts calls it would take as another executor's fallback; their
    worst case is in ``worst_case_usd`` too.
    """

    executor: str
    model: str
    calls: int
    worst_case_usd: float
    pricing: str
    fallback_calls: int = 0


class Estimator:
    """Adds up planned calls per executor with their worst-case cost."""

    def __init__(self, spec: Spec) -> None:
        from toolkit.models import ExecutionContext, PriceTable, build_executors

        self.spec = spec
        path = spec.resolve(spec.prices.file) if spec.prices.file else None
        self.prices = PriceTable.load(path)
        self.configs = {c.name: c for c in spec.executor_configs()}
        # built without a local server, cache or budget: nothing here can call a provider
        self.executors: dict[str, Executor] = build_executors(
            list(self.configs.values()), ExecutionContext(prices=self.prices, plan_only=True)
        )
        self._acc: dict[str, _Acc] = {}

    async def add(self, task: Task, executor: str, request: Request) -> float:
        """Count one planned call and its fallbacks; returns their worst-case cost in USD."""
        if executor not in self.executors:
            raise InputError(
                f"{self.spec.source}: strategies: a strategy plans a call to unknown executor "
                f"{executor!r}"
            )
        total = await self._one(task, executor, request, fallback=False)
        for name in self.configs[executor].fallbacks:
            total += await self._one(task, name, request, fallback=True)
        return total

    async def _one(self, task: Task, executor: str, request: Request, *, fallback: bool) -> float:
        from toolkit.models import ExecutorConfig, LLMExecutor, PolicyExecutor, resolve_model

        ex = self.executors[executor]
        cfg = self.configs[executor]
        request = with_task_model(task, executor, request, self.spec)
        if isinstance(ex, LLMExecutor) and isinstance(cfg, ExecutorConfig):
            model = resolve_model(cfg, request, ex.env)
            usd = await ex.worst_case_usd(request, offline=True)
            pricing = ex.pricing(model)
            if pricing.price is not None:
                how = (
                    f"${pricing.price.input_per_mtok:g} in / "
                    f"${pricing.price.output_per_mtok:g} out per Mtok"
                )
            else:
                how = (
                    f"${pricing.hourly_rate_usd:g}/h x a first-call time bound (prompt at 100, "
                    "max_tokens at 20 tokens/s)"
                )
        elif isinstance(ex, PolicyExecutor):  # a registered kind: its own worst case, if given
            model = cfg.model or cfg.kind
            usd = await ex.worst_case_usd(request)
            if not ex.states_worst_case:
                how = f"{cfg.kind}: no worst case given"
            else:
                how = f"{cfg.kind}: its worst_case_usd()" if usd else f"{cfg.kind}: free"
        else:
            model, usd, how = cfg.kind, 0.0, f"{cfg.kind}: no charge"
        acc = self._acc.setdefault(executor, _Acc())
        acc.models.add(model)
        acc.pricing.add(how)
        if fallback:
            acc.fallback_calls += 1
        else:
            acc.calls += 1
        acc.usd += usd
        return usd

    def lines(self) -> Iterator[PlanLine]:
        """One line per executor with planned calls, in spec order."""

        for cfg in self.spec.executors:
            acc = self._acc.get(cfg.name)
            if acc is None:
                continue
            yield PlanLine(
                executor=cfg.name,
                model=", ".join(sorted(acc.models)),
                calls=acc.calls,
                worst_case_usd=acc.usd,
                pricing="; ".join(sorted(acc.pricing)),
                fallback_calls=acc.fallback_calls,
            )
