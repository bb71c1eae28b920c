"""The Grade value and the Grader protocol."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from toolkit._errors import InputError, located
from toolkit._types import Call
from toolkit.tasks import Task


@dataclass(frozen=True)
class Grade:
    """A score in [0, 1], a short reason, and the calls grading made (judge only)."""

    score: float
    reason: str
    calls: tuple[Call, ...] = ()

    def __post_init__(self) -> None:
        if not (math.isfinite(self.score) and 0.0 <= self.score <= 1.0):
            raise ValueError(f"a grade's score must be in [0, 1], got {self.score!r}")

    @property
    def cost_usd(self) -> float:
        """What the grading calls cost (0 for every grader but ``judge``)."""
        return sum(c.cost_usd for c in self.calls)


@runtime_checkable
class Grader(Protocol):
    """Scores one answer to one task."""

    async def grade(self, task: Task, answer: str) -> Grade:
        """Grade ``answer`` to ``task``."""
        ...


def task_error(task: Task, field: str, problem: str) -> InputError:
    """An InputError located at the task's file and line (or its id when it has none)."""
    if task.source:
        return InputError(
            located(task.source, task.line or None, field, f"{problem} (task {task.id!r})")
        )
    return InputError(located(f"task {task.id!r}", None, field, problem))


def mismatch(expected: str, got: str, limit: int = 40) -> str:
    """``expected X, got Y`` for a reason, each cut to about ``limit`` characters around
    where they first differ, so a difference past the cut is not hidden."""
    at = next(
        (i for i, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b),
        min(len(expected), len(got)),
    )
    if max(len(expected), len(got)) <= limit or at < limit - 10:
        return f"expected {short(expected, limit)}, got {short(got, limit)}"
    start = max(0, at - limit // 2)

    def window(text: str) -> str:
        part = text[start : start + limit]
        return repr(("..." if start else "") + part + ("..." if start + limit < len(text) else ""))

    return f"expected {window(expected)}, got {window(got)} (they differ at character {at + 1})"


def short(text: str, limit: int = 60) -> str:
    """``repr`` of ``text``, cut to about ``limit`` characters for a reason."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)
