"""TaskSet: an immutable, id-indexed sequence with selections and a DataFrame view."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from toolkit import InputError
from toolkit.tasks import FRAME_COLUMNS, GraderRef, Task, TaskSet


def _task(i: int, category: str, split: str | None) -> Task:
    return Task(
        id=f"t{i}",
        input=f"question {i}",
        category=category,
        target=("a", "b") if i % 2 else "a",
        grader=GraderRef("numeric", {"abs_tol": 0.5}) if i == 3 else GraderRef("exact"),
        split=split,
        metadata={"n": i},
        source="hand.jsonl",
        line=i,
    )


@pytest.fixture
def tasks() -> TaskSet:
    layout = [
        ("math", "train"),
        ("math", "test"),
        ("text", "train"),
        ("text", "test"),
        ("code", None),
    ]
    return TaskSet(_task(i, c, s) for i, (c, s) in enumerate(layout, start=1))


def test_sequence_behaviour(tasks: TaskSet) -> None:
    assert len(tasks) == 5
    assert tasks[0].id == "t1" and tasks[-1].id == "t5"
    head = tasks[:2]
    assert isinstance(head, TaskSet) and head.ids == ("t1", "t2")
    assert [t.id for t in tasks] == list(tasks.ids)
    assert "t3" in tasks and "zzz" not in tasks
    assert tasks[2] in tasks
    assert TaskSet(list(tasks)) == tasks and tasks[:2] != tasks
    assert (tasks[:2] + tasks[2:]) == tasks
    assert repr(tasks) == "TaskSet(5 tasks: code=1, math=2, text=2)"
    with pytest.raises(TypeError):
        hash(tasks)


def test_duplicate_ids_are_rejected_with_both_places() -> None:
    with pytest.raises(InputError) as info:
        TaskSet([_task(1, "x", None), _task(1, "x", None)])
    assert info.value.problems == ["hand.jsonl:1: id: duplicate id 't1' (first at hand.jsonl:1)"]
    with pytest.raises(TypeError, match="Task objects"):
        TaskSet(["t1"])  # type: ignore[list-item]


def test_get_and_lookups(tasks: TaskSet) -> None:
    assert tasks.get("t4").category == "text"
    with pytest.raises(KeyError, match="no task with id 'nope'"):
        tasks.get("nope")
    assert tasks.categories == ("code", "math", "text")
    assert tasks.counts() == {
        "code": {"train": 0, "test": 0, "none": 1},
        "math": {"train": 1, "test": 1, "none": 0},
        "text": {"train": 1, "test": 1, "none": 0},
    }


def test_filter_combines_conditions_and_keeps_order(tasks: TaskSet) -> None:
    assert tasks.filter(category="math").ids == ("t1", "t2")
    assert tasks.filter(category=["text", "code"]).ids == ("t3", "t4", "t5")
    assert tasks.filter(split="train").ids == ("t1", "t3")
    assert tasks.filter(category="text", split="test").ids == ("t4",)
    assert tasks.filter(ids=["t5", "t1"]).ids == ("t1", "t5")
    assert tasks.filter(lambda t: t.metadata["n"] > 3).ids == ("t4", "t5")
    assert tasks.filter().ids == tasks.ids


def test_filter_rejects_typos_instead_of_selecting_nothing(tasks: TaskSet) -> None:
    with pytest.raises(ValueError, match=r"unknown categories \['maths'\]"):
        tasks.filter(category="maths")
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        tasks.filter(split="dev")
    with pytest.raises(KeyError, match="'t9'"):
        tasks.filter(ids=["t1", "t9"])


def test_split_and_by_category(tasks: TaskSet) -> None:
    assert tasks.split("test").ids == ("t2", "t4")
    assert len(tasks.split("train")) + len(tasks.split("test")) == 4  # t5 has no split
    groups = tasks.by_category()
    assert list(groups) == ["code", "math", "text"]
    assert {c: g.ids for c, g in groups.items()} == {
        "code": ("t5",),
        "math": ("t1", "t2"),
        "text": ("t3", "t4"),
    }


def test_to_frame_columns_and_values(tasks: TaskSet) -> None:
    frame = tasks.to_frame()
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert list(frame["id"]) == list(tasks.ids)
    row = frame.set_index("id").loc["t3"]
    assert row["category"] == "text" and row["split"] == "train"
    assert row["target"] == ["a", "b"]
    assert row["grader"] == "numeric" and row["grader_args"] == {"abs_tol": 0.5}
    assert row["metadata"] == {"n": 3}
    assert (row["source"], row["line"]) == ("hand.jsonl", 3)
    assert pd.isna(frame.set_index("id").loc["t5", "split"])
    empty = TaskSet().to_frame()
    assert tuple(empty.columns) == FRAME_COLUMNS and len(empty) == 0


def test_pickles_for_worker_processes(tasks: TaskSet) -> None:
    again = pickle.loads(pickle.dumps(tasks))
    assert again == tasks and again.get("t3").grader.args == {"abs_tol": 0.5}


def test_to_records(tasks: TaskSet) -> None:
    records = tasks.to_records()
    assert records[2] == {
        "id": "t3",
        "category": "text",
        "split": "train",
        "grader": {"name": "numeric", "args": {"abs_tol": 0.5}},
        "target": ["a", "b"],
        "input": "question 3",
        "metadata": {"n": 3},
    }
