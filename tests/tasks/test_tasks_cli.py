"""``toolkit tasks validate`` and ``toolkit tasks show``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from broken_task_cases import BROKEN, EXPECTED, OK, expected_problems

from toolkit.cli import MAX_PROBLEMS, main

REPO = Path(__file__).resolve().parents[2]


def test_validate_broken_folder_exits_2_with_every_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["tasks", "validate", str(BROKEN)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    expected = [p for name in sorted(EXPECTED) for p in expected_problems(BROKEN, name)]
    for (prefix, fragment), line in zip(expected, lines, strict=False):
        assert line.startswith(prefix) and fragment in line, line
    assert len(lines) == len(expected) + 1
    assert (
        lines[-1]
        == f"{len(expected)} problems found in {len(EXPECTED)} task files; fix them and run again"
    )
    assert "Traceback" not in err


def test_validate_valid_files_prints_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["tasks", "validate", str(OK / "valid.jsonl"), str(OK / "valid.csv")])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "7 tasks OK (2 files)",
        "category    tasks  train  test  no split",
        "arithmetic      1      0     1         0",
        "choice          1      0     0         1",
        "code            1      0     1         0",
        "factual         2      1     0         1",
        "sentiment       2      1     1         0",
        "total           7      2     3         2",
    ]


def test_validate_caps_the_problem_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    # 40 lines, each missing input, category and target: 120 problems
    bad.write_text("".join(f'{{"id": "x{i}"}}\n' for i in range(40)), encoding="utf-8")
    assert main(["tasks", "validate", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == MAX_PROBLEMS + 2
    assert err[MAX_PROBLEMS] == f"... and {120 - MAX_PROBLEMS} more problems"
    assert err[0] == f"{bad}:1: input: missing (required)"


def test_show_filters_and_prints_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "show", str(OK), "--category", "sentiment", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in records] == ["csv-1", "csv-2"]
    assert records[1]["target"] == ["negative", "neg"]

    assert main(["tasks", "show", str(OK), "--split", "test", "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:4] for line in lines] == [
        ["csv-2", "sentiment", "test", "normalized"],
        ["ok-2", "arithmetic", "test", "numeric"],
    ]


def test_show_rejects_unknown_category(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "show", str(OK), "--category", "sentimnet"]) == 2
    assert "--category: unknown categories ['sentimnet']" in capsys.readouterr().err


def test_real_subprocess_validate() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "toolkit", "tasks", "validate", str(OK)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("7 tasks OK")
    bad = subprocess.run(
        [sys.executable, "-m", "toolkit", "tasks", "validate", str(BROKEN)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2
    assert f"{BROKEN / 'not_utf8.jsonl'}:2: file: not UTF-8" in bad.stderr
    assert "Traceback" not in bad.stderr
