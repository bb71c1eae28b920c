"""Answer files and the ``toolkit grade`` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit._errors import InputError
from toolkit.cli import main
from toolkit.grading._answers import read_answers

REPO = Path(__file__).resolve().parents[2]


def test_grade_command_scores_the_bundled_sample(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(
        [
            "grade",
            str(REPO / "data/tasks/sample.jsonl"),
            "--answers",
            str(REPO / "data/answers/sample_answers.jsonl"),
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "9 answers graded, mean score 0.667" in out
    assert "code-is-even" in out and "tests failed" in out


def test_answer_file_problems_are_located(tmp_path: Path) -> None:
    bad = tmp_path / "answers.jsonl"
    bad.write_text(
        '{"id": "a", "answer": "x"}\n{"id": "a", "answer": "y"}\n{"id": 3, "answer": "z"}\n'
        '{"id": "b"}\nnot json\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        read_answers(bad)
    problems = err.value.problems
    assert problems == [
        f"{bad}:2: id: duplicate id 'a' (first at line 1)",
        f"{bad}:3: id: missing or not a non-empty string",
        f"{bad}:4: answer: missing or not a string",
        f"{bad}:5: record: invalid JSON: Expecting value",
    ]


def test_grade_command_rejects_unknown_ids_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "a.jsonl"
    answers.write_text('{"id": "no-such-task", "answer": "x"}\n', encoding="utf-8")
    rc = main(["grade", str(REPO / "data/tasks/sample.jsonl"), "--answers", str(answers)])
    assert rc == 2
    assert "id: not in the task set: 'no-such-task'" in capsys.readouterr().err
