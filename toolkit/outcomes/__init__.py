"""Outcome matrices: what every executor did on every task, built from runs or imported.

>>> from toolkit.outcomes import OutcomeMatrix, import_outcomes
>>> m = import_outcomes("arena.csv", "long", score_scale=(1, 10), drop_incomplete=True)
>>> m.to_parquet("arena.parquet")
"""

from __future__ import annotations

from toolkit.outcomes._importers import (
    LONG_FIELDS,
    format_fields,
    formats,
    import_outcomes,
    parse_columns,
    stable_task_id,
)
from toolkit.outcomes._matrix import OutcomeMatrix, load_outcomes
from toolkit.outcomes._options import ImportOptions, parse_cost_rank, parse_score_scale

__all__ = [
    "LONG_FIELDS",
    "ImportOptions",
    "OutcomeMatrix",
    "format_fields",
    "formats",
    "import_outcomes",
    "load_outcomes",
    "parse_columns",
    "parse_cost_rank",
    "parse_score_scale",
    "stable_task_id",
]
