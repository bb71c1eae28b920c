"""``toolkit outcomes``: import public outcome files into the toolkit's parquet matrix."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    """Add ``toolkit outcomes import`` and ``toolkit outcomes show``."""
    parser = sub.add_parser(
        "outcomes",
        help="import outcome data (RouterBench, RouteLLM, long files, runs) into a matrix",
        description="Outcome matrices: what every executor did on every task.",
    )
    osub = parser.add_subparsers(dest="outcomes_command", metavar="ACTION")
    imp = osub.add_parser(
        "import",
        help="import PATH into a parquet outcome matrix",
        description=(
            "Import an outcome file (or folder, or run directory) into FILE.parquet. Formats: "
            "routerbench (wide CSV or pickle), routellm (wide True/False CSV, or a folder of "
            "them, one per subject), long (one row per prompt x model: CSV, JSONL or parquet), "
            "run (a toolkit run directory). Bad input exits 2 with each problem located."
        ),
    )
    imp.add_argument("path", metavar="PATH")
    imp.add_argument(
        "--format",
        required=True,
        metavar="F",
        help="routerbench, routellm, long, run, or a plugin's format (toolkit plugins lists them)",
    )
    imp.add_argument(
        "--drop-incomplete",
        action="store_true",
        help="drop tasks with a missing cell (otherwise a missing cell is an error)",
    )
    imp.add_argument(
        "--prices",
        metavar="FILE",
        help='TOML of prices in USD per million tokens ([models."NAME"] input_per_mtok, '
        "output_per_mtok); used by --format long where cost is missing, over litellm's map",
    )
    imp.add_argument(
        "--score-scale",
        metavar="MIN,MAX",
        help="map scores linearly to [0, 1]: (s - MIN) / (MAX - MIN); e.g. 1,10 for judge grades",
    )
    imp.add_argument(
        "--columns",
        metavar="NAME=COL,...",
        help="use file column COL as field NAME, e.g. tokens_in=prompt_tokens,cost_usd=cost",
    )
    imp.add_argument(
        "--allow-pickle",
        action="store_true",
        help="allow reading a RouterBench pickle (unpickling runs code: only for files you trust)",
    )
    imp.add_argument("--out", required=True, metavar="FILE.parquet", help="the matrix to write")
    imp.set_defaults(handler=_import)
    show = osub.add_parser(
        "show", help="describe an outcome matrix (parquet file or run directory)"
    )
    show.add_argument("path", metavar="PATH")
    show.set_defaults(handler=_show)
    parser.set_defaults(handler=lambda _a: _help(parser))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _import(args: argparse.Namespace) -> int:
    from toolkit.outcomes import import_outcomes, parse_columns, parse_score_scale

    matrix = import_outcomes(
        args.path,
        args.format,
        drop_incomplete=args.drop_incomplete,
        prices=args.prices,
        score_scale=parse_score_scale(args.score_scale) if args.score_scale else None,
        columns=parse_columns(args.columns, args.format) if args.columns else None,
        allow_pickle=args.allow_pickle,
    )
    out = matrix.to_parquet(args.out)
    print(f"{out}: {matrix.describe()}")
    for note in matrix.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    from toolkit.outcomes import load_outcomes

    matrix = load_outcomes(args.path)
    print(matrix.describe())
    q = matrix.score.mean(axis=0)
    c = matrix.cost_usd.mean(axis=0)
    width = max(len(e) for e in matrix.executors)
    print(f"{'executor':<{width}}  quality  cost/task USD")
    for j, e in enumerate(matrix.executors):
        cost = f"{c[j]:.6g}" if matrix.has_cost else "unknown"
        print(f"{e:<{width}}  {q[j]:7.4f}  {cost}")
    for note in matrix.notes:
        print(f"note: {note}")
    return 0
