"""A strategy wrapped as an executor (the composite pattern): a cascade or a router can stand
wherever a single model can, inside another strategy or as an orchestrator's step.

``StrategyExecutor(strategy, ctx, tasks).complete(request)`` runs the strategy on the task the
request is about and returns one :class:`~toolkit.Call` that adds up every call the strategy
made: tokens, ``cost_usd``, ``billed_usd``; its ``service_s`` is the strategy's critical path.
The inner traces go to ``on_trace`` when given (to record the inner calls one by one).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping

from toolkit._types import Call, Request, Trace
from toolkit.strategies._base import Strategy, StrategyContext
from toolkit.tasks import Task

#: How a StrategyExecutor finds the task of a request: by id, by a factory, or built from it.
TaskSource = Mapping[str, Task] | Callable[[Request], Task] | None


def task_from_request(request: Request) -> Task:
    """A task holding just what the request says: id, prompt as input, category, metadata."""
    return Task(
        id=request.task_id,
        input=request.prompt,
        category=request.category,
        metadata=dict(request.metadata),
    )


def trace_call(trace: Trace, *, executor: str, request: Request, started_at: float) -> Call:
    """One Call standing for a whole trace: sums of tokens and cost, the critical path as
    ``service_s``, ``attempts`` = the number of inner calls, ``cached`` when all were."""
    calls = trace.calls
    models: list[str] = []
    for c in calls:
        if c.model and c.model not in models:
            models.append(c.model)
    return Call(
        executor=executor,
        model="+".join(models),
        text=trace.answer,
        tokens_in=sum(c.tokens_in for c in calls),
        tokens_out=sum(c.tokens_out for c in calls),
        cache_read_tokens=sum(c.cache_read_tokens for c in calls),
        reasoning_tokens=sum(c.reasoning_tokens for c in calls),
        cost_usd=trace.cost_usd,
        billed_usd=trace.billed_usd,
        queue_s=0.0,
        service_s=trace.latency_s,
        error=trace.error,
        cached=bool(calls) and all(c.cached for c in calls),
        attempts=len(calls),
        task_id=request.task_id,
        step=request.step,
        started_at=min((c.started_at for c in calls if c.started_at), default=started_at),
        ended_at=max((c.ended_at for c in calls), default=0.0) or time.time(),
    )


class StrategyExecutor:
    """Run ``strategy`` as an executor named ``name`` (default: the strategy's name).

    ``tasks`` finds the task of a request: a mapping by task id (the request's prompt replaces
    the task's input when they differ, e.g. a sub-task), a factory ``Request -> Task``, or None
    (a task is built from the request). The request's ``model`` and ``settings`` are not
    forwarded: the strategy's own executors decide those.
    """

    def __init__(
        self,
        strategy: Strategy,
        ctx: StrategyContext,
        tasks: TaskSource = None,
        *,
        name: str | None = None,
        on_trace: Callable[[Request, Trace], None] | None = None,
    ) -> None:
        self.strategy = strategy
        self.ctx = ctx
        self.tasks = tasks
        self.name = name or strategy.name
        self.on_trace = on_trace

    def task_for(self, request: Request) -> Task:
        """The task the strategy runs for ``request``."""
        source = self.tasks
        if source is None:
            return task_from_request(request)
        if isinstance(source, Mapping):
            task = source.get(request.task_id)
            if task is None:
                return task_from_request(request)
            if task.input != request.prompt:
                task = dataclasses.replace(task, input=request.prompt)
            return task
        return source(request)

    async def complete(self, request: Request) -> Call:
        """Run the strategy; provider errors end in ``Call.error`` (budget stops propagate)."""
        started = time.time()
        trace = await self.strategy.run(self.task_for(request), self.ctx)
        if self.on_trace is not None:
            self.on_trace(request, trace)
        return trace_call(trace, executor=self.name, request=request, started_at=started)

    def __repr__(self) -> str:
        return f"StrategyExecutor({self.strategy!r}, name={self.name!r})"


def as_executor(
    strategy: Strategy,
    ctx: StrategyContext,
    tasks: TaskSource = None,
    *,
    name: str | None = None,
) -> StrategyExecutor:
    """``strategy`` as an executor (see :class:`StrategyExecutor`)."""
    return StrategyExecutor(strategy, ctx, tasks, name=name)
