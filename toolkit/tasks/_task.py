"""The Task value: one labelled item of a task set."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class GraderRef:
    """Which grader scores a task, with its args (validated by the args model the grader registered)."""

    name: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """One labelled task.

    ``target`` is a string, a tuple of acceptable answers, or None (``judge`` and ``code``
    graders only). A ``code`` task keeps ``test`` and ``entry_point`` in ``metadata``.
    ``source`` and ``line`` say where the task was read from, for error messages.
    """

    id: str
    input: str
    category: str
    target: str | tuple[str, ...] | None = None
    grader: GraderRef = field(default_factory=lambda: GraderRef("normalized"))
    split: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    line: int = 0

    @property
    def targets(self) -> tuple[str, ...]:
        """The acceptable answers as a tuple (empty when the task has no target)."""
        if self.target is None:
            return ()
        if isinstance(self.target, str):
            return (self.target,)
        return self.target

    def to_record(self) -> dict[str, Any]:
        """The task as a task-file record (the inverse of loading it; no ``source``/``line``).

        The grader is written as a bare name when it has no args, and optional fields only
        when set, so ``json.dumps(task.to_record())`` is a valid, tidy JSONL line.
        """
        record: dict[str, Any] = {"id": self.id, "category": self.category}
        if self.split is not None:
            record["split"] = self.split
        record["grader"] = (
            {"name": self.grader.name, "args": dict(self.grader.args)}
            if self.grader.args
            else self.grader.name
        )
        if self.target is not None:
            record["target"] = self.target if isinstance(self.target, str) else list(self.target)
        record["input"] = self.input
        if self.metadata:
            record["metadata"] = dict(self.metadata)
        return record
