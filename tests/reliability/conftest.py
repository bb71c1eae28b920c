"""Fixtures for the reliability tests (helpers are in reliability_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's cache, and no model knob from the environment leaks in."""
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "default-cache"))
    for var in ("TOOLKIT_MODEL", "TOOLKIT_LOCAL_URL"):
        monkeypatch.delenv(var, raising=False)
