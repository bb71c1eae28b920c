"""The lab's two TF-IDF specialists, fitted on the real lab task set's train split and checked
on its test split; `prepare_lab` fits what a spec names, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_helpers import LAB_TASKS, small_lab_spec

from toolkit._errors import InputError
from toolkit.lab import KIND_FILE, LABELS_FILE, fit_lab_specialists, prepare_lab, task_kind
from toolkit.models import ExecutorConfig, SpecialistExecutor
from toolkit.tasks import load_tasks


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return fit_lab_specialists(load_tasks(LAB_TASKS), tmp_path_factory.mktemp("specialists"))


def test_task_kind() -> None:
    tasks = load_tasks(LAB_TASKS)
    kinds = {task_kind(t) for t in tasks}
    assert kinds == {
        "sentiment", "topic", "arithmetic", "email", "date", "amount", "factual",
        "long_context", "code",
    }  # fmt: skip
    assert all(task_kind(t) == t.category for t in tasks if t.category != "extraction")


def test_label_specialist_answers_sentiment_and_topic_on_test(fitted: dict[str, Path]) -> None:
    cfg = ExecutorConfig(
        name="s",
        kind="specialist",
        model_path=str(fitted[LABELS_FILE]),
        categories=["sentiment", "topic"],
    )
    ex = SpecialistExecutor(cfg)
    test = [t for t in load_tasks(LAB_TASKS) if t.split == "test"]
    mine = [t for t in test if t.category in ("sentiment", "topic")]
    predicted = ex.predict([t.input for t in mine])
    accuracy = sum(p == t.targets[0] for p, t in zip(predicted, mine, strict=True)) / len(mine)
    assert accuracy >= 0.7  # a real classifier on held-out tasks, not a lookup of its train set
    labels = set(ex.load()["classes"])
    assert labels == {
        "positive",
        "negative",
        "business",
        "health",
        "science",
        "sports",
        "technology",
    }


def test_kind_classifier_on_test(fitted: dict[str, Path]) -> None:
    cfg = ExecutorConfig(name="k", kind="specialist", model_path=str(fitted[KIND_FILE]))
    ex = SpecialistExecutor(cfg)
    test = [t for t in load_tasks(LAB_TASKS) if t.split == "test"]
    predicted = ex.predict([t.input for t in test])
    accuracy = sum(p == task_kind(t) for p, t in zip(predicted, test, strict=True)) / len(test)
    assert accuracy >= 0.9


def test_prepare_lab_fits_once(tmp_path: Path) -> None:
    spec = small_lab_spec(tmp_path, ["sentiment-001"])
    written = prepare_lab(spec)
    assert sorted(p.name for p in written) == sorted([KIND_FILE, LABELS_FILE])
    assert all(p.is_file() and p.parent == tmp_path / "build" for p in written)
    assert prepare_lab(spec) == []  # already there
    assert len(prepare_lab(spec, refit=True)) == 2


def test_prepare_lab_reports_a_bad_spec(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [", encoding="utf-8")
    with pytest.raises(InputError, match="toml"):
        prepare_lab(bad)
    with pytest.raises(InputError, match="cannot read"):
        prepare_lab(tmp_path / "missing.toml")
