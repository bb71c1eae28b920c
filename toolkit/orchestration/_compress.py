"""Context compression: fit a step's input into a share of its model's context window.

Before a step's input goes to a language model it must fit in ``ratio`` (70% by default) of
that model's context window, leaving the rest for the answer. The original task, the facts
and the step's own description are always kept. The results of earlier steps are shortened,
oldest first, by the method the spec chooses:

- ``truncate`` (deterministic): keep the longest head of the oldest result that fits, with
  a marker saying how much was cut; drop it (a marker stays) when even that does not fit,
  then go on to the next result.
- ``summarise``: a cheap summariser executor rewrites the oldest results first; its calls are
  part of the task's cost. Whatever still does not fit is then truncated.

Every compression is recorded: the budget, the tokenizer, the counts before and after,
which results were shortened, and whether the input fits. An input whose UTF-8 byte count
(plus a margin for special tokens) is within the budget fits whatever the tokenizer, so it is
not counted (``counted: false``, ``tokens_at_most``).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from toolkit._types import Call
from toolkit.orchestration._handoff import StepInput
from toolkit.orchestration._tokens import (
    ApproxCounter,
    ModelWindow,
    TokenCounter,
    TokenCountError,
    parse_tokenizer,
)

#: Words per token, roughly, for English text (to ask a summariser for a length in words).
WORDS_PER_TOKEN = 0.75

#: Special tokens a tokenizer may add (BOS and the like), for the byte bound below.
SPECIAL_TOKENS_MARGIN = 8


def byte_bound(text: str) -> int:
    """An upper bound on the tokens of ``text`` for byte-level tokenizers (BPE, SentencePiece
    with byte fallback): every token covers at least one UTF-8 byte."""
    return len(text.encode("utf-8")) + SPECIAL_TOKENS_MARGIN


class CompressionConfig(BaseModel):
    """``[strategies.compression]``: how step inputs are fitted into a model's window.

    ``context_windows`` and ``tokenizers`` (``litellm:<model>``, ``local:<url>``, ``approx``)
    override what the registry says, per executor name; ``local_n_ctx`` is the local
    server's context window (the spec's ``[local] n_ctx``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    method: Literal["truncate", "summarise", "none"] = "truncate"
    ratio: float = Field(default=0.7, gt=0.0, le=1.0)
    summariser: str | None = Field(default=None, min_length=1)
    context_windows: dict[str, int] = Field(default_factory=dict)
    tokenizers: dict[str, str] = Field(default_factory=dict)
    local_n_ctx: int = Field(default=8192, gt=0)

    @field_validator("context_windows")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        bad = [k for k, v in value.items() if v <= 0]
        if bad:
            raise ValueError(f"context windows must be positive (bad: {', '.join(bad)})")
        return value

    @field_validator("tokenizers")
    @classmethod
    def _parses(cls, value: dict[str, str]) -> dict[str, str]:
        for spec in value.values():
            parse_tokenizer(spec)  # raises ValueError with the accepted forms
        return value

    @model_validator(mode="after")
    def _summariser_named(self) -> CompressionConfig:
        if self.method == "summarise" and self.summariser is None:
            raise ValueError("method 'summarise' needs summariser = \"<executor name>\"")
        return self


#: ``summarise(text, words)`` makes one summariser call and returns it.
Summarise = Callable[[str, int], Awaitable[Call]]


@dataclass
class Compressed:
    """A step input after compression, what was done, and the summariser calls made."""

    view: StepInput
    info: dict[str, Any]
    calls: list[Call] = field(default_factory=list)


class _Counting:
    """Counts with ``counter``; on a tokenizer failure switches to chars/4 and says so."""

    def __init__(self, counter: TokenCounter, info: dict[str, Any]) -> None:
        self.counter: TokenCounter = counter
        self.info = info

    async def __call__(self, text: str) -> int:
        try:
            return await self.counter.count(text)
        except TokenCountError as exc:
            self.info["tokenizer_error"] = str(exc)
            self.counter = ApproxCounter()
            self.info["tokenizer"] = self.counter.label
            return await self.counter.count(text)


def budget_tokens(context_window: int, ratio: float) -> int:
    """The tokens a step's input may use: ``floor(ratio * context_window)``."""
    return math.floor(context_window * ratio)


async def compress_step(
    view: StepInput,
    window: ModelWindow,
    config: CompressionConfig,
    *,
    summarise: Summarise | None = None,
) -> Compressed:
    """Fit ``view`` into ``config.ratio`` of ``window``'s context (see the module docstring)."""
    budget = budget_tokens(window.context_window, config.ratio)
    info: dict[str, Any] = {
        "method": config.method,
        "model": window.model,
        "context_window": window.context_window,
        "window_source": window.source,
        "ratio": config.ratio,
        "budget_tokens": budget,
        "tokenizer": window.counter.label,
    }
    text = view.render()
    if config.method != "none" and byte_bound(text) <= budget:
        # it fits for certain: no need to ask the tokenizer (a round trip to the local server)
        info.update(tokens_at_most=byte_bound(text), fits=True, shortened=[], counted=False)
        return Compressed(view, info)
    count = _Counting(window.counter, info)
    n = await count(text)
    info["counted"] = True
    info["tokens_before"] = n
    shortened: list[str] = []
    calls: list[Call] = []
    if n > budget and config.method != "none":
        if config.method == "summarise" and summarise is not None:
            view, n = await _summarise(view, n, budget, count, summarise, calls, shortened, info)
        for dep in list(view.dependencies):
            if n <= budget:
                break
            view, n = await _truncate_one(view, dep.step_id, budget, count)
            if dep.step_id not in shortened:
                shortened.append(dep.step_id)
    info["tokens_after"] = n
    info["fits"] = n <= budget
    info["shortened"] = shortened
    if n > budget:
        info["note"] = (
            "the task, facts and step description alone exceed the budget; they are never cut"
            if config.method != "none"
            else "compression is off (method 'none')"
        )
    return Compressed(view, info, calls)


async def _summarise(
    view: StepInput,
    n: int,
    budget: int,
    count: Callable[[str], Awaitable[int]],
    summarise: Summarise,
    calls: list[Call],
    shortened: list[str],
    info: dict[str, Any],
) -> tuple[StepInput, int]:
    failures: list[str] = []
    for dep in list(view.dependencies):
        if n <= budget:
            break
        dep_tokens = await count(dep.result)
        allowed = budget - (n - dep_tokens)
        words = max(10, int(allowed * WORDS_PER_TOKEN))
        call = await summarise(dep.result, words)
        calls.append(call)
        if not call.ok or not call.text.strip():
            failures.append(f"{dep.step_id}: {call.error or 'empty or declined summary'}")
            continue
        summary = call.text.strip()
        if len(summary) >= len(dep.result):
            failures.append(f"{dep.step_id}: the summary was not shorter")
            continue
        view = view.with_result(dep.step_id, f"[summary] {summary}")
        shortened.append(dep.step_id)
        n = await count(view.render())
    if failures:
        info["summariser_failures"] = failures
    return view, n


def _cut(text: str, keep: int) -> str:
    return f"{text[:keep]} …[truncated: {len(text) - keep} of {len(text)} characters]"


async def _truncate_one(
    view: StepInput, step_id: str, budget: int, count: Callable[[str], Awaitable[int]]
) -> tuple[StepInput, int]:
    """Shorten dependency ``step_id``'s result to the longest head that fits (or drop it)."""
    full = next(d.result for d in view.dependencies if d.step_id == step_id)
    dropped = view.with_result(step_id, f"[dropped: {len(full)} characters]")
    n_dropped = await count(dropped.render())
    if n_dropped > budget:
        return dropped, n_dropped
    lo, hi = 0, len(full)  # invariant: keeping lo characters fits
    best_n = await count(view.with_result(step_id, _cut(full, 0)).render())
    if best_n > budget:  # the marker with no text is longer than the drop marker
        return dropped, n_dropped
    while lo < hi:
        mid = (lo + hi + 1) // 2
        n_mid = await count(view.with_result(step_id, _cut(full, mid)).render())
        if n_mid <= budget:
            lo, best_n = mid, n_mid
        else:
            hi = mid - 1
    return view.with_result(step_id, _cut(full, lo)), best_n
