"""``score_router``: fitted once on an earlier run's train outcomes; threshold and lambda.

The executors are fakes (test doubles); the fit run and tasks are synthetic: the weak
executor fails the arithmetic tasks and passes the greetings, the strong one passes all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from routed_support import FakeExecutor, ctx_of, run, synthetic_math_tasks, task, write_fit_run

import toolkit.strategies._routed  # noqa: F401  (registers the routing kinds)
from toolkit._errors import InputError
from toolkit.strategies import build_strategy, parse_strategy_config
from toolkit.strategies._score_router import ScoreRouter, read_train_outcomes
from toolkit.tasks._task import Task

COSTS = {"weak": 0.001, "mid": 0.01, "strong": 0.05}
MATH = task("new-math", "compute the sum of 11 and 30 then multiply the total by three")
HELLO = task("new-hello", "say a friendly hello to person number 77 in one short sentence")


def _outcome(t: Task, e: str) -> tuple[float, float]:
    if e == "weak":
        return (0.0 if t.category == "math" else 1.0), COSTS[e]
    if e == "mid":
        return (0.5 if t.category == "math" else 1.0), COSTS[e]
    return 1.0, COSTS[e]


@pytest.fixture
def fit(tmp_path: Path) -> tuple[Path, dict[str, Task]]:
    """A synthetic fit run: 40 train tasks plus 10 test tasks the router must not fit on."""
    train = synthetic_math_tasks(40, split="train")
    test = synthetic_math_tasks(10, split="test")
    # the test rows say the opposite, so fitting on them would flip the routing
    flipped = {t.id: t for t in test}

    def outcome(t: Task, e: str) -> tuple[float, float]:
        score, cost = _outcome(t, e)
        return (1.0 - score if t.id in flipped and e == "weak" else score), cost

    root = write_fit_run(tmp_path / "fit", [*train, *test], outcome, ["weak", "mid", "strong"])
    return root, {t.id: t for t in [*train, *test]}


def _fakes() -> list[FakeExecutor]:
    return [FakeExecutor(e, answer=f"{e} answer", cost=c) for e, c in COSTS.items()]


def _router(fit_run: Path, **cfg: Any) -> ScoreRouter:
    strategy = build_strategy({"kind": "score_router", "fit_run": str(fit_run), **cfg})
    assert isinstance(strategy, ScoreRouter)
    return strategy


def test_read_train_outcomes_joins_scores_costs_and_text(fit: tuple[Path, dict[str, Task]]) -> None:
    root, tasks = fit
    o = read_train_outcomes(root, ["weak", "strong"], tasks=tasks)
    assert len(o.task_ids) == 40 and all(t.startswith("train-") for t in o.task_ids)
    assert o.scores.shape == (40, 2)
    assert o.mean_cost_usd == {"weak": pytest.approx(0.001), "strong": pytest.approx(0.05)}
    assert o.texts[0] == tasks[o.task_ids[0]].input
    everything = read_train_outcomes(root, ["weak"], tasks=tasks, split="all")
    assert len(everything.task_ids) == 50


def test_two_executors_route_by_predicted_advantage(fit: tuple[Path, dict[str, Task]]) -> None:
    root, tasks = fit
    router = _router(root, executors=["weak", "strong"], threshold=0.3)
    ctx = ctx_of(*_fakes(), tasks=tasks)
    trace = run(router, MATH, ctx)
    assert trace.route == ("strong",) and trace.info["advantage"] >= 0.3
    assert trace.info["threshold"] == 0.3
    assert set(trace.info["predicted"]) == {"weak", "strong"}
    assert trace.info["fit"]["n_train"] == 40 and trace.info["fit"]["split"] == "train"
    assert trace.cost_usd == pytest.approx(0.05)
    trace = run(router, HELLO, ctx)
    assert trace.route == ("weak",) and trace.info["advantage"] < 0.3
    # a threshold of 1 never picks strong (the advantage is at most 1 only when weak surely
    # fails); a threshold of -1 always does
    never = _router(root, executors=["weak", "strong"], threshold=1.0)
    assert run(never, MATH, ctx).route == ("weak",)
    always = _router(root, executors=["weak", "strong"], threshold=-1.0)
    assert run(always, HELLO, ctx).route == ("strong",)


def test_many_executors_trade_score_against_cost(fit: tuple[Path, dict[str, Task]]) -> None:
    root, tasks = fit
    ctx = ctx_of(*_fakes(), tasks=tasks)
    free = _router(root, executors=["weak", "mid", "strong"], lambda_usd=0.0, signal="knn")
    trace = run(free, MATH, ctx)
    assert trace.route == ("strong",)  # best predicted score
    assert trace.info["mean_cost_usd"]["strong"] == pytest.approx(0.05)
    # on greetings every executor is predicted perfect: the tie goes to the cheapest
    assert run(free, HELLO, ctx).route == ("weak",)
    dear = _router(root, executors=["weak", "mid", "strong"], lambda_usd=1000.0, signal="knn")
    assert run(dear, MATH, ctx).route == ("weak",)  # cost dominates
    # lambda between: strong's gain over mid on math (~0.5) is worth less than 0.04 x lambda
    middle = _router(root, executors=["weak", "mid", "strong"], lambda_usd=20.0, signal="knn")
    trace = run(middle, MATH, ctx)
    u = trace.info["utility"]
    assert trace.route == (max(u, key=u.get),) == ("mid",)


def test_fit_once_and_plan_knows_the_choice(fit: tuple[Path, dict[str, Task]]) -> None:
    root, tasks = fit
    router = _router(root, executors=["weak", "strong"], threshold=0.3)
    assert [p.executor for p in router.plan(MATH, ctx_of())] == ["weak", "strong"]  # before fitting
    ctx = ctx_of(*_fakes(), tasks=tasks)
    run(router, MATH, ctx)
    fitted = router.scores.signal_
    run(router, HELLO, ctx)
    assert router.scores.signal_ is fitted  # cached on the strategy, not refitted
    assert [p.executor for p in router.plan(MATH, ctx)] == ["strong"]
    assert [p.executor for p in router.plan(HELLO, ctx)] == ["weak"]


def test_relative_fit_run_is_found_from_the_spec_folder(
    fit: tuple[Path, dict[str, Task]], tmp_path: Path
) -> None:
    _, tasks = fit
    router = build_strategy(
        {
            "kind": "score_router",
            "fit_run": "fit",
            "executors": ["weak", "strong"],
            "threshold": 0.0,
        }
    )
    trace = run(router, MATH, ctx_of(*_fakes(), tasks=tasks, base_dir=tmp_path))
    assert trace.info["fit"]["run"] == str(tmp_path / "fit")


def test_task_text_from_fit_tasks_files(fit: tuple[Path, dict[str, Task]], tmp_path: Path) -> None:
    import json

    root, tasks = fit
    path = tmp_path / "train.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": t.id, "input": t.input, "category": t.category, "target": "x"}) + "\n"
            for t in tasks.values()
        )
    )
    router = _router(root, executors=["weak", "strong"], threshold=0.3, fit_tasks=[str(path)])
    assert run(router, MATH, ctx_of(*_fakes())).route == ("strong",)


def test_fit_errors_say_what_is_missing(fit: tuple[Path, dict[str, Task]], tmp_path: Path) -> None:
    root, tasks = fit
    no_text = _router(root, executors=["weak", "strong"], threshold=0.3)
    with pytest.raises(InputError, match="no task text for 40 of 40 fit tasks"):
        run(no_text, MATH, ctx_of(*_fakes()))
    with pytest.raises(
        InputError, match=r"no scored single:<executor> rows of split 'train' for ghost"
    ):
        read_train_outcomes(root, ["weak", "ghost"], tasks=tasks)
    with pytest.raises(InputError, match="splits of single rows here: test, train"):
        read_train_outcomes(root, ["weak"], tasks=tasks, split="dev")
    missing = _router(tmp_path / "nowhere", executors=["weak", "strong"], threshold=0.3)
    with pytest.raises(InputError, match=r"fit_run: .*not found"):
        run(missing, MATH, ctx_of(*_fakes(), tasks=tasks))


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"executors": ["a", "b", "c"], "threshold": 0.5}, "with 3 executors give lambda_usd"),
        ({"executors": ["a", "b"], "threshold": 0.5, "lambda_usd": 1.0}, "not both"),
        ({"executors": ["a", "b"]}, "give threshold"),
        ({"executors": ["a", "b"], "threshold": 1.5}, "between -1 and 1"),
        ({"executors": ["a", "b"], "lambda_usd": -1.0}, "greater than or equal to 0"),
        ({"executors": ["a"], "lambda_usd": 1.0}, "at least 2 items"),
        ({"executors": ["a", "a"], "lambda_usd": 1.0}, "more than once"),
        (
            {"executors": ["a", "b"], "threshold": 0.1, "signal": "random"},
            "for offline evaluation only",
        ),
        (
            {"executors": ["a", "b"], "threshold": 0.1, "signal_settings": {"k": 0, "x": 1}},
            "signal_settings",
        ),
    ],
)
def test_bad_score_routers_are_rejected(cfg: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_strategy_config({"kind": "score_router", "fit_run": "runs/lab", **cfg})


def test_name_and_refs() -> None:
    cfg = parse_strategy_config(
        {
            "kind": "score_router",
            "fit_run": "r",
            "executors": ["a", "b"],
            "threshold": 0.2,
            "signal": "knn",
        }
    )
    assert cfg.strategy_name == "score_router:knn"
    assert cfg.executor_refs() == [("executors.0", "a"), ("executors.1", "b")]
