"""The bad-input corpus (tests/data/bad_inputs): every malformed input gives exactly one clear,
located message, exit code 2, no traceback, and no half-written output.

The index ``cases.toml`` lists each case: the command, the location its message must name and
the output path that must not appear. Most cases call ``toolkit.cli.main`` in this process (fast);
those marked ``subprocess`` run the real ``python -m toolkit`` command. The corpus files are
invented for these tests; the few inputs that cannot be committed (a 5 MB line, symlink loops)
are written at test time by the ``MAKERS`` below.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from toolkit.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad_inputs"
CASES: list[dict[str, Any]] = tomllib.loads((CORPUS / "cases.toml").read_text("utf-8"))["case"]
REPO = Path(__file__).resolve().parents[2]
FIVE_MB = 5 * 1024 * 1024
#: An error message is one line a person reads: it never echoes a huge input back.
MAX_MESSAGE_CHARS = 2000
SUMMARY = re.compile(r"^\d+ problems? (found|in) ")


def _huge_task_line(tmp: Path) -> None:
    """A task file whose second line is a 5 MB record cut before its end."""
    good = {"id": "t1", "input": "2 + 2?", "target": "4", "category": "math"}
    big = json.dumps({"id": "t2", "input": "x" * FIVE_MB, "target": "y", "category": "c"})
    (tmp / "huge.jsonl").write_text(json.dumps(good) + "\n" + big[:-1] + "\n", encoding="utf-8")


def _symlink_loop(tmp: Path) -> None:
    """a.jsonl -> b.jsonl -> a.jsonl."""
    loop = tmp / "loop"
    loop.mkdir()
    (loop / "a.jsonl").symlink_to(loop / "b.jsonl")
    (loop / "b.jsonl").symlink_to(loop / "a.jsonl")


def _folder_cycle(tmp: Path) -> None:
    """A task folder holding one good task file and a link back to itself."""
    cycle = tmp / "cycle"
    cycle.mkdir()
    (cycle / "again").symlink_to(cycle, target_is_directory=True)
    (cycle / "ok.jsonl").write_text(
        json.dumps({"id": "t1", "input": "2 + 2?", "target": "4", "category": "math"}) + "\n",
        encoding="utf-8",
    )


def _huge_long_cell(tmp: Path) -> None:
    """A long outcome CSV whose second data row has a 5 MB prompt and a score of 'high'."""
    rows = [
        "prompt_id,prompt,category,model,score,cost_usd",
        "p1,hi,c,a,1,0.1",
        f"p1,{'y' * FIVE_MB},c,b,high,0.1",
    ]
    (tmp / "huge_long.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def _broken_resume_dir(tmp: Path) -> None:
    """A run directory to resume whose manifest was cut mid-write by hand."""
    run = tmp / "resume"
    run.mkdir()
    (run / "manifest.json").write_text('{"schema_version": 1, "name": "bad", "sta', "utf-8")
    (run / "calls.jsonl").write_text("", "utf-8")
    (run / "results.jsonl").write_text("", "utf-8")


def _a_file(tmp: Path) -> None:
    """A plain file where a command's output folder would go."""
    (tmp / "afile").write_text("not a folder\n", encoding="utf-8")


def _fifo(tmp: Path) -> None:
    """A named pipe where an answer file goes: reading it would wait for a writer forever."""
    os.mkfifo(tmp / "answers.fifo")


def _fifo_outcomes(tmp: Path) -> None:
    """A named pipe given as an outcome file (issue 26): it would block forever."""
    os.mkfifo(tmp / "outcomes.jsonl")


def _dev_zero(tmp: Path) -> None:
    """A symlink to /dev/zero given as an outcome file (issue 26): it never ends."""
    (tmp / "zero.jsonl").symlink_to("/dev/zero")


def _deep_json(tmp: Path) -> None:
    """A JSON array nested 10,000 deep (issue 26): Python's decoder would overflow its stack."""
    (tmp / "deep.json").write_text("[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")


def _inf_parquet(tmp: Path) -> None:
    """A long-format parquet whose second call costs infinity (issue 26): a binary file."""
    import pandas as pd

    pd.DataFrame(
        {
            "prompt_id": ["p1", "p1"],
            "prompt": ["hi", "hi"],
            "category": ["c", "c"],
            "model": ["a", "b"],
            "score": [1.0, 0.0],
            "cost_usd": [0.1, float("inf")],
        }
    ).to_parquet(tmp / "inf.parquet")


def _surrogate_pickle(tmp: Path) -> None:
    """A RouterBench pickle whose second prompt holds a lone surrogate (issue 26): text
    columns of plain Python objects can hold one, and writing it would fail later."""
    import pandas as pd

    data: dict[str, list[object]] = {
        "sample_id": ["s1", "s2"],
        "prompt": ["hi", "h\udc80i"],
        "eval_name": ["e", "e"],
    }
    for m in ("gpt-4o", "gpt-4o-mini"):
        data[m], data[f"{m}|total_cost"] = [1.0, 0.0], [0.1, 0.2]
    pd.DataFrame(data, dtype=object).to_pickle(tmp / "surrogate.pkl")


MAKERS: dict[str, Callable[[Path], None]] = {
    "surrogate_pickle": _surrogate_pickle,
    "inf_parquet": _inf_parquet,
    "a_file": _a_file,
    "fifo": _fifo,
    "fifo_outcomes": _fifo_outcomes,
    "dev_zero": _dev_zero,
    "deep_json": _deep_json,
    "huge_task_line": _huge_task_line,
    "symlink_loop": _symlink_loop,
    "folder_cycle": _folder_cycle,
    "huge_long_cell": _huge_long_cell,
    "broken_resume_dir": _broken_resume_dir,
}


def _expand(text: str, tmp: Path) -> str:
    if text.startswith("@/"):
        return str(CORPUS / text[2:])
    if text.startswith("@tmp/"):
        return str(tmp / text[5:])
    return text


def _run_cli(
    argv: list[str], *, child: bool, capsys: pytest.CaptureFixture[str], tmp: Path
) -> tuple[int, str]:
    if child:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "TOOLKIT_CACHE_DIR": str(tmp / "cache"),
        }
        proc = subprocess.run(
            [sys.executable, "-m", "toolkit", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        return proc.returncode, proc.stderr
    capsys.readouterr()
    code = main(argv)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_gives_one_located_message_and_exit_2(
    case: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)  # a default output folder (runs/...) would land here
    if "make" in case:
        MAKERS[case["make"]](tmp_path)
    argv = [_expand(a, tmp_path) for a in case["argv"]]
    code, err = _run_cli(argv, child=bool(case.get("subprocess")), capsys=capsys, tmp=tmp_path)
    lines = [line for line in err.splitlines() if line.strip()]
    # a command may end with a count ("1 problem found in 1 task file; ..."): not a message
    counts = [line for line in lines if SUMMARY.match(line)]
    assert all(line.startswith("1 problem ") for line in counts), counts
    lines = [line for line in lines if not SUMMARY.match(line)]
    assert "Traceback" not in err, err
    assert code == 2, f"exit {code}, stderr:\n{err}"
    assert len(lines) == 1, f"expected exactly one message, got:\n{err}"
    where = case["where"] if isinstance(case["where"], list) else [case["where"]]
    for fragment in where:
        assert fragment in lines[0], f"message does not name {fragment!r}: {lines[0]}"
    assert len(lines[0]) <= MAX_MESSAGE_CHARS, f"message too long ({len(lines[0])} chars)"
    if "out" in case:
        out = Path(_expand(case["out"], tmp_path))
        assert not out.exists(), f"{out} was written although the input was refused"


def test_corpus_covers_every_input_family_and_every_file_is_used() -> None:
    assert len(CASES) >= 40
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    families = {"tasks", "spec", "prices", "routerbench", "routellm", "long", "run"}
    covered = {f for f in families for c in CASES if any(f"@/{f}/" in a for a in c["argv"])}
    assert covered == families
    referenced = {a for c in CASES for a in c["argv"] if a.startswith("@/")}
    shared = {"spec/tasks.jsonl", "spec/prices.toml", "cases.toml"}
    for path in CORPUS.rglob("*"):
        rel = path.relative_to(CORPUS).as_posix()
        if not path.is_file() or rel in shared:
            continue
        used = any(
            rel == r[2:] or rel.startswith(r[2:] + "/") or _points_at(r, rel) for r in referenced
        )
        assert used, f"{rel} is in the corpus but no case uses it"


def _usage_error(argv: list[str], tmp: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``argv``: it must be a usage error (exit 2, no traceback); its stderr."""
    with pytest.raises(SystemExit) as exc:
        main([_expand(a, tmp) for a in argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def _points_at(ref: str, rel: str) -> bool:
    """True when the file ``ref`` (a spec) names ``rel`` (its tasks, prices or plugin file)."""
    path = CORPUS / ref[2:]
    if path.suffix != ".toml" or not path.is_file():
        return False
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        return False
    named = rel.split("/")[0] in {"prices", "tasks"} or rel.startswith("spec/plugins/")
    return Path(rel).name in text and named


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "@/spec/valid.toml", "--budget", "inf", "--dry-run"],
        [
            "project",
            "--requests",
            "10",
            "--tokens-in",
            "nan",
            "--tokens-out",
            "1",
            "--shares",
            "gpt-4o-mini=1",
            "--baseline",
            "gpt-4o-mini",
        ],
        ["report", "@/run/no_manifest", "--out", "@tmp/r", "--quality-target", "inf"],
    ],
)
def test_a_flag_that_is_not_a_finite_number_is_a_usage_error(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _usage_error(argv, tmp_path, capsys)
    assert "finite" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["evaluate", "@/run/no_manifest", "--seed", "-1"],
        ["tune", "--train", "@/run/no_manifest", "--test", "@/run/no_manifest", "--seed", "-1"],
        ["report", "@/run/no_manifest", "--out", "@tmp/r", "--seed", "4294967296"],
        ["demo", "--seed", "x"],
    ],
)
def test_a_seed_out_of_range_is_a_usage_error(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # issue 26: `--seed -1` was a ValueError traceback from NumPy
    err = _usage_error(argv, tmp_path, capsys)
    assert "argument --seed: expected a whole number" in err
    assert not (tmp_path / "r").exists()
