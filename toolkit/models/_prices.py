"""The model registry: prices, context windows and capabilities of models.

Everything comes from litellm's bundled cost map (``litellm.model_cost``); a user overrides or
adds models in a prices TOML, in USD per million tokens::

    [models."openai/my-finetune"]
    input_per_mtok = 0.30
    output_per_mtok = 1.20
    cache_read_per_mtok = 0.03        # optional
    context_window = 32768            # optional
    capabilities = ["classification"] # optional
    provider = "openai"               # optional

A language model without a known price is an error (:class:`UnpricedModelError`), never $0.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from toolkit._errors import InputError, located
from toolkit.models._litellm import import_litellm

_UNITS = "prices are USD per million tokens"
#: Context windows at or above this many tokens earn the ``long_context`` capability.
LONG_CONTEXT_TOKENS = 200_000

_HOW_TO_PRICE = (
    "add it to a prices TOML in USD per million tokens, e.g.\n"
    '    [models."{model}"]\n'
    "    input_per_mtok = 0.50\n"
    "    output_per_mtok = 1.50\n"
    'and point the spec at it with [prices] file = "prices.toml" '
    "(see docs/models-and-executors.md, 'Models and prices'); "
    "for a self-hosted OpenAI-compatible server you may instead set hourly_rate_usd on the executor"
)


class UnpricedModelError(InputError):
    """A language model has no known price: not in litellm's cost map nor in the prices TOML."""

    def __init__(self, model: str, where: str = "") -> None:
        self.model = model
        prefix = f"{where}: " if where else ""
        message = (
            f"{prefix}model {model!r} has no known price (it is not in litellm's cost map "
            f"nor in the prices TOML); {_HOW_TO_PRICE.format(model=model)}"
        )
        super().__init__(message)


@dataclass(frozen=True)
class ModelPrice:
    """Prices of one model in USD per million tokens, and where they came from."""

    input_per_mtok: float
    output_per_mtok: float
    cache_read_per_mtok: float | None = None
    source: str = "litellm"

    def cost(self, tokens_in: int, tokens_out: int, cache_read_tokens: int = 0) -> float:
        """Cost in USD. ``tokens_in`` includes ``cache_read_tokens``, billed at the cache price."""
        cached = min(max(cache_read_tokens, 0), tokens_in)
        read_price = (
            self.input_per_mtok if self.cache_read_per_mtok is None else self.cache_read_per_mtok
        )
        return (
            (tokens_in - cached) * self.input_per_mtok
            + cached * read_price
            + tokens_out * self.output_per_mtok
        ) / 1e6

    def as_dict(self) -> dict[str, Any]:
        return {
            "pricing": "per_token",
            "input_per_mtok": self.input_per_mtok,
            "output_per_mtok": self.output_per_mtok,
            "cache_read_per_mtok": self.cache_read_per_mtok,
            "source": self.source,
        }


@dataclass(frozen=True)
class ModelSpec:
    """What the registry knows about a model."""

    name: str
    provider: str
    capabilities: tuple[str, ...] = ()
    context_window: int | None = None
    max_output_tokens: int | None = None
    price: ModelPrice | None = None
    mode: str | None = None


#: The most a price may be, in USD per million tokens (list prices are far below it).
MAX_PRICE_PER_MTOK = 10_000.0


class _ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    input_per_mtok: float = Field(ge=0.0, le=MAX_PRICE_PER_MTOK)
    output_per_mtok: float = Field(ge=0.0, le=MAX_PRICE_PER_MTOK)
    cache_read_per_mtok: float | None = Field(default=None, ge=0.0, le=MAX_PRICE_PER_MTOK)
    context_window: int | None = Field(default=None, gt=0)
    capabilities: list[str] = Field(default_factory=list)
    provider: str | None = None


class _PriceFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    models: dict[str, _ModelEntry] = Field(default_factory=dict)

    @field_validator("models")
    @classmethod
    def _named(cls, models: dict[str, _ModelEntry]) -> dict[str, _ModelEntry]:
        if any(not name.strip() for name in models):
            raise ValueError('a model name is empty ([models.""]); write the model\'s name')
        return models


def _line_of(text: str, model: str) -> int | None:
    pattern = re.compile(r'^\s*\[\s*models\s*\.\s*["\']?' + re.escape(model) + r'["\']?\s*\]')
    for i, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return i
    return None


def _candidates(model: str) -> list[str]:
    """Names to look a model up under: as given, then without its provider prefix."""
    names = [model]
    if "/" in model:
        names.append(model.split("/", 1)[1])
    return names


@dataclass
class PriceTable:
    """Prices and specs of models: litellm's cost map plus user overrides.

    Records which prices were used (``used()``), for the run manifest.
    """

    overrides: Mapping[str, _ModelEntry] = field(default_factory=dict)
    source: str = ""
    _used: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: str | Path | None = None) -> PriceTable:
        """Read a prices TOML (USD per million tokens); ``None`` uses the cost map alone."""
        if path is None:
            return cls()
        shown = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(
                located(shown, None, "prices", f"cannot read: {exc.strerror}")
            ) from exc
        except UnicodeDecodeError as exc:
            bad_line = Path(path).read_bytes()[: exc.start].count(b"\n") + 1
            raise InputError(
                located(shown, bad_line, "prices", "not UTF-8 text; save the file as UTF-8")
            ) from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            found_line = re.search(r"line (\d+)", str(exc))
            line = int(found_line.group(1)) if found_line else None
            raise InputError(located(shown, line, "prices", f"not valid TOML: {exc}")) from exc
        try:
            parsed = _PriceFile.model_validate(raw, strict=True)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                loc = [str(p) for p in err["loc"]]
                line = _line_of(text, loc[1]) if len(loc) > 1 and loc[0] == "models" else None
                where = ".".join(f'"{p}"' if i == 1 else p for i, p in enumerate(loc))
                problems.append(located(shown, line, where or "prices", f"{err['msg']} ({_UNITS})"))
            raise InputError(problems[0], problems) from exc
        return cls(overrides=dict(parsed.models), source=shown)

    # -- lookups -------------------------------------------------------------------------

    def _override(self, model: str) -> tuple[str, _ModelEntry] | None:
        for name in _candidates(model):
            if name in self.overrides:
                return name, self.overrides[name]
        return None

    @staticmethod
    def _map_entry(model: str) -> tuple[str, dict[str, Any]] | None:
        cost_map: Mapping[str, Any] = import_litellm().model_cost
        for name in _candidates(model):
            entry = cost_map.get(name)
            if isinstance(entry, dict):
                return name, entry
        return None

    def find(self, model: str) -> ModelPrice | None:
        """The price of ``model``, or None when neither the TOML nor the cost map has one."""
        hit = self._override(model)
        if hit is not None:
            e = hit[1]
            return ModelPrice(
                e.input_per_mtok, e.output_per_mtok, e.cache_read_per_mtok, f"toml:{self.source}"
            )
        found = self._map_entry(model)
        if found is None:
            return None
        entry = found[1]
        inp, out = entry.get("input_cost_per_token"), entry.get("output_cost_per_token")
        if not isinstance(inp, int | float) or not isinstance(out, int | float):
            return None
        read = entry.get("cache_read_input_token_cost")
        return ModelPrice(
            float(inp) * 1e6,
            float(out) * 1e6,
            float(read) * 1e6 if isinstance(read, int | float) else None,
            "litellm",
        )

    def price(self, model: str, where: str = "") -> ModelPrice:
        """The price of ``model``; raises UnpricedModelError (saying how to add one) if unknown."""
        found = self.find(model)
        if found is None:
            raise UnpricedModelError(model, where)
        return self.record_per_token(model, found)

    def record_per_token(self, model: str, price: ModelPrice) -> ModelPrice:
        """Record that ``model`` was priced per token at ``price`` (for ``used()``)."""
        self._used[model] = price.as_dict()
        return price

    def cost(
        self, model: str, tokens_in: int, tokens_out: int, cache_read_tokens: int = 0
    ) -> float:
        """Cost in USD of a call to ``model`` with these token counts."""
        return self.price(model).cost(tokens_in, tokens_out, cache_read_tokens)

    def record_hourly(self, model: str, executor: str, rate_usd: float) -> None:
        """Record that ``executor`` priced ``model`` by compute time at ``rate_usd`` per hour."""
        entry = self._used.setdefault(model, {"pricing": "hourly", "hourly_rate_usd": {}})
        if entry.get("pricing") != "hourly":  # same model also priced per token elsewhere
            entry = self._used.setdefault(
                f"{model} (hourly)", {"pricing": "hourly", "hourly_rate_usd": {}}
            )
        entry["hourly_rate_usd"][executor] = rate_usd

    def used(self) -> dict[str, dict[str, Any]]:
        """The prices actually used so far, by model, for the run manifest."""
        return {k: dict(v) for k, v in sorted(self._used.items())}

    def spec(self, model: str) -> ModelSpec:
        """What the registry knows about ``model`` (price None when unpriced)."""
        provider = model.split("/", 1)[0] if "/" in model else ""
        caps: list[str] = []
        window: int | None = None
        max_out: int | None = None
        mode: str | None = None
        found = self._map_entry(model)
        if found is not None:
            entry = found[1]
            provider = provider or str(entry.get("litellm_provider") or "")
            window_v = entry.get("max_input_tokens") or entry.get("max_tokens")
            window = int(window_v) if isinstance(window_v, int | float) else None
            out_v = entry.get("max_output_tokens")
            max_out = int(out_v) if isinstance(out_v, int | float) else None
            mode = entry.get("mode")
            if entry.get("supports_reasoning"):
                caps.append("reasoning")
            if entry.get("supports_vision"):
                caps.append("vision")
            if window is not None and window >= LONG_CONTEXT_TOKENS:
                caps.append("long_context")
        hit = self._override(model)
        if hit is not None:
            e = hit[1]
            provider = e.provider or provider
            window = e.context_window or window
            caps.extend(c for c in e.capabilities if c not in caps)
            if window is not None and window >= LONG_CONTEXT_TOKENS and "long_context" not in caps:
                caps.append("long_context")
        return ModelSpec(
            name=model,
            provider=provider,
            capabilities=tuple(caps),
            context_window=window,
            max_output_tokens=max_out,
            price=self.find(model),
            mode=mode,
        )


def model_spec(model: str, prices: PriceTable | None = None) -> ModelSpec:
    """What the registry knows about ``model``, with ``prices`` overrides if given."""
    return (prices or PriceTable()).spec(model)
