"""What a monthly volume costs on a routing mix, from assumed token counts and list prices.

The sum a team asks first, before anything is measured: N requests a month of T_in + T_out
tokens, a share of them on each model, an optional classifier call on every request, against
every request on one baseline model. Prices are USD per million tokens, from litellm's cost
map or a prices TOML (:class:`toolkit.models.PriceTable`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from toolkit._errors import InputError
from toolkit.models import PriceTable, UnpricedModelError
from toolkit.report._projection import parse_named_shares

#: Shares may miss 1 by this much (rounding in what a person types).
SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class MixLine:
    """One line of the sum: a model's requests, tokens, prices and dollars."""

    role: str  # "routed", "classifier" or "baseline"
    model: str
    requests: float
    tokens_in: float
    tokens_out: float
    input_per_mtok: float
    output_per_mtok: float
    price_source: str

    @property
    def usd(self) -> float:
        """Dollars for this line's requests."""
        return (self.tokens_in * self.input_per_mtok + self.tokens_out * self.output_per_mtok) / 1e6

    def to_json(self) -> dict[str, Any]:
        """The line as a JSON object."""
        return {
            "role": self.role,
            "model": self.model,
            "requests": self.requests,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "input_per_mtok": self.input_per_mtok,
            "output_per_mtok": self.output_per_mtok,
            "price_source": self.price_source,
            "usd": self.usd,
        }


@dataclass(frozen=True)
class MixCost:
    """The routed lines (models, then the classifier), the baseline line and the saving."""

    requests: int
    routed: tuple[MixLine, ...]
    baseline: MixLine

    @property
    def routed_usd(self) -> float:
        """Dollars for the routed month, classification calls included."""
        return sum(line.usd for line in self.routed)

    @property
    def saving_usd(self) -> float:
        """Baseline dollars minus routed dollars."""
        return self.baseline.usd - self.routed_usd

    @property
    def saving_pct(self) -> float | None:
        """The saving as a percentage of the baseline (None when the baseline costs 0)."""
        return 100.0 * self.saving_usd / self.baseline.usd if self.baseline.usd > 0 else None

    def to_json(self) -> dict[str, Any]:
        """The whole sum as one JSON object."""
        return {
            "requests": self.requests,
            "lines": [line.to_json() for line in self.routed],
            "routed_usd": self.routed_usd,
            "baseline": self.baseline.to_json(),
            "saving_usd": self.saving_usd,
            "saving_pct": self.saving_pct,
        }


def parse_shares(text: str, flag: str = "--shares") -> dict[str, float]:
    """``MODEL=SHARE,...`` as a dict; the shares must be >= 0 and sum to 1."""
    out = parse_named_shares(text, flag=flag, key="MODEL", noun="model", example="a=0.4,b=0.6")
    total = sum(out.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise InputError(f"{flag}: the shares sum to {total:g}; they must sum to 1")
    return out


def _line(
    prices: PriceTable, role: str, model: str, requests: float, t_in: float, t_out: float
) -> MixLine:
    flag = f"--{role}" if role != "routed" else "--shares"
    try:
        price = prices.price(model, where=flag)
    except UnpricedModelError:
        raise InputError(
            f"{flag}: model {model!r} has no known price (it is not in litellm's cost map nor "
            "in the prices file); write its prices in USD per million tokens to a TOML file, "
            f'[models."{model}"] input_per_mtok = ... and output_per_mtok = ..., and pass it '
            "with --prices FILE (data/prices/article.toml is an example)"
        ) from None
    return MixLine(
        role=role,
        model=model,
        requests=requests,
        tokens_in=requests * t_in,
        tokens_out=requests * t_out,
        input_per_mtok=price.input_per_mtok,
        output_per_mtok=price.output_per_mtok,
        price_source=price.source,
    )


def mix_cost(
    *,
    requests: int,
    tokens_in: float,
    tokens_out: float,
    shares: Mapping[str, float],
    baseline: str,
    classifier: str | None = None,
    classifier_tokens: tuple[float, float] = (0.0, 0.0),
    prices: PriceTable | None = None,
) -> MixCost:
    """The month routed by ``shares`` (plus a classifier call per request) against every
    request on ``baseline``, at ``prices`` (litellm's cost map by default)."""
    problems = []
    for name, value in (
        ("requests", requests),
        ("tokens_in", tokens_in),
        ("tokens_out", tokens_out),
    ):
        if not math.isfinite(value) or value < 0:
            problems.append(f"{name} must be a finite number >= 0, got {value}")
    if classifier is not None and not all(math.isfinite(t) and t >= 0 for t in classifier_tokens):
        problems.append(f"classifier_tokens must be two numbers >= 0, got {classifier_tokens}")
    if problems:
        raise InputError(problems[0], problems)
    table = prices if prices is not None else PriceTable()
    lines = [
        _line(table, "routed", model, requests * share, tokens_in, tokens_out)
        for model, share in shares.items()
    ]
    if classifier is not None:
        lines.append(_line(table, "classifier", classifier, requests, *classifier_tokens))
    base = _line(table, "baseline", baseline, requests, tokens_in, tokens_out)
    return MixCost(requests=requests, routed=tuple(lines), baseline=base)


def dollars(x: float) -> str:
    """``$6,750.00``: thousands separators and cents; a negative amount as ``-$5.00``."""
    return f"-${-x:,.2f}" if x < 0 else f"${x:,.2f}"


def mix_cost_table(cost: MixCost) -> str:
    """The sum as plain text, one line per model, the classifier, the totals and the saving."""
    head = ("line", "model", "requests", "tokens in", "tokens out", "$/M in", "$/M out", "dollars")
    rows = [
        (
            "classifier" if line.role == "classifier" else "routed",
            line.model,
            f"{line.requests:,.0f}",
            f"{line.tokens_in:,.0f}",
            f"{line.tokens_out:,.0f}",
            f"{line.input_per_mtok:g}",
            f"{line.output_per_mtok:g}",
            dollars(line.usd),
        )
        for line in cost.routed
    ]
    rows.append(("routed total", "", "", "", "", "", "", dollars(cost.routed_usd)))
    b = cost.baseline
    rows.append(
        (
            "baseline",
            b.model,
            f"{b.requests:,.0f}",
            f"{b.tokens_in:,.0f}",
            f"{b.tokens_out:,.0f}",
            f"{b.input_per_mtok:g}",
            f"{b.output_per_mtok:g}",
            dollars(b.usd),
        )
    )
    rows.append(("saving", "", "", "", "", "", "", dollars(cost.saving_usd)))
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    left = {0, 1}

    def fmt(row: tuple[str, ...]) -> str:
        cells = [
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    lines = [fmt(r) for r in (head, *rows)]
    if cost.saving_pct is not None:
        lines[-1] += f"  ({cost.saving_pct:.1f}% less than the baseline)"
    sources = sorted({line.price_source for line in (*cost.routed, b)})
    lines.append(f"prices: USD per million tokens, from {', '.join(sources)}")
    return "\n".join(lines)
