"""``toolkit project``: what a monthly volume costs on a routing mix, against one model."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from toolkit.cli._args import finite_float


def register(sub: Any) -> None:
    """Add ``toolkit project``."""
    p = sub.add_parser(
        "project",
        help="price a monthly routing mix from assumed token counts, against one baseline model",
        description=(
            "Recompute the sum behind a routing plan: REQUESTS a month of TOKENS_IN + "
            "TOKENS_OUT tokens each, shared across models by --shares, plus an optional "
            "classifier call on every request, against every request on --baseline. Prices "
            "are litellm's cost map, or a prices TOML in USD per million tokens (--prices). "
            "A measured run replaces these assumptions: see `toolkit report --monthly-requests`."
        ),
    )
    p.add_argument("--requests", type=int, required=True, metavar="N", help="requests a month")
    p.add_argument(
        "--tokens-in",
        type=finite_float,
        required=True,
        metavar="T",
        help="input tokens per request",
    )
    p.add_argument(
        "--tokens-out",
        type=finite_float,
        required=True,
        metavar="T",
        help="output tokens per request",
    )
    p.add_argument(
        "--shares",
        required=True,
        metavar="MODEL=SHARE,...",
        help="the share of requests each model answers; the shares sum to 1",
    )
    p.add_argument(
        "--baseline", required=True, metavar="MODEL", help="the model every request goes to"
    )
    p.add_argument(
        "--classifier", metavar="MODEL", help="a model called once on every request to route it"
    )
    p.add_argument(
        "--classifier-tokens",
        default="0,0",
        metavar="IN,OUT",
        help="tokens in and out of each classifier call (default 0,0)",
    )
    p.add_argument("--prices", metavar="FILE", help="prices TOML (USD per million tokens)")
    p.add_argument("--json", action="store_true", help="print the sum as one JSON object")
    p.set_defaults(handler=_run, parser=p)


def _run(args: argparse.Namespace) -> int:
    from toolkit.models import PriceTable
    from toolkit.report import mix_cost, mix_cost_table, parse_shares

    parts = args.classifier_tokens.split(",")
    try:
        c_in, c_out = (float(x) for x in parts)
    except ValueError:
        args.parser.error(f"--classifier-tokens: expected IN,OUT, got {args.classifier_tokens!r}")
    if args.classifier is None and (c_in or c_out):
        args.parser.error("--classifier-tokens needs --classifier MODEL")
    cost = mix_cost(
        requests=args.requests,
        tokens_in=args.tokens_in,
        tokens_out=args.tokens_out,
        shares=parse_shares(args.shares),
        baseline=args.baseline,
        classifier=args.classifier,
        classifier_tokens=(c_in, c_out),
        prices=PriceTable.load(args.prices),
    )
    if args.json:
        json.dump(cost.to_json(), sys.stdout, indent=2)
        print()
    else:
        print(mix_cost_table(cost))
    return 0
