"""Fixtures for the analysis tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from analysis_support import synthetic_matrix

from toolkit.outcomes import OutcomeMatrix


@pytest.fixture
def make_matrix() -> Callable[..., OutcomeMatrix]:
    """Factory of synthetic matrices (see ``synthetic_matrix``)."""
    return synthetic_matrix
