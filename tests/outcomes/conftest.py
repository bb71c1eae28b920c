"""Helpers for the outcome tests: the fixture folder and a CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from toolkit.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "outcomes"


@pytest.fixture
def data_dir() -> Path:
    """``tests/data/outcomes``: small hand-written fixture files."""
    return DATA


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``toolkit ARGS...`` in-process; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
