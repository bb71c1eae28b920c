"""The specialist executor: TF-IDF + logistic regression fitted on a task set's train split."""

from __future__ import annotations

import asyncio
import csv
import os
import random
from pathlib import Path

import pytest

from toolkit._errors import InputError
from toolkit._types import Call, Request
from toolkit.models import ExecutionContext, ExecutorConfig, build_executors, fit_specialist
from toolkit.models._specialist import SpecialistExecutor
from toolkit.tasks._task import Task

REPO = Path(__file__).resolve().parents[2]

POSITIVE = ["wonderful", "excellent", "loved", "great", "delightful", "superb", "fantastic"]
NEGATIVE = ["terrible", "awful", "hated", "boring", "dreadful", "poor", "disappointing"]
THINGS = ["film", "meal", "service", "hotel room", "concert", "book", "phone"]


def synthetic_sentiment(n: int, seed: int) -> list[Task]:
    """Synthetic labelled reviews: the label is the polarity of the adjective inserted."""
    rng = random.Random(seed)
    tasks = []
    for i in range(n):
        label = rng.choice(["positive", "negative"])
        word = rng.choice(POSITIVE if label == "positive" else NEGATIVE)
        thing = rng.choice(THINGS)
        text = rng.choice(
            [
                f"The {thing} was {word}.",
                f"Honestly a {word} {thing}, would say so again.",
                f"I found the {thing} {word} overall.",
            ]
        )
        split = "train" if i < n * 0.7 else "test"
        tasks.append(
            Task(id=f"s{seed}-{i}", input=text, category="sentiment", target=label, split=split)
        )
    return tasks


def run_all(
    executor_name: str, configs: list[ExecutorConfig], requests: list[Request]
) -> list[Call]:
    ex = build_executors(configs, ExecutionContext())[executor_name]

    async def go() -> list[Call]:
        return [await ex.complete(r) for r in requests]

    return asyncio.run(go())


def test_specialist_answers_its_category_accurately(tmp_path: Path) -> None:
    tasks = synthetic_sentiment(200, seed=1)
    path = fit_specialist(tasks, ["sentiment"], tmp_path / "sentiment.joblib")
    assert path.is_file()
    config = ExecutorConfig(name="spec", kind="specialist", model_path=str(path))
    test = [t for t in tasks if t.split == "test"]
    calls = run_all(
        "spec", [config], [Request(task_id=t.id, prompt=t.input, category=t.category) for t in test]
    )
    accuracy = sum(c.text == t.target for c, t in zip(calls, test, strict=True)) / len(test)
    assert accuracy >= 0.9
    assert all(c.ok and c.cost_usd == 0.0 for c in calls)
    # other categories are declined
    other = run_all(
        "spec", [config], [Request(task_id="m", prompt="What is 2 + 2?", category="math")]
    )
    assert other[0].declined and other[0].text == ""


def test_specialist_category_classifier_on_real_prompts(shared_data: Path, tmp_path: Path) -> None:
    """Real prompts: GSM8K math questions vs Arena-Hard chat prompts, as a router's classifier."""
    with open(shared_data / "routellm_gsm8k_responses.csv", newline="", encoding="utf-8") as f:
        math = [r["prompt"] for r in csv.DictReader(f)][:250]
    with open(shared_data / "arena_bench_v1_long.csv", newline="", encoding="utf-8") as f:
        chat = list(dict.fromkeys(r["prompt"] for r in csv.DictReader(f)))[:250]
    tasks = [
        Task(id=f"{cat}{i}", input=text, category=cat, split="train" if i < 150 else "test")
        for cat, texts in (("math", math), ("chat", chat))
        for i, text in enumerate(texts)
    ]
    path = fit_specialist(tasks, path=tmp_path / "router.joblib", label="category")
    config = ExecutorConfig(name="router", kind="specialist", model_path=str(path))
    test = [t for t in tasks if t.split == "test"]
    calls = run_all("router", [config], [Request(task_id=t.id, prompt=t.input) for t in test])
    accuracy = sum(c.text == t.category for c, t in zip(calls, test, strict=True)) / len(test)
    assert accuracy >= 0.95
    assert not any(c.declined for c in calls)  # a category classifier answers everything


def test_fit_specialist_needs_train_tasks_with_two_labels(tmp_path: Path) -> None:
    tasks = synthetic_sentiment(20, seed=2)
    with pytest.raises(InputError, match="no tasks to learn from"):
        fit_specialist([t for t in tasks if t.split == "test"], path=tmp_path / "x.joblib")
    one = [
        Task(id=str(i), input=f"text {i}", category="c", target="same", split="train")
        for i in range(5)
    ]
    with pytest.raises(InputError, match="single label"):
        fit_specialist(one, path=tmp_path / "x.joblib")


def test_missing_model_file_fails_at_build(tmp_path: Path) -> None:
    config = ExecutorConfig(
        name="spec", kind="specialist", model_path=str(tmp_path / "none.joblib")
    )
    with pytest.raises(InputError, match="no such file"):
        build_executors([config], ExecutionContext())


@pytest.mark.parametrize(
    ("label", "categories"), [("target", ["sentiment", "topic"]), ("category", [])]
)
def test_the_safe_archive_predicts_what_the_fitted_pipeline_predicts(
    label: str, categories: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import toolkit.models._specialist as specialist
    from toolkit.models._specialist_file import is_archive, load_archive, save_archive
    from toolkit.tasks import load_tasks

    fitted: list[object] = []

    def keep(pipe: object, meta: dict[str, object], path: Path) -> Path:
        fitted.append(pipe)
        return save_archive(pipe, meta, path)

    monkeypatch.setattr(specialist, "save_archive", keep)
    tasks = load_tasks(REPO / "data" / "tasks" / "lab")
    out = fit_specialist(tasks, categories, tmp_path / "s.joblib", label=label)  # type: ignore[arg-type]
    assert is_archive(out)  # whatever the name, the content is the safe archive
    texts = [t.input for t in tasks] + ["", "!!!", "zzzz unseen words only"]
    want = [str(y) for y in fitted[0].predict(texts)]  # type: ignore[attr-defined]
    assert load_archive(out, str(out)).predict(texts) == want


def test_a_pickle_specialist_is_refused_without_the_opt_in_and_never_loaded(
    tmp_path: Path,
) -> None:
    import pickle

    marker = tmp_path / "ran"
    evil = tmp_path / "evil.joblib"

    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    evil.write_bytes(pickle.dumps({"format": "toolkit-specialist", "x": Boom()}))
    config = ExecutorConfig(name="s", kind="specialist", model_path=str(evil))
    executor = SpecialistExecutor(config)
    with pytest.raises(InputError, match="allow_pickle = true"):
        executor.load()
    assert not marker.exists()


@pytest.mark.parametrize("opt_in", [False, True])
def test_a_crafted_pickle_in_a_spec_does_nothing_on_a_dry_run(
    opt_in: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pickle

    from toolkit.cli import main

    marker = tmp_path / "ran"

    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    (tmp_path / "evil.joblib").write_bytes(
        pickle.dumps({"format": "toolkit-specialist", "x": Boom()})
    )
    (tmp_path / "tasks.jsonl").write_text(
        '{"id": "t1", "input": "good", "target": "positive", "category": "sentiment"}\n'
    )
    (tmp_path / "spec.toml").write_text(
        'name = "evil"\n[tasks]\npaths = ["tasks.jsonl"]\n[[executors]]\nname = "s"\n'
        f'kind = "specialist"\nmodel_path = "evil.joblib"\nallow_pickle = {str(opt_in).lower()}\n'
        '[[strategies]]\nkind = "single"\nexecutor = "s"\n'
    )
    code = main(["run", str(tmp_path / "spec.toml"), "--dry-run"])
    assert not marker.exists()
    if opt_in:
        assert code == 0
    else:
        assert code == 2 and "allow_pickle = true" in capsys.readouterr().err
        assert main(["run", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "run")]) == 2
        assert not marker.exists() and not (tmp_path / "run").exists()
