"""``python -m toolkit.testing.fault_server``: run the fault-injecting server from a shell.

Example::

    python -m toolkit.testing.fault_server --port 8000 --fault-rate 0.2 --seed 1
    python -m toolkit.testing.fault_server --fault 'rate_limit:/urgent/' --fault http_503

It prints the ``api_base`` URL on the first line, serves until interrupted, then prints its
counters as one JSON object. ``GET /stats`` returns the same counters while it runs.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from typing import cast

from toolkit.testing._fault_server import (
    FAULT_KINDS,
    TRANSIENT_FAULTS,
    Fault,
    FaultKind,
    FaultServer,
)


def _kind(text: str) -> FaultKind:
    if text not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(
            f"unknown fault kind {text!r} (known: {', '.join(FAULT_KINDS)})"
        )
    return cast(FaultKind, text)


def _fault(text: str) -> tuple[FaultKind, str | None]:
    kind, _, pattern = text.partition(":")
    return _kind(kind), (pattern or None)


def _answer(text: str) -> tuple[str, str]:
    pattern, sep, answer = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected REGEX=ANSWER, got {text!r}")
    return pattern, answer


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser."""
    p = argparse.ArgumentParser(
        prog="python -m toolkit.testing.fault_server",
        description="An OpenAI-compatible server on 127.0.0.1 that answers deterministically "
        "and fails on purpose. Fault kinds: " + ", ".join(FAULT_KINDS) + ".",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument("--fault-rate", type=float, default=0.0, help="share of requests to fail")
    p.add_argument("--seed", type=int, default=0, help="seed of the fault draws")
    p.add_argument(
        "--kinds",
        type=_kind,
        nargs="+",
        default=list(TRANSIENT_FAULTS),
        help="fault kinds drawn by --fault-rate (default: %(default)s)",
    )
    p.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="KIND[:REGEX]",
        help="always inject KIND into requests whose prompt matches REGEX (repeatable)",
    )
    p.add_argument(
        "--answer",
        type=_answer,
        action="append",
        default=[],
        metavar="REGEX=TEXT",
        help="answer TEXT to prompts matching REGEX (repeatable; default: echo the last line)",
    )
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    p.add_argument("--retry-after", type=float, default=1.0, help="Retry-After of 429s (s)")
    p.add_argument("--hang", type=float, default=30.0, help="how long a timeout fault hangs (s)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT/SIGTERM; print the URL first and the counters last."""
    args = build_parser().parse_args(argv)
    if not 0.0 <= args.fault_rate <= 1.0:
        print("--fault-rate: must be between 0 and 1", file=sys.stderr)
        return 2
    try:
        server = _build(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with server:
        print(server.url, flush=True)
        while not done.wait(0.5):
            pass
    print(json.dumps(server.stats()), flush=True)
    return 0


def _build(args: argparse.Namespace) -> FaultServer:
    return FaultServer(
        faults=[
            Fault(kind, pattern=pattern, retry_after_s=args.retry_after, hang_s=args.hang)
            for kind, pattern in args.fault
        ],
        fault_rate=args.fault_rate,
        fault_kinds=args.kinds,
        seed=args.seed,
        answers=dict(args.answer),
        latency_s=args.latency,
        retry_after_s=args.retry_after,
        hang_s=args.hang,
        host=args.host,
        port=args.port,
    )


if __name__ == "__main__":
    sys.exit(main())
