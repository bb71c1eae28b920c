"""Write the orchestrator benchmark's GENERATED task set and fit its two specialists.

    python benchmarks/make_orchestrator_tasks.py [--seed 0] [--out data/tasks/orchestrator]

Writes, under ``--out``:

- ``tasks.jsonl``: the benchmark's tasks (split ``test``): extract-then-compute,
  multi-part and classify-then-answer, with gold answers;
- ``specialist_train.jsonl``: training tasks (split ``train``) for the specialists;
- ``specialists/ticket.joblib`` and ``specialists/sentiment.joblib``: TF-IDF + logistic
  regression specialists fitted on that training split (``toolkit.models.fit_specialist``).

Every task is generated from templates by a seeded generator
(``toolkit.lab._orchestrator_tasks``); the same seed gives the same files. The run spec
is ``benchmarks/orchestrator.toml``. Prints a JSON summary of what it wrote.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from toolkit.lab._orchestrator_tasks import benchmark_tasks, specialist_training_tasks
from toolkit.models import fit_specialist

ROOT = Path(__file__).resolve().parents[1]


def write_jsonl(path: Path, records: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the test tasks (default 0)")
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "data" / "tasks" / "orchestrator",
        help="output folder (default: data/tasks/orchestrator)",
    )
    args = parser.parse_args()
    out: Path = args.out
    tasks = benchmark_tasks(seed=args.seed)
    train = specialist_training_tasks(seed=args.seed + 1)
    write_jsonl(out / "tasks.jsonl", [t.to_record() for t in tasks])
    write_jsonl(out / "specialist_train.jsonl", [t.to_record() for t in train])
    ticket = fit_specialist(
        train, ["ticket"], out / "specialists" / "ticket.joblib", seed=args.seed
    )
    sentiment = fit_specialist(
        train, ["sentiment"], out / "specialists" / "sentiment.joblib", seed=args.seed
    )
    print(
        json.dumps(
            {
                "tasks": str(out / "tasks.jsonl"),
                "n_tasks": len(tasks),
                "by_category": dict(Counter(t.category for t in tasks)),
                "train": str(out / "specialist_train.jsonl"),
                "n_train": len(train),
                "specialists": [str(ticket), str(sentiment)],
                "seed": args.seed,
                "generated": True,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
