"""`record_run`: a run is built in a hidden `.partial` folder and replaces the recorded one only
when it is done; a stopped run keeps its partial run and leaves the recorded one alone; `live`
empties the spec's own cache and never touches a shared one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from toolkit.lab import RecordingFailed, partial_dir, record_run
from toolkit.models import CACHE_DIR_ENV, ResponseCache
from toolkit.runs import read_manifest, read_results
from toolkit.testing import FaultServer

TASKS = [
    {"id": "a1", "category": "arithmetic", "grader": "numeric", "target": "42", "input": "What is 17 + 25?"},
    {"id": "a2", "category": "arithmetic", "grader": "numeric", "target": "48", "input": "What is 12 * 4?"},
]  # fmt: skip

TOOLS_SPEC = """\
name = "tools"

[tasks]
paths = ["tasks.jsonl"]
{cache}
[[executors]]
name = "calc"
kind = "tool"
tool = "arithmetic"

[[strategies]]
kind = "single"
executor = "calc"
"""


def _write(folder: Path, spec_text: str) -> Path:
    (folder / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in TASKS), "utf-8")
    spec = folder / "spec.toml"
    spec.write_text(spec_text, encoding="utf-8")
    return spec


def test_a_finished_run_replaces_the_recorded_one(tmp_path: Path) -> None:
    spec = _write(tmp_path, TOOLS_SPEC.format(cache='\n[cache]\npath = "cache.sqlite"\n'))
    out = tmp_path / "runs" / "tools"
    first = record_run(spec, out)
    assert first.summary.status == "done" and first.out == out
    assert read_manifest(out).status == "done"
    assert {r.task_id for r in read_results(out)} == {"a1", "a2"}
    assert all(r.score == 1.0 for r in read_results(out))
    started = read_manifest(out).started_at
    second = record_run(spec, out)
    assert second.summary.n_run == 2  # a new run, not a resume of the recorded one
    assert read_manifest(out).started_at > started
    assert not partial_dir(out).exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["tools"]  # nothing left beside it


def test_a_stopped_run_keeps_the_partial_and_the_old_recording(tmp_path: Path) -> None:
    with FaultServer(answers={r"17 \+ 25": "42"}) as server:
        (tmp_path / "prices.toml").write_text(
            '[models."openai/fake"]\ninput_per_mtok = 1.0\noutput_per_mtok = 1.0\n', "utf-8"
        )
        spec_text = f"""\
name = "capped"

[tasks]
paths = ["tasks.jsonl"]

[prices]
file = "prices.toml"

[cache]
path = "cache.sqlite"

[run]
budget_usd = 0.0

[[executors]]
name = "llm"
kind = "litellm"
model = "openai/fake"
api_base = "{server.url}"

[[strategies]]
kind = "single"
executor = "llm"
"""
        spec = _write(tmp_path, spec_text)
        out = tmp_path / "runs" / "capped"
        out.mkdir(parents=True)
        (out / "keep.txt").write_text("the previous recording", "utf-8")
        with pytest.raises(RecordingFailed, match="stopped_budget") as info:
            record_run(spec, out)
        assert str(partial_dir(out)) in str(info.value)
        assert server.request_count == 0  # the budget refused the call before it was made
    assert (out / "keep.txt").read_text("utf-8") == "the previous recording"
    assert read_manifest(partial_dir(out)).status == "stopped_budget"


def test_live_empties_the_specs_own_cache(tmp_path: Path) -> None:
    spec = _write(tmp_path, TOOLS_SPEC.format(cache='\n[cache]\npath = "cache.sqlite"\n'))
    cache = ResponseCache(tmp_path / "cache.sqlite")
    key = ResponseCache.key("local:gemma", "local/gemma-3-270m", {"prompt": "x"}, {})
    cache.put(key, {"text": "old"})
    assert cache.get(key) is not None
    cache.close()
    record_run(spec, tmp_path / "out", live=True)
    again = ResponseCache(tmp_path / "cache.sqlite")
    try:
        assert again.get(key) is None
    finally:
        again.close()


def test_live_without_a_cache_path_uses_a_temporary_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared-cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(shared))
    spec = _write(tmp_path, TOOLS_SPEC.format(cache=""))
    record_run(spec, tmp_path / "out", live=True)
    assert os.environ[CACHE_DIR_ENV] == str(shared)  # restored
    assert not shared.exists()  # the shared cache was never opened
