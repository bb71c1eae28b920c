"""Numbers for people: durations with a unit that suits their size."""

from __future__ import annotations

import math
from typing import Any


def duration(seconds: float | None) -> str:
    """``10 µs``, ``3.2 ms``, ``0.98 s``, ``12.4 s``, ``1,234 s``; ``n/a`` when missing."""
    if seconds is None or not math.isfinite(float(seconds)):
        return "n/a"
    v = float(seconds)
    a = abs(v)
    if a == 0:
        return "0 s"
    if a < 1e-3:
        return f"{v * 1e6:.3g} µs"
    if a < 1:
        return f"{v * 1e3:.3g} ms"
    return f"{v:.3g} s" if a < 100 else f"{v:,.0f} s"


def usd(value: Any) -> str:
    """Dollars with precision that suits the size (``$0.000123``, ``$12.35``, ``$67,500``)."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    v = float(value)
    if v == 0:
        return "$0"
    a = abs(v)
    if a >= 100:
        text = f"${a:,.0f}"
    elif a >= 1:
        text = f"${a:,.2f}"
    else:
        digits = min(10, -math.floor(math.log10(a)) + 2)
        text = f"${a:.{digits}f}"
    return "-" + text if v < 0 else text
