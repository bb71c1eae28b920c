"""``cascade``: executors are tried cheapest first (the order given); an answer is accepted when
its acceptance signal passes ``threshold``, otherwise the cascade escalates. The last
executor's answer is always accepted.

Acceptance signals:

- ``declined``: accept any answer; escalate when the executor declined, failed or answered
  nothing.
- ``verifier``: a ``verifier`` executor is asked whether the answer is correct (``yes_no``:
  yes = 1, no = 0) or how likely it is correct (``score``: 0-10, divided by 10); accept when
  that confidence >= ``threshold``. An unreadable verdict or a verifier error escalates.
- ``agreement``: ``samples`` answers are drawn at once from the executor at ``temperature``;
  accept the most common answer when its share of the samples >= ``threshold``.
- ``score``: a learned signal, fitted on an earlier run's train outcomes (``fit_run``),
  predicts the executor's score from the task text; an executor predicted below ``threshold``
  is skipped without a call (the signal does not read the answer, so the call would be wasted).

Under every signal a declined, failed or empty answer escalates. Every call, verifier and
samples included, is in the trace and its cost; the latency adds the steps up (samples of
one step overlap).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Awaitable, Sequence
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from toolkit._types import Call, Trace
from toolkit.strategies._base import (
    PlannedCall,
    StrategyConfig,
    StrategyContext,
    register_strategy,
)
from toolkit.strategies._decide import stage_answers
from toolkit.strategies._routed_common import (
    SAMPLE_SETTING,
    check_unit_interval,
    info_value,
    normalize_answer,
    parallel_latency,
    shorten,
)
from toolkit.strategies._score_router import LearnedScores, check_fit_source, check_signal
from toolkit.strategies._single import answer_trace, call_error
from toolkit.tasks import Task

Signal = Literal["declined", "verifier", "agreement", "score"]

#: Threshold of the verifier, agreement and score signals when the spec gives none.
DEFAULT_THRESHOLD = 0.5

VERIFIER_PROMPTS = {
    "yes_no": (
        "Here is a task and a proposed answer.\n\nTask:\n{input}\n\nProposed answer:\n{answer}\n\n"
        "Is the proposed answer correct? Reply with yes or no only.\nReply:"
    ),
    "score": (
        "Here is a task and a proposed answer.\n\nTask:\n{input}\n\nProposed answer:\n{answer}\n\n"
        "How likely is the proposed answer to be correct, from 0 (surely wrong) to 10 (surely "
        "right)? Reply with the number only.\nRating:"
    ),
}

# Fields used only by one signal: giving them with another signal is a mistake worth naming.
_ONLY_FOR: dict[str, Signal] = {
    "verifier": "verifier",
    "verifier_mode": "verifier",
    "verifier_prompt": "verifier",
    "samples": "agreement",
    "temperature": "agreement",
    "estimator": "score",
    "estimator_settings": "score",
    "fit_run": "score",
    "fit_outcomes": "score",
    "fit_split": "score",
    "fit_tasks": "score",
}

_YES = {"yes", "y", "true", "correct", "right"}
_NO = {"no", "n", "false", "incorrect", "wrong"}
_VERDICT = re.compile(r"(?<![a-z])(not\s+)?(yes|no|true|false|incorrect|correct|wrong)(?![a-z])")
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(%|/\s*10(?!\d)|/\s*100)?")


def parse_verdict(text: str, mode: Literal["yes_no", "score"]) -> float | None:
    """The verifier's confidence in [0, 1] read from its answer, or None when unreadable.

    ``yes_no``: a leading yes/no word (or true/false, correct/incorrect, wrong; "not correct"
    counts as no), else the first such word anywhere. ``score``: the first number; 0-10 is
    divided by 10, ``N%`` and ``N/100`` by 100, ``N/10`` by 10; out of range is unreadable.
    """
    low = text.strip().lower()
    if mode == "yes_no":
        first = re.split(r"[^a-z]+", low.lstrip(" \"'`*([")) if low else [""]
        if first and first[0] in _YES:
            return 1.0
        if first and first[0] in _NO:
            return 0.0
        m = _VERDICT.search(low)
        if m is None:
            return None
        yes = m.group(2) in _YES
        return float(yes != bool(m.group(1)))
    m = _NUMBER.search(low)
    if m is None:
        return None
    value = float(m.group(1))
    unit = (m.group(2) or "").replace(" ", "")
    scale = 100.0 if unit in ("%", "/100") else 10.0
    if not 0.0 <= value <= scale:
        return None
    return value / scale


def agreement(calls: Sequence[Call]) -> tuple[float, Call | None]:
    """Share of ``calls`` giving the most common answer (normalised), and the first call giving
    it. Failed, declined and empty answers count as disagreeing; ties go to the earliest."""
    answers = [normalize_answer(c.text) if c.ok and c.text.strip() else None for c in calls]
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return 0.0, None
    best = max(counts.values())
    winner = next(a for a in answers if a is not None and counts[a] == best)
    call = calls[answers.index(winner)]
    return best / len(calls), call


async def gather_calls(coros: Sequence[Awaitable[Call]]) -> list[Call]:
    """Await calls concurrently; an exception (budget stop, replay miss) cancels the rest and
    is raised as itself, not as an exception group."""
    tasks: list[asyncio.Task[Call]] = []

    async def _await(c: Awaitable[Call]) -> Call:
        return await c

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_await(c)) for c in coros]
    except BaseExceptionGroup as eg:
        raise eg.exceptions[0] from None
    return [t.result() for t in tasks]


class CascadeConfig(StrategyConfig):
    """``[[strategies]] kind = "cascade"``: ``executors`` cheapest first, a ``signal`` and its
    settings (see the module docstring)."""

    kind: Literal["cascade"] = "cascade"
    executors: list[str]
    signal: Signal
    threshold: float | None = None
    verifier: str | None = Field(default=None, min_length=1)
    verifier_mode: Literal["yes_no", "score"] = "yes_no"
    verifier_prompt: str | None = None
    samples: int = Field(default=3, ge=2)
    temperature: float = Field(default=0.7, gt=0.0)
    estimator: str = "tfidf_logreg"
    estimator_settings: dict[str, Any] = Field(default_factory=dict)
    fit_run: str | None = Field(default=None, min_length=1)
    fit_outcomes: str | None = Field(default=None, min_length=1)
    fit_split: str = Field(default="train", min_length=1)
    fit_tasks: list[str] = Field(default_factory=list)

    @field_validator("executors")
    @classmethod
    def _executors(cls, value: list[str]) -> list[str]:
        if len(value) < 2:
            raise ValueError(
                f"a cascade needs at least two executors, cheapest first (got {len(value)}); "
                'use kind = "single" for one'
            )
        dup = sorted({e for e in value if value.count(e) > 1})
        if dup:
            raise ValueError(f"executors lists {', '.join(dup)} more than once")
        if any(not e for e in value):
            raise ValueError("executor names must not be empty")
        return value

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, value: float | None) -> float | None:
        return check_unit_interval(value, "threshold")

    @field_validator("verifier_prompt")
    @classmethod
    def _prompt(cls, value: str | None) -> str | None:
        if value is None:
            return value
        import string

        try:
            names = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        except ValueError as exc:
            raise ValueError(f"verifier_prompt is not a valid format string: {exc}") from None
        unknown = sorted(n for n in names if n not in ("input", "answer"))
        if unknown or "answer" not in names:
            raise ValueError(
                "verifier_prompt may use only {input} and {answer}, and must contain {answer} "
                f"(found: {', '.join(sorted(names)) or 'none'}; write {{{{ and }}}} for braces)"
            )
        return value

    @model_validator(mode="after")
    def _signal_fields(self) -> CascadeConfig:
        for name in sorted(self.model_fields_set):
            owner = _ONLY_FOR.get(name)
            if owner is not None and owner != self.signal:
                raise ValueError(
                    f"{name} is used only with signal = {owner!r}, not {self.signal!r}"
                )
        if self.signal == "declined" and self.threshold is not None:
            raise ValueError(
                "signal 'declined' has no threshold (any answer is accepted; a declined, failed "
                "or empty one escalates)"
            )
        if self.signal == "verifier" and self.verifier is None:
            raise ValueError("signal 'verifier' needs verifier = \"<executor>\" to ask")
        if self.signal == "score":
            try:
                check_fit_source(self.fit_run, self.fit_outcomes)
            except ValueError as exc:
                raise ValueError(f"signal 'score': {exc}") from None
            check_signal(self.estimator, self.estimator_settings, "estimator_settings")
        return self

    def executor_refs(self) -> list[tuple[str, str]]:
        refs = [(f"executors.{i}", e) for i, e in enumerate(self.executors)]
        if self.verifier is not None:
            refs.append(("verifier", self.verifier))
        return refs

    def default_name(self) -> str:
        return f"cascade:{self.signal}"

    @property
    def effective_threshold(self) -> float | None:
        """The threshold in force (None for ``declined``)."""
        if self.signal == "declined":
            return None
        return DEFAULT_THRESHOLD if self.threshold is None else self.threshold


class Cascade:
    """Try executors cheapest first; accept the first answer whose signal passes."""

    def __init__(self, config: CascadeConfig) -> None:
        self.config = config
        self.name = config.strategy_name
        self.threshold = config.effective_threshold
        self.scores: LearnedScores | None = None
        if config.signal == "score":
            self.scores = LearnedScores(
                owner=self.name,
                signal=config.estimator,
                executors=config.executors[:-1],
                fit_run=config.fit_run,
                fit_outcomes=config.fit_outcomes,
                fit_split=config.fit_split,
                fit_tasks=config.fit_tasks,
                settings=config.estimator_settings,
            )

    def prepare(self, ctx: StrategyContext) -> None:
        """Fit the ``score`` signal once (nothing to do for the other signals)."""
        if self.scores is not None and not self.scores.fitted:
            self.scores.fit_from(ctx)

    # ----- requests ------------------------------------------------------------------------

    def verifier_prompt(self, task: Task, answer: str) -> str:
        """What the verifier is asked about ``answer``."""
        template = self.config.verifier_prompt or VERIFIER_PROMPTS[self.config.verifier_mode]
        return template.format(input=task.input, answer=answer)

    def _sample_settings(self, j: int) -> dict[str, Any]:
        return {"temperature": self.config.temperature, SAMPLE_SETTING: j}

    def plan(self, task: Task, ctx: StrategyContext) -> Sequence[PlannedCall]:
        """Every call the cascade may make (all executors escalated through): an upper bound.

        A verifier's planned prompt holds an empty answer (the answer is not known yet).
        """
        cfg = self.config
        planned: list[PlannedCall] = []
        for e in cfg.executors[:-1]:
            if cfg.signal == "agreement":
                planned.extend(
                    PlannedCall(
                        e,
                        ctx.request(task, e, step=f"sample:{j}", settings=self._sample_settings(j)),
                    )
                    for j in range(cfg.samples)
                )
                continue
            planned.append(PlannedCall(e, ctx.request(task, e)))
            if cfg.signal == "verifier":
                assert cfg.verifier is not None
                planned.append(
                    PlannedCall(
                        cfg.verifier,
                        ctx.request(
                            task,
                            cfg.verifier,
                            prompt=self.verifier_prompt(task, ""),
                            step=f"verify:{e}",
                        ),
                    )
                )
        last = cfg.executors[-1]
        planned.append(PlannedCall(last, ctx.request(task, last)))
        return planned

    # ----- running -------------------------------------------------------------------------

    async def run(self, task: Task, ctx: StrategyContext) -> Trace:
        cfg = self.config
        predicted: dict[str, float] = {}
        if self.scores is not None:
            self.prepare(ctx)
            predicted = self.scores.predict(task)
        calls: list[Call] = []
        latency = 0.0
        steps: list[dict[str, Any]] = []
        for e in cfg.executors[:-1]:
            step: dict[str, Any] = {"executor": e}
            steps.append(step)
            if cfg.signal == "score":
                step["predicted"] = predicted[e]
                assert self.threshold is not None
                if not stage_answers(predicted[e], self.threshold):
                    step.update(called=False, accepted=False, reason="predicted below threshold")
                    continue
            if cfg.signal == "agreement":
                samples = await gather_calls(
                    [
                        ctx.executor(e).complete(
                            ctx.request(
                                task, e, step=f"sample:{j}", settings=self._sample_settings(j)
                            )
                        )
                        for j in range(cfg.samples)
                    ]
                )
                calls.extend(samples)
                latency += parallel_latency(samples)
                share, chosen = agreement(samples)
                step["agreement"] = share
                assert self.threshold is not None
                if chosen is not None and share >= self.threshold:
                    step["accepted"] = True
                    return self._trace(chosen, calls, latency, steps)
                step.update(accepted=False, reason="agreement below threshold")
                continue
            call = await ctx.executor(e).complete(ctx.request(task, e))
            calls.append(call)
            latency += call.service_s
            problem = call_error(call) or ("" if call.text.strip() else "empty answer")
            if problem:
                step.update(accepted=False, reason=shorten(problem))
                continue
            if cfg.signal == "verifier":
                assert cfg.verifier is not None and self.threshold is not None
                request = ctx.request(
                    task,
                    cfg.verifier,
                    prompt=self.verifier_prompt(task, call.text),
                    step=f"verify:{e}",
                )
                verdict_call = await ctx.executor(cfg.verifier).complete(request)
                calls.append(verdict_call)
                latency += verdict_call.service_s
                v_error = call_error(verdict_call)
                confidence = (
                    None
                    if v_error is not None
                    else parse_verdict(verdict_call.text, cfg.verifier_mode)
                )
                step["confidence"] = confidence
                if v_error is not None:
                    step.update(accepted=False, reason=f"verifier failed: {shorten(v_error)}")
                    continue
                if confidence is None:
                    step.update(
                        accepted=False,
                        reason="verdict unreadable",
                        verdict=shorten(verdict_call.text),
                    )
                    continue
                if confidence < self.threshold:
                    step.update(accepted=False, reason="confidence below threshold")
                    continue
            step["accepted"] = True
            return self._trace(call, calls, latency, steps)
        last = cfg.executors[-1]
        call = await ctx.executor(last).complete(ctx.request(task, last))
        calls.append(call)
        latency += call.service_s
        steps.append({"executor": last, "accepted": True, "reason": "last executor"})
        return self._trace(call, calls, latency, steps)

    def _trace(
        self, answer: Call, calls: list[Call], latency: float, steps: list[dict[str, Any]]
    ) -> Trace:
        info: dict[str, Any] = {
            "signal": self.config.signal,
            "threshold": self.threshold,
            "accepted": answer.executor,
            "escalations": len(steps) - 1,
            "steps": steps,
        }
        return answer_trace(answer, calls, latency, info_value(info))

    def __repr__(self) -> str:
        return f"Cascade(name={self.name!r}, executors={self.config.executors!r})"


register_strategy(
    "cascade",
    CascadeConfig,
    Cascade,
    summary="executors tried cheapest first; escalate until an acceptance signal passes",
)
