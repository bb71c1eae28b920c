"""litellm's request preparation on the toolkit's event loop (``toolkit.models._litellm``).

``litellm.acompletion`` hands every call's preparation to the loop's default executor; the
toolkit's loops (``run_coroutine``) run it in the loop's thread for OpenAI-compatible routes,
and everything else in threads. Calls go to the real local test server (tests/models/conftest);
its model names and prices are synthetic.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from models_fake_openai import FakeOpenAI

from toolkit._types import Request
from toolkit.models import (
    ExecutionContext,
    ExecutorConfig,
    PriceTable,
    Profile,
    aclose_clients,
    build_executors,
    import_litellm,
    run_coroutine,
)
from toolkit.models._litellm import INLINE_PREP_ENV, InlinePrepExecutor, inline_prep


def on_loop_with(pool: InlinePrepExecutor, coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` as ``run_coroutine`` does, with ``pool`` as the default executor."""

    async def main() -> Any:
        try:
            return await coro
        finally:
            await aclose_clients()

    with asyncio.Runner() as runner:
        runner.get_loop().set_default_executor(pool)
        return runner.run(main())


def executors(url: str, prices: Path, env: dict[str, str]) -> dict[str, Any]:
    ctx = ExecutionContext(prices=PriceTable.load(prices), env=env)
    chat = ExecutorConfig(name="chat", kind="litellm", model="openai/cheap-dev", api_base=url)
    text = ExecutorConfig(
        name="text",
        kind="litellm",
        model="openai/cheap-dev",
        api_base=url,
        profile=Profile(mode="completion", template="Q: {input}\nA:", max_tokens=8),
    )
    return dict(build_executors([chat, text], ctx))


async def four_calls(ex: dict[str, Any]) -> list[Any]:
    requests = [Request(task_id=f"t{i}", prompt=f"synthetic question {i}") for i in range(3)]
    calls = list(await asyncio.gather(*(ex["chat"].complete(r) for r in requests)))
    calls.append(await ex["text"].complete(Request(task_id="t3", prompt="2 + 2")))
    return calls


def test_chat_and_completion_calls_prepare_on_the_loop(
    fake_openai: FakeOpenAI, prices_toml: Path
) -> None:
    pool = InlinePrepExecutor()
    calls = on_loop_with(pool, four_calls(executors(fake_openai.url, prices_toml, {})))
    assert [c.error for c in calls] == [None] * 4
    assert [c.text for c in calls[:3]] == ["model=cheap-dev words=3"] * 3
    assert calls[3].tokens_out > 0
    assert pool.inline_runs == 4  # every call's preparation ran in the loop's thread
    assert fake_openai.count == 4


def test_turned_off_by_the_environment(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    pool = InlinePrepExecutor()
    env = {INLINE_PREP_ENV: "0"}
    calls = on_loop_with(pool, four_calls(executors(fake_openai.url, prices_toml, env)))
    assert [c.error for c in calls] == [None] * 4
    assert pool.inline_runs == 0  # litellm's own thread hop, as without the toolkit


def test_routes_marked_inline_only_for_openai_compatible_providers(
    fake_openai: FakeOpenAI, prices_toml: Path
) -> None:
    ex = executors(fake_openai.url, prices_toml, {})["chat"]
    assert ex.route("openai/cheap-dev", "chat").inline_prep
    assert ex.route("openai/cheap-dev", "completion").inline_prep  # text-completion-openai
    assert ex.route("gpt-4o-mini", "chat").inline_prep is True  # litellm: provider openai
    cfg = ExecutorConfig(name="claude", kind="litellm", model="anthropic/claude-haiku-4-5")
    ctx = ExecutionContext(prices=PriceTable.load(prices_toml), env={})
    claude = build_executors([cfg], ctx)["claude"]
    # not known to prepare without blocking I/O: litellm's thread, as without the toolkit
    assert claude.route("anthropic/claude-haiku-4-5", "chat").inline_prep is False


def test_other_work_on_the_default_executor_still_gets_a_thread() -> None:
    async def main() -> tuple[int, int, int]:
        loop = asyncio.get_running_loop()
        with inline_prep(True):  # marked, but not litellm's preparation
            a = await loop.run_in_executor(None, threading.get_ident)
            b = await asyncio.to_thread(threading.get_ident)
        return threading.get_ident(), a, b

    here, a, b = run_coroutine(main())
    assert a != here and b != here


def test_a_failing_preparation_reaches_the_awaiting_call() -> None:
    main = import_litellm().main
    pool = InlinePrepExecutor()
    prep = functools.partial(main.completion, model="openai/x", messages="not a list")
    with inline_prep(True):
        future = pool.submit(functools.partial(contextvars.copy_context().run, prep))
    assert future.done() and pool.inline_runs == 1  # ran at once, in this thread
    assert future.exception() is not None
    with pytest.raises(Exception):  # noqa: B017 - whichever error litellm raises for it
        future.result()
    pool.shutdown()


def test_unmarked_preparation_runs_in_a_thread() -> None:
    main = import_litellm().main
    pool = InlinePrepExecutor()
    # litellm's hand-over shape, not marked: a thread, like the stock executor
    prep = functools.partial(main.completion, model="openai/x", messages="not a list")
    future = pool.submit(functools.partial(contextvars.copy_context().run, prep))
    assert future.exception(timeout=30) is not None
    assert pool.inline_runs == 0
    pool.shutdown()
