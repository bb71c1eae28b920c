"""``toolkit outcomes``: import public outcome files into the toolkit's parquet matrix."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from toolkit.cli._args import finite_float

FORMATS_HELP = (
    "routerbench, routellm, routellm-mtbench, long, routerdc, routerarena, alpacaeval, "
    "zeroeval, arena-hard, run, or a plugin's format (toolkit plugins lists them)"
)


def register(sub: Any) -> None:
    """Add ``toolkit outcomes import`` and ``toolkit outcomes show``."""
    parser = sub.add_parser(
        "outcomes",
        help="import outcome data (RouterBench, RouteLLM, AlpacaEval, ... runs) into a matrix",
        description="Outcome matrices: what every executor did on every task.",
    )
    osub = parser.add_subparsers(dest="outcomes_command", metavar="ACTION")
    imp = osub.add_parser(
        "import",
        help="import PATH into a parquet outcome matrix",
        description=(
            "Import an outcome file (or folder, or run directory) into FILE.parquet, as "
            "published, with a note on what was merged, dropped, clipped or estimated. "
            "docs/importing.md describes every format. Bad input exits 2 with each problem "
            "located."
        ),
    )
    imp.add_argument("path", metavar="PATH")
    imp.add_argument("--format", required=True, metavar="F", help=FORMATS_HELP)
    imp.add_argument(
        "--drop-incomplete",
        nargs="?",
        const="tasks",
        default="",
        choices=("tasks", "executors", "auto"),
        metavar="tasks|executors|auto",
        help="drop tasks with a missing cell (bare flag), executors with one (executors), or "
        "executors missing more than --max-missing of their cells and then tasks (auto); "
        "otherwise a missing cell is an error",
    )
    imp.add_argument(
        "--max-missing",
        type=finite_float,
        default=0.05,
        metavar="SHARE",
        help="for --drop-incomplete auto: the largest share of missing cells an executor may "
        "have and stay (default 0.05)",
    )
    imp.add_argument(
        "--duplicates",
        choices=("auto", "first", "keep", "error"),
        default="auto",
        help="repeated ids or prompts: auto merges identical rows, makes a repeated id with "
        "another prompt its own task (id#line) and keeps the first of conflicting rows; first "
        "keeps the first row per id; keep makes every row a task; error refuses (default auto)",
    )
    imp.add_argument(
        "--cost-axis",
        choices=("strong-share", "rank", "tokens"),
        help="for data without cost or tokens: the share of strong calls (default with two "
        "executors), each executor's price rank (default with more), or tokens estimated from "
        "the text and priced with --prices",
    )
    imp.add_argument(
        "--cost-rank",
        metavar="A,B,C",
        help="the executors cheapest first, for --cost-axis rank (default: litellm's price order)",
    )
    imp.add_argument(
        "--prices",
        metavar="FILE",
        help='TOML of prices in USD per million tokens ([models."NAME"] input_per_mtok, '
        "output_per_mtok), over litellm's map: prices calls that have tokens but no cost",
    )
    imp.add_argument(
        "--score-scale",
        metavar="MIN,MAX",
        help="map scores linearly to [0, 1]: (s - MIN) / (MAX - MIN); e.g. 1,10 for judge grades",
    )
    imp.add_argument(
        "--clip-scores",
        action="store_true",
        help="clip a few stray scores outside [0, 1] to the nearest bound (the note counts them)",
    )
    imp.add_argument(
        "--raw-scores",
        action="store_true",
        help="routerdc: keep every value as it is (by default the sets RouterDC scores as "
        "probabilities, e.g. mmlu, count a value above 0 as correct)",
    )
    imp.add_argument(
        "--columns",
        metavar="NAME=COL,...",
        help="use file column COL (a dotted path reaches into nested JSON) as field NAME, e.g. "
        "tokens_in=prompt_tokens,score=evaluation_result.score",
    )
    imp.add_argument(
        "--questions",
        metavar="FILE",
        help="question.jsonl with the prompts (routellm-mtbench, arena-hard)",
    )
    imp.add_argument(
        "--scorer",
        metavar="GRADER",
        help="zeroeval: score the answers with this grader instead of ZeroEval's own rules "
        "(gsm, math-l5, mmlu-redux; other datasets need a grader: numeric, choice, ...)",
    )
    imp.add_argument(
        "--summary",
        metavar="FILE",
        help="zeroeval: ZeroEval's own summary (result_dirs/<task>.summary.json); the note "
        "lists each model's accuracy minus the summary's",
    )
    imp.add_argument(
        "--allow-pickle",
        action="store_true",
        help="allow reading a RouterBench pickle (unpickling runs code: only for files you trust)",
    )
    imp.add_argument("--out", required=True, metavar="FILE.parquet", help="the matrix to write")
    imp.set_defaults(handler=_import)
    show = osub.add_parser(
        "show", help="describe an outcome matrix (parquet file or run directory) and its provenance"
    )
    show.add_argument("path", metavar="PATH")
    show.set_defaults(handler=_show)
    parser.set_defaults(handler=lambda _a: _help(parser))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from toolkit._errors import InputError, check_output_file
    from toolkit.outcomes import import_outcomes

    check_output_file(args.out, "--out")
    out_path = Path(args.out).resolve()
    for given, flag in (
        (args.path, "PATH"),
        (args.questions, "--questions"),
        (args.summary, "--summary"),
    ):
        if given is not None and Path(given).resolve() == out_path:
            raise InputError(
                f"--out {args.out}: is the input ({flag}); write the outcome matrix elsewhere"
            )
    matrix = import_outcomes(
        args.path,
        args.format,
        drop_incomplete=args.drop_incomplete,
        prices=args.prices,
        score_scale=args.score_scale,
        columns=args.columns,
        allow_pickle=args.allow_pickle,
        duplicates=args.duplicates,
        cost_axis=args.cost_axis,
        cost_rank=args.cost_rank,
        clip_scores=args.clip_scores,
        raw_scores=args.raw_scores,
        max_missing=args.max_missing,
        questions=args.questions,
        scorer=args.scorer,
        summary=args.summary,
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
    prov = matrix.provenance
    if prov:
        print(
            f"provenance: format {prov.get('format')} ({prov.get('importer')}) from {prov.get('path')}"
        )
        for src in prov.get("sources", []):
            print(f"  source: {src['path']} sha256 {src['sha256']}")
        flags = prov.get("flags") or {}
        print("  flags: " + (" ".join(f"{k} {v}" for k, v in flags.items()) or "(defaults)"))
    for note in matrix.notes:
        print(f"note: {note}")
    return 0
