"""Unit tests of the judge grader's prompt and reply parsing, with a fake executor
(FakeJudge answers canned replies; no model is called)."""

from __future__ import annotations

import asyncio

import pytest
from grading_support import FakeJudge, make_task

from toolkit.grading import grade, grade_many, judge_prompt, parse_verdict


@pytest.mark.parametrize(
    ("reply", "value"),
    [
        ("Looks right.\nSCORE: 10", 1.0),
        ("Partly.\nSCORE: 7", 0.7),
        ("**Score:** 3/10", 0.3),
        ("score = 4 out of 5", 0.8),
        ("SCORE: 2\n...on reflection...\nSCORE: 9", 0.9),  # the last one counts
        ("VERDICT: correct", 1.0),
        ("Verdict: **incorrect**", 0.0),
        ("verdict: wrong", 0.0),
        ("VERDICT: pass", 1.0),
    ],
)
def test_parse_verdict(reply: str, value: float) -> None:
    assert parse_verdict(reply) == pytest.approx(value)


@pytest.mark.parametrize(
    "reply", ["", "I think it is fine.", "SCORE: 12", "SCORE: 3/0", "verdict: maybe"]
)
def test_parse_verdict_unreadable(reply: str) -> None:
    assert parse_verdict(reply) is None


def test_prompt_holds_task_targets_rubric_and_answer() -> None:
    task = make_task(["Paris", "paris, France"], "judge", input="Capital of France?")
    prompt = judge_prompt(task, "It is Paris.", "Accept the city name alone.")
    for part in (
        "Capital of France?",
        "- Paris",
        "- paris, France",
        "Accept the city name alone.",
        "<answer>\nIt is Paris.\n</answer>",
        "SCORE: N",
    ):
        assert part in prompt
    no_target = judge_prompt(make_task(None, "judge"), "x", "")
    assert "(none given)" in no_target and "correct and complete" in no_target


def test_judge_grade_records_its_call() -> None:
    judge = FakeJudge("The answer matches.\nSCORE: 8")
    task = make_task("Paris", "judge", {"rubric": "exact city"}, input="Capital of France?")
    g = grade(task, "Paris", judge_executor=judge)
    assert g.score == 1.0
    assert g.reason == "judge score 0.80 (pass at threshold 0.5)"
    assert len(g.calls) == 1 and g.calls[0].executor == "fake-judge"
    assert g.cost_usd == pytest.approx(0.0021)
    assert judge.requests[0].task_id == task.id and judge.requests[0].role == "judge"
    assert "exact city" in judge.requests[0].prompt


def test_judge_threshold_and_failures() -> None:
    task = make_task(None, "judge", {"pass_threshold": 0.9})
    assert grade(task, "x", judge_executor=FakeJudge("SCORE: 8")).score == 0.0
    g = grade(task, "x", judge_executor=FakeJudge("no verdict here"))
    assert g.score == 0.0 and "could not be parsed" in g.reason and len(g.calls) == 1
    g = grade(task, "x", judge_executor=FakeJudge("", error="HTTP 503"))
    assert g.score == 0.0 and g.reason == "judge call failed: HTTP 503"


def test_judge_in_grade_many() -> None:
    judge = FakeJudge("SCORE: 10", "SCORE: 0")
    tasks = [
        (make_task(None, "judge", id="a"), "good"),
        (make_task("42", "exact", id="b"), "42"),
        (make_task(None, "judge", id="c"), "bad"),
    ]
    grades = asyncio.run(grade_many(tasks, judge_executor=judge))
    assert [g.score for g in grades] == [1.0, 1.0, 0.0]
    assert [len(g.calls) for g in grades] == [1, 0, 1]
