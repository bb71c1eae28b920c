"""Crash and resume: ``toolkit run`` is killed with SIGKILL at a random point, then resumed.

The fault server runs in this process, so its request log survives the kill. For several
seeds the run is killed after a seeded number of results (plus a seeded pause, so the kill
lands mid-call too), a torn line is appended to both run files by hand, and the run is resumed
with ``--resume``. Then:

- the run files are valid JSONL again: the torn lines were cut before appending;
- no recorded call was made again (server log and cache): only calls in flight at the kill,
  at most the concurrency limit, were;
- the final results equal those of an uninterrupted run (task ids, answers, scores).

The tasks are synthetic (benchmarks/fault_soak.py's echo tasks, two of them failing on every
model by design); the server injects seeded transient faults, so retries and fallbacks are
interrupted too.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_support import REPO, fault_soak
from synthetic_runs import read_jsonl

from toolkit.cli import main
from toolkit.models import ResponseCache
from toolkit.runner import run_spec
from toolkit.runs import (
    IntentRecord,
    iter_records,
    possibly_billed_usd,
    read_calls,
    read_manifest,
    read_results,
)
from toolkit.testing import FaultServer, ServedRequest

pytestmark = pytest.mark.timeout(180)

N_TASKS = 40
CONCURRENCY = 4
LATENCY_S = 0.04
FAULT_RATE = 0.1
FAULT_SEED = 5
TORN = '{"schema_version": 1, "task_id": "torn-by-hand", "strat'


def _server() -> FaultServer:
    return FaultServer(
        fault_rate=FAULT_RATE,
        seed=FAULT_SEED,
        latency_s=LATENCY_S,
        retry_after_s=0.01,
        faults=[],
    )


def _tasks() -> list[dict[str, Any]]:
    return list(fault_soak().soak_tasks(N_TASKS, 2))


def _outcomes(run: Path) -> dict[str, tuple[str, float | None, bool]]:
    return {r.task_id: (r.answer, r.score, r.error is None) for r in read_results(run)}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same spec run once without interruption: the results a resumed run must equal."""
    root = tmp_path_factory.mktemp("uninterrupted")
    with _server() as server:
        spec = fault_soak().write_soak_spec(
            root, server.url, _tasks(), budget_usd=1.0, concurrency=CONCURRENCY
        )
        summary = run_spec(spec, out=root / "run", progress=False)
    assert summary.status == "done"
    return _outcomes(root / "run")


def _answered(requests: list[ServedRequest]) -> Counter[str]:
    return Counter(r.prompt for r in requests if r.answered)


@pytest.fixture
def killed_child() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Child processes a test starts; any still alive at the end is killed and reaped."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


@pytest.mark.parametrize("seed", [101, 202, 303])
def test_sigkill_at_a_random_point_then_resume_repeats_no_recorded_call(
    seed: int,
    tmp_path: Path,
    uninterrupted: dict[str, Any],
    killed_child: list[subprocess.Popen[bytes]],
) -> None:
    rng = random.Random(seed)
    kill_after = rng.randint(2, N_TASKS - 16)  # results written before the kill
    pause_s = rng.uniform(0.0, LATENCY_S * 2)  # then a little more: the kill lands mid-call
    tasks = _tasks()
    prompt_of = {t["id"]: t["input"] for t in tasks}
    out = tmp_path / "run"
    with _server() as server:
        spec = fault_soak().write_soak_spec(
            tmp_path, server.url, tasks, budget_usd=1.0, concurrency=CONCURRENCY
        )
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "toolkit", "run", str(spec), "--out", str(out)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        killed_child.append(proc)
        results_file = out / "results.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if results_file.exists() and results_file.read_bytes().count(b"\n") >= kill_after:
                break
            time.sleep(0.005)
        time.sleep(pause_s)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL

        # what the killed run left: readable files (a torn last line is ignored), no end
        assert read_manifest(out).status == "running"
        recorded = {c.task_id for c in read_calls(out)}
        done_before = {r.task_id for r in read_results(out)}
        assert kill_after <= len(done_before) < N_TASKS
        before = server.requests
        cache = ResponseCache(tmp_path / "cache.sqlite")
        cached_before = len(cache)
        cache.close()
        # every request the provider saw was written down first; each answered one that
        # never reached calls.jsonl is sent-but-not-closed, so counted as possibly billed
        intents = list(iter_records(out / "intents.jsonl", IntentRecord))
        closed = {i.task_id for i in intents if i.event == "closed"}
        sent = {prompt_of[i.task_id] for i in intents if i.event == "sent"}
        open_sent = {prompt_of[i.task_id] for i in intents if i.event == "sent"} - {
            prompt_of[t] for t in closed
        }
        assert {r.prompt for r in before} <= sent
        unrecorded = {r.prompt for r in before if r.answered} - {prompt_of[t] for t in recorded}
        assert unrecorded <= open_sent
        possibly = possibly_billed_usd(out)
        assert (possibly > 0) == bool(open_sent)
        for name in ("calls.jsonl", "results.jsonl"):  # a crash mid-line, made by hand
            with (out / name).open("a", encoding="utf-8") as fh:
                fh.write(TORN)

        code = main(["run", str(spec), "--out", str(out), "--resume", "--no-progress"])
        assert code == 0
        after = server.requests

    # the run files are whole again: every line parses, the torn ones are gone
    for name in ("calls.jsonl", "results.jsonl"):
        raw = (out / name).read_text("utf-8")
        assert raw.endswith("\n") and "torn-by-hand" not in raw
        read_jsonl(out / name)
    manifest = read_manifest(out)
    assert manifest.status == "done"
    assert len(manifest.sessions) == 2

    # no recorded call was made again
    new = after[len(before) :]
    new_prompts = Counter(r.prompt for r in new)
    for task_id in recorded:
        assert new_prompts[prompt_of[task_id]] == 0, f"{task_id}: a recorded call was made again"
    # only calls in flight at the kill were made again: at most the concurrency limit
    started_before = {r.prompt for r in before}
    redone = {p for p in new_prompts if p in started_before}
    assert len(redone) <= CONCURRENCY, f"{len(redone)} calls made again: {sorted(redone)}"
    answered = _answered(after)
    assert sum(1 for n in answered.values() if n > 1) <= CONCURRENCY
    # what was answered and cached before the kill came from the cache, at no cost
    calls = read_calls(out)
    cached_now = {c.task_id for c in calls if c.cached}
    assert all(c.billed_usd == 0.0 for c in calls if c.cached)
    assert len(cached_now) <= cached_before
    cache = ResponseCache(tmp_path / "cache.sqlite")
    assert len(cache) == sum(1 for prompt in answered if answered[prompt])
    cache.close()
    # nothing lost, nothing twice, and the same outcome as the uninterrupted run
    final = read_results(out)
    assert Counter(r.task_id for r in final) == Counter(t["id"] for t in tasks)
    assert Counter(c.task_id for c in calls) == Counter(t["id"] for t in tasks)
    assert _outcomes(out) == uninterrupted
    assert manifest.spent_usd == pytest.approx(sum(c.billed_usd for c in calls), abs=1e-12)
    assert manifest.possibly_billed_usd == pytest.approx(possibly, abs=1e-12)
    assert json.loads((out / "manifest.json").read_text("utf-8"))["status"] == "done"
