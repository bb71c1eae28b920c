"""One definition of the baseline, of the default weak executor and of the parity target.

Every command (``evaluate``, ``tune``, ``report``) and the notebook helpers use these:

- the **baseline** is chosen on train: the executor a user names (``--baseline``), else the one
  with the best train quality among those that answer (do not decline) at least
  :data:`MIN_ANSWERED` of the train tasks; ties go to the cheaper, then to the first.
  ``--baseline-by validation`` makes that choice on a seeded held-out part of train, and the
  parity target is then measured on the rest, so picking the best of many executors does not
  inflate the target it sets (the winner's curse);
- the **default weak executor** of a pair is the best train executor costing at most
  :data:`WEAK_COST_SHARE` of the baseline's train cost, else the cheapest;
- a setting **reaches** quality target Q when its (out-of-fold) train quality is at least Q
  times the baseline's train quality, and it **holds on test** when its test quality is at
  least Q times the baseline's test quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from toolkit._errors import InputError
from toolkit.outcomes import OutcomeMatrix

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: The share of train tasks an executor must answer (not decline) to be the default baseline.
MIN_ANSWERED = 0.95
#: The default weak executor costs at most this share of the baseline's train cost.
WEAK_COST_SHARE = 0.2
#: The share of train tasks ``--baseline-by validation`` holds out to choose the baseline on.
VALIDATION_SHARE = 0.3
BASELINE_BY = ("train", "validation")
#: The quality targets (as shares of the baseline's quality) that ``parity`` reports.
PARITY_TARGETS = (1.0, 0.95, 0.9)


@dataclass(frozen=True, eq=False)
class Baseline:
    """The chosen baseline: its column, how it was chosen and the train rows of the target.

    ``chosen_by`` is ``"given"`` (``--baseline``), ``"train"`` or ``"validation"``;
    ``target_rows`` marks the train tasks on which the parity target and the settings' train
    quality are measured (all of train, or the part not used to choose the baseline).
    """

    index: int
    chosen_by: str
    target_rows: BoolArray
    notes: tuple[str, ...] = ()


def answered_share(matrix: OutcomeMatrix) -> FloatArray | None:
    """Per executor, the share of tasks it answered; None when the matrix records no declines
    (imported sets have none: every executor then counts as answering every task)."""
    declined = getattr(matrix, "declined", None)
    if declined is None:
        return None
    arr = np.asarray(declined, dtype=bool)
    if arr.shape != (matrix.n_tasks, matrix.n_executors) or matrix.n_tasks == 0:
        return None
    result: FloatArray = 1.0 - arr.mean(axis=0)
    return result


def argbest(quality: FloatArray, cost: FloatArray, among: list[int] | None = None) -> int:
    """Best quality among ``among`` (default: all); ties go to the cheaper, then the first."""
    cols = range(len(quality)) if among is None else among
    return int(min(cols, key=lambda j: (-quality[j], cost[j], j)))


def choose_baseline(
    train: OutcomeMatrix,
    cost: FloatArray,
    *,
    baseline: str | None = None,
    by: str = "train",
    seed: int = 0,
) -> Baseline:
    """The baseline of ``train`` (``cost``: each executor's mean train cost on the cost axis)."""
    if by not in BASELINE_BY:
        raise InputError(f"--baseline-by must be one of {', '.join(BASELINE_BY)}, got {by!r}")
    n = train.n_tasks
    everything = np.ones(n, dtype=bool)
    if baseline is not None:
        return Baseline(train.index(baseline.removeprefix("single:")), "given", everything)
    notes: list[str] = []
    answered = answered_share(train)
    among = list(range(train.n_executors))
    if answered is not None:
        ok = [j for j in among if answered[j] >= MIN_ANSWERED]
        left = [train.executors[j] for j in among if j not in ok]
        if ok and left:
            notes.append(
                f"baseline: left out {', '.join(left)}, which answer fewer than "
                f"{MIN_ANSWERED:.0%} of the train tasks (the rest they decline)"
            )
            among = ok
        elif not ok:
            notes.append(
                f"baseline: no executor answers {MIN_ANSWERED:.0%} of the train tasks, so "
                "every executor was considered"
            )
    if by == "validation":
        n_val = round(VALIDATION_SHARE * n)
        if n_val < 1 or n - n_val < 1:
            notes.append(
                f"--baseline-by validation: {n} train task(s) are too few to hold some out; "
                "the baseline was chosen on all of train"
            )
        else:
            held = np.zeros(n, dtype=bool)
            held[np.random.default_rng([seed, 14]).permutation(n)[:n_val]] = True
            q_val = train.score[held].mean(axis=0)
            idx = argbest(q_val, cost, among)
            notes.append(
                f"baseline chosen on a held-out {held.mean():.0%} of train ({n_val} tasks, "
                f"seed {seed}); the parity target is measured on the other {n - n_val}"
            )
            return Baseline(idx, "validation", ~held, tuple(notes))
    idx = argbest(train.score.mean(axis=0), cost, among)
    return Baseline(idx, "train", everything, tuple(notes))


def default_weak(quality: FloatArray, cost: FloatArray, strong: int) -> int:
    """The best executor (ties: cheaper, then first) costing at most :data:`WEAK_COST_SHARE`
    of ``strong``'s cost; when none does, the cheapest (ties: better, then first)."""
    rest = [j for j in range(len(quality)) if j != strong]
    if not rest:
        return strong
    cheap = [j for j in rest if cost[j] <= WEAK_COST_SHARE * cost[strong]]
    if cheap:
        return argbest(quality, cost, cheap)
    return int(min(rest, key=lambda j: (cost[j], -quality[j], j)))


def reaches(quality: float, baseline_quality: float, target: float) -> bool:
    """True when ``quality`` is at least ``target`` times the baseline's quality."""
    return bool(quality >= target * baseline_quality)
