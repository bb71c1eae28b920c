"""Outcome matrices: what every executor did on every task, built from runs or imported.

>>> from toolkit.outcomes import OutcomeMatrix, import_outcomes
>>> m = import_outcomes("arena.csv", "long", score_scale=(1, 10), drop_incomplete=True)
>>> m.to_parquet("arena.parquet")
"""

from __future__ import annotations

from toolkit.outcomes._importers import (
    FORMATS,
    import_outcomes,
    parse_columns,
    parse_score_scale,
    stable_task_id,
)
from toolkit.outcomes._matrix import OutcomeMatrix, load_outcomes
from toolkit.outcomes._prices import Price, litellm_price, read_price_table, resolve_prices

__all__ = [
    "FORMATS",
    "OutcomeMatrix",
    "Price",
    "import_outcomes",
    "litellm_price",
    "load_outcomes",
    "parse_columns",
    "parse_score_scale",
    "read_price_table",
    "resolve_prices",
    "stable_task_id",
]
