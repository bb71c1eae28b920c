"""``toolkit demo``: the lab comparison table and its cost report (the main job of `make demo`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from toolkit.cli._args import seed_arg


def register(sub: Any) -> None:
    """Add ``toolkit demo``."""
    p = sub.add_parser(
        "demo",
        help="compare single-model and routed strategies on the lab; write the cost report",
        description=(
            "Print the lab comparison (test-split quality with 95% CI, total and per-task cost, "
            "p50/p95 latency, call shares, saving against single-Gemma) for every strategy, and "
            "write the cost report. By default it reads the recorded run in data/runs/lab: "
            "instant, deterministic, no model needed. --live re-runs the lab spec "
            "(benchmarks/lab.toml) through its cache with the real local llama.cpp server first."
        ),
    )
    p.add_argument(
        "--live",
        action="store_true",
        help="run the lab for real (local server, through the lab cache) into runs/lab-<time>",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("reports/demo"),
        metavar="DIR",
        help="folder for the cost report (default: reports/demo)",
    )
    p.add_argument(
        "--run",
        type=Path,
        default=None,
        metavar="RUN_DIR",
        help="the recorded run to show (default: data/runs/lab)",
    )
    p.add_argument(
        "--spec",
        type=Path,
        default=None,
        metavar="SPEC",
        help="the lab spec --live runs (default: benchmarks/lab.toml)",
    )
    p.add_argument(
        "--baseline",
        default="gemma",
        metavar="EXECUTOR",
        help="the single executor savings are measured against (default: gemma)",
    )
    p.add_argument(
        "--seed", type=seed_arg, default=0, metavar="S", help="bootstrap seed (default 0)"
    )
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from toolkit._errors import InputError
    from toolkit.lab import run_demo

    if args.live and args.run is not None:
        raise InputError("--run and --live exclude each other: --live makes a new run")
    run_demo(
        args.run,
        out=args.out,
        live=args.live,
        spec=args.spec,
        baseline=args.baseline,
        seed=args.seed,
    )
    return 0
