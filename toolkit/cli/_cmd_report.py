"""``toolkit report``: the cost report of a run directory or an outcome file."""

from __future__ import annotations

import argparse
from typing import Any

from toolkit.cli._args import finite_float, seed_arg
from toolkit.cli._cmd_evaluate import add_overlap_flags


def register(sub: Any) -> None:
    """Add ``toolkit report``."""
    p = sub.add_parser(
        "report",
        help="write the cost report (Markdown, self-contained HTML, CSV, PNG figures)",
        description=(
            "Write the cost report of a run directory or an outcome file into DIR: report.md, "
            "report.html (self-contained: open it in any browser), summary.csv and the PNG "
            "figures. It holds the per-strategy table on the test split, the cost-quality "
            "frontier, the cost breakdown by executor and task category, latency, a monthly "
            "projection against the baseline, and with --reprice a what-if at other prices."
        ),
    )
    p.add_argument(
        "source", metavar="RUN_OR_OUTCOMES", help="a run directory or an outcome parquet file"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the report into")
    p.add_argument(
        "--monthly-requests",
        type=int,
        default=None,
        metavar="N",
        help="monthly request volume for the projection (default 1,000,000)",
    )
    p.add_argument(
        "--mix",
        metavar="CATEGORY=SHARE,...",
        help="task mix for the projection, e.g. math=0.4,code=0.6 (normalised; default: the "
        "measured test mix)",
    )
    p.add_argument(
        "--baseline",
        metavar="EXECUTOR",
        help="the executor 'everything on one model' means (default: the best single executor "
        "on train quality)",
    )
    p.add_argument(
        "--reprice",
        metavar="FILE",
        help="a prices TOML (USD per million tokens) for a what-if section at those prices",
    )
    p.add_argument(
        "--quality-target",
        type=finite_float,
        default=1.0,
        metavar="Q",
        help="the recommendation keeps Q x the baseline's quality (default 1.0: all of it)",
    )
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also write report.pdf, printed by headless Chromium (chromium on PATH, or "
        "TOOLKIT_CHROMIUM)",
    )
    p.add_argument("--seed", type=seed_arg, default=0, metavar="S", help="seed (default 0)")
    p.add_argument(
        "--test-fraction",
        type=finite_float,
        default=0.3,
        metavar="F",
        help="test share of a random split when the outcomes have no split column (default 0.3)",
    )
    add_overlap_flags(p)
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from toolkit.report import DEFAULT_MONTHLY_REQUESTS, build_cost_report, parse_mix

    mix = parse_mix(args.mix) if args.mix is not None else None
    volume = DEFAULT_MONTHLY_REQUESTS if args.monthly_requests is None else args.monthly_requests
    report = build_cost_report(
        args.source,
        monthly_requests=volume,
        mix=mix,
        baseline=args.baseline,
        reprice_file=args.reprice,
        seed=args.seed,
        test_fraction=args.test_fraction,
        quality_target=args.quality_target,
        allow_overlap=args.allow_overlap,
        dedupe_across_splits=args.dedupe_across_splits,
    )
    out = report.write(args.out, pdf=args.pdf)
    print(f"wrote the cost report to {out}/")
    print(
        f"  open {out / 'report.html'} in a browser (self-contained), or read {out / 'report.md'}"
    )
    if args.pdf:
        print(f"  to send by mail: {out / 'report.pdf'}")
    print(f"  every strategy setting: {out / 'summary.csv'}")
    for note in report.notes:
        if note.startswith(("Imported", "Local compute")):
            print(f"  {note}")
    return 0
