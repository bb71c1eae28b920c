"""The bundled lab task set: reproducible from its seed, and its counts, splits and gold
answers hold. The lab's generated categories are template-made by design (issue 6)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from toolkit.lab._tasks import (
    LAB_CATEGORIES,
    LAB_SEED,
    generate_lab_tasks,
    lab_files,
    read_humaneval,
    write_lab_tasks,
)
from toolkit.tasks import TaskSet, load_tasks, tasks_from_records

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "data" / "tasks" / "lab"


@pytest.fixture(scope="module")
def lab() -> TaskSet:
    return load_tasks(LAB)


def test_committed_files_are_exactly_what_the_seed_generates(tmp_path: Path) -> None:
    counts = write_lab_tasks(tmp_path, LAB_SEED)
    committed = sorted(p.name for p in LAB.glob("*.jsonl"))
    assert sorted(counts) == committed == sorted(f"{c}.jsonl" for c in LAB_CATEGORIES)
    for name in committed:
        assert (tmp_path / name).read_bytes() == (LAB / name).read_bytes(), (
            f"{name} differs: run `python benchmarks/make_lab_tasks.py` and commit the result"
        )


def test_generation_is_deterministic_per_seed() -> None:
    first, again = generate_lab_tasks(7), generate_lab_tasks(7)
    assert first == again
    other = generate_lab_tasks(8)
    assert [r["input"] for r in other] != [r["input"] for r in first]
    assert len(other) == len(first)


def test_size_counts_categories_and_splits(lab: TaskSet) -> None:
    assert len(lab) >= 400
    assert set(lab.categories) == set(LAB_CATEGORIES) and len(lab.categories) >= 6
    assert sum(p.stat().st_size for p in LAB.glob("*.jsonl")) < 3_000_000
    for category, row in lab.counts().items():
        total = row["train"] + row["test"]
        assert 50 <= total <= 80, category
        assert row["none"] == 0 and abs(row["train"] - row["test"]) <= 1, (category, row)
    for task in lab:
        assert task.source == str(LAB / f"{task.category}.jsonl")


def test_splits_are_stratified_by_kind_and_complexity(lab: TaskSet) -> None:
    strata = Counter(
        (t.category, t.metadata["kind"], t.metadata["complexity"], t.split) for t in lab
    )
    for (category, kind, level, split), n in strata.items():
        mirror = strata[(category, kind, level, "test" if split == "train" else "train")]
        assert abs(n - mirror) <= 1, (category, kind, level)


def test_router_metadata_is_present(lab: TaskSet) -> None:
    types = {
        "sentiment": "classification",
        "topic": "classification",
        "extraction": "extraction",
        "arithmetic": "arithmetic",
        "code": "implementation",
        "factual": "factual",
        "long_context": "retrieval",
    }
    for task in lab:
        assert task.metadata["task_type"] == types[task.category]
        assert task.metadata["complexity"] in ("low", "medium", "high")
        assert task.metadata["source"] in ("generated", "hand-written", "HumanEval")


def test_classification_targets_are_among_the_labels(lab: TaskSet) -> None:
    for category, labels in (
        ("sentiment", {"positive", "negative"}),
        ("topic", {"business", "health", "science", "sports", "technology"}),
    ):
        tasks = lab.filter(category=category)
        assert {t.target for t in tasks} == labels
        for task in tasks:
            assert set(task.metadata["labels"]) == labels and task.grader.name == "normalized"
            assert task.metadata["text"] in task.input
        # roughly balanced labels
        counts = Counter(t.target for t in tasks)
        assert max(counts.values()) - min(counts.values()) <= 2


def test_extraction_answers_are_in_the_text(lab: TaskSet) -> None:
    tasks = lab.filter(category="extraction")
    assert Counter(t.metadata["kind"] for t in tasks) == {"email": 22, "date": 22, "amount": 22}
    for task in tasks:
        text, answer, kind = task.metadata["text"], task.target, task.metadata["kind"]
        assert isinstance(answer, str)
        if kind == "email":
            assert answer in text and task.grader.name == "normalized"
        elif kind == "date":
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", answer)
            year, day = answer[:4], str(int(answer[8:]))
            assert year in text and day in text
        else:
            assert task.grader.name == "numeric"
            whole, cents = answer.split(".")
            assert f"${int(whole):,}.{cents}" in text


def test_arithmetic_answers_are_right(lab: TaskSet) -> None:
    tasks = lab.filter(category="arithmetic")
    assert Counter(t.metadata["kind"] for t in tasks) == {
        "add": 22,
        "multiply": 22,
        "word_problem": 22,
    }
    for task in tasks:
        assert task.grader.name == "numeric"
        expression = task.metadata.get("expression")
        if expression:
            a, op, b = expression.split()
            assert int(task.target) == (int(a) + int(b) if op == "+" else int(a) * int(b))  # type: ignore[arg-type]
        else:
            assert int(task.target) >= 0  # type: ignore[arg-type]


def test_code_tasks_come_from_humaneval(lab: TaskSet) -> None:
    problems = {p["task_id"]: p for p in read_humaneval()}
    assert len(problems) == 164
    tasks = lab.filter(category="code")
    assert len(tasks) == 60
    for task in tasks:
        problem = problems[task.metadata["source_id"]]
        assert task.grader.name == "code" and task.target is None
        assert task.input == problem["prompt"]
        assert task.metadata["test"] == problem["test"]
        assert task.metadata["entry_point"] == problem["entry_point"]


def test_factual_answers_are_hand_written_lists(lab: TaskSet) -> None:
    tasks = lab.filter(category="factual")
    for task in tasks:
        assert task.metadata["source"] == "hand-written"
        assert task.metadata["question"] in task.input and task.targets
    assert tasks.filter(lambda t: "capital of Australia" in t.input)[0].targets == ("Canberra",)


def test_long_context_hides_one_answer_in_thousands_of_words(lab: TaskSet) -> None:
    tasks = lab.filter(category="long_context")
    for task in tasks:
        assert isinstance(task.target, str)
        assert task.input.count(task.target) == 1
        words = len(task.input.split())
        assert 1900 <= task.metadata["words"] <= words <= 3600
        codes = re.findall(r"passcode for the [a-z ]+ is ([A-Z]+-\d{4})", task.input)
        assert len(codes) == 1 + task.metadata["distractors"]
        assert task.target in codes
        assert 0 < task.metadata["needle_position"] < 1
        assert task.grader.name == "contains"


def test_records_are_valid_task_records() -> None:
    records = generate_lab_tasks(LAB_SEED, code_tasks=5)
    tasks = tasks_from_records(records, "generated")
    assert [t.to_record() for t in tasks] == records
    assert json.loads(next(iter(lab_files(records).values())).splitlines()[0]) == records[0]


def test_sample_answers_match_the_sample_tasks() -> None:
    sample = load_tasks(REPO / "data" / "tasks" / "sample.jsonl")
    graders = {t.grader.name for t in sample}
    assert len(sample) >= 8 and len(graders) >= 6
    lines = (REPO / "data" / "answers" / "sample_answers.jsonl").read_text(encoding="utf-8")
    answers = [json.loads(line) for line in lines.splitlines()]
    assert [a["id"] for a in answers] == list(sample.ids)
    assert all(isinstance(a["answer"], str) for a in answers)
