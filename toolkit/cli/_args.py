"""Argument types shared by the commands."""

from __future__ import annotations

import argparse
import math


def finite_float(text: str, unit: str = "") -> float:
    """A finite number (``inf`` and ``nan`` are refused with argparse's usual message);
    ``unit`` names what it counts in the message (``"USD"``)."""
    of = f" of {unit}" if unit else ""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number{of}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number{of}, got {text!r}")
    return value


def seed_arg(text: str) -> int:
    """A seed: a whole number from 0 to 2**32 - 1 (what NumPy's generators take)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 0 to 2**32 - 1, got {text!r}"
        )
    return value
