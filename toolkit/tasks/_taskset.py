"""TaskSet: an immutable, id-indexed sequence of tasks with filtering and a DataFrame view."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from toolkit._errors import InputError, located
from toolkit.tasks._record import SPLITS
from toolkit.tasks._task import Task

if TYPE_CHECKING:
    import pandas as pd

#: The columns of :meth:`TaskSet.to_frame`, in order.
FRAME_COLUMNS = (
    "id",
    "category",
    "split",
    "input",
    "target",
    "grader",
    "grader_args",
    "metadata",
    "source",
    "line",
)


class TaskSet(Sequence[Task]):
    """An immutable sequence of tasks with unique ids, in file order.

    Indexing with an int gives a Task, with a slice a TaskSet. Every selection
    (``filter``, ``split``, ``by_category``) returns a new TaskSet in the same order.
    """

    __slots__ = ("_index", "_tasks")

    def __init__(self, tasks: Iterable[Task] = ()) -> None:
        items = tuple(tasks)
        index: dict[str, int] = {}
        duplicates = []
        for position, task in enumerate(items):
            if not isinstance(task, Task):
                raise TypeError(f"a TaskSet holds Task objects, got {type(task).__name__}")
            first = index.get(task.id)
            if first is not None:
                earlier = items[first]
                duplicates.append(
                    located(
                        task.source or "<tasks>",
                        task.line or None,
                        "id",
                        f"duplicate id {task.id!r} (first at {_where(earlier)})",
                    )
                )
                continue
            index[task.id] = position
        if duplicates:
            raise InputError(f"{len(duplicates)} duplicate task ids", duplicates)
        self._tasks = items
        self._index = index

    # -- Sequence ---------------------------------------------------------------------
    @overload
    def __getitem__(self, item: int) -> Task: ...
    @overload
    def __getitem__(self, item: slice) -> TaskSet: ...
    def __getitem__(self, item: int | slice) -> Task | TaskSet:
        if isinstance(item, slice):
            return TaskSet(self._tasks[item])
        return self._tasks[item]

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(self._tasks)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return item in self._index
        return (
            isinstance(item, Task)
            and self._index.get(item.id) is not None
            and (self._tasks[self._index[item.id]] == item)
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TaskSet):
            return NotImplemented
        return self._tasks == other._tasks

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: TaskSet) -> TaskSet:
        if not isinstance(other, TaskSet):
            return NotImplemented
        return TaskSet(self._tasks + other._tasks)

    def __reduce__(self) -> tuple[type[TaskSet], tuple[tuple[Task, ...]]]:
        return (TaskSet, (self._tasks,))

    def __repr__(self) -> str:
        per_category = Counter(t.category for t in self._tasks)
        counts = ", ".join(f"{c}={n}" for c, n in sorted(per_category.items()))
        return f"TaskSet({len(self)} tasks{': ' if counts else ''}{counts})"

    # -- lookups ----------------------------------------------------------------------
    @property
    def ids(self) -> tuple[str, ...]:
        """The task ids, in order."""
        return tuple(t.id for t in self._tasks)

    @property
    def categories(self) -> tuple[str, ...]:
        """The distinct categories, sorted."""
        return tuple(sorted({t.category for t in self._tasks}))

    def get(self, task_id: str) -> Task:
        """The task with this id (``KeyError`` naming the id when there is none)."""
        position = self._index.get(task_id)
        if position is None:
            raise KeyError(f"no task with id {task_id!r} in this task set of {len(self)} tasks")
        return self._tasks[position]

    # -- selections -------------------------------------------------------------------
    def filter(
        self,
        pred: Callable[[Task], bool] | None = None,
        *,
        category: str | Iterable[str] | None = None,
        split: str | None = None,
        ids: Iterable[str] | None = None,
    ) -> TaskSet:
        """The tasks that pass every given condition, in order.

        ``category`` is one name or several; ``split`` is ``"train"`` or ``"test"``;
        ``ids`` keeps only those ids. Unknown categories, splits or ids raise
        ``ValueError``/``KeyError`` (a typo should not quietly select nothing).
        """
        keep_categories: set[str] | None = None
        if category is not None:
            keep_categories = {category} if isinstance(category, str) else set(category)
            unknown = keep_categories - set(self.categories)
            if unknown:
                raise ValueError(
                    f"unknown categories {sorted(unknown)} "
                    f"(this task set has: {', '.join(self.categories) or 'none'})"
                )
        if split is not None and split not in SPLITS:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        keep_ids: set[str] | None = None
        if ids is not None:
            keep_ids = {ids} if isinstance(ids, str) else set(ids)
            missing = sorted(keep_ids - self._index.keys())
            if missing:
                shown = ", ".join(repr(i) for i in missing[:5])
                more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
                raise KeyError(f"ids not in this task set: {shown}{more}")
        return TaskSet(
            t
            for t in self._tasks
            if (keep_categories is None or t.category in keep_categories)
            and (split is None or t.split == split)
            and (keep_ids is None or t.id in keep_ids)
            and (pred is None or pred(t))
        )

    def split(self, name: str) -> TaskSet:
        """The tasks of one split: ``"train"`` or ``"test"``."""
        return self.filter(split=name)

    def by_category(self) -> dict[str, TaskSet]:
        """One TaskSet per category, keyed by category name (sorted)."""
        groups: dict[str, list[Task]] = {}
        for t in self._tasks:
            groups.setdefault(t.category, []).append(t)
        return {c: TaskSet(groups[c]) for c in sorted(groups)}

    def counts(self) -> dict[str, dict[str, int]]:
        """Tasks per category and split: ``{category: {"train": n, "test": n, "none": n}}``."""
        out: dict[str, dict[str, int]] = {}
        for t in self._tasks:
            row = out.setdefault(t.category, {"train": 0, "test": 0, "none": 0})
            row[t.split or "none"] += 1
        return {c: out[c] for c in sorted(out)}

    # -- export -----------------------------------------------------------------------
    def to_records(self) -> list[dict[str, Any]]:
        """The tasks as task-file records (see :meth:`Task.to_record`)."""
        return [t.to_record() for t in self._tasks]

    def to_frame(self) -> pd.DataFrame:
        """One row per task; columns are :data:`FRAME_COLUMNS`.

        ``target`` holds a string, a list of strings or None; ``grader_args`` and
        ``metadata`` hold dicts.
        """
        import pandas as pd

        rows = [
            {
                "id": t.id,
                "category": t.category,
                "split": t.split,
                "input": t.input,
                "target": t.target if not isinstance(t.target, tuple) else list(t.target),
                "grader": t.grader.name,
                "grader_args": dict(t.grader.args),
                "metadata": dict(t.metadata),
                "source": t.source,
                "line": t.line,
            }
            for t in self._tasks
        ]
        return pd.DataFrame(rows, columns=list(FRAME_COLUMNS))


def _where(task: Task) -> str:
    if not task.source:
        return "an earlier task"
    return f"{task.source}:{task.line}" if task.line else task.source
