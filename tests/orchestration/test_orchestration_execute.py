"""Running plans: parallel ready steps, failures, constraints, handoffs, critical path.

All executors here are FAKE (see ``orch_fakes``): they sleep for real and answer from a script.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from orch_fakes import FakeExecutor, context, make_task, orchestrator, step_info

from toolkit._errors import BudgetExceeded
from toolkit._types import Request, Trace


def data_plan(*steps: dict[str, Any], answer: str | None = None) -> dict[str, Any]:
    plan: dict[str, Any] = {"steps": [{"depends_on": [], **s} for s in steps]}
    if answer is not None:
        plan["answer"] = answer
    return {"kind": "data", "plan": plan}


def run_trace(orch: Any, ctx: Any, task: Any = None) -> Trace:
    trace = asyncio.run(orch.run(task or make_task(), ctx))
    assert isinstance(trace, Trace)
    return trace


def test_three_independent_steps_run_concurrently() -> None:
    """Each fake step sleeps 200 ms; their recorded start/end intervals all overlap."""
    slow = FakeExecutor("slow", answer="done", sleep_s=0.2)
    orch = orchestrator(
        planner=data_plan(
            {"id": "a", "description": "a"},
            {"id": "b", "description": "b"},
            {"id": "c", "description": "c"},
            answer="{a} {b} {c}",
        ),
        default_executor="slow",
        max_concurrency=3,
    )
    trace = run_trace(orch, context(slow))
    steps = [step_info(trace.info, i) for i in "abc"]
    assert [s["state"] for s in steps] == ["done", "done", "done"]
    starts = [float(s["started_at"]) for s in steps]  # type: ignore[arg-type]
    ends = [float(s["ended_at"]) for s in steps]  # type: ignore[arg-type]
    assert max(starts) < min(ends), "every step started before any step ended"
    assert trace.answer == "done done done"
    assert len(slow.requests) == 3


def test_concurrency_limit_one_runs_steps_one_after_another() -> None:
    slow = FakeExecutor("slow", sleep_s=0.05)
    orch = orchestrator(
        planner=data_plan({"id": "a", "description": "a"}, {"id": "b", "description": "b"}),
        default_executor="slow",
        max_concurrency=1,
    )
    trace = run_trace(orch, context(slow))
    a, b = step_info(trace.info, "a"), step_info(trace.info, "b")
    assert float(b["started_at"]) >= float(a["ended_at"])  # type: ignore[arg-type]


def test_failed_step_skips_only_its_dependents() -> None:
    good = FakeExecutor("good", answer="fine")
    bad = FakeExecutor("bad", error="provider down (500)")
    orch = orchestrator(
        planner=data_plan(
            {"id": "a", "description": "a", "executor": "bad"},
            {"id": "b", "description": "b", "depends_on": ["a"]},
            {"id": "b2", "description": "b2", "depends_on": ["b"]},
            {"id": "c", "description": "c"},
            {"id": "d", "description": "d", "depends_on": ["c"]},
            answer="{b2}|{d}",
        ),
        default_executor="good",
    )
    trace = run_trace(orch, context(good, bad))
    states = {s["id"]: s["state"] for s in trace.info["steps"]}
    assert states == {"a": "failed", "b": "skipped", "b2": "skipped", "c": "done", "d": "done"}
    assert step_info(trace.info, "a")["error"] == "provider down (500)"
    assert step_info(trace.info, "b")["error"] == "dependency 'a' failed"
    assert step_info(trace.info, "b2")["error"] == "dependency 'b' skipped"
    assert trace.answer == "|fine"  # graded on what was produced
    assert trace.error is None
    assert len(bad.requests) == 1 and len(good.requests) == 2


def test_a_declining_executor_fails_its_step() -> None:
    tool = FakeExecutor("tool", declined=True)
    orch = orchestrator(planner=data_plan({"id": "a", "description": "a"}), default_executor="tool")
    trace = run_trace(orch, context(tool))
    assert step_info(trace.info, "a")["state"] == "failed"
    assert trace.answer == ""
    assert trace.error == "step 'a': declined by tool"


def chain(n: int) -> dict[str, Any]:
    return data_plan(
        *(
            {"id": f"s{i}", "description": f"step {i}", "depends_on": [f"s{i - 1}"] if i else []}
            for i in range(n)
        )
    )


def test_max_steps_stops_the_plan_with_the_reason_and_keeps_the_partial_result() -> None:
    worker = FakeExecutor("w", answer=lambda r: f"result of {r.step}")
    orch = orchestrator(planner=chain(4), default_executor="w", constraints={"max_steps": 2})
    trace = run_trace(orch, context(worker))
    states = [s["state"] for s in trace.info["steps"]]
    assert states == ["done", "done", "skipped", "skipped"]
    assert trace.info["stopped_by"] == "max_steps"
    assert "max_steps: 2 of the plan's 4 steps started, the limit is 2" in trace.info["stop_reason"]
    assert str(step_info(trace.info, "s2")["error"]).startswith("not started: max_steps")
    assert trace.answer == "result of s1"
    assert trace.info["answer_from"].startswith("s1 (partial")
    assert trace.error is None
    assert len(worker.requests) == 2


def test_max_tokens_stops_the_plan() -> None:
    worker = FakeExecutor("w", answer="x", tokens_in=60, tokens_out=40)
    orch = orchestrator(planner=chain(4), default_executor="w", constraints={"max_tokens": 150})
    trace = run_trace(orch, context(worker))
    states = [s["state"] for s in trace.info["steps"]]
    assert states == ["done", "done", "skipped", "skipped"]
    assert trace.info["stopped_by"] == "max_tokens"
    assert "used 200 tokens, the budget is 150" in trace.info["stop_reason"]
    assert sum(c.tokens_in + c.tokens_out for c in trace.calls) == 200


def test_deadline_cancels_running_steps_and_keeps_finished_branches() -> None:
    fast = FakeExecutor("fast", answer="quick")
    stuck = FakeExecutor("stuck", answer="never", sleep_s=30.0)
    orch = orchestrator(
        planner=data_plan(
            {"id": "quick", "description": "q", "executor": "fast"},
            {"id": "slow", "description": "s", "executor": "stuck"},
            {"id": "after", "description": "a", "depends_on": ["slow"], "executor": "fast"},
            answer="{quick}/{after}",
        ),
        constraints={"deadline_s": 0.3},
    )
    trace = run_trace(orch, context(fast, stuck))
    assert trace.info["stopped_by"] == "deadline"
    assert "still running; they were cancelled" in trace.info["stop_reason"]
    assert step_info(trace.info, "slow")["state"] == "failed"
    assert step_info(trace.info, "slow")["error"] == "cancelled at the deadline"
    assert step_info(trace.info, "after")["state"] == "skipped"
    assert step_info(trace.info, "quick")["state"] == "done"
    assert trace.answer == "quick/"
    assert float(trace.info["wall_s"]) < 5.0  # the 30 s step did not run to its end


def test_executor_sees_only_its_dependencies_and_the_facts() -> None:
    seen: dict[str, str] = {}

    def answer(request: Request) -> str:
        seen[request.step] = request.prompt
        return f"SECRET-{request.step}"

    worker = FakeExecutor("w", answer=answer)
    orch = orchestrator(
        planner=data_plan(
            {"id": "a", "description": "first"},
            {"id": "b", "description": "second", "fact": "found"},
            {"id": "c", "description": "third", "depends_on": ["b"]},
        ),
        default_executor="w",
        max_concurrency=1,
    )
    trace = run_trace(orch, context(worker), make_task("ORIGINAL", facts={"unit": "metres"}))
    prompt = seen["c"]
    assert "ORIGINAL" in prompt and "unit: metres" in prompt
    assert "SECRET-b" in prompt and "Your step: third" in prompt
    assert "SECRET-a" not in prompt, "a step's executor never sees unrelated results"
    assert trace.info["handoff"]["facts"] == {"unit": "metres", "found": "SECRET-b"}
    completed = trace.info["handoff"]["completed"]
    assert [c["step_id"] for c in completed] == ["a", "b", "c"]
    assert all(c["executor"] == "w" and c["confidence"] is None for c in completed)


def test_input_template_fills_numbers_from_a_dependency() -> None:
    extractor = FakeExecutor("ex", answer="The numbers are 1,200 and 35.5 (and 7).")
    calc = FakeExecutor("calc", answer=lambda r: r.prompt)
    orch = orchestrator(
        planner=data_plan(
            {"id": "extract", "description": "e", "role": "extractor", "input": "{input}"},
            {
                "id": "compute",
                "description": "c",
                "role": "calculator",
                "depends_on": ["extract"],
                "input": "{extract:numbers + }",
            },
        ),
        roles={"extractor": "ex", "calculator": "calc"},
    )
    trace = run_trace(orch, context(extractor, calc), make_task("text with numbers"))
    assert extractor.requests[0].prompt == "text with numbers"
    assert trace.answer == "1200 + 35.5 + 7"


def test_request_carries_role_step_category_and_per_step_model() -> None:
    worker = FakeExecutor("w")
    orch = orchestrator(
        planner=data_plan(
            {"id": "a", "description": "a", "role": "planner_helper", "model": "m-override"},
            {"id": "b", "description": "b", "role": "worker", "category": "arith"},
        ),
        default_executor="w",
    )
    run_trace(orch, context(worker), make_task(model="task-model"))
    by_step = {r.step: r for r in worker.requests}
    assert by_step["a"].role == "planner_helper" and by_step["a"].model == "m-override"
    assert by_step["b"].model == "task-model"  # the per-task override still applies
    assert by_step["b"].category == "arith" and by_step["a"].category == "synthetic"


def test_route_on_label_picks_the_answering_executor() -> None:
    classifier = FakeExecutor("clf", answer="  Billing.\n")
    amounts = FakeExecutor("amounts", answer="$12.50")
    general = FakeExecutor("general", answer="general answer")
    orch = orchestrator(
        planner=data_plan(
            {"id": "classify", "description": "c", "role": "classifier", "fact": "label"},
            {
                "id": "answer",
                "description": "a",
                "role": "answerer",
                "depends_on": ["classify"],
                "route_on": "classify",
                "routes": {"billing": "amount_extractor", "shipping": "tracking"},
            },
        ),
        roles={"classifier": "clf", "amount_extractor": "amounts", "answerer": "general"},
        default_executor="general",
    )
    trace = run_trace(orch, context(classifier, amounts, general))
    assert trace.answer == "$12.50"
    info = step_info(trace.info, "answer")
    assert info["executor"] == "amounts" and info["role"] == "amount_extractor"
    assert info["routing"] == {"label": "billing", "by": "role", "role": "amount_extractor"}
    assert not general.requests
    assert trace.route == ("clf", "amounts")


def test_unknown_label_keeps_the_step_role() -> None:
    classifier = FakeExecutor("clf", answer="weird")
    general = FakeExecutor("general", answer="general answer")
    orch = orchestrator(
        planner=data_plan(
            {"id": "classify", "description": "c", "role": "classifier"},
            {
                "id": "answer",
                "description": "a",
                "role": "answerer",
                "depends_on": ["classify"],
                "route_on": "classify",
                "routes": {"billing": "classifier"},
            },
        ),
        roles={"classifier": "clf", "answerer": "general"},
    )
    trace = run_trace(orch, context(classifier, general))
    assert trace.answer == "general answer"
    assert "label 'weird' is not in routes" in step_info(trace.info, "answer")["routing"]["note"]  # type: ignore[index]


def test_latency_is_the_critical_path_and_cost_sums_every_call() -> None:
    a = FakeExecutor("a", service_s=0.2, cost_usd=0.001)
    b = FakeExecutor("b", service_s=0.5, cost_usd=0.002)
    c = FakeExecutor("c", service_s=0.1, cost_usd=0.004)
    orch = orchestrator(
        planner=data_plan(
            {"id": "x", "description": "x", "executor": "a"},
            {"id": "y", "description": "y", "executor": "b"},
            {"id": "z", "description": "z", "executor": "c", "depends_on": ["x", "y"]},
        )
    )
    trace = run_trace(orch, context(a, b, c))
    assert trace.latency_s == pytest.approx(0.6)
    assert trace.info["critical_path"] == ["y", "z"]
    assert trace.cost_usd == pytest.approx(0.007)
    assert step_info(trace.info, "y")["cost_usd"] == pytest.approx(0.002)


def test_budget_exceeded_propagates_and_cancels_the_other_steps() -> None:
    class Broke(FakeExecutor):
        async def complete(self, request: Request) -> Any:
            raise BudgetExceeded("cap reached")

    slow = FakeExecutor("slow", sleep_s=30.0)
    orch = orchestrator(
        planner=data_plan(
            {"id": "a", "description": "a", "executor": "broke"},
            {"id": "b", "description": "b", "executor": "slow"},
        )
    )
    with pytest.raises(BudgetExceeded):
        asyncio.run(asyncio.wait_for(orch.run(make_task(), context(Broke("broke"), slow)), 10))


def test_facts_metadata_of_the_wrong_type_is_a_recorded_failure() -> None:
    orch = orchestrator(planner=data_plan({"id": "a", "description": "a"}), default_executor="w")
    trace = run_trace(orch, context(FakeExecutor("w")), make_task(facts=["not", "a", "table"]))
    assert trace.error is not None and "metadata 'facts' must be a table" in trace.error
