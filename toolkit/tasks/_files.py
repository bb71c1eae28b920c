"""Finding task files and reading their raw records, with physical line numbers.

A reader yields ``RawRecord``s (the record's first physical line and its fields) or located
problems for the parts that could not be read. Turning fields into a Task is ``_record``'s job.
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit._errors import (
    SURROGATE_PROBLEM,
    DuplicateKey,
    located,
    lone_surrogate_at,
    no_duplicate_keys,
)
from toolkit.tasks._record import FIELDS, REQUIRED, field_label, json_type, show, unknown_field

#: File name endings that hold tasks, mapped to their format.
SUFFIXES = {".jsonl": "jsonl", ".csv": "csv"}

# Largest CSV cell accepted (the csv module's default is 128 KiB: too small for long inputs).
_CSV_FIELD_LIMIT = 1 << 30


@dataclass(frozen=True)
class TaskFile:
    """A task file to read: ``shown`` is the path as messages print it."""

    path: Path
    shown: str
    format: str


@dataclass(frozen=True)
class RawRecord:
    """One record's fields as read from a file, before validation."""

    line: int
    fields: dict[str, Any]
    absent_columns: frozenset[str] = field(default_factory=frozenset)


def find_files(paths: list[str | os.PathLike[str]]) -> tuple[list[TaskFile], list[str]]:
    """The task files under ``paths`` (folders searched recursively, sorted) and problems.

    Hidden entries (names starting with ``.``) inside folders are skipped. A file reached
    twice (given twice, or through a symlink) is read once.
    """
    files: list[TaskFile] = []
    problems: list[str] = []
    seen: set[str] = set()

    def add(path: Path, shown: str) -> None:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            files.append(TaskFile(path, shown, SUFFIXES[path.suffix.lower()]))

    def walk(folder: Path, shown: str, ancestors: dict[str, str]) -> int:
        """Add the task files under ``folder``; returns how many were found."""
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            problems.append(located(shown, None, "path", f"cannot list folder: {exc.strerror}"))
            return 0
        found = 0
        for name in names:
            if name.startswith("."):
                continue
            path, child = folder / name, os.path.join(shown, name)
            mode = _stat(path, child, problems)
            if mode is None:
                continue
            if stat.S_ISDIR(mode):
                real = os.path.realpath(path)
                if real in ancestors:
                    problems.append(
                        located(
                            child, None, "path", f"symlink loop back to {ancestors[real]}; skipped"
                        )
                    )
                    continue
                found += walk(path, child, {**ancestors, real: child})
            elif stat.S_ISREG(mode) and path.suffix.lower() in SUFFIXES:
                add(path, child)
                found += 1
        return found

    for given in paths:
        path, shown = Path(given), os.fspath(given)
        mode = _stat(path, shown, problems)
        if mode is None:
            continue
        if stat.S_ISDIR(mode):
            if walk(path, shown, {os.path.realpath(path): shown}) == 0:
                problems.append(
                    located(shown, None, "path", "no .jsonl or .csv task files in this folder")
                )
        elif path.suffix.lower() in SUFFIXES and stat.S_ISREG(mode):
            add(path, shown)
        elif path.suffix.lower() in SUFFIXES:
            problems.append(located(shown, None, "path", "not a regular file"))
        else:
            problems.append(
                located(shown, None, "path", "not a task file: the name must end in .jsonl or .csv")
            )
    return files, problems


def _stat(path: Path, shown: str, problems: list[str]) -> int | None:
    """The file mode of ``path`` (following symlinks), or None after noting the problem."""
    try:
        return os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            why = "symlink loop"
        elif exc.errno == errno.ENOENT:
            why = "broken symlink" if os.path.islink(path) else "no such file or folder"
        else:
            why = f"cannot read: {exc.strerror}"
        problems.append(located(shown, None, "path", why))
        return None


def read_text(file: TaskFile) -> tuple[str | None, list[str]]:
    """The file's text (UTF-8, a leading BOM dropped), or None and the problem."""
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        return None, [located(file.shown, None, "file", f"cannot read: {exc.strerror}")]
    if not data:
        return None, [located(file.shown, 1, "file", "empty file: no tasks")]
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = exc.start + bom
        line = data.count(b"\n", 0, at) + 1
        column = at - (data.rfind(b"\n", 0, at) + 1) + 1
        return None, [
            located(
                file.shown,
                line,
                "file",
                f"not UTF-8: byte 0x{data[at]:02x} at column {column}; save the file as UTF-8",
            )
        ]
    if not text.strip():
        return None, [located(file.shown, 1, "file", "empty file: only blank lines, no tasks")]
    return text, []


def read_records(file: TaskFile, text: str) -> Iterator[RawRecord | str]:
    """The file's records, or a located problem for each part that cannot be read."""
    if file.format == "jsonl":
        return _read_jsonl(file.shown, text)
    return _read_csv(file.shown, text)


def parse_json(text: str) -> Any:
    """``json.loads`` that rejects duplicate keys (raises ``ValueError`` with a message)."""
    try:
        return json.loads(text, object_pairs_hook=no_duplicate_keys)
    except DuplicateKey as exc:
        raise ValueError(f"duplicate key {show(str(exc.args[0]))}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None


def _read_jsonl(shown: str, text: str) -> Iterator[RawRecord | str]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = parse_json(line)
        except ValueError as exc:
            yield located(shown, number, "record", str(exc))
            continue
        bad = lone_surrogate_at(value)
        if bad is not None:
            yield located(shown, number, bad, SURROGATE_PROBLEM)
            continue
        if not isinstance(value, dict):
            yield located(
                shown, number, "record", f"expected a JSON object, got {json_type(value)}"
            )
            continue
        yield RawRecord(number, value)


def _read_csv(shown: str, text: str) -> Iterator[RawRecord | str]:
    old_limit = csv.field_size_limit(_CSV_FIELD_LIMIT)
    try:
        yield from _read_csv_rows(shown, text)
    finally:
        csv.field_size_limit(old_limit)


def _read_csv_rows(shown: str, text: str) -> Iterator[RawRecord | str]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 0
    absent: frozenset[str] = frozenset()
    rows = 0
    end = 0  # physical line where the last record ended
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield located(
                shown, start, "record", f"bad CSV: {exc} (an unclosed quote?); rest of file skipped"
            )
            return
        end = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        if header is None:
            header, header_line = row, start
            problems, absent = _check_header(shown, start, header)
            yield from problems
            continue
        rows += 1
        yield from _csv_row(shown, start, header, row, absent)
    if header is not None and rows == 0:
        yield located(shown, header_line, "file", "no tasks: the CSV has a header but no rows")


def _check_header(shown: str, line: int, header: list[str]) -> tuple[list[str], frozenset[str]]:
    problems = []
    seen: set[str] = set()
    for name in header:
        label = field_label(name) if name else "(empty column name)"
        if name in seen:
            problems.append(located(shown, line, label, "column appears twice in the header"))
        elif name not in FIELDS:
            problems.append(located(shown, line, label, unknown_field(name, "column")))
        seen.add(name)
    absent = frozenset(name for name in REQUIRED if name not in seen)
    for name in sorted(absent, key=REQUIRED.index):
        problems.append(located(shown, line, name, "missing column (required)"))
    return problems, absent


def _csv_row(
    shown: str, line: int, header: list[str], row: list[str], absent: frozenset[str]
) -> Iterator[RawRecord | str]:
    if len(row) != len(header):
        yield located(
            shown,
            line,
            "record",
            f"{len(row)} cells but the header has {len(header)} columns",
        )
        return
    fields: dict[str, Any] = {}
    ok = True
    for name, cell in zip(header, row, strict=True):
        if name not in FIELDS or name in fields:
            continue  # reported once at the header
        if not cell.strip():
            if name in REQUIRED:
                fields[name] = cell  # an empty required cell is reported as empty
            continue
        value, problem = _csv_cell(name, cell)
        if problem:
            yield located(shown, line, name, problem)
            ok = False
        else:
            fields[name] = value
    if ok:
        yield RawRecord(line, fields, absent)


def _csv_cell(name: str, cell: str) -> tuple[Any, str | None]:
    """A CSV cell's value: JSON for list targets and object metadata/grader, else the text."""
    opener = cell.lstrip()[:1]
    if (name == "target" and opener == "[") or (name in ("metadata", "grader") and opener == "{"):
        try:
            return parse_json(cell), None
        except ValueError as exc:
            kind = "a JSON list" if opener == "[" else "a JSON object"
            return None, f"starts with {opener!r} so must be {kind}, but: {exc}"
    if name == "metadata":
        return None, f"expected a JSON object (text starting with '{{'), got {show(cell)}"
    if name == "grader":
        return cell.strip(), None
    return cell, None
