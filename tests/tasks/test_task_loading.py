"""Loading and validating task files: every problem located as path:line: field: problem."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from broken_task_cases import BROKEN, EXPECTED, assert_problems, expected_problems

from toolkit import InputError
from toolkit.tasks import GraderRef, Task, load_tasks, tasks_from_records, validate_paths

LOCATED = re.compile(r"^[^:]+(:\d+)?: [^:\s]+: \S")


def test_every_broken_file_has_a_fixture_expectation_and_vice_versa() -> None:
    on_disk = sorted(p.name for p in BROKEN.iterdir())
    assert on_disk == sorted(EXPECTED)
    assert sum(1 for problems in EXPECTED.values() if problems) >= 15


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n != "dup_b.jsonl"))
def test_each_broken_file_alone(name: str) -> None:
    result = validate_paths(BROKEN / name)
    assert_problems(result.problems, expected_problems(BROKEN, name))
    assert result.ok is (not EXPECTED[name])


def test_duplicate_id_across_files_is_reported_at_second_naming_first() -> None:
    result = validate_paths(BROKEN / "dup_a.jsonl", BROKEN / "dup_b.jsonl")
    assert_problems(result.problems, expected_problems(BROKEN, "dup_b.jsonl"))
    # the first occurrence is kept, the duplicate is not
    assert result.tasks.ids == ("dup-1", "dup-2", "dup-3")
    assert result.tasks.get("dup-1").source.endswith("dup_a.jsonl")


def test_folder_reports_all_problems_in_file_order() -> None:
    result = validate_paths(BROKEN)
    expected = [p for name in sorted(EXPECTED) for p in expected_problems(BROKEN, name)]
    assert_problems(result.problems, expected)
    for problem in result.problems:
        assert LOCATED.match(problem), problem
    # the good records in broken files still load; a row under a missing column does not
    assert {"ij-1", "no-2", "ml-1", "uq-1"} <= set(result.tasks.ids)
    assert "mc-1" not in result.tasks


def test_load_tasks_raises_input_error_with_every_problem() -> None:
    with pytest.raises(InputError) as info:
        load_tasks(BROKEN)
    assert info.value.exit_code == 2
    assert len(info.value.problems) == sum(len(v) for v in EXPECTED.values())
    assert "problems in task files" in str(info.value)


def test_valid_jsonl_and_csv(ok_dir: Path) -> None:
    tasks = load_tasks(ok_dir)
    assert tasks.ids == ("csv-1", "csv-2", "csv-3", "ok-1", "ok-2", "ok-3", "ok-4")

    csv1, csv2, csv3 = tasks.get("csv-1"), tasks.get("csv-2"), tasks.get("csv-3")
    # BOM dropped from the header, CRLF line ends, a multi-line quoted input
    assert (csv1.line, csv2.line, csv3.line) == (2, 4, 6)
    assert csv1.input.splitlines() == ["Great kettle.", "Five stars."]
    assert csv1.grader == GraderRef("exact")
    assert csv1.metadata == {"labels": ["positive", "negative"]}
    assert csv1.split == "train"
    # a '[' target is a JSON list; an empty grader cell means the default grader
    assert csv2.target == ("negative", "neg")
    assert csv2.targets == ("negative", "neg")
    assert csv2.grader == GraderRef("normalized")
    assert csv2.metadata == {}
    # a '{' grader is JSON; an empty split cell means no split
    assert csv3.grader == GraderRef("choice", {"options": ["red", "blue"]})
    assert csv3.split is None

    ok1, ok2, ok3, ok4 = (tasks.get(f"ok-{i}") for i in range(1, 5))
    assert ok1.target == ("Paris", "paris, france")
    assert ok2.grader == GraderRef("numeric", {"abs_tol": 0.5})
    assert ok2.target == "42" and ok2.targets == ("42",)
    assert ok3.target is None and ok3.targets == ()
    assert ok3.metadata["entry_point"] == "inc"
    assert ok4.grader.name == "judge" and ok4.target is None
    assert ok4.source == str(ok_dir / "valid.jsonl") and ok4.line == 4


def test_records_round_trip_through_to_record(ok_dir: Path) -> None:
    tasks = load_tasks(ok_dir)
    again = tasks_from_records(json.loads(json.dumps(t.to_record())) for t in tasks)
    for before, after in zip(tasks, again, strict=True):
        assert after.to_record() == before.to_record()
        assert (after.id, after.target, after.grader, after.split, after.metadata) == (
            before.id,
            before.target,
            before.grader,
            before.split,
            before.metadata,
        )


def test_tasks_from_records_reports_record_numbers() -> None:
    good = {"id": "a", "category": "c", "input": "q", "target": "t"}
    with pytest.raises(InputError) as info:
        tasks_from_records([good, dict(good), "nope"], "mine")
    assert info.value.problems == [
        "mine:2: id: duplicate id 'a' (first at mine:1)",
        "mine:3: record: expected a mapping, got str",
    ]


def test_paths_that_are_not_task_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "empty_dir").mkdir()
    result = validate_paths(
        tmp_path / "missing.jsonl", tmp_path / "notes.txt", tmp_path / "empty_dir"
    )
    assert result.problems == (
        f"{tmp_path / 'missing.jsonl'}: path: no such file or folder",
        f"{tmp_path / 'notes.txt'}: path: not a task file: the name must end in .jsonl or .csv",
        f"{tmp_path / 'empty_dir'}: path: no .jsonl or .csv task files in this folder",
    )
    assert validate_paths().problems  # no paths at all is a problem, not an empty success


def test_symlink_loops_are_reported_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "tasks"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.jsonl").write_text(
        '{"id": "a", "category": "c", "input": "q", "target": "t"}\n', encoding="utf-8"
    )
    os.symlink(folder, folder / "sub" / "back")  # a folder loop
    os.symlink("self.jsonl", folder / "self.jsonl")  # a file that points at itself
    result = validate_paths(folder)
    assert result.problems == (
        f"{folder / 'self.jsonl'}: path: symlink loop",
        f"{folder / 'sub' / 'back'}: path: symlink loop back to {folder}; skipped",
    )
    assert result.tasks.ids == ("a",)


def test_same_file_twice_is_read_once_and_hidden_entries_are_skipped(tmp_path: Path) -> None:
    line = '{"id": "a", "category": "c", "input": "q", "target": "t"}\n'
    (tmp_path / "a.jsonl").write_text(line, encoding="utf-8")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "a.jsonl").write_text(line, encoding="utf-8")
    result = validate_paths(tmp_path, tmp_path / "a.jsonl")
    assert result.ok, result.problems
    assert result.files == (str(tmp_path / "a.jsonl"),)
    assert len(result.tasks) == 1


def test_huge_lines_and_cells_load_and_huge_bad_values_give_short_messages(tmp_path: Path) -> None:
    big = "word " * 1_000_000  # 5 MB of input on one line
    (tmp_path / "big.jsonl").write_text(
        json.dumps({"id": "big", "category": "c", "input": big, "target": "t"})
        + "\n"
        + json.dumps({"id": "bad", "category": "c", "input": "q", "target": "t", "split": big})
        + "\n",
        encoding="utf-8",
    )
    (tmp_path / "big.csv").write_text(f"id,category,input,target\ncsv-big,c,{'x' * 300_000},t\n")
    result = validate_paths(tmp_path)
    assert result.tasks.ids == ("csv-big", "big")
    assert len(result.tasks.get("big").input) == len(big)
    [problem] = result.problems
    assert problem.startswith(f"{tmp_path / 'big.jsonl'}:2: split: expected 'train'")
    assert len(problem) < 300


def test_deeply_nested_json_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "deep.jsonl").write_text("[" * 200_000 + "\n", encoding="utf-8")
    [problem] = validate_paths(tmp_path / "deep.jsonl").problems
    assert problem == f"{tmp_path / 'deep.jsonl'}:1: record: invalid JSON: nested too deeply"


def test_grader_forms_and_field_types(tmp_path: Path) -> None:
    records = [
        {"id": "g1", "category": "c", "input": "q", "target": "t", "grader": {"name": "exact"}},
        {"id": "g2", "category": "c", "input": "q", "target": "t", "grader": {"args": {}}},
        {"id": "g3", "category": "c", "input": "q", "target": "t", "grader": 3},
        {"id": "g4", "category": "c", "input": "q", "target": ["a", 2, ""]},
        {
            "id": "g5",
            "category": "c",
            "input": "q",
            "target": "t",
            "metadata": [1],
            "split": "Test",
        },
        {"id": "g6", "category": "c", "input": "q", "grader": "code", "metadata": {"test": 5}},
        {"id": "g7", "category": "c", "input": "q", "target": "B", "grader": "choice"},
        {"id": "g8", "category": "c", "input": "q", "target": "([", "grader": "regex"},
        {"id": 9, "category": "c", "input": "   ", "target": "t"},
    ]
    path = tmp_path / "g.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = validate_paths(path)
    assert result.tasks.ids == ("g1", "g7")
    assert result.tasks.get("g1").grader == GraderRef("exact")
    problems = [p.removeprefix(f"{path}:") for p in result.problems]
    assert problems == [
        "2: grader.name: expected a grader name, missing",
        "3: grader: expected a name or {'name': ..., 'args': {...}}, got number 3",
        "4: target[1]: expected a string, got number 2",
        "4: target[2]: empty string",
        "5: split: expected 'train', 'test' or absent, got 'Test' (write 'test')",
        "5: metadata: expected an object, got array [1]",
        "6: metadata.test: expected a non-empty string, got 5 (the code grader needs it)",
        "6: metadata.entry_point: missing (the code grader needs it)",
        "8: target: the regex grader uses it as a pattern, which fails: "
        "unterminated character set at position 1",
        "9: id: expected a string, got number 9",
        "9: input: empty (required)",
    ]


def test_task_defaults_are_the_documented_ones() -> None:
    task = Task(id="x", input="q", category="c", target="t")
    assert task.grader == GraderRef("normalized")
    assert task.to_record() == {
        "id": "x",
        "category": "c",
        "grader": "normalized",
        "target": "t",
        "input": "q",
    }


def test_bom_and_crlf_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "windows.jsonl"
    lines = [
        '{"id": "w1", "category": "c", "input": "q", "target": "t"}',
        "",
        '{"id": "w2", "category": "c", "input": "q", "target": "t", "split": "dev"}',
    ]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    result = validate_paths(path)
    assert result.tasks.ids == ("w1",)
    assert result.problems == (f"{path}:3: split: expected 'train', 'test' or absent, got 'dev'",)
