"""Record once, evaluate offline: a live run over recorded outcomes makes the offline choice.

For random outcome matrices with ties (synthetic: scores in {0, 0.5, 1}, costs that tie), every
built-in strategy with an offline policy (``single``, ``random``, ``score_router`` with a
threshold and with lambda, ``cascade``) and a plugin strategy is run live, through
``toolkit run``, by executors that replay the matrix's outcomes; each task's chosen executor,
score and cost must equal the offline evaluation's, to 1e-12. ``oracle`` has no live form.

The signal is a test signal with exact arithmetic (each first word's mean train score over
groups of 8 tasks), so what is tested is the decision code, not a fit's rounding.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest
from pydantic import Field

import toolkit
from toolkit.analysis._policies import (
    EvalData,
    cascade,
    cascade_stages,
    offline_setting,
    random_router,
    score_router,
    singles,
)
from toolkit.models import ExecutorBase
from toolkit.outcomes import OutcomeMatrix
from toolkit.registry import REGISTRY
from toolkit.runner import run_spec
from toolkit.runs import read_results
from toolkit.strategies import PlannedCall, StrategyConfig, StrategyContext

EXECUTORS = ("mid", "cheap", "big")  # column order differs from name order on purpose
COSTS = (2.0**-9, 2.0**-10, 2.0**-8)  # exact in binary, so sums and means do not round
N_GROUPS, PER_GROUP = 4, 8
SEED = 7


class ReplayConfig(ExecutorBase):
    kind: Literal["replay_test"] = "replay_test"
    outcomes: dict[str, list[float]] = Field(default_factory=dict)  # prompt -> [score, cost]


class Replay:
    """Answers each prompt with its recorded score as text, at its recorded cost."""

    def __init__(self, config: ReplayConfig) -> None:
        self.name = config.name
        self.config = config

    async def complete(self, request: toolkit.Request) -> toolkit.Call:
        score, cost = self.config.outcomes[request.prompt]
        return toolkit.Call(
            self.name, "replay", repr(score), cost_usd=cost, task_id=request.task_id
        )


class FirstWordMean:
    """Each first word's mean train score per executor (exact for groups of 8)."""

    def fit(self, train: Any) -> FirstWordMean:
        words = [str(t).split()[0] for t in train.text]
        self.table_ = {w: train.score[[x == w for x in words]].mean(axis=0) for w in set(words)}
        return self

    def predict(self, x: Any) -> np.ndarray:
        texts = x.text if hasattr(x, "text") else [t.input for t in x]
        return np.array([self.table_[str(t).split()[0]] for t in texts])


class ByLengthConfig(StrategyConfig):
    kind: Literal["by_length_test"] = "by_length_test"
    executors: list[str] = Field(default_factory=lambda: sorted(EXECUTORS))


def by_length_choice(text: str, executors: list[str]) -> str:
    """The plugin's rule, used live and offline: the prompt's length picks the executor."""
    return executors[len(text) % len(executors)]


class ByLength:
    def __init__(self, config: ByLengthConfig) -> None:
        self.config = config
        self.name = config.strategy_name

    def prepare(self, ctx: StrategyContext) -> None:
        pass

    def plan(self, task: toolkit.Task, ctx: StrategyContext) -> list[PlannedCall]:
        name = by_length_choice(task.input, self.config.executors)
        return [PlannedCall(name, ctx.request(task, name))]

    async def run(self, task: toolkit.Task, ctx: StrategyContext) -> toolkit.Trace:
        name = by_length_choice(task.input, self.config.executors)
        call = await ctx.executor(name).complete(ctx.request(task, name))
        return toolkit.Trace(answer=call.text, calls=(call,), route=(name,))


def by_length_offline(matrix: OutcomeMatrix, fitted: Any) -> list[str]:
    return [by_length_choice(str(t), fitted.config.executors) for t in matrix.text]


@pytest.fixture(scope="module", autouse=True)
def plugin_kinds() -> Iterator[None]:
    toolkit.executor("replay_test", config=ReplayConfig)(Replay)
    toolkit.grader("as_number_test", summary="the answer is the score")(
        lambda task, answer: float(answer)
    )
    toolkit.signal("first_word_mean_test")(FirstWordMean)
    toolkit.strategy("by_length_test", config=ByLengthConfig, offline=by_length_offline)(ByLength)
    yield
    for kind, name in [
        ("executor", "replay_test"),
        ("grader", "as_number_test"),
        ("signal", "first_word_mean_test"),
        ("strategy", "by_length_test"),
    ]:
        REGISTRY.unregister(kind, name)


def _matrix(seed: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = N_GROUPS * PER_GROUP
    texts = [f"w{i % N_GROUPS} task {'x' * int(rng.integers(0, 5))} {i}" for i in range(n)]
    score = rng.choice([0.0, 0.5, 1.0], size=(n, len(EXECUTORS)))
    cost = np.tile(COSTS, (n, 1))
    cost[rng.random(n) < 0.3, 0] = COSTS[1]  # mid is sometimes as cheap as cheap
    return texts, score, cost


def _write_run(
    root: Path, texts: list[str], score: np.ndarray, cost: np.ndarray, strategies: str, name: str
) -> Path:
    tasks = root / f"{name}.jsonl"
    tasks.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"t{i:02d}",
                    "input": t,
                    "category": t.split()[0],
                    "target": "-",
                    "grader": "as_number_test",
                    "split": "train",
                }
            )
            + "\n"
            for i, t in enumerate(texts)
        )
    )
    executors = "".join(
        textwrap.dedent(
            f"""
            [[executors]]
            name = "{e}"
            kind = "replay_test"
            outcomes = {{ {", ".join(f'"{t}" = [{float(score[i, j])!r}, {float(cost[i, j])!r}]' for i, t in enumerate(texts))} }}
            """
        )
        for j, e in enumerate(EXECUTORS)
    )
    spec = root / f"{name}.toml"
    spec.write_text(
        f'name = "{name}"\n[tasks]\npaths = ["{tasks.name}"]\n[cache]\nenabled = false\n'
        + executors
        + strategies
    )
    out = root / f"run-{name}"
    run_spec(spec, out=out, progress=False)
    return out


def _live(run: Path) -> dict[str, dict[str, tuple[str, float, float]]]:
    """strategy -> task id -> (executor answering, score, cost)."""
    out: dict[str, dict[str, tuple[str, float, float]]] = {}
    for r in read_results(run):
        assert r.score is not None and r.route, r
        out.setdefault(r.strategy, {})[r.task_id] = (r.route[-1], r.score, r.cost_usd)
    return out


def _assert_same(
    label: str, live: dict[str, tuple[str, float, float]], setting: Any, matrix: OutcomeMatrix
) -> None:
    outcome = setting.test
    assert outcome.choice is not None
    for i, tid in enumerate(matrix.task_ids):
        executor, score, cost = live[str(tid)]
        assert executor == matrix.executors[int(outcome.choice[i])], (label, tid)
        assert abs(score - outcome.score[i]) <= 1e-12, (label, tid)
        assert abs(cost - outcome.cost[i]) <= 1e-12, (label, tid)
    live_quality = np.mean([live[str(t)][1] for t in matrix.task_ids])
    assert abs(live_quality - outcome.quality) <= 1e-12, label


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_live_runs_choose_what_offline_evaluation_chose(tmp_path: Path, seed: int) -> None:
    texts, score, cost = _matrix(seed)
    singles_toml = "".join(
        f'[[strategies]]\nkind = "single"\nexecutor = "{e}"\n' for e in EXECUTORS
    )
    fit_run = _write_run(tmp_path, texts, score, cost, singles_toml, "fit")
    matrix = OutcomeMatrix.from_run(fit_run)
    assert matrix.n_tasks == len(texts) and matrix.has_text
    data = EvalData.prepare(matrix, matrix, seed=SEED)
    sig = "first_word_mean_test"

    # the offline settings, and the live strategies that should match them
    picked: dict[str, Any] = {}
    strategies = ""
    for s in singles(data):
        picked[s.name] = s
    strategies += singles_toml.replace('executor = "big"', 'executor = "big"\nname = "baseline"')
    picked["baseline"] = picked.pop("single:big")

    strong, weak = data.single_best, data.cheapest
    if strong != weak:
        rnd = next(s for s in random_router(data, strong, weak) if s.params["strong_share"] == 0.4)
        picked["random"] = rnd
        strategies += (
            f'[[strategies]]\nkind = "random"\nseed = {SEED}\n'
            f"shares = {{ {rnd.params['strong']} = 0.4, {rnd.params['weak']} = 0.6 }}\n"
        )

    two = EvalData.prepare(*(matrix.select_executors(["cheap", "big"]),) * 2, seed=SEED)
    for k, s in enumerate(score_router(two, sig)):
        picked[f"threshold-{k}"] = (s, two)
        strategies += (
            f'[[strategies]]\nkind = "score_router"\nname = "threshold-{k}"\nsignal = "{sig}"\n'
            f'executors = ["{s.params["weak"]}", "{s.params["strong"]}"]\n'
            f'threshold = {s.params["threshold"]!r}\nfit_run = "{fit_run}"\n'
        )
    for k, s in enumerate(score_router(data, sig)[::4]):
        picked[f"lambda-{k}"] = s
        strategies += (
            f'[[strategies]]\nkind = "score_router"\nname = "lambda-{k}"\nsignal = "{sig}"\n'
            f"executors = {json.dumps(list(EXECUTORS))}\nlambda_usd = {s.params['lambda']!r}\n"
            f'fit_run = "{fit_run}"\n'
        )
    stages = [data.executors[j] for j in cascade_stages(data)]
    for k, s in enumerate(cascade(data, sig)[::3]):
        picked[f"cascade-{k}"] = s
        strategies += (
            f'[[strategies]]\nkind = "cascade"\nname = "cascade-{k}"\nsignal = "score"\n'
            f'estimator = "{sig}"\nexecutors = {json.dumps(stages)}\n'
            f'threshold = {min(1.0, s.params["threshold"])!r}\nfit_run = "{fit_run}"\n'
        )
    picked["by_length_test"] = offline_setting(data, "by_length_test")
    strategies += '[[strategies]]\nkind = "by_length_test"\n'

    live = _live(_write_run(tmp_path, texts, score, cost, strategies, "live"))
    assert set(live) == set(picked)
    for name, setting in picked.items():
        if isinstance(setting, tuple):
            setting, d = setting
            _assert_same(name, live[name], setting, d.test)
        else:
            _assert_same(name, live[name], setting, matrix)


def test_a_single_strategy_named_baseline_is_its_executors_column(tmp_path: Path) -> None:
    texts, score, cost = _matrix(0)
    strategies = (
        '[[strategies]]\nkind = "single"\nexecutor = "big"\nname = "baseline"\n'
        '[[strategies]]\nkind = "single"\nexecutor = "cheap"\n'
    )
    run = _write_run(tmp_path, texts, score, cost, strategies, "named")
    matrix = OutcomeMatrix.from_run(run)
    assert set(matrix.executors) == {"big", "cheap"}
    j = matrix.index("big")
    assert np.array_equal(matrix.score[:, j], score[[int(t[1:]) for t in matrix.task_ids], 2])
    rows = [r for r in read_results(run) if r.strategy == "baseline"]
    assert rows and all(r.strategy_kind == "single" and r.executor == "big" for r in rows)
