"""Fixtures of the lab tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_helpers import LAB_RUN


@pytest.fixture(scope="session")
def lab_run() -> Path:
    """The recorded lab run; a clear failure when it is missing (it is part of the repo)."""
    if not (LAB_RUN / "manifest.json").is_file():
        pytest.fail(
            f"{LAB_RUN} holds no recorded run; regenerate it with "
            "`python benchmarks/record_lab.py` (see docs/lab.md)"
        )
    return LAB_RUN
