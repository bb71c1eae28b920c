"""Core value types shared by every layer: a request to an executor, the call it made,
the Executor protocol, and a strategy's Trace.

These are frozen dataclasses with no heavy imports, so every layer may use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Request:
    """What a strategy asks an executor to do for one task.

    ``prompt`` is the task input (or a sub-task's text); the executor's profile turns it
    into the provider's prompt. ``model`` is a per-task model override (highest priority).
    """

    task_id: str
    prompt: str
    category: str = ""
    role: str = ""
    step: str = ""
    model: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    json_schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Call:
    """One executor call, accountable for every token, dollar and millisecond.

    ``cost_usd`` is what the call costs at the recorded prices; ``billed_usd`` is what this
    run actually paid (0 on a cache hit). Analysis always uses ``cost_usd``.
    """

    executor: str
    model: str
    text: str
    tokens_in: int = 0
    tokens_out: int = 0
    cache_read_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    billed_usd: float = 0.0
    queue_s: float = 0.0
    service_s: float = 0.0
    ttft_s: float | None = None
    error: str | None = None
    cached: bool = False
    declined: bool = False
    attempts: int = 1
    fallback_from: str | None = None
    task_id: str = ""
    step: str = ""
    started_at: float = 0.0
    ended_at: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the call produced an answer (no error, not declined)."""
        return self.error is None and not self.declined

    @property
    def latency_s(self) -> float:
        """Wall time of the call: waiting for a slot plus the provider's time."""
        return self.queue_s + self.service_s


@runtime_checkable
class Executor(Protocol):
    """Anything that can answer a request: a model, a CLI tool, a specialist, a tool."""

    name: str

    async def complete(self, request: Request) -> Call:
        """Answer one request. Never raises for provider errors: they go in ``Call.error``."""
        ...


@dataclass(frozen=True)
class Trace:
    """What a strategy did on one task: every call it made plus the final answer.

    ``latency_s`` is the critical path (a cascade's calls add up; parallel steps overlap).
    ``route`` names the executors whose answers were used, in order.
    """

    answer: str
    calls: tuple[Call, ...] = ()
    route: tuple[str, ...] = ()
    latency_s: float = 0.0
    error: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def cost_usd(self) -> float:
        """Total cost of every call the strategy made, routing calls included."""
        return sum(c.cost_usd for c in self.calls)

    @property
    def billed_usd(self) -> float:
        """What this run actually paid for the trace (cache hits are free)."""
        return sum(c.billed_usd for c in self.calls)
