"""Building graders from tasks and grading many answers in parallel."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from toolkit._errors import InputError, ToolkitError
from toolkit._types import Executor
from toolkit.grading._grade import Grade, Grader, task_error
from toolkit.registry import REGISTRY, Entry
from toolkit.tasks import Task, parse_grader_args, task_problems


def grader_keywords(entry: Entry) -> frozenset[str]:
    """Which of ``args`` and ``judge`` a registered grader function takes (the decorator
    works it out once; a direct ``REGISTRY.register`` leaves it to here)."""
    known = entry.option("keywords")
    if known is None:
        known = frozenset(inspect.signature(entry.obj).parameters) & {"args", "judge"}
    return frozenset(known)


class RegisteredGrader:
    """A registered grader function bound to a task's validated args (and the judge)."""

    def __init__(self, entry: Entry, args: Any, judge: Executor | None) -> None:
        self.entry = entry
        self.args = args
        self.judge = judge
        given = {"args": args, "judge": judge}
        self._kwargs: dict[str, Any] = {k: given[k] for k in grader_keywords(entry)}

    @property
    def name(self) -> str:
        """The grader's registered name."""
        return self.entry.name

    @property
    def cpu_bound(self) -> bool:
        """True for graders that run at most one per core at once (``code``)."""
        return bool(self.entry.option("cpu_bound", False))

    async def grade(self, task: Task, answer: str) -> Grade:
        """Call the grader; a number in [0, 1] is taken as the score."""
        try:
            value = self.entry.obj(task, answer, **self._kwargs)
            if inspect.isawaitable(value):
                value = await value
        except ToolkitError:
            raise
        except Exception as exc:  # a plugin's bug: name it, never a bare traceback
            raise ToolkitError(
                f"grader {self.name!r} ({self.entry.source}) failed on task {task.id!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if isinstance(value, Grade):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Grade(float(value), "")
        raise ToolkitError(
            f"grader {self.name!r} ({self.entry.source}) returned {type(value).__name__}, "
            "not a toolkit.Grade"
        )


def uses_judge(name: str) -> bool:
    """True when grader ``name`` asks for the judge executor (a keyword ``judge``)."""
    entry = REGISTRY.lookup("grader", name)
    return entry is not None and "judge" in grader_keywords(entry)


def grader_for(task: Task, *, judge_executor: Executor | None = None) -> Grader:
    """The grader registered under ``task.grader``, configured with its args.

    Raises InputError (located at the task) for an unknown grader, bad args, a missing
    target or metadata the grader checks for, or a grader that needs a judge when no
    ``judge_executor`` is given.
    """
    name = task.grader.name
    try:
        entry = REGISTRY.lookup("grader", name)
    except InputError as exc:
        raise task_error(task, "grader", exc.problems[0]) from None
    if entry is None:
        raise task_error(task, "grader", REGISTRY.unknown("grader", name))
    try:
        args = parse_grader_args(name, task.grader.args)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise task_error(
            task, f"grader.args.{where}" if where else "grader.args", first["msg"]
        ) from None
    for where, problem in task_problems(task):
        raise task_error(task, where, problem)
    bound = RegisteredGrader(entry, args, judge_executor)
    if "judge" in bound._kwargs and judge_executor is None:
        raise task_error(
            task,
            "grader",
            f"the {name} grader needs a model: pass judge_executor=... (an Executor)",
        )
    return bound


async def grade_many(
    tasks_and_answers: Iterable[tuple[Task, str]],
    *,
    workers: int | None = None,
    judge_executor: Executor | None = None,
) -> list[Grade]:
    """Grade every (task, answer) pair, in input order.

    Every task's grader is built first, so bad tasks fail before anything runs. ``code``
    answers run in parallel sandboxes, at most ``workers`` at once (default: the number of
    cores); judge calls run concurrently (their executor limits them); the rest run inline.
    """
    pairs = list(tasks_and_answers)
    limit = workers if workers is not None else (os.cpu_count() or 1)
    if limit < 1:
        raise ValueError(f"workers must be at least 1, got {limit}")
    graders = [grader_for(task, judge_executor=judge_executor) for task, _ in pairs]
    slots = asyncio.Semaphore(limit)

    async def one(grader: Grader, task: Task, answer: str) -> Grade:
        if getattr(grader, "cpu_bound", False):
            async with slots:
                return await grader.grade(task, answer)
        return await grader.grade(task, answer)

    return list(
        await asyncio.gather(*(one(g, t, a) for g, (t, a) in zip(graders, pairs, strict=True)))
    )


def grade(task: Task, answer: str, *, judge_executor: Executor | None = None) -> Grade:
    """Grade one answer (blocking). In async code, ``await grader_for(task).grade(...)``."""
    return asyncio.run(grader_for(task, judge_executor=judge_executor).grade(task, answer))
