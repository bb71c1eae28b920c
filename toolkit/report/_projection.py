"""The monthly projection: measured per-task costs by category, scaled to a monthly volume
and task mix, for "everything on the baseline" and for each routed strategy."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from toolkit._errors import InputError


@dataclass(frozen=True)
class ProjectionRow:
    """One strategy's projected month: dollars, the saving against the baseline, and the
    quality expected at this mix (the mix-weighted per-category test quality)."""

    strategy: str
    monthly_usd: float | None
    saving_usd: float | None
    saving_pct: float | None
    quality: float | None
    is_baseline: bool = False


@dataclass(frozen=True)
class Projection:
    """A monthly projection: the volume, the mix used and one row per strategy."""

    monthly_requests: int
    mix: Mapping[str, float]
    mix_source: str
    baseline: str
    rows: tuple[ProjectionRow, ...]
    notes: tuple[str, ...] = ()

    def row(self, strategy: str) -> ProjectionRow:
        """The row of one strategy."""
        for r in self.rows:
            if r.strategy == strategy:
                return r
        raise KeyError(strategy)


def parse_named_shares(
    text: str,
    *,
    flag: str = "--mix",
    key: str = "CATEGORY",
    noun: str = "category",
    example: str = "math=0.4,code=0.6",
) -> dict[str, float]:
    """Parse ``NAME=SHARE,...`` (``flag``'s value) into raw shares, each a finite number
    >= 0; every problem is reported at once, naming the flag."""
    out: dict[str, float] = {}
    problems: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.rpartition("=")
        name = name.strip()
        if not sep or not name:
            problems.append(f"{flag}: {part!r} is not {key}=SHARE (e.g. {flag} {example})")
            continue
        try:
            share = float(value)
        except ValueError:
            problems.append(f"{flag}: {name}: share {value.strip()!r} is not a number")
            continue
        if not math.isfinite(share) or share < 0:
            problems.append(
                f"{flag}: {name}: share must be a finite number >= 0, got {value.strip()}"
            )
            continue
        if name in out:
            problems.append(f"{flag}: {noun} {name!r} is given twice")
            continue
        out[name] = share
    if not out and not problems:
        problems.append(f"{flag}: empty; expected {key}=SHARE,... (e.g. {flag} {example})")
    if problems:
        raise InputError(problems[0], problems)
    return out


def parse_mix(text: str) -> dict[str, float]:
    """Parse ``--mix CATEGORY=SHARE,...`` into raw shares (not yet normalised).

    Shares may be fractions or percentages: they are normalised to sum to 1 later.
    """
    return parse_named_shares(text)


def measured_mix(strategy: Mapping[str, Any]) -> dict[str, float]:
    """The test split's category mix, from any strategy entry's ``by_category`` counts."""
    counts = {c: float(v.get("n") or 0) for c, v in strategy.get("by_category", {}).items()}
    total = sum(counts.values())
    return {c: n / total for c, n in sorted(counts.items())} if total > 0 else {}


def normalise_mix(
    raw: Mapping[str, float], known: Sequence[str]
) -> tuple[dict[str, float], list[str]]:
    """Shares normalised to sum to 1 over known categories; notes say what was assumed."""
    unknown = [c for c in raw if c not in known]
    if unknown:
        shown = ", ".join(repr(c) for c in known)
        raise InputError(
            f"--mix: unknown categor{'ies' if len(unknown) > 1 else 'y'} "
            f"{', '.join(repr(c) for c in unknown)}; the measured categories are {shown}",
            [f"--mix: {c}: not a measured category (measured: {shown})" for c in unknown],
        )
    total = sum(raw.values())
    if not total > 0:
        raise InputError("--mix: the shares sum to 0; give at least one positive share")
    notes = []
    if abs(total - 1.0) > 1e-9:
        notes.append(f"mix shares summed to {total:g} and were scaled to sum to 1")
    missing = [c for c in known if c not in raw]
    if missing:
        notes.append(f"categories not in the mix get share 0: {', '.join(missing)}")
    return {c: raw.get(c, 0.0) / total for c in known}, notes


def project(
    strategies: Sequence[Mapping[str, Any]],
    *,
    baseline: str,
    monthly_requests: int,
    mix: Mapping[str, float] | None = None,
) -> Projection:
    """Project each strategy's monthly cost from its measured per-task cost in each category.

    ``strategies`` are entries of the ``evaluate --json`` layout (``name``, ``quality``,
    ``by_category`` with ``cost_usd``, ``quality`` and ``n`` per category). A month costs
    ``monthly_requests x sum_c share_c x (cost_usd_c / n_c)``. ``mix`` maps categories to
    raw shares (normalised here); None uses the measured test mix.
    """
    if monthly_requests < 0:
        raise InputError(f"--monthly-requests must be >= 0, got {monthly_requests}")
    by_name = {str(s["name"]): s for s in strategies}
    if baseline not in by_name:
        raise InputError(
            f"baseline {baseline!r} is not among the evaluated strategies ({', '.join(by_name)})"
        )
    base_entry = by_name[baseline]
    known = sorted(base_entry.get("by_category", {}))
    notes: list[str] = []
    if mix is None:
        shares = measured_mix(base_entry)
        source = "measured test-split mix"
    else:
        shares, notes = normalise_mix(mix, known)
        source = "given with --mix"
    rows: list[ProjectionRow] = []
    base_cost = _monthly(base_entry, shares, monthly_requests)
    for s in strategies:
        name = str(s["name"])
        cost = _monthly(s, shares, monthly_requests)
        saving = None if cost is None or base_cost is None else base_cost - cost
        pct = None if saving is None or base_cost is None or base_cost <= 0 else saving / base_cost
        rows.append(
            ProjectionRow(
                strategy=name,
                monthly_usd=cost,
                saving_usd=saving,
                saving_pct=pct,
                quality=_mix_quality(s, shares),
                is_baseline=name == baseline,
            )
        )
    return Projection(
        monthly_requests=monthly_requests,
        mix=shares,
        mix_source=source,
        baseline=baseline,
        rows=tuple(rows),
        notes=tuple(notes),
    )


def _per_task(entry: Mapping[str, Any], category: str, field: str) -> float | None:
    cat = entry.get("by_category", {}).get(category)
    if not isinstance(cat, Mapping) or not cat.get("n"):
        return None
    value = cat.get(field)
    if value is None:
        return None
    return float(value) / float(cat["n"]) if field == "cost_usd" else float(value)


def _monthly(entry: Mapping[str, Any], shares: Mapping[str, float], volume: int) -> float | None:
    """Monthly cost at this mix; None when a category with a share has no measured cost."""
    total = 0.0
    for c, w in shares.items():
        if w == 0:
            continue
        per = _per_task(entry, c, "cost_usd")
        if per is None:
            return None
        total += w * per
    return total * volume


def _mix_quality(entry: Mapping[str, Any], shares: Mapping[str, float]) -> float | None:
    total = 0.0
    for c, w in shares.items():
        if w == 0:
            continue
        q = _per_task(entry, c, "quality")
        if q is None:
            return None
        total += w * q
    return total
