"""``toolkit plugins``: every registered grader, executor, signal, strategy and importer."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any) -> None:
    """Add ``toolkit plugins``."""
    parser = sub.add_parser(
        "plugins",
        help="list every registered grader, executor, signal, strategy and importer",
        description=(
            "List the registry: built-ins and plugins, by kind. Plugins load from "
            "TOOLKIT_PLUGINS (comma-separated module names), a spec's plugins = [...] and "
            "entry points in the group toolkit.plugins (docs/extending.md)."
        ),
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: each kind -> [{name, summary, source, available}]",
    )
    parser.set_defaults(handler=_plugins)


def _plugins(args: argparse.Namespace) -> int:
    from toolkit.registry import KINDS, listing

    rows = listing()
    if args.json:
        print(json.dumps(rows, indent=2))
        unavailable = [f"{k} {r['name']}" for k in KINDS for r in rows[k] if not r["available"]]
        if unavailable:
            print(f"note: not available here: {', '.join(unavailable)}", file=sys.stderr)
        return 0
    titles = {"strategy": "strategies"}
    for kind in KINDS:
        print(f"{titles.get(kind, kind + 's')}:")
        width = max((len(r["name"]) for r in rows[kind]), default=0)
        for r in rows[kind]:
            state = "" if r["available"] else f"  [needs: {r['needs']}]"
            source = "" if r["source"] == "builtin" else f"  ({r['source']})"
            print(f"  {r['name']:<{width}}  {r['summary']}{source}{state}")
    return 0
