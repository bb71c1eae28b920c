"""The worked benchmark: its GENERATED task set, its spec, and the routed setup run for real on
the tool executors and specialists (fitted here on the generated training split)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from orch_fakes import FakeExecutor

import toolkit.orchestration  # registers the orchestrator kind
from toolkit.grading import grader_for
from toolkit.lab._orchestrator_tasks import benchmark_tasks, specialist_training_tasks
from toolkit.orchestration import Orchestrator, OrchestratorConfig, template_plan
from toolkit.orchestration._templates import TemplateSettings
from toolkit.strategies import StrategyContext
from toolkit.tasks import Task, load_tasks

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "benchmarks" / "orchestrator.toml"
TASKS = REPO / "data" / "tasks" / "orchestrator" / "tasks.jsonl"


def test_generator_is_seeded_and_labels_its_tasks_generated() -> None:
    a, b = benchmark_tasks(seed=0), benchmark_tasks(seed=0)
    assert a == b
    assert benchmark_tasks(seed=1) != a
    assert 40 <= len(a) <= 60
    assert {t.category for t in a} == {"extract_then_compute", "multi_part", "classify_then_answer"}
    assert all(t.metadata["generated"] is True for t in a)
    assert len({t.id for t in a}) == len(a)


def test_shipped_task_file_is_what_the_generator_makes() -> None:
    if not TASKS.is_file():
        pytest.skip(f"{TASKS} is absent: run python benchmarks/make_orchestrator_tasks.py")
    shipped = [json.loads(line) for line in TASKS.read_text().splitlines()]
    assert shipped == [t.to_record() for t in benchmark_tasks(seed=0)]
    assert len(load_tasks(TASKS)) == len(shipped)


def test_every_generated_task_has_a_valid_template_plan() -> None:
    settings = TemplateSettings(
        label_roles={"billing": "amount_extractor", "shipping": "tracking_extractor"}
    )
    for task in benchmark_tasks():
        name, plan = template_plan(task, settings)
        assert name == task.category
        if task.category == "multi_part":
            kinds = [p["kind"] for p in task.metadata["parts"].values()]
            roles = [s.role for s in plan.steps]
            expected = {
                "arithmetic": "calculator",
                "email": "email_extractor",
                "date": "date_extractor",
                "sentiment": "sentiment",
            }
            assert roles == [expected[k] for k in kinds], task.id


def test_spec_loads_with_its_three_setups() -> None:
    from toolkit.runner import load_spec

    spec = load_spec(SPEC)
    assert spec.strategy_names() == ["single:gemma", "orchestrated:gemma", "orchestrated:routed"]
    assert spec.uses_local()


@pytest.fixture(scope="module")
def routed_executors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The spec's tool and specialist executors, built by the models layer; the specialists
    are fitted here on the GENERATED training split."""
    from toolkit.models import ExecutionContext, ExecutorConfig, build_executors, fit_specialist
    from toolkit.runner import load_spec

    folder = tmp_path_factory.mktemp("specialists")
    train = specialist_training_tasks(seed=1)
    paths = {
        "ticket_type": fit_specialist(train, ["ticket"], folder / "ticket.joblib"),
        "sentiment": fit_specialist(train, ["sentiment"], folder / "sentiment.joblib"),
    }
    configs: list[ExecutorConfig] = []
    for cfg in load_spec(SPEC).executor_configs():
        if cfg.kind == "specialist":
            cfg = cfg.model_copy(update={"model_path": str(paths[cfg.name])})
        if cfg.kind in ("tool", "specialist"):
            configs.append(cfg)
    return dict(build_executors(configs, ExecutionContext()))


def test_routed_setup_solves_the_generated_tasks_offline(
    routed_executors: dict[str, object],
) -> None:
    from toolkit.runner import load_spec

    spec = load_spec(SPEC)
    (config,) = [s for s in spec.strategies if s.strategy_name == "orchestrated:routed"]
    assert isinstance(config, OrchestratorConfig)
    fallback = FakeExecutor("gemma_detail", answer="FALLBACK")  # fake stand-in for the LLM
    ctx = StrategyContext(executors={**routed_executors, "gemma_detail": fallback})  # type: ignore[dict-item]
    orch = Orchestrator(config)

    async def solve(task: Task) -> float:
        trace = await orch.run(task, ctx)
        assert trace.error is None, (task.id, trace.error)
        steps = trace.info["steps"]
        assert all(s["state"] == "done" for s in steps), (task.id, steps)
        grade = await grader_for(task).grade(task, trace.answer)
        return grade.score

    async def solve_all() -> list[float]:
        return list(await asyncio.gather(*(solve(t) for t in benchmark_tasks())))

    scores = asyncio.run(solve_all())
    assert sum(scores) / len(scores) >= 0.95
    assert not fallback.requests, "every ticket label was routed to its extractor"


def test_module_registers_the_kind() -> None:
    from toolkit.strategies import strategy_kinds

    assert toolkit.orchestration.Orchestrator is Orchestrator
    assert "orchestrator" in strategy_kinds()
