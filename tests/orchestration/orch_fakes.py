"""Helpers for the orchestration tests: FAKE executors (test doubles, no model behind
them) that answer from a script, sleep, fail or count their calls, and small task builders."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from toolkit._types import Call, Request
from toolkit.orchestration import Orchestrator, OrchestratorConfig
from toolkit.strategies import StrategyContext
from toolkit.tasks import Task

Answer = str | Callable[[Request], str]


@dataclass
class FakeExecutor:
    """A FAKE executor for tests: sleeps ``sleep_s`` (real asyncio sleep), then answers
    ``answer`` (text or a function of the request). ``error``/``declined`` make it fail.
    ``service_s`` (default: the measured time) and token counts go into the Call as given.
    Every request it receives is kept in ``requests``."""

    name: str
    answer: Answer = "ok"
    sleep_s: float = 0.0
    service_s: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    error: str | None = None
    declined: bool = False
    requests: list[Request] = field(default_factory=list)

    async def complete(self, request: Request) -> Call:
        self.requests.append(request)
        started, t0 = time.time(), time.monotonic()
        if self.sleep_s:
            await asyncio.sleep(self.sleep_s)
        text = self.answer(request) if callable(self.answer) else self.answer
        measured = time.monotonic() - t0
        return Call(
            executor=self.name,
            model=f"fake/{self.name}",
            text="" if self.error or self.declined else text,
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            cost_usd=self.cost_usd,
            billed_usd=self.cost_usd,
            service_s=measured if self.service_s is None else self.service_s,
            error=self.error,
            declined=self.declined,
            task_id=request.task_id,
            step=request.step,
            started_at=started,
            ended_at=time.time(),
        )


@dataclass
class ScriptedPlanner(FakeExecutor):
    """A FAKE planner executor: answers the scripted texts in order (the last one repeats)."""

    script: Sequence[str] = ()

    def __post_init__(self) -> None:
        texts = list(self.script)

        def next_answer(request: Request) -> str:
            i = min(len(self.requests) - 1, len(texts) - 1)
            return texts[i]

        self.answer = next_answer


def make_task(text: str = "the task", *, task_id: str = "t1", **metadata: object) -> Task:
    """A small task (synthetic, for unit tests)."""
    return Task(id=task_id, input=text, category="synthetic", target="x", metadata=metadata)


def context(*executors: FakeExecutor) -> StrategyContext:
    """A strategy context over the given fake executors."""
    return StrategyContext(executors={e.name: e for e in executors})


def orchestrator(**config: object) -> Orchestrator:
    """An orchestrator from config keys (validated like a spec table)."""
    return Orchestrator(OrchestratorConfig.model_validate({"kind": "orchestrator", **config}))


def step_info(trace_info: object, step_id: str) -> dict[str, object]:
    """The recorded info of one step of a trace."""
    assert isinstance(trace_info, dict)
    for s in trace_info["steps"]:
        if s["id"] == step_id:
            assert isinstance(s, dict)
            return s
    raise AssertionError(f"no step {step_id!r} in the trace")
