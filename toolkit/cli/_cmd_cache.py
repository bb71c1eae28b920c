"""``toolkit cache stats`` and ``toolkit cache clear``: inspect or empty the response cache."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "cache",
        help="show or clear the response cache",
        description=(
            "The response cache lives in $TOOLKIT_CACHE_DIR/cache.sqlite, or "
            "~/.cache/toolkit/cache.sqlite when TOOLKIT_CACHE_DIR is not set."
        ),
    )
    sub = p.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    stats = sub.add_parser("stats", help="print the cache's entries, size and location as JSON")
    stats.add_argument("--cache", default=None, help="cache file (default: the usual location)")
    stats.set_defaults(handler=run_stats)
    clear = sub.add_parser("clear", help="delete every cached call")
    clear.add_argument("--cache", default=None, help="cache file (default: the usual location)")
    clear.set_defaults(handler=run_clear)


def run_stats(args: argparse.Namespace) -> int:
    from toolkit.models import ResponseCache

    cache = ResponseCache(args.cache)
    try:
        print(json.dumps(cache.stats(), indent=2))
    finally:
        cache.close()
    return 0


def run_clear(args: argparse.Namespace) -> int:
    from toolkit.models import ResponseCache

    cache = ResponseCache(args.cache)
    try:
        n = cache.clear()
    finally:
        cache.close()
    print(json.dumps({"path": str(cache.path), "deleted": n}))
    return 0
