"""Fixtures for the grading tests: the sandbox protections measured on this machine."""

from __future__ import annotations

import sys
from functools import cache
from typing import Any

import pytest


@cache
def _protections() -> dict[str, Any]:
    from toolkit.grading import sandbox_protections

    return {p.name: p for p in sandbox_protections()}


@pytest.fixture(scope="session")
def protections() -> dict[str, Any]:
    """The protections the sandbox measured on this machine, by name (Linux only)."""
    if not sys.platform.startswith("linux"):
        pytest.skip(f"the code sandbox is Linux-only; this is {sys.platform}")
    return _protections()
