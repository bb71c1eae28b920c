"""``cascade``: escalation under each acceptance signal, at its threshold; every call counts.

The executors are fakes (test doubles); tasks and the fit run are synthetic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from routed_support import (
    FakeExecutor,
    ctx_of,
    run,
    synthetic_math_tasks,
    task,
    write_fit_run,
)

import toolkit.strategies._routed  # noqa: F401  (registers the routing kinds)
from toolkit._errors import BudgetExceeded
from toolkit._types import Call, Request
from toolkit.strategies import build_strategy, parse_strategy_config
from toolkit.strategies._cascade import Cascade, agreement, parse_verdict
from toolkit.strategies._routed_common import SAMPLE_SETTING


def _ladder(**overrides: FakeExecutor) -> list[FakeExecutor]:
    fakes = {
        "cheap": FakeExecutor("cheap", answer="cheap answer", cost=0.001, service_s=0.2),
        "mid": FakeExecutor("mid", answer="mid answer", cost=0.01, service_s=0.5),
        "big": FakeExecutor("big", answer="big answer", cost=0.1, service_s=2.0),
    }
    fakes.update(overrides)
    return list(fakes.values())


CASCADE = {"kind": "cascade", "executors": ["cheap", "mid", "big"]}


# ----- declined ------------------------------------------------------------------------------


def test_declined_accepts_the_first_answer() -> None:
    trace = run(
        build_strategy({**CASCADE, "signal": "declined"}), task("t", "q"), ctx_of(*_ladder())
    )
    assert trace.route == ("cheap",) and trace.answer == "cheap answer"
    assert [c.executor for c in trace.calls] == ["cheap"]
    assert trace.info["escalations"] == 0


@pytest.mark.parametrize(
    "cheap",
    [
        FakeExecutor("cheap", declines=True),
        FakeExecutor("cheap", error="HTTP 503", cost=0.001, service_s=0.2),
        FakeExecutor("cheap", answer="   ", cost=0.001, service_s=0.2),
    ],
    ids=["declined", "error", "empty"],
)
def test_declined_escalates_past_declines_errors_and_empty_answers(cheap: FakeExecutor) -> None:
    fakes = _ladder(cheap=cheap)
    trace = run(build_strategy({**CASCADE, "signal": "declined"}), task("t", "q"), ctx_of(*fakes))
    assert trace.route == ("mid",) and trace.answer == "mid answer"
    assert [c.executor for c in trace.calls] == ["cheap", "mid"]
    assert trace.cost_usd == pytest.approx(sum(c.cost_usd for c in trace.calls))
    assert trace.latency_s == pytest.approx(cheap.service_s + 0.5)  # sequential calls add up
    assert trace.info["steps"][0]["accepted"] is False
    assert trace.info["accepted"] == "mid" and trace.info["escalations"] == 1


def test_last_answer_is_always_taken_even_a_failure() -> None:
    fakes = _ladder(
        cheap=FakeExecutor("cheap", declines=True),
        mid=FakeExecutor("mid", declines=True),
        big=FakeExecutor("big", error="HTTP 500"),
    )
    trace = run(build_strategy({**CASCADE, "signal": "declined"}), task("t", "q"), ctx_of(*fakes))
    assert trace.route == ("big",) and trace.error == "HTTP 500" and trace.answer == ""
    assert len(trace.calls) == 3 and trace.info["steps"][-1]["reason"] == "last executor"


# ----- verifier ------------------------------------------------------------------------------


def _verifier(verdicts: dict[str, str], cost: float = 0.002) -> FakeExecutor:
    """A fake verifier: its verdict depends on which proposed answer it is shown."""

    def verdict(request: Request) -> str:
        for answer, text in verdicts.items():
            if f"Proposed answer:\n{answer}\n" in request.prompt:
                return text
        return "no"

    return FakeExecutor("judge", answer=verdict, cost=cost, service_s=0.3)


def test_verifier_yes_accepts_and_its_call_counts() -> None:
    fakes = [*_ladder(), _verifier({"cheap answer": "Yes."})]
    cfg = {**CASCADE, "signal": "verifier", "verifier": "judge"}
    trace = run(build_strategy(cfg), task("t", "What is 2 + 2?"), ctx_of(*fakes))
    assert trace.route == ("cheap",) and trace.answer == "cheap answer"
    assert [(c.executor, c.step) for c in trace.calls] == [("cheap", ""), ("judge", "verify:cheap")]
    assert trace.cost_usd == pytest.approx(0.001 + 0.002)
    assert trace.latency_s == pytest.approx(0.2 + 0.3)
    assert "What is 2 + 2?" in fakes[-1].requests[0].prompt


def test_verifier_no_escalates_and_last_is_not_verified() -> None:
    fakes = [*_ladder(), _verifier({"mid answer": "no, wrong"})]
    cfg = {**CASCADE, "signal": "verifier", "verifier": "judge"}
    trace = run(build_strategy(cfg), task("t", "q"), ctx_of(*fakes))
    assert trace.route == ("big",)
    assert [c.executor for c in trace.calls] == ["cheap", "judge", "mid", "judge", "big"]
    assert trace.cost_usd == pytest.approx(0.001 + 0.002 + 0.01 + 0.002 + 0.1)
    assert trace.latency_s == pytest.approx(0.2 + 0.3 + 0.5 + 0.3 + 2.0)
    assert [s["confidence"] for s in trace.info["steps"][:2]] == [0.0, 0.0]


@pytest.mark.parametrize(("threshold", "route"), [(0.7, "cheap"), (0.75, "mid"), (0.0, "cheap")])
def test_verifier_score_threshold(threshold: float, route: str) -> None:
    fakes = [*_ladder(), _verifier({"cheap answer": "7", "mid answer": "9/10"})]
    cfg = {
        **CASCADE,
        "signal": "verifier",
        "verifier": "judge",
        "verifier_mode": "score",
        "threshold": threshold,
    }
    trace = run(build_strategy(cfg), task("t", "q"), ctx_of(*fakes))
    assert trace.route == (route,)
    assert trace.info["steps"][0]["confidence"] == pytest.approx(0.7)


def test_unreadable_or_failed_verdict_escalates() -> None:
    fakes = [*_ladder(), _verifier({"cheap answer": "maybe?", "mid answer": "8"})]
    cfg = {**CASCADE, "signal": "verifier", "verifier": "judge", "verifier_mode": "score"}
    trace = run(build_strategy(cfg), task("t", "q"), ctx_of(*fakes))
    assert trace.route == ("mid",)
    assert trace.info["steps"][0]["reason"] == "verdict unreadable"
    assert trace.info["steps"][0]["verdict"] == "maybe?"
    broken = FakeExecutor("judge", error="HTTP 429")
    trace = run(build_strategy(cfg), task("t", "q"), ctx_of(*_ladder(), broken))
    assert trace.route == ("big",)
    assert trace.info["steps"][0]["reason"] == "verifier failed: HTTP 429"


@pytest.mark.parametrize(
    ("text", "mode", "value"),
    [
        ("yes", "yes_no", 1.0),
        ("No.", "yes_no", 0.0),
        ('"Yes" - the answer is right', "yes_no", 1.0),
        ("The answer is correct.", "yes_no", 1.0),
        ("The answer is not correct.", "yes_no", 0.0),
        ("It is incorrect", "yes_no", 0.0),
        ("unsure", "yes_no", None),
        ("8", "score", 0.8),
        ("Rating: 10", "score", 1.0),
        ("7.5/10", "score", 0.75),
        ("90%", "score", 0.9),
        ("42", "score", None),
        ("high", "score", None),
    ],
)
def test_parse_verdict(text: str, mode: Any, value: float | None) -> None:
    got = parse_verdict(text, mode)
    assert got == (None if value is None else pytest.approx(value))


# ----- agreement -----------------------------------------------------------------------------


def _sampler(name: str, answers: list[str], cost: float, service: list[float]) -> FakeExecutor:
    """A fake executor whose j-th sample (settings["sample"] = j) answers ``answers[j]``."""
    fake = FakeExecutor(name, cost=cost)

    async def complete(request: Request) -> Call:
        fake.requests.append(request)
        j = request.settings.get(SAMPLE_SETTING, 0)
        return Call(
            executor=name,
            model="fake",
            text=answers[j],
            cost_usd=cost,
            service_s=service[j],
            task_id=request.task_id,
            step=request.step,
        )

    fake.complete = complete  # type: ignore[method-assign]
    return fake


@pytest.mark.parametrize(("threshold", "route"), [(0.6, "cheap"), (2 / 3, "cheap"), (0.7, "mid")])
def test_agreement_share_against_threshold(threshold: float, route: str) -> None:
    cheap = _sampler("cheap", ["Four.", "5", "four"], 0.001, [0.3, 0.5, 0.4])
    cfg = {
        "kind": "cascade",
        "executors": ["cheap", "mid"],
        "signal": "agreement",
        "threshold": threshold,
        "samples": 3,
        "temperature": 0.9,
    }
    fakes = _ladder(cheap=cheap)
    trace = run(build_strategy(cfg), task("t", "2+2?"), ctx_of(*fakes))
    assert trace.route == (route,)
    assert trace.info["steps"][0]["agreement"] == pytest.approx(2 / 3)
    settings = [r.settings for r in cheap.requests]
    assert settings == [{"temperature": 0.9, SAMPLE_SETTING: j} for j in range(3)]
    assert [c.step for c in trace.calls[:3]] == ["sample:0", "sample:1", "sample:2"]
    if route == "cheap":
        assert trace.answer == "Four." and len(trace.calls) == 3
        assert trace.latency_s == pytest.approx(0.5)  # samples overlap: the slowest counts
        assert trace.cost_usd == pytest.approx(0.003)
    else:
        assert trace.answer == "mid answer" and len(trace.calls) == 4
        assert trace.latency_s == pytest.approx(0.5 + 0.5)
        assert trace.cost_usd == pytest.approx(0.003 + 0.01)


def test_agreement_counts_failures_as_disagreeing() -> None:
    calls = [
        Call(executor="a", model="m", text="x"),
        Call(executor="a", model="m", text="", error="boom"),
        Call(executor="a", model="m", text="X "),
        Call(executor="a", model="m", text="", declined=True),
    ]
    share, chosen = agreement(calls)
    assert share == 0.5 and chosen is calls[0]
    assert agreement([Call(executor="a", model="m", text="", error="e")]) == (0.0, None)


def test_a_budget_stop_in_parallel_samples_propagates_as_itself() -> None:
    async def refuse(request: Request) -> Call:
        raise BudgetExceeded("budget cap reached")

    cheap = FakeExecutor("cheap")
    cheap.complete = refuse  # type: ignore[method-assign]
    cfg = {"kind": "cascade", "executors": ["cheap", "mid"], "signal": "agreement"}
    with pytest.raises(BudgetExceeded, match="budget cap reached"):
        run(build_strategy(cfg), task("t", "q"), ctx_of(cheap, FakeExecutor("mid")))


# ----- score ---------------------------------------------------------------------------------


def _fit_run(tmp_path: Path) -> Path:
    """A synthetic fit run: cheap fails the math tasks and passes the greetings."""
    train = synthetic_math_tasks(40, split="train")

    def outcome(t: Any, e: str) -> tuple[float, float]:
        if e == "cheap":
            return (0.0 if t.category == "math" else 1.0), 0.001
        return 1.0, 0.05

    return write_fit_run(tmp_path / "fit", train, outcome, ["cheap", "big"])


def test_score_signal_skips_an_executor_predicted_to_fail(tmp_path: Path) -> None:
    fit = _fit_run(tmp_path)
    train = {t.id: t for t in synthetic_math_tasks(40, split="train")}
    cfg = {
        "kind": "cascade",
        "executors": ["cheap", "big"],
        "signal": "score",
        "threshold": 0.5,
        "fit_run": str(fit),
    }
    strategy = build_strategy(cfg)
    assert isinstance(strategy, Cascade)
    fakes = _ladder()
    ctx = ctx_of(*fakes, tasks=train)
    math = task("new-1", "compute the sum of 3 and 9 then multiply the total by three")
    trace = run(strategy, math, ctx)
    assert trace.route == ("big",) and [c.executor for c in trace.calls] == ["big"]
    step = trace.info["steps"][0]
    assert step["called"] is False and step["predicted"] < 0.5
    hello = task("new-2", "say a friendly hello to person number 5 in one short sentence")
    trace = run(strategy, hello, ctx)
    assert trace.route == ("cheap",) and trace.info["steps"][0]["predicted"] >= 0.5
    assert strategy.scores is not None and strategy.scores.summary()["n_train"] == 40


# ----- configs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"executors": [], "signal": "declined"}, "at least two executors"),
        ({"executors": ["a"], "signal": "declined"}, "at least two executors"),
        ({"executors": ["a", "a"], "signal": "declined"}, "more than once"),
        ({"executors": ["a", "b"], "signal": "agreement", "threshold": 1.5}, "between 0 and 1"),
        ({"executors": ["a", "b"], "signal": "agreement", "threshold": -0.1}, "between 0 and 1"),
        ({"executors": ["a", "b"], "signal": "declined", "threshold": 0.5}, "has no threshold"),
        ({"executors": ["a", "b"], "signal": "verifier"}, "needs verifier"),
        ({"executors": ["a", "b"], "signal": "score"}, "signal .score.: give fit_run"),
        (
            {"executors": ["a", "b"], "signal": "declined", "samples": 5},
            "only with signal = 'agreement'",
        ),
        (
            {"executors": ["a", "b"], "signal": "agreement", "verifier": "a"},
            "only with signal = 'verifier'",
        ),
        (
            {"executors": ["a", "b"], "signal": "agreement", "samples": 1},
            "greater than or equal to 2",
        ),
        (
            {"executors": ["a", "b"], "signal": "vibes"},
            "'declined', 'verifier', 'agreement' or 'score'",
        ),
        (
            {
                "executors": ["a", "b"],
                "signal": "verifier",
                "verifier": "a",
                "verifier_prompt": "{input}?",
            },
            "must contain {answer}",
        ),
        (
            {
                "executors": ["a", "b"],
                "signal": "score",
                "fit_run": "r",
                "estimator_settings": {"kk": 1},
            },
            "estimator_settings",
        ),
    ],
)
def test_bad_cascades_are_rejected(cfg: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_strategy_config({"kind": "cascade", **cfg})


def test_names_refs_and_plan() -> None:
    cfg = parse_strategy_config({**CASCADE, "signal": "verifier", "verifier": "judge"})
    assert cfg.strategy_name == "cascade:verifier"
    assert cfg.executor_refs() == [
        ("executors.0", "cheap"),
        ("executors.1", "mid"),
        ("executors.2", "big"),
        ("verifier", "judge"),
    ]
    plan = build_strategy(cfg).plan(task("t", "q"), ctx_of())
    assert [(p.executor, p.request.step) for p in plan] == [
        ("cheap", ""),
        ("judge", "verify:cheap"),
        ("mid", ""),
        ("judge", "verify:mid"),
        ("big", ""),
    ]
    agree = build_strategy({**CASCADE, "signal": "agreement", "samples": 2})
    assert [p.request.step for p in agree.plan(task("t", "q"), ctx_of())] == [
        "sample:0",
        "sample:1",
        "sample:0",
        "sample:1",
        "",
    ]
