"""``classify_then_route``: a cheap classifier labels the task; the label picks the executor.

The classifier is any executor: a cheap LLM asked with a prompt built from the label set, or
a specialist that reads the task itself. Its call is part of the trace, so its cost and
latency count. An answer that names no label (or a classifier error) routes to ``default``,
and the trace's info says so.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from toolkit._types import Call, Trace
from toolkit.strategies._base import (
    PlannedCall,
    StrategyConfig,
    StrategyContext,
    register_strategy,
)
from toolkit.strategies._routed_common import sequential_latency, shorten
from toolkit.strategies._single import answer_trace, call_error
from toolkit.tasks import Task

#: Fields a custom classifier ``prompt`` may use.
PROMPT_FIELDS = frozenset({"input", "labels", "descriptions"})

DEFAULT_PROMPT = (
    "Classify the task below. Answer with exactly one of these labels: {labels}.\n"
    "{descriptions}\n"
    "Task:\n{input}\n\n"
    "Label:"
)

_SEP = re.compile(r"[\s_\-]+")
_EDGE = " .,;:!?\"'`()[]{}*<>"
_PREFIX = re.compile(
    r"^(?:the\s+)?(?:label|answer|category|class|type|complexity)\s*(?:is)?\s*[:=-]?\s*"
)


def _norm(text: str) -> str:
    return _SEP.sub(" ", text.strip().lower()).strip(_EDGE)


def parse_label(text: str, labels: Sequence[str]) -> tuple[str | None, str]:
    """The label ``text`` names, and how it was found.

    In order: the whole answer is a label (``exact``); its first line, without a leading
    "Label:"-style prefix, is a label (``first_line``); a label occurs as a whole word, the
    earliest (the longest at one position) wins (``search``). Case, spaces, ``_`` and ``-``
    are ignored. Otherwise ``(None, "unparsed")``.
    """
    lookup = {_norm(label): label for label in labels}
    whole = _norm(text)
    if whole in lookup:
        return lookup[whole], "exact"
    first = next((line for line in text.splitlines() if line.strip()), "")
    head = _PREFIX.sub("", _norm(first)).strip(_EDGE)
    if head in lookup:
        return lookup[head], "first_line"
    best: tuple[int, int, str] | None = None
    for key, label in lookup.items():
        if not key:
            continue
        m = re.search(r"(?<![a-z0-9])" + re.escape(key) + r"(?![a-z0-9])", whole)
        if m is not None:
            cand = (m.start(), -len(key), label)
            if best is None or cand < best:
                best = cand
    if best is not None:
        return best[2], "search"
    return None, "unparsed"


class ClassifyThenRouteConfig(StrategyConfig):
    """``[[strategies]] kind = "classify_then_route"``: ``classifier``, ``routes``, ``default``."""

    kind: Literal["classify_then_route"] = "classify_then_route"
    classifier: str = Field(min_length=1)
    routes: dict[str, str] = Field(min_length=1)
    default: str = Field(min_length=1)
    descriptions: dict[str, str] = Field(default_factory=dict)
    prompt: str | None = None
    classifier_input: Literal["prompt", "task"] = "prompt"

    @field_validator("prompt")
    @classmethod
    def _check_prompt(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        except ValueError as exc:
            raise ValueError(f"prompt is not a valid format string: {exc}") from None
        unknown = sorted(n for n in names if n not in PROMPT_FIELDS)
        if unknown:
            raise ValueError(
                f"prompt uses unknown field(s) {', '.join('{' + n + '}' for n in unknown)}; "
                "allowed: {input}, {labels}, {descriptions} (write {{ and }} for braces)"
            )
        if "input" not in names:
            raise ValueError("prompt must contain {input}, where the task text goes")
        return value

    @model_validator(mode="after")
    def _check_labels(self) -> ClassifyThenRouteConfig:
        seen: dict[str, str] = {}
        for label in self.routes:
            key = _norm(label)
            if not key:
                raise ValueError(f"route label {label!r} is empty once spaces are ignored")
            if key in seen:
                raise ValueError(
                    f"route labels {seen[key]!r} and {label!r} are the same label "
                    "(case, spaces, _ and - are ignored when reading the classifier's answer)"
                )
            seen[key] = label
        extra = sorted(set(self.descriptions) - set(self.routes))
        if extra:
            raise ValueError(
                f"descriptions name labels that have no route: {', '.join(extra)} "
                f"(route labels: {', '.join(self.routes)})"
            )
        return self

    def executor_refs(self) -> list[tuple[str, str]]:
        refs = [("classifier", self.classifier), ("default", self.default)]
        refs.extend((f"routes.{label}", ex) for label, ex in self.routes.items())
        return refs

    def default_name(self) -> str:
        return "classify_then_route"


class ClassifyThenRoute:
    """Ask ``classifier`` for a label, then send the task to ``routes[label]`` (or ``default``)."""

    def __init__(self, config: ClassifyThenRouteConfig) -> None:
        self.config = config
        self.name = config.strategy_name
        self.labels = list(config.routes)

    def classifier_prompt(self, task: Task) -> str:
        """What the classifier is sent: the prompt built from the labels, or the task itself."""
        if self.config.classifier_input == "task":
            return task.input
        descriptions = "".join(
            f"- {label}: {self.config.descriptions[label]}\n"
            for label in self.labels
            if label in self.config.descriptions
        )
        template = self.config.prompt or DEFAULT_PROMPT
        return template.format(
            input=task.input, labels=", ".join(self.labels), descriptions=descriptions
        )

    def _targets(self) -> list[str]:
        out: list[str] = []
        for ex in [*self.config.routes.values(), self.config.default]:
            if ex not in out:
                out.append(ex)
        return out

    def prepare(self, ctx: StrategyContext) -> None:
        """Nothing to prepare: the classifier is asked per task."""

    def plan(self, task: Task, ctx: StrategyContext) -> Sequence[PlannedCall]:
        """The classifier call plus one call to each executor a label may pick (an upper bound:
        the label is not known before the classifier answers)."""
        c = self.config.classifier
        planned = [
            PlannedCall(
                c, ctx.request(task, c, prompt=self.classifier_prompt(task), step="classify")
            )
        ]
        planned.extend(PlannedCall(ex, ctx.request(task, ex)) for ex in self._targets())
        return planned

    def decide(self, call: Call) -> tuple[str, dict[str, Any]]:
        """The executor the classifier's call picks, and the decision for the trace."""
        info: dict[str, Any] = {"classifier": call.executor}
        error = call_error(call)
        if error is not None:
            info.update(label=None, parsed="classifier_error", classifier_error=error)
            executor = self.config.default
        else:
            label, how = parse_label(call.text, self.labels)
            info.update(label=label, parsed=how)
            if label is None:
                info["classifier_answer"] = shorten(call.text)
                executor = self.config.default
            else:
                executor = self.config.routes[label]
        info["executor"] = executor
        return executor, info

    async def run(self, task: Task, ctx: StrategyContext) -> Trace:
        c = self.config.classifier
        request = ctx.request(task, c, prompt=self.classifier_prompt(task), step="classify")
        c_call = await ctx.executor(c).complete(request)
        executor, info = self.decide(c_call)
        call = await ctx.executor(executor).complete(ctx.request(task, executor))
        return answer_trace(call, (c_call, call), sequential_latency([c_call, call]), info)

    def __repr__(self) -> str:
        return f"ClassifyThenRoute(name={self.name!r}, classifier={self.config.classifier!r})"


register_strategy(
    "classify_then_route",
    ClassifyThenRouteConfig,
    ClassifyThenRoute,
    summary="a cheap classifier labels the task; the label picks the executor",
)
