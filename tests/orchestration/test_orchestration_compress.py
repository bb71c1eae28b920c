"""Context compression, checked with real tokenizers: litellm's (offline, for gpt-4o-mini)
and, when the ``local`` extra is installed, the local llama.cpp server's own tokenizer.

Texts here are synthetic; executors are FAKE unless the test says it uses the real server.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest
from orch_fakes import FakeExecutor, context, make_task, orchestrator, step_info

from toolkit._types import Request
from toolkit.orchestration import (
    CompressionConfig,
    DependencyResult,
    LiteLLMCounter,
    LocalServerCounter,
    ModelWindow,
    StepInput,
    compress_step,
    model_window,
)

TASK = "ORIGINAL TASK: report the total weight shipped in March."
FACTS = {"unit": "kilograms", "customer": "ACME-7731"}


def long_text(tag: str, n: int = 120) -> str:
    """Synthetic filler: ``n`` words, each tagged, so truncation is visible."""
    return " ".join(f"{tag}{i} shipment weighed {i * 3} kilograms" for i in range(n))


def view(n_deps: int = 3, words: int = 120) -> StepInput:
    return StepInput(
        task_id="t1",
        task=TASK,
        step_id="final",
        description="Add up the weights.",
        facts=FACTS,
        dependencies=[
            DependencyResult(
                step_id=f"d{i}", description=f"dep {i}", result=long_text(f"D{i}x", words)
            )
            for i in range(n_deps)
        ],
    )


def gpt_tokens(text: str) -> int:
    from toolkit.models import import_litellm

    return int(import_litellm().token_counter(model="gpt-4o-mini", text=text))


def window(size: int) -> ModelWindow:
    return ModelWindow("w", "gpt-4o-mini", size, LiteLLMCounter("gpt-4o-mini"), "test")


def test_truncate_fits_70_percent_of_a_small_window_and_keeps_task_and_facts() -> None:
    v = view()
    before = gpt_tokens(v.render())
    assert before > 0.7 * 3500, "the synthetic handoff must start over the budget"
    done = asyncio.run(compress_step(v, window(3500), CompressionConfig(method="truncate")))
    text = done.view.render()
    assert gpt_tokens(text) <= math.floor(0.7 * 3500)  # checked with the real tokenizer
    assert done.info["tokens_before"] == before
    assert done.info["tokens_after"] == gpt_tokens(text)
    assert done.info["fits"] is True and done.info["budget_tokens"] == 2450
    assert done.info["tokenizer"] == "litellm:gpt-4o-mini"
    assert TASK in text and "customer: ACME-7731" in text and "unit: kilograms" in text
    assert "Your step: Add up the weights." in text
    # the oldest result is cut first; newer ones survive whole
    assert done.info["shortened"] == ["d0"]
    assert long_text("D1x") in text and long_text("D2x") in text
    assert "D0x0 shipment" in text and "…[truncated: " in text
    assert done.calls == []


def test_ratio_is_configurable() -> None:
    v = view(n_deps=1, words=60)
    done = asyncio.run(compress_step(v, window(1000), CompressionConfig(ratio=0.3)))
    assert done.info["budget_tokens"] == 300
    assert gpt_tokens(done.view.render()) <= 300


def test_input_that_fits_is_left_alone() -> None:
    v = view(n_deps=1, words=5)
    done = asyncio.run(compress_step(v, window(100_000), CompressionConfig()))
    assert done.view == v and done.info["shortened"] == [] and done.info["fits"] is True
    # its byte count already proves it fits: the tokenizer is not asked
    assert done.info["counted"] is False
    assert done.info["tokens_at_most"] == len(v.render().encode()) + 8


def test_task_and_facts_are_never_cut_even_when_they_alone_overflow() -> None:
    v = StepInput(task_id="t", task=long_text("T", 200), step_id="s", description="d", facts=FACTS)
    done = asyncio.run(compress_step(v, window(200), CompressionConfig()))
    assert done.view.task == v.task and done.view.facts == FACTS
    assert done.info["fits"] is False and "never cut" in done.info["note"]


def test_summarise_uses_the_summariser_and_its_calls_are_returned() -> None:
    summariser = FakeExecutor(
        "sum", answer="D0 shipments: 120 of them, total 21420 kg.", cost_usd=0.002
    )

    async def summarise(text: str, words: int) -> Any:
        return await summariser.complete(Request(task_id="t1", prompt=text, step="final:compress"))

    done = asyncio.run(
        compress_step(
            view(),
            window(1000),
            CompressionConfig(method="summarise", summariser="sum"),
            summarise=summarise,
        )
    )
    text = done.view.render()
    assert "[summary] D0 shipments" in text
    assert gpt_tokens(text) <= 700
    assert len(done.calls) >= 1 and done.calls[0].executor == "sum"
    assert TASK in text and "ACME-7731" in text


def test_summarise_needs_a_summariser() -> None:
    with pytest.raises(ValueError, match="needs summariser"):
        CompressionConfig(method="summarise")


def test_orchestrated_step_is_compressed_before_its_call_and_summaries_count_in_cost() -> None:
    big = FakeExecutor("big", answer=lambda r: long_text(f"R{r.step}x", 100))
    worker = FakeExecutor("w", answer="total", tokens_in=10)
    summariser = FakeExecutor("sum", answer="short summary: 3 shipments", cost_usd=0.003)
    orch = orchestrator(
        planner={
            "kind": "data",
            "plan": {
                "steps": [
                    {"id": "a", "description": "list A", "executor": "big", "depends_on": []},
                    {"id": "b", "description": "list B", "executor": "big", "depends_on": []},
                    {"id": "c", "description": "add", "executor": "w", "depends_on": ["a", "b"]},
                ]
            },
        },
        compression={
            "method": "summarise",
            "summariser": "sum",
            "context_windows": {"w": 600},
            "tokenizers": {"w": "litellm:gpt-4o-mini"},
        },
    )
    task = make_task(TASK, facts=FACTS)
    trace = asyncio.run(orch.run(task, context(big, worker, summariser)))
    prompt = worker.requests[0].prompt
    assert gpt_tokens(prompt) <= math.floor(0.7 * 600)
    assert TASK in prompt and "ACME-7731" in prompt
    info = step_info(trace.info, "c")["compression"]
    assert isinstance(info, dict)
    assert info["applied"] is True and info["fits"] is True and info["method"] == "summarise"
    compress_calls = [c for c in trace.calls if c.step == "c:compress"]
    assert compress_calls and all(c.executor == "sum" for c in compress_calls)
    assert trace.cost_usd == pytest.approx(0.003 * len(compress_calls))
    assert step_info(trace.info, "a")["compression"] == {
        "applied": False,
        "why": "executor 'big': context window unknown (not a configured model); set "
        "compression.context_windows.big",
    }


def test_model_window_of_configured_executors() -> None:
    from toolkit.models import ExecutionContext, ExecutorConfig, build_executors

    configs = [
        ExecutorConfig(name="mini", kind="litellm", model="gpt-4o-mini"),
        ExecutorConfig(name="calc", kind="tool", tool="arithmetic"),
    ]
    executors = build_executors(configs, ExecutionContext())
    req = Request(task_id="t", prompt="x")
    mw = model_window(executors["mini"], req, context_windows={}, tokenizers={}, local_n_ctx=8192)
    assert isinstance(mw, ModelWindow)
    assert mw.model == "gpt-4o-mini" and mw.context_window == 128000
    assert mw.counter.label == "litellm:gpt-4o-mini" and mw.source == "model registry"
    tool = model_window(executors["calc"], req, context_windows={}, tokenizers={}, local_n_ctx=8192)
    assert tool == "executor 'calc' is a tool executor, not a language model"
    # the knob decides which model's window applies
    over = model_window(
        executors["mini"],
        Request(task_id="t", prompt="x", model="claude-haiku-4-5"),
        context_windows={},
        tokenizers={},
        local_n_ctx=8192,
    )
    assert isinstance(over, ModelWindow) and over.context_window == 200000


@pytest.mark.local_model
def test_compression_with_the_local_servers_tokenizer(local_server_url: str) -> None:
    """The real local llama.cpp server (Gemma 3 270M) counts the tokens."""
    from toolkit.models import ExecutionContext, ExecutorConfig, Profile, build_executors

    executors = build_executors(
        [ExecutorConfig(name="gemma", kind="local", profile=Profile(mode="completion"))],
        ExecutionContext(),
        local_url=local_server_url,
    )
    mw = model_window(
        executors["gemma"],
        Request(task_id="t", prompt="x"),
        context_windows={"gemma": 512},
        tokenizers={},
        local_n_ctx=8192,
    )
    assert isinstance(mw, ModelWindow) and isinstance(mw.counter, LocalServerCounter)
    assert mw.model == "local/gemma-3-270m"
    done = asyncio.run(compress_step(view(), mw, CompressionConfig()))
    counter = LocalServerCounter(local_server_url)
    after = asyncio.run(counter.count(done.view.render()))
    assert done.info["tokens_before"] > 358 >= after
    assert done.info["tokenizer"].startswith("llama.cpp:") and "tokenizer_error" not in done.info
    text = done.view.render()
    assert TASK in text and "ACME-7731" in text
    default = model_window(
        executors["gemma"],
        Request(task_id="t", prompt="x"),
        context_windows={},
        tokenizers={},
        local_n_ctx=8192,
    )
    assert isinstance(default, ModelWindow) and default.context_window == 8192
