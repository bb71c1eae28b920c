"""Benchmark: live-call throughput at concurrency 1, 8, 32 and 64, stub answering after 100 ms.

At each level the same calls go to the stub server (``toolkit.testing.FaultServer`` in its
own process, answering every request after ``--latency`` = 0.1 s) through bare
``litellm.acompletion`` and through the toolkit runner (``run_spec``: strategy, cache,
budget, grading, run files); see ``_live.py``. The two alternate, ``--repeat`` times per
level, and the medians are reported.

Reported per level: calls per second of both, each as a share of the ideal
(concurrency / latency: every slot always waiting on the server), and toolkit / bare.
Target: the toolkit keeps at least 0.90 of bare litellm's throughput at every level; the
figure is the lowest level's ratio.

Calls per level: ``--calls`` (2,000), but no more than ``--max-seconds`` (10 s) of the ideal
throughput, so that the suite stays short: concurrency 1 makes 100 calls and concurrency 8
makes 800 by default; 32 and 64 make the full 2,000. The JSON says how many each level made.

The ceiling: at high concurrency the client is CPU-bound (litellm's own Python work per call
is several ms here), so throughput flattens at about 1 / (CPU per call) whatever the
concurrency. ``details.ceiling`` gives the measured CPU per call of both, the throughput it
allows, and, with ``--profile``, a pyinstrument profile of the toolkit at the top level
showing where that CPU goes.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from _bench import emit, environment, figure, median, parser, profiled, stub_server
from _live import Timing, check, run_bare, run_toolkit

TARGET = 0.90
LEVELS = (1, 8, 32, 64)
LATENCY_S = 0.1
CALLS = 2000
MAX_SECONDS = 10.0


def calls_at(concurrency: int, calls: int, latency: float, max_seconds: float) -> int:
    """Calls made at one level: ``calls``, capped at ``max_seconds`` of the ideal rate."""
    ideal = concurrency / latency
    return max(concurrency, min(calls, math.ceil(max_seconds * ideal)))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    p = parser(__doc__.splitlines()[0] if __doc__ else "concurrency scaling")
    p.add_argument("--calls", type=int, default=CALLS, help=f"calls per level (default {CALLS})")
    p.add_argument(
        "--max-seconds",
        type=float,
        default=MAX_SECONDS,
        help=f"cap on a level's calls, in seconds of ideal throughput (default {MAX_SECONDS:g})",
    )
    p.add_argument("--latency", type=float, default=LATENCY_S, help="stub latency in seconds")
    p.add_argument("--levels", type=int, nargs="+", default=list(LEVELS), help="concurrency levels")
    p.add_argument("--profile", action="store_true", help="profile the toolkit at the top level")
    args = p.parse_args(argv)
    if args.quick:
        args.calls, args.repeat, args.max_seconds, args.latency = 24, 1, 0.3, 0.02
        args.levels = [1, 4]

    levels: dict[str, Any] = {}
    worst = math.inf
    profile = None
    with stub_server(args.latency) as url:
        run_bare(url, 20, 4)  # warm up: imports, clients
        run_toolkit(url, 20, 4)
        for c in args.levels:
            n = calls_at(c, args.calls, args.latency, args.max_seconds)
            bare: list[Timing] = []
            tool: list[Timing] = []
            cpu: dict[str, list[float]] = {"bare": [], "toolkit": []}
            for r in range(max(1, args.repeat)):
                for way in ("bare", "toolkit") if r % 2 == 0 else ("toolkit", "bare"):
                    c0 = time.process_time()
                    if way == "bare":
                        t = run_bare(url, n, c)
                        bare.append(t)
                    else:
                        t, _info = run_toolkit(url, n, c)
                        tool.append(t)
                    check(t, way)
                    cpu[way].append((time.process_time() - c0) / n * 1000.0)
            ideal = c / args.latency
            tb = median([t.throughput for t in bare])
            tt = median([t.throughput for t in tool])
            ratio = tt / tb
            worst = min(worst, ratio)
            levels[str(c)] = {
                "calls": n,
                "ideal_calls_per_s": ideal,
                "bare_calls_per_s": tb,
                "toolkit_calls_per_s": tt,
                "bare_share_of_ideal": tb / ideal,
                "toolkit_share_of_ideal": tt / ideal,
                "toolkit_share_of_bare": ratio,
                "bare_runs_calls_per_s": [t.throughput for t in bare],
                "toolkit_runs_calls_per_s": [t.throughput for t in tool],
                "bare_cpu_ms_per_call": median(cpu["bare"]),
                "toolkit_cpu_ms_per_call": median(cpu["toolkit"]),
            }
        if args.profile:
            top = max(args.levels)
            profile = profiled(
                lambda: run_toolkit(
                    url, calls_at(top, args.calls, args.latency, args.max_seconds), top
                ),
                interval=0.001,
                lines=150,
            )

    top = levels[str(max(args.levels))]
    ceiling = {
        "level": max(args.levels),
        "bare_cpu_ms_per_call": top["bare_cpu_ms_per_call"],
        "toolkit_cpu_ms_per_call": top["toolkit_cpu_ms_per_call"],
        "bare_cpu_bound_calls_per_s": 1000.0 / top["bare_cpu_ms_per_call"],
        "toolkit_cpu_bound_calls_per_s": 1000.0 / top["toolkit_cpu_ms_per_call"],
        "what_sets_it": (
            "client CPU: one event loop does every call's Python work (litellm builds, sends "
            "and parses each request; the toolkit adds its own), so above about "
            "latency / (CPU per call) concurrent calls, throughput stays near "
            "1 / (CPU per call) whatever the concurrency"
        ),
    }
    if profile is not None:
        ceiling["profile"] = profile
    return emit(
        {
            "benchmark": "concurrency_scaling",
            "data": (
                f"synthetic echo tasks, stub server answering after {args.latency:g} s, "
                f"levels {', '.join(str(c) for c in args.levels)}"
            ),
            "figures": {
                "toolkit_share_of_bare_worst_level": figure(worst, TARGET, at_most=False),
            },
            "details": {"levels": levels, "ceiling": ceiling, **environment()},
        }
    )


if __name__ == "__main__":
    sys.exit(main())
