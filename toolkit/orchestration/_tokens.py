"""Token counts and context windows of the model a step goes to.

Counts come from the model's own tokenizer where one is available:

- the local llama.cpp server's tokenizer (``POST /extras/tokenize/count``) for models it
  serves (``local/<alias>``, e.g. Gemma 3 270M);
- ``litellm.token_counter`` for cloud model names (offline for OpenAI and Anthropic names);
- otherwise ``ceil(chars / 4)``, which is labelled ``approx:chars/4`` wherever it is recorded.

The context window comes from the spec (``compression.context_windows``), else the model
registry (litellm's cost map plus the prices TOML), else the local server's ``n_ctx``.
"""

from __future__ import annotations

import asyncio
import json
import math
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from toolkit._errors import ToolkitError
from toolkit._types import Executor, Request
from toolkit.strategies import unwrap

LOCAL_PREFIX = "local/"


class TokenCountError(ToolkitError):
    """A tokenizer could not count (e.g. the local server did not answer)."""


class TokenCounter(Protocol):
    """Counts the tokens of a text with one model's tokenizer. ``label`` names it in traces."""

    label: str

    async def count(self, text: str) -> int:
        """The number of tokens in ``text``."""
        ...


class LiteLLMCounter:
    """``litellm.token_counter`` for a cloud model name (works offline for OpenAI/Anthropic)."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.label = f"litellm:{model}"

    async def count(self, text: str) -> int:
        from toolkit.models import import_litellm

        litellm = import_litellm()
        try:
            return int(litellm.token_counter(model=self.model, text=text))
        except Exception as exc:  # litellm raises many types; say which model failed
            raise TokenCountError(
                f"litellm.token_counter cannot count for model {self.model!r}: {exc}"
            ) from exc


class LocalServerCounter:
    """The llama.cpp server's own tokenizer (``/extras/tokenize/count``)."""

    def __init__(self, base_url: str, alias: str | None = None, timeout_s: float = 10.0) -> None:
        root = base_url.rstrip("/")
        self.root = root[: -len("/v1")] if root.endswith("/v1") else root
        self.alias = alias
        self.timeout_s = timeout_s
        self.label = f"llama.cpp:{self.root}/extras/tokenize"

    def _count_sync(self, text: str) -> int:
        body: dict[str, Any] = {"input": text}
        if self.alias:
            body["model"] = self.alias
        req = urllib.request.Request(
            f"{self.root}/extras/tokenize/count",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                data = json.loads(resp.read())
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise TokenCountError(
                f"the local server at {self.root} did not count tokens: {exc}"
            ) from exc
        count = data.get("count") if isinstance(data, dict) else None
        if not isinstance(count, int):
            raise TokenCountError(f"the local server at {self.root} answered {data!r}, no count")
        return count

    async def count(self, text: str) -> int:
        return await asyncio.to_thread(self._count_sync, text)


class ApproxCounter:
    """``ceil(chars / 4)``: only when no tokenizer is known; labelled as an approximation."""

    label = "approx:chars/4"

    async def count(self, text: str) -> int:
        return math.ceil(len(text) / 4)


def parse_tokenizer(spec: str) -> TokenCounter:
    """A counter from a spec string: ``litellm:<model>``, ``local:<url>`` or ``approx``."""
    if spec == "approx":
        return ApproxCounter()
    kind, _, rest = spec.partition(":")
    if kind == "litellm" and rest:
        return LiteLLMCounter(rest)
    if kind == "local" and rest:
        return LocalServerCounter(rest)
    raise ValueError(
        f"unknown tokenizer {spec!r}; use 'litellm:<model>', 'local:<server url>' or 'approx'"
    )


@dataclass(frozen=True)
class ModelWindow:
    """The model a step's request goes to, its context window and its tokenizer."""

    executor: str
    model: str
    context_window: int
    counter: TokenCounter
    source: str


def executor_config(executor: Executor, configs: Mapping[str, Any] | None = None) -> Any:
    """The executor's :class:`~toolkit.models.ExecutorConfig` (None when unknown)."""
    from toolkit.models import ExecutorConfig

    if configs is not None:
        found = configs.get(executor.name)
        if isinstance(found, ExecutorConfig):
            return found
    cfg = unwrap(executor, "config")
    return cfg if isinstance(cfg, ExecutorConfig) else None


def model_window(
    executor: Executor,
    request: Request,
    *,
    context_windows: Mapping[str, int],
    tokenizers: Mapping[str, str],
    local_n_ctx: int,
    configs: Mapping[str, Any] | None = None,
    prices: Any = None,
) -> ModelWindow | str:
    """What :func:`compress_step` needs about the model ``request`` goes to, or why it is
    not known (a string; the step then runs uncompressed and the reason is recorded).

    Specialist and tool executors are not language models: they have no context window.
    """
    name = executor.name
    override_window = context_windows.get(name)
    override_tok = tokenizers.get(name)
    cfg = executor_config(executor, configs)
    if cfg is None:
        if override_window is None:
            return (
                f"executor {name!r}: context window unknown (not a configured model); set "
                f"compression.context_windows.{name}"
            )
        given = parse_tokenizer(override_tok) if override_tok else ApproxCounter()
        return ModelWindow(name, "", override_window, given, "spec")
    if not cfg.is_llm:
        return f"executor {name!r} is a {cfg.kind} executor, not a language model"
    from toolkit.models import PriceTable, resolve_model

    env = unwrap(executor, "env")
    model = resolve_model(cfg, request, env if isinstance(env, Mapping) else None)
    counter: TokenCounter
    if override_tok:
        counter = parse_tokenizer(override_tok)
    elif model.startswith(LOCAL_PREFIX):
        counter = _local_counter(executor, model, cfg)
    else:
        counter = LiteLLMCounter(model)
    if override_window is not None:
        return ModelWindow(name, model, override_window, counter, "spec")
    if model.startswith(LOCAL_PREFIX):
        return ModelWindow(name, model, local_n_ctx, counter, "local server n_ctx")
    table = prices
    if table is None:
        table = getattr(unwrap(executor, "ctx"), "prices", None)
    if not isinstance(table, PriceTable):
        table = PriceTable()
    window = table.spec(model).context_window
    if window is None:
        return (
            f"executor {name!r}: the registry has no context window for model {model!r}; set "
            f"compression.context_windows.{name}"
        )
    return ModelWindow(name, model, int(window), counter, "model registry")


def _local_counter(executor: Executor, model: str, cfg: Any) -> TokenCounter:
    """The local server's tokenizer for ``model`` (``local/<alias>``), via the executor's route."""
    route = unwrap(executor, "route")
    alias = model[len(LOCAL_PREFIX) :]
    if callable(route):
        try:
            r = route(model, cfg.profile.mode)
        except ToolkitError:  # no server address known: counted approximately, and labelled
            return ApproxCounter()
        base = getattr(r, "api_base", None)
        if isinstance(base, str) and base:
            return LocalServerCounter(base, alias)
    return ApproxCounter()
