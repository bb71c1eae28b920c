"""Durations and dollars are written for people."""

from __future__ import annotations

import pytest

from toolkit._format import duration, usd


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1.002e-05, "10 µs"),
        (0.0032, "3.2 ms"),
        (0.981, "981 ms"),
        (4.84, "4.84 s"),
        (1234.5, "1,234 s"),
        (0.0, "0 s"),
        (None, "n/a"),
        (float("nan"), "n/a"),
    ],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("dollars", "text"),
    [
        (0.0, "$0"),
        (7.28e-05, "$0.0000728"),
        (12.345, "$12.35"),
        (67500, "$67,500"),
        (-2.5, "-$2.50"),
    ],
)
def test_usd(dollars: float, text: str) -> None:
    assert usd(dollars) == text
