"""The run directory: append-only line files, torn-line handling, schema checks, frames."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit._errors import InputError
from toolkit._types import Call, Trace
from toolkit.runs import (
    CallRecord,
    Manifest,
    ResultRecord,
    RunWriter,
    calls_frame,
    done_keys,
    read_manifest,
    read_results,
    results_frame,
)


def _call(task_id: str, cost: float = 0.002) -> Call:
    return Call(
        executor="gemma",
        model="gemma-3-270m",
        text="42",
        tokens_in=10,
        tokens_out=2,
        cost_usd=cost,
        billed_usd=cost,
        service_s=0.5,
        task_id=task_id,
    )


def _write_run(root: Path, n: int) -> None:
    writer = RunWriter.create(root, Manifest(name="t"))
    for i in range(n):
        call = _call(f"t{i}")
        writer.add_call(CallRecord.from_call(call, strategy="single:gemma"))
        trace = Trace(answer="42", calls=(call,), route=("gemma",), latency_s=0.5)
        writer.add_result(
            ResultRecord.from_trace(trace, task_id=f"t{i}", strategy="single:gemma", score=1.0)
        )
    writer.finish()


def test_round_trip_and_frames(tmp_path: Path) -> None:
    _write_run(tmp_path / "run", 3)
    results = read_results(tmp_path / "run")
    assert [r.task_id for r in results] == ["t0", "t1", "t2"]
    assert results[0].cost_usd == pytest.approx(0.002)
    assert results[0].executors_called == ["gemma"]
    assert read_manifest(tmp_path / "run").status == "done"
    frame = results_frame(tmp_path / "run")
    assert list(frame["task_id"]) == ["t0", "t1", "t2"]
    assert calls_frame(tmp_path / "run")["tokens_in"].sum() == 30


def test_torn_last_line_is_ignored_then_truncated_on_resume(tmp_path: Path) -> None:
    root = tmp_path / "run"
    _write_run(root, 2)
    with (root / "results.jsonl").open("ab") as fh:
        fh.write(b'{"schema_version": 1, "task_id": "t2", "strat')  # a crash mid-write
    assert done_keys(root) == {("t0", "single:gemma"), ("t1", "single:gemma")}
    writer = RunWriter.resume(root)
    trace = Trace(answer="x", calls=(), route=())
    writer.add_result(ResultRecord.from_trace(trace, task_id="t2", strategy="single:gemma"))
    writer.finish()
    lines = (root / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    assert all(json.loads(line)["schema_version"] == 1 for line in lines)


def test_existing_directory_needs_resume(tmp_path: Path) -> None:
    _write_run(tmp_path / "run", 1)
    with pytest.raises(InputError, match="--resume"):
        RunWriter.create(tmp_path / "run", Manifest())


def test_bad_lines_are_located(tmp_path: Path) -> None:
    root = tmp_path / "run"
    _write_run(root, 1)
    with (root / "results.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"schema_version": 2, "task_id": "x", "strategy": "s"}\n')
    with pytest.raises(InputError) as err:
        read_results(root)
    assert err.value.problems == [
        f"{root / 'results.jsonl'}:2: schema_version: is 2; this toolkit reads version 1"
    ]
    (root / "results.jsonl").write_text('{"schema_version": 1, "task_id": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"results.jsonl:1: strategy: Field required"):
        read_results(root)
    (root / "results.jsonl").write_text(
        '{"schema_version": 1, "task_id": "x", "strategy": "s", "score": 1.5}\n', encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"results.jsonl:1: score: "):
        read_results(root)


def test_not_a_run_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_results(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="is not a run directory"):
        read_results(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text("{nope", encoding="utf-8")
    with pytest.raises(InputError, match=r"manifest.json:1: manifest: invalid JSON"):
        read_manifest(tmp_path / "bad")
