"""``score_router``: a learned signal predicts each executor's score from the task text.

Live, the signal is fitted once (lazily, then cached on the strategy) on the train-split
outcomes of an earlier run named in the spec (``fit_run``): its ``single:<executor>`` result
rows give each executor's score and cost per task, joined by task id to the task text.

- Two executors (``executors = [weak, strong]`` with ``threshold``): route to the strong one
  when the predicted advantage ``p_strong - p_weak`` is at or above ``threshold``, the same
  rule the offline evaluation uses (:func:`toolkit.signals.strong_advantage`).
- Any number (``lambda_usd``): pick the executor maximising
  ``p_e - lambda_usd * mean train cost per task of e`` (USD); ties go to the cheaper one.

:class:`LearnedScores` (reading the fit run and fitting) is shared with the cascade's
``score`` signal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from toolkit._errors import InputError, ToolkitError
from toolkit._types import Trace
from toolkit.registry import plugin_failure
from toolkit.strategies._base import (
    PlannedCall,
    StrategyConfig,
    StrategyContext,
    register_strategy,
)
from toolkit.strategies._decide import route_by_advantage, route_by_utility
from toolkit.strategies._routed_common import (
    info_value,
    resolve_existing,
    routed_call,
)
from toolkit.tasks import Task

if TYPE_CHECKING:
    import numpy.typing as npt

    from toolkit.outcomes import OutcomeMatrix
    from toolkit.signals import Signal

#: ``fit_split`` value that fits on every row of the fit run, whatever its split.
ALL_SPLITS = "all"


# ----- reading an earlier run's outcomes ----------------------------------------------------


@dataclass(frozen=True)
class TrainOutcomes:
    """Outcomes of ``executors`` on the tasks of a fit run: what a signal is fitted on.

    ``scores`` has shape (n_tasks, n_executors); ``mean_cost_usd`` is each executor's mean
    cost per task over these tasks.
    """

    run: str
    split: str
    executors: tuple[str, ...]
    task_ids: tuple[str, ...]
    texts: tuple[str, ...]
    scores: npt.NDArray[np.float64]
    mean_cost_usd: Mapping[str, float] = field(default_factory=dict)
    categories: tuple[str, ...] = ()

    def matrix(self) -> OutcomeMatrix:
        """These outcomes as an outcome matrix (what a signal is fitted on)."""
        from toolkit.outcomes import OutcomeMatrix

        return OutcomeMatrix.build(
            task_ids=list(self.task_ids),
            executors=self.executors,
            score=self.scores,
            text=list(self.texts),
            category=list(self.categories) if self.categories else None,
            split=[self.split] * len(self.task_ids) if self.split != ALL_SPLITS else None,
            source=self.run,
        )


def read_train_outcomes(
    run_dir: str | Path,
    executors: Sequence[str],
    *,
    tasks: Mapping[str, Task] | None = None,
    split: str = "train",
    task_paths: Sequence[str | Path] = (),
) -> TrainOutcomes:
    """Join a run's ``single:<executor>`` rows of ``split`` (``"all"``: every row) with task text.

    Only tasks with a scored row for every executor are used. Task text comes from ``tasks``,
    then the task files ``task_paths``, then the task files named in the run's manifest.
    Raises ``InputError`` saying what is missing and how to supply it.
    """
    import numpy as np

    from toolkit.runs import RESULTS, read_manifest, read_results, sole_executor

    root = Path(run_dir)
    results = read_results(root)
    per_executor: dict[str, dict[str, tuple[float, float]]] = {e: {} for e in executors}
    order: list[str] = []
    splits_seen: set[str] = set()
    categories: dict[str, str] = {}
    for r in results:
        e = sole_executor(r)
        if e is None:
            continue
        splits_seen.add(r.split or "(none)")
        categories.setdefault(r.task_id, r.category)
        if e not in per_executor or r.score is None:
            continue
        if split != ALL_SPLITS and r.split != split:
            continue
        if r.task_id not in per_executor[e]:
            order.append(r.task_id)
        per_executor[e][r.task_id] = (r.score, r.cost_usd)
    empty = [e for e, rows in per_executor.items() if not rows]
    if empty:
        where = "" if split == ALL_SPLITS else f" of split {split!r}"
        raise InputError(
            f"{root / RESULTS}: no scored single:<executor> rows{where} for "
            f"{', '.join(empty)} (splits of single rows here: "
            f"{', '.join(sorted(splits_seen)) or 'none'}); run `single` for each executor "
            "over the train split first, or set fit_split"
        )
    ids = [t for t in dict.fromkeys(order) if all(t in rows for rows in per_executor.values())]
    if not ids:
        raise InputError(
            f"{root / RESULTS}: no task has a scored row for every executor "
            f"({', '.join(executors)}); resume that run so every executor covers its tasks"
        )
    texts, problems = _texts_for(ids, root, tasks or {}, task_paths, read_manifest(root).spec)
    missing = [t for t, x in zip(ids, texts, strict=True) if not x]
    if missing:
        shown = ", ".join(repr(t) for t in missing[:5]) + (" ..." if len(missing) > 5 else "")
        why = f" ({'; '.join(problems)})" if problems else ""
        raise InputError(
            f"{root}: no task text for {len(missing)} of {len(ids)} fit tasks ({shown}){why}; "
            "the runner passes the spec's tasks, so include the train split in [tasks], or "
            "name the task files in the strategy's fit_tasks"
        )
    scores = np.array([[per_executor[e][t][0] for e in executors] for t in ids], dtype=np.float64)
    costs = {e: float(np.mean([per_executor[e][t][1] for t in ids])) for e in executors}
    return TrainOutcomes(
        run=str(root),
        split=split,
        executors=tuple(executors),
        task_ids=tuple(ids),
        texts=tuple(texts),
        scores=scores,
        mean_cost_usd=costs,
        categories=tuple(categories.get(t, "") for t in ids),
    )


def _texts_for(
    ids: Sequence[str],
    root: Path,
    tasks: Mapping[str, Task],
    task_paths: Sequence[str | Path],
    spec: Mapping[str, Any],
) -> tuple[list[str], list[str]]:
    """Task texts in ``ids`` order ("" where unknown) and the problems met looking for them."""
    from toolkit.tasks import load_tasks

    lookup = {t: tasks[t].input for t in ids if t in tasks}
    problems: list[str] = []
    sources: list[Path] = [Path(p) for p in task_paths]
    if len(lookup) < len(ids):
        sources.extend(_manifest_task_paths(root, spec))
    for path in sources:
        if len(lookup) == len(ids):
            break
        if not path.exists():
            problems.append(f"{path} not found")
            continue
        try:
            loaded = load_tasks(path)
        except InputError as exc:
            problems.append(f"{path}: {exc.problems[0]}")
            continue
        for t in loaded:
            lookup.setdefault(t.id, t.input)
    return [lookup.get(t, "") for t in ids], problems


def _manifest_task_paths(root: Path, spec: Mapping[str, Any]) -> list[Path]:
    """The task files a run's manifest names, resolved like the spec resolved them."""
    section = spec.get("tasks")
    raw = section.get("paths") if isinstance(section, Mapping) else None
    if not isinstance(raw, list):
        return []
    source = spec.get("path")
    bases = []
    if isinstance(source, str) and source and not source.startswith("<"):
        bases.append(Path(source).expanduser().parent)
    bases.extend([Path.cwd(), root.parent])
    out: list[Path] = []
    for p in raw:
        if not isinstance(p, str):
            continue
        path = Path(p).expanduser()
        if path.is_absolute():
            out.append(path)
            continue
        found = next((b / path for b in bases if (b / path).exists()), None)
        out.append(found if found is not None else bases[0] / path)
    return out


def check_fit_source(fit_run: str | None, fit_outcomes: str | None) -> None:
    """ValueError unless exactly one of ``fit_run`` and ``fit_outcomes`` is given."""
    if (fit_run is None) == (fit_outcomes is None):
        raise ValueError(
            'give fit_run = "<run dir>" (an earlier run with single:<executor> results) or '
            'fit_outcomes = "<outcome file>" (written by toolkit outcomes import): what the '
            "signal is fitted on" + (", not both" if fit_run is not None else "")
        )


def read_outcome_file(
    path: str | Path, executors: Sequence[str], *, split: str = "train"
) -> TrainOutcomes:
    """The ``split`` rows (``"all"``: every row) of an outcome file, for ``executors``, as
    what a signal is fitted on. Raises ``InputError`` naming what is missing."""
    from toolkit.outcomes import load_outcomes

    matrix = load_outcomes(path)
    missing = [e for e in executors if e not in matrix.executors]
    if missing:
        raise InputError(
            f"{path}: no executor {', '.join(repr(e) for e in missing)} in this outcome file "
            f"(it has {', '.join(matrix.executors)})"
        )
    if split != ALL_SPLITS:
        if split not in matrix.split_names():
            raise InputError(
                f"{path}: no split {split!r} (splits: "
                f'{", ".join(matrix.split_names()) or "none"}); set fit_split = "all" to fit '
                "on every row"
            )
        matrix = matrix.split(split)
    matrix = matrix.select_executors(list(executors))
    if not matrix.has_text:
        raise InputError(f"{path}: the outcomes have no task text, so no signal can be fitted")
    cells = matrix.axis_cost()
    cost = cells.mean(axis=0) if cells is not None else np.zeros(len(executors))
    return TrainOutcomes(
        run=str(path),
        split=split,
        executors=tuple(executors),
        task_ids=tuple(str(t) for t in matrix.task_ids),
        texts=tuple(str(t) for t in matrix.text),
        scores=np.asarray(matrix.score, dtype=np.float64),
        mean_cost_usd={e: float(cost[j]) for j, e in enumerate(executors)},
        categories=tuple(str(c) for c in matrix.category),
    )


def check_signal(name: str, settings: Mapping[str, Any], field: str) -> None:
    """ValueError (for a config validator) when ``name`` is not a registered signal or
    ``settings`` do not fit it."""
    from toolkit.registry import REGISTRY
    from toolkit.signals import make_signal

    if REGISTRY.lookup("signal", name) is None:
        raise ValueError(REGISTRY.unknown("signal", name))
    if name == "random":
        raise ValueError(
            "the random signal scores every task alike when asked one task at a time, so it "
            'is for offline evaluation only; live, use kind = "random" (a seeded mix)'
        )
    try:
        make_signal(name, **settings)
    except (TypeError, ValueError, InputError) as exc:
        raise ValueError(f"{field}: {exc}") from None


# ----- a fitted signal -----------------------------------------------------------------------


class LearnedScores:
    """A :mod:`toolkit.signals` estimator fitted on a fit run's outcomes, predicting each of
    ``executors``' score for a task. ``fit`` returns self; learned state ends in ``_``."""

    def __init__(
        self,
        *,
        owner: str,
        signal: str,
        executors: Sequence[str],
        fit_run: str | None = None,
        fit_outcomes: str | None = None,
        fit_split: str = "train",
        fit_tasks: Sequence[str] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.owner = owner
        self.signal = signal
        self.executors = tuple(executors)
        self.fit_run = fit_run
        self.fit_outcomes = fit_outcomes
        self.fit_split = fit_split
        self.fit_tasks = tuple(fit_tasks)
        self.settings = dict(settings or {})
        self.signal_: Signal | None = None
        self.outcomes_: TrainOutcomes | None = None

    @property
    def fitted(self) -> bool:
        """True once :meth:`fit` or :meth:`fit_from` has run."""
        return self.signal_ is not None

    def fit(self, outcomes: TrainOutcomes) -> LearnedScores:
        """Fit the signal on ``outcomes`` (their executors must be ours, in order)."""
        from toolkit.signals import make_signal

        if outcomes.executors != self.executors:
            raise ValueError(
                f"outcomes are for {outcomes.executors}, the strategy routes {self.executors}"
            )
        try:
            with plugin_failure("signal", self.signal, f"in fit() on {outcomes.run}"):
                signal = make_signal(self.signal, **self.settings).fit(outcomes.matrix())
        except ValueError as exc:
            raise InputError(
                f"strategy {self.owner!r}: cannot fit signal {self.signal!r} on {outcomes.run}: "
                f"{exc}"
            ) from None
        self.outcomes_ = outcomes
        self.signal_ = signal
        return self

    def fit_from(self, ctx: StrategyContext) -> LearnedScores:
        """Read the fit run or outcome file (path resolved from the spec's folder, then the
        cwd) and fit."""
        if self.fit_outcomes is not None:
            path = resolve_existing(
                self.fit_outcomes, ctx, f"strategy {self.owner!r}: fit_outcomes"
            )
            return self.fit(read_outcome_file(path, self.executors, split=self.fit_split))
        assert self.fit_run is not None
        run = resolve_existing(self.fit_run, ctx, f"strategy {self.owner!r}: fit_run")
        paths = [
            resolve_existing(p, ctx, f"strategy {self.owner!r}: fit_tasks") for p in self.fit_tasks
        ]
        outcomes = read_train_outcomes(
            run, self.executors, tasks=ctx.run.tasks, split=self.fit_split, task_paths=paths
        )
        return self.fit(outcomes)

    def predict(self, task: Task) -> dict[str, float]:
        """Predicted score per executor for ``task``."""
        if self.signal_ is None:
            raise ToolkitError(f"strategy {self.owner!r}: the signal is not fitted yet")
        from toolkit.signals import checked_prediction

        with plugin_failure("signal", self.signal, f"in predict() on task {task.id!r}"):
            raw = self.signal_.predict([task])
        pred = checked_prediction(self.signal, raw, 1, len(self.executors))
        row = pred[0]
        return {e: float(row[j]) for j, e in enumerate(self.executors)}

    def summary(self) -> dict[str, Any]:
        """Where the fit came from, for trace info."""
        o = self.outcomes_
        if o is None:
            return {}
        return {"run": o.run, "split": o.split, "n_train": len(o.task_ids)}


# ----- the strategy --------------------------------------------------------------------------


class ScoreRouterConfig(StrategyConfig):
    """``[[strategies]] kind = "score_router"``: see the module docstring for the two modes."""

    kind: Literal["score_router"] = "score_router"
    signal: str = "tfidf_logreg"
    signal_settings: dict[str, Any] = Field(default_factory=dict)
    executors: list[str] = Field(min_length=2)
    threshold: float | None = None
    lambda_usd: float | None = Field(default=None, ge=0.0)
    fit_run: str | None = Field(default=None, min_length=1)
    fit_outcomes: str | None = Field(default=None, min_length=1)
    fit_split: str = Field(default="train", min_length=1)
    fit_tasks: list[str] = Field(default_factory=list)

    @field_validator("threshold")
    @classmethod
    def _advantage(cls, value: float | None) -> float | None:
        if value is not None and not -1.0 <= value <= 1.0:
            raise ValueError(
                "threshold must be between -1 and 1 (it is compared with the predicted "
                "advantage p_strong - p_weak)"
            )
        return value

    @model_validator(mode="after")
    def _mode(self) -> ScoreRouterConfig:
        dup = sorted({e for e in self.executors if self.executors.count(e) > 1})
        if dup:
            raise ValueError(f"executors lists {', '.join(dup)} more than once")
        if self.threshold is not None and self.lambda_usd is not None:
            raise ValueError(
                "give either threshold (two executors: route to the strong one when "
                "p_strong - p_weak >= threshold) or lambda_usd (maximise p - lambda x cost), "
                "not both"
            )
        if self.threshold is not None and len(self.executors) != 2:
            raise ValueError(
                f"threshold routes between two executors [weak, strong]; with "
                f"{len(self.executors)} executors give lambda_usd instead"
            )
        if self.threshold is None and self.lambda_usd is None:
            raise ValueError(
                "give threshold (two executors [weak, strong]) or lambda_usd (USD weight of the "
                "mean train cost per task)"
            )
        check_fit_source(self.fit_run, self.fit_outcomes)
        check_signal(self.signal, self.signal_settings, "signal_settings")
        return self

    def executor_refs(self) -> list[tuple[str, str]]:
        return [(f"executors.{i}", e) for i, e in enumerate(self.executors)]

    def default_name(self) -> str:
        return f"score_router:{self.signal}"


class ScoreRouter:
    """Route by a learned prediction of each executor's score (see :class:`ScoreRouterConfig`)."""

    def __init__(self, config: ScoreRouterConfig) -> None:
        self.config = config
        self.name = config.strategy_name
        self.scores = LearnedScores(
            owner=self.name,
            signal=config.signal,
            executors=config.executors,
            fit_run=config.fit_run,
            fit_outcomes=config.fit_outcomes,
            fit_split=config.fit_split,
            fit_tasks=config.fit_tasks,
            settings=config.signal_settings,
        )

    def prepare(self, ctx: StrategyContext) -> None:
        """Fit the signal once, on the fit run's outcomes (later calls do nothing)."""
        if not self.scores.fitted:
            self.scores.fit_from(ctx)

    def fit(self, outcomes: TrainOutcomes) -> ScoreRouter:
        """Fit on outcomes read elsewhere (e.g. :func:`read_train_outcomes`); returns self."""
        self.scores.fit(outcomes)
        return self

    def choose(self, task: Task) -> tuple[str, dict[str, Any]]:
        """The executor for ``task`` and the decision (predictions, rule, threshold or lambda)."""
        pred = self.scores.predict(task)
        cfg = self.config
        info: dict[str, Any] = {"signal": cfg.signal, "predicted": pred}
        names = list(cfg.executors)
        row = np.array([[pred[e] for e in names]])
        if cfg.threshold is not None:
            advantage = row[:, 1] - row[:, 0]  # [weak, strong]
            executor = names[int(route_by_advantage(advantage, cfg.threshold, 1, 0)[0])]
            info.update(advantage=float(advantage[0]), threshold=cfg.threshold)
        else:
            lam = cfg.lambda_usd or 0.0
            assert self.scores.outcomes_ is not None
            cost = self.scores.outcomes_.mean_cost_usd
            cost_row = np.array([cost[e] for e in names])
            executor = names[int(route_by_utility(row, cost_row, lam, names)[0])]
            utility = {e: pred[e] - lam * cost[e] for e in names}
            info.update(lambda_usd=lam, mean_cost_usd=dict(cost), utility=utility)
        info["executor"] = executor
        info["fit"] = self.scores.summary()
        return executor, info_value(info)

    def plan(self, task: Task, ctx: StrategyContext) -> Sequence[PlannedCall]:
        """The exact call once fitted; before that every executor (an upper bound)."""
        fitted = self.scores.fitted
        executors = [self.choose(task)[0]] if fitted else list(self.config.executors)
        return [PlannedCall(e, ctx.request(task, e)) for e in executors]

    async def run(self, task: Task, ctx: StrategyContext) -> Trace:
        self.prepare(ctx)
        executor, info = self.choose(task)
        return await routed_call(task, ctx, executor, info)

    def __repr__(self) -> str:
        return f"ScoreRouter(name={self.name!r}, executors={self.config.executors!r})"


register_strategy(
    "score_router",
    ScoreRouterConfig,
    ScoreRouter,
    summary="a learned signal predicts each executor's score from the task text",
)
