"""Spec validation: every bad spec gives `path:line: key: problem` and `toolkit run` exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit._errors import InputError
from toolkit.cli import main
from toolkit.runner import Spec, load_spec
from toolkit.runner._toml_lines import key_lines, line_of
from toolkit.strategies import SingleConfig

# A valid spec; each bad case below edits one part of it. Line numbers matter: keep them.
GOOD = """\
name = "lab"

[tasks]
paths = ["tasks.jsonl"]
limit = 2

[grading]
default = "normalized"

[run]
concurrency = 2
budget_usd = 1.0

[[executors]]
name = "a"
kind = "litellm"
model = "gpt-4o-mini"
fallbacks = ["b"]

[executors.profile]
max_tokens = 8

[[executors]]
name = "b"
kind = "litellm"
model = "claude-haiku-4-5"

[[strategies]]
kind = "single"
executor = "a"

[[strategies]]
kind = "single"
executor = "b"
"""

TASK_LINE = '{"id": "t1", "input": "2+2?", "target": "4", "category": "math"}\n'


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "tasks.jsonl").write_text(TASK_LINE, encoding="utf-8")
    spec = tmp_path / "spec.toml"
    spec.write_text(text, encoding="utf-8")
    return spec


def test_good_spec_loads_with_defaults(tmp_path: Path) -> None:
    spec = load_spec(_write(tmp_path, GOOD))
    assert spec.name == "lab"
    assert [e.name for e in spec.executors] == ["a", "b"]
    assert spec.executors[0].profile.max_tokens == 8
    assert spec.strategy_names() == ["single:a", "single:b"]
    assert isinstance(spec.strategies[0], SingleConfig)
    assert spec.run.concurrency == 2 and spec.run.budget_usd == 1.0
    assert spec.base_dir == tmp_path.resolve()
    assert spec.where("executors", 1, "model") == f"{tmp_path / 'spec.toml'}:26"


BAD_CASES = [
    # (name, replace this, with this, line, key, words in the problem)
    (
        "unknown executor in a strategy",
        'executor = "b"\n',
        'executor = "zz"\n',
        34,
        "strategies.1.executor",
        "unknown executor 'zz'",
    ),
    (
        "unknown strategy kind",
        '[[strategies]]\nkind = "single"\nexecutor = "b"',
        '[[strategies]]\nkind = "teleport"\nexecutor = "b"',
        33,
        "strategies.1.kind",
        "unknown strategy kind 'teleport'",
    ),
    (
        "negative budget",
        "budget_usd = 1.0",
        "budget_usd = -1.0",
        12,
        "run.budget_usd",
        "greater than or equal to 0",
    ),
    (
        "missing tasks section",
        '[tasks]\npaths = ["tasks.jsonl"]\nlimit = 2\n',
        "",
        1,
        "tasks",
        "required key is missing",
    ),
    (
        "missing task file",
        'paths = ["tasks.jsonl"]',
        'paths = ["nowhere.jsonl"]',
        4,
        "tasks.paths.0",
        "no such file or folder",
    ),
    (
        "wrong type",
        "concurrency = 2",
        'concurrency = "2"',
        11,
        "run.concurrency",
        "valid integer",
    ),
    (
        "wrong type in an executor",
        "max_tokens = 8",
        'max_tokens = "many"',
        21,
        "executors.0.profile.max_tokens",
        "integer",
    ),
    (
        "duplicate executor names",
        'model = "claude-haiku-4-5"\n',
        'model = "claude-haiku-4-5"\n\n[[executors]]\nname = "a"\nkind = "tool"\ntool = "arithmetic"\n',
        29,
        "executors.2.name",
        "duplicate executor name 'a' (first at line 15)",
    ),
    (
        "fallback to an unknown executor",
        'fallbacks = ["b"]',
        'fallbacks = ["c"]',
        18,
        "executors.0.fallbacks.0",
        "unknown executor 'c'",
    ),
    ("unknown key", "limit = 2", "limits = 2", 5, "tasks.limits", "unknown key"),
    (
        "unknown grader default",
        'default = "normalized"',
        'default = "vibes"',
        8,
        "grading.default",
        "unknown grader 'vibes'",
    ),
    ("bad name", 'name = "lab"', 'name = "a lab/x"', 1, "name", "match pattern"),
    (
        "strategy missing its executor",
        'kind = "single"\nexecutor = "a"\n',
        'kind = "single"\n',
        28,
        "strategies.0.executor",
        "required key is missing",
    ),
]


@pytest.mark.parametrize(
    "old,new,line,key,words",
    [case[1:] for case in BAD_CASES],
    ids=[case[0] for case in BAD_CASES],
)
def test_bad_spec_is_located(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    line: int,
    key: str,
    words: str,
) -> None:
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(InputError) as info:
        load_spec(path)
    problems = info.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:{line}: {key}: "), problems[0]
    assert words in problems[0]
    # the command prints the same located message, no traceback, and exits 2
    assert main(["run", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == problems[0]
    assert "Traceback" not in err


def test_toml_syntax_error_has_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, GOOD.replace("concurrency = 2", "concurrency = = 2"))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"{path}:11: toml: ")
    assert "column" in err


@pytest.mark.parametrize(
    "content,problem",
    [(b"", "empty file"), (b"name = '\xff'\n", "not UTF-8")],
)
def test_unreadable_spec_files(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "spec.toml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=problem):
        load_spec(path)
    with pytest.raises(InputError, match="no such file"):
        load_spec(tmp_path / "absent.toml")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace('fallbacks = ["b"]', 'fallbacks = ["c"]').replace(
        'executor = "b"\n', 'executor = "zz"\n'
    )
    with pytest.raises(InputError) as info:
        load_spec(_write(tmp_path, text))
    keys = [p.split(": ")[1] for p in info.value.problems]
    assert keys == ["executors.0.fallbacks.0", "strategies.1.executor"]


def test_spec_from_mapping_and_spec_defaults(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text(TASK_LINE, encoding="utf-8")
    spec = Spec.from_mapping(
        {
            "name": "code",
            "tasks": {"paths": ["t.jsonl"]},
            "local": {"hourly_rate_usd": 0.05},
            "run": {"rpm": 30.0},
            "executors": [
                {"name": "g", "kind": "local"},
                {"name": "h", "kind": "local", "hourly_rate_usd": 0.0},
            ],
            "strategies": [{"kind": "single", "executor": "g", "name": "gemma"}],
        },
        base_dir=tmp_path,
    )
    g, h = spec.executor_configs()
    assert g.hourly_rate_usd == 0.05  # the [local] default applies
    assert h.hourly_rate_usd == 0.0  # an explicit rate wins, even 0
    assert g.rpm == 30.0
    assert spec.strategy_names() == ["gemma"]
    assert spec.uses_local()


def test_key_lines_understands_tables_arrays_and_multiline_values() -> None:
    text = """\
a = 1
b = [
  "x",
  "y = 2",
]
s = \"\"\"
c = 3
\"\"\"
[t]
"d.e" = 4
f.g = 5
[[arr]]
h = {i = 1}
[[arr]]
h = 2
[arr.sub]
j = 3
"""
    lines = key_lines(text)
    assert lines[("a",)] == 1
    assert lines[("b",)] == 2
    assert ("y",) not in lines and ("c",) not in lines
    assert lines[("s",)] == 6
    assert lines[("t", "d.e")] == 10
    assert lines[("t", "f", "g")] == 11
    assert lines[("arr", 0)] == 12 and lines[("arr", 0, "h")] == 13
    assert lines[("arr", 1, "h")] == 15
    assert lines[("arr", 1, "sub", "j")] == 17
    assert line_of(lines, ("arr", 0, "h", "i")) == 13
    assert line_of(lines, ("nowhere",)) is None


EXAMPLE = Path(__file__).parent / "data" / "example_spec.toml"


def test_the_readme_example_validates_and_dry_runs(capsys: pytest.CaptureFixture[str]) -> None:
    spec = load_spec(EXAMPLE)
    assert [e.kind for e in spec.executors] == ["local", "litellm"]
    gemma, haiku = spec.executor_configs()
    assert haiku.api_key_env == "ANTHROPIC_API_KEY"
    assert gemma.hourly_rate_usd == 0.0416 and gemma.fallbacks == ["haiku"]
    assert spec.strategy_names() == ["single:gemma", "haiku-alone"]
    assert main(["run", str(EXAMPLE), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "3 tasks x 2 strategies" in out  # split "test" and the two categories
    haiku_row = next(line for line in out.splitlines() if line.startswith("haiku "))
    # the [[overrides]] table sends math tasks to Sonnet; gemma's 3 calls may fall back
    assert "claude-sonnet-4-5" in haiku_row and "claude-haiku-4-5" in haiku_row
    assert haiku_row.split()[3:5] == ["3", "3"]
