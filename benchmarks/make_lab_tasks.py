"""Regenerate the bundled lab task set in ``data/tasks/lab`` (seeded and reproducible).

    python benchmarks/make_lab_tasks.py            # write data/tasks/lab/*.jsonl
    python benchmarks/make_lab_tasks.py --check    # exit 1 if the committed files differ

The generator lives in ``toolkit.lab._tasks``; this script only writes (or checks) files
and then loads them back through ``toolkit.tasks.load_tasks`` to prove they are valid.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from toolkit.lab._tasks import LAB_SEED, generate_lab_tasks, lab_files
from toolkit.tasks import load_tasks

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=LAB_SEED, help=f"default {LAB_SEED}")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "tasks" / "lab")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)

    files = lab_files(generate_lab_tasks(args.seed))
    if args.check:
        stale = [
            name
            for name, text in files.items()
            if not (args.out / name).is_file()
            or (args.out / name).read_text(encoding="utf-8") != text
        ]
        extra = sorted(p.name for p in args.out.glob("*.jsonl") if p.name not in files)
        if stale or extra:
            print(f"out of date in {args.out}: {', '.join(stale + extra)}", file=sys.stderr)
            return 1
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        for old in args.out.glob("*.jsonl"):
            if old.name not in files:
                old.unlink()
        for name, text in files.items():
            (args.out / name).write_text(text, encoding="utf-8", newline="\n")

    tasks = load_tasks(args.out)
    summary = {
        "out": str(args.out),
        "seed": args.seed,
        "tasks": len(tasks),
        "bytes": sum(len(t.encode("utf-8")) for t in files.values()),
        "checked" if args.check else "written": sorted(files),
        "per_category": tasks.counts(),
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
