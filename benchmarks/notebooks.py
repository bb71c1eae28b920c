"""Benchmark: executing every notebook in ``notebooks/`` on the recorded lab data, end to end.

Each ``notebooks/*.ipynb`` is executed top to bottom with nbclient in a fresh Python kernel,
from the notebooks folder, as ``make lab`` users and the test suite (nbval) run them; a cell
that raises fails the benchmark. The figure is the wall time of all notebooks together,
kernel start-ups included: the median of ``--repeat`` passes, but passes stop early once
``--budget-s`` seconds are spent (the JSON says how many ran). Target: under 60 s.

Prints ``{"skipped": "no notebooks yet"}`` when the folder holds none, and
``{"error": "<notebook>: a cell raised ..."}`` (exit status 1) when a cell fails, for
instance because the lab data has not been recorded yet.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from _bench import ROOT, emit, environment, figure, median, parser, skipped

TARGET_S = 60.0
NOTEBOOKS = ROOT / "notebooks"


def execute(path: Path, timeout_s: float) -> float:
    """Execute one notebook in a fresh kernel (outputs are not saved); returns seconds."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        nb,
        timeout=int(timeout_s),
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    p = parser(__doc__.splitlines()[0] if __doc__ else "notebooks")
    p.add_argument("--budget-s", type=float, default=150.0, help="stop repeating after this")
    p.add_argument("--timeout-s", type=float, default=300.0, help="per-cell timeout")
    p.add_argument("--folder", type=Path, default=NOTEBOOKS, help="the notebooks folder")
    args = p.parse_args(argv)
    books = sorted(args.folder.glob("*.ipynb"))
    if args.quick:  # the smallest notebook once: checks that kernels start and cells run
        books = sorted(books, key=lambda b: b.stat().st_size)[:1]
        args.repeat = 1
    if not books:
        return skipped("notebooks", "no notebooks yet")

    from nbclient.exceptions import CellExecutionError

    passes: list[dict[str, float]] = []
    started = time.perf_counter()
    for _ in range(max(1, args.repeat)):
        done: dict[str, float] = {}
        for book in books:
            try:
                done[book.name] = execute(book, args.timeout_s)
            except CellExecutionError as exc:
                why = f"{book.name}: a cell raised {exc.ename}: {exc.evalue}"
                print(json.dumps({"benchmark": "notebooks", "error": why}, indent=2))
                return 1
        passes.append(done)
        if time.perf_counter() - started > args.budget_s:
            break
    totals = [sum(x.values()) for x in passes]
    per_book: dict[str, Any] = {b.name: median([x[b.name] for x in passes]) for b in books}
    return emit(
        {
            "benchmark": "notebooks",
            "data": f"{len(books)} notebooks in {args.folder.name}/ on the recorded lab data",
            "figures": {"all_notebooks_s": figure(median(totals), TARGET_S, at_most=True)},
            "details": {
                "passes": len(passes),
                "pass_totals_s": totals,
                "per_notebook_s": per_book,
                **environment(),
            },
        }
    )


if __name__ == "__main__":
    sys.exit(main())
