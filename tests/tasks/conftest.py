"""Fixtures for the task-layer tests: the broken and valid task files under tests/data."""

from __future__ import annotations

from pathlib import Path

import pytest
from broken_task_cases import BROKEN, OK


@pytest.fixture(scope="session")
def broken_dir() -> Path:
    return BROKEN


@pytest.fixture(scope="session")
def ok_dir() -> Path:
    return OK
