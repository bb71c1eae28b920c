"""Live and offline agree on a real run: a spec run live on the local model (Gemma 3 270M
through llama.cpp) and then evaluated from its run directory gives the same per-strategy
quality and cost as the live results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from synthetic_runs import read_jsonl

from toolkit.cli import main
from toolkit.models import local_server_available
from toolkit.runner import run_spec

pytestmark = [
    pytest.mark.local_model,
    pytest.mark.skipif(local_server_available() is not None, reason=str(local_server_available())),
]

SPEC = """\
name = "agree"

[tasks]
paths = ["tasks.jsonl"]

[cache]
path = "cache.sqlite"

[local]
hourly_rate_usd = 0.0416   # example rate for a 2-vCPU VM; it only prices compute time here

[[executors]]
name = "gemma"
kind = "local"

[executors.profile]
mode = "completion"
template = "{few_shot}{input}\\nA:"
stop = ["\\n"]
max_tokens = 6

[executors.profile.few_shot]
default = "Review: I loved it.\\nA: positive\\nReview: Awful, a waste of time.\\nA: negative\\n"

[[executors]]
name = "calc"
kind = "tool"
tool = "arithmetic"

[[strategies]]
kind = "single"
executor = "gemma"

[[strategies]]
kind = "single"
executor = "calc"

[[strategies]]
kind = "rules"
default = "gemma"
rules = [{ when = { category = ["arithmetic"] }, executor = "calc" }]
"""

REVIEWS = [
    ("A wonderful, moving film.", "positive"),
    ("Boring and far too long.", "negative"),
    ("The best meal I have had in years.", "positive"),
    ("Rude staff and cold food.", "negative"),
]
SUMS = [(17, 25), (8, 5), (120, 33), (9, 9)]


def _tasks() -> list[dict[str, str]]:
    tasks = []
    for i, (text, label) in enumerate(REVIEWS):
        split = "train" if i % 2 == 0 else "test"
        tasks.append(
            {
                "id": f"r{i}",
                "input": f"Review: {text}",
                "target": label,
                "category": "sentiment",
                "split": split,
            }
        )
    for i, (a, b) in enumerate(SUMS):
        split = "train" if i % 2 == 0 else "test"
        tasks.append(
            {
                "id": f"a{i}",
                "input": f"What is {a} + {b}?",
                "target": str(a + b),
                "category": "arithmetic",
                "grader": "numeric",
                "split": split,
            }
        )
    return tasks


def test_evaluate_on_a_live_local_run_matches_the_live_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in _tasks()))
    (tmp_path / "spec.toml").write_text(SPEC)
    summary = run_spec(tmp_path / "spec.toml", out=tmp_path / "run", progress=False)
    assert summary.status == "done"

    results = read_jsonl(tmp_path / "run/results.jsonl")
    live: dict[str, dict[str, float]] = {}
    for name in ("single:gemma", "single:calc", "rules"):
        rows = [r for r in results if r["strategy"] == name and r["split"] == "test"]
        assert len(rows) == 4
        live[name] = {
            "quality": sum(r["score"] for r in rows) / len(rows),
            "cost_usd": sum(r["cost_usd"] for r in rows),
        }
    assert live["single:gemma"]["cost_usd"] > 0  # compute time x the hourly rate

    code = main(["evaluate", str(tmp_path / "run"), "--bootstrap", "50", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    report = json.loads(out.out)
    offline = {s["name"]: s for s in report["strategies"]}
    recorded = {s["name"]: s for s in report["live"]["strategies"]}
    for name in ("single:gemma", "single:calc"):  # offline, from the outcome matrix
        assert offline[name]["quality"] == pytest.approx(live[name]["quality"], abs=1e-12)
        assert offline[name]["cost_usd"] == pytest.approx(live[name]["cost_usd"], abs=1e-12)
    for name in live:  # the live strategies as evaluate reports them
        assert recorded[name]["quality"] == pytest.approx(live[name]["quality"], abs=1e-12)
        assert recorded[name]["cost_usd"] == pytest.approx(live[name]["cost_usd"], abs=1e-12)
