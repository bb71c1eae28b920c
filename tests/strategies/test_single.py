"""The strategy layer's base and ``single``: traces, per-task model overrides, the registry."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from typing import Literal

import pytest
from pydantic import ValidationError

from toolkit._errors import InputError
from toolkit._types import Call, Request, Trace
from toolkit.registry import REGISTRY, PluginError
from toolkit.strategies import (
    ModelOverride,
    PlannedCall,
    Single,
    SingleConfig,
    StrategyConfig,
    StrategyContext,
    build_strategy,
    parse_strategy_config,
    register_strategy,
    strategy_kinds,
    task_model,
)
from toolkit.tasks._task import Task


class Recorder:
    """A minimal real executor for these tests: answers from a table and keeps requests."""

    def __init__(
        self,
        name: str,
        answers: dict[str, str],
        *,
        error: str | None = None,
        declines: bool = False,
    ) -> None:
        self.name = name
        self.answers = answers
        self.error = error
        self.declines = declines
        self.requests: list[Request] = []

    async def complete(self, request: Request) -> Call:
        self.requests.append(request)
        if self.declines:
            return Call(executor=self.name, model="m", text="", declined=True)
        if self.error is not None:
            return Call(executor=self.name, model="m", text="", error=self.error, service_s=0.5)
        return Call(
            executor=self.name,
            model=request.model or "default-model",
            text=self.answers.get(request.prompt, "?"),
            tokens_in=3,
            tokens_out=1,
            cost_usd=0.25,
            billed_usd=0.25,
            queue_s=2.0,
            service_s=0.75,
            task_id=request.task_id,
        )


def _task(**kw: object) -> Task:
    base: dict[str, object] = {"id": "t1", "input": "2+2?", "category": "math", "target": "4"}
    base.update(kw)
    return Task(**base)  # type: ignore[arg-type]


def test_single_answers_with_one_call() -> None:
    ex = Recorder("m1", {"2+2?": "4"})
    strategy = build_strategy({"kind": "single", "executor": "m1"})
    assert isinstance(strategy, Single) and strategy.name == "single:m1"
    trace = asyncio.run(strategy.run(_task(), StrategyContext(executors={"m1": ex})))
    assert trace.answer == "4" and trace.error is None
    assert trace.route == ("m1",)
    assert len(trace.calls) == 1 and trace.cost_usd == 0.25
    # latency is the provider's time; waiting for a benchmark concurrency slot is not
    assert trace.latency_s == 0.75
    (request,) = ex.requests
    assert request.task_id == "t1" and request.prompt == "2+2?" and request.category == "math"
    assert request.model is None


@pytest.mark.parametrize(
    "executor,error",
    [
        (Recorder("m1", {}, error="HTTP 503 three times"), "HTTP 503 three times"),
        (Recorder("m1", {}, declines=True), "declined by m1"),
    ],
)
def test_single_without_an_answer_records_why(executor: Recorder, error: str) -> None:
    trace = asyncio.run(Single("m1").run(_task(), StrategyContext(executors={"m1": executor})))
    assert trace.answer == ""
    assert trace.error == error
    assert len(trace.calls) == 1


def test_plan_matches_what_run_sends() -> None:
    task = _task(metadata={"model": "gpt-4o"})
    (planned,) = Single("m1", name="base").plan(task, StrategyContext(executors={}))
    assert planned == PlannedCall("m1", planned.request)
    ex = Recorder("m1", {})
    asyncio.run(Single("m1").run(task, StrategyContext(executors={"m1": ex})))
    assert ex.requests == [planned.request]
    assert planned.request.model == "gpt-4o"


def test_per_task_model_override_order() -> None:
    overrides = [
        ModelOverride(model="by-category", categories=["code"]),
        ModelOverride(model="by-task", tasks=["t9"], executor="worker"),
        ModelOverride(model="everything-on-worker", executor="worker"),
    ]
    plain = _task()
    code = _task(category="code")
    assert task_model(plain, "worker", overrides) == "everything-on-worker"
    assert task_model(plain, "other", overrides) is None
    assert task_model(code, "other", overrides) == "by-category"
    assert task_model(_task(id="t9"), "worker", overrides) == "by-task"
    # task metadata wins over the spec: "models" (per executor) before "model"
    meta = _task(category="code", metadata={"model": "m-all", "models": {"worker": "m-w"}})
    assert task_model(meta, "worker", overrides) == "m-w"
    assert task_model(meta, "other", overrides) == "m-all"


def test_context_names_an_unknown_executor() -> None:
    ctx = StrategyContext(executors={"a": Recorder("a", {})})
    with pytest.raises(InputError, match=r"unknown executor 'b' \(this run has: a\)"):
        ctx.executor("b")


def test_registry_validates_configs() -> None:
    assert "single" in strategy_kinds()
    cfg = parse_strategy_config({"kind": "single", "executor": "x", "name": "mine"})
    assert isinstance(cfg, SingleConfig)
    assert cfg.strategy_name == "mine" and cfg.executor_refs() == [("executor", "x")]
    with pytest.raises(InputError, match="unknown strategy kind 'nope'"):
        parse_strategy_config({"kind": "nope"})
    with pytest.raises(InputError, match="missing or non-string 'kind'"):
        parse_strategy_config({"executor": "x"})
    with pytest.raises(ValidationError):
        parse_strategy_config({"kind": "single", "executor": "x", "threshold": 0.5})
    with pytest.raises(ValidationError):
        parse_strategy_config({"kind": "single"})


class _FirstConfig(StrategyConfig):
    """A test-only kind: ask every executor in order, keep the first answer."""

    kind: Literal["first_test"] = "first_test"
    executors: list[str]

    def executor_refs(self) -> list[tuple[str, str]]:
        return [(f"executors.{i}", e) for i, e in enumerate(self.executors)]


class _First:
    def __init__(self, config: _FirstConfig) -> None:
        self.config = config
        self.name = config.strategy_name

    def prepare(self, ctx: StrategyContext) -> None:
        pass

    def plan(self, task: Task, ctx: StrategyContext) -> Sequence[PlannedCall]:
        return [
            PlannedCall(e, Request(task_id=task.id, prompt=task.input))
            for e in self.config.executors
        ]

    async def run(self, task: Task, ctx: StrategyContext) -> Trace:
        calls = []
        for name in self.config.executors:
            call = await ctx.executor(name).complete(ctx.request(task, name))
            calls.append(call)
            if call.ok:
                return Trace(answer=call.text, calls=tuple(calls), route=(name,))
        return Trace(answer="", calls=tuple(calls), error="nobody answered")


@pytest.fixture
def first_kind() -> Iterator[None]:
    register_strategy("first_test", _FirstConfig, _First, summary="test only")
    try:
        yield
    finally:
        REGISTRY.unregister("strategy", "first_test")


@pytest.mark.usefixtures("first_kind")
def test_a_new_kind_plugs_in() -> None:
    strategy = build_strategy({"kind": "first_test", "executors": ["a", "b"]})
    ctx = StrategyContext(
        executors={"a": Recorder("a", {}, declines=True), "b": Recorder("b", {"2+2?": "4"})}
    )
    trace = asyncio.run(strategy.run(_task(), ctx))
    assert trace.answer == "4" and trace.route == ("b",) and len(trace.calls) == 2
    assert [p.executor for p in strategy.plan(_task(), ctx)] == ["a", "b"]
    with pytest.raises(PluginError, match="already registered"):
        register_strategy("single", _FirstConfig, _First)
