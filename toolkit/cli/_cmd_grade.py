"""``toolkit grade TASKS... --answers FILE``: grade an answer file against a task set."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    """Add the ``grade`` subcommand."""
    p = sub.add_parser(
        "grade",
        help="grade an answer file (JSONL of {id, answer}) against a task set",
        description="Grade answers against labelled tasks and print a per-category table.",
    )
    p.add_argument("tasks", nargs="+", help="task files or folders")
    p.add_argument("--answers", required=True, help='JSONL file of {"id": ..., "answer": ...}')
    p.add_argument("--json", action="store_true", help="print one JSON object per task instead")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from toolkit._errors import InputError, located
    from toolkit.grading import grade_many, read_answers
    from toolkit.tasks import load_tasks

    tasks = load_tasks(*args.tasks)
    answers = read_answers(args.answers)
    unknown = sorted(set(answers) - set(tasks.ids))
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        raise InputError(located(args.answers, None, "id", f"not in the task set: {shown}"))
    graded = [t for t in tasks if t.id in answers]
    grades = asyncio.run(grade_many([(t, answers[t.id]) for t in graded]))
    if args.json:
        for t, g in zip(graded, grades, strict=True):
            print(
                json.dumps(
                    {"id": t.id, "category": t.category, "score": g.score, "reason": g.reason}
                )
            )
        return 0
    width = max(len(t.id) for t in graded)
    print(f"{'task':<{width}}  {'category':<13} score  reason")
    for t, g in zip(graded, grades, strict=True):
        print(f"{t.id:<{width}}  {t.category:<13} {g.score:5.2f}  {g.reason}")
    total = sum(g.score for g in grades)
    print(
        f"\n{len(graded)} answers graded, mean score {total / len(graded):.3f}"
        f" ({len(tasks) - len(graded)} tasks without an answer)"
    )
    return 0
