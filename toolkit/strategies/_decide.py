"""The routing rules, written once: the live strategies call them with one task, the offline
policies (``toolkit.analysis``) with every task of an outcome matrix at once.

"Record once, evaluate offline" holds only if both make the same choice to the last tie, so
every rule here is a vectorised function over tasks:

- :func:`unit_draws`: the random router's draw for each task, a hash of the seed and task id;
- :func:`draw_from_shares`: where a draw falls on the cumulative shares (executors by name);
- :func:`route_by_advantage`: two executors, strong when p_strong - p_weak >= threshold;
- :func:`route_by_utility`: argmax of predicted score - lambda x cost; ties go to the cheaper
  executor, then to the first by name;
- :func:`stage_answers` / :func:`cascade_stop`: the first stage whose predicted score is >=
  threshold answers, the ones before it are skipped without a call (the last stage always
  answers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.intp]


def stable_unit(seed: int, key: str) -> float:
    """A number in [0, 1) fixed by ``seed`` and ``key`` (e.g. a task id); no global state."""
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def unit_draws(seed: int, task_ids: Iterable[object]) -> FloatArray:
    """Each task's draw in [0, 1): :func:`stable_unit` of the seed and its id."""
    import numpy as np

    return np.fromiter((stable_unit(seed, str(t)) for t in task_ids), dtype=np.float64)


def share_order(shares: dict[str, float]) -> list[str]:
    """The order draws walk the shares in: executors by name (so key order never matters)."""
    return sorted(shares)


def draw_from_shares(draws: FloatArray, shares: Sequence[float]) -> IntArray:
    """Per draw, the index of the share it falls in on the cumulative shares (summing to 1);
    a draw past the last boundary (rounding) takes the last share."""
    import numpy as np

    bounds = np.cumsum(np.asarray(shares, dtype=np.float64))
    picked: IntArray = np.minimum(
        np.searchsorted(bounds, draws, side="right"), len(bounds) - 1
    ).astype(np.intp)
    return picked


def route_by_advantage(advantage: FloatArray, threshold: float, strong: int, weak: int) -> IntArray:
    """``strong`` where the predicted advantage p_strong - p_weak >= threshold, else ``weak``."""
    import numpy as np

    picked: IntArray = np.where(advantage >= threshold, strong, weak).astype(np.intp)
    return picked


def route_by_utility(
    predicted: FloatArray, cost: FloatArray, lam: float, names: Sequence[str]
) -> IntArray:
    """Per task (row), the column maximising predicted score - ``lam`` x cost.

    ``cost`` is one value per column (the mean train cost per task). Ties go to the cheaper
    column, then to the first by ``names``, so the choice never depends on column order.
    """
    return next(routes_by_utility(predicted, cost, [lam], names))


def routes_by_utility(
    predicted: FloatArray, cost: FloatArray, lams: Iterable[float], names: Sequence[str]
) -> Iterator[IntArray]:
    """:func:`route_by_utility` for each of ``lams``, the columns put in tie order once.

    With the columns sorted cheapest first (then by name), the first maximum of a row is the
    tie-break's pick, so one ``argmax`` decides each row.
    """
    import numpy as np

    order = np.asarray(
        sorted(range(len(names)), key=lambda j: (float(cost[j]), names[j])), dtype=np.intp
    )
    columns = np.ascontiguousarray(np.asarray(predicted, dtype=np.float64)[:, order].T)
    ordered_cost = np.asarray(cost, dtype=np.float64)[order]
    n = columns.shape[1]
    best, utility = np.empty(n), np.empty(n)
    better = np.empty(n, dtype=bool)
    for lam in lams:
        # a column-by-column argmax: a later column wins only when strictly better, so the
        # first maximum (the cheapest) stays, as np.argmax would keep it, in fewer passes
        picked: IntArray = np.zeros(n, dtype=np.intp)
        np.subtract(columns[0], lam * ordered_cost[0], out=best)
        for j in range(1, len(order)):
            np.subtract(columns[j], lam * ordered_cost[j], out=utility)
            np.greater(utility, best, out=better)
            np.copyto(picked, j, where=better)
            np.maximum(best, utility, out=best)
        yield order[picked]


def stage_answers(predicted: float, threshold: float) -> bool:
    """A cascade stage is called (and its answer taken) when its predicted score reaches the
    threshold; otherwise it is skipped without a call."""
    return bool(predicted >= threshold)


def cascade_stop(early: FloatArray, threshold: float) -> IntArray:
    """The stage each task stops at: the first of ``early`` (the predicted scores of every
    stage but the last, in order) that reaches ``threshold`` (:func:`stage_answers`), else the
    last stage."""
    import numpy as np

    accepted = early >= threshold
    last = early.shape[1]
    stop: IntArray = np.where(accepted.any(axis=1), accepted.argmax(axis=1), last).astype(np.intp)
    return stop
