"""Benchmark: start-up time of ``import toolkit`` and ``toolkit --help``, and the memory that
loading a 1,000,000-row outcome matrix takes.

- ``import toolkit``: the import alone, timed inside a fresh interpreter (interpreter start-up
  excluded); target under 0.3 s.
- ``toolkit --help``: the console script's wall time as a user sees it, interpreter start-up
  included; target under 0.6 s. The bare interpreter's start-up (``python -c pass``) is given
  beside it as the reference.
- Loading an outcome matrix of 1,000,000 tasks (rows) x 2 executors, SYNTHETIC (made up for
  the measure; 2,000,000 rows in the parquet file's long layout), with
  ``toolkit.outcomes.load_outcomes``, in a fresh process: the peak resident memory
  (``ru_maxrss``) minus the resident memory just before the load, with numpy, pyarrow and the
  toolkit already imported. Target under 300 MB.

Each figure is the median of ``--repeat`` fresh processes (at least 7 for the two start-up
times, as they are short).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _bench import ROOT, emit, environment, figure, median, parser

TARGET_IMPORT_S = 0.3
TARGET_HELP_S = 0.6
TARGET_EXTRA_MB = 300.0
ROWS = 1_000_000

_IMPORT = """
import time
t0 = time.perf_counter()
import toolkit
print(time.perf_counter() - t0)
"""

_WRITE = """
import sys
import numpy as np
from toolkit.outcomes import OutcomeMatrix
n, m, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(0)
ids = np.array([f"synthetic-{i:07d}" for i in range(n)], dtype=object)
cats = np.array(["cat-a", "cat-b", "cat-c", "cat-d"], dtype=object)[rng.integers(0, 4, n)]
OutcomeMatrix.build(
    task_ids=ids,
    executors=[f"synthetic-executor-{j}" for j in range(m)],
    score=(rng.random((n, m)) < 0.7).astype(float),
    category=cats,
    split=np.where(rng.random(n) < 0.3, "test", "train"),
    cost_usd=rng.random((n, m)) * 1e-3,
    latency_s=rng.random((n, m)),
    tokens_in=rng.integers(10, 1000, (n, m)),
    tokens_out=rng.integers(1, 500, (n, m)),
    notes=["SYNTHETIC outcomes made up for the start-up and memory benchmark"],
).to_parquet(path)
"""

_LOAD = """
import json, resource, sys, time
import numpy, pyarrow, pyarrow.parquet
import toolkit.outcomes
from toolkit.outcomes import load_outcomes

def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()

before = rss()
t0 = time.perf_counter()
m = load_outcomes(sys.argv[1])
took = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"before": before, "peak": peak, "after": rss(), "load_s": took,
                  "tasks": m.n_tasks, "executors": m.n_executors}))
"""


def run(cmd: list[str]) -> tuple[float, str]:
    """Wall time and stdout of a command that must succeed."""
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    took = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed ({out.returncode}): {out.stderr[-2000:]}")
    return took, out.stdout


def console_script() -> list[str]:
    """The ``toolkit`` console script next to this interpreter (else ``python -m toolkit``)."""
    script = Path(sys.executable).with_name("toolkit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "toolkit"]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    p = parser(__doc__.splitlines()[0] if __doc__ else "start-up and memory", repeat=3)
    p.add_argument("--rows", type=int, default=ROWS, help=f"tasks in the matrix (default {ROWS})")
    p.add_argument("--executors", type=int, default=2)
    args = p.parse_args(argv)
    if args.quick:
        args.rows, args.repeat = 2000, 1
    starts = max(7, args.repeat) if not args.quick else 2
    py = sys.executable
    env_note = "LITELLM_LOCAL_MODEL_COST_MAP" in os.environ

    run([py, "-c", "import toolkit"])  # warm the OS file cache and the .pyc files
    run([*console_script(), "--help"])
    imports = [float(run([py, "-c", _IMPORT])[1].strip()) for _ in range(starts)]
    helps = [run([*console_script(), "--help"])[0] for _ in range(starts)]
    bare = [run([py, "-c", "pass"])[0] for _ in range(starts)]

    loads: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="toolkit-bench-") as scratch:
        path = Path(scratch) / "outcomes.parquet"
        write_s, _ = run([py, "-c", _WRITE, str(args.rows), str(args.executors), str(path)])
        size = path.stat().st_size
        for _ in range(max(1, args.repeat)):
            loads.append(json.loads(run([py, "-c", _LOAD, str(path)])[1]))
    extra_mb = [(x["peak"] - x["before"]) / 1e6 for x in loads]

    t_import, t_help, extra = median(imports), median(helps), median(extra_mb)
    return emit(
        {
            "benchmark": "startup_memory",
            "data": (
                f"synthetic outcome matrix: {args.rows} tasks x {args.executors} executors "
                f"({args.rows * args.executors} rows in the parquet file)"
            ),
            "figures": {
                "import_toolkit_s": figure(t_import, TARGET_IMPORT_S, at_most=True),
                "toolkit_help_s": figure(t_help, TARGET_HELP_S, at_most=True),
                "load_matrix_extra_peak_rss_mb": figure(extra, TARGET_EXTRA_MB, at_most=True),
            },
            "details": {
                "import_runs_s": imports,
                "help_runs_s": helps,
                "python_startup_s": median(bare),
                "help_minus_python_startup_s": t_help - median(bare),
                "matrix_file_mb": size / 1e6,
                "matrix_write_s": write_s,
                "load_s": median([x["load_s"] for x in loads]),
                "load_runs": loads,
                "extra_peak_rss_runs_mb": extra_mb,
                "resident_after_load_minus_before_mb": median(
                    [(x["after"] - x["before"]) / 1e6 for x in loads]
                ),
                "litellm_local_cost_map_env_set": env_note,
                **environment(),
            },
        }
    )


if __name__ == "__main__":
    sys.exit(main())
