"""The grader part of the task-file format, checked against the registry.

A task names a grader registered with :func:`toolkit.grader` (a built-in or a plugin's); its
args are validated by the args model the grader registered with, and the grader's own
``check`` finds targets or metadata it could never grade.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from toolkit._errors import InputError
from toolkit.registry import REGISTRY, Entry
from toolkit.tasks._task import Task

DEFAULT_GRADER = "normalized"


def grader_entry(name: str) -> Entry | None:
    """The registered grader ``name`` (None when unknown)."""
    return REGISTRY.lookup("grader", name)


def check_grader(name: str, args: Mapping[str, Any]) -> list[str]:
    """Problems with a grader name and its args, as short messages (empty when fine).

    Problems with the args start with ``args``.
    """
    try:
        entry = grader_entry(name)
    except InputError as exc:  # a built-in whose optional dependency is missing
        return [exc.problems[0]]
    if entry is None:
        return [REGISTRY.unknown("grader", name)]
    if entry.config is None:
        if args:
            return [f"args: grader {name!r} takes no args, got {', '.join(sorted(args))}"]
        return []
    try:
        entry.config.model_validate(dict(args))
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            out.append(f"args.{loc}: {msg}" if loc else f"args: {msg}")
        return out
    return []


def parse_grader_args(name: str, args: Mapping[str, Any]) -> BaseModel | None:
    """The validated args object for grader ``name`` (call :func:`check_grader` first)."""
    entry = REGISTRY.get("grader", name)
    if entry.config is None:
        return None
    parsed: BaseModel = entry.config.model_validate(dict(args))
    return parsed


def needs_target(name: str) -> bool:
    """True when grader ``name`` needs a ``target`` (its registration says)."""
    entry = grader_entry(name)
    return entry is None or bool(entry.option("needs_target", True))


def task_problems(task: Task) -> list[tuple[str, str]]:
    """(field, problem) pairs the task's grader finds in its targets or metadata."""
    entry = grader_entry(task.grader.name)
    if entry is None:
        return []
    problems: list[tuple[str, str]] = []
    if entry.option("needs_target", True) and not task.targets:
        problems.append(("target", f"the {task.grader.name!r} grader needs a target"))
    check = entry.option("check")
    if check is not None:
        found = check(task, parse_grader_args(task.grader.name, task.grader.args))
        problems.extend((str(f), str(p)) for f, p in found or ())
    return problems
