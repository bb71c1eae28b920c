"""Threshold tuning, as scikit-learn tunes a decision threshold: fitting is choosing it on train.

>>> router = ThresholdRouter(signal="tfidf_logreg", strong_share=0.3).fit(train)
>>> router.threshold_, router.evaluate(test)["strong_share"]

The threshold is chosen on out-of-fold train predictions, so the share, quality and cost it
reaches on train are what to expect on new tasks from the same distribution; ``evaluate`` on a
test set shows how far they drift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt

from toolkit._errors import InputError
from toolkit.analysis._baseline import choose_baseline, default_weak
from toolkit.analysis._metrics import descending_order, inside, tie_group_ends
from toolkit.analysis._policies import COST_UNITS
from toolkit.outcomes import OutcomeMatrix
from toolkit.registry import plugin_failure
from toolkit.signals import Signal, clone_signal, cross_fit_matrix, make_signal, strong_advantage

FloatArray = npt.NDArray[np.float64]
Kind = Literal["score_router", "cascade"]


def _cell_cost(m: OutcomeMatrix) -> FloatArray:
    """Per-cell cost on the matrix's cost axis; zeros on ``strong_share`` (no cost)."""
    cells = m.axis_cost()
    return np.zeros(m.score.shape) if cells is None else cells


@dataclass(frozen=True, eq=False)
class _Candidates:
    """Every distinct threshold on a task set, with the share, quality and cost it gives."""

    thresholds: FloatArray
    share: FloatArray
    quality: FloatArray
    cost_per_task: FloatArray


class ThresholdRouter:
    """A two-executor router (or two-stage cascade) whose threshold is fitted on train.

    ``kind="score_router"`` sends a task to ``strong`` when the signal's predicted advantage
    ``p_strong - p_weak`` is >= ``threshold_``. ``kind="cascade"`` escalates past ``weak`` to
    ``strong`` when ``1 - p_weak`` (the predicted chance that weak fails) is >= ``threshold_``;
    as in the live cascade, a skipped stage is not called, so a task pays one executor.
    Give exactly one target: ``strong_share`` (the share of tasks sent to strong),
    ``target_quality`` (the lowest share reaching it) or ``budget_per_task`` (in the cost
    axis's unit: USD, or rank units on the ``rank`` axis: the best quality within it).
    ``strong`` defaults to the baseline (the best train executor among those answering at
    least 95% of train, chosen on a held-out part of train with ``baseline_by="validation"``),
    ``weak`` to the best executor costing at most a fifth of it (else the cheapest).
    """

    def __init__(
        self,
        *,
        signal: str | Signal = "tfidf_logreg",
        strong: str | None = None,
        weak: str | None = None,
        strong_share: float | None = None,
        target_quality: float | None = None,
        budget_per_task: float | None = None,
        quality_target: float | None = None,
        kind: Kind = "score_router",
        folds: int = 5,
        seed: int = 0,
        baseline_by: str = "train",
    ) -> None:
        self.signal = signal
        self.strong = strong
        self.weak = weak
        self.strong_share = strong_share
        self.target_quality = target_quality
        self.budget_per_task = budget_per_task
        self.quality_target = quality_target
        self.kind = kind
        self.folds = folds
        self.seed = seed
        self.baseline_by = baseline_by

    # ----- fitting -----

    def _target(self) -> tuple[str, float]:
        given = [
            (k, v)
            for k, v in (
                ("strong_share", self.strong_share),
                ("target_quality", self.target_quality),
                ("budget_per_task", self.budget_per_task),
                ("quality_target", self.quality_target),
            )
            if v is not None
        ]
        if len(given) != 1:
            raise InputError(
                "give exactly one of --strong-share, --target-quality, --quality-target, "
                f"--budget-per-task (got {len(given)})"
            )
        name, value = given[0]
        if name == "strong_share" and not 0.0 <= value <= 1.0:
            raise InputError(f"--strong-share must be in [0, 1], got {value}")
        if name == "target_quality" and not 0.0 <= value <= 1.0:
            raise InputError(f"--target-quality must be in [0, 1], got {value}")
        if name == "quality_target" and not (0.0 < value <= 2.0):
            raise InputError(
                f"--quality-target must be a share of the strong executor's quality in (0, 2], "
                f"got {value}"
            )
        if name == "budget_per_task" and value < 0:
            raise InputError(f"--budget-per-task must be >= 0 USD, got {value}")
        return name, float(value)

    def _make_signal(self) -> Signal:
        if isinstance(self.signal, str):
            try:
                result: Signal = make_signal(self.signal, seed=self.seed)
            except ValueError as exc:
                raise InputError(str(exc)) from None
            return result
        made: Signal = clone_signal(self.signal)
        return made

    def fit(self, train: OutcomeMatrix) -> Self:
        """Fit the signal on ``train`` and choose ``threshold_`` on out-of-fold predictions."""
        if self.kind not in ("score_router", "cascade"):
            raise InputError(f"kind must be score_router or cascade, got {self.kind!r}")
        target, value = self._target()
        if train.n_executors < 2:
            raise InputError("threshold tuning needs at least two executors")
        q = train.score.mean(axis=0)
        c = _cell_cost(train).mean(axis=0)
        strong = (
            train.index(self.strong)
            if self.strong
            else choose_baseline(train, c, by=self.baseline_by, seed=self.seed).index
        )
        weak = train.index(self.weak) if self.weak else default_weak(q, c, strong)
        if strong == weak:
            raise InputError(f"strong and weak are the same executor ({train.executors[strong]})")
        if target == "budget_per_task" and train.axis_cost() is None:
            raise InputError(
                "--budget-per-task needs a cost axis with costs (usd, tokens or rank); these "
                "outcomes have none (strong_share, as RouteLLM data): import them with "
                "--cost-axis rank or tokens"
            )
        texts = [str(t) for t in train.text]
        if not any(t.strip() for t in texts) and self.signal != "random":
            raise InputError(
                "the train outcomes have no task text, so the signal cannot be fitted; "
                "import outcomes with their prompts"
            )
        self.strong_, self.weak_ = train.executors[strong], train.executors[weak]
        # what a live router fits on to match: the train split where the tasks are labelled
        self.fit_split_ = "train" if "train" in train.split_names() else "all"
        self.executors_ = train.executors
        sig = self._make_signal()
        name = self.signal if isinstance(self.signal, str) else type(sig).__name__
        oof = cross_fit_matrix(sig, train, folds=self.folds, seed=self.seed, name=name)
        with plugin_failure("signal", name, f"in fit() on {train.source or 'the train tasks'}"):
            self.signal_ = sig.fit(train)
        self.train_scores_ = self._route_score(oof, strong, weak)
        cand = self._candidates(train, self.train_scores_)
        if target == "quality_target":  # Q x the strong executor's train quality
            self.quality_needed_ = value * float(train.score[:, strong].mean())
            i = self._choose(cand, "target_quality", self.quality_needed_, what=f"Q = {value:g}")
        else:
            i = self._choose(cand, target, value, COST_UNITS.get(train.axis, "USD"))
        # every threshold in (next lower candidate, chosen] routes the train tasks alike: take
        # a short number well inside, not the last bits of a predicted score
        hi = float(cand.thresholds[i]) if i > 0 else math.inf
        lo = float(cand.thresholds[i + 1]) if i + 1 < len(cand.thresholds) else -math.inf
        self.threshold_ = inside(lo, hi)
        if self.kind == "score_router":  # the live router's threshold is in [-1, 1]
            self.threshold_ = min(1.0, max(-1.0, self.threshold_))
        self.target_ = {target: value}
        self.train_ = self._summary(train, self.train_scores_ >= self.threshold_)
        return self

    def _route_score(self, pred: FloatArray, strong: int, weak: int) -> FloatArray:
        if self.kind == "cascade":
            esc: FloatArray = 1.0 - pred[:, weak]
            return esc
        return strong_advantage(pred, strong, weak)

    def _candidates(self, m: OutcomeMatrix, score: FloatArray) -> _Candidates:
        s, w = m.index(self.strong_), m.index(self.weak_)
        n = m.n_tasks
        order = descending_order(score)
        ends = tie_group_ends(score[order])
        gain = np.cumsum((m.score[:, s] - m.score[:, w])[order])
        cells = m.axis_cost()
        if cells is not None:
            cgain = np.cumsum((cells[:, s] - cells[:, w])[order])
            c0 = float(cells[:, w].mean())
        else:
            cgain = np.full(n, np.nan)
            c0 = float("nan")
        q0 = float(m.score[:, w].mean())
        top = float(np.nextafter(score.max(), np.inf))
        return _Candidates(
            thresholds=np.concatenate([[top], score[order][ends]]),
            share=np.concatenate([[0.0], (ends + 1) / n]),
            quality=np.concatenate([[q0], q0 + gain[ends] / n]),
            cost_per_task=np.concatenate([[c0], c0 + cgain[ends] / n]),
        )

    @staticmethod
    def _choose(
        cand: _Candidates, target: str, value: float, unit: str = "USD", what: str = ""
    ) -> int:
        k = len(cand.thresholds)
        if target == "strong_share":
            return min(range(k), key=lambda i: (abs(cand.share[i] - value), cand.share[i]))
        if target == "target_quality":
            ok = [i for i in range(k) if cand.quality[i] >= value]
            if not ok:
                asked = (
                    f"--quality-target {what[4:]} (quality {value:.4g})"
                    if what
                    else f"--target-quality {value:g}"
                )
                raise InputError(
                    f"{asked} is not reached on train at any threshold "
                    f"(the best is {cand.quality.max():.4f})"
                )
            return min(ok, key=lambda i: (cand.share[i], cand.cost_per_task[i]))
        ok = [i for i in range(k) if cand.cost_per_task[i] <= value]
        if not ok:
            raise InputError(
                f"--budget-per-task {value:g} {unit} is below the cheapest threshold's train "
                f"cost per task ({np.nanmin(cand.cost_per_task):.6g} {unit})"
            )
        return min(ok, key=lambda i: (-cand.quality[i], cand.cost_per_task[i], cand.share[i]))

    # ----- using the fitted router -----

    def routing_score(self, m: OutcomeMatrix) -> FloatArray:
        """The router score of each task of ``m`` (predicted from its text)."""
        name = self.signal if isinstance(self.signal, str) else type(self.signal_).__name__
        with plugin_failure("signal", name, f"in predict() on {m.source or 'the tasks'}"):
            pred = self.signal_.predict(m)
        cols = {e: j for j, e in enumerate(self.executors_)}
        return self._route_score(pred, cols[self.strong_], cols[self.weak_])

    def predict(self, m: OutcomeMatrix) -> npt.NDArray[np.bool_]:
        """True where a task goes (or escalates) to the strong executor."""
        result: npt.NDArray[np.bool_] = self.routing_score(m) >= self.threshold_
        return result

    def evaluate(self, m: OutcomeMatrix) -> dict[str, float | None]:
        """Strong share, quality, total cost and cost per task on ``m``."""
        return self._summary(m, self.predict(m))

    def _summary(
        self, m: OutcomeMatrix, to_strong: npt.NDArray[np.bool_]
    ) -> dict[str, float | None]:
        s, w = m.index(self.strong_), m.index(self.weak_)
        score = np.where(to_strong, m.score[:, s], m.score[:, w])
        out: dict[str, float | None] = {
            "strong_share": float(to_strong.mean()),
            "quality": float(score.mean()),
            "cost_usd": None,
            "cost_per_task": None,
        }
        cells = m.axis_cost()
        if cells is not None:
            cost = np.where(to_strong, cells[:, s], cells[:, w])
            out["cost_usd"] = float(cost.sum())
            out["cost_per_task"] = float(cost.mean())
        return out

    def live_threshold(self) -> float:
        """The threshold in the live strategy's terms, routing the train tasks as
        ``threshold_`` does: the score router's own (``p_strong - p_weak >= t``, in [-1, 1]);
        for a cascade, the weak stage answers when ``p_weak >= t`` (in [0, 1])."""
        scores = np.unique(self.train_scores_)
        below = scores[scores < self.threshold_]
        above = scores[scores >= self.threshold_]
        lo = float(below[-1]) if len(below) else -math.inf
        hi = float(above[0]) if len(above) else math.inf
        if self.kind == "cascade":  # escalate when 1 - p_weak >= t: weak answers p > 1 - t
            return min(1.0, max(0.0, inside(1.0 - hi, 1.0 - lo)))
        return min(1.0, max(-1.0, inside(lo, hi)))

    def signal_name(self) -> str:
        """The signal's name (``tfidf_logreg``, ``knn``, ``random`` or the class's name)."""
        if isinstance(self.signal, str):
            return self.signal
        return str(getattr(self.signal, "name", type(self.signal).__name__))


def tune(
    train: OutcomeMatrix,
    test: OutcomeMatrix,
    *,
    strategy: str,
    pair: tuple[str, str] | None = None,
    strong_share: float | None = None,
    target_quality: float | None = None,
    budget_per_task: float | None = None,
    quality_target: float | None = None,
    seed: int = 0,
    baseline_by: str = "train",
) -> tuple[ThresholdRouter, dict[str, Any]]:
    """Fit a ThresholdRouter for ``strategy`` on train; report train, test and the drift."""
    kind_name, _, signal = strategy.partition(":")
    if kind_name == "random" and not signal:
        kind: Kind = "score_router"
        signal = "random"
    elif kind_name in ("score_router", "cascade"):
        kind = "score_router" if kind_name == "score_router" else "cascade"
        signal = signal or "tfidf_logreg"
        if signal == "auto":
            raise InputError(
                f"--strategy {strategy}: tune fits one named signal; auto is chosen by "
                f"`toolkit evaluate FILE --strategy {kind_name}:auto` (its note names the "
                f"signal): tune that one"
            )
    else:
        raise InputError(
            f"--strategy {strategy}: tune takes score_router[:<signal>], cascade[:<signal>] or random"
        )
    if train.axis != test.axis:
        raise InputError(
            f"train and test have different cost axes: train {train.axis!r}, test "
            f"{test.axis!r}; import both with the same --cost-axis (and --cost-rank)"
        )
    router = ThresholdRouter(
        signal=signal,
        strong=pair[0] if pair else None,
        weak=pair[1] if pair else None,
        strong_share=strong_share,
        target_quality=target_quality,
        budget_per_task=budget_per_task,
        quality_target=quality_target,
        kind=kind,
        seed=seed,
        baseline_by=baseline_by,
    ).fit(train)
    on_test = router.evaluate(test.select_executors(train.executors))
    drift: dict[str, float | None] = {}
    for k, v in router.train_.items():
        t = on_test.get(k)
        drift[k] = None if v is None or t is None else t - v
    result = {
        "threshold": router.threshold_,
        "strategy": f"{kind}:{signal}" if kind_name != "random" else "random",
        "strong": router.strong_,
        "weak": router.weak_,
        "target": router.target_,
        "n_train": train.n_tasks,
        "n_test": test.n_tasks,
        "train": router.train_,
        "test": on_test,
        "drift": drift,
        "cost_axis": train.axis,
    }
    if quality_target is not None:  # reached on out-of-fold train; does it hold on test?
        strong_test = float(test.score[:, test.index(router.strong_)].mean())
        result["quality_target"] = {
            "target": quality_target,
            "train_quality_needed": router.quality_needed_,
            "test_quality_needed": quality_target * strong_test,
            "holds_on_test": bool(
                (on_test["quality"] or 0.0) >= quality_target * strong_test - 1e-12
            ),
        }
    return router, result
