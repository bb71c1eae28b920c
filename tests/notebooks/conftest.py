"""Fixtures for the notebook-helper tests: SYNTHETIC runs (see notebook_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from notebook_helpers import write_matrix_run, write_orchestrated_run


@pytest.fixture(scope="session")
def matrix_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC run with every executor on every task and one live strategy."""
    return write_matrix_run(tmp_path_factory.mktemp("synthetic_matrix"))


@pytest.fixture(scope="session")
def orchestrated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC orchestrator run with plans, step states and per-step calls."""
    return write_orchestrated_run(tmp_path_factory.mktemp("synthetic_orchestrated"))
