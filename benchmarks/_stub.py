"""The benchmarks' stub server: ``toolkit.testing.FaultServer`` with no faults, in its own process.

``python benchmarks/_stub.py --latency 0.1`` prints its ``api_base`` on the first line and
serves until SIGTERM or SIGINT. Every answer comes after ``--latency`` seconds. (The server
listens with a backlog of 1024 and without Nagle's algorithm, so that the benchmarks time the
code under test rather than TCP's timers: see ``toolkit/testing/_fault_server.py``.)
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from toolkit.testing import FaultServer


def main(argv: list[str] | None = None) -> int:
    """Serve until told to stop."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    args = p.parse_args(argv)
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
