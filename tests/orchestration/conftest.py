"""Fixtures for the orchestration tests (the fake executors live in ``orch_fakes``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def local_server_url() -> Iterator[str]:
    """The URL of a real local llama.cpp server with Gemma 3 270M (stopped afterwards);
    skips when the ``local`` extra is not installed."""
    from toolkit.models import LocalServer, local_server_available

    why = local_server_available()
    if why is not None:
        pytest.skip(why)
    server = LocalServer()
    try:
        server.start()
        yield server.url
    finally:
        server.stop()
