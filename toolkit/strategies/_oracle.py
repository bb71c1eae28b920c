"""``oracle`` in a live spec: refused with a pointer to the offline evaluation.

The oracle answers each task with the cheapest executor among those scoring best on it. That
needs every executor's outcome on every task, which exists only after the fact, so it is
computed offline (``toolkit evaluate``) from a run that recorded every executor alone.
"""

from __future__ import annotations

from typing import Any, Literal, NoReturn

from pydantic import model_validator

from toolkit._errors import InputError
from toolkit.strategies._base import StrategyConfig, register_strategy

#: Why a live spec cannot run ``oracle``, and what to do instead.
OFFLINE_ONLY = (
    "oracle is offline-only: it needs every executor's outcome on every task. Run kind = "
    '"single" for each executor, then `toolkit evaluate RUN_DIR --test-fraction F --seed S` '
    "(or --train/--test), which reports the oracle next to the other strategies"
)


class OracleConfig(StrategyConfig):
    """``kind = "oracle"``: always invalid in a live spec (the message says what to do)."""

    kind: Literal["oracle"] = "oracle"

    @model_validator(mode="before")
    @classmethod
    def _refuse(cls, data: Any) -> Any:
        raise ValueError(OFFLINE_ONLY)


def _build(config: OracleConfig) -> NoReturn:
    raise InputError(OFFLINE_ONLY)


register_strategy("oracle", OracleConfig, _build, summary="offline only: use `toolkit evaluate`")
