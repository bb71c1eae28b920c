"""Planners: the llm planner's retry and recorded failures, templates, plans as data.

Planner and worker executors here are FAKE (scripted, see ``orch_fakes``).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from orch_fakes import FakeExecutor, ScriptedPlanner, context, make_task, orchestrator, step_info

from toolkit._errors import InputError
from toolkit._types import Trace
from toolkit.orchestration import template_plan
from toolkit.orchestration._templates import TemplateSettings
from toolkit.strategies import StrategyContext, build_strategy, parse_strategy_config

GOOD_PLAN = json.dumps(
    {
        "steps": [
            {"id": "s1", "description": "add", "role": "calc", "depends_on": []},
            {"id": "s2", "description": "say it", "role": "writer", "depends_on": ["s1"]},
        ]
    }
)


def llm_orchestrator(**extra: Any) -> Any:
    return orchestrator(
        planner={"kind": "llm", "executor": "planner", **extra},
        roles={"calc": "calc", "writer": "writer"},
    )


def run(orch: Any, *executors: FakeExecutor, text: str = "What is 2 + 3?") -> Trace:
    trace = asyncio.run(orch.run(make_task(text), context(*executors)))
    assert isinstance(trace, Trace)
    return trace


def workers() -> tuple[FakeExecutor, FakeExecutor]:
    return FakeExecutor("calc", answer="5"), FakeExecutor("writer", answer="five")


def test_llm_planner_sends_the_schema_and_the_plan_runs() -> None:
    planner = ScriptedPlanner("planner", script=[GOOD_PLAN], tokens_in=50, cost_usd=0.01)
    calc, writer = workers()
    trace = run(llm_orchestrator(), planner, calc, writer)
    assert trace.error is None and trace.answer == "five"
    request = planner.requests[0]
    assert request.role == "planner" and request.step == "plan"
    assert request.json_schema is not None
    role_schema = request.json_schema["properties"]["steps"]["items"]["properties"]["role"]
    assert role_schema["enum"] == ["calc", "writer"]
    assert "- calc:" in request.prompt and "What is 2 + 3?" in request.prompt
    assert trace.route == ("planner", "calc", "writer")
    assert trace.cost_usd == 0.01  # the planner's call counts in the cost
    assert trace.calls[0].step == "plan"


def test_malformed_json_is_retried_once_with_the_error_then_fails_clearly() -> None:
    planner = ScriptedPlanner("planner", script=['{"steps": [', "not json at all"])
    calc, writer = workers()
    trace = run(llm_orchestrator(), planner, calc, writer)
    assert len(planner.requests) == 2
    retry = planner.requests[1]
    assert retry.step == "plan:retry"
    assert "Your previous plan was rejected" in retry.prompt and "not valid JSON" in retry.prompt
    assert trace.answer == ""
    assert trace.error is not None
    assert trace.error.startswith("planning failed after 2 attempt(s)")
    assert "not valid JSON" in trace.error
    assert trace.info["planner"]["attempts"] == 2
    assert len(trace.calls) == 2 and not calc.requests and not writer.requests


def test_invalid_then_valid_plan_runs_after_the_retry() -> None:
    planner = ScriptedPlanner("planner", script=["{}", GOOD_PLAN])
    calc, writer = workers()
    trace = run(llm_orchestrator(), planner, calc, writer)
    assert trace.error is None and trace.answer == "five"
    assert trace.info["planner"]["attempts"] == 2
    assert any("'steps' is a required property" in e for e in trace.info["planner"]["errors"])
    assert [c.step for c in trace.calls] == ["plan", "plan:retry", "s1", "s2"]


def test_unknown_executor_is_a_recorded_failure_before_any_step_call() -> None:
    bad = json.dumps(
        {
            "steps": [
                {
                    "id": "s1",
                    "description": "x",
                    "role": "calc",
                    "executor": "gpt-9",
                    "depends_on": [],
                }
            ]
        }
    )
    planner = ScriptedPlanner("planner", script=[bad])
    calc, writer = workers()
    trace = run(llm_orchestrator(choose_executors=True), planner, calc, writer)
    assert trace.error is not None
    assert (
        "step 's1': unknown executor 'gpt-9' (this run has: calc, planner, writer)" in trace.error
    )
    assert not calc.requests and not writer.requests
    assert len(planner.requests) == 2


def test_unknown_role_without_default_is_a_recorded_failure() -> None:
    bad = json.dumps(
        {"steps": [{"id": "s1", "description": "x", "role": "poet", "depends_on": []}]}
    )
    planner = ScriptedPlanner("planner", script=[bad])
    calc, writer = workers()
    trace = run(llm_orchestrator(), planner, calc, writer)
    assert trace.error is not None and "poet" in trace.error


def test_cycle_from_the_planner_is_rejected_before_any_step_call() -> None:
    cyclic = json.dumps(
        {
            "steps": [
                {"id": "a", "description": "x", "role": "calc", "depends_on": ["b"]},
                {"id": "b", "description": "y", "role": "calc", "depends_on": ["a"]},
            ]
        }
    )
    planner = ScriptedPlanner("planner", script=[cyclic])
    calc, writer = workers()
    trace = run(llm_orchestrator(), planner, calc, writer)
    assert trace.error is not None and "dependency cycle: " in trace.error
    assert len(calc.requests) == 0 and len(writer.requests) == 0  # call counter: 0


def test_cycle_in_a_data_plan_is_rejected_before_any_call() -> None:
    worker = FakeExecutor("w")
    orch = orchestrator(planner={"kind": "data"}, default_executor="w")
    cyclic = {
        "steps": [
            {"id": "a", "description": "x", "depends_on": ["c"]},
            {"id": "b", "description": "y", "depends_on": ["a"]},
            {"id": "c", "description": "z", "depends_on": ["b"]},
        ]
    }
    trace = asyncio.run(orch.run(make_task(plan=cyclic), context(worker)))
    assert len(worker.requests) == 0
    assert trace.error == (
        "planning failed after 1 attempt(s): the plan has a dependency cycle: a -> b -> c -> a"
    )
    assert trace.calls == ()


def test_cycle_in_a_spec_plan_is_rejected_when_the_spec_loads() -> None:
    from toolkit.runner import Spec

    spec = {
        "name": "s",
        "tasks": {"paths": ["x.jsonl"]},
        "executors": [{"name": "w", "kind": "tool", "tool": "arithmetic"}],
        "strategies": [
            {
                "kind": "orchestrator",
                "default_executor": "w",
                "planner": {
                    "kind": "data",
                    "plan": {
                        "steps": [
                            {"id": "a", "description": "x", "depends_on": ["b"]},
                            {"id": "b", "description": "y", "depends_on": ["a"]},
                        ]
                    },
                },
            }
        ],
    }
    with pytest.raises(InputError) as err:
        Spec.from_mapping(spec, check_files=False)
    assert any(
        "strategies.0.planner.data" in p and "dependency cycle: a -> b -> a" in p
        for p in err.value.problems
    ), err.value.problems


def test_failed_planner_call_is_not_retried_as_a_bad_plan() -> None:
    planner = ScriptedPlanner("planner", script=[GOOD_PLAN], error="503 after 3 retries")
    calc, writer = workers()
    trace = run(llm_orchestrator(), planner, calc, writer)
    assert len(planner.requests) == 1
    assert trace.error is not None and "the planner call failed: 503 after 3 retries" in trace.error


def test_plan_from_task_metadata() -> None:
    worker = FakeExecutor("w", answer="yes")
    orch = orchestrator(planner={"kind": "data"}, default_executor="w")
    plan = {"steps": [{"id": "only", "description": "answer", "depends_on": []}]}
    trace = asyncio.run(orch.run(make_task(plan=plan), context(worker)))
    assert trace.answer == "yes" and trace.info["planner"]["from"] == "task metadata"
    missing = asyncio.run(orch.run(make_task(), context(worker)))
    assert missing.error is not None and "has no metadata 'plan'" in missing.error


def test_template_extract_then_compute() -> None:
    task = make_task("A box holds 24 pens and another holds 37 pens. How many pens in total?")
    name, plan = template_plan(
        task, TemplateSettings(templates={"synthetic": "extract_then_compute"})
    )
    assert name == "extract_then_compute"
    assert plan.steps[1].input == "{extract:numbers + }"
    sub = make_task("How many more apples than pears?", operation="difference")
    _, plan2 = template_plan(sub, TemplateSettings(templates={"synthetic": "extract_then_compute"}))
    assert plan2.steps[1].input == "{extract:numbers - }"


def test_template_multi_part_assigns_roles_by_pattern() -> None:
    task = make_task(
        "Answer each part. (a) What is 12 times 4? (b) What is the email address in "
        "'write to ann@example.org today'? (c) Is this review positive or negative: 'Great!'",
        template="multi_part",
    )
    _, plan = template_plan(task, TemplateSettings())
    assert [(s.id, s.role) for s in plan.steps] == [
        ("part_a", "calculator"),
        ("part_b", "email_extractor"),
        ("part_c", "sentiment"),
    ]
    assert plan.steps[0].input == "What is 12 times 4?"
    assert plan.answer == "(a) {part_a}; (b) {part_b}; (c) {part_c}"


def test_template_that_does_not_fit_is_a_recorded_failure() -> None:
    orch = orchestrator(planner={"kind": "template"}, default_executor="w")
    worker = FakeExecutor("w")
    trace = run(orch, worker, text="no parts here")  # category 'synthetic': no such template
    assert trace.error is not None and "has no template 'synthetic'" in trace.error
    orch2 = orchestrator(planner={"kind": "template", "templates": {"synthetic": "multi_part"}})
    trace2 = run(orch2, worker, text="no parts here")
    assert trace2.error is not None and "no parts like '(a) ...'" in trace2.error
    assert not worker.requests


def test_template_classify_then_answer_routes_on_the_label() -> None:
    clf = FakeExecutor("clf", answer="shipping")
    tracking = FakeExecutor("tracking", answer="1Z999")
    fallback = FakeExecutor("gen", answer="?")
    orch = orchestrator(
        planner={
            "kind": "template",
            "templates": {"synthetic": "classify_then_answer"},
            "label_roles": {"shipping": "tracking_extractor"},
            "classify_category": "ticket",
        },
        roles={"classifier": "clf", "tracking_extractor": "tracking"},
        default_executor="gen",
    )
    trace = run(orch, clf, tracking, fallback, text="Where is my parcel?")
    assert trace.answer == "1Z999"
    assert clf.requests[0].category == "ticket"
    assert step_info(trace.info, "answer")["executor"] == "tracking"
    assert trace.info["handoff"]["facts"] == {"label": "shipping"}


def test_orchestrator_is_a_registered_strategy_kind() -> None:
    config = parse_strategy_config(
        {
            "kind": "orchestrator",
            "planner": {"kind": "llm", "executor": "big"},
            "roles": {"calc": "calc"},
            "default_executor": "small",
            "compression": {"method": "summarise", "summariser": "small"},
        }
    )
    assert config.strategy_name == "orchestrator:llm"
    assert sorted(config.executor_refs()) == [
        ("compression.summariser", "small"),
        ("default_executor", "small"),
        ("planner.executor", "big"),
        ("roles.calc", "calc"),
    ]
    strategy = build_strategy(config)
    planned = strategy.plan(make_task(), StrategyContext(executors={}))
    assert [p.executor for p in planned[:2]] == ["big", "big"]  # the plan and one retry


def test_dry_run_plan_lists_template_steps_on_their_executors() -> None:
    orch = orchestrator(
        planner={"kind": "template", "templates": {"synthetic": "extract_then_compute"}},
        roles={"extractor": "ex", "calculator": "calc"},
    )
    planned = orch.plan(make_task("24 and 37 in total"), StrategyContext(executors={}))
    assert [(p.executor, p.request.step) for p in planned] == [
        ("ex", "extract"),
        ("calc", "compute"),
    ]


@pytest.mark.local_model
def test_llm_planner_on_the_local_model_is_grammar_constrained(local_server_url: str) -> None:
    """Gemma 3 270M (a base model) plans through the real local server: the schema's grammar
    constrains its decoding, so every answer is JSON that matches the plan schema. Whether
    the plan also makes sense is up to the model; a bad one is a recorded failure."""
    from toolkit.models import ExecutionContext, ExecutorConfig, Profile, build_executors
    from toolkit.orchestration._plan import loads_plan_json, schema_problems

    executors = build_executors(
        [ExecutorConfig(name="gemma", kind="local", profile=Profile(max_tokens=400))],
        ExecutionContext(),
        local_url=local_server_url,
    )
    calc, writer = workers()
    orch = llm_orchestrator(executor="gemma", max_steps=3, max_text=60)
    ctx = StrategyContext(executors={**executors, "calc": calc, "writer": writer})
    trace = asyncio.run(orch.run(make_task("What is 2 + 3? Then say the result in words."), ctx))
    planner_calls = [c for c in trace.calls if c.step.startswith("plan")]
    assert planner_calls and all(c.error is None and c.tokens_out > 0 for c in planner_calls)
    schema = orch.planner.schema()
    for call in planner_calls:
        assert schema_problems(loads_plan_json(call.text), schema) == [], call.text
    assert (trace.error is None) == ("plan" in trace.info)
