"""``single``: one executor answers every task; the baseline every router is compared with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import Field

from toolkit._types import Call, Trace
from toolkit.strategies._base import (
    PlannedCall,
    StrategyConfig,
    StrategyContext,
    register_strategy,
)
from toolkit.tasks import Task


class SingleConfig(StrategyConfig):
    """``[[strategies]] kind = "single"``: ``executor`` answers alone."""

    kind: Literal["single"] = "single"
    executor: str = Field(min_length=1)

    def executor_refs(self) -> list[tuple[str, str]]:
        return [("executor", self.executor)]

    def default_name(self) -> str:
        return f"single:{self.executor}"

    def sole_executor(self) -> str | None:
        return self.executor


def call_error(call: Call) -> str | None:
    """The trace error a call leaves: its error, "declined", or None when it answered."""
    if call.error is not None:
        return call.error
    if call.declined:
        return f"declined by {call.executor}"
    return None


def answer_trace(
    answer: Call,
    calls: Iterable[Call],
    latency_s: float,
    info: Mapping[str, Any] | None = None,
) -> Trace:
    """The trace whose answer is ``answer``'s text (empty, with its error, when it failed)."""
    error = call_error(answer)
    return Trace(
        answer=answer.text if error is None else "",
        calls=tuple(calls),
        route=(answer.executor,),
        latency_s=latency_s,
        error=error,
        info={} if info is None else info,
    )


class Single:
    """Send the task to one executor and take its answer.

    The trace's latency is the call's ``service_s`` (time waiting for a concurrency slot
    inside the benchmark is not the strategy's latency; it stays in the call's ``queue_s``).
    """

    def __init__(self, executor: str, *, name: str | None = None) -> None:
        self.executor = executor
        self.name = name or f"single:{executor}"

    def prepare(self, ctx: StrategyContext) -> None:
        """Nothing to prepare."""

    def plan(self, task: Task, ctx: StrategyContext) -> Sequence[PlannedCall]:
        return [PlannedCall(self.executor, ctx.request(task, self.executor))]

    async def run(self, task: Task, ctx: StrategyContext) -> Trace:
        call = await ctx.executor(self.executor).complete(ctx.request(task, self.executor))
        return answer_trace(call, (call,), call.service_s)

    def __repr__(self) -> str:
        return f"Single({self.executor!r}, name={self.name!r})"


def _build(config: SingleConfig) -> Single:
    return Single(config.executor, name=config.name)


register_strategy("single", SingleConfig, _build, summary="one executor answers every task")
