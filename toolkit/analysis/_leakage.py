"""Train/test leakage: tasks that appear on both sides, by id or by identical prompt text.

A router fitted on a task and then scored on the same task (or on the same prompt under
another id) looks better than it is. :func:`check_overlap` refuses such a pair unless the
user allows it (``--allow-overlap``) or drops the shared tasks from test
(``--dedupe-across-splits``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit._errors import InputError
from toolkit.outcomes import OutcomeMatrix

#: How many shared ids and prompts an overlap message names.
SHOWN = 3


@dataclass(frozen=True, eq=False)
class Overlap:
    """The task ids and the (non-empty) prompt texts found on both sides, in test order."""

    ids: tuple[str, ...]
    prompts: tuple[str, ...]
    test_rows: np.ndarray[Any, np.dtype[np.bool_]]  # test tasks sharing an id or a prompt

    def __bool__(self) -> bool:
        return bool(self.ids or self.prompts)

    def to_json(self) -> dict[str, int]:
        """``{"ids": N, "prompts": M}``: how many distinct ids and prompts both sides share."""
        return {"ids": len(self.ids), "prompts": len(self.prompts)}

    def describe(self) -> str:
        """The counts and the first few of each."""

        def first(values: tuple[str, ...]) -> str:
            shown = ", ".join(repr(v if len(v) <= 60 else v[:57] + "...") for v in values[:SHOWN])
            return f" (first: {shown})" if values else ""

        return (
            f"{len(self.ids)} shared task id(s){first(self.ids)} and {len(self.prompts)} "
            f"identical prompt(s){first(self.prompts)}; {int(self.test_rows.sum())} test task(s) "
            "affected"
        )


def find_overlap(train: OutcomeMatrix, test: OutcomeMatrix) -> Overlap:
    """The ids and non-empty prompt texts that ``train`` and ``test`` share."""
    train_ids = {str(t) for t in train.task_ids}
    train_text = {str(t) for t in train.text if str(t).strip()}
    ids: dict[str, None] = {}
    prompts: dict[str, None] = {}
    rows = np.zeros(test.n_tasks, dtype=bool)
    for i, (tid, text) in enumerate(zip(test.task_ids, test.text, strict=True)):
        if str(tid) in train_ids:
            ids[str(tid)] = None
            rows[i] = True
        if str(text).strip() and str(text) in train_text:
            prompts[str(text)] = None
            rows[i] = True
    return Overlap(tuple(ids), tuple(prompts), rows)


def check_overlap(
    train: OutcomeMatrix,
    test: OutcomeMatrix,
    *,
    allow: bool = False,
    dedupe: bool = False,
) -> tuple[OutcomeMatrix, Overlap, list[str]]:
    """(test, the overlap, notes): an InputError (exit 2) when the sides overlap, unless
    ``allow`` (kept, and reported) or ``dedupe`` (the shared tasks are dropped from test)."""
    if allow and dedupe:
        raise InputError("give --allow-overlap or --dedupe-across-splits, not both")
    found = find_overlap(train, test)
    if not found:
        return test, found, []
    if dedupe:
        kept = test.subset(~found.test_rows)
        if kept.n_tasks == 0:
            raise InputError(
                f"--dedupe-across-splits: every test task overlaps train ({found.describe()}); "
                "nothing is left to test on"
            )
        note = (
            f"--dedupe-across-splits: dropped {int(found.test_rows.sum())} test task(s) that "
            f"overlap train: {found.describe()}"
        )
        return kept, found, [note]
    if allow:
        return test, found, [f"--allow-overlap: train and test overlap: {found.describe()}"]
    raise InputError(
        f"train and test overlap: {found.describe()}. A router scored on tasks it was fitted "
        "on looks better than it is: pass --dedupe-across-splits to drop them from test, or "
        "--allow-overlap to evaluate anyway"
    )


def group_split_mask(
    text: np.ndarray[Any, np.dtype[Any]], n_test: int, order: np.ndarray[Any, Any]
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """A random split's test mask that keeps each group of identical (non-empty) prompts on
    one side. ``order`` is the split's permutation: groups are taken in the order of their
    first task's (in row order) place in it, whole, until the test side holds ``n_test`` tasks
    or more, so a group's chance of landing in test does not grow with its size. Without
    repeated prompts this is the plain ``order[:n_test]``."""
    n = len(text)
    place = np.empty(n, dtype=np.intp)
    place[np.asarray(order)] = np.arange(n)
    members: dict[str, list[int]] = {}
    groups: list[list[int]] = []
    for i in range(n):
        t = str(text[i])
        if not t.strip():
            groups.append([i])
        elif t in members:
            members[t].append(i)
        else:
            members[t] = [i]
            groups.append(members[t])
    out = np.zeros(n, dtype=bool)
    taken = 0
    for g in sorted(groups, key=lambda g: int(place[g[0]])):
        if taken >= n_test:
            break
        out[g] = True
        taken += len(g)
    return out
