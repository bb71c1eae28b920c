"""Ctrl-C during `toolkit run`: the usual summary line (as interrupted, its spend the same
as the manifest's) and the exact --resume command, which then finishes the run without
calling again what was recorded. Declines by design are counted apart from errors."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from toolkit.cli import main
from toolkit.testing import FaultServer

if TYPE_CHECKING:
    from conftest import Kit

ROOT = Path(__file__).resolve().parents[2]


def test_ctrl_c_prints_the_summary_and_the_resume_command(kit: Kit, tmp_path: Path) -> None:
    tasks = kit.synthetic_tasks(40)
    with FaultServer(latency_s=0.05) as server:
        spec = kit.write_spec(tmp_path, server.url, tasks=tasks, concurrency=2)
        out = tmp_path / "run"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "toolkit", "run", str(spec), "--out", str(out)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            results = out / "results.jsonl"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                if results.exists() and results.read_bytes().count(b"\n") >= 6:
                    break
                time.sleep(0.01)
            assert proc.poll() is None, "the run finished before it could be interrupted"
            proc.send_signal(signal.SIGINT)
            _, err_bytes = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err = err_bytes.decode()
        assert proc.returncode == 130, err
        line = next(ln for ln in err.splitlines() if ln.startswith("lab: interrupted: "))
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert f"spent ${manifest['spent_usd']:.6f}" in line  # the same spend everywhere
        resume = err.split("resume with:\n", 1)[1].strip().splitlines()[0]
        assert shlex.split(resume) == ["toolkit", "run", str(spec), "--out", str(out), "--resume"]
        before = Counter(r.prompt for r in server.requests)
        recorded = {c["task_id"] for c in kit.read_jsonl(out / "calls.jsonl")}
        assert main([*shlex.split(resume)[1:], "--no-progress"]) == 0
        after = Counter(r.prompt for r in server.requests)
        by_id = {t["id"]: t["input"] for t in tasks}
        assert all(after[by_id[i]] == before[by_id[i]] for i in recorded)
        assert len(kit.read_jsonl(out / "results.jsonl")) == len(tasks)


def test_declines_are_not_errors(
    kit: Kit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = [
        {"id": "m1", "input": "2 + 3", "target": "5", "category": "math", "grader": "numeric"},
        {"id": "c1", "input": "hello", "target": "x", "category": "chat"},
    ]
    executors = """
[[executors]]
name = "calc"
kind = "tool"
tool = "arithmetic"
categories = ["math"]
"""
    strategies = """
[[strategies]]
kind = "single"
executor = "calc"
"""
    spec = kit.write_spec(
        tmp_path, "http://127.0.0.1:9", tasks=tasks, executors=executors, strategies=strategies
    )
    assert main(["run", str(spec), "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "0 with errors, 1 declined" in line
