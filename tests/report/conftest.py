"""Fixtures for the report tests: a SYNTHETIC run (see report_helpers.py), its report, and
headless chromium (skipped with the reason when it is not installed)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_helpers import write_synthetic_run


@pytest.fixture(scope="session")
def synthetic_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SYNTHETIC run directory with hostile answers and task texts (built once)."""
    return write_synthetic_run(tmp_path_factory.mktemp("synthetic_report"))


@pytest.fixture(scope="session")
def built_report(synthetic_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cost report of the synthetic run, written once (with a --reprice what-if)."""
    from toolkit.report import build_report

    prices = tmp_path_factory.mktemp("prices") / "whatif.toml"
    prices.write_text(
        "# synthetic what-if prices (USD per million tokens)\n"
        '[models."gpt-4o-mini"]\ninput_per_mtok = 3.0\noutput_per_mtok = 15.0\n'
        '[models."local/gemma-3-270m"]\ninput_per_mtok = 0.01\noutput_per_mtok = 0.02\n',
        encoding="utf-8",
    )
    out = tmp_path_factory.mktemp("report_out") / "report"
    return build_report(
        synthetic_run, out, monthly_requests=250_000, reprice_file=prices, n_boot=200
    )


@pytest.fixture
def chromium() -> Iterator[str]:
    """Debian's headless ``chromium``; skips with the reason when it is not installed."""
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(
            "chromium is not installed: `make test` installs it when run as root "
            "(apt-get install chromium); the HTML rendering tests need it"
        )
    yield path
