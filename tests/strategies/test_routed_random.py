"""``random``: the zero router's mix matches its shares, deterministically per task id.

The executors are fakes (test doubles); the task ids and the reference run are synthetic.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from routed_support import FakeExecutor, ctx_of, run, task

import toolkit.strategies._routed  # noqa: F401  (registers the routing kinds)
from toolkit._errors import InputError, ToolkitError
from toolkit._types import Trace
from toolkit.runs import Manifest, ResultRecord, RunWriter
from toolkit.strategies import build_strategy, parse_strategy_config
from toolkit.strategies._random import RandomRouter

SHARES = {"cheap": 0.5, "mid": 0.3, "big": 0.2}


def _router(**cfg: Any) -> RandomRouter:
    strategy = build_strategy({"kind": "random", **cfg})
    assert isinstance(strategy, RandomRouter)
    return strategy


def test_mix_matches_shares_on_many_synthetic_tasks() -> None:
    router = _router(shares=SHARES)
    n = 20000
    counts = Counter(router.choose(task(f"synthetic-{i}", "ignored"))[0] for i in range(n))
    for name, share in SHARES.items():
        assert counts[name] / n == pytest.approx(share, abs=0.01)


def test_choice_is_deterministic_and_blind_to_the_prompt() -> None:
    a = _router(shares=SHARES)
    b = _router(shares=dict(reversed(SHARES.items())))  # key order does not matter
    ids = [f"synthetic-{i}" for i in range(200)]
    first = [a.choose(task(i, "one prompt"))[0] for i in ids]
    assert first == [b.choose(task(i, "a different prompt"))[0] for i in reversed(ids)][::-1]
    other_seed = _router(shares=SHARES, seed=7)
    assert first != [other_seed.choose(task(i, "x"))[0] for i in ids]


def test_weights_are_normalised_and_zero_shares_never_chosen() -> None:
    router = _router(shares={"a": 2.0, "b": 6.0, "c": 0.0})
    assert router.shares_ == {"a": 0.25, "b": 0.75}
    picks = {router.choose(task(f"synthetic-{i}", ""))[0] for i in range(500)}
    assert picks == {"a", "b"}


def test_run_calls_the_drawn_executor_once() -> None:
    router = _router(shares=SHARES)
    fakes = [
        FakeExecutor(n, answer=n, cost=c)
        for n, c in (("cheap", 0.001), ("mid", 0.01), ("big", 0.1))
    ]
    t = task("synthetic-42", "q")
    expected, _ = router.choose(t)
    trace = run(router, t, ctx_of(*fakes))
    assert trace.route == (expected,) and trace.answer == expected
    assert len(trace.calls) == 1 and trace.info["executor"] == expected
    assert 0.0 <= trace.info["draw"] < 1.0
    assert [p.executor for p in router.plan(t, ctx_of(*fakes))] == [expected]


def _reference_run(root: Path) -> Path:
    """A synthetic run where strategy "rules" answered 30 tasks with cheap and 10 with big."""
    writer = RunWriter.create(root, Manifest(name="synthetic-reference"))
    for i in range(40):
        answered = "cheap" if i < 30 else "big"
        route = ("cheap", answered) if i >= 30 else (answered,)
        writer.add_result(
            ResultRecord.from_trace(
                Trace(answer="x", route=route), task_id=f"t{i}", strategy="rules"
            )
        )
        writer.add_result(
            ResultRecord.from_trace(
                Trace(answer="x", route=("mid",)), task_id=f"t{i}", strategy="single:mid"
            )
        )
    writer.finish()
    return root


def test_shares_from_a_reference_strategy(tmp_path: Path) -> None:
    _reference_run(tmp_path / "ref")
    router = _router(shares_from={"run": "ref", "strategy": "rules"})
    with pytest.raises(ToolkitError, match="call prepare"):
        router.plan(task("x", "q"), ctx_of())
    fakes = [FakeExecutor(n) for n in ("cheap", "mid", "big")]
    ctx = ctx_of(*fakes, base_dir=tmp_path)
    trace = run(router, task("synthetic-1", "q"), ctx)
    assert router.shares_ == {"big": 0.25, "cheap": 0.75}
    assert "rules (40 tasks)" in trace.info["shares_from"]
    wrong = _router(shares_from={"run": str(tmp_path / "ref"), "strategy": "cascade"})
    with pytest.raises(InputError, match="strategies here: rules, single:mid"):
        run(wrong, task("synthetic-1", "q"), ctx)
    only_cheap = _router(shares_from={"run": str(tmp_path / "ref"), "strategy": "rules"})
    with pytest.raises(InputError, match="routed to big, which this spec does not define"):
        run(only_cheap, task("synthetic-1", "q"), ctx_of(FakeExecutor("cheap")))


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({}, "exactly one of"),
        ({"shares": {"a": 1.0}, "shares_from": {"run": "r", "strategy": "s"}}, "exactly one of"),
        ({"shares": {}}, "names no executor"),
        ({"shares": {"a": -1.0, "b": 1.0}}, "finite and >= 0"),
        ({"shares": {"a": 0.0}}, "sum to 0"),
        ({"shares_from": {"run": "r"}}, "strategy"),
    ],
)
def test_bad_random_configs(cfg: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_strategy_config({"kind": "random", **cfg})


def test_name_and_refs() -> None:
    cfg = parse_strategy_config({"kind": "random", "shares": {"b": 1, "a": 1}})
    assert cfg.strategy_name == "random"
    assert cfg.executor_refs() == [("shares.b", "b"), ("shares.a", "a")]
