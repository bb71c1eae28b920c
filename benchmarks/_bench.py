"""Shared helpers of the benchmark scripts: timing, figures, JSON output and the stub server.

Every benchmark prints one JSON object::

    {"benchmark": NAME, "data": "...", "figures": {FIGURE: {"value": v, "target": t, "met": b}},
     "details": {...}}

or ``{"benchmark": NAME, "skipped": "why"}`` when it cannot run here. ``value`` and ``target``
are numbers; ``met`` says whether the value is on the right side of the target (the README
says which side, per figure). Scripts are run as ``python benchmarks/NAME.py`` (this folder is
then first on ``sys.path``), one process per benchmark.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
# litellm downloads its cost map at import time unless told not to (see OFFLINE.md)
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def figure(value: float, target: float, *, at_most: bool) -> dict[str, Any]:
    """One figure: met when ``value <= target`` (``at_most``) or ``value >= target``."""
    met = value <= target if at_most else value >= target
    return {"value": value, "target": target, "met": bool(met)}


def timed(fn: Callable[[], T], repeat: int) -> tuple[float, list[float], T]:
    """Median wall time of ``repeat`` calls of ``fn``, every time, and the last result."""
    times: list[float] = []
    results: list[T] = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        results[:] = [fn()]
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, results[0]


def median(values: list[float]) -> float:
    """The median of a non-empty list."""
    return float(statistics.median(values))


def parser(description: str, *, repeat: int = 3) -> argparse.ArgumentParser:
    """An argument parser with the flags every benchmark takes: ``--repeat`` and ``--quick``."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--repeat",
        type=int,
        default=repeat,
        help=f"measurements per figure; the median is reported (default {repeat})",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes, to check that the script runs (the figures mean nothing then)",
    )
    return p


def environment() -> dict[str, Any]:
    """Where the figures were measured."""
    import numpy as np

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def emit(result: dict[str, Any]) -> int:
    """Print the benchmark's JSON on stdout; exit status 0."""
    print(json.dumps(result, indent=2, allow_nan=False))
    return 0


def skipped(name: str, reason: str) -> int:
    """Print a skipped benchmark's JSON."""
    return emit({"benchmark": name, "skipped": reason})


@contextlib.contextmanager
def stub_server(latency_s: float = 0.0) -> Iterator[str]:
    """The toolkit's OpenAI-compatible test server (``_stub.py``) in its own process; yields
    its api_base.

    It runs apart from the client so that its work does not hold the client's GIL. It binds
    127.0.0.1 on a free port and is always stopped.
    """
    cmd = [sys.executable, str(Path(__file__).with_name("_stub.py")), "--latency", str(latency_s)]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            err = proc.stderr.read() if proc.stderr is not None else ""
            raise RuntimeError(f"stub server did not start: {url!r} {err[-2000:]}")
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def profiled(fn: Callable[[], object], *, interval: float, lines: int) -> list[str]:
    """Call ``fn`` under pyinstrument (sampling every ``interval`` s); the first ``lines``
    lines of its text report."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=interval)
    profiler.start()
    try:
        fn()
    finally:
        profiler.stop()
    text: str = profiler.output_text(color=False, unicode=False)
    return text.splitlines()[:lines]
