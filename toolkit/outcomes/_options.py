"""The options of ``toolkit outcomes import`` and the parsing of their flag values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toolkit._errors import InputError, located

DUPLICATES = ("auto", "first", "keep", "error")
DROP_MODES = ("tasks", "executors", "auto")
#: ``--cost-axis`` values and the cost axis each gives the matrix
COST_AXIS_FLAGS = {"strong-share": "strong_share", "rank": "rank", "tokens": "tokens"}
MAX_MISSING = 0.05


@dataclass(frozen=True)
class ImportOptions:
    """The flags of ``toolkit outcomes import`` (see :func:`import_outcomes`).

    ``drop_incomplete`` is ``""`` (a missing cell is an error), ``"tasks"``, ``"executors"``
    or ``"auto"`` (executors missing more than ``max_missing`` of their cells, then tasks).
    ``cost_axis`` (``strong-share``, ``rank``, ``tokens``) applies to data without cost.
    """

    drop_incomplete: str = ""
    prices: Path | None = None
    score_scale: tuple[float, float] | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    allow_pickle: bool = False
    duplicates: str = "auto"
    cost_axis: str | None = None
    cost_rank: tuple[str, ...] = ()
    clip_scores: bool = False
    raw_scores: bool = False
    max_missing: float = MAX_MISSING
    questions: Path | None = None
    scorer: str | None = None
    summary: Path | None = None

    def flags(self) -> dict[str, object]:
        """The options that differ from the defaults, as the flags' names and values."""
        out: dict[str, object] = {}
        for name, default in _DEFAULTS.items():
            value = getattr(self, name)
            if value != default:
                shown = str(value) if isinstance(value, Path) else value
                out["--" + name.replace("_", "-")] = (
                    list(shown)
                    if isinstance(shown, tuple)
                    else dict(shown)
                    if isinstance(shown, Mapping)
                    else shown
                )
        return out


_DEFAULTS: dict[str, object] = {
    "drop_incomplete": "",
    "prices": None,
    "score_scale": None,
    "columns": {},
    "allow_pickle": False,
    "duplicates": "auto",
    "cost_axis": None,
    "cost_rank": (),
    "clip_scores": False,
    "raw_scores": False,
    "max_missing": MAX_MISSING,
    "questions": None,
    "scorer": None,
    "summary": None,
}


def parse_score_scale(text: str) -> tuple[float, float]:
    """Parse ``MIN,MAX`` for ``--score-scale``; MAX must exceed MIN."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2:
        raise InputError(located("--score-scale", None, repr(text), "expected MIN,MAX, e.g. 1,10"))
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(
            located("--score-scale", None, repr(text), "MIN and MAX must be numbers, e.g. 1,10")
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        raise InputError(
            located("--score-scale", None, repr(text), "MAX must be greater than MIN, e.g. 1,10")
        )
    return lo, hi


def parse_cost_rank(text: str) -> tuple[str, ...]:
    """Parse ``A,B,C`` for ``--cost-rank`` (cheapest first); each name once."""
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    if not names:
        raise InputError(located("--cost-rank", None, repr(text), "expected A,B,C, cheapest first"))
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(located("--cost-rank", None, ", ".join(twice), "named twice"))
    return names


def drop_mode(value: bool | str | None) -> str:
    """``--drop-incomplete`` as a mode: True (a bare flag) is ``tasks``; False/None is ``""``."""
    if value is True:
        return "tasks"
    if not value:
        return ""
    if value not in DROP_MODES:
        raise InputError(
            located("--drop-incomplete", None, repr(value), f"expected {', '.join(DROP_MODES)}")
        )
    return str(value)
