"""The benchmarks' stub server: ``toolkit.testing.FaultServer`` with no faults, in its own process.

``python benchmarks/_stub.py --latency 0.1`` prints its ``api_base`` on the first line and
serves until SIGTERM or SIGINT. Every answer comes after ``--latency`` seconds.

Two settings of the standard library's HTTP server are changed, so that the benchmarks time
the code under test rather than TCP's timers:

- the listen backlog, from 5 to 1024: with 5, a client that opens 16 or 64 connections at
  once has most of its SYNs dropped and retried after 1-3 s;
- Nagle's algorithm is turned off (``TCP_NODELAY``): the handler writes the headers and the
  body separately, and with Nagle on the body waits for the client's delayed ACK, 40 ms.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from toolkit.testing import FaultServer, _fault_server

BACKLOG = 1024


def main(argv: list[str] | None = None) -> int:
    """Serve until told to stop."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    args = p.parse_args(argv)
    _fault_server._Server.request_queue_size = BACKLOG
    _fault_server._Handler.disable_nagle_algorithm = True
    done = threading.Event()

    def stop(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with FaultServer(latency_s=args.latency) as server:
        print(server.url, flush=True)
        done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
