"""A strategy as an executor: a cascade standing where a model can, its costs summed.

The executors are fakes (test doubles) and the tasks synthetic.
"""

from __future__ import annotations

import asyncio

import pytest
from routed_support import FakeExecutor, ctx_of, run, task

import toolkit.strategies._routed  # noqa: F401  (registers the routing kinds)
from toolkit._types import Executor, Request, Trace
from toolkit.strategies import build_strategy
from toolkit.strategies._composite import StrategyExecutor, as_executor


def _inner() -> tuple[StrategyExecutor, list[FakeExecutor]]:
    fakes = [
        FakeExecutor("cheap", declines=lambda r: "hard" in r.prompt, cost=0.001, service_s=0.2),
        FakeExecutor("big", answer="big answer", cost=0.1, service_s=1.5, model="fake/big-v2"),
    ]
    cascade = build_strategy(
        {"kind": "cascade", "executors": ["cheap", "big"], "signal": "declined"}
    )
    return StrategyExecutor(cascade, ctx_of(*fakes)), fakes


def test_strategy_executor_is_an_executor_adding_up_its_calls() -> None:
    wrapped, fakes = _inner()
    assert isinstance(wrapped, Executor) and wrapped.name == "cascade:declined"
    req = Request(task_id="t1", prompt="a hard question", category="qa", step="solve")
    call = asyncio.run(wrapped.complete(req))
    assert call.executor == "cascade:declined" and call.text == "big answer"
    assert call.cost_usd == pytest.approx(0.0 + 0.1)  # the decline cost nothing here
    assert call.service_s == pytest.approx(0.2 + 1.5)  # the cascade's critical path
    assert call.attempts == 2 and call.model == "fake/cheap+fake/big-v2"
    assert call.task_id == "t1" and call.step == "solve" and call.ok
    assert [r.prompt for r in fakes[0].requests] == ["a hard question"]


def test_composite_inside_another_strategy() -> None:
    wrapped, _ = _inner()
    rules = build_strategy(
        {
            "kind": "rules",
            "default": "tiny",
            "rules": [{"when": {"complexity": "high"}, "executor": "cascade:declined"}],
        }
    )
    tiny = FakeExecutor("tiny", answer="tiny answer", cost=0.0001)
    ctx = ctx_of(tiny, wrapped)
    trace = run(rules, task("t", "a hard one", complexity="high"), ctx)
    assert trace.answer == "big answer" and trace.route == ("cascade:declined",)
    assert trace.cost_usd == pytest.approx(0.1)
    assert run(rules, task("u", "easy"), ctx).answer == "tiny answer"


def test_tasks_by_id_keep_metadata_and_take_the_request_prompt() -> None:
    fake = FakeExecutor("big", answer=lambda r: f"{r.category}:{r.prompt}")
    rules = build_strategy(
        {
            "kind": "rules",
            "default": "big",
            "rules": [{"when": {"complexity": "high"}, "executor": "big"}],
        }
    )
    seen: list[Trace] = []
    wrapped = StrategyExecutor(
        rules,
        ctx_of(fake),
        {"t": task("t", "the original", "math", complexity="high")},
        name="router",
        on_trace=lambda req, tr: seen.append(tr),
    )
    call = asyncio.run(wrapped.complete(Request(task_id="t", prompt="a sub-task")))
    assert call.text == "math:a sub-task" and call.executor == "router"
    assert seen[0].info["rule"] == 0  # the task's metadata (complexity) was kept
    other = asyncio.run(wrapped.complete(Request(task_id="zz", prompt="free", category="c")))
    assert other.text == "c:free"


def test_errors_pass_through_as_call_errors() -> None:
    broken = FakeExecutor("big", error="HTTP 500")
    single_like = as_executor(
        build_strategy({"kind": "random", "shares": {"big": 1.0}}), ctx_of(broken), name="r"
    )
    call = asyncio.run(single_like.complete(Request(task_id="t", prompt="q")))
    assert call.error == "HTTP 500" and not call.ok and call.text == ""
