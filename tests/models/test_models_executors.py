"""The litellm executor against a real local OpenAI-compatible HTTP server (tests/models/conftest).

litellm calls the server exactly as it would a cloud provider (``openai/<name>`` + ``api_base``).
The server's model names, prompts and prices are synthetic.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from models_fake_openai import FakeOpenAI

from toolkit._errors import BudgetExceeded, ReplayMiss
from toolkit._types import Call, Request
from toolkit.models import (
    Budget,
    ExecutionContext,
    ExecutorConfig,
    LLMExecutor,
    PriceTable,
    Profile,
    ResponseCache,
    aclose_clients,
    build_executors,
)


def llm(name: str, model: str, url: str, **kw: Any) -> ExecutorConfig:
    return ExecutorConfig(name=name, kind="litellm", model=model, api_base=url, **kw)


def ctx_for(prices_toml: Path, **kw: Any) -> ExecutionContext:
    kw.setdefault("backoff_base_s", 0.01)
    kw.setdefault("env", {})
    return ExecutionContext(prices=PriceTable.load(prices_toml), **kw)


def run(coro: Any) -> Any:
    async def main() -> Any:
        try:
            return await coro
        finally:
            await aclose_clients()

    return asyncio.run(main())


def req(task_id: str = "t1", prompt: str = "What is the capital of France ?", **kw: Any) -> Request:
    return Request(task_id=task_id, prompt=prompt, **kw)


def test_call_records_tokens_cost_and_time(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    ctx = ctx_for(prices_toml)
    ex = build_executors([llm("dev", "openai/cheap-dev", fake_openai.url)], ctx)["dev"]
    call = run(ex.complete(req(step="s1")))
    assert call.ok, call.error
    assert call.text == "model=cheap-dev words=7"
    assert call.model == "openai/cheap-dev"
    assert (call.tokens_in, call.tokens_out) == (7, 2)  # the server's own usage
    assert call.cost_usd == pytest.approx((7 * 1.0 + 2 * 2.0) / 1e6)
    assert call.billed_usd == call.cost_usd
    assert call.service_s > 0 and call.queue_s >= 0
    assert call.ttft_s is None  # not streamed
    assert (call.task_id, call.step, call.attempts, call.cached) == ("t1", "s1", 1, False)
    assert fake_openai.count == 1
    assert ctx.prices.used()["openai/cheap-dev"]["input_per_mtok"] == 1.0


def test_completion_mode_uses_the_completions_endpoint(
    fake_openai: FakeOpenAI, prices_toml: Path
) -> None:
    profile = Profile(mode="completion", template="Q: {input}\nA:", stop=["\n"], max_tokens=8)
    cfg = llm("base", "openai/cheap-dev", fake_openai.url, profile=profile)
    call = run(build_executors([cfg], ctx_for(prices_toml))["base"].complete(req(prompt="2 + 2")))
    assert call.ok, call.error
    seen = fake_openai.seen[0]
    assert seen.path.endswith("/v1/completions")
    assert seen.body["prompt"] == "Q: 2 + 2\nA:"
    assert seen.body["stop"] == ["\n"] and seen.body["max_tokens"] == 8
    assert call.tokens_in == 5


def test_retries_then_success_are_recorded(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    fake_openai.script[:] = ["500", "500"]
    ex = build_executors([llm("dev", "openai/cheap-dev", fake_openai.url)], ctx_for(prices_toml))
    call = run(ex["dev"].complete(req()))
    assert call.ok, call.error
    assert call.attempts == 3
    assert fake_openai.count == 3  # litellm's own retries are off: every attempt is ours
    # failed 500s are not billed: cost is the successful attempt's
    assert call.cost_usd == pytest.approx((7 * 1.0 + 2 * 2.0) / 1e6)


def test_retries_exhausted_end_in_call_error(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    fake_openai.fail_models.add("cheap-dev")
    cfg = llm("dev", "openai/cheap-dev", fake_openai.url, max_retries=2)
    call = run(build_executors([cfg], ctx_for(prices_toml))["dev"].complete(req()))
    assert not call.ok
    assert call.error is not None and "InternalServerError" in call.error
    assert call.attempts == 3 and fake_openai.count == 3
    assert call.text == "" and call.cost_usd == 0.0


def test_retry_after_is_honoured(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    fake_openai.script[:] = [("429", 1), ("429", 2)]
    ex = build_executors([llm("dev", "openai/cheap-dev", fake_openai.url)], ctx_for(prices_toml))
    call = run(ex["dev"].complete(req()))
    assert call.ok, call.error
    assert call.attempts == 3
    t = [s.at for s in fake_openai.seen]  # server-side arrival times
    assert t[1] - t[0] >= 1.0
    assert t[2] - t[1] >= 2.0
    assert call.queue_s >= 3.0  # backoff waits count as queueing, not service


def test_fallback_after_retries_is_recorded(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    fake_openai.fail_models.add("frontier")
    configs = [
        llm("main", "openai/frontier", fake_openai.url, max_retries=1, fallbacks=["spare"]),
        llm("spare", "openai/backup", fake_openai.url),
    ]
    executors = build_executors(configs, ctx_for(prices_toml))
    call = run(executors["main"].complete(req()))
    assert call.ok, call.error
    assert call.executor == "spare" and call.fallback_from == "main"
    assert call.model == "openai/backup"
    assert call.text == "model=backup words=7"
    assert len(fake_openai.requests_for("frontier")) == 2  # 1 try + 1 retry
    assert len(fake_openai.requests_for("backup")) == 1
    assert call.attempts == 3


def test_fallback_chain_all_down(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    fake_openai.fail_models.update({"frontier", "backup"})
    configs = [
        llm("main", "openai/frontier", fake_openai.url, max_retries=0, fallbacks=["spare"]),
        llm("spare", "openai/backup", fake_openai.url, max_retries=0),
    ]
    call = run(build_executors(configs, ctx_for(prices_toml))["main"].complete(req()))
    assert not call.ok
    assert call.fallback_from == "main"
    assert call.error is not None and "main:" in call.error and "spare:" in call.error
    assert fake_openai.count == 2


def test_timeout_is_retried_and_settled_at_reservation(
    fake_openai: FakeOpenAI, prices_toml: Path
) -> None:
    fake_openai.script[:] = [("hang", 5)]
    budget = Budget(1.0)
    cfg = llm("dev", "openai/cheap-dev", fake_openai.url, timeout_s=0.5, max_retries=1)
    ex = build_executors([cfg], ctx_for(prices_toml, budget=budget))["dev"]
    assert isinstance(ex, LLMExecutor)
    worst = run(ex.worst_case_usd(req()))
    call = run(ex.complete(req()))
    assert call.ok, call.error
    assert call.attempts == 2
    success = (7 * 1.0 + 2 * 2.0) / 1e6
    # the timed-out attempt may have been billed: it is settled at its reservation
    assert call.cost_usd == pytest.approx(worst + success)
    assert budget.spent_usd == pytest.approx(call.billed_usd)
    assert budget.reserved_usd == pytest.approx(0.0)


@pytest.mark.parametrize("mode", ["chat", "completion"])
def test_streaming_records_ttft(fake_openai: FakeOpenAI, prices_toml: Path, mode: str) -> None:
    profile = Profile(mode=mode, extra={"stream": True})  # type: ignore[arg-type]
    cfg = llm("dev", "openai/cheap-dev", fake_openai.url, profile=profile)
    call = run(build_executors([cfg], ctx_for(prices_toml))["dev"].complete(req()))
    assert call.ok, call.error
    assert call.text == "model=cheap-dev words=7"
    assert call.ttft_s is not None and 0 < call.ttft_s <= call.service_s
    assert (call.tokens_in, call.tokens_out) == (7, 2)  # from the stream's final usage
    assert fake_openai.seen[0].body["stream"] is True


def _gather(executor: Any, requests: Sequence[Request]) -> list[Call | BaseException]:
    async def go() -> list[Call | BaseException]:
        return list(
            await asyncio.gather(*(executor.complete(r) for r in requests), return_exceptions=True)
        )

    result: list[Call | BaseException] = run(go())
    return result


def test_budget_cap_holds_with_32_concurrent_calls(
    fake_openai: FakeOpenAI, prices_toml: Path
) -> None:
    small = Profile(max_tokens=4)  # worst case close to the real cost, so the cap bites
    probe = build_executors(
        [llm("dev", "openai/frontier", fake_openai.url, profile=small)], ctx_for(prices_toml)
    )
    dev = probe["dev"]
    assert isinstance(dev, LLMExecutor)
    requests = [req(f"t{i:02d}", prompt=f"question number {i} " + "word " * 20) for i in range(32)]
    worst = run(dev.worst_case_usd(requests[0]))
    cap = 6.5 * worst
    budget = Budget(cap)
    # synthetic faults mixed in: 500s (retried), a timeout (may be billed), slow answers
    fake_openai.script[:] = ["500", ("slow", 0.05), ("hang", 3), "500", ("slow", 0.05)] * 3
    cfg = llm(
        "dev", "openai/frontier", fake_openai.url, timeout_s=1.0, max_retries=2, profile=small
    )
    ex = build_executors([cfg], ctx_for(prices_toml, budget=budget, default_concurrency=8))["dev"]
    results = _gather(ex, requests)
    calls = [r for r in results if isinstance(r, Call)]
    refused = [r for r in results if isinstance(r, BudgetExceeded)]
    assert len(calls) + len(refused) == 32  # no call lost
    assert refused and budget.stopped  # the cap did bite
    assert budget.spent_usd <= cap + 1e-12
    # every dollar spent is on exactly one call record: nothing counted twice or lost
    assert sum(c.billed_usd for c in calls) == pytest.approx(budget.spent_usd)
    assert budget.reserved_usd == pytest.approx(0.0)
    answered = [c for c in calls if c.ok]
    assert len({c.task_id for c in calls}) == len(calls)
    # each answered call got exactly one successful answer from the server
    ok_requests = [s for s in fake_openai.seen if s.model == "frontier"]
    assert sum(c.attempts for c in calls) == len(ok_requests)
    assert answered  # and some calls were answered within the cap


def test_concurrency_limit_and_queue_time(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    fake_openai.script[:] = [("slow", 0.2)] * 4
    cfg = llm("dev", "openai/cheap-dev", fake_openai.url, concurrency=1)
    ex = build_executors([cfg], ctx_for(prices_toml))["dev"]
    calls = _gather(ex, [req(f"t{i}") for i in range(4)])
    assert all(isinstance(c, Call) and c.ok for c in calls)
    assert fake_openai.max_in_flight == 1  # the provider never saw two at once
    queued = sorted(c.queue_s for c in calls if isinstance(c, Call))
    assert queued[-1] >= 0.4  # the last one waited for (at least) two others
    assert all(isinstance(c, Call) and c.service_s >= 0.2 for c in calls)


def test_rpm_limit_spaces_requests(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    cfg = llm("dev", "openai/cheap-dev", fake_openai.url, rpm=300)  # one start per 0.2 s
    ex = build_executors([cfg], ctx_for(prices_toml))["dev"]
    warm = build_executors([llm("warm", "openai/cheap-dev", fake_openai.url)], ctx_for(prices_toml))

    async def both() -> list[Call | BaseException]:
        # warm-up: litellm's first call imports modules and builds clients, blocking the loop
        await warm["warm"].complete(req("warm-up"))
        fake_openai.seen.clear()
        got = await asyncio.gather(*(ex.complete(req(f"t{i}")) for i in range(3)))
        return list(got)

    calls = run(both())
    assert all(isinstance(c, Call) and c.ok for c in calls)
    # server-side arrivals: 3 starts span 2 intervals (0.4 s); allow for client-side jitter
    t = sorted(s.at for s in fake_openai.seen)
    assert t[-1] - t[0] >= 0.3
    assert all(b - a >= 0.1 for a, b in itertools.pairwise(t))


def test_cache_hit_is_free_and_costs_the_same(
    fake_server_factory: Callable[[], FakeOpenAI], prices_toml: Path, tmp_path: Path
) -> None:
    first, second = fake_server_factory(), fake_server_factory()
    cache = ResponseCache(tmp_path / "cache.sqlite")
    ctx = ctx_for(prices_toml, cache=cache)
    live = run(
        build_executors([llm("dev", "openai/cheap-dev", first.url)], ctx)["dev"].complete(req())
    )
    assert live.ok and not live.cached and live.billed_usd > 0
    # same executor, same model, same prompt and settings, but another server address
    ctx2 = ctx_for(prices_toml, cache=cache)
    ex2 = build_executors([llm("dev", "openai/cheap-dev", second.url)], ctx2)["dev"]
    hit = run(ex2.complete(req()))
    assert hit.cached
    assert hit.billed_usd == 0.0
    assert hit.cost_usd == pytest.approx(live.cost_usd)
    assert (hit.text, hit.tokens_in, hit.tokens_out) == (live.text, live.tokens_in, live.tokens_out)
    assert second.count == 0 and first.count == 1  # the key leaves out api_base
    # a different setting is a different key
    other = ExecutorConfig(
        name="dev",
        kind="litellm",
        model="openai/cheap-dev",
        api_base=second.url,
        profile=Profile(max_tokens=7),
    )
    miss = run(build_executors([other], ctx2)["dev"].complete(req()))
    assert not miss.cached and second.count == 1


def test_replay_never_calls_a_provider(
    fake_openai: FakeOpenAI, prices_toml: Path, tmp_path: Path
) -> None:
    cache = ResponseCache(tmp_path / "cache.sqlite")
    cfg = llm("dev", "openai/cheap-dev", fake_openai.url)
    live = run(build_executors([cfg], ctx_for(prices_toml, cache=cache))["dev"].complete(req()))
    assert live.ok
    replay = build_executors([cfg], ctx_for(prices_toml, cache=cache, replay=True))["dev"]
    again = run(replay.complete(req()))
    assert again.cached and again.text == live.text
    with pytest.raises(ReplayMiss) as info:
        run(replay.complete(req("task-42", prompt="never asked before")))
    assert "task-42" in str(info.value) and "'dev'" in str(info.value)
    assert info.value.exit_code == 4
    assert fake_openai.count == 1


def test_missing_api_key_env_is_a_call_error(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    cfg = llm("dev", "openai/cheap-dev", fake_openai.url, api_key_env="TOOLKIT_TEST_NO_SUCH_KEY")
    call = run(build_executors([cfg], ctx_for(prices_toml))["dev"].complete(req()))
    assert not call.ok and call.error is not None
    assert "TOOLKIT_TEST_NO_SUCH_KEY" in call.error
    assert fake_openai.count == 0


def test_unpriced_model_fails_at_build(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    from toolkit.models import UnpricedModelError

    with pytest.raises(UnpricedModelError, match="executor 'x'"):
        build_executors([llm("x", "openai/unknown-name", fake_openai.url)], ctx_for(prices_toml))
    # a self-hosted server priced by compute time is fine
    cfg = llm("x", "openai/unknown-name", fake_openai.url, hourly_rate_usd=0.0)
    call = run(build_executors([cfg], ctx_for(prices_toml))["x"].complete(req()))
    assert call.ok and call.cost_usd == 0.0


def test_build_rejects_bad_fallbacks_and_duplicates(
    fake_openai: FakeOpenAI, prices_toml: Path
) -> None:
    from toolkit._errors import InputError

    with pytest.raises(InputError) as info:
        build_executors(
            [
                llm("a", "openai/cheap-dev", fake_openai.url, fallbacks=["nope"]),
                llm("a", "openai/cheap-dev", fake_openai.url),
            ],
            ctx_for(prices_toml),
        )
    text = "\n".join(info.value.problems)
    assert "'a' is used more than once" in text and "no executor named 'nope'" in text


def test_fallback_to_a_tool_reports_one_call(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    fake_openai.fail_models.add("cheap-dev")
    seen: list[Call] = []
    configs = [
        llm("main", "openai/cheap-dev", fake_openai.url, max_retries=0, fallbacks=["calc"]),
        ExecutorConfig(name="calc", kind="tool", tool="arithmetic"),
    ]
    executors = build_executors(configs, ctx_for(prices_toml, on_call=seen.append))
    call = run(executors["main"].complete(req(prompt="What is 6 * 7?")))
    assert call.ok and call.text == "42"
    assert (call.executor, call.fallback_from, call.attempts) == ("calc", "main", 2)
    assert seen == [call]  # the on_call hook hears of the logical call once


def test_replay_finds_an_answer_recorded_by_a_fallback(
    fake_openai: FakeOpenAI, prices_toml: Path, tmp_path: Path
) -> None:
    fake_openai.fail_models.add("frontier")
    configs = [
        llm("main", "openai/frontier", fake_openai.url, max_retries=0, fallbacks=["spare"]),
        llm("spare", "openai/backup", fake_openai.url),
    ]
    cache = ResponseCache(tmp_path / "cache.sqlite")
    live = run(build_executors(configs, ctx_for(prices_toml, cache=cache))["main"].complete(req()))
    assert live.ok and live.executor == "spare"
    count = fake_openai.count
    replay_ctx = ctx_for(prices_toml, cache=cache, replay=True)
    again = run(build_executors(configs, replay_ctx)["main"].complete(req()))
    assert again.cached and again.text == live.text
    assert (again.executor, again.fallback_from) == ("spare", "main")
    assert fake_openai.count == count  # no provider call in replay


def test_a_recorded_failure_replays_as_failure_and_live_runs_try_again(
    fake_openai: FakeOpenAI, prices_toml: Path, tmp_path: Path
) -> None:
    cache = ResponseCache(tmp_path / "cache.sqlite")
    cfg = llm("dev", "openai/cheap-dev", fake_openai.url, max_retries=0)
    fake_openai.fail_models.add("cheap-dev")
    failed = run(build_executors([cfg], ctx_for(prices_toml, cache=cache))["dev"].complete(req()))
    assert not failed.ok and fake_openai.count == 1
    replay_ctx = ctx_for(prices_toml, cache=cache, replay=True)
    replayed = run(build_executors([cfg], replay_ctx)["dev"].complete(req()))
    assert replayed.cached and replayed.error == failed.error and replayed.billed_usd == 0.0
    assert fake_openai.count == 1  # replay called nothing
    fake_openai.fail_models.clear()
    live = run(build_executors([cfg], ctx_for(prices_toml, cache=cache))["dev"].complete(req()))
    assert live.ok and not live.cached and fake_openai.count == 2  # live runs call again
    again = run(build_executors([cfg], replay_ctx)["dev"].complete(req()))
    assert again.ok and again.text == live.text  # the answer replaced the failure
