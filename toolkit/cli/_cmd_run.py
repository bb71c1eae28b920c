"""``toolkit run SPEC.toml``: run a benchmark spec and write its run directory."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from toolkit.cli._args import finite_float


def _budget(text: str) -> float:
    return finite_float(text, "USD")


def register(subparsers: Any) -> None:
    """Add the ``run`` subcommand."""
    p = subparsers.add_parser(
        "run",
        help="run a benchmark spec (tasks x strategies) and write a run directory",
        description=(
            "Run every strategy of SPEC on every selected task, grade the answers and write "
            "manifest.json, calls.jsonl and results.jsonl to the run directory."
        ),
        epilog=(
            "Exit codes: 0 done, 1 internal error, 2 bad input, 3 stopped by the budget, "
            "4 replay miss. A budget stop keeps what it has; --resume continues it."
        ),
    )
    p.add_argument("spec", metavar="SPEC.toml", help="the benchmark spec")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="run directory (default: runs/<spec name>-<timestamp>); must not exist "
        "unless --resume",
    )
    p.add_argument(
        "--budget",
        type=_budget,
        metavar="USD",
        help="cap on what the whole run pays (resumes included); a call that could pass it "
        "is not made and the run stops with exit code 3",
    )
    p.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="task x strategy pairs in flight, and calls per provider (default: the spec's)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out DIR without repeating any recorded call",
    )
    p.add_argument(
        "--replay",
        action="store_true",
        help="never call a provider: every call comes from the cache; a miss exits 4",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the task count, the calls planned and a worst-case cost; call nothing",
    )
    bar = p.add_mutually_exclusive_group()
    bar.add_argument(
        "--progress",
        dest="progress",
        action="store_const",
        const=True,
        default=None,
        help="show the progress bar even when stderr is not a terminal",
    )
    bar.add_argument(
        "--no-progress",
        dest="progress",
        action="store_const",
        const=False,
        help="hide the progress bar",
    )
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from toolkit.runner import RunSummary, run_spec

    stopped: list[RunSummary] = []
    try:
        summary = run_spec(
            args.spec,
            out=args.out,
            budget=args.budget,
            concurrency=args.concurrency,
            resume=args.resume,
            replay=args.replay,
            dry_run=args.dry_run,
            progress=args.progress,
            on_stop=stopped.append,
        )
    except KeyboardInterrupt:
        if not stopped:  # before the run directory was written: nothing to resume
            print("interrupted before the run started; nothing was written", file=sys.stderr)
            return 130
        last = stopped[-1]
        print(last.line(status="interrupted"), file=sys.stderr)
        print(
            f"every finished call and result is kept; resume with:\n"
            f"  toolkit run {shlex.quote(str(args.spec))} --out {shlex.quote(str(last.out))} "
            "--resume",
            file=sys.stderr,
        )
        return 130
    if summary.status == "dry_run":
        print(summary.report())
    else:
        print(summary.line(), file=sys.stderr)
    return summary.exit_code
