"""`toolkit run` end to end: the litellm executor against a real local HTTP server (the fault
server), run files, replay, dry run, budget stop, resume after SIGKILL, and exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from toolkit.cli import main
from toolkit.runner import run_spec
from toolkit.runs import possibly_billed_usd, read_manifest
from toolkit.testing import Fault, FaultServer, count_words

if TYPE_CHECKING:
    from conftest import Kit

_STABLE = ("task_id", "strategy", "answer", "score", "cost_usd", "tokens_in", "tokens_out", "route")


def _stable(results: list[dict[str, object]]) -> dict[tuple[object, object], tuple[object, ...]]:
    return {(r["task_id"], r["strategy"]): tuple(r[k] for k in _STABLE) for r in results}


def test_spec_runs_end_to_end_through_litellm(
    kit: Kit, tmp_path: Path, server: FaultServer
) -> None:
    spec = kit.write_spec(tmp_path, server.url)
    out = tmp_path / "run"
    summary = run_spec(spec, out=out, progress=False)

    assert summary.status == "done" and summary.exit_code == 0
    assert server.request_count == len(kit.tasks)  # one provider call per task, no more
    calls = kit.read_jsonl(out / "calls.jsonl")
    results = kit.read_jsonl(out / "results.jsonl")
    assert sorted(c["task_id"] for c in calls) == sorted(t["id"] for t in kit.tasks)
    for call in calls:
        task = next(t for t in kit.tasks if t["id"] == call["task_id"])
        # tokens come from the server's usage block (it counts words), cost from the price file
        assert call["tokens_in"] == count_words(task["input"])
        assert call["tokens_out"] == count_words(call["text"])
        expected = (call["tokens_in"] * kit.price_in + call["tokens_out"] * kit.price_out) / 1e6
        assert call["cost_usd"] == pytest.approx(expected)
        assert call["billed_usd"] == call["cost_usd"]
        assert call["model"] == "openai/fake-small"
        assert call["strategy"] == "single:small"
        assert call["service_s"] > 0 and not call["cached"] and call["error"] is None
    scores = {r["task_id"]: r["score"] for r in results}
    assert scores == {"geo-1": 1.0, "echo-1": 1.0, "echo-2": 0.0}
    by_task = {r["task_id"]: r for r in results}
    assert by_task["geo-1"]["answer"] == "Paris"
    assert by_task["geo-1"]["route"] == ["small"]
    manifest = read_manifest(out)
    assert manifest.status == "done" and manifest.ended_at is not None
    assert manifest.versions["litellm"] and manifest.versions["python"]
    assert manifest.prices["openai/fake-small"]["input_per_mtok"] == kit.price_in
    assert manifest.spent_usd == pytest.approx(sum(c["billed_usd"] for c in calls))
    assert manifest.local_hourly_rate_usd == 0.0


def test_second_run_is_identical_and_replay_calls_nothing(
    kit: Kit, tmp_path: Path, server: FaultServer
) -> None:
    spec = kit.write_spec(tmp_path, server.url)
    first = run_spec(spec, out=tmp_path / "a", progress=False)
    assert first.status == "done"
    made = server.request_count
    assert made == len(kit.tasks)

    again = run_spec(spec, out=tmp_path / "b", progress=False)
    replay = run_spec(spec, out=tmp_path / "c", replay=True, progress=False)
    assert again.status == replay.status == "done"
    assert server.request_count == made  # the cache answered both: zero provider calls
    a, b, c = (kit.read_jsonl(tmp_path / d / "results.jsonl") for d in "abc")
    assert _stable(a) == _stable(b) == _stable(c)
    replay_calls = kit.read_jsonl(tmp_path / "c" / "calls.jsonl")
    assert all(call["cached"] and call["billed_usd"] == 0 for call in replay_calls)
    assert replay.spent_usd == 0 and replay.cost_usd == pytest.approx(first.cost_usd)


def test_replay_miss_exits_4_naming_task_and_executor(
    kit: Kit, tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = kit.write_spec(tmp_path, server.url)
    out = tmp_path / "run"
    code = main(["run", str(spec), "--out", str(out), "--replay", "--no-progress"])
    assert code == 4
    assert server.request_count == 0
    err = capsys.readouterr().err
    assert "replay" in err and "small" in err and "task" in err
    assert read_manifest(out).status == "replay_miss"
    assert not (out / "results.jsonl").read_text()


def test_dry_run_prints_the_plan_and_calls_nothing(
    kit: Kit, tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = kit.write_spec(
        tmp_path,
        server.url,
        strategies='[[strategies]]\nkind = "single"\nexecutor = "small"\n'
        '[[strategies]]\nkind = "single"\nexecutor = "small"\nname = "twice"\n',
    )
    out = tmp_path / "never"
    assert main(["run", str(spec), "--out", str(out), "--dry-run"]) == 0
    assert server.request_count == 0
    assert not out.exists()
    text = capsys.readouterr().out
    assert "3 tasks x 2 strategies" in text
    row = next(line for line in text.splitlines() if line.startswith("small "))
    calls, fallback, usd = row.split()[2], row.split()[3], float(row.split()[4])
    assert (calls, fallback) == ("6", "0")
    # worst case: every prompt at max_tokens (16) output tokens, at the price file's prices
    assert usd >= 6 * 16 * kit.price_out / 1e6
    assert usd < 6 * (200 + 16) * kit.price_out / 1e6


def test_budget_stop_exits_3_within_the_cap_and_resume_finishes(
    kit: Kit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = kit.synthetic_tasks(24)
    with FaultServer() as server:
        spec = kit.write_spec(tmp_path, server.url, tasks=tasks, concurrency=8)
        out = tmp_path / "run"
        # each call reserves ~(prompt + 16 output tokens) at $1/$2 per Mtok, about $4e-5:
        # a $2.5e-4 cap stops the run part way
        cap = 2.5e-4
        code = main(["run", str(spec), "--out", str(out), "--budget", str(cap), "--no-progress"])
        assert code == 3
        assert "budget" in capsys.readouterr().err
        manifest = read_manifest(out)
        assert manifest.status == "stopped_budget"
        calls = kit.read_jsonl(out / "calls.jsonl")
        results = kit.read_jsonl(out / "results.jsonl")
        assert 0 < len(results) < len(tasks)
        assert manifest.spent_usd <= cap
        assert sum(c["billed_usd"] for c in calls) <= cap + 1e-12
        assert server.answered_count == len(calls)

        # resume with a larger cap: it finishes, and no recorded call is made again
        before = Counter(r.prompt for r in server.requests)
        code = main(["run", str(spec), "--out", str(out), "--resume", "--budget", "1"])
        assert code == 0
        after = Counter(r.prompt for r in server.requests)
        recorded = {t["input"] for t in tasks if t["id"] in {c["task_id"] for c in calls}}
        assert all(after[p] == before[p] == 1 for p in recorded)
        final = kit.read_jsonl(out / "results.jsonl")
        assert sorted(r["task_id"] for r in final) == sorted(t["id"] for t in tasks)
        assert read_manifest(out).status == "done"


def test_calls_sent_but_never_recorded_are_possibly_billed_and_held_against_the_budget(
    kit: Kit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = kit.synthetic_tasks(24)
    with FaultServer() as server:
        spec = kit.write_spec(tmp_path, server.url, tasks=tasks, concurrency=8)
        out = tmp_path / "run"
        assert main(["run", str(spec), "--out", str(out), "--budget", "2.5e-4"]) == 3
        # every request the provider saw was written down before it was sent, and came back
        intents = kit.read_jsonl(out / "intents.jsonl")
        sent = [i for i in intents if i["event"] == "sent"]
        assert len(sent) == server.request_count > 0
        assert all(i["reserved_usd"] > 0 for i in sent)
        returned = {i["id"] for i in intents if i["event"] == "returned"}
        assert returned == {i["id"] for i in sent}
        assert possibly_billed_usd(out) == 0.0  # every pair's calls reached calls.jsonl
        manifest = read_manifest(out)
        assert manifest.possibly_billed_usd == 0.0
        capsys.readouterr()

        # a call in flight at a SIGKILL: written as sent, never as returned or recorded
        # (this line is written by hand, as such a kill leaves it)
        pending = next(t["id"] for t in tasks if t["id"] not in {i["task_id"] for i in sent})
        with (out / "intents.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(
                json.dumps(
                    {
                        "schema_version": 1,
                        "event": "sent",
                        "session": 1,
                        "id": 999,
                        "task_id": pending,
                        "strategy": "single:model",
                        "reserved_usd": 0.01,
                    }
                )
                + "\n"
            )
        assert possibly_billed_usd(out) == pytest.approx(0.01)
        # the budget counts it: $0.01 more than was spent leaves nothing for another call
        made = server.request_count
        cap = manifest.spent_usd + 0.01 + 1e-6
        assert main(["run", str(spec), "--out", str(out), "--resume", "--budget", str(cap)]) == 3
        assert server.request_count == made
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert "+ possibly billed $0.010000 of $" in line, line
        assert read_manifest(out).possibly_billed_usd == pytest.approx(0.01)
        # with room, the run finishes; the possibly billed call stays counted
        assert main(["run", str(spec), "--out", str(out), "--resume", "--budget", "1"]) == 0
        final = read_manifest(out)
        assert final.status == "done" and final.possibly_billed_usd == pytest.approx(0.01)
        calls = kit.read_jsonl(out / "calls.jsonl")
        assert final.spent_usd == pytest.approx(sum(c["billed_usd"] for c in calls), abs=1e-12)


def test_an_answer_holding_a_lone_surrogate_is_recorded(kit: Kit, tmp_path: Path) -> None:
    # JSON may carry "\\udfff"; UTF-8 cannot: the paid answer is kept, with U+FFFD in its place
    with FaultServer(answer_fn=lambda prompt: "caf\udfff") as server:
        spec = kit.write_spec(tmp_path, server.url)
        out = tmp_path / "run"
        assert main(["run", str(spec), "--out", str(out), "--no-progress"]) == 0
    calls = kit.read_jsonl(out / "calls.jsonl")
    assert calls and all(c["text"] == "caf\ufffd" for c in calls)
    assert main(["evaluate", str(out)]) == 0


def test_existing_out_dir_needs_resume(
    kit: Kit, tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = kit.write_spec(tmp_path, server.url)
    out = tmp_path / "run"
    assert main(["run", str(spec), "--out", str(out), "--no-progress"]) == 0
    assert main(["run", str(spec), "--out", str(out), "--no-progress"]) == 2
    assert "--resume" in capsys.readouterr().err
    # resuming a finished run makes no call and keeps one result per pair
    made = server.request_count
    assert main(["run", str(spec), "--out", str(out), "--resume", "--no-progress"]) == 0
    assert server.request_count == made
    assert len(kit.read_jsonl(out / "results.jsonl")) == len(kit.tasks)


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--budget", "-1"], "budget: must be >= 0"),
        (["--concurrency", "0"], "concurrency: must be >= 1"),
        (["--resume"], "needs --out"),
    ],
)
def test_bad_flags_exit_2(
    kit: Kit,
    tmp_path: Path,
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    message: str,
) -> None:
    spec = kit.write_spec(tmp_path, server.url)
    assert main(["run", str(spec), *flags]) == 2
    assert message in capsys.readouterr().err
    assert server.request_count == 0


def test_retries_fallback_and_broken_answers_are_recorded(kit: Kit, tmp_path: Path) -> None:
    faults = [
        Fault("http_503", pattern="capital", times=1),  # one retry, then an answer
        Fault("rate_limit", pattern="hello", times=1, retry_after_s=0.05),
        Fault("http_500", pattern="goodbye", model="fake-small"),  # always down: fallback
    ]
    executors = """
[[executors]]
name = "small"
kind = "litellm"
model = "openai/fake-small"
api_base = "URL"
max_retries = 2
fallbacks = ["backup"]

[[executors]]
name = "backup"
kind = "litellm"
model = "openai/fake-backup"
api_base = "URL"
max_retries = 0
"""
    with FaultServer(faults=faults, answers={"capital of France": "Paris"}) as server:
        spec = kit.write_spec(tmp_path, server.url, executors=executors.replace("URL", server.url))
        summary = run_spec(spec, out=tmp_path / "run", progress=False)
        assert summary.status == "done"
        calls = {c["task_id"]: c for c in kit.read_jsonl(tmp_path / "run" / "calls.jsonl")}
        results = {r["task_id"]: r for r in kit.read_jsonl(tmp_path / "run" / "results.jsonl")}
        assert calls["geo-1"]["attempts"] == 2 and calls["geo-1"]["error"] is None
        assert calls["echo-1"]["attempts"] == 2 and results["echo-1"]["score"] == 1.0
        assert calls["echo-2"]["fallback_from"] == "small"
        assert calls["echo-2"]["executor"] == "backup"
        assert results["echo-2"]["answer"] == "echo: Say goodbye"
        # 3 failed tries on small (1 + 2 retries), then one on backup
        goodbye = [r for r in server.requests if "goodbye" in r.prompt]
        assert [r.model for r in goodbye] == ["fake-small"] * 3 + ["fake-backup"]


def test_a_cut_or_malformed_answer_is_an_error_not_an_answer(kit: Kit, tmp_path: Path) -> None:
    faults = [Fault("cut_stream", pattern="capital"), Fault("malformed_json", pattern="hello")]
    with FaultServer(faults=faults) as server:
        spec = kit.write_spec(tmp_path, server.url.replace("URL", server.url))
        spec.write_text(spec.read_text().replace("max_retries = 2", "max_retries = 0"))
        summary = run_spec(spec, out=tmp_path / "run", progress=False)
        assert summary.status == "done" and summary.n_errors == 2
        results = {r["task_id"]: r for r in kit.read_jsonl(tmp_path / "run" / "results.jsonl")}
        for task_id in ("geo-1", "echo-1"):
            assert results[task_id]["error"]
            assert results[task_id]["answer"] == ""
            assert results[task_id]["score"] == 0.0
        assert results["echo-2"]["error"] is None


_KILL_SCRIPT = """
import sys
from toolkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_resume_after_sigkill_repeats_no_recorded_call(kit: Kit, tmp_path: Path) -> None:
    tasks = kit.synthetic_tasks(30)
    concurrency = 2
    with FaultServer(latency_s=0.05) as server:
        spec = kit.write_spec(tmp_path, server.url, tasks=tasks, concurrency=concurrency)
        out = tmp_path / "run"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILL_SCRIPT, "run", str(spec), "--out", str(out)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            results = out / "results.jsonl"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # kill it part way (seeded by the data, not time)
                if results.exists() and results.read_bytes().count(b"\n") >= 8:
                    break
                if proc.poll() is not None:
                    break
                time.sleep(0.01)
            assert proc.poll() is None, "the run finished before it could be killed"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
        recorded_before = {c["task_id"] for c in kit.read_jsonl(out / "calls.jsonl")}
        done_before = len(kit.read_jsonl(out / "results.jsonl"))
        assert 8 <= done_before < len(tasks)

        summary = run_spec(spec, out=out, resume=True, progress=False)
        assert summary.status == "done"
        assert summary.n_skipped == done_before
        per_prompt = Counter(r.prompt for r in server.requests)
        by_id = {t["id"]: t["input"] for t in tasks}
        # every call recorded before the kill went to the server exactly once in total
        assert all(per_prompt[by_id[i]] == 1 for i in recorded_before)
        # only calls in flight at the kill (at most the concurrency) were made twice
        assert sum(1 for n in per_prompt.values() if n > 1) <= concurrency
        final = kit.read_jsonl(out / "results.jsonl")
        assert Counter(r["task_id"] for r in final) == Counter(t["id"] for t in tasks)
        assert all(r["score"] == 1.0 for r in final)
        assert read_manifest(out).status == "done"


def test_progress_bar_and_summary_line(
    kit: Kit, tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = kit.write_spec(tmp_path, server.url)
    out = tmp_path / "run"
    assert main(["run", str(spec), "--out", str(out), "--progress"]) == 0
    err = capsys.readouterr().err
    assert "spent $" in err  # the bar's postfix
    assert f"{len(kit.tasks)}/{len(kit.tasks)}" in err
    summary = err.strip().splitlines()[-1]
    assert summary.startswith("lab: done: 3/3 results") and str(out) in summary
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sessions"][0]["status"] == "done"


def test_per_task_overrides_reach_the_provider(kit: Kit, tmp_path: Path) -> None:
    tasks = [dict(t) for t in kit.tasks]
    tasks[0]["metadata"] = {"models": {"small": "openai/fake-backup"}}
    overrides = (
        '[[overrides]]\nexecutor = "small"\ncategories = ["echo"]\nmodel = "openai/fake-backup"\n'
    )
    with FaultServer() as server:
        spec = kit.write_spec(tmp_path, server.url, tasks=tasks, extra=overrides)
        assert run_spec(spec, out=tmp_path / "run", progress=False).status == "done"
        assert sorted(r.model for r in server.requests) == ["fake-backup"] * 3
    calls = kit.read_jsonl(tmp_path / "run" / "calls.jsonl")
    assert {c["model"] for c in calls} == {"openai/fake-backup"}


@pytest.mark.parametrize("where", ["executor", "task"])
def test_unpriced_model_is_bad_input_before_anything_is_written(
    kit: Kit,
    tmp_path: Path,
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:
    tasks = [dict(t) for t in kit.tasks]
    spec = kit.write_spec(tmp_path, server.url, tasks=tasks)
    if where == "executor":
        spec.write_text(spec.read_text().replace("openai/fake-small", "openai/no-price-known"))
    else:
        tasks[1]["metadata"] = {"model": "openai/no-price-known"}
        spec = kit.write_spec(tmp_path, server.url, tasks=tasks)
    out = tmp_path / "run"
    assert main(["run", str(spec), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "'openai/no-price-known' has no known price" in err and "Traceback" not in err
    assert not out.exists()
    assert server.request_count == 0


def test_judge_calls_are_recorded_once_and_costed(kit: Kit, tmp_path: Path) -> None:
    tasks = [
        {"id": "j1", "input": "Name a primary colour.", "category": "open", "grader": "judge"},
        {"id": "j2", "input": "Name a planet.", "category": "open", "grader": "judge"},
    ]
    executors = """
[[executors]]
name = "small"
kind = "litellm"
model = "openai/fake-small"
api_base = "URL"

[[executors]]
name = "judge"
kind = "litellm"
model = "openai/fake-backup"
api_base = "URL"
"""
    answers = {r"(?s)grading an answer.*colour": "Right.\nSCORE: 9", r"grading": "No.\nSCORE: 2"}
    with FaultServer(answers=answers) as server:
        spec = kit.write_spec(
            tmp_path,
            server.url,
            tasks=tasks,
            executors=executors.replace("URL", server.url),
            extra='[grading]\njudge = "judge"\n',
        )
        assert run_spec(spec, out=tmp_path / "run", progress=False).status == "done"
        assert server.request_count == 4  # two answers, two judgements
    calls = kit.read_jsonl(tmp_path / "run" / "calls.jsonl")
    assert sorted((c["task_id"], c["step"], c["executor"]) for c in calls) == [
        ("j1", "", "small"),
        ("j1", "judge", "judge"),
        ("j2", "", "small"),
        ("j2", "judge", "judge"),
    ]
    results = {r["task_id"]: r for r in kit.read_jsonl(tmp_path / "run" / "results.jsonl")}
    assert results["j1"]["score"] == 1.0 and results["j2"]["score"] == 0.0
    # the strategy's cost is its own call; the judge's cost is in calls.jsonl, not the result
    own = {c["task_id"]: c["cost_usd"] for c in calls if c["step"] == ""}
    assert results["j1"]["cost_usd"] == pytest.approx(own["j1"])
