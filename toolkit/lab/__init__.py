"""The embedded lab: the demo (``toolkit demo``) and the recording of the lab run.

>>> from toolkit.lab import run_demo
>>> result = run_demo()            # the recorded run in data/runs/lab; writes reports/demo/
>>> result.row("single:gemma").quality

``record_run(spec, out, live=...)`` regenerates a recorded run (``benchmarks/record_lab.py``);
``prepare_lab(spec)`` fits the lab's two TF-IDF specialists on the train split.
"""

from __future__ import annotations

from toolkit.lab._demo import (
    BASELINE,
    DEFAULT_OUT,
    DEFAULT_RUN,
    DEFAULT_SPEC,
    DemoResult,
    DemoRow,
    demo_rows,
    format_table,
    money,
    repo_path,
    run_demo,
    table_cells,
)
from toolkit.lab._record import Recording, RecordingFailed, partial_dir, record_run
from toolkit.lab._specialists import (
    KIND_FILE,
    LABELS_FILE,
    fit_lab_specialists,
    prepare_lab,
    task_kind,
)

__all__ = [
    "BASELINE",
    "DEFAULT_OUT",
    "DEFAULT_RUN",
    "DEFAULT_SPEC",
    "KIND_FILE",
    "LABELS_FILE",
    "DemoResult",
    "DemoRow",
    "Recording",
    "RecordingFailed",
    "demo_rows",
    "fit_lab_specialists",
    "format_table",
    "money",
    "partial_dir",
    "prepare_lab",
    "record_run",
    "repo_path",
    "run_demo",
    "table_cells",
    "task_kind",
]
