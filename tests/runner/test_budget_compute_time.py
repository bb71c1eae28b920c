"""A budget for a model priced by compute time (a self-hosted server at an hourly rate):
each call reserves a measured service-time bound, not the timeout at the rate, so a budget a
little above the run's real cost lets it finish (it used to stop at 0 results)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.cli import main
from toolkit.testing import FaultServer

if TYPE_CHECKING:
    from conftest import Kit

EXECUTORS = """
[[executors]]
name = "hosted"
kind = "litellm"
model = "openai/self-hosted-unpriced"
api_base = "URL"
hourly_rate_usd = 3600.0
timeout_s = 300
[executors.profile]
max_tokens = 4
"""


STRATEGIES = """
[[strategies]]
kind = "single"
executor = "hosted"
"""


def _cost(out: Path) -> float:
    calls = [json.loads(x) for x in (out / "calls.jsonl").read_text().splitlines() if x]
    return sum(c["cost_usd"] for c in calls)


def test_a_budget_just_above_the_cost_finishes(kit: Kit, tmp_path: Path) -> None:
    tasks = kit.synthetic_tasks(8)
    with FaultServer(latency_s=0.3) as server:  # real cost well above one call's bound
        executors = EXECUTORS.replace("URL", server.url)
        first = kit.write_spec(
            tmp_path / "a",
            server.url,
            tasks=tasks,
            executors=executors,
            strategies=STRATEGIES,
            concurrency=1,
        )
        assert main(["run", str(first), "--out", str(tmp_path / "a" / "run"), "--no-progress"]) == 0
        cost = _cost(tmp_path / "a" / "run")  # $1 a second: about $0.3 per call
        assert 8 * 0.3 <= cost < 8 * 2.0
        # a fresh cache, so every call is made again, under 1.5 x what it cost
        second = kit.write_spec(
            tmp_path / "b",
            server.url,
            tasks=tasks,
            executors=executors,
            strategies=STRATEGIES,
            concurrency=1,
        )
        out = tmp_path / "b" / "run"
        code = main(["run", str(second), "--out", str(out), "--budget", f"{1.5 * cost:.6f}"])
        assert code == 0
    assert len(kit.read_jsonl(out / "results.jsonl")) == len(tasks)
    assert _cost(out) <= 1.5 * cost
