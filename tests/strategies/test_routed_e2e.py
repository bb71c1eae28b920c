"""End to end: ``rules`` and two cascades run by the real runner against a real local HTTP
server (``toolkit.testing.FaultServer``, 127.0.0.1) through the litellm executor.

The tasks, model names and prices are synthetic; the server answers deterministically and
fails on purpose for the cheap model on the planning task.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from synthetic_runs import read_jsonl

import toolkit.strategies._routed  # noqa: F401  (registers the routing kinds)
from toolkit.runner import run_spec
from toolkit.testing import Fault, FaultServer

TASKS: list[dict[str, Any]] = [
    {
        "id": "geo-1",
        "input": "What is the capital of France?",
        "target": "Paris",
        "category": "geo",
        "metadata": {"complexity": "low"},
    },
    {
        "id": "plan-1",
        "input": "Plan the steps to bake bread",
        "target": "echo: Plan the steps to bake bread",
        "category": "planning",
        "metadata": {"task_type": "planning"},
    },
    {"id": "echo-1", "input": "Say hello", "target": "echo: Say hello", "category": "echo"},
]

# First match wins: the verifier's prompts quote the task, so their patterns come first.
ANSWERS = {
    r"Proposed answer:\nParis\n": "yes",
    r"Reply with yes or no": "no",
    r"capital of France": "Paris",
}

PRICES = {"fake-cheap": (0.5, 1.0), "fake-strong": (10.0, 30.0), "fake-check": (1.0, 2.0)}


def _write(root: Path, url: str) -> Path:
    (root / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in TASKS))
    (root / "prices.toml").write_text(
        "".join(
            f'[models."openai/{m}"]\ninput_per_mtok = {i}\noutput_per_mtok = {o}\n\n'
            for m, (i, o) in PRICES.items()
        )
    )
    executors = "".join(
        f"""
[[executors]]
name = "{name}"
kind = "litellm"
model = "openai/fake-{name}"
api_base = "{url}"
max_retries = 0
capabilities = {json.dumps(caps)}
[executors.profile]
max_tokens = 16
"""
        for name, caps in (("cheap", []), ("strong", ["planning"]), ("check", ["planning"]))
    )
    spec = root / "spec.toml"
    spec.write_text(
        f"""name = "routed-e2e"
[tasks]
paths = ["tasks.jsonl"]
[prices]
file = "prices.toml"
[cache]
path = "cache.sqlite"
[run]
concurrency = 2
{executors}
[[strategies]]
kind = "rules"
default = "strong"
rules = [
  {{when = {{task_type = "planning"}}, executor = "strong"}},
  {{when = {{complexity = "low"}}, executor = "cheap"}},
]

[[strategies]]
kind = "rules"
name = "rules:capability"
default = "cheap"
rules = [{{when = {{task_type = "planning"}}, capability = "planning"}}]

[[strategies]]
kind = "cascade"
executors = ["cheap", "strong"]
signal = "declined"

[[strategies]]
kind = "cascade"
executors = ["cheap", "strong"]
signal = "verifier"
verifier = "check"
threshold = 0.5
"""
    )
    return spec


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "default-cache"))
    monkeypatch.delenv("TOOLKIT_MODEL", raising=False)


def test_rules_and_cascades_through_the_runner(tmp_path: Path) -> None:
    faults = [Fault("http_500", pattern="Plan the steps", model="fake-cheap")]
    with FaultServer(answers=ANSWERS, faults=faults) as server:
        summary = run_spec(_write(tmp_path, server.url), out=tmp_path / "run", progress=False)
    assert summary.status == "done", summary.message
    results = {
        (r["task_id"], r["strategy"]): r for r in read_jsonl(tmp_path / "run" / "results.jsonl")
    }
    calls = read_jsonl(tmp_path / "run" / "calls.jsonl")
    assert len(results) == 12

    # rules: planning -> strong, low complexity -> cheap, otherwise the default (strong)
    assert results["plan-1", "rules"]["route"] == ["strong"]
    assert results["geo-1", "rules"]["route"] == ["cheap"]
    assert results["echo-1", "rules"]["route"] == ["strong"]
    assert results["geo-1", "rules"]["info"]["rule"] == 1
    assert results["echo-1", "rules"]["info"]["rule"] == "default"

    # a capability rule picks the cheapest executor having it (by the price file): check
    assert results["plan-1", "rules:capability"]["route"] == ["check"]
    assert results["plan-1", "rules:capability"]["info"]["capability"] == "planning"
    assert results["geo-1", "rules:capability"]["route"] == ["cheap"]

    # cascade:declined: the cheap model's HTTP 500 on the planning task escalates
    plan = results["plan-1", "cascade:declined"]
    assert plan["executors_called"] == ["cheap", "strong"] and plan["route"] == ["strong"]
    assert plan["answer"] == "echo: Plan the steps to bake bread" and plan["score"] == 1.0
    assert plan["error"] is None
    assert results["geo-1", "cascade:declined"]["route"] == ["cheap"]

    # cascade:verifier: "Paris" is verified and kept; "echo: Say hello" is rejected
    geo = results["geo-1", "cascade:verifier"]
    assert geo["route"] == ["cheap"] and geo["answer"] == "Paris" and geo["n_calls"] == 2
    echo = results["echo-1", "cascade:verifier"]
    assert echo["executors_called"] == ["cheap", "check", "strong"] and echo["route"] == ["strong"]
    assert echo["info"]["steps"][0]["confidence"] == 0.0

    # every routing and verifier call is in calls.jsonl, and results' cost is their sum
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for c in calls:
        by_pair[c["task_id"], c["strategy"]].append(c)
    for key, r in results.items():
        assert r["cost_usd"] == pytest.approx(sum(c["cost_usd"] for c in by_pair[key]))
        assert r["n_calls"] == len(by_pair[key])
    steps = [c["step"] for c in by_pair["echo-1", "cascade:verifier"]]
    assert steps == ["", "verify:cheap", ""]
    check = by_pair["echo-1", "cascade:verifier"][1]
    assert check["executor"] == "check" and check["model"] == "openai/fake-check"
    assert check["cost_usd"] == pytest.approx(
        (check["tokens_in"] * 1.0 + check["tokens_out"] * 2.0) / 1e6
    )
    assert check["cost_usd"] > 0
