"""Helpers shared by the routing strategies (rules, classify-then-route, cascade, score router,
random): what they read from the :class:`StrategyContext`, threshold fields, latency of calls,
answer normalisation and a stable per-task random number.

What a routing strategy knows of the run is ``ctx.run`` (a
:class:`~toolkit.strategies.RunInfo`): the tasks (before any split filter, so learned signals
find their train tasks' text), the executor configs and prices (to rank executors), the
capability registry, and the spec's folder (relative ``fit_run``/``shares_from`` paths are
looked up there first, then in the current directory).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from toolkit._errors import InputError
from toolkit._types import Call, Trace
from toolkit.strategies._base import StrategyContext
from toolkit.strategies._single import answer_trace
from toolkit.tasks import Task

#: The ``Request.settings`` key that tells samples of one prompt apart (agreement signal).
#: It is part of the cache key, so k samples are k calls, and must not be sent to a provider.
SAMPLE_SETTING = "sample"


def check_unit_interval(value: float | None, field: str) -> float | None:
    """``value`` when it lies in [0, 1]; a ValueError naming ``field`` otherwise."""
    if value is not None and not 0.0 <= value <= 1.0:
        raise ValueError(f"{field} must be between 0 and 1 (a share or probability)")
    return value


def resolve_existing(raw: str, ctx: StrategyContext, what: str) -> Path:
    """The path ``raw`` names: absolute as given; relative: the spec's folder, then the cwd.

    Raises ``InputError`` naming every place looked in when none exists.
    """
    p = Path(raw).expanduser()
    if p.is_absolute():
        candidates = [p]
    else:
        base = ctx.run.base_dir
        candidates = [base / p] if base is not None else []
        candidates.append(Path.cwd() / p)
    for c in candidates:
        if c.exists():
            return c
    tried = ", ".join(str(c) for c in candidates)
    raise InputError(f"{what}: {raw!r} not found (looked in: {tried})")


def sequential_latency(calls: Iterable[Call]) -> float:
    """Latency of calls made one after another: their service times add up.

    Like ``single``, time spent waiting for a concurrency slot (``queue_s``) is the benchmark's
    queue, not the strategy's latency; it stays in each call record.
    """
    return sum(c.service_s for c in calls)


async def routed_call(task: Task, ctx: StrategyContext, executor: str, info: Any) -> Trace:
    """Send ``task`` to the chosen ``executor`` and wrap its one call in a trace with ``info``."""
    call = await ctx.executor(executor).complete(ctx.request(task, executor))
    return answer_trace(call, (call,), sequential_latency([call]), info)


def unwrap(executor: Any, attr: str) -> Any:
    """``executor.<attr>``, looking through wrappers that keep the wrapped one in ``inner``."""
    seen = 0
    while executor is not None and seen < 8:
        value = getattr(executor, attr, None)
        if value is not None:
            return value
        executor = getattr(executor, "inner", None)
        seen += 1
    return None


def parallel_latency(calls: Sequence[Call]) -> float:
    """Latency of calls made at the same time: the slowest one."""
    return max((c.service_s for c in calls), default=0.0)


_SPACE = re.compile(r"\s+")
_EDGE_PUNCT = ".,;:!?\"'`()[]{}*"


def normalize_answer(text: str) -> str:
    """An answer reduced for comparison: case, surrounding punctuation and spacing ignored."""
    return _SPACE.sub(" ", text.strip().lower()).strip(_EDGE_PUNCT + " ")


def shorten(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters for trace info (marked when cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def info_value(value: Any) -> Any:
    """A JSON-friendly copy of ``value`` for ``Trace.info`` (plain Python types, no numpy)."""
    if isinstance(value, Mapping):
        return {str(k): info_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [info_value(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return value.item()
    return value
