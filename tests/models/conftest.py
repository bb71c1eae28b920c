"""Fixtures for the models tests: the small OpenAI-compatible test server and synthetic prices."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from models_fake_openai import FakeOpenAI, start_fake_openai


@pytest.fixture
def fake_server_factory() -> Iterator[Callable[[], FakeOpenAI]]:
    """Starts FakeOpenAI servers on free ports of 127.0.0.1; all are shut down at the end."""
    stops: list[Callable[[], None]] = []

    def start() -> FakeOpenAI:
        state, stop = start_fake_openai()
        stops.append(stop)
        return state

    try:
        yield start
    finally:
        for stop in stops:
            stop()


@pytest.fixture
def fake_openai(fake_server_factory: Callable[[], FakeOpenAI]) -> FakeOpenAI:
    """A running FakeOpenAI server (shut down after the test)."""
    return fake_server_factory()


FAKE_PRICES = """\
# Synthetic prices for the test server's model names (USD per million tokens).
[models."openai/cheap-dev"]
input_per_mtok = 1.0
output_per_mtok = 2.0

[models."openai/frontier"]
input_per_mtok = 10.0
output_per_mtok = 30.0

[models."openai/planner-model"]
input_per_mtok = 5.0
output_per_mtok = 15.0

[models."openai/per-task"]
input_per_mtok = 3.0
output_per_mtok = 6.0

[models."openai/backup"]
input_per_mtok = 0.5
output_per_mtok = 1.0
"""


@pytest.fixture
def prices_toml(tmp_path: Path) -> Path:
    """A prices TOML pricing the test server's (synthetic) model names."""
    path = tmp_path / "prices.toml"
    path.write_text(FAKE_PRICES)
    return path
