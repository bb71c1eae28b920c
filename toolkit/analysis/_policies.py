"""Strategies evaluated offline over outcome matrices, with array arithmetic.

Each strategy family yields *settings* (one per threshold, lambda or mix). A setting's outcome
on a task set is its per-task score, cost and latency, and the share of tasks that called
each executor. Learned parts are fitted on train only: test predictions come from a signal
fitted on all of train, and train predictions (used to choose thresholds and parity
settings) are out-of-fold, so tuning does not fool itself.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from toolkit._errors import InputError
from toolkit.analysis._baseline import choose_baseline, default_weak
from toolkit.outcomes import OutcomeMatrix
from toolkit.signals import strong_advantage
from toolkit.strategies import (
    cascade_stop,
    draw_from_shares,
    route_by_advantage,
    route_by_utility,
    routes_by_utility,
    share_order,
    unit_draws,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

DEFAULT_SIGNALS = ("tfidf_logreg", "knn")
#: ``score_router:auto`` and ``cascade:auto`` choose among these (those installed) by train CV.
AUTO_SIGNALS = (
    "tfidf_logreg",
    "knn",
    "category_prior",
    "embed_logreg",
    "embed_knn",
    "embed_mlp",
    "mf",
)
AUTO = "auto"
SHARE_GRID = np.linspace(0.0, 1.0, 21)
#: At most this many lambdas per signal (every switching point when there are fewer).
MAX_LAMBDAS = 200
#: Each switching point of the lambda grid is taken this much (relatively) above the crossing.
NUDGE = 1e-9
OOF_FOLDS = 5


@dataclass(frozen=True, eq=False)
class Outcome:
    """A setting's per-task results on one task set."""

    score: FloatArray
    cost: FloatArray
    latency: FloatArray
    share: FloatArray  # per executor: fraction of tasks that called it
    choice: IntArray | None = None  # per task: the executor (column) whose answer is used

    @property
    def quality(self) -> float:
        """Mean score."""
        return float(self.score.mean()) if len(self.score) else float("nan")

    @property
    def cost_per_task(self) -> float:
        """Mean cost per task."""
        return float(self.cost.mean()) if len(self.cost) else float("nan")


@dataclass(frozen=True, eq=False)
class Setting:
    """One strategy setting, evaluated on test (and on train, for tuning and parity)."""

    family: str
    name: str
    params: dict[str, Any]
    test: Outcome
    train: Outcome | None = None


@dataclass(eq=False)
class EvalData:
    """Train and test matrices with the cost axis used for evaluation.

    ``cost_axis`` is the matrices' axis (:attr:`OutcomeMatrix.axis`): ``"usd"`` (recorded
    dollars), ``"tokens"`` (dollars estimated from token counts), ``"rank"`` (a call costs its
    executor's 1-based price rank, cheapest 1) or ``"strong_share"`` (RouteLLM data: a call to
    the strong executor, the baseline ``single_best``, costs 1 and any other call 0, so a
    strategy's cost per task is its share of strong calls, as RouteLLM counts it).

    ``single_best`` is the baseline (:func:`toolkit.analysis._baseline.choose_baseline`),
    ``weak`` the default weak executor of a pair, ``target_rows`` the train tasks on which
    parity targets are measured.
    """

    train: OutcomeMatrix
    test: OutcomeMatrix
    seed: int = 0
    cost_axis: str = "usd"
    train_cost: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    test_cost: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    single_best: int = 0
    cheapest: int = 0
    weak: int = 0
    chosen_by: str = "train"
    target_rows: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    notes: list[str] = field(default_factory=list)
    _pred: dict[str, tuple[FloatArray, FloatArray]] = field(default_factory=dict)
    #: What ``auto`` chose and each candidate's out-of-fold train AIQ.
    auto_choice: dict[str, Any] | None = None

    @classmethod
    def prepare(
        cls,
        train: OutcomeMatrix,
        test: OutcomeMatrix,
        *,
        seed: int = 0,
        baseline: str | None = None,
        baseline_by: str = "train",
    ) -> EvalData:
        """Align executors, pick the cost axis, the baseline (single_best) and the weak one."""
        if train.n_tasks == 0 or test.n_tasks == 0:
            raise InputError(
                f"evaluation needs train and test tasks; got {train.n_tasks} train and "
                f"{test.n_tasks} test"
            )
        if set(train.executors) != set(test.executors):
            raise InputError(
                "train and test have different executors: "
                f"train {', '.join(train.executors)}; test {', '.join(test.executors)}"
            )
        test = test.select_executors(train.executors)
        if train.axis != test.axis:
            raise InputError(
                f"train and test have different cost axes: train {train.axis!r}, test "
                f"{test.axis!r}; import both with the same --cost-axis (and --cost-rank)"
            )
        data = cls(train=train, test=test, seed=seed, cost_axis=train.axis)
        q_train = train.score.mean(axis=0)
        tr_cost, te_cost = train.axis_cost(), test.axis_cost()
        if tr_cost is not None and te_cost is not None:
            data.train_cost, data.test_cost = tr_cost, te_cost
            chosen = choose_baseline(
                train, tr_cost.mean(axis=0), baseline=baseline, by=baseline_by, seed=seed
            )
            data.single_best = chosen.index
            data.notes.extend(AXIS_NOTES.get(data.cost_axis, ()))
        else:
            chosen = choose_baseline(
                train, np.zeros_like(q_train), baseline=baseline, by=baseline_by, seed=seed
            )
            data.single_best = chosen.index
            ind = (np.arange(train.n_executors) == data.single_best).astype(np.float64)
            data.train_cost = np.tile(ind, (train.n_tasks, 1))
            data.test_cost = np.tile(ind, (test.n_tasks, 1))
            data.notes.append(
                "cost is unknown in these outcomes: the cost axis is the share of calls to the "
                f"strong executor {train.executors[data.single_best]!r} (single_best), as "
                "RouteLLM counts it; cost_usd fields count those calls and cost_per_task is "
                "their share"
            )
        data.chosen_by, data.target_rows = chosen.chosen_by, chosen.target_rows
        data.notes.extend(chosen.notes)
        c_train_eff = data.train_cost.mean(axis=0)
        data.cheapest = int(
            min(range(train.n_executors), key=lambda j: (c_train_eff[j], -q_train[j], j))
        )
        data.weak = default_weak(q_train, c_train_eff, data.single_best)
        return data

    @property
    def executors(self) -> tuple[str, ...]:
        """Executor names, in column order."""
        return self.train.executors

    def mean_train_cost(self) -> FloatArray:
        """Each executor's mean train cost per task (on the cost axis)."""
        result: FloatArray = self.train_cost.mean(axis=0)
        return result

    def predictions(self, signal: str) -> tuple[FloatArray, FloatArray]:
        """(out-of-fold train predictions, test predictions) of a signal, fitted on train.

        Each signal is fitted once per split (its folds and all of train) and the
        predictions are reused by every setting, pair and family that reads it. ``auto`` is
        the signal :meth:`auto_signal` chooses."""
        if signal == AUTO:
            signal = self.auto_signal()
        if signal not in self._pred:
            from toolkit.signals import fit_predict

            self._pred[signal] = fit_predict(
                signal, self.train, self.test, folds=OOF_FOLDS, seed=self.seed
            )
        return self._pred[signal]

    def auto_signal(self) -> str:
        """The candidate signal (:data:`AUTO_SIGNALS`, those installed) whose score router has
        the best AIQ on the out-of-fold train predictions, over the single executors' train
        cost range; test is never looked at. Ties go to the first candidate."""
        if self.auto_choice is not None:
            return str(self.auto_choice["signal"])
        from toolkit.analysis._metrics import aiq
        from toolkit.registry import REGISTRY

        installed = {r["name"] for r in REGISTRY.listing("signal") if r["available"]}
        cands = [s for s in AUTO_SIGNALS if s in installed]
        if len(set(map(str, self.train.category))) < 2:
            cands.remove("category_prior")  # one category: the overall rates, a constant
        cbar = self.mean_train_cost()
        lo, hi = float(cbar.min()), float(cbar.max())
        table: dict[str, float | None] = {}
        for cand in cands:
            try:
                settings = score_router(self, cand)
            except ValueError as exc:
                self.notes.append(f"auto: {cand} left out, it cannot be fitted here: {exc}")
                continue
            cost = np.array([s.train.cost.mean() for s in settings if s.train is not None])
            quality = np.array([s.train.quality for s in settings if s.train is not None])
            value = aiq(cost, quality, lo, hi) if hi > lo else float(quality.max())
            table[cand] = None if value is None else float(value)
        ranked = [c for c in table if table[c] is not None]
        if not ranked:
            raise InputError("auto: no candidate signal can be fitted on these train tasks")
        best = max(ranked, key=lambda c: (table[c], -ranked.index(c)))
        self.auto_choice = {"signal": best, "train_aiq": table}
        shown = ", ".join(f"{c} {v:.4f}" if v is not None else f"{c} -" for c, v in table.items())
        self.notes.append(
            f"auto chose {best}: the best out-of-fold train AIQ of a score router among "
            f"{shown} (test not looked at)"
        )
        return best


#: The cost axes whose cost fields are dollars (recorded, or estimated from token counts).
MONEY_AXES = ("usd", "tokens")

#: The unit of the cost fields on each cost axis.
COST_UNITS = {
    "usd": "USD",
    "tokens": "USD (estimated from tokens)",
    "strong_share": "strong calls",
    "rank": "rank units",
}

#: What the cost fields count on each axis that needs saying.
AXIS_NOTES = {
    "tokens": ("cost in USD estimated from token counts",),
    "rank": (
        "a call costs its executor's price rank, cheapest 1 (cost_rank); cost fields count "
        "rank units",
    ),
}


def routed(matrix: OutcomeMatrix, cost: FloatArray, choice: IntArray) -> Outcome:
    """The outcome of sending task i to executor ``choice[i]``."""
    flat = np.arange(matrix.n_tasks) * matrix.n_executors + choice  # one index, taken thrice
    share = np.bincount(choice, minlength=matrix.n_executors) / max(1, matrix.n_tasks)
    return Outcome(
        score=_flat(matrix.score).take(flat),
        cost=_flat(cost).take(flat),
        latency=_flat(matrix.latency_s).take(flat),
        share=share.astype(np.float64),
        choice=choice,
    )


def _flat(a: FloatArray) -> FloatArray:
    """A tasks x executors array as one row-major run of values (a view when it is one)."""
    return np.ascontiguousarray(a).reshape(-1)


# ----- families -----


def singles(data: EvalData) -> list[Setting]:
    """``single:<executor>``: every task to one executor."""
    out = []
    for j, e in enumerate(data.executors):
        out.append(
            Setting(
                family="single",
                name=f"single:{e}",
                params={},
                test=routed(data.test, data.test_cost, np.full(data.test.n_tasks, j)),
                train=routed(data.train, data.train_cost, np.full(data.train.n_tasks, j)),
            )
        )
    return out


def oracle_choice(score: FloatArray, cost: FloatArray) -> IntArray:
    """Per task, the cheapest executor among those with the highest score (ties: first)."""
    best = score.max(axis=1, keepdims=True)
    key = np.where(score == best, cost, np.inf)
    choice: IntArray = np.argmin(key, axis=1)
    return choice


def oracle(data: EvalData) -> list[Setting]:
    """``oracle``: the upper bound, which knows every executor's outcome."""
    return [
        Setting(
            family="oracle",
            name="oracle",
            params={},
            test=routed(data.test, data.test_cost, oracle_choice(data.test.score, data.test_cost)),
            train=routed(
                data.train, data.train_cost, oracle_choice(data.train.score, data.train_cost)
            ),
        )
    ]


def random_router(data: EvalData, strong: int, weak: int) -> list[Setting]:
    """``random``: a share p of tasks to the strong executor at random, without looking.

    The draws are the live ``random`` strategy's (a hash of the seed and each task id, walking
    the shares by executor name), so a live run with ``shares = {strong = p, weak = 1 - p}``
    and the same seed routes every task as here.
    """
    names = data.executors
    cols = [names.index(n) for n in share_order({names[strong]: 1.0, names[weak]: 1.0})]
    picks = np.asarray(cols, dtype=np.intp)
    d_te = unit_draws(data.seed, data.test.task_ids)
    d_tr = unit_draws(data.seed, data.train.task_ids)
    out = []
    for p in SHARE_GRID:
        shares = {strong: float(p), weak: 1.0 - float(p)}
        ordered = [shares[c] for c in cols]
        out.append(
            Setting(
                family="random",
                name="random",
                params={
                    "strong_share": round(float(p), 6),
                    "strong": names[strong],
                    "weak": names[weak],
                },
                test=routed(data.test, data.test_cost, picks[draw_from_shares(d_te, ordered)]),
                train=routed(data.train, data.train_cost, picks[draw_from_shares(d_tr, ordered)]),
            )
        )
    return out


def share_thresholds(train_score: FloatArray, shares: FloatArray = SHARE_GRID) -> list[float]:
    """Thresholds that send about each share of the train tasks to the strong executor.

    Routing is ``score >= threshold``. Share 0 gets a threshold just above the largest score.
    """
    s = np.sort(train_score)[::-1]
    n = len(s)
    out: list[float] = []
    for p in shares:
        k = round(float(p) * n)
        t = float(np.nextafter(s[0], np.inf)) if k == 0 else float(s[k - 1])
        if t not in out:
            out.append(t)
    return out


def score_router(data: EvalData, signal: str) -> list[Setting]:
    """``score_router:<signal>``: two executors by a threshold, many by score - lambda x cost."""
    p_train, p_test = data.predictions(signal)
    name = f"score_router:{signal}"
    m = data.train.n_executors
    out = []
    if m == 2:
        strong = data.single_best
        weak = 1 - strong
        adv_tr = strong_advantage(p_train, strong, weak)
        adv_te = strong_advantage(p_test, strong, weak)
        for t in share_thresholds(adv_tr):
            out.append(
                Setting(
                    family=name,
                    name=name,
                    params={
                        "threshold": t,
                        "strong": data.executors[strong],
                        "weak": data.executors[weak],
                        **_chosen(data, signal),
                    },
                    test=routed(
                        data.test, data.test_cost, route_by_advantage(adv_te, t, strong, weak)
                    ),
                    train=routed(
                        data.train, data.train_cost, route_by_advantage(adv_tr, t, strong, weak)
                    ),
                )
            )
        return out
    cbar = data.mean_train_cost()
    names = list(data.executors)
    lams = lambda_grid(p_train, cbar, names)

    def settings_for(part: list[float]) -> list[Setting]:
        picks = zip(
            routes_by_utility(p_test, cbar, part, names),
            routes_by_utility(p_train, cbar, part, names),
            strict=True,
        )
        return [
            Setting(
                family=name,
                name=name,
                params={"lambda": lam, **_chosen(data, signal)},
                test=routed(data.test, data.test_cost, pick_te),
                train=routed(data.train, data.train_cost, pick_tr),
            )
            for lam, (pick_te, pick_tr) in zip(part, picks, strict=True)
        ]

    # NumPy lets go of the GIL in its loops: a part of the lambdas per core
    workers = max(1, min(os.cpu_count() or 1, len(lams) // 16))
    parts = [lams[k::workers] for k in range(workers)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(settings_for, parts))
    return [done[k % workers][k // workers] for k in range(len(lams))]


def _chosen(data: EvalData, signal: str) -> dict[str, str]:
    """``{"signal": the one chosen}`` for ``auto``, else nothing."""
    return {"signal": data.auto_signal()} if signal == AUTO else {}


def lambda_grid(
    predicted: FloatArray, cost: FloatArray, names: list[str], limit: int = MAX_LAMBDAS
) -> list[float]:
    """The lambdas at which :func:`route_by_utility` changes some train task's choice, and 0.

    As lambda grows from 0, task i leaves its current executor for a cheaper one where their
    lines p - lambda x c cross: at min over cheaper k of (p_cur - p_k) / (c_cur - c_k). Walking
    each task's upper envelope this way gives every switching point; between two of them no
    choice changes, and at one the tie goes to the cheaper executor, so a setting at each
    switching point (plus lambda = 0; each nudged up by :data:`NUDGE`, relatively) reaches every
    distinct routing of the train tasks. With
    more than ``limit`` values, ``limit`` are kept, evenly spread in rank (0 always).
    """
    n, m = predicted.shape
    if n == 0 or m < 2:
        return [0.0]
    rows = np.arange(n)
    cur = route_by_utility(predicted, cost, 0.0, names)
    order = sorted(range(m), key=lambda j: (float(cost[j]), names[j]))
    rank = np.empty(m, dtype=np.intp)
    rank[order] = np.arange(m)
    found: list[FloatArray] = []
    live = rows
    for _ in range(m - 1):
        c_cur = cost[cur[live]]
        dc = c_cur[:, None] - cost[None, :]
        dp = predicted[live, cur[live]][:, None] - predicted[live]
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = np.where(dc > 0, dp / dc, np.inf)
        nxt_lam = lam.min(axis=1)
        go = np.isfinite(nxt_lam)
        if not go.any():
            break
        # the next executor: the crossing line, ties to the cheaper (as route_by_utility)
        key = np.where(lam == nxt_lam[:, None], rank[None, :], m)
        nxt = np.argmin(key, axis=1)
        found.append(np.maximum(nxt_lam[go], 0.0))
        live_go = live[go]
        cur[live_go] = nxt[go]
        live = live_go
    if not found:
        return [0.0]
    # one part in 1e9 above each switching point, so that float rounding at the crossing
    # cannot leave the switch undone
    values = np.unique(np.concatenate(found)) * (1.0 + NUDGE)
    values = values[values > 0]
    if len(values) > limit - 1:
        keep = np.unique(np.round(np.linspace(0, len(values) - 1, limit - 1)).astype(np.intp))
        values = values[keep]
    return [0.0, *(float(v) for v in values)]


def cascade_stages(data: EvalData) -> IntArray:
    """Executors by train cost, keeping each one only if it beats every cheaper one on train."""
    q = data.train.score.mean(axis=0)
    c = data.mean_train_cost()
    order = sorted(range(len(q)), key=lambda j: (c[j], -q[j], j))
    stages: list[int] = []
    for j in order:
        if not stages or q[j] > q[stages[-1]]:
            stages.append(j)
    return np.asarray(stages, dtype=np.intp)


def cascade(data: EvalData, signal: str) -> list[Setting]:
    """``cascade:<signal>``: cheapest first; a stage whose predicted score is below the
    threshold is skipped without a call, the first that reaches it answers, and the last stage
    always answers. The signal reads the task, not the answer, so as in the live ``cascade``
    (signal ``score``) only the answering stage is called and paid for."""
    stages = cascade_stages(data)
    if len(stages) < 2:
        return []
    p_train, p_test = data.predictions(signal)
    name = f"cascade:{signal}"
    pooled = p_train[:, stages[:-1]].ravel()
    grid = sorted({float(x) for x in np.quantile(pooled, SHARE_GRID)})
    grid.append(float(np.nextafter(pooled.max(), np.inf)))
    names = [data.executors[j] for j in stages]
    early_te, early_tr = p_test[:, stages[:-1]], p_train[:, stages[:-1]]
    out = []
    for t in grid:
        out.append(
            Setting(
                family=name,
                name=name,
                params={"threshold": t, "stages": names, **_chosen(data, signal)},
                test=routed(data.test, data.test_cost, stages[cascade_stop(early_te, t)]),
                train=routed(data.train, data.train_cost, stages[cascade_stop(early_tr, t)]),
            )
        )
    return out


def pair_router_score(data: EvalData, family: str, strong: int, weak: int) -> FloatArray | None:
    """The test router score that orders tasks for ``family``'s two-executor threshold curve.

    random: seeded uniform numbers; oracle: the true score gain of the strong executor;
    score_router: predicted gain p_strong - p_weak; cascade: 1 - predicted weak success (a
    two-stage cascade escalates the tasks the weak executor is least likely to get right).
    """
    if family == "random":
        # the order in which the random router sends tasks to strong as its share grows
        draws = unit_draws(data.seed, data.test.task_ids)
        names = data.executors
        strong_first = share_order({names[strong]: 1.0, names[weak]: 1.0})[0] == names[strong]
        result_r: FloatArray = -draws if strong_first else draws
        return result_r
    if family == "oracle":
        result: FloatArray = data.test.score[:, strong] - data.test.score[:, weak]
        return result
    kind, _, signal = family.partition(":")
    if kind == "score_router":
        _, p_test = data.predictions(signal)
        return strong_advantage(p_test, strong, weak)
    if kind == "cascade":
        _, p_test = data.predictions(signal)
        esc: FloatArray = 1.0 - p_test[:, weak]
        return esc
    return None


@dataclass(frozen=True, eq=False)
class OfflineFit:
    """What a registered strategy's ``offline(matrix, fitted)`` policy is given.

    ``train`` is the train matrix, ``config`` the strategy's config with its defaults,
    ``cost`` the train cost per task and executor on the evaluation's cost axis (USD, or the
    strong-call share when costs are unknown), ``seed`` the evaluation's seed.
    """

    train: OutcomeMatrix
    config: Any
    cost: FloatArray
    seed: int


def offline_setting(data: EvalData, kind: str) -> Setting:
    """Score a registered strategy kind by its ``offline`` policy on train and test."""
    from pydantic import ValidationError

    from toolkit.registry import REGISTRY

    entry = REGISTRY.get("strategy", kind)
    policy = entry.option("offline")
    if policy is None:
        raise InputError(f"--strategy {kind}: the strategy has no offline policy")
    try:
        config = entry.config.model_validate({"kind": kind}) if entry.config else None
    except ValidationError as exc:
        missing = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise InputError(
            f"--strategy {kind}: its config has no default for {missing}, and evaluate builds "
            "it from defaults"
        ) from None
    fitted = OfflineFit(train=data.train, config=config, cost=data.train_cost, seed=data.seed)

    def outcome(matrix: OutcomeMatrix, cost: FloatArray, which: str) -> Outcome:
        choice = _choices(kind, entry.source, policy(matrix, fitted), matrix, which)
        return routed(matrix, cost, choice)

    return Setting(
        family=kind,
        name=kind,
        params={},
        test=outcome(data.test, data.test_cost, "test"),
        train=outcome(data.train, data.train_cost, "train"),
    )


def _choices(kind: str, source: str, got: Any, matrix: OutcomeMatrix, which: str) -> IntArray:
    """Executor indices from an offline policy's answer (indices or executor names)."""
    values = list(got)
    where = f"strategy {kind!r} ({source}): offline() on {which}"
    if len(values) != matrix.n_tasks:
        raise InputError(f"{where} returned {len(values)} choices for {matrix.n_tasks} tasks")
    out = np.empty(matrix.n_tasks, dtype=np.intp)
    for i, v in enumerate(values):
        if isinstance(v, str):
            if v not in matrix.executors:
                raise InputError(
                    f"{where}: task {matrix.task_ids[i]!r}: unknown executor {v!r} "
                    f"(executors: {', '.join(matrix.executors)})"
                )
            out[i] = matrix.executors.index(v)
        else:
            j = int(v)
            if not 0 <= j < matrix.n_executors:
                raise InputError(f"{where}: task {matrix.task_ids[i]!r}: no executor {j}")
            out[i] = j
    return out
