"""Answer files: ``{"id": ..., "answer": ...}`` per JSONL line, read with located errors."""

from __future__ import annotations

import json
from pathlib import Path

from toolkit._errors import InputError, located


def read_answers(path: str | Path) -> dict[str, str]:
    """Task id -> answer text from a JSONL answer file.

    Every problem (invalid JSON, missing or non-string ``id``/``answer``, a duplicate id,
    non-UTF-8 text, an empty file) is reported as ``path:line: field: problem``.
    """
    p = Path(path)
    if p.exists() and not p.is_file():  # a FIFO or a device would block the read forever
        raise InputError(located(p, None, "path", "is not a regular file"))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(located(p, None, "path", f"cannot read: {exc.strerror}")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(located(p, None, "file", "not UTF-8; save the file as UTF-8")) from None
    answers: dict[str, str] = {}
    first_line: dict[str, int] = {}
    problems: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(located(p, lineno, "record", f"invalid JSON: {exc.msg}"))
            continue
        if not isinstance(record, dict):
            problems.append(located(p, lineno, "record", "expected a JSON object"))
            continue
        task_id, answer = record.get("id"), record.get("answer")
        if not isinstance(task_id, str) or not task_id:
            problems.append(located(p, lineno, "id", "missing or not a non-empty string"))
            continue
        if not isinstance(answer, str):
            problems.append(located(p, lineno, "answer", "missing or not a string"))
            continue
        if task_id in first_line:
            problems.append(
                located(
                    p,
                    lineno,
                    "id",
                    f"duplicate id {task_id!r} (first at line {first_line[task_id]})",
                )
            )
            continue
        first_line[task_id] = lineno
        answers[task_id] = answer
    if not answers and not problems:
        problems.append(located(p, None, "file", "empty file: no answers"))
    if problems:
        raise InputError(problems[0], problems)
    return answers
