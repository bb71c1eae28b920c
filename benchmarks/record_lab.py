"""Regenerate the recorded runs the demo and the notebooks read: ONE command.

    python benchmarks/record_lab.py             # replay what the caches hold, run the rest
    python benchmarks/record_lab.py --live      # every call for real (the caches are emptied)
    python benchmarks/record_lab.py --only lab  # just data/runs/lab

It runs, from the repository root:

- ``benchmarks/lab.toml`` into ``data/runs/lab`` (first fitting the lab's two TF-IDF
  specialists into ``build/lab/``), with the local llama.cpp server and Gemma 3 270M;
- ``benchmarks/orchestrator.toml`` into ``data/runs/orchestrator``, when that spec exists.

Every run goes through its spec's response cache, so a call recorded before is replayed
(billed 0, recorded at its real cost and latency) and only the others reach the model.
``--live`` empties the lab's cache first (a spec without its own cache gets a fresh temporary
one), so every call is made again. A run is written into a hidden ``.partial`` folder and
replaces the recorded one only when it is complete; a killed recording resumes from there.

Prints one JSON object: per run, its status, wall time, tasks, calls made and replayed, and
cost; plus the machine's CPU count and load, since latencies depend on them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNS = {
    "lab": (Path("benchmarks/lab.toml"), Path("data/runs/lab")),
    "orchestrator": (Path("benchmarks/orchestrator.toml"), Path("data/runs/orchestrator")),
}


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _facts(out: Path) -> dict[str, Any]:
    from toolkit.runs import read_calls, read_manifest, read_results

    calls = read_calls(out)
    results = read_results(out)
    manifest = read_manifest(out)
    return {
        "status": manifest.status,
        "tasks": len({r.task_id for r in results}),
        "strategies": len({r.strategy for r in results}),
        "results": len(results),
        "calls": len(calls),
        "calls_made": sum(1 for c in calls if not c.cached),
        "calls_replayed": sum(1 for c in calls if c.cached),
        "cost_usd": round(sum(c.cost_usd for c in calls), 6),
        "billed_usd": round(sum(c.billed_usd for c in calls), 6),
        "model_service_s": round(sum(c.service_s for c in calls if not c.cached), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--live", action="store_true", help="empty the caches first: every call for real"
    )
    parser.add_argument(
        "--only", choices=sorted(RUNS), action="append", help="record only this run (repeatable)"
    )
    parser.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar"
    )
    args = parser.parse_args(argv)
    os.chdir(ROOT)  # the manifests record the spec path relative to the repository root

    from toolkit._errors import InputError, ToolkitError
    from toolkit.lab import partial_dir, record_run

    chosen = args.only or [n for n, (spec, _) in RUNS.items() if n == "lab" or spec.is_file()]
    report: dict[str, Any] = {"cpus": os.cpu_count(), "load_before": _load(), "runs": {}}
    code = 0
    for name in chosen:
        spec, out = RUNS[name]
        started = time.monotonic()
        print(
            f"recording {spec} -> {out} ({'live' if args.live else 'through the cache'})",
            file=sys.stderr,
            flush=True,
        )
        try:
            rec = record_run(spec, out, live=args.live, progress=args.progress)
        except InputError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            report["runs"][name] = {"status": "bad input", "error": str(exc)}
            code = max(code, 2)
            continue
        except ToolkitError as exc:
            print(f"error: {exc}", file=sys.stderr)
            report["runs"][name] = {"status": "failed", "error": str(exc)}
            code = max(code, 1)
            continue
        line = rec.summary.line().replace(str(partial_dir(out)), str(out))
        print(line, file=sys.stderr, flush=True)
        report["runs"][name] = {
            "spec": str(spec),
            "out": str(out),
            "wall_s": round(time.monotonic() - started, 1),
            **_facts(out),
        }
    report["load_after"] = _load()
    print(json.dumps(report, indent=2))
    return code


if __name__ == "__main__":
    sys.exit(main())
