"""No call is paid twice at any concurrency: identical requests in flight at the same moment
share one provider call (single flight); the others read it from the cache at $0 billed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.cli import main
from toolkit.testing import FaultServer

if TYPE_CHECKING:
    from conftest import Kit


def test_two_strategies_sharing_a_prompt_make_one_call(kit: Kit, tmp_path: Path) -> None:
    tasks = kit.synthetic_tasks(12)
    strategies = """
[[strategies]]
kind = "single"
name = "first"
executor = "small"

[[strategies]]
kind = "single"
name = "second"
executor = "small"
"""
    # a slow answer keeps every request in flight while its twin starts
    with FaultServer(latency_s=0.3) as server:
        spec = kit.write_spec(
            tmp_path, server.url, tasks=tasks, strategies=strategies, concurrency=8
        )
        out = tmp_path / "run"
        assert main(["run", str(spec), "--out", str(out), "--no-progress"]) == 0
        assert server.request_count == len(tasks)  # one provider call per prompt
    calls = kit.read_jsonl(out / "calls.jsonl")
    assert len(calls) == 2 * len(tasks)
    paid = [c for c in calls if c["billed_usd"] > 0]
    shared = [c for c in calls if c["cached"]]
    assert len(paid) == len(shared) == len(tasks)
    assert all(c["billed_usd"] == 0 and c["cost_usd"] > 0 for c in shared)
