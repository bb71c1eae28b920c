"""Loading and validating task files: JSONL, CSV, and folders of them."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from toolkit._errors import InputError, located
from toolkit.tasks._files import RawRecord, find_files, read_records, read_text
from toolkit.tasks._record import build_task
from toolkit.tasks._task import Task
from toolkit.tasks._taskset import TaskSet

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Validation:
    """What validating task files found.

    ``tasks`` holds every task that passed (for a duplicate id, the first one);
    ``problems`` holds one ``path:line: field: problem`` message per problem, in file order.
    """

    tasks: TaskSet
    problems: tuple[str, ...]
    files: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


class _Collector:
    """Builds tasks from raw records, catching duplicate ids across all files."""

    def __init__(self) -> None:
        self.tasks: list[Task] = []
        self.problems: list[str] = []
        self.first_seen: dict[str, str] = {}  # id -> "path:line" of its first record

    def add(
        self, raw: Mapping[str, Any], source: str, line: int, absent: Iterable[str] = ()
    ) -> None:
        task, problems = build_task(raw, source=source, line=line, absent_columns=frozenset(absent))
        task_id = raw.get("id")
        if isinstance(task_id, str) and task_id.strip():
            first = self.first_seen.get(task_id)
            if first is not None:
                problems.insert(
                    0, located(source, line, "id", f"duplicate id {task_id!r} (first at {first})")
                )
                task = None
            else:
                self.first_seen[task_id] = f"{source}:{line}"
        self.problems.extend(problems)
        if task is not None:
            self.tasks.append(task)


def validate_paths(*paths: PathLike) -> Validation:
    """Read and check every task file under ``paths`` (files or folders), never raising.

    Use this to report problems; use :func:`load_tasks` to get tasks or an error.
    """
    if not paths:
        return Validation(TaskSet(), ("path: no task files or folders given",), ())
    files, problems = find_files(list(paths))
    collector = _Collector()
    collector.problems.extend(problems)
    for file in files:
        text, file_problems = read_text(file)
        collector.problems.extend(file_problems)
        if text is None:
            continue
        for item in read_records(file, text):
            if isinstance(item, RawRecord):
                collector.add(item.fields, file.shown, item.line, item.absent_columns)
            else:
                collector.problems.append(item)
    return Validation(
        TaskSet(collector.tasks), tuple(collector.problems), tuple(f.shown for f in files)
    )


def load_tasks(*paths: PathLike) -> TaskSet:
    """Load the task files and folders at ``paths`` into one TaskSet.

    Raises :class:`~toolkit.InputError` listing every problem found, one
    ``path:line: field: problem`` message each, when anything is wrong.
    """
    result = validate_paths(*paths)
    if result.problems:
        raise InputError(_summary(result), result.problems)
    return result.tasks


def tasks_from_records(records: Iterable[Mapping[str, Any]], source: str = "<records>") -> TaskSet:
    """Build a TaskSet from task-file records (dicts), checked like a file's lines.

    The n-th record is reported as line n of ``source``. Raises ``InputError`` on problems.
    """
    collector = _Collector()
    for line, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            collector.problems.append(
                located(source, line, "record", f"expected a mapping, got {type(record).__name__}")
            )
            continue
        collector.add(record, source, line)
    if collector.problems:
        count = len(collector.problems)
        raise InputError(f"{count} problem{'s' * (count != 1)} in {source}", collector.problems)
    return TaskSet(collector.tasks)


def _summary(result: Validation) -> str:
    count = len(result.problems)
    return f"{count} problem{'s' * (count != 1)} in task files"
