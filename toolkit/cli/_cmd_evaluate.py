"""``toolkit evaluate``: judge routing strategies offline over recorded outcomes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit._format import duration, usd
from toolkit.cli._args import finite_float, seed_arg

if TYPE_CHECKING:
    from toolkit.outcomes import OutcomeMatrix


def register(sub: Any) -> None:
    """Add ``toolkit evaluate``."""
    p = sub.add_parser(
        "evaluate",
        help="evaluate routing strategies offline on outcome files or run directories",
        description=(
            "Fit strategies on train outcomes and report them on test: quality with bootstrap "
            "CIs, cost, latency, call shares, the frontier, AIQ, savings at parity and APGR/CPT. "
            "Give FILE (split by its split column, else at random with --test-fraction) or "
            "--train and --test. Inputs are parquet outcome files or run directories."
        ),
    )
    add_inputs(p)
    p.add_argument(
        "--strategy",
        action="append",
        metavar="S",
        help="single, single:<executor>, random, oracle, score_router[:<signal>], "
        "cascade[:<signal>], or a plugin strategy with an offline policy; a signal may be a "
        "plugin's (toolkit plugins lists them) or auto (chosen by train CV); repeatable "
        "(default: the built-ins)",
    )
    p.add_argument(
        "--pair",
        action="append",
        metavar="STRONG,WEAK",
        help="a two-executor pair for APGR/CPT; repeatable (default: single_best and the cheapest)",
    )
    p.add_argument(
        "--baseline",
        metavar="EXECUTOR",
        help="the executor every comparison is against (single_best; default: the best train "
        "quality among executors answering at least 95%% of train)",
    )
    add_baseline_by(p)
    p.add_argument(
        "--quality-target",
        "--parity-target",
        dest="parity_target",
        action="append",
        type=finite_float,
        metavar="Q",
        help="a quality target for parity, as a share of the baseline's quality: one parity "
        "entry per strategy and target; repeatable (default: 1, 0.95 and 0.9; "
        "--parity-target is the same flag)",
    )
    add_overlap_flags(p)
    p.add_argument("--seed", type=seed_arg, default=0, metavar="S", help="seed (default 0)")
    p.add_argument(
        "--bootstrap",
        type=int,
        default=1000,
        metavar="B",
        help="bootstrap resamples (default 1000)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_run)


def add_baseline_by(p: Any) -> None:
    """``--baseline-by {train,validation}``, shared by ``evaluate`` and ``tune``."""
    p.add_argument(
        "--baseline-by",
        choices=("train", "validation"),
        default="train",
        help="choose the default baseline on all of train, or on a held-out 30%% of it (against "
        "the winner's curse with many executors; the parity target is then measured on the "
        "rest); default train",
    )


def add_overlap_flags(p: Any) -> None:
    """``--allow-overlap`` and ``--dedupe-across-splits``, shared by ``evaluate`` and ``tune``."""
    p.add_argument(
        "--allow-overlap",
        action="store_true",
        help="go on when train and test share task ids or identical prompts (the JSON then "
        'has "overlap": {"ids": N, "prompts": M})',
    )
    p.add_argument(
        "--dedupe-across-splits",
        action="store_true",
        help="drop from test the tasks whose id or prompt text is also in train",
    )


def guard_overlap(
    train: OutcomeMatrix, test: OutcomeMatrix, args: argparse.Namespace
) -> tuple[OutcomeMatrix, dict[str, Any], list[str]]:
    """(test, JSON additions, notes): exit 2 naming the overlap of train and test, unless
    --allow-overlap or --dedupe-across-splits."""
    from toolkit.analysis import check_overlap

    kept, found, notes = check_overlap(
        train, test, allow=args.allow_overlap, dedupe=args.dedupe_across_splits
    )
    extra: dict[str, Any] = {}
    if args.allow_overlap or args.dedupe_across_splits:
        extra["overlap"] = found.to_json()
    return kept, extra, notes


def parse_pair(text: str) -> tuple[str, str]:
    """``STRONG,WEAK`` -> (strong, weak)."""
    from toolkit._errors import InputError

    parts = [x.strip() for x in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise InputError(f"--pair {text!r}: expected STRONG,WEAK (two executor names)")
    return parts[0], parts[1]


def load_side(path: str, side: str) -> tuple[OutcomeMatrix, str]:
    """Load --train/--test input; a file holding both splits contributes only its own side."""
    from toolkit.outcomes import load_outcomes

    matrix = load_outcomes(path)
    matrix.check_cost_axis(path)
    if {"train", "test"} <= set(matrix.split_names()):
        return matrix.split(side), f"{path}: its {side} split"
    return matrix, str(path)


def add_inputs(p: Any) -> None:
    """FILE, ``--train``/``--test`` and ``--test-fraction``, shared by ``evaluate`` and
    ``tune``."""
    p.add_argument("file", nargs="?", metavar="FILE", help="outcomes to split into train and test")
    p.add_argument("--train", metavar="A", help="train outcomes (parquet file or run directory)")
    p.add_argument("--test", metavar="B", help="test outcomes (parquet file or run directory)")
    p.add_argument(
        "--test-fraction",
        type=finite_float,
        default=0.3,
        metavar="F",
        help="test share of a random split of FILE (default 0.3; unused with a split column)",
    )


def load_train_test(args: argparse.Namespace) -> tuple[OutcomeMatrix, OutcomeMatrix, str, str]:
    """(train, test, how they were split, the test's source) from FILE or --train/--test."""
    from toolkit._errors import InputError
    from toolkit.analysis import split_outcomes
    from toolkit.outcomes import load_outcomes

    if args.file and (args.train or args.test):
        raise InputError("give FILE, or --train and --test, not both")
    if args.file:
        matrix = load_outcomes(args.file)
        matrix.check_cost_axis(args.file)
        train, test, how = split_outcomes(matrix, test_fraction=args.test_fraction, seed=args.seed)
        return train, test, how, str(args.file)
    if args.train and args.test:
        train, how_tr = load_side(args.train, "train")
        test, how_te = load_side(args.test, "test")
        return train, test, f"train from {how_tr}; test from {how_te}", str(args.test)
    raise InputError("give FILE (with --test-fraction), or both --train A and --test B")


def _run(args: argparse.Namespace) -> int:
    from toolkit._errors import InputError
    from toolkit.analysis import evaluate, summarize_live, to_json

    if args.bootstrap < 1:
        raise InputError(f"--bootstrap must be at least 1, got {args.bootstrap}")
    train, test, how, test_source = load_train_test(args)
    pairs = [parse_pair(x) for x in args.pair or []]
    test, extra, overlap_notes = guard_overlap(train, test, args)
    result = evaluate(
        train,
        test,
        strategies=args.strategy,
        pairs=pairs,
        seed=args.seed,
        n_boot=args.bootstrap,
        baseline=args.baseline,
        baseline_by=args.baseline_by,
        **({"parity_targets": args.parity_target} if args.parity_target else {}),
    )
    result["split"] = how
    result.update(extra)
    result["notes"] = [*overlap_notes, *result["notes"]]
    if Path(test_source).is_dir():
        result["live"] = summarize_live(test_source, task_ids=[str(t) for t in test.task_ids])
    if args.json:
        print(to_json(result, indent=2 if sys.stdout.isatty() else None))
    else:
        print(format_text(result))
    return 0


def _cost(x: Any, axis: Any) -> str:
    """A cost in dollars on a money axis (``$0.0000728``), else a plain number."""
    from toolkit.analysis import MONEY_AXES

    return usd(x) if axis in MONEY_AXES and x is not None else _f(x)


def _f(x: Any, digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.3e}"
    return str(x)


def _params(p: Any) -> str:
    if not p:
        return ""
    items = []
    for k, v in p.items():
        if isinstance(v, float):
            v = f"{v:.4g}"
        elif isinstance(v, list):
            v = ">".join(str(x) for x in v)
        items.append(f"{k}={v}")
    return " ".join(items)


def _chosen(how: Any) -> str:
    return {
        "given": "given with --baseline",
        "validation": "best on a held-out part of train",
    }.get(str(how), "best train quality")


def format_text(r: dict[str, Any]) -> str:
    """A readable summary of an evaluation (the JSON holds everything)."""
    from toolkit.analysis import COST_UNITS

    axis = r.get("cost_axis")
    unit = COST_UNITS.get(str(axis), str(axis))
    best = r["single_best"]
    lines = [
        f"train {r['n_train']} tasks, test {r['n_test']} tasks ({r.get('split', '')}); seed {r['seed']}",
        f"cost axis: {unit}",
        f"single_best (the baseline, {_chosen(best.get('chosen_by'))}): {best['name']} "
        f"quality {_f(best['quality'])} cost {_cost(best['cost_usd'], axis)}",
        "",
        "Frontier (test):",
    ]
    for f in r["frontier"]:
        lines.append(
            f"  {f['name']:<28} {_params(f['params']):<40} q {_f(f['quality'])}  cost {_cost(f['cost_usd'], axis)}"
        )
    shown = {
        s["name"]
        for s in r["strategies"]
        if s["name"].startswith("single:") or s["name"] == "oracle"
    }
    lines += ["", "Single executors and oracle (test):"]
    for s in r["strategies"]:
        if s["name"] in shown:
            lo, hi = s["quality_ci"]
            lines.append(
                f"  {s['name']:<40} q {_f(s['quality'])} [{_f(lo)}, {_f(hi)}]  cost {_cost(s['cost_usd'], axis)}"
                f"  p {_f(s['p_value_vs_single_best'], 2)}"
            )
    lines += [
        "",
        "Savings at parity with single_best (setting chosen on train: its train quality is at "
        "least target x the baseline's; holds: its test quality is at least target x the "
        "baseline's test quality):",
    ]
    for p in r["parity"]:
        target = f"Q {_f(p.get('target', 1.0))}"
        if p["reached"]:
            lo, hi = p["cost_ratio_ci"]
            holds = "holds on test" if p.get("holds_on_test") else "fails on test"
            ratio = f"{_f(p['cost_ratio'], 3)} [{_f(lo, 3)}, {_f(hi, 3)}]"
            lines.append(
                f"  {p['strategy']:<26} {target:<7} q {_f(p['test_quality'], 3):<6} "
                f"cost ratio {ratio:<26} {holds:<13}  {_params(p['params'])}"
            )
        else:
            lines.append(f"  {p['strategy']:<28} {target:<7} not reached on train")
    lines += ["", "AIQ: " + ", ".join(f"{k} {_f(v)}" for k, v in r["aiq"].items())]
    if r.get("aiq_means"):
        lines.append(f"  ({r['aiq_means']})")
    if r["two_executor"]:
        lines += ["", "Two executors (APGR over the strong share; CPT as a share of tasks):"]
        for t in r["two_executor"]:
            lo, hi = t["apgr_ci"]
            lines.append(
                f"  {t['strategy']:<28} {t['strong']} vs {t['weak']}: APGR {_f(t['apgr'])} "
                f"[{_f(lo)}, {_f(hi)}]  CPT50 {_f(t['cpt50'])}  CPT80 {_f(t['cpt80'])}"
            )
    if "live" in r:
        lines += ["", f"Live results as recorded ({r['live']['scope']}):"]
        for s in r["live"]["strategies"]:
            lines.append(
                f"  {s['name']:<40} q {_f(s['quality'])}  cost {_cost(s['cost_usd'], axis)}  "
                f"p50 {duration(s['latency_p50_s'])}  p95 {duration(s['latency_p95_s'])}"
            )
    if "overlap" in r:
        o = r["overlap"]
        lines += ["", f"Overlap of train and test: {o['ids']} ids, {o['prompts']} prompts"]
    from toolkit.analysis import small_sample_caveat

    caveat = small_sample_caveat(int(r["n_test"]))
    for n in [*r.get("notes", []), *([caveat] if caveat else [])]:
        lines.append(f"note: {n}")
    return "\n".join(fit(line) for line in lines)


#: The text summary fits a terminal this wide; longer lines wrap, indented.
WIDTH = 120


def fit(line: str) -> str:
    """``line`` wrapped at :data:`WIDTH` columns, its continuation lines indented."""
    import textwrap

    if len(line) <= WIDTH:
        return line
    indent = " " * (len(line) - len(line.lstrip()) + 4)
    return "\n".join(textwrap.wrap(line, WIDTH, subsequent_indent=indent))
