"""Building executors from their configs, with the run's shared context."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from toolkit._errors import InputError
from toolkit._types import Call, Executor, Request
from toolkit.models._budget import Budget
from toolkit.models._cache import ResponseCache
from toolkit.models._config import ExecutorConfig
from toolkit.models._failures import NeedsLocalServer, ProviderError
from toolkit.models._knob import resolve_model
from toolkit.models._llm import LOCAL_PREFIX, LLMExecutor, ProviderSlots
from toolkit.models._prices import PriceTable
from toolkit.models._specialist import SpecialistExecutor
from toolkit.models._tool import ToolExecutor


@dataclass
class ExecutionContext:
    """What every executor of a run shares: prices, cache, replay, budget and limits.

    ``env`` is where the knob is read (None: ``os.environ``). Backoff between retries is
    ``backoff_base_s * 2**attempt`` (capped at ``backoff_max_s``) with jitter, and at least the
    provider's ``Retry-After``; a ``Retry-After`` above ``max_retry_after_s`` counts as down.
    """

    prices: PriceTable = field(default_factory=PriceTable)
    cache: ResponseCache | None = None
    replay: bool = False
    budget: Budget | None = None
    default_concurrency: int = 8
    on_call: Callable[[Call], None] | None = None
    env: Mapping[str, str] | None = None
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    max_retry_after_s: float = 120.0


def local_models(
    configs: Iterable[ExecutorConfig],
    env: Mapping[str, str] | None = None,
    extra_models: Iterable[str] = (),
) -> set[str]:
    """The ``local/<alias>`` models a run of these executors sends to the local server.

    Those of the LLM executors without their own ``api_base`` (knob included), and those
    ``extra_models`` (e.g. per-task overrides) name.
    """
    found = {m for m in extra_models if m.startswith(LOCAL_PREFIX)}
    blank = Request(task_id="", prompt="")
    for c in configs:
        if not c.is_llm or c.kind == "cli" or (c.kind == "local" and c.api_base):
            continue
        model = resolve_model(c, blank, env)
        if model.startswith(LOCAL_PREFIX):
            found.add(model)
    return found


def uses_local_server(
    configs: Iterable[ExecutorConfig],
    env: Mapping[str, str] | None = None,
    extra_models: Iterable[str] = (),
) -> bool:
    """True when a run of these executors needs the local llama.cpp server started
    (``local_models`` finds one)."""
    return bool(local_models(configs, env, extra_models))


def build_executors(
    configs: Sequence[ExecutorConfig],
    ctx: ExecutionContext,
    *,
    local_url: str | None = None,
) -> dict[str, Executor]:
    """Executors by name, each LLM one wrapped with the knob, cache, replay, budget,
    retries, concurrency and rpm limits and its fallback chain.

    Raises InputError for duplicate names, unknown fallbacks and unpriced models.
    """
    problems: list[str] = []
    names = [c.name for c in configs]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"executors: name {name!r} is used more than once")
    known = set(names)
    for c in configs:
        for fb in c.fallbacks:
            if fb not in known:
                problems.append(
                    f"executors: {c.name!r}: fallbacks: no executor named {fb!r} "
                    f"(known: {', '.join(sorted(known))})"
                )
    if problems:
        raise InputError(problems[0], problems)

    registry: dict[str, Executor] = {}
    slots = ProviderSlots(default=ctx.default_concurrency)
    blank = Request(task_id="", prompt="")
    for c in configs:
        if c.kind == "tool":
            registry[c.name] = ToolExecutor(c, ctx.on_call)
        elif c.kind == "specialist":
            spec = SpecialistExecutor(c, ctx.on_call)
            spec.load()  # a missing or foreign file is an input error now, not mid-run
            registry[c.name] = spec
        else:
            ex = LLMExecutor(c, ctx, local_url=local_url, slots=slots, registry=registry)
            model = resolve_model(c, blank, ex.env)
            ex.pricing(model)  # an unpriced model fails here, before any call
            if c.concurrency is not None:
                try:
                    provider = ex.route(model, c.profile.mode).provider
                except NeedsLocalServer:
                    provider = "local"
                except ProviderError:  # e.g. a missing key: the limit applies by model prefix
                    provider = model.split("/", 1)[0]
                slots.limits[provider] = min(
                    c.concurrency, slots.limits.get(provider, c.concurrency)
                )
            registry[c.name] = ex
    return registry


def attach_local_server(executors: Mapping[str, Executor], url: str | None) -> None:
    """Point the LLM executors built without one at the local server now at ``url``."""
    if url is None:
        return
    for ex in executors.values():
        if isinstance(ex, LLMExecutor):
            ex.local_url = url
