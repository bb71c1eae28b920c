"""Benchmark: the toolkit runner's overhead on live calls, against bare litellm, stub answering at once.

The same 2,000 chat calls to a local stub server (``toolkit.testing.FaultServer`` in its own
process, answering instantly) are made two ways at the same concurrency (16):

- **bare litellm**: workers awaiting ``litellm.acompletion`` (the reference);
- **toolkit**: ``toolkit.runner.run_spec`` with strategy ``single``: the knob, a response
  cache lookup and store (a fresh cache, so every call is made), budget tracking, retries
  machinery, grading, and ``calls.jsonl`` / ``results.jsonl`` / manifest writes.

The two alternate (bare first in odd runs, toolkit first in even ones), ``--repeat`` times.
Figure: median toolkit throughput / median bare throughput; target at least 0.90.

The stub answers at once, so the client is CPU-bound and throughput is set by the Python
work per call: litellm's (several ms per call) plus the toolkit's. Two diagnostics say how
much is which, and do not depend on the wall clock of a shared machine:

- client CPU time per call of both ways (``time.process_time``);
- the toolkit's own CPU per call: the same toolkit run with ``litellm.acompletion`` replaced,
  in process, by an instant fake that returns the answer (SYNTHETIC responses), so only the
  toolkit's work is left. ``ratio_predicted_from_cpu`` is bare CPU / (bare CPU + toolkit's own).

A third way is timed as a diagnostic, after each pair: the toolkit with
``TOOLKIT_INLINE_PREP=0``, so litellm's request preparation takes its own thread hop as it
does for a bare caller (the runner's loop otherwise prepares OpenAI-compatible requests in the
loop's thread: see ``toolkit/models/_litellm.py``). ``thread_hop_share_of_bare`` is that
run's throughput over bare litellm's, the like-for-like cost of the toolkit's own work.

The tasks are SYNTHETIC echo tasks (see ``_live.py``).
"""

from __future__ import annotations

import os
import sys
import time
from types import SimpleNamespace
from typing import Any

from _bench import emit, environment, figure, median, parser, profiled, stub_server
from _live import Timing, check, run_bare, run_toolkit

TARGET = 0.90
CALLS = 2000
CONCURRENCY = 16


def toolkit_own_cpu(n: int, concurrency: int) -> float:
    """The toolkit's CPU per call (ms) with litellm's call replaced by an instant fake."""
    import litellm

    real = litellm.acompletion

    async def instant(**kwargs: Any) -> Any:  # a SYNTHETIC answer, as the stub would give
        text = "echo: " + str(kwargs["messages"][-1]["content"]).splitlines()[-1].strip()
        usage = SimpleNamespace(
            prompt_tokens=8,
            completion_tokens=8,
            prompt_tokens_details=None,
            completion_tokens_details=None,
        )
        return SimpleNamespace(
            choices=[SimpleNamespace(message=SimpleNamespace(content=text))], usage=usage
        )

    litellm.acompletion = instant
    try:
        c0 = time.process_time()
        timing, _ = run_toolkit("http://127.0.0.1:9/v1", n, concurrency)  # never connected
        check(timing, "toolkit with the instant fake")
        return (time.process_time() - c0) / n * 1000.0
    finally:
        litellm.acompletion = real


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    p = parser(__doc__.splitlines()[0] if __doc__ else "runner overhead")
    p.add_argument("--calls", type=int, default=CALLS, help=f"calls per run (default {CALLS})")
    p.add_argument("--concurrency", type=int, default=CONCURRENCY)
    p.add_argument("--profile", action="store_true", help="add a pyinstrument profile")
    args = p.parse_args(argv)
    if args.quick:
        args.calls, args.repeat = 40, 1
    n, c = args.calls, args.concurrency

    bare: list[Timing] = []
    tool: list[Timing] = []
    hop: list[Timing] = []
    cpu_bare: list[float] = []
    cpu_tool: list[float] = []
    with stub_server(0.0) as url:
        run_bare(url, 50, c)  # warm up: imports, clients, connections
        run_toolkit(url, 50, c)
        for r in range(max(1, args.repeat)):
            for way in ("bare", "toolkit") if r % 2 == 0 else ("toolkit", "bare"):
                c0 = time.process_time()
                if way == "bare":
                    t = run_bare(url, n, c)
                    check(t, "bare litellm")
                    bare.append(t)
                    cpu_bare.append((time.process_time() - c0) / n * 1000.0)
                else:
                    t, _info = run_toolkit(url, n, c)
                    check(t, "toolkit")
                    tool.append(t)
                    cpu_tool.append((time.process_time() - c0) / n * 1000.0)
            os.environ["TOOLKIT_INLINE_PREP"] = "0"  # the diagnostic: litellm's thread hop
            try:
                t, _info = run_toolkit(url, n, c)
            finally:
                del os.environ["TOOLKIT_INLINE_PREP"]
            check(t, "toolkit with litellm's thread hop")
            hop.append(t)
        profile = None
        if args.profile:
            profile = profiled(lambda: run_toolkit(url, n, c), interval=0.001, lines=120)
    own = median([toolkit_own_cpu(n, c) for _ in range(max(1, args.repeat))])

    thr_bare = median([t.throughput for t in bare])
    thr_tool = median([t.throughput for t in tool])
    ratio = thr_tool / thr_bare
    pairs = [t.throughput / b.throughput for t, b in zip(tool, bare, strict=True)]
    cb, ct = median(cpu_bare), median(cpu_tool)
    details: dict[str, Any] = {
        "calls_per_run": n,
        "concurrency": c,
        "runs_per_way": len(bare),
        "bare_calls_per_s": thr_bare,
        "toolkit_calls_per_s": thr_tool,
        "bare_runs_calls_per_s": [t.throughput for t in bare],
        "toolkit_runs_calls_per_s": [t.throughput for t in tool],
        "pairwise_ratios": pairs,
        "thread_hop_calls_per_s": median([t.throughput for t in hop]),
        "thread_hop_runs_calls_per_s": [t.throughput for t in hop],
        "thread_hop_share_of_bare": median([t.throughput for t in hop]) / thr_bare,
        "median_pairwise_ratio": median(pairs),
        "bare_cpu_ms_per_call": cb,
        "toolkit_cpu_ms_per_call": ct,
        "toolkit_own_cpu_ms_per_call": own,
        "ratio_predicted_from_cpu": cb / (cb + own),
        **environment(),
    }
    if profile is not None:
        details["profile"] = profile
    return emit(
        {
            "benchmark": "runner_overhead",
            "data": f"synthetic echo tasks, stub server answering at once, {n} calls at {c}",
            "figures": {
                "toolkit_share_of_bare_throughput": figure(ratio, TARGET, at_most=False),
            },
            "details": details,
        }
    )


if __name__ == "__main__":
    sys.exit(main())
