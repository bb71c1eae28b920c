"""``toolkit fit-specialist``: fit a TF-IDF + logistic-regression specialist on train tasks."""

from __future__ import annotations

import argparse
from typing import Any

from toolkit.cli._args import seed_arg


def register(sub: Any) -> None:
    """Add ``toolkit fit-specialist``."""
    p = sub.add_parser(
        "fit-specialist",
        help="fit a specialist (TF-IDF + logistic regression) on the train split of tasks",
        description=(
            "Fit a local text classifier that answers a task with its label and costs nothing. "
            "With --spec, fit every specialist the spec names whose model file is missing "
            "(--refit: all of them), on the spec's train tasks: the lab's two files as the lab "
            "fits them, any other to predict the target of the categories its executor lists. "
            "Otherwise fit one from TASKS into --out."
        ),
    )
    p.add_argument("tasks", nargs="*", metavar="TASKS", help="task files or folders")
    p.add_argument("--spec", metavar="SPEC.toml", help="fit the specialists this spec names")
    p.add_argument("--refit", action="store_true", help="with --spec: refit files that exist")
    p.add_argument("--out", metavar="FILE.joblib", help="where to write the specialist")
    p.add_argument(
        "--label",
        choices=("target", "category"),
        default="target",
        help="what it predicts: a task's target (default) or its category",
    )
    p.add_argument(
        "--categories",
        default="",
        metavar="C,...",
        help="train on (and answer) these categories only (default: all)",
    )
    p.add_argument("--split", default="train", metavar="NAME", help="the split to fit on")
    p.add_argument("--seed", type=seed_arg, default=0, metavar="S")
    p.set_defaults(handler=_run, parser=p)


def _run(args: argparse.Namespace) -> int:
    if args.spec:
        if args.tasks or args.out:
            args.parser.error("--spec fits what the spec names: give no TASKS and no --out")
        from toolkit.lab import prepare_lab

        written = prepare_lab(args.spec, refit=args.refit)
        if not written:
            print(f"every specialist {args.spec} names is there (--refit fits them again)")
        for path in written:
            print(f"wrote {path}")
        return 0
    if not args.tasks or not args.out:
        args.parser.error("give TASKS and --out FILE.joblib, or --spec SPEC.toml")
    from toolkit.models import fit_specialist
    from toolkit.tasks import load_tasks

    cats = [c.strip() for c in args.categories.split(",") if c.strip()]
    path = fit_specialist(
        load_tasks(*args.tasks), cats, args.out, label=args.label, split=args.split, seed=args.seed
    )
    print(f"wrote {path}")
    return 0
