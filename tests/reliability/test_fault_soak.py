"""Fault soak, fast variant: synthetic tasks through a live run against the fault-injecting
server at a seeded 20% fault rate, with retries and a fallback, audited against the server's
own request log. ``benchmarks/fault_soak.py`` runs the long one (500 tasks) with the same audit.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import time
from collections import Counter
from pathlib import Path

import pytest
from reliability_support import fault_soak
from synthetic_runs import read_jsonl

from toolkit.runner import run_spec
from toolkit.testing import Fault, FaultServer, default_answer

pytestmark = pytest.mark.timeout(180)


def test_fault_soak_loses_nothing_and_bills_each_answer_once(tmp_path: Path) -> None:
    soak = fault_soak()
    result = soak.run_soak(n_tasks=120, fault_rate=0.2, seed=7, root=tmp_path)
    s = result.summary
    assert result.violations == [], "\n".join(result.violations)
    assert s["run_status"] == "done"
    assert s["tasks_lost"] == 0 and s["duplicates"] == 0
    # the faults really happened, every kind of them, and were retried or fallen back from
    assert set(s["faults_by_kind"]) == set(soak.SOAK_FAULTS), s["faults_by_kind"]
    assert s["faults_injected"] >= 0.1 * s["calls_made"]
    assert s["retries"] > 0 and s["fallbacks"] > 0
    assert s["failures_recorded"] >= 2  # the doomed tasks, each with its reason
    assert s["answers"] + s["failures_recorded"] == s["tasks"]
    assert s["within_cap"] and s["spent_usd"] == pytest.approx(s["answered_cost_usd"], abs=1e-12)


def test_the_soak_audit_catches_lost_duplicated_and_overbilled_results(tmp_path: Path) -> None:
    """The audit is not vacuous: tampering with a finished run is reported."""
    soak = fault_soak()
    clean = soak.run_soak(n_tasks=20, fault_rate=0.2, seed=3, root=tmp_path)
    assert clean.violations == []
    tasks = soak.soak_tasks(20, 2)
    run = tmp_path / "run"
    results = (run / "results.jsonl").read_text("utf-8").splitlines(keepends=True)
    calls = read_jsonl(run / "calls.jsonl")
    billed_twice = json.loads(results[3])["task_id"]
    for c in calls:
        if c["task_id"] == billed_twice:
            c["billed_usd"] += 0.01  # a call billed twice
    (run / "calls.jsonl").write_text("".join(json.dumps(c) + "\n" for c in calls), "utf-8")
    (run / "results.jsonl").write_text("".join(results[1:] + results[2:3]), "utf-8")
    tampered = soak.audit(tasks, run, clean.requests, budget_usd=1.0)
    first, third = (json.loads(results[i])["task_id"] for i in (0, 2))
    assert set(tampered.violations) == {
        f"{first}: no result (lost)",
        f"{third}: 2 results (duplicated)",
        next(v for v in tampered.violations if v.startswith(f"{billed_twice}: billed $")),
        next(v for v in tampered.violations if v.startswith("manifest spent")),
    }


def test_missing_or_wrong_usage_never_bills_a_negative_or_zero_cost(tmp_path: Path) -> None:
    """A provider answer without a usage block, or with a nonsense one (negative counts), is
    still an answer the provider did and billed: its tokens are never negative and its cost
    is never 0 or negative (the executor must estimate them), streamed or not."""
    soak = fault_soak()
    tasks = [
        {"id": f"u-{kind}", "input": f"usage fault {kind} case", "target": "x", "category": "c"}
        for kind in ("no_usage", "wrong_usage")
    ]
    faults = [Fault("no_usage", pattern="no_usage"), Fault("wrong_usage", pattern="wrong_usage")]
    with FaultServer(faults=faults) as server:
        spec = soak.write_soak_spec(tmp_path, server.url, tasks, budget_usd=1.0, concurrency=2)
        # one streamed executor (primary) and one plain (backup): run both as strategies
        text = spec.read_text("utf-8") + '\n[[strategies]]\nkind = "single"\nexecutor = "backup"\n'
        spec.write_text(text, "utf-8")
        run_spec(spec, out=tmp_path / "run", progress=False)
    calls = read_jsonl(tmp_path / "run" / "calls.jsonl")
    assert Counter(c["executor"] for c in calls) == {"primary": 2, "backup": 2}
    problems = []
    for c in calls:
        prompt = next(t["input"] for t in tasks if t["id"] == c["task_id"])
        assert c["error"] is None and c["text"] == default_answer(prompt)
        if c["tokens_in"] <= 0 or c["tokens_out"] <= 0 or c["cost_usd"] <= 0:
            problems.append(
                f"{c['executor']} {c['task_id']}: tokens {c['tokens_in']}/{c['tokens_out']}, "
                f"cost {c['cost_usd']}"
            )
    assert problems == [], "usage faults billed wrongly:\n" + "\n".join(problems)


def test_fault_server_counts_whole_slow_answers_and_is_quiet_about_resets(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The audit relies on the server's ``answered`` flag: a slow but whole answer counts, and
    a client that drops its connection leaves no traceback noise on stderr."""
    faults = [Fault("slow_stream", pattern="slow", delay_s=0.01), Fault("reset", pattern="drop")]
    with FaultServer(faults=faults) as server:
        for prompt, stream in (("slow one", False), ("slow two", True), ("drop me", False)):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            body = {"model": "m", "messages": [{"role": "user", "content": prompt}]}
            try:
                conn.request("POST", "/v1/chat/completions", json.dumps({**body, "stream": stream}))
                conn.getresponse().read()
                # then drop the kept-alive connection with a reset, as clients do
                assert conn.sock is not None
                conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except ConnectionError:
                assert prompt == "drop me"
            finally:
                conn.close()
        time.sleep(0.2)  # let the server's threads see the resets
        answered = {r.prompt: r.answered for r in server.requests}
    assert answered == {"slow one": True, "slow two": True, "drop me": False}
    assert "Traceback" not in capfd.readouterr().err
