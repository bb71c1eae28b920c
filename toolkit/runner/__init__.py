"""The live runner: run a benchmark spec's strategies over its tasks and write a run directory.

``load_spec(path)`` reads and validates a spec TOML; ``run_spec(spec, ...)`` runs it (the
``toolkit run`` command), with resume, replay, a budget cap and dry runs.
"""

from __future__ import annotations

from toolkit.runner._estimate import PlanLine
from toolkit.runner._run import RunSummary, arun_spec, run_spec, spec_digest
from toolkit.runner._spec import (
    CacheSection,
    GradingSection,
    LocalSection,
    PricesSection,
    RunSection,
    Spec,
    TasksSection,
    load_spec,
)

__all__ = [
    "CacheSection",
    "GradingSection",
    "LocalSection",
    "PlanLine",
    "PricesSection",
    "RunSection",
    "RunSummary",
    "Spec",
    "TasksSection",
    "arun_spec",
    "load_spec",
    "run_spec",
    "spec_digest",
]
