"""LLM executors (litellm, local server, CLI tool), wrapped with everything a live run needs.

One call (``complete``) goes: resolve the model (the knob) -> cache lookup -> replay check ->
for each attempt: budget reservation -> rpm limiter -> provider concurrency slot -> the
provider -> settle the budget; retry with exponential backoff and jitter, honouring
``Retry-After``; when still failing, the executor's fallbacks are tried in order.

Timing: ``service_s`` is time spent in provider calls (all attempts); ``queue_s`` is every
other wait (a concurrency slot, the rpm limiter, backoff between retries).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import math
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from toolkit._errors import BudgetExceeded, ReplayMiss, scrub_surrogates
from toolkit._types import Call, Executor, Request
from toolkit.models._budget import CallLedger, Reservation, Sending
from toolkit.models._cache import ResponseCache
from toolkit.models._config import ExecutorConfig
from toolkit.models._failures import NeedsLocalServer, ProviderError, classify
from toolkit.models._knob import RESOLVED_MODEL_ENV, resolve_model
from toolkit.models._litellm import (
    import_litellm,
    inline_prep,
    inline_prep_allowed,
    text_completion_client,
)
from toolkit.models._policies import (
    ProviderSlots,
    RateLimiter,
    answer_as_fallback,
    backoff,
    try_fallbacks,
)
from toolkit.models._prices import ModelPrice, UnpricedModelError
from toolkit.models._prompt import payload_text, render_payload, render_settings

if TYPE_CHECKING:
    from toolkit.models._build import ExecutionContext

LOCAL_PREFIX = "local/"
#: Reservation margin on counted prompt tokens (token counters are approximations).
PROMPT_MARGIN = 1.1
PROMPT_OVERHEAD_TOKENS = 16
#: The first-call service-time bound of a model priced by compute time (a local server), before
#: any call was measured: prompt tokens at PROMPT_S_PER_TOKEN, max_tokens at GEN_S_PER_TOKEN,
#: plus START_S (100 prompt and 20 generated tokens a second: slower than Gemma 3 270M on two
#: cores, about 150 and 60). Later calls scale it by the slowest pace measured so far, times
#: PACE_MARGIN; never above the timeout.
PROMPT_S_PER_TOKEN = 0.01
GEN_S_PER_TOKEN = 0.05
START_S = 0.5
PACE_MARGIN = 2.0
#: Settings that shape the call but are not generation parameters sent to the provider.
_NOT_SENT = frozenset({"mode", "stream", "sample", "json_schema"})


@dataclass(frozen=True)
class Attempt:
    """What one successful provider call returned.

    A lone surrogate escape in the text (JSON allows ``\\udfff``; UTF-8 cannot hold it) is
    replaced by U+FFFD, so that the paid answer can always be recorded.
    """

    text: str
    tokens_in: int
    tokens_out: int
    cache_read_tokens: int = 0
    reasoning_tokens: int = 0
    ttft_s: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", scrub_surrogates(self.text))


@dataclass(frozen=True)
class Route:
    """Where a resolved model is sent: the litellm model string, server and key."""

    litellm_model: str
    api_base: str | None
    api_key: str | None
    local: bool
    provider: str
    #: litellm may prepare the request on the event loop (see ``toolkit.models._litellm``)
    inline_prep: bool = False


@dataclass(frozen=True)
class Pricing:
    """How a call is priced: per token (``price``) or by compute time (``hourly_rate_usd``)."""

    price: ModelPrice | None
    hourly_rate_usd: float = 0.0

    def cost(self, tokens_in: int, tokens_out: int, cache_read: int, service_s: float) -> float:
        if self.price is not None:
            return self.price.cost(tokens_in, tokens_out, cache_read)
        return service_s * self.hourly_rate_usd / 3600.0


def _paced_seconds(tokens_in: int, tokens_out: int) -> float:
    """Service seconds at the first-call bound's speeds."""
    return START_S + tokens_in * PROMPT_S_PER_TOKEN + tokens_out * GEN_S_PER_TOKEN


@dataclass
class _Tally:
    """Running totals of one logical call across attempts."""

    attempts: int = 0
    queue_s: float = 0.0
    service_s: float = 0.0
    cost_usd: float = 0.0
    errors: list[str] = field(default_factory=list)


def _usage_int(obj: Any, *names: str) -> int:
    for name in names:
        v = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return int(v)
    return 0


def _local_json_mode(kwargs: dict[str, Any], settings: Mapping[str, Any]) -> None:
    """Constrain the llama.cpp server's output to a JSON schema.

    Its chat endpoint takes ``{"type": "json_object", "schema": ...}`` (not OpenAI's
    ``json_schema`` type); its completion endpoint takes a GBNF grammar made from the schema.
    """
    fmt = kwargs.get("response_format")
    if isinstance(fmt, Mapping) and fmt.get("type") == "json_schema":
        schema = fmt.get("json_schema", {}).get("schema", {})
        kwargs["response_format"] = {"type": "json_object", "schema": schema}
    elif settings.get("json_schema") is not None:
        from llama_cpp.llama_grammar import json_schema_to_gbnf

        grammar = json_schema_to_gbnf(json.dumps(settings["json_schema"]))
        kwargs["extra_body"] = {**kwargs.get("extra_body", {}), "grammar": grammar}


def _usage_plausible(attempt: Attempt) -> bool:
    """False when the provider's usage is missing or cannot be right (negative counts, no
    prompt tokens, or an answer with no output tokens)."""
    counts = (attempt.tokens_in, attempt.tokens_out, attempt.cache_read_tokens)
    if min(counts) < 0 or attempt.reasoning_tokens < 0 or attempt.tokens_in == 0:
        return False
    return not (attempt.text and attempt.tokens_out == 0)


def _usage_counts(usage: Any) -> tuple[int, int, int, int]:
    """(tokens_in, tokens_out, cache_read, reasoning) from a litellm usage object."""
    if usage is None:
        return 0, 0, 0, 0
    tin = _usage_int(usage, "prompt_tokens", "input_tokens")
    tout = _usage_int(usage, "completion_tokens", "output_tokens")
    details = getattr(usage, "prompt_tokens_details", None)
    cache = _usage_int(details, "cached_tokens") if details is not None else 0
    cache = cache or _usage_int(usage, "cache_read_input_tokens")
    cdetails = getattr(usage, "completion_tokens_details", None)
    reasoning = _usage_int(cdetails, "reasoning_tokens") if cdetails is not None else 0
    return tin, tout, cache, reasoning


@functools.lru_cache(maxsize=256)
def _litellm_provider(model: str) -> str:
    """litellm's provider for a model string (``gpt-4o-mini`` -> ``openai``)."""
    try:
        return str(import_litellm().get_llm_provider(model)[1])
    except Exception:  # unknown to litellm: group by prefix; the call will say why
        return model.split("/", 1)[0] if "/" in model else model


class LLMExecutor:
    """An executor backed by a language model: kinds ``litellm``, ``local`` and ``cli``."""

    def __init__(
        self,
        config: ExecutorConfig,
        ctx: ExecutionContext,
        *,
        local_url: str | None,
        slots: ProviderSlots,
        registry: Mapping[str, Executor],
    ) -> None:
        self.name = config.name
        self.config = config
        self.ctx = ctx
        self.local_url = local_url
        self.slots = slots
        self.registry = registry
        self.rpm = RateLimiter(config.rpm) if config.rpm else None
        self.identity = self._identity()
        #: the slowest measured service time relative to the first-call bound's speeds
        self.pace: float | None = None

    def _identity(self) -> str:
        c = self.config
        if c.kind == "cli":
            return f"cli:{c.name}:{' '.join(c.command or [])}"
        return f"{c.kind}:{c.name}"

    @property
    def env(self) -> Mapping[str, str]:
        return os.environ if self.ctx.env is None else self.ctx.env

    # -- routing and pricing ---------------------------------------------------------------

    def is_local_model(self, model: str) -> bool:
        """True when ``model`` is served by the toolkit's local llama.cpp server."""
        return model.startswith(LOCAL_PREFIX)

    def route(self, model: str, mode: str) -> Route:
        """Where a call to ``model`` goes (raises NeedsLocalServer without a local address)."""
        c = self.config
        if self.is_local_model(model):
            alias = model[len(LOCAL_PREFIX) :]
            url = (c.api_base if c.kind == "local" else None) or self.local_url
            url = url or self.env.get("TOOLKIT_LOCAL_URL") or None
            if not url:
                raise NeedsLocalServer(
                    f"executor {c.name!r}: model {model!r} is served by the local server, but "
                    "none is running: let the runner start it, start one with `toolkit "
                    "serve-local` and set TOOLKIT_LOCAL_URL, or pass local_url"
                )
            prefix = "text-completion-openai/" if mode == "completion" else "openai/"
            inline = inline_prep_allowed(prefix.rstrip("/"), self.env)
            return Route(prefix + alias, url, "none", True, "local", inline)
        api_base = c.api_base if c.kind == "litellm" else None
        key: str | None = None
        if c.api_key_env:
            key = self.env.get(c.api_key_env)
            if not key:
                raise ProviderError(
                    f"executor {c.name!r}: environment variable {c.api_key_env} (api_key_env) "
                    "is not set; export the key there"
                )
        elif api_base:
            key = "none"  # OpenAI-compatible servers need some key
        lm = model
        if mode == "completion" and api_base and model.startswith("openai/"):
            lm = "text-completion-openai/" + model[len("openai/") :]
        litellm_provider = _litellm_provider(lm)
        inline = inline_prep_allowed(litellm_provider, self.env)
        return Route(lm, api_base, key, False, api_base or litellm_provider, inline)

    def pricing(self, model: str) -> Pricing:
        """How calls to ``model`` are priced; raises UnpricedModelError when it cannot be."""
        c, prices = self.config, self.ctx.prices
        found = prices.find(model)
        if found is not None:
            return Pricing(prices.record_per_token(model, found))
        if self.is_local_model(model) or (
            c.hourly_rate_set and (c.kind == "cli" or (c.kind == "litellm" and c.api_base))
        ):
            prices.record_hourly(model, c.name, c.hourly_rate_usd)
            return Pricing(None, c.hourly_rate_usd)
        raise UnpricedModelError(model, f"executor {c.name!r}")

    # -- token counting --------------------------------------------------------------------

    async def count_tokens(self, model: str, route: Route | None, payload: dict[str, Any]) -> int:
        """Prompt tokens: the local server's tokenizer, litellm's counter, else chars / 4."""
        text = payload_text(payload)
        if route is not None and route.local and route.api_base:
            n = await _local_token_count(route.api_base, model[len(LOCAL_PREFIX) :], text)
            if n is not None:
                return n
            return math.ceil(len(text) / 4)
        litellm = import_litellm()
        try:
            if "messages" in payload:
                return int(litellm.token_counter(model=model, messages=payload["messages"]))
            return int(litellm.token_counter(model=model, text=text))
        except Exception:  # no tokenizer for this name: fall back to a cheap estimate
            return math.ceil(len(text) / 4)

    async def worst_case_usd(self, request: Request, *, offline: bool = True) -> float:
        """The most one attempt at ``request`` can cost: prompt tokens + max_tokens, or
        the timeout at the hourly rate. ``offline`` avoids asking a server to count."""
        model = resolve_model(self.config, request, self.env)
        pricing = self.pricing(model)
        payload = render_payload(self.config.profile, request)
        settings = render_settings(self.config.profile, request)
        route = None if offline else self._route_or_none(model, settings)
        return await self._worst_case(model, route, payload, settings, pricing)

    def _route_or_none(self, model: str, settings: Mapping[str, Any]) -> Route | None:
        try:
            return self.route(model, str(settings.get("mode", "chat")))
        except (NeedsLocalServer, ProviderError):
            return None

    async def _worst_case(
        self,
        model: str,
        route: Route | None,
        payload: dict[str, Any],
        settings: Mapping[str, Any],
        pricing: Pricing,
    ) -> float:
        prompt = await self.count_tokens(model, route, payload)
        tin = math.ceil(prompt * PROMPT_MARGIN) + PROMPT_OVERHEAD_TOKENS
        max_out = int(settings.get("max_tokens", self.config.profile.max_tokens))
        if pricing.price is None:  # compute time: a bound from the speeds measured so far
            scale = 1.0 if self.pace is None else self.pace * PACE_MARGIN
            bound_s = min(self.config.timeout_s, _paced_seconds(tin, max_out) * scale)
            return bound_s * pricing.hourly_rate_usd / 3600.0
        return pricing.price.cost(tin, max_out)

    def _measured(self, pricing: Pricing, result: Attempt, took: float) -> None:
        """Learn the pace of a compute-time-priced model from one answered attempt."""
        if pricing.price is None and took > 0:
            pace = took / _paced_seconds(result.tokens_in, result.tokens_out)
            self.pace = pace if self.pace is None else max(self.pace, pace)

    # -- one attempt -----------------------------------------------------------------------

    async def _attempt(
        self, model: str, route: Route, payload: dict[str, Any], settings: Mapping[str, Any]
    ) -> Attempt:
        if self.config.kind == "cli":
            return await self._attempt_cli(model, payload)
        attempt = await self._attempt_litellm(route, payload, settings)
        if _usage_plausible(attempt):
            return attempt
        # A missing or nonsense usage block: the provider still did the work, so count the
        # tokens ourselves rather than bill 0 (or a negative amount).
        tin = await self.count_tokens(model, route, payload)
        tout = self._count_text_tokens(model, attempt.text)
        return replace(
            attempt,
            tokens_in=tin,
            tokens_out=tout,
            cache_read_tokens=max(0, attempt.cache_read_tokens),
            reasoning_tokens=max(0, attempt.reasoning_tokens),
        )

    @staticmethod
    def _count_text_tokens(model: str, text: str) -> int:
        if not text:
            return 0
        litellm = import_litellm()
        try:
            return int(litellm.token_counter(model=model, text=text))
        except Exception:  # no tokenizer for this name: a cheap estimate
            return math.ceil(len(text) / 4)

    async def _attempt_litellm(
        self, route: Route, payload: dict[str, Any], settings: Mapping[str, Any]
    ) -> Attempt:
        litellm = import_litellm()
        kwargs: dict[str, Any] = {k: v for k, v in settings.items() if k not in _NOT_SENT}
        kwargs.update(
            model=route.litellm_model,
            timeout=self.config.timeout_s,
            max_retries=0,  # retries are ours, so they are counted and honour Retry-After
        )
        if route.api_base:
            kwargs["api_base"] = route.api_base
        if route.api_key:
            kwargs["api_key"] = route.api_key
        if route.api_base and route.litellm_model.startswith("text-completion-openai/"):
            kwargs["client"] = text_completion_client(
                route.api_base, route.api_key or "none", self.config.timeout_s
            )
        if route.local:
            _local_json_mode(kwargs, settings)
        stream = bool(settings.get("stream", False))
        chat = "messages" in payload
        fn = litellm.acompletion if chat else litellm.atext_completion
        kwargs.update(payload)
        if stream:
            kwargs.update(stream=True, stream_options={"include_usage": True})
        start = time.monotonic()
        try:
            # asyncio.timeout rather than wait_for: no extra task per call (same TimeoutError)
            with inline_prep(route.inline_prep):
                async with asyncio.timeout(self.config.timeout_s + 5.0):
                    resp = await fn(**kwargs)
            if stream:
                async with asyncio.timeout(self.config.timeout_s + 5.0):
                    return await _consume_stream(resp, chat, start)
        except ProviderError:
            raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every provider failure is recorded in Call.error
            raise classify(exc) from exc
        choice = resp.choices[0] if resp.choices else None
        if chat:
            text = getattr(getattr(choice, "message", None), "content", None) or ""
        else:
            text = getattr(choice, "text", None) or ""
        tin, tout, cache, reasoning = _usage_counts(getattr(resp, "usage", None))
        return Attempt(str(text), tin, tout, cache, reasoning)

    async def _attempt_cli(self, model: str, payload: dict[str, Any]) -> Attempt:
        command = self.config.command or []
        prompt = payload_text(payload)
        as_arg = any("{prompt}" in a for a in command)
        argv = [a.replace("{model}", model).replace("{prompt}", prompt) for a in command]
        env = {**os.environ, **self.env, RESOLVED_MODEL_ENV: model}
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL if as_arg else asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise ProviderError(
                f"executor {self.name!r}: cannot run {argv[0]!r}: {exc.strerror or exc}"
            ) from exc
        try:
            out, err = await asyncio.wait_for(
                proc.communicate(None if as_arg else prompt.encode("utf-8")),
                self.config.timeout_s,
            )
        except (TimeoutError, asyncio.CancelledError) as exc:
            _kill_group(proc.pid)
            await proc.wait()
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise ProviderError(
                f"executor {self.name!r}: command timed out after {self.config.timeout_s:g} s",
                retryable=True,
                maybe_billed=True,
            ) from exc
        if proc.returncode != 0:
            tail = err.decode("utf-8", "replace").strip()[-500:]
            raise ProviderError(
                f"executor {self.name!r}: command exited with status {proc.returncode}: {tail}",
                retryable=True,
            )
        text = out.decode("utf-8", "replace").strip()
        count = self._count_text_tokens
        return Attempt(text, count(model, prompt), count(model, text))

    # -- the call --------------------------------------------------------------------------

    async def complete(self, request: Request) -> Call:
        """Answer ``request``; provider failures end in ``Call.error``, never raise."""
        call = await self._complete(request, use_fallbacks=True)
        if self.ctx.on_call is not None:
            self.ctx.on_call(call)
        return call

    async def _complete(self, request: Request, *, use_fallbacks: bool) -> Call:
        started_at = time.time()
        model = resolve_model(self.config, request, self.env)
        payload = render_payload(self.config.profile, request)
        settings = render_settings(self.config.profile, request)
        pricing = self.pricing(model)
        key = ResponseCache.key(self.identity, model, payload, settings)
        cache = self.ctx.cache
        if cache is None or self.ctx.replay:
            return await self._answer(
                request, use_fallbacks, started_at, model, payload, settings, pricing, key
            )
        async with cache.in_flight(key):  # an identical request in flight: wait, then a hit
            return await self._answer(
                request, use_fallbacks, started_at, model, payload, settings, pricing, key
            )

    def _write_intent(
        self,
        ledger: CallLedger,
        request: Request,
        model: str,
        worst: float | None,
        reservation: Reservation | None,
    ) -> int:
        """Write the call down before it is sent; if that fails, it is not sent."""
        sending = Sending(
            task_id=request.task_id,
            step=request.step,
            executor=self.name,
            model=model,
            reserved_usd=worst or 0.0,
        )
        try:
            return ledger.sending(sending)
        except BaseException:
            if reservation is not None and self.ctx.budget is not None:
                self.ctx.budget.release(reservation)
            raise

    async def _answer(
        self,
        request: Request,
        use_fallbacks: bool,
        started_at: float,
        model: str,
        payload: Any,
        settings: Mapping[str, Any],
        pricing: Pricing,
        key: str,
    ) -> Call:
        cache = self.ctx.cache
        recorded_failure: Mapping[str, Any] | None = None
        if cache is not None:
            hit = cache.get(key)
            if hit is not None and not hit.get("failed"):
                return self._from_cache(hit, request, model, pricing, started_at)
            recorded_failure = hit
        if self.ctx.replay:
            miss = ReplayMiss(
                f"replay: no recorded call for task {request.task_id!r} on executor "
                f"{self.name!r} (model {model!r}); run once without --replay to record it"
            )
            if use_fallbacks:  # the recorded run may have been answered by a fallback
                for name in self.config.fallbacks:
                    try:
                        call = await answer_as_fallback(self.registry, name, request)
                    except ReplayMiss:
                        continue
                    if call.ok:
                        return replace(call, fallback_from=self.name)
            if recorded_failure is not None:  # the recorded run failed here: so does replay
                return self._from_cache(recorded_failure, request, model, pricing, started_at)
            raise miss
        tally = _Tally()
        result: Attempt | None = None
        budget_error: BudgetExceeded | None = None
        try:
            route = self.route(model, str(settings.get("mode", "chat")))
        except ProviderError as exc:
            tally.errors.append(str(exc))
            route = None
        worst: float | None = None
        for attempt_no in range(self.config.max_retries + 1):
            if route is None:
                break
            reservation: Reservation | None = None
            # the worst case is needed up front only to hold its place under a cap; without
            # a cap it is worked out when a failure may have been billed (counting the prompt
            # tokens costs about as much as the rest of the toolkit's work on a call)
            capped = self.ctx.budget is not None and self.ctx.budget.cap_usd is not None
            ledger = self.ctx.ledger  # a run writes each call down before it is sent
            if (capped or ledger is not None) and worst is None:
                worst = await self._worst_case(model, route, payload, settings, pricing)
            wait_from = time.monotonic()
            if self.rpm is not None:
                await self.rpm.wait()
            async with self.slots.semaphore(route.provider):
                if self.ctx.budget is not None:
                    what = f"task {request.task_id!r} on executor {self.name!r} ({model})"
                    try:
                        # worst is None only without a cap, where any amount fits
                        held = worst if worst is not None else 0.0
                        reservation = await self.ctx.budget.reserve(held, what)
                    except BudgetExceeded as exc:
                        if tally.attempts == 0:
                            raise
                        budget_error = exc
                        break
                ticket = None
                if ledger is not None:
                    ticket = self._write_intent(ledger, request, model, worst, reservation)
                began = time.monotonic()
                tally.queue_s += began - wait_from
                tally.attempts += 1
                failure: ProviderError | None = None
                try:
                    result = await self._attempt(model, route, payload, settings)
                except ProviderError as exc:
                    failure = exc
                except BaseException:
                    if reservation is not None and self.ctx.budget is not None:
                        if worst is None:  # no cap: count offline (no await suspends here)
                            worst = await self._worst_case(model, None, payload, settings, pricing)
                        self.ctx.budget.settle(reservation, worst)
                    raise
                finally:
                    took = time.monotonic() - began
                    tally.service_s += took
            if result is not None:
                self._measured(pricing, result, took)
                cost = pricing.cost(
                    result.tokens_in, result.tokens_out, result.cache_read_tokens, took
                )
                if reservation is not None and self.ctx.budget is not None:
                    self.ctx.budget.settle(reservation, cost)
                if ledger is not None and ticket is not None:
                    ledger.returned(ticket, cost)
                tally.cost_usd += cost
                if cache is not None:
                    cache.put(
                        key,
                        {
                            "text": result.text,
                            "tokens_in": result.tokens_in,
                            "tokens_out": result.tokens_out,
                            "cache_read_tokens": result.cache_read_tokens,
                            "reasoning_tokens": result.reasoning_tokens,
                            "service_s": took,
                            "ttft_s": result.ttft_s,
                            "cost_usd": cost,
                            "model": model,
                            "executor": self.name,
                        },
                        executor=self.name,
                        model=model,
                    )
                break
            assert failure is not None
            failed_cost = await self._failed_cost(
                failure, took, pricing, reservation, worst, model, route, payload, settings
            )
            if reservation is not None and self.ctx.budget is not None:
                self.ctx.budget.settle(reservation, failed_cost)
            if ledger is not None and ticket is not None:
                ledger.returned(ticket, failed_cost)
            tally.cost_usd += failed_cost
            tally.errors.append(str(failure))
            if not failure.retryable or attempt_no == self.config.max_retries:
                break
            if failure.retry_after is not None and failure.retry_after > self.ctx.max_retry_after_s:
                tally.errors.append(
                    f"provider asked to wait {failure.retry_after:g} s (> {self.ctx.max_retry_after_s:g} s): treated as down"
                )
                break
            delay = backoff(self.ctx, attempt_no, failure.retry_after)
            await asyncio.sleep(delay)
            tally.queue_s += delay
        ended_at = time.time()
        if result is not None:
            return Call(
                executor=self.name,
                model=model,
                text=result.text,
                tokens_in=result.tokens_in,
                tokens_out=result.tokens_out,
                cache_read_tokens=result.cache_read_tokens,
                reasoning_tokens=result.reasoning_tokens,
                cost_usd=tally.cost_usd,
                billed_usd=tally.cost_usd,
                queue_s=tally.queue_s,
                service_s=tally.service_s,
                ttft_s=result.ttft_s,
                attempts=tally.attempts,
                task_id=request.task_id,
                step=request.step,
                started_at=started_at,
                ended_at=ended_at,
            )
        failed = Call(
            executor=self.name,
            model=model,
            text="",
            cost_usd=tally.cost_usd,
            billed_usd=tally.cost_usd,
            queue_s=tally.queue_s,
            service_s=tally.service_s,
            error=" | ".join(tally.errors[-3:]) or "failed",
            attempts=tally.attempts,
            task_id=request.task_id,
            step=request.step,
            started_at=started_at,
            ended_at=ended_at,
        )
        if budget_error is not None:
            return replace(failed, error=f"{failed.error} | {budget_error}")
        if cache is not None and tally.attempts > 0:
            # kept for replay only (live runs call again); never replaces an answer
            cache.put(
                key,
                {
                    "failed": True,
                    "error": failed.error,
                    "cost_usd": failed.cost_usd,
                    "service_s": failed.service_s,
                    "model": model,
                    "executor": self.name,
                },
                executor=self.name,
                model=model,
                replace=False,
            )
        if use_fallbacks and self.config.fallbacks:
            return await try_fallbacks(
                self.name, self.config.fallbacks, self.registry, request, failed
            )
        return failed

    async def respond(self, request: Request) -> Call:
        """The call without fallbacks or the run's hook (how a fallback answers)."""
        return await self._complete(request, use_fallbacks=False)

    async def _failed_cost(
        self,
        failure: ProviderError,
        took: float,
        pricing: Pricing,
        reservation: Reservation | None,
        worst: float | None,
        model: str,
        route: Route,
        payload: dict[str, Any],
        settings: Mapping[str, Any],
    ) -> float:
        """What a failed attempt may have cost: compute time for hourly pricing; the
        reservation (worst case) when the provider may have done the work; else 0."""
        if pricing.price is None:
            return pricing.cost(0, 0, 0, took)
        if not failure.maybe_billed:
            return 0.0
        if reservation is not None and worst is not None:
            return reservation.amount
        if worst is None:
            worst = await self._worst_case(model, route, payload, settings, pricing)
        return worst

    def _from_cache(
        self,
        hit: Mapping[str, Any],
        request: Request,
        model: str,
        pricing: Pricing,
        started_at: float,
    ) -> Call:
        tin, tout = int(hit.get("tokens_in", 0)), int(hit.get("tokens_out", 0))
        cache_read = int(hit.get("cache_read_tokens", 0))
        service = float(hit.get("service_s", 0.0))
        ttft = hit.get("ttft_s")
        failed = bool(hit.get("failed"))
        cost = (
            float(hit.get("cost_usd", 0.0))
            if failed
            else pricing.cost(tin, tout, cache_read, service)
        )
        return Call(
            executor=self.name,
            model=model,
            text=str(hit.get("text", "")),
            tokens_in=tin,
            tokens_out=tout,
            cache_read_tokens=cache_read,
            reasoning_tokens=int(hit.get("reasoning_tokens", 0)),
            cost_usd=cost,
            billed_usd=0.0,
            queue_s=0.0,
            service_s=service,
            ttft_s=float(ttft) if isinstance(ttft, int | float) else None,
            error=str(hit.get("error") or "failed") if failed else None,
            cached=True,
            attempts=0,
            task_id=request.task_id,
            step=request.step,
            started_at=started_at,
            ended_at=time.time(),
        )


async def _consume_stream(resp: Any, chat: bool, start: float) -> Attempt:
    """Read a litellm stream: the text, TTFT (first non-empty piece) and the final usage."""
    parts: list[str] = []
    ttft: float | None = None
    usage: Any = None
    async for chunk in resp:
        u = getattr(chunk, "usage", None)
        if u is not None and _usage_int(u, "prompt_tokens", "completion_tokens"):
            usage = u
        for choice in getattr(chunk, "choices", None) or []:
            piece = (
                getattr(getattr(choice, "delta", None), "content", None)
                if chat
                else getattr(choice, "text", None)
            )
            if piece:
                if ttft is None:
                    ttft = time.monotonic() - start
                parts.append(str(piece))
    tin, tout, cache, reasoning = _usage_counts(usage)
    return Attempt("".join(parts), tin, tout, cache, reasoning, ttft)


async def _local_token_count(api_base: str, alias: str, text: str) -> int | None:
    """Prompt tokens by the llama.cpp server's own tokenizer (None when it cannot say)."""
    import aiohttp

    root = api_base.rstrip("/")
    root = root[: -len("/v1")] if root.endswith("/v1") else root
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.post(
                f"{root}/extras/tokenize/count", json={"input": text, "model": alias}
            ) as r,
        ):
            if r.status != 200:
                return None
            data = await r.json()
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None
    count = data.get("count") if isinstance(data, dict) else None
    return int(count) if isinstance(count, int) else None


def _kill_group(pid: int) -> None:
    """Kill a process group started with ``start_new_session`` (gone already is fine)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
