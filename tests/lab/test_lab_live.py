"""`toolkit demo --live` for real: the lab spec (its own Gemma profile, specialists, tools and
strategies) on a few lab tasks, with the real llama.cpp server started and stopped by the run,
then the same table and report as from the recorded run; a second live run replays the cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_helpers import small_lab_spec

from toolkit.lab import run_demo
from toolkit.models import local_server_available
from toolkit.runs import read_calls, read_manifest

pytestmark = [pytest.mark.local_model, pytest.mark.slow]

IDS = ["sentiment-001", "sentiment-002", "factual-001", "factual-004", "arithmetic-001", "arithmetic-005"]  # fmt: skip


def test_live_demo_runs_the_lab_and_replays_it(tmp_path: Path) -> None:
    why = local_server_available()
    if why is not None:
        pytest.skip(why)
    spec = small_lab_spec(tmp_path, IDS)
    printed: list[str] = []
    first = run_demo(
        live=True,
        spec=spec,
        live_out=tmp_path / "run1",
        out=tmp_path / "report",
        echo=printed.append,
    )
    text = "\n".join(printed)
    assert read_manifest(first.run_dir).status == "done"
    calls = read_calls(first.run_dir)
    made = [c for c in calls if c.executor in ("gemma", "gemma_router") and not c.cached]
    # one real answer per task and one real classification per task; the routed strategies
    # that send a task to Gemma reuse single:gemma's call from the cache
    assert len([c for c in made if c.executor == "gemma"]) == len(IDS)
    assert len([c for c in made if c.executor == "gemma_router"]) == len(IDS)
    assert all(c.tokens_in > 0 and c.cost_usd > 0 for c in made)
    assert "single:gemma" in text and "classify_then_route:gemma" in text
    assert (tmp_path / "report" / "report.html").is_file()
    second = run_demo(
        live=True,
        spec=spec,
        live_out=tmp_path / "run2",
        out=tmp_path / "report",
        echo=lambda s: None,
    )
    again = read_calls(second.run_dir)
    assert all(c.cached for c in again if c.executor in ("gemma", "gemma_router"))
    assert second.row("single:gemma").quality == first.row("single:gemma").quality
    assert second.row("single:gemma").cost_usd == pytest.approx(first.row("single:gemma").cost_usd)
