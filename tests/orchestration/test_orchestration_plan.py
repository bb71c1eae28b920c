"""Plans: parsing, the JSON schema, and graph checks (cycles, missing dependencies)."""

from __future__ import annotations

import json

import pytest

from toolkit.orchestration import (
    PLAN_SCHEMA,
    Plan,
    PlanError,
    find_cycle,
    parse_plan,
    plan_schema,
    topological_order,
)
from toolkit.orchestration._plan import schema_problems


def steps(*specs: tuple[str, list[str]]) -> dict[str, object]:
    return {"steps": [{"id": i, "description": f"do {i}", "depends_on": d} for i, d in specs]}


def test_valid_plan_parses_from_json_text_and_orders_topologically() -> None:
    text = json.dumps(steps(("c", ["a", "b"]), ("a", []), ("b", ["a"])))
    plan = parse_plan(text)
    assert plan.ids == ["c", "a", "b"]
    assert topological_order(plan) == ["a", "b", "c"]
    assert plan.sinks() == ["c"]
    assert plan.dependents("a") == ["c", "b"]


def test_code_fenced_json_is_accepted() -> None:
    text = "```json\n" + json.dumps(steps(("a", []))) + "\n```"
    assert parse_plan(text).ids == ["a"]


def test_cycle_is_named_in_execution_order() -> None:
    data = steps(("a", ["c"]), ("b", ["a"]), ("c", ["b"]), ("d", []))
    with pytest.raises(PlanError) as err:
        parse_plan(data)
    assert err.value.problems == ["the plan has a dependency cycle: a -> b -> c -> a"]
    assert find_cycle(Plan.model_validate(data)) == ["a", "b", "c", "a"]


def test_self_dependency_is_a_cycle() -> None:
    with pytest.raises(PlanError, match=r"depends on itself \(cycle: a -> a\)"):
        parse_plan(steps(("a", ["a"])))


def test_missing_dependency_names_the_step_and_the_dependency() -> None:
    with pytest.raises(PlanError) as err:
        parse_plan(steps(("a", []), ("b", ["zzz"])))
    assert err.value.problems == [
        "step 'b': depends on 'zzz', which is not a step of the plan (steps: a, b)"
    ]


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(PlanError, match="duplicate step id 'a'"):
        parse_plan(steps(("a", []), ("a", [])))


def test_malformed_json_says_where() -> None:
    with pytest.raises(PlanError, match=r"not valid JSON: Expecting .* at line 1 column"):
        parse_plan('{"steps": [')


def test_schema_violation_names_the_path() -> None:
    with pytest.raises(PlanError) as err:
        parse_plan({"steps": [{"id": "a", "description": "x", "depends_on": [], "bogus": 1}]})
    assert any(p.startswith("steps.0:") and "bogus" in p for p in err.value.problems)


def test_input_template_may_only_use_its_dependencies() -> None:
    data = {
        "steps": [
            {"id": "a", "description": "x", "depends_on": []},
            {"id": "b", "description": "y", "depends_on": []},
            {"id": "c", "description": "z", "depends_on": ["b"], "input": "{a} and {b}"},
        ]
    }
    with pytest.raises(PlanError, match=r"step 'c': input: uses \{a\}, which is not"):
        parse_plan(data)


def test_unknown_format_spec_is_rejected() -> None:
    data = {
        "steps": [
            {"id": "a", "description": "x", "depends_on": []},
            {"id": "b", "description": "y", "depends_on": ["a"], "input": "{a:>10}"},
        ]
    }
    with pytest.raises(PlanError, match="unknown format"):
        parse_plan(data)


def test_route_on_must_be_a_dependency() -> None:
    data = {
        "steps": [
            {"id": "a", "description": "x", "depends_on": []},
            {"id": "b", "description": "y", "depends_on": [], "route_on": "a"},
        ]
    }
    with pytest.raises(PlanError, match="route_on 'a' must be one of its depends_on"):
        parse_plan(data)


def test_answer_template_must_name_steps() -> None:
    data = {**steps(("a", [])), "answer": "{a} {nope}"}
    with pytest.raises(PlanError, match=r"answer: uses \{nope\}"):
        parse_plan(data)


def test_planner_schema_restricts_roles_and_size() -> None:
    schema = plan_schema(["calc", "extract"], max_steps=2, full=False, executors=False, max_text=50)
    ok = {"steps": [{"id": "s1", "description": "x", "role": "calc", "depends_on": []}]}
    assert schema_problems(ok, schema) == []
    bad_role = {"steps": [{"id": "s1", "description": "x", "role": "poet", "depends_on": []}]}
    assert any("poet" in p for p in schema_problems(bad_role, schema))
    too_many = {"steps": ok["steps"] * 3}
    assert schema_problems(too_many, schema)
    # the planner schema has no executor field unless asked for
    with_executor = {
        "steps": [
            {"id": "s1", "description": "x", "role": "calc", "depends_on": [], "executor": "e"}
        ]
    }
    assert schema_problems(with_executor, schema)


def test_full_schema_accepts_every_step_field() -> None:
    data = {
        "steps": [
            {
                "id": "a",
                "description": "x",
                "role": "r",
                "category": "c",
                "executor": "e",
                "model": "m",
                "depends_on": [],
                "input": "{input}",
                "fact": "f",
                "route_on": None,
                "routes": {},
            }
        ],
        "answer": "{a}",
    }
    assert schema_problems(data, PLAN_SCHEMA) == []
    assert parse_plan(data).steps[0].executor == "e"
