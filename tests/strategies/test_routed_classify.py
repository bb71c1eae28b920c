"""``classify_then_route``: the classifier's label picks the executor; its call counts.

The executors are fakes (test doubles) and the tasks synthetic.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from routed_support import FakeExecutor, ctx_of, run, task

import toolkit.strategies._routed  # noqa: F401  (registers the routing kinds)
from toolkit._types import Request
from toolkit.strategies import build_strategy, parse_strategy_config
from toolkit.strategies._classify import ClassifyThenRoute, parse_label

LABELS = ["simple", "complex", "code_gen"]

SPEC = {
    "kind": "classify_then_route",
    "classifier": "tiny",
    "routes": {"simple": "cheap", "complex": "strong", "code_gen": "coder"},
    "default": "mid",
    "descriptions": {"simple": "a short factual question", "code_gen": "write a program"},
}


@pytest.mark.parametrize(
    ("text", "label", "how"),
    [
        ("complex", "complex", "exact"),
        ("  Complex.\n", "complex", "exact"),
        ("code-gen", "code_gen", "exact"),
        ("Code Gen", "code_gen", "exact"),
        ("Label: simple\nbecause it is short", "simple", "first_line"),
        ("**complex**", "complex", "exact"),
        ("I think this task is complex, not simple.", "complex", "search"),
        ("simplest", None, "unparsed"),
        ("", None, "unparsed"),
        ("no idea", None, "unparsed"),
    ],
)
def test_parse_label(text: str, label: str | None, how: str) -> None:
    assert parse_label(text, LABELS) == (label, how)


def _executors(label_answer: str) -> list[FakeExecutor]:
    return [
        FakeExecutor("tiny", answer=label_answer, cost=0.0001, service_s=0.05),
        FakeExecutor("cheap", answer="cheap says 4", cost=0.001, service_s=0.2),
        FakeExecutor("strong", answer="strong says 4", cost=0.1, service_s=1.0),
        FakeExecutor("coder", answer="def f(): pass", cost=0.02, service_s=0.5),
        FakeExecutor("mid", answer="mid says 4", cost=0.01, service_s=0.4),
    ]


@pytest.mark.parametrize(
    ("answer", "executor", "label"),
    [
        ("simple", "cheap", "simple"),
        ("COMPLEX", "strong", "complex"),
        ("code gen", "coder", "code_gen"),
    ],
)
def test_label_picks_executor_and_classifier_call_counts(
    answer: str, executor: str, label: str
) -> None:
    fakes = _executors(answer)
    trace = run(build_strategy(SPEC), task("t1", "What is 2 + 2?"), ctx_of(*fakes))
    assert [c.executor for c in trace.calls] == ["tiny", executor]
    assert trace.calls[0].step == "classify"
    assert trace.route == (executor,)
    assert trace.info["label"] == label and trace.info["executor"] == executor
    answering = next(f for f in fakes if f.name == executor)
    assert trace.cost_usd == pytest.approx(0.0001 + answering.cost)
    assert trace.latency_s == pytest.approx(0.05 + answering.service_s)
    # the answer call gets the task itself, the classifier the prompt built from the labels
    assert answering.requests[0].prompt == "What is 2 + 2?"


def test_unparseable_label_goes_to_default_and_says_why() -> None:
    fakes = _executors("hmm, hard to say")
    trace = run(build_strategy(SPEC), task("t2", "Anything"), ctx_of(*fakes))
    assert trace.route == ("mid",)
    assert trace.info["label"] is None and trace.info["parsed"] == "unparsed"
    assert trace.info["classifier_answer"] == "hmm, hard to say"
    assert trace.cost_usd == pytest.approx(0.0001 + 0.01)


def test_classifier_error_goes_to_default() -> None:
    fakes = _executors("simple")
    fakes[0] = FakeExecutor("tiny", error="timeout after 30s", cost=0.0)
    trace = run(build_strategy(SPEC), task("t3", "Anything"), ctx_of(*fakes))
    assert trace.route == ("mid",) and trace.error is None
    assert trace.info["parsed"] == "classifier_error"
    assert trace.info["classifier_error"] == "timeout after 30s"
    assert len(trace.calls) == 2


def test_classifier_prompt_lists_labels_and_descriptions() -> None:
    strategy = build_strategy(SPEC)
    assert isinstance(strategy, ClassifyThenRoute)
    prompt = strategy.classifier_prompt(task("t", "Sort a list in Python"))
    assert "simple, complex, code_gen" in prompt
    assert "- simple: a short factual question" in prompt
    assert "- code_gen: write a program" in prompt
    assert "Sort a list in Python" in prompt
    custom = build_strategy({**SPEC, "prompt": "Labels: {labels}\n{input}\n=>"})
    assert isinstance(custom, ClassifyThenRoute)
    assert custom.classifier_prompt(task("t", "Hi")) == "Labels: simple, complex, code_gen\nHi\n=>"


def test_specialist_classifier_reads_the_task_itself() -> None:
    def label(request: Request) -> str:
        return "code_gen" if "python" in request.prompt.lower() else "simple"

    fakes = _executors("")
    fakes[0] = FakeExecutor("tiny", answer=label)
    strategy = build_strategy({**SPEC, "classifier_input": "task"})
    trace = run(strategy, task("t", "Write Python to sort"), ctx_of(*fakes))
    assert fakes[0].requests[0].prompt == "Write Python to sort"
    assert trace.route == ("coder",)


def test_plan_lists_classifier_and_every_route() -> None:
    plan = build_strategy(SPEC).plan(task("t", "x"), ctx_of())
    assert [p.executor for p in plan] == ["tiny", "cheap", "strong", "coder", "mid"]
    assert plan[0].request.step == "classify" and "Label:" in plan[0].request.prompt


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"routes": {"Code Gen": "a", "code-gen": "b"}}, "are the same label"),
        ({"descriptions": {"other": "x"}}, "no route: other"),
        ({"prompt": "classify {text}"}, "unknown field"),
        ({"prompt": "classify into {labels}"}, "must contain {input}"),
        ({"routes": {}}, "at least 1 item"),
        ({"classifier_input": "raw"}, "'prompt' or 'task'"),
    ],
)
def test_bad_configs_are_rejected(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_strategy_config({**SPEC, **change})


def test_executor_refs_and_name() -> None:
    cfg = parse_strategy_config(SPEC)
    assert cfg.strategy_name == "classify_then_route"
    assert cfg.executor_refs() == [
        ("classifier", "tiny"),
        ("default", "mid"),
        ("routes.simple", "cheap"),
        ("routes.complex", "strong"),
        ("routes.code_gen", "coder"),
    ]
