"""The run's policies around any registered executor: cache, replay, budget, rate limits,
retries and fallbacks.

A plugin's executor makes one attempt (``await complete(request) -> Call``). It reports a
transient failure by raising :class:`~toolkit.models.ProviderError` with ``retryable=True``
(retried with backoff), a final one by raising it plainly or returning a ``Call`` with
``error`` set. An executor may define ``worst_case_usd(request)`` so a budget cap holds its
place before the call; without it the call reserves nothing and is settled at its cost.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from toolkit._errors import BudgetExceeded, ReplayMiss
from toolkit._types import Call, Executor, Request
from toolkit.models._budget import Reservation
from toolkit.models._cache import ResponseCache
from toolkit.models._config import ExecutorBase
from toolkit.models._failures import ProviderError

if TYPE_CHECKING:
    from toolkit.models._build import ExecutionContext


class RateLimiter:
    """Spaces request starts at least ``60 / rpm`` seconds apart."""

    def __init__(self, rpm: float) -> None:
        self.interval = 60.0 / rpm
        self._next = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


@dataclass
class ProviderSlots:
    """Per-provider concurrency limits, shared by every executor built together."""

    default: int
    limits: dict[str, int] = field(default_factory=dict)
    _sems: dict[str, tuple[weakref.ref[asyncio.AbstractEventLoop], asyncio.Semaphore]] = field(
        default_factory=dict
    )

    def limit(self, provider: str) -> int:
        if provider in self.limits:
            return self.limits[provider]
        return 1 if provider == "local" else self.default

    def semaphore(self, provider: str) -> asyncio.Semaphore:
        """The provider's semaphore for the running event loop (a new loop gets a new one)."""
        loop = asyncio.get_running_loop()
        held = self._sems.get(provider)
        if held is None or held[0]() is not loop:
            held = self._sems[provider] = (
                weakref.ref(loop),
                asyncio.Semaphore(self.limit(provider)),
            )
        return held[1]


def request_payload(request: Request) -> dict[str, Any]:
    """What of a request a registered executor may answer from: its cache identity."""
    return {
        "prompt": request.prompt,
        "category": request.category,
        "role": request.role,
        "model": request.model,
        "metadata": dict(request.metadata),
        "settings": dict(request.settings),
        "json_schema": dict(request.json_schema) if request.json_schema is not None else None,
    }


class PolicyExecutor:
    """A registered executor wrapped with the run's policies (see the module docstring)."""

    def __init__(
        self,
        inner: Executor,
        config: ExecutorBase,
        ctx: ExecutionContext,
        *,
        slots: ProviderSlots,
        registry: Mapping[str, Executor],
    ) -> None:
        self.name = config.name
        self.inner = inner
        self.config = config
        self.ctx = ctx
        self.slots = slots
        self.registry = registry
        self.rpm = RateLimiter(config.rpm) if config.rpm else None
        self.provider = f"executor:{config.name}"
        self.identity = f"{config.kind}:{config.name}"
        self.settings = config.model_dump(mode="json", exclude={"name", "fallbacks"})

    async def complete(self, request: Request) -> Call:
        """Answer ``request`` through the policies; failures end in ``Call.error``."""
        call = await self.respond(request, use_fallbacks=True)
        if self.ctx.on_call is not None:
            self.ctx.on_call(call)
        return call

    async def respond(self, request: Request, *, use_fallbacks: bool = False) -> Call:
        """The call without the run's hook (how a fallback answers)."""
        started_at = time.time()
        model = self.config.model or self.config.kind
        key = ResponseCache.key(self.identity, model, request_payload(request), self.settings)
        cache = self.ctx.cache
        if cache is None or self.ctx.replay:
            return await self._answer(request, use_fallbacks, started_at, model, key)
        async with cache.in_flight(key):  # an identical request in flight: wait, then a hit
            return await self._answer(request, use_fallbacks, started_at, model, key)

    async def _answer(
        self, request: Request, use_fallbacks: bool, started_at: float, model: str, key: str
    ) -> Call:
        cache = self.ctx.cache
        recorded_failure: Mapping[str, Any] | None = None
        if cache is not None:
            hit = cache.get(key)
            if hit is not None and not hit.get("failed"):
                return self._from_cache(hit, request, started_at)
            recorded_failure = hit
        if self.ctx.replay:
            if use_fallbacks:
                for name in self.config.fallbacks:
                    try:
                        call = await answer_as_fallback(self.registry, name, request)
                    except ReplayMiss:
                        continue
                    if call.ok:
                        return replace(call, fallback_from=self.name)
            if recorded_failure is not None:
                return self._from_cache(recorded_failure, request, started_at)
            raise ReplayMiss(
                f"replay: no recorded call for task {request.task_id!r} on executor "
                f"{self.name!r}; run once without --replay to record it"
            )
        call = await self._attempts(request, model, started_at)
        if cache is not None and call.ok:
            cache.put(key, _stored(call), executor=self.name, model=call.model)
        elif cache is not None and call.attempts > 0:
            stored = {**_stored(call), "failed": True, "error": call.error}
            cache.put(key, stored, executor=self.name, model=call.model, replace=False)
        if not call.ok and use_fallbacks and self.config.fallbacks:
            return await try_fallbacks(
                self.name, self.config.fallbacks, self.registry, request, call
            )
        return call

    async def _attempts(self, request: Request, model: str, started_at: float) -> Call:
        errors: list[str] = []
        queue_s = service_s = cost = 0.0
        attempts = 0
        budget = self.ctx.budget
        answer: Call | None = None
        for attempt_no in range(self.config.max_retries + 1):
            wait_from = time.monotonic()
            if self.rpm is not None:
                await self.rpm.wait()
            failure: ProviderError | None = None
            async with self.slots.semaphore(self.provider):
                reservation: Reservation | None = None
                if budget is not None:
                    held = await self.worst_case_usd(request) if budget.cap_usd is not None else 0.0
                    what = f"task {request.task_id!r} on executor {self.name!r}"
                    try:
                        reservation = await budget.reserve(held, what)
                    except BudgetExceeded as exc:
                        if attempts == 0:
                            raise
                        errors.append(str(exc))
                        break
                began = time.monotonic()
                queue_s += began - wait_from
                attempts += 1
                got: Call | None = None
                try:
                    async with asyncio.timeout(self.config.timeout_s):
                        got = await self.inner.complete(request)
                except ProviderError as exc:
                    failure = exc
                except TimeoutError:
                    failure = ProviderError(
                        f"executor {self.name!r}: no answer within {self.config.timeout_s:g} s",
                        retryable=True,
                    )
                except asyncio.CancelledError:
                    if reservation is not None and budget is not None:
                        budget.settle(reservation, 0.0)
                    raise
                except Exception as exc:  # a plugin's bug: recorded, not retried
                    failure = ProviderError(
                        f"executor {self.name!r} raised {type(exc).__name__}: {exc}"
                    )
                took = time.monotonic() - began
                service_s += took
                spent = got.cost_usd if got is not None else 0.0
                if reservation is not None and budget is not None:
                    budget.settle(reservation, spent)
                cost += spent
            if got is not None and got.ok:
                answer = got
                break
            if got is not None:  # an answer with an error: final
                errors.append(got.error or "declined")
                answer = got
                break
            assert failure is not None
            errors.append(str(failure))
            if not failure.retryable or attempt_no == self.config.max_retries:
                break
            delay = backoff(self.ctx, attempt_no, failure.retry_after)
            await asyncio.sleep(delay)
            queue_s += delay
        base = answer if answer is not None else Call(executor=self.name, model=model, text="")
        error = None if answer is not None and answer.ok else (" | ".join(errors[-3:]) or "failed")
        return replace(
            base,
            executor=self.name,
            model=base.model or model,
            cost_usd=cost,
            billed_usd=cost,
            queue_s=queue_s,
            service_s=service_s,
            error=error,
            declined=base.declined if error is None else False,
            attempts=attempts,
            task_id=request.task_id,
            step=request.step,
            started_at=started_at,
            ended_at=time.time(),
            cached=False,
        )

    @property
    def states_worst_case(self) -> bool:
        """True when the executor says what an attempt may cost (``worst_case_usd``)."""
        return getattr(self.inner, "worst_case_usd", None) is not None

    async def worst_case_usd(self, request: Request, *, offline: bool = True) -> float:
        """The most one attempt may cost, as the executor says (0 when it does not say)."""
        fn = getattr(self.inner, "worst_case_usd", None)
        if fn is None:
            return 0.0
        value = fn(request)
        if inspect.isawaitable(value):
            value = await value
        return max(0.0, float(value))

    def _from_cache(self, hit: Mapping[str, Any], request: Request, started_at: float) -> Call:
        failed = bool(hit.get("failed"))
        ttft = hit.get("ttft_s")
        return Call(
            executor=self.name,
            model=str(hit.get("model", "")),
            text=str(hit.get("text", "")),
            tokens_in=int(hit.get("tokens_in", 0)),
            tokens_out=int(hit.get("tokens_out", 0)),
            cache_read_tokens=int(hit.get("cache_read_tokens", 0)),
            reasoning_tokens=int(hit.get("reasoning_tokens", 0)),
            cost_usd=float(hit.get("cost_usd", 0.0)),
            billed_usd=0.0,
            service_s=float(hit.get("service_s", 0.0)),
            ttft_s=float(ttft) if isinstance(ttft, int | float) else None,
            error=str(hit.get("error") or "failed") if failed else None,
            declined=bool(hit.get("declined", False)),
            cached=True,
            attempts=0,
            task_id=request.task_id,
            step=request.step,
            started_at=started_at,
            ended_at=time.time(),
        )


def _stored(call: Call) -> dict[str, Any]:
    return {
        "text": call.text,
        "tokens_in": call.tokens_in,
        "tokens_out": call.tokens_out,
        "cache_read_tokens": call.cache_read_tokens,
        "reasoning_tokens": call.reasoning_tokens,
        "service_s": call.service_s,
        "ttft_s": call.ttft_s,
        "cost_usd": call.cost_usd,
        "declined": call.declined,
        "model": call.model,
        "executor": call.executor,
    }


def backoff(ctx: ExecutionContext, attempt_no: int, retry_after: float | None) -> float:
    """``backoff_base_s * 2**attempt`` capped, with jitter, and at least ``Retry-After``."""
    base = min(ctx.backoff_max_s, ctx.backoff_base_s * (2.0**attempt_no))
    delay = base * (0.5 + random.random() / 2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


async def answer_as_fallback(registry: Mapping[str, Executor], name: str, request: Request) -> Call:
    """Executor ``name`` answering as a fallback: no fallbacks of its own, no hook."""
    target = registry[name]
    respond = getattr(target, "respond", None)
    if respond is not None:
        call: Call = await respond(request)
        return call
    return await target.complete(request)


async def try_fallbacks(
    owner: str,
    fallbacks: Sequence[str],
    registry: Mapping[str, Executor],
    request: Request,
    failed: Call,
) -> Call:
    """Try ``fallbacks`` in order after ``owner`` failed; the answer records
    ``fallback_from`` and carries the failed attempts' cost and time."""
    errors = [f"{owner}: {failed.error}"]
    spent = failed
    for name in fallbacks:
        try:
            call = await answer_as_fallback(registry, name, request)
        except BudgetExceeded as exc:
            if spent.attempts == 0 and spent.billed_usd == 0:
                raise  # nothing was called at all: the call was not made
            # attempts were made (and maybe billed): keep them on the record
            errors.append(f"{name}: {exc}")
            return replace(spent, error=" | ".join(errors), fallback_from=owner)
        merged = replace(
            call,
            cost_usd=call.cost_usd + spent.cost_usd,
            billed_usd=call.billed_usd + spent.billed_usd,
            queue_s=call.queue_s + spent.queue_s,
            service_s=call.service_s + spent.service_s,
            attempts=call.attempts + spent.attempts,
            fallback_from=owner,
            started_at=failed.started_at,
        )
        if call.ok:
            return merged
        errors.append(f"{name}: {call.error or 'declined'}")
        spent = merged
    return replace(spent, error=" | ".join(errors), fallback_from=owner)
