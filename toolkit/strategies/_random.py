"""``random``: the zero router. It sends each task to one executor drawn with fixed shares,
never looking at the prompt, so any router must beat it to have learned something.

The shares are given (``shares = {gemma = 0.6, haiku = 0.4}``, weights normalised to sum 1)
or taken from a reference strategy of an earlier run (``shares_from = {run = "runs/lab",
strategy = "rules"}``): the share of that strategy's tasks answered by each executor (the last
executor of each result's ``route``). The draw for a task is a hash of ``seed`` and the task
id, so a rerun, a resume or another machine routes every task the same way.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from toolkit._errors import InputError, ToolkitError
from toolkit._types import Trace
from toolkit.strategies._base import (
    PlannedCall,
    StrategyConfig,
    StrategyContext,
    register_strategy,
)
from toolkit.strategies._decide import draw_from_shares, share_order, unit_draws
from toolkit.strategies._routed_common import (
    info_value,
    resolve_existing,
    routed_call,
)
from toolkit.tasks import Task


class SharesFrom(BaseModel):
    """Where to copy the mix of calls from: a run directory and one of its strategies."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    run: str = Field(min_length=1)
    strategy: str = Field(min_length=1)


class RandomConfig(StrategyConfig):
    """``[[strategies]] kind = "random"``: ``shares`` or ``shares_from``, and a ``seed``."""

    kind: Literal["random"] = "random"
    shares: dict[str, float] | None = None
    shares_from: SharesFrom | None = None
    seed: int = 0

    @model_validator(mode="after")
    def _one_source(self) -> RandomConfig:
        if (self.shares is None) == (self.shares_from is None):
            raise ValueError(
                "give exactly one of shares = {executor = share, ...} or "
                'shares_from = {run = "<run dir>", strategy = "<name>"}'
            )
        if self.shares is not None:
            if not self.shares:
                raise ValueError("shares names no executor")
            bad = {k: v for k, v in self.shares.items() if not (math.isfinite(v) and v >= 0)}
            if bad:
                raise ValueError(
                    "shares must be finite and >= 0: "
                    + ", ".join(f"{k} = {v}" for k, v in bad.items())
                )
            if sum(self.shares.values()) <= 0:
                raise ValueError("shares sum to 0; give at least one executor a positive share")
        return self

    def executor_refs(self) -> list[tuple[str, str]]:
        return [(f"shares.{name}", name) for name in self.shares or {}]

    def default_name(self) -> str:
        return "random"


def normalized_shares(weights: dict[str, float]) -> dict[str, float]:
    """Weights scaled to sum to 1, by executor name (sorted, so key order does not matter)."""
    total = sum(weights.values())
    return {name: weights[name] / total for name in sorted(weights) if weights[name] > 0}


class RandomRouter:
    """Send each task to an executor drawn with fixed shares (see :class:`RandomConfig`)."""

    def __init__(self, config: RandomConfig) -> None:
        self.config = config
        self.name = config.strategy_name
        self.shares_: dict[str, float] | None = (
            normalized_shares(config.shares) if config.shares is not None else None
        )
        self.source_: str | None = None

    def prepare(self, ctx: StrategyContext) -> None:
        """Read the reference strategy's mix (``shares_from``) once; check its executors."""
        if self.shares_ is not None:
            return
        ref = self.config.shares_from
        assert ref is not None
        from toolkit.runs import RESULTS, read_results

        root = resolve_existing(ref.run, ctx, f"strategy {self.name!r}: shares_from.run")
        rows = [r for r in read_results(root) if r.strategy == ref.strategy]
        counts = Counter(r.route[-1] for r in rows if r.route)
        if not counts:
            found = sorted({r.strategy for r in read_results(root)})
            raise InputError(
                f"{root / RESULTS}: strategy {ref.strategy!r} has no result with a route "
                f"(strategies here: {', '.join(found) or 'none'}); name one of them in "
                f"shares_from.strategy of {self.name!r}"
            )
        unknown = sorted(e for e in counts if ctx.executors and e not in ctx.executors)
        if unknown:
            raise InputError(
                f"strategy {self.name!r}: {ref.strategy!r} in {root} routed to "
                f"{', '.join(unknown)}, which this spec does not define "
                f"(executors: {', '.join(sorted(ctx.executors))})"
            )
        self.shares_ = normalized_shares({e: float(n) for e, n in counts.items()})
        self.source_ = f"{root}:{ref.strategy} ({sum(counts.values())} tasks)"

    def _shares(self) -> dict[str, float]:
        if self.shares_ is None:
            raise ToolkitError(
                f"strategy {self.name!r} copies its shares from a run; call prepare(ctx) first "
                "(the runner does this before planning or running)"
            )
        return self.shares_

    def choose(self, task: Task) -> tuple[str, dict[str, Any]]:
        """The executor for ``task``: where the task's hash falls on the cumulative shares."""
        shares = self._shares()
        names = share_order(shares)
        draws = unit_draws(self.config.seed, [task.id])
        chosen = names[int(draw_from_shares(draws, [shares[n] for n in names])[0])]
        info: dict[str, Any] = {"draw": float(draws[0]), "shares": shares, "executor": chosen}
        if self.source_ is not None:
            info["shares_from"] = self.source_
        return chosen, info_value(info)

    def plan(self, task: Task, ctx: StrategyContext) -> Sequence[PlannedCall]:
        executor, _ = self.choose(task)
        return [PlannedCall(executor, ctx.request(task, executor))]

    async def run(self, task: Task, ctx: StrategyContext) -> Trace:
        self.prepare(ctx)
        executor, info = self.choose(task)
        return await routed_call(task, ctx, executor, info)

    def __repr__(self) -> str:
        return f"RandomRouter(name={self.name!r}, seed={self.config.seed})"


register_strategy(
    "random",
    RandomConfig,
    RandomRouter,
    summary="the zero router: a fixed mix of executors, drawn per task id, blind to the prompt",
)
