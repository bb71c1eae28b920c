"""The policies around a registered (plugin) executor: retries, timeouts, errors, fallbacks,
the budget, the cache and replay. The executors here are small test doubles (synthetic)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from toolkit._errors import BudgetExceeded, ReplayMiss
from toolkit._types import Call, Request
from toolkit.models import (
    Budget,
    ExecutionContext,
    ExecutorBase,
    ProviderError,
    ResponseCache,
    build_executors,
)
from toolkit.registry import REGISTRY, PluginError, executor


class FlakyConfig(ExecutorBase):
    kind: Literal["flaky_test"] = "flaky_test"
    fail_first: int = 0
    mode: Literal["ok", "raise", "bug", "error_call", "slow", "pause"] = "ok"
    price: float = 0.01


class Flaky:
    def __init__(self, config: FlakyConfig) -> None:
        self.name = config.name
        self.config = config
        self.calls = 0

    def worst_case_usd(self, request: Request) -> float:
        return self.config.price

    async def complete(self, request: Request) -> Call:
        self.calls += 1
        mode = self.config.mode
        if self.calls <= self.config.fail_first:
            raise ProviderError("busy", retryable=True)
        if mode == "raise":
            raise ProviderError("refused for good")
        if mode == "bug":
            raise KeyError("oops")
        if mode == "slow":
            await asyncio.sleep(5)
        if mode == "pause":  # long enough for its twins to arrive while it is in flight
            await asyncio.sleep(0.05)
        text = f"{self.name}: {request.prompt}"
        error = "bad request" if mode == "error_call" else None
        return Call(self.name, "flaky/1", text, cost_usd=self.config.price, error=error)


@pytest.fixture(autouse=True)
def flaky_kind() -> Iterator[dict[str, Flaky]]:
    built: dict[str, Flaky] = {}

    @executor("flaky_test", config=FlakyConfig)
    def make(config: FlakyConfig) -> Flaky:
        built[config.name] = Flaky(config)
        return built[config.name]

    yield built
    REGISTRY.unregister("executor", "flaky_test")


def _build(ctx: ExecutionContext, *configs: dict[str, object]) -> dict[str, object]:
    parsed = [FlakyConfig.model_validate({"kind": "flaky_test", **c}) for c in configs]
    return dict(build_executors(parsed, ctx))


def _ask(ex: object, prompt: str = "hi") -> Call:
    return asyncio.run(ex.complete(Request(task_id="t1", prompt=prompt)))  # type: ignore[attr-defined]


def test_transient_failures_are_retried_and_counted(flaky_kind: dict[str, Flaky]) -> None:
    ctx = ExecutionContext(backoff_base_s=0.0)
    ex = _build(ctx, {"name": "a", "fail_first": 2, "max_retries": 3})["a"]
    call = _ask(ex)
    assert call.ok and call.attempts == 3 and call.text == "a: hi"
    assert flaky_kind["a"].calls == 3


def test_final_failures_are_not_retried_and_end_in_call_error() -> None:
    ctx = ExecutionContext(backoff_base_s=0.0)
    exs = _build(
        ctx,
        {"name": "refuses", "mode": "raise"},
        {"name": "buggy", "mode": "bug"},
        {"name": "errs", "mode": "error_call"},
        {"name": "gives_up", "fail_first": 5, "max_retries": 1},
    )
    refused = _ask(exs["refuses"])
    assert not refused.ok and refused.attempts == 1 and "refused for good" in str(refused.error)
    buggy = _ask(exs["buggy"])
    assert buggy.attempts == 1 and "raised KeyError" in str(buggy.error)
    errs = _ask(exs["errs"])
    assert errs.attempts == 1 and errs.error == "bad request" and errs.cost_usd == 0.01
    gave_up = _ask(exs["gives_up"])
    assert gave_up.attempts == 2 and "busy" in str(gave_up.error)


def test_a_slow_executor_times_out_as_a_retryable_failure() -> None:
    ctx = ExecutionContext(backoff_base_s=0.0)
    ex = _build(ctx, {"name": "slow", "mode": "slow", "timeout_s": 0.05, "max_retries": 1})["slow"]
    began = time.monotonic()
    call = _ask(ex)
    assert call.attempts == 2 and "no answer within 0.05 s" in str(call.error)
    assert time.monotonic() - began < 2


def test_fallbacks_answer_when_a_plugin_executor_fails() -> None:
    ctx = ExecutionContext(backoff_base_s=0.0)
    exs = _build(ctx, {"name": "main", "mode": "raise", "fallbacks": ["spare"]}, {"name": "spare"})
    call = _ask(exs["main"])
    assert call.ok and call.executor == "spare" and call.fallback_from == "main"
    assert call.attempts == 2


def test_the_budget_holds_the_worst_case_and_stops_before_the_cap() -> None:
    budget = Budget(0.025)
    ctx = ExecutionContext(budget=budget)
    ex = _build(ctx, {"name": "a", "price": 0.01})["a"]
    assert _ask(ex, "1").ok and _ask(ex, "2").ok
    with pytest.raises(BudgetExceeded):
        _ask(ex, "3")
    assert budget.spent_usd == pytest.approx(0.02)


def test_cache_hits_cost_nothing_and_replay_misses_raise(
    tmp_path: Path, flaky_kind: dict[str, Flaky]
) -> None:
    cache = ResponseCache(tmp_path / "cache.sqlite")
    ex = _build(ExecutionContext(cache=cache), {"name": "a"})["a"]
    first, again = _ask(ex), _ask(ex)
    assert not first.cached and first.billed_usd == 0.01
    assert again.cached and again.billed_usd == 0.0 and again.cost_usd == 0.01
    assert again.text == first.text and flaky_kind["a"].calls == 1
    replay = _build(ExecutionContext(cache=cache, replay=True), {"name": "a"})["a"]
    assert _ask(replay).cached
    with pytest.raises(ReplayMiss, match="no recorded call"):
        _ask(replay, "never asked")


def test_a_config_that_does_not_subclass_executor_base_is_refused() -> None:
    from pydantic import BaseModel

    class Loose(BaseModel):
        name: str

    with pytest.raises(PluginError, match=r"must subclass toolkit\.models\.ExecutorBase"):
        executor("loose_test", config=Loose)(lambda c: c)


def test_identical_requests_in_flight_share_one_call(
    tmp_path: Path, flaky_kind: dict[str, Flaky]
) -> None:
    """Single flight: four identical requests at once make one call; the rest are hits."""
    ctx = ExecutionContext(cache=ResponseCache(tmp_path / "cache.sqlite"))
    ex = _build(ctx, {"name": "f", "mode": "pause"})["f"]

    async def four() -> list[Call]:
        requests = [Request(task_id=f"t{i}", prompt="same") for i in range(4)]
        other = Request(task_id="t9", prompt="other")
        return list(await asyncio.gather(*(ex.complete(r) for r in [*requests, other])))  # type: ignore[attr-defined]

    calls = asyncio.run(four())
    assert flaky_kind["f"].calls == 2  # "same" once, "other" once
    assert sum(c.cached for c in calls) == 3
    assert all(c.ok for c in calls)
