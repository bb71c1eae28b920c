"""``toolkit tune``: fit a router's threshold on train, report it on train and test."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from toolkit.cli._args import finite_float, seed_arg
from toolkit.cli._cmd_evaluate import add_baseline_by, add_inputs, add_overlap_flags


def register(sub: Any) -> None:
    """Add ``toolkit tune``."""
    p = sub.add_parser(
        "tune",
        help="choose a router threshold on train and show its drift on test",
        description=(
            "Fit a two-executor threshold on train outcomes for a target share of strong calls, "
            "a target quality or a budget per task, then report the strong share, quality and "
            "cost on train and on test, and their drift (test - train). Give FILE (split by its "
            "split column, else at random with --test-fraction) or --train and --test."
        ),
    )
    add_inputs(p)
    p.add_argument(
        "--strategy",
        required=True,
        metavar="S",
        help="score_router[:<signal>], cascade[:<signal>] or random (toolkit plugins lists the "
        "signals)",
    )
    p.add_argument(
        "--pair", metavar="STRONG,WEAK", help="default: best on train, cheapest on train"
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--strong-share", type=finite_float, metavar="P", help="share of tasks sent to strong"
    )
    target.add_argument(
        "--target-quality", type=finite_float, metavar="Q", help="lowest share reaching Q"
    )
    target.add_argument(
        "--quality-target",
        type=finite_float,
        metavar="Q",
        help="lowest share keeping Q x the strong executor's quality on out-of-fold train "
        "(1 = parity, 0.98 = 98%% of it); the JSON says whether it holds on test",
    )
    target.add_argument(
        "--budget-per-task",
        type=finite_float,
        metavar="USD",
        help="best quality within USD per task (rank units on a rank cost axis)",
    )
    add_baseline_by(p)
    add_overlap_flags(p)
    p.add_argument("--seed", type=seed_arg, default=0, metavar="S")
    p.add_argument(
        "--json", action="store_true", help='print {"threshold", "train", "test", "drift"}'
    )
    p.add_argument(
        "--write-spec",
        metavar="SPEC.toml",
        help="write a spec that runs the chosen setting live: from a run directory, that run's "
        "spec (paths made relative to SPEC.toml's folder) with the tuned strategy added; from "
        "an outcome file, the strategy table fitted from it (fit_outcomes)",
    )
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from toolkit.analysis import COST_UNITS, check_spec_path, to_json, tune, write_tuned_spec
    from toolkit.cli._cmd_evaluate import guard_overlap, load_train_test, parse_pair

    if args.write_spec:
        check_spec_path(args.write_spec)
    train, test, _, _ = load_train_test(args)
    test, extra, notes = guard_overlap(train, test, args)
    source = args.file or args.train
    router, result = tune(
        train,
        test,
        strategy=args.strategy,
        pair=parse_pair(args.pair) if args.pair else None,
        strong_share=args.strong_share,
        target_quality=args.target_quality,
        budget_per_task=args.budget_per_task,
        quality_target=args.quality_target,
        seed=args.seed,
        baseline_by=args.baseline_by,
    )
    result.update(extra)
    asked = args.strong_share
    got = result["train"]["strong_share"]
    if asked is not None and abs(got - asked) > 0.005:
        notes.append(
            f"no threshold sends exactly {asked:.1%} of the train tasks to {result['strong']}: "
            f"the nearest sends {got:.1%} (tasks with tied predictions go together)"
        )
    if args.write_spec:
        out = write_tuned_spec(args.write_spec, router, source)
        result["spec"] = str(out)
        result["live_threshold"] = router.live_threshold()
    if notes:
        result["notes"] = notes
    if args.json:
        print(to_json(result, indent=2 if sys.stdout.isatty() else None))
        return 0
    print(
        f"{result['strategy']}: {result['strong']} (strong) vs {result['weak']} (weak); "
        f"threshold {result['threshold']:.6g} for {result['target']}"
    )
    unit = COST_UNITS.get(result["cost_axis"], result["cost_axis"])
    print(f"cost axis: {unit}")
    print(f"{'':8}{'strong share':>14}{'quality':>10}{'cost':>12}{'cost/task':>12}")
    for name in ("train", "test", "drift"):
        row = result[name]
        cells = [
            f"{row[k]:.4g}" if row[k] is not None else "-"
            for k in ("strong_share", "quality", "cost_usd", "cost_per_task")
        ]
        print(f"{name:<8}{cells[0]:>14}{cells[1]:>10}{cells[2]:>12}{cells[3]:>12}")
    if args.write_spec:
        how = (
            f"check it with `toolkit run {result['spec']} --dry-run`"
            if Path(source).is_dir()
            else "add its [[strategies]] table to a spec that defines these executors"
        )
        print(f"wrote {result['spec']}: {how}")
    qt = result.get("quality_target")
    if qt is not None:
        verdict = "holds" if qt["holds_on_test"] else "does not hold"
        print(
            f"quality target {qt['target']:g} x {result['strong']}: needs {qt['train_quality_needed']:.4g} "
            f"on train, {qt['test_quality_needed']:.4g} on test: {verdict} on test"
        )
    for note in notes:
        print(f"note: {note}")
    return 0
