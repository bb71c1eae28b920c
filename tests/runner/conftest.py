"""Helpers for runner tests: a small task set, a price file and specs pointing at a
``toolkit.testing.FaultServer`` (a real HTTP server on 127.0.0.1, so the litellm executor
is exercised exactly as against a provider, with no key).

The tasks are synthetic (made up for the tests); the server answers deterministically.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from synthetic_runs import read_jsonl

from toolkit.testing import FaultServer

#: Synthetic tasks: the fault server answers "Paris" to the first and echoes the others.
TASKS: list[dict[str, Any]] = [
    {
        "id": "geo-1",
        "input": "What is the capital of France?",
        "target": "Paris",
        "category": "geo",
    },
    {"id": "echo-1", "input": "Say hello", "target": "echo: Say hello", "category": "echo"},
    {"id": "echo-2", "input": "Say goodbye", "target": "something else", "category": "echo"},
]

ANSWERS = {r"capital of France": "Paris"}

#: Price of the test model, USD per million tokens (a user price file, as users write them).
PRICE_IN = 1.0
PRICE_OUT = 2.0


def synthetic_tasks(n: int) -> list[dict[str, Any]]:
    """``n`` synthetic echo tasks with distinct prompts."""
    return [
        {
            "id": f"syn-{i:03d}",
            "input": f"synthetic prompt number {i}",
            "target": f"echo: synthetic prompt number {i}",
            "category": "synthetic",
        }
        for i in range(n)
    ]


def write_spec(
    root: Path,
    url: str,
    *,
    tasks: list[dict[str, Any]] | None = None,
    name: str = "lab",
    extra: str = "",
    executors: str | None = None,
    strategies: str | None = None,
    run: str = "",
    concurrency: int = 4,
) -> Path:
    """Write tasks.jsonl, prices.toml and spec.toml under ``root``; returns the spec path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "tasks.jsonl").write_text(
        "".join(json.dumps(t) + "\n" for t in (tasks if tasks is not None else TASKS)),
        encoding="utf-8",
    )
    (root / "prices.toml").write_text(
        "\n".join(
            f'[models."openai/{m}"]\ninput_per_mtok = {PRICE_IN}\noutput_per_mtok = {PRICE_OUT}\n'
            for m in ("fake-small", "fake-backup")
        ),
        encoding="utf-8",
    )
    if executors is None:
        executors = f"""
[[executors]]
name = "small"
kind = "litellm"
model = "openai/fake-small"
api_base = "{url}"
max_retries = 2
[executors.profile]
max_tokens = 16
"""
    if strategies is None:
        strategies = """
[[strategies]]
kind = "single"
executor = "small"
"""
    text = f"""name = "{name}"
{extra}
[tasks]
paths = ["tasks.jsonl"]

[prices]
file = "prices.toml"

[cache]
path = "cache.sqlite"

[run]
concurrency = {concurrency}
backoff_base_s = 0.01
backoff_max_s = 0.05
{run}
{executors}
{strategies}
"""
    spec = root / "spec.toml"
    spec.write_text(text, encoding="utf-8")
    return spec


class Kit:
    """The helpers above, handed to tests by the ``kit`` fixture."""

    tasks = TASKS
    price_in = PRICE_IN
    price_out = PRICE_OUT
    write_spec = staticmethod(write_spec)
    read_jsonl = staticmethod(read_jsonl)  # synthetic_runs.read_jsonl
    synthetic_tasks = staticmethod(synthetic_tasks)


@pytest.fixture
def kit() -> Kit:
    """Spec and run-file helpers for runner tests."""
    return Kit()


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A fault server with no faults, answering the synthetic tasks deterministically."""
    with FaultServer(answers=ANSWERS) as s:
        yield s


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's cache, and no knob from the environment leaks in."""
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "default-cache"))
    for var in ("TOOLKIT_MODEL", "TOOLKIT_LOCAL_URL"):
        monkeypatch.delenv(var, raising=False)
