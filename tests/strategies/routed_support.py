"""Helpers for the routing-strategy tests: fake executors, tasks, contexts and a synthetic
fit run.

Everything here is a test double or synthetic data, labelled as such: ``FakeExecutor``
answers by a rule with fixed cost and time; ``write_fit_run`` writes a made-up run directory
whose ``single:<executor>`` outcomes follow a simple pattern a text signal can learn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from toolkit._types import Call, Executor, Request, Trace
from toolkit.runs import Manifest, ResultRecord, RunWriter
from toolkit.strategies import RunInfo, Strategy, StrategyContext
from toolkit.tasks._task import Task

Answer = str | Callable[[Request], str]


class FakeExecutor:
    """A fake executor (test double): answers by ``answer`` with a fixed cost and service time.

    ``error``/``declines`` make every call fail or decline (or, given a predicate on the
    request, only the calls it selects). Every request is kept in ``requests``.
    """

    def __init__(
        self,
        name: str,
        answer: Answer = "",
        *,
        cost: float = 0.01,
        service_s: float = 0.1,
        error: str | Callable[[Request], str | None] | None = None,
        declines: bool | Callable[[Request], bool] = False,
        model: str | None = None,
        delay_s: float = 0.0,
    ) -> None:
        self.name = name
        self.answer = answer
        self.cost = cost
        self.service_s = service_s
        self.error = error
        self.declines = declines
        self.model = model or f"fake/{name}"
        self.delay_s = delay_s
        self.requests: list[Request] = []

    async def complete(self, request: Request) -> Call:
        self.requests.append(request)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        base: dict[str, Any] = dict(
            executor=self.name,
            model=request.model or self.model,
            task_id=request.task_id,
            step=request.step,
            service_s=self.service_s,
            tokens_in=len(request.prompt.split()),
        )
        declines = self.declines(request) if callable(self.declines) else self.declines
        if declines:
            return Call(text="", declined=True, **base)
        error = self.error(request) if callable(self.error) else self.error
        if error is not None:
            return Call(text="", error=error, cost_usd=self.cost, billed_usd=self.cost, **base)
        text = self.answer(request) if callable(self.answer) else self.answer
        return Call(
            text=text,
            tokens_out=len(text.split()),
            cost_usd=self.cost,
            billed_usd=self.cost,
            **base,
        )


def task(
    task_id: str,
    text: str,
    category: str = "qa",
    *,
    split: str | None = None,
    **metadata: Any,
) -> Task:
    """A synthetic task."""
    return Task(id=task_id, input=text, category=category, split=split, metadata=metadata)


def ctx_of(*executors: Executor, registry: Any = None, **run: Any) -> StrategyContext:
    """A strategy context over ``executors``; ``run`` holds RunInfo fields (``tasks``,
    ``executor_configs``, ``prices``, ``base_dir``), ``registry`` the capability registry."""
    info = RunInfo.of(capabilities=registry, **run)
    return StrategyContext(executors={e.name: e for e in executors}, run=info)


def run(strategy: Strategy, t: Task, ctx: StrategyContext) -> Trace:
    """Run one task synchronously."""
    return asyncio.run(strategy.run(t, ctx))


def write_fit_run(
    root: Path,
    tasks: Iterable[Task],
    outcome: Callable[[Task, str], tuple[float, float]],
    executors: Iterable[str],
    *,
    spec: Mapping[str, Any] | None = None,
) -> Path:
    """Write a synthetic run directory: one ``single:<e>`` result per task and executor, with
    (score, cost_usd) from ``outcome(task, executor)``."""
    writer = RunWriter.create(root, Manifest(name="synthetic-fit-run", spec=dict(spec or {})))
    names = list(executors)
    for t in tasks:
        for e in names:
            score, cost = outcome(t, e)
            writer.add_result(
                ResultRecord.from_trace(
                    Trace(answer="x", route=(e,)),
                    task_id=t.id,
                    strategy=f"single:{e}",
                    category=t.category,
                    split=t.split,
                    score=score,
                ).model_copy(update={"cost_usd": cost})
            )
    writer.finish()
    return root


def synthetic_math_tasks(n: int, *, split: str) -> list[Task]:
    """Synthetic tasks: even ones are arithmetic word problems, odd ones are greetings."""
    out = []
    for i in range(n):
        if i % 2 == 0:
            text = f"compute the sum of {i} and {i + 7} then multiply the total by three"
            cat = "math"
        else:
            text = f"say a friendly hello to person number {i} in one short sentence"
            cat = "chat"
        out.append(task(f"{split}-{i:03d}", text, cat, split=split))
    return out
