"""``toolkit tasks``: check and look at labelled task files."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toolkit.tasks import TaskSet

_INPUT_WIDTH = 70


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``toolkit tasks validate`` and ``toolkit tasks show``."""
    tasks = subparsers.add_parser(
        "tasks",
        help="check and look at task files",
        description="Check and look at labelled task files (JSONL, CSV, or folders of them).",
    )
    tasks.set_defaults(handler=lambda _args: _help(tasks))
    sub = tasks.add_subparsers(dest="tasks_command", metavar="SUBCOMMAND")

    validate = sub.add_parser(
        "validate",
        help="check task files; print counts, or every problem as path:line: field: problem",
        description=(
            "Check task files and folders. Prints 'N tasks OK' with counts per category and "
            "split, and exits 0; otherwise prints every problem (path:line: field: problem) "
            "to stderr and exits 2."
        ),
    )
    validate.add_argument("paths", nargs="+", metavar="PATH", help="task file or folder")
    validate.set_defaults(handler=_validate)

    show = sub.add_parser(
        "show",
        help="list tasks (one line each, or JSONL with --json)",
        description="List the tasks in task files, optionally filtered.",
    )
    show.add_argument("paths", nargs="+", metavar="PATH", help="task file or folder")
    show.add_argument("--category", action="append", help="only this category (repeatable)")
    show.add_argument("--split", choices=["train", "test"], help="only this split")
    show.add_argument("--limit", type=int, default=None, metavar="N", help="at most N tasks")
    show.add_argument("--json", action="store_true", help="print task records as JSONL")
    show.set_defaults(handler=_show)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _validate(args: argparse.Namespace) -> int:
    from toolkit.cli import print_problems
    from toolkit.tasks import validate_paths

    result = validate_paths(*args.paths)
    if result.problems:
        print_problems(result.problems)
        count, files = len(result.problems), len(result.files)
        print(
            f"{count} problem{'s' * (count != 1)} found in {files} task "
            f"file{'s' * (files != 1)}; fix them and run again",
            file=sys.stderr,
        )
        return 2
    files = len(result.files)
    print(f"{len(result.tasks)} tasks OK ({files} file{'s' * (files != 1)})")
    print(_count_table(result.tasks))
    return 0


def _count_table(tasks: TaskSet) -> str:
    """Tasks per category, with a column per split that occurs."""
    counts = tasks.counts()
    present = [s for s in ("train", "test", "none") if any(row[s] for row in counts.values())]
    splits = [] if present == ["none"] else present  # no split columns when nothing is split
    header = ["category", "tasks", *(s if s != "none" else "no split" for s in splits)]
    rows = [
        [c, str(sum(row.values())), *(str(row[s]) for s in splits)] for c, row in counts.items()
    ]
    totals = ["total", str(len(tasks))]
    totals += [str(sum(row[s] for row in counts.values())) for s in splits]
    rows.append(totals)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells).rstrip()

    return "\n".join(fmt(r) for r in [header, *rows])


def _show(args: argparse.Namespace) -> int:
    from toolkit._errors import InputError
    from toolkit.tasks import load_tasks

    tasks = load_tasks(*args.paths)
    try:
        tasks = tasks.filter(category=args.category, split=args.split)
    except ValueError as exc:
        raise InputError(f"--category: {exc}") from None
    if args.limit is not None:
        if args.limit < 0:
            raise InputError("--limit: must be 0 or more")
        tasks = tasks[: args.limit]
    for task in tasks:
        if args.json:
            print(json.dumps(task.to_record(), ensure_ascii=False))
        else:
            text = " ".join(task.input.split())
            if len(text) > _INPUT_WIDTH:
                text = text[: _INPUT_WIDTH - 3] + "..."
            print(f"{task.id}\t{task.category}\t{task.split or '-'}\t{task.grader.name}\t{text}")
    return 0
