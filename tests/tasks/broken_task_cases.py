"""The deliberately broken task files under tests/data/broken_tasks and what each must give."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
BROKEN = DATA / "broken_tasks"
OK = DATA / "tasks_ok"

# Every deliberately broken file and the exact problems it must give:
# (line or None, field, a fragment of the message). Ids are unique across files, except
# for the intended duplicate between dup_a.jsonl and dup_b.jsonl.
EXPECTED: dict[str, list[tuple[int | None, str, str]]] = {
    "bad_grader_args.jsonl": [(1, "grader.args.tolerance", "Extra inputs are not permitted")],
    "bad_regex.jsonl": [(1, "grader.args", "pattern does not compile")],
    "bad_split.jsonl": [(1, "split", "expected 'train', 'test' or absent, got 'dev'")],
    "blank_lines.jsonl": [(1, "file", "only blank lines")],
    "choice_target.csv": [(2, "target", "needs a letter A-D or one of the options, got 'E'")],
    "code_no_test.jsonl": [(1, "metadata.test", "missing (the code grader needs it)")],
    "dup_a.jsonl": [],
    "dup_b.jsonl": [(2, "id", "duplicate id 'dup-1' (first at {dir}/dup_a.jsonl:1)")],
    "duplicate_key.jsonl": [(1, "record", "duplicate key 'target'")],
    "empty.jsonl": [(1, "file", "empty file")],
    "empty_id.csv": [(2, "id", "empty (required)")],
    "extra_cells.csv": [(2, "record", "5 cells but the header has 4 columns")],
    "header_only.csv": [(1, "file", "the CSV has a header but no rows")],
    "invalid_json.jsonl": [(2, "record", "invalid JSON: Expecting ',' delimiter")],
    "missing_column.csv": [(1, "category", "missing column (required)")],
    "missing_input.jsonl": [(1, "input", "missing (required)")],
    "missing_target.jsonl": [(1, "target", "missing or empty (grader 'normalized' needs one")],
    "multiline.csv": [(5, "target", "starts with '[' so must be a JSON list")],
    "not_object.jsonl": [(1, "record", "expected a JSON object, got array")],
    "not_utf8.jsonl": [(2, "file", "not UTF-8: byte 0xe9 at column 66")],
    "numeric_target.jsonl": [(1, "target", "numeric grader needs a number, got 'forty-two'")],
    "unclosed_quote.csv": [(3, "record", "bad CSV: unexpected end of data")],
    "unknown_field.jsonl": [
        (1, "targt", "unknown field (did you mean 'target'?)"),
        (1, "target", "missing or empty"),
    ],
    "unknown_grader.jsonl": [
        (1, "grader", "unknown grader 'exactly'; did you mean 'exact'? (known: choice, code")
    ],
    "wrong_metadata.csv": [(2, "metadata", "expected a JSON object (text starting with '{')")],
    "wrong_type.jsonl": [
        (1, "target", "expected a string or a list of strings, got number 42"),
        (2, "category", "expected a string, got array"),
    ],
}


def expected_problems(folder: Path, name: str) -> list[tuple[str, str]]:
    """(exact ``path:line: field: `` prefix, message fragment) for each expected problem."""
    out = []
    for line, field, fragment in EXPECTED[name]:
        where = f"{folder / name}:{line}" if line is not None else f"{folder / name}"
        out.append((f"{where}: {field}: ", fragment.replace("{dir}", str(folder))))
    return out


def assert_problems(problems: list[str] | tuple[str, ...], expected: list[tuple[str, str]]) -> None:
    """Each problem matches one expected (prefix, fragment), in order, and nothing else."""
    assert len(problems) == len(expected), "\n".join(problems)
    for problem, (prefix, fragment) in zip(problems, expected, strict=True):
        assert problem.startswith(prefix), f"{problem!r} does not start with {prefix!r}"
        assert fragment in problem[len(prefix) :], f"{fragment!r} not in {problem!r}"
