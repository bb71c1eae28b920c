"""Argument types shared by the commands."""

from __future__ import annotations

import argparse
import math


def finite_float(text: str) -> float:
    """A finite number (``inf`` and ``nan`` are refused with argparse's usual message)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value
