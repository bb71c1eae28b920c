"""Repeated ids and prompts in published outcome files (``--duplicates``).

Resolved before missing cells are counted (``--drop-incomplete``). A *unit* is one row of a
wide file (one task) or one row of a long file (one task x executor).

- ``auto`` (the default), for sources with ids: units identical in every field merge into
  one; a repeated id with different prompt text is another task (the later id gets
  ``#<line>``); a repeated id and prompt with different outcomes keeps its first unit and is
  named in a warning. For sources without ids (RouteLLM) units never merge: every row is a
  task, and a repeated prompt's id gets ``#<line>``.
- ``first`` keeps the first unit per id; ``keep`` makes every repeated unit its own task
  (``#<line>``); ``error`` refuses, naming each repeat and its first line.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from toolkit.outcomes._tables import Table

SHOWN = 3  # repeats named in a note


@dataclass
class Resolved:
    """The task id of every unit, which units stay, the notes and (mode error) the problems."""

    ids: npt.NDArray[np.object_]
    keep: npt.NDArray[np.bool_]
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def resolve_duplicates(
    table: Table,
    ids: npt.NDArray[np.object_],
    texts: npt.NDArray[np.object_],
    signature: Callable[[int], Hashable],
    *,
    mode: str,
    has_ids: bool,
    executors: npt.NDArray[np.object_] | None = None,
    what: str = "prompt_id",
    limit: int = 200,
) -> Resolved:
    """Apply ``--duplicates mode`` to units with these ids, prompt texts and executors.

    ``signature(i)`` is unit ``i``'s every field (compared only for repeats).
    """
    n = len(ids)
    out = ids.copy()
    keep = np.ones(n, dtype=bool)
    res = Resolved(out, keep)
    if not _repeats(ids, texts, executors, by_text=mode == "auto" and has_ids):
        return res  # the usual case, found in C: no id repeats, so there is nothing to do
    prompts_of: dict[object, dict[object, object]] = {}
    first: dict[tuple[object, object], int] = {}
    renamed: list[str] = []
    merged, dropped = 0, 0
    conflicts: list[str] = []
    for i in range(n):
        ex = executors[i] if executors is not None else ""
        if mode == "auto" and has_ids:
            seen = prompts_of.setdefault(ids[i], {})
            task = seen.get(texts[i])
            if task is None:
                task = ids[i] if not seen else f"{ids[i]}#{table.label(i)}"
                if seen:
                    renamed.append(str(task))
                seen[texts[i]] = task
            out[i] = task
        key = (out[i], ex)
        j = first.setdefault(key, i)
        if j == i:
            continue
        if mode == "error":
            if len(res.problems) < limit:
                whose = f" and model {ex!r}" if executors is not None else ""
                res.problems.append(
                    table.where(
                        i,
                        what,
                        f"duplicate {ids[i]!r}{whose}; first at {table.at(j)}; "
                        "pass --duplicates auto, first or keep to import it",
                    )
                )
        elif mode == "first":
            keep[i] = False
            dropped += 1
        elif mode == "keep" or not has_ids:
            out[i] = f"{out[i]}#{table.label(i)}"
            first[(out[i], ex)] = i
            renamed.append(str(out[i]))
        else:
            keep[i] = False
            if signature(i) == signature(j):
                merged += 1
            else:
                whose = f" ({ex})" if executors is not None else ""
                conflicts.append(f"{ids[i]!r}{whose} at {table.at(i)}, first at {table.at(j)}")
    res.notes = _notes(mode, has_ids, renamed, merged, dropped, conflicts, what)
    return res


def _repeats(
    ids: npt.NDArray[np.object_],
    texts: npt.NDArray[np.object_],
    executors: npt.NDArray[np.object_] | None,
    *,
    by_text: bool,
) -> bool:
    """True when an (id, executor) pair repeats or, ``by_text``, an id has two prompt texts:
    only then does :func:`resolve_duplicates` need its row-by-row pass."""
    import pandas as pd

    frame = pd.DataFrame({"id": ids, "executor": executors if executors is not None else ""})
    if bool(frame.duplicated().any()):
        return True
    if by_text:
        pairs = pd.DataFrame({"id": ids, "text": texts}).drop_duplicates()
        return not bool(pairs["id"].is_unique)
    return False


def _count(n: int, what: str) -> str:
    """``1 repeated prompt``, ``2 repeated prompts``: ``what`` is the plural."""
    if n == 1:
        first, _, rest = what.partition(" ")
        head, sep, tail = rest.partition(" ")
        head = head[:-1] if head.endswith("s") else head
        return f"1 {first} {head}{sep}{tail}"
    return f"{n} {what}"


def _notes(
    mode: str,
    has_ids: bool,
    renamed: list[str],
    merged: int,
    dropped: int,
    conflicts: list[str],
    what: str,
) -> list[str]:
    notes: list[str] = []
    flag = f"--duplicates {mode}"
    if merged:
        notes.append(f"merged {merged} rows identical in every field to an earlier row ({flag})")
    renamed = list(dict.fromkeys(renamed))  # a task once, not once per executor
    if renamed:
        shown = ", ".join(renamed[:SHOWN]) + (", ..." if len(renamed) > SHOWN else "")
        if mode == "auto" and has_ids:
            why = f"repeated {what}s with different prompt text"
        elif mode == "auto":
            why = "repeated prompts (this source has no ids, so rows never merge)"
        else:
            why = f"repeated {what}s"
        how = "id#<line>, or id#<position> in a JSON array"
        notes.append(f"{_count(len(renamed), why)} became their own tasks, {how} ({flag}): {shown}")
    if dropped:
        notes.append(f"dropped {dropped} repeated rows, keeping the first per id ({flag})")
    if conflicts:
        shown = "; ".join(conflicts[:SHOWN]) + ("; ..." if len(conflicts) > SHOWN else "")
        notes.append(
            f"warning: {len(conflicts)} repeated id and prompt with different outcomes: kept the "
            f"first row ({flag}): {shown}"
        )
    return notes
