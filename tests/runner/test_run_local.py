"""A spec naming the local provider: the runner starts the real llama.cpp server with Gemma 3
270M, runs through the litellm executor, records the server's own token counts, and stops the
server, leaving no process behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from synthetic_runs import read_jsonl

from toolkit.models import local_server_available
from toolkit.runner import run_spec

pytestmark = pytest.mark.local_model

SPEC = """\
name = "local"

[tasks]
paths = ["tasks.jsonl"]

[cache]
path = "cache.sqlite"

[local]
# Example rate: an on-demand 2-vCPU cloud VM at about $0.0416/h (AWS t3.medium, us-east-1,
# Linux on-demand price list). It only prices compute time in this test.
hourly_rate_usd = 0.0416

[[executors]]
name = "gemma"
kind = "local"

[executors.profile]
mode = "completion"
template = "{few_shot}Review: {input}\\nSentiment:"
stop = ["\\n"]
max_tokens = 4

[executors.profile.few_shot]
default = "Review: I loved it.\\nSentiment: positive\\nReview: Awful, a waste of time.\\nSentiment: negative\\n"

[[strategies]]
kind = "single"
executor = "gemma"
"""

TASKS = [
    {
        "id": "s1",
        "input": "A wonderful, moving film.",
        "target": "positive",
        "category": "sentiment",
    },
    {
        "id": "s2",
        "input": "Boring and far too long.",
        "target": "negative",
        "category": "sentiment",
    },
]


def _llama_children() -> list[int]:
    """Pids of llama.cpp server processes whose parent is this test process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended while we looked
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"llama_cpp.server" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(local_server_available() is not None, reason=str(local_server_available()))
def test_runner_starts_and_stops_the_local_server(tmp_path: Path) -> None:
    (tmp_path / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in TASKS))
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    try:
        summary = run_spec(spec, out=tmp_path / "run", progress=False)
    finally:
        assert _llama_children() == []  # stopped, even if the run failed
    assert summary.status == "done"
    calls = read_jsonl(tmp_path / "run" / "calls.jsonl")
    assert len(calls) == 2
    for call in calls:
        assert call["error"] is None, call["error"]
        assert call["model"] == "local/gemma-3-270m"
        # token counts come from the server's usage: the few-shot prompt is tens of tokens
        assert call["tokens_in"] > 15 and 0 < call["tokens_out"] <= 4
        assert call["service_s"] > 0
        assert call["cost_usd"] == pytest.approx(call["service_s"] * 0.0416 / 3600)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["local_hourly_rate_usd"] == 0.0416
    assert manifest["executor_hourly_rates_usd"] == {"gemma": 0.0416}
    assert "llama-cpp-python" in manifest["versions"]
