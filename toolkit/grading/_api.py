"""Building graders from tasks and grading many answers in parallel."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable

from pydantic import ValidationError

from toolkit._types import Executor
from toolkit.grading._code import CodeGrader
from toolkit.grading._grade import Grade, Grader, task_error
from toolkit.grading._graders import (
    ChoiceGrader,
    ContainsGrader,
    ExactGrader,
    NormalizedGrader,
    NumericGrader,
    RegexGrader,
)
from toolkit.grading._judge import JudgeGrader
from toolkit.tasks._grader_specs import (
    GRADER_ARGS,
    TARGETLESS_GRADERS,
    ChoiceArgs,
    CodeArgs,
    ContainsArgs,
    JudgeArgs,
    NumericArgs,
    RegexArgs,
    parse_grader_args,
)
from toolkit.tasks._task import Task


def grader_for(task: Task, *, judge_executor: Executor | None = None) -> Grader:
    """The grader named by ``task.grader``, configured with its args.

    Raises InputError (located at the task) for an unknown grader, bad args, a missing
    target, a ``code`` task without ``metadata.test``/``entry_point``, or a ``judge`` task
    when no ``judge_executor`` is given.
    """
    name = task.grader.name
    if name not in GRADER_ARGS:
        known = ", ".join(sorted(GRADER_ARGS))
        raise task_error(task, "grader", f"unknown grader {name!r} (known: {known})")
    try:
        args = parse_grader_args(name, dict(task.grader.args))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise task_error(
            task, f"grader.args.{where}" if where else "grader.args", first["msg"]
        ) from None
    needs_target = name not in TARGETLESS_GRADERS
    if (
        needs_target
        and not task.targets
        and not (name == "regex" and task.grader.args.get("pattern"))
    ):
        raise task_error(task, "target", f"the {name!r} grader needs a target")
    if name == "exact":
        return ExactGrader()
    if name == "normalized":
        return NormalizedGrader()
    if isinstance(args, NumericArgs):
        return NumericGrader(args)
    if isinstance(args, ChoiceArgs):
        return ChoiceGrader(args)
    if isinstance(args, RegexArgs):
        return RegexGrader(args)
    if isinstance(args, ContainsArgs):
        return ContainsGrader(args)
    if isinstance(args, CodeArgs):
        code = CodeGrader(args)
        code.check_task(task)
        return code
    if isinstance(args, JudgeArgs):
        if judge_executor is None:
            raise task_error(
                task,
                "grader",
                "the judge grader needs a model: pass judge_executor=... (an Executor)",
            )
        return JudgeGrader(args, judge_executor)
    raise task_error(task, "grader", f"grader {name!r} is known but not implemented")


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
        if isinstance(grader, CodeGrader):
            async with slots:
                return await grader.grade(task, answer)
        return await grader.grade(task, answer)

    return list(
        await asyncio.gather(*(one(g, t, a) for g, (t, a) in zip(graders, pairs, strict=True)))
    )


def grade(task: Task, answer: str, *, judge_executor: Executor | None = None) -> Grade:
    """Grade one answer (blocking). In async code, ``await grader_for(task).grade(...)``."""
    return asyncio.run(grader_for(task, judge_executor=judge_executor).grade(task, answer))
