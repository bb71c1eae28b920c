"""Benchmark: importing a long-format outcome file (``toolkit outcomes import --format long``).

The data is SYNTHETIC (made up for timing only): one row per (prompt, model), 4 models, a
score, tokens, a cost and a latency per row, written as parquet. In the same run it times:

- the toolkit: ``import_outcomes(path, "long")``, every check included (ids, duplicates,
  per-task fields that must agree, numbers finite and in range), in a fresh process whose
  peak memory (``ru_maxrss``) is read when it ends;
- the pandas reference: ``pd.read_parquet`` plus one ``pivot`` per value column (no checks);
  the ratio of the two says what the checks cost.

Prints one JSON object. Targets: at least 100,000 rows per second (the median of ``--repeat``
imports), and a peak resident memory of at most 2,048 MB (the largest), at ``--rows``
(default 3,000,000; ``--quick`` 40,000).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _bench import ROOT, emit, environment, figure

TARGET_ROWS_PER_S = 100_000.0
TARGET_PEAK_MB = 2048.0
MODELS = ("small", "mid", "large", "frontier")

_CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from toolkit.outcomes import import_outcomes
imported = time.perf_counter()
if sys.argv[2] == "toolkit":
    m = import_outcomes(sys.argv[1], "long")
    shape = [m.n_tasks, len(m.executors)]
elif sys.argv[2] == "pandas":
    import pandas as pd
    frame = pd.read_parquet(sys.argv[1])
    tables = [frame.pivot(index="prompt_id", columns="model", values=c)
              for c in ("score", "tokens_in", "tokens_out", "cost_usd", "latency_s")]
    shape = list(tables[0].shape)
else:
    shape = []
done = time.perf_counter()
print(json.dumps({"seconds": done - imported, "import_s": imported - t0, "shape": shape,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_synthetic(path: Path, rows: int, seed: int) -> None:
    """SYNTHETIC long-format outcomes: ``rows`` rows, 4 models per prompt."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = rows // len(MODELS)
    ids = np.repeat(np.arange(n), len(MODELS))
    frame = pd.DataFrame(
        {
            "prompt_id": pd.Series(ids).map("p{}".format),
            "prompt": pd.Series(ids).map("synthetic prompt number {}".format),
            "category": pd.Series(ids % 5).map("cat{}".format),
            "model": np.tile(np.array(MODELS, dtype=object), n),
            "score": (rng.random(n * len(MODELS)) < 0.7).astype(float),
            "tokens_in": rng.integers(20, 2000, n * len(MODELS)).astype(float),
            "tokens_out": rng.integers(1, 800, n * len(MODELS)).astype(float),
            "cost_usd": rng.random(n * len(MODELS)) * 1e-3,
            "latency_s": rng.random(n * len(MODELS)) * 5,
        }
    )
    frame.to_parquet(path, index=False)


def child(path: Path, what: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), what],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=1800,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=3_000_000)
    ap.add_argument("--quick", action="store_true", help="40,000 rows")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1, help="imports timed (the median is shown)")
    ap.add_argument("--write", metavar="PATH", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.write:
        write_synthetic(Path(args.write), args.rows, args.seed)
        return
    rows = 40_000 if args.quick else args.rows
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.parquet"
        # written by a child too: a child forked from a parent holding the frame would count
        # the parent's pages in its peak memory
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--write",
                str(path),
                "--rows",
                str(rows),
                "--seed",
                str(args.seed),
            ],
            check=True,
            timeout=1800,
        )
        written = time.perf_counter() - t0
        idle = child(path, "none")
        runs = [child(path, "toolkit") for _ in range(max(1, args.repeat))]
        reference = child(path, "pandas")
        size = path.stat().st_size
    rows = rows // len(MODELS) * len(MODELS)
    seconds = statistics.median(r["seconds"] for r in runs)
    peak = max(r["peak_mb"] for r in runs)
    rate = rows / seconds
    emit(
        {
            "benchmark": "import_speed",
            "data": f"synthetic long-format parquet: {rows} rows, {len(MODELS)} models",
            "figures": {
                "rows_per_s": figure(rate, TARGET_ROWS_PER_S, at_most=False),
                "peak_rss_mb": figure(peak, TARGET_PEAK_MB, at_most=True),
            },
            "details": {
                "rows": rows,
                "file_mb": size / 1e6,
                "write_s": written,
                "toolkit_s": seconds,
                "toolkit_runs_s": [r["seconds"] for r in runs],
                "toolkit_shape": runs[0]["shape"],
                "pandas_reference_s": reference["seconds"],
                "ratio_to_pandas_reference": seconds / reference["seconds"],
                "peak_mb_pandas_reference": reference["peak_mb"],
                "peak_mb_idle_process": idle["peak_mb"],
                "environment": environment(),
            },
        }
    )


if __name__ == "__main__":
    main()
