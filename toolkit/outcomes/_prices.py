"""A small price-table reader for the importers: a ``--prices`` TOML plus litellm's cost map.

The TOML holds prices in USD per million tokens, the unit used everywhere a user writes one::

    [models."gpt-4-0314"]
    input_per_mtok = 30.0
    output_per_mtok = 60.0
    cache_read_per_mtok = 15.0   # optional

A model in the TOML overrides litellm's bundled cost map. (The model registry will take this
over; until then the outcome importers use this module.)
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolkit._errors import InputError, located


@dataclass(frozen=True)
class Price:
    """Prices of one model in USD per million tokens, and where they came from."""

    input_per_mtok: float
    output_per_mtok: float
    cache_read_per_mtok: float | None = None
    source: str = ""

    def cost(self, tokens_in: float, tokens_out: float) -> float:
        """The cost in USD of a call with these token counts."""
        return (tokens_in * self.input_per_mtok + tokens_out * self.output_per_mtok) / 1e6


class _PriceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    input_per_mtok: float = Field(ge=0.0)
    output_per_mtok: float = Field(ge=0.0)
    cache_read_per_mtok: float | None = Field(default=None, ge=0.0)


class _PriceFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    models: dict[str, _PriceEntry] = Field(default_factory=dict)


def _line_of(text: str, model: str) -> int | None:
    """Best-effort line of a ``[models."name"]`` table in the TOML text."""
    pattern = re.compile(r'^\s*\[\s*models\s*\.\s*["\']?' + re.escape(model) + r'["\']?\s*\]')
    for i, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return i
    return None


def read_price_table(path: str | Path) -> dict[str, Price]:
    """Read a ``--prices`` TOML (USD per million tokens). Bad input raises InputError."""
    p = Path(path)
    if not p.is_file():
        raise InputError(located(p, None, "--prices", "file not found"))
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(located(p, None, "--prices", "not UTF-8 text")) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise InputError(located(p, line, "toml", f"invalid TOML: {exc}")) from None
    try:
        parsed = _PriceFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [str(x) for x in err["loc"]]
            line = _line_of(text, loc[1]) if len(loc) > 1 and loc[0] == "models" else None
            field = ".".join(loc) or "models"
            problems.append(
                located(p, line, field, f"{err['msg']} (prices are USD per million tokens)")
            )
        raise InputError(problems[0], problems) from None
    return {
        name: Price(e.input_per_mtok, e.output_per_mtok, e.cache_read_per_mtok, source=str(p))
        for name, e in parsed.models.items()
    }


def litellm_price(model: str) -> Price | None:
    """The price of ``model`` in litellm's bundled cost map, or None when it is not there.

    Sets ``LITELLM_LOCAL_MODEL_COST_MAP=True`` (unless the user set it) before importing
    litellm, so no network call is made.
    """
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    cost_map: Mapping[str, Mapping[str, object]] = litellm.model_cost
    entry = cost_map.get(model)
    if entry is None:
        return None
    tin = entry.get("input_cost_per_token")
    tout = entry.get("output_cost_per_token")
    if not isinstance(tin, int | float) or not isinstance(tout, int | float):
        return None
    cread = entry.get("cache_read_input_token_cost")
    return Price(
        input_per_mtok=float(tin) * 1e6,
        output_per_mtok=float(tout) * 1e6,
        cache_read_per_mtok=float(cread) * 1e6 if isinstance(cread, int | float) else None,
        source=f"litellm {_litellm_version()} cost map",
    )


def _litellm_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("litellm")
    except PackageNotFoundError:
        return "unknown"


def resolve_prices(
    models: list[str], overrides: Mapping[str, Price] | None = None
) -> tuple[dict[str, Price], list[str]]:
    """Prices for ``models``: the override table first, then litellm's map.

    Returns the prices found and the models that have none (in input order).
    """
    found: dict[str, Price] = {}
    missing: list[str] = []
    for m in models:
        if overrides is not None and m in overrides:
            found[m] = overrides[m]
            continue
        price = litellm_price(m)
        if price is None:
            missing.append(m)
        else:
            found[m] = price
    return found, missing
