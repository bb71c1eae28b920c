"""Building executors from their configs, with the run's shared context."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from toolkit._errors import InputError, ToolkitError
from toolkit._redact import register_config_secrets, register_secret
from toolkit._types import Call, Executor, Request
from toolkit.models._budget import Budget, CallLedger
from toolkit.models._cache import ResponseCache
from toolkit.models._config import ExecutorBase, ExecutorConfig
from toolkit.models._failures import NeedsLocalServer, ProviderError
from toolkit.models._knob import resolve_model
from toolkit.models._llm import LOCAL_PREFIX, LLMExecutor
from toolkit.models._policies import PolicyExecutor, ProviderSlots
from toolkit.models._prices import PriceTable
from toolkit.models._specialist import SpecialistExecutor
from toolkit.models._tool import ToolExecutor
from toolkit.registry import REGISTRY, executor


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
    #: where each provider call is written down before it is sent (a run's intents file)
    ledger: CallLedger | None = None
    env: Mapping[str, str] | None = None
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    max_retry_after_s: float = 120.0
    #: executors built only to plan and price calls (a dry run): a specialist's missing model
    #: file is allowed there, since planning never loads it
    plan_only: bool = False


def local_models(
    configs: Iterable[ExecutorBase],
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
        if not isinstance(c, ExecutorConfig) or not c.is_llm or c.kind == "cli":
            continue
        if c.kind == "local" and c.api_base:
            continue
        model = resolve_model(c, blank, env)
        if model.startswith(LOCAL_PREFIX):
            found.add(model)
    return found


def uses_local_server(
    configs: Iterable[ExecutorBase],
    env: Mapping[str, str] | None = None,
    extra_models: Iterable[str] = (),
) -> bool:
    """True when a run of these executors needs the local llama.cpp server started
    (``local_models`` finds one)."""
    return bool(local_models(configs, env, extra_models))


def register_executor_secrets(config: ExecutorBase, env: Mapping[str, str] | None = None) -> None:
    """Mask this executor's credentials in everything written from now on, whatever their
    variables are called: the value of ``api_key_env`` (and of a CLI command's
    ``--api-key-env NAME``), a password in ``api_base``, secret-named fields of the profile's
    ``extra``."""
    environ = os.environ if env is None else env
    if not isinstance(config, ExecutorConfig):
        return
    names = [config.api_key_env] if config.api_key_env else []
    command = config.command or []
    names += [b for a, b in pairwise(command) if a == "--api-key-env"]
    for name in names:
        register_secret(environ.get(name))
    register_config_secrets(None, config.api_base, config.profile.extra)


def build_executors(
    configs: Sequence[ExecutorBase],
    ctx: ExecutionContext,
    *,
    local_url: str | None = None,
) -> dict[str, Executor]:
    """Executors by name, each built by its registered kind and wrapped with the knob (LLM
    kinds), cache, replay, budget, retries, concurrency and rpm limits and its fallbacks.

    Raises InputError for duplicate names, unknown kinds, unknown fallbacks and unpriced
    models.
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

    for c in configs:
        register_executor_secrets(c)
    registry: dict[str, Executor] = {}
    build = BuildContext(ctx, ProviderSlots(default=ctx.default_concurrency), registry, local_url)
    for c in configs:
        entry = REGISTRY.get("executor", c.kind)
        if entry.option("own_policies", False):
            registry[c.name] = entry.obj(c, context=build)
            continue
        try:
            inner = entry.obj(c)
        except ToolkitError:
            raise
        except Exception as exc:  # a plugin factory's bug, located at its executor
            raise InputError(
                f"executors: {c.name!r}: the {c.kind!r} factory ({entry.source}) failed: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        if c.concurrency is not None:
            build.slots.limits[f"executor:{c.name}"] = c.concurrency
        registry[c.name] = PolicyExecutor(inner, c, ctx, slots=build.slots, registry=registry)
    return registry


@dataclass(frozen=True)
class BuildContext:
    """What an executor factory that applies the run's policies itself is given."""

    ctx: ExecutionContext
    slots: ProviderSlots
    registry: Mapping[str, Executor]
    local_url: str | None


@executor("litellm", config=ExecutorConfig, own_policies=True)
@executor("local", config=ExecutorConfig, own_policies=True)
@executor("cli", config=ExecutorConfig, own_policies=True)
def llm_executor(c: ExecutorConfig, *, context: BuildContext) -> Executor:
    """A language model through litellm, the local server or a CLI tool."""
    ex = LLMExecutor(
        c, context.ctx, local_url=context.local_url, slots=context.slots, registry=context.registry
    )
    model = resolve_model(c, Request(task_id="", prompt=""), ex.env)
    ex.pricing(model)  # an unpriced model fails here, before any call
    if c.concurrency is not None:
        try:
            provider = ex.route(model, c.profile.mode).provider
        except NeedsLocalServer:
            provider = "local"
        except ProviderError:  # e.g. a missing key: the limit applies by model prefix
            provider = model.split("/", 1)[0]
        limits = context.slots.limits
        limits[provider] = min(c.concurrency, limits.get(provider, c.concurrency))
    return ex


@executor("tool", config=ExecutorConfig, own_policies=True)
def tool_executor(c: ExecutorConfig, *, context: BuildContext) -> Executor:
    """A deterministic tool: arithmetic or a regular-expression extractor."""
    return ToolExecutor(c, context.ctx.on_call)


@executor("specialist", config=ExecutorConfig, own_policies=True)
def specialist_executor(c: ExecutorConfig, *, context: BuildContext) -> Executor:
    """A TF-IDF text classifier read from its safe archive (a pickle only with the opt-in)."""
    spec = SpecialistExecutor(c, context.ctx.on_call)
    # a missing or foreign file is an input error now, not mid-run; a dry run plans its
    # calls, free, and never loads a model file (it only refuses a pickle without opt-in)
    if not context.ctx.plan_only:
        spec.load()
    elif spec.path.is_file():
        spec.check_file()
    return spec


def attach_local_server(executors: Mapping[str, Executor], url: str | None) -> None:
    """Point the LLM executors built without one at the local server now at ``url``."""
    if url is None:
        return
    for ex in executors.values():
        if isinstance(ex, LLMExecutor):
            ex.local_url = url
