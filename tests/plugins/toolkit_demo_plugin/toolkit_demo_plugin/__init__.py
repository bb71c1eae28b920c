"""A test plugin: one of each registered kind, as a user's package would ship them.

- grader ``starts_with``: the answer starts with the target;
- executor ``canned``: answers from a table in its config, priced per call, and fails its
  first ``fail_first`` attempts per prompt with a retryable error (to exercise retries);
- signal ``length``: each executor's mean train score in prompt-length bins;
- strategy ``by_category``: a category -> executor table (live), learned on train (offline);
- importer ``simple_json``: ``{"executors": [...], "tasks": [{"id", "prompt", "category",
  "scores": {...}, "costs": {...}}]}``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

import toolkit
from toolkit.models import ExecutorBase, ProviderError
from toolkit.strategies import PlannedCall, StrategyConfig, StrategyContext


class StartsWithArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ignore_case: bool = True


@toolkit.grader("starts_with", args=StartsWithArgs)
def starts_with(task: toolkit.Task, answer: str, *, args: StartsWithArgs) -> toolkit.Grade:
    """The answer starts with the target."""
    got, want = answer.strip(), str(task.target)
    if args.ignore_case:
        got, want = got.lower(), want.lower()
    ok = got.startswith(want)
    return toolkit.Grade(1.0 if ok else 0.0, "starts with the target" if ok else "does not")


class CannedConfig(ExecutorBase):
    kind: Literal["canned"] = "canned"
    answers: dict[str, str] = Field(default_factory=dict)
    default: str = ""
    cost_per_call_usd: float = Field(default=0.001, ge=0.0)
    fail_first: int = Field(default=0, ge=0)


class Canned:
    """Answers from a table; its first ``fail_first`` attempts per prompt fail (retryable)."""

    def __init__(self, config: CannedConfig) -> None:
        self.name = config.name
        self.config = config
        self.attempts: Counter[str] = Counter()

    def worst_case_usd(self, request: toolkit.Request) -> float:
        return self.config.cost_per_call_usd

    async def complete(self, request: toolkit.Request) -> toolkit.Call:
        self.attempts[request.prompt] += 1
        if self.attempts[request.prompt] <= self.config.fail_first:
            raise ProviderError(f"{self.name}: busy, try again", retryable=True)
        start = time.time()
        text = self.config.answers.get(request.prompt, self.config.default)
        return toolkit.Call(
            executor=self.name,
            model=f"canned/{self.name}",
            text=text,
            tokens_in=len(request.prompt.split()),
            tokens_out=len(text.split()),
            cost_usd=self.config.cost_per_call_usd,
            billed_usd=self.config.cost_per_call_usd,
            task_id=request.task_id,
            started_at=start,
            ended_at=time.time(),
        )


@toolkit.executor("canned", config=CannedConfig)
def canned(config: CannedConfig) -> Canned:
    """Answers from a table in its config (a test executor)."""
    return Canned(config)


@toolkit.signal("length")
class LengthSignal:
    """Each executor's mean train score among tasks of similar prompt length."""

    def __init__(self, *, bins: int = 3) -> None:
        self.bins = bins

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"bins": self.bins}

    def fit(self, train: Any) -> LengthSignal:
        lengths = np.array([len(str(t)) for t in train.text], dtype=float)
        self.edges_ = np.quantile(lengths, np.linspace(0, 1, self.bins + 1)[1:-1])
        which = np.searchsorted(self.edges_, lengths)
        overall = train.score.mean(axis=0)
        self.table_ = np.array(
            [
                train.score[which == b].mean(axis=0) if (which == b).any() else overall
                for b in range(self.bins)
            ]
        )
        return self

    def predict(self, x: Any) -> np.ndarray:
        texts = toolkit_texts(x)
        which = np.searchsorted(self.edges_, np.array([len(t) for t in texts], dtype=float))
        return self.table_[which]


def toolkit_texts(x: Any) -> list[str]:
    """Texts of an OutcomeMatrix or of a sequence of tasks."""
    if hasattr(x, "text"):
        return [str(t) for t in x.text]
    return [t.input for t in x]


class ByCategoryConfig(StrategyConfig):
    kind: Literal["by_category"] = "by_category"
    routes: dict[str, str] = Field(default_factory=dict)
    default: str | None = None

    def executor_refs(self) -> list[tuple[str, str]]:
        refs = [(f"routes.{c}", e) for c, e in self.routes.items()]
        return refs + ([("default", self.default)] if self.default else [])


class ByCategory:
    """Sends each task to the executor its category names."""

    def __init__(self, config: ByCategoryConfig) -> None:
        self.config = config
        self.name = config.strategy_name

    def _pick(self, task: toolkit.Task) -> str:
        chosen = self.config.routes.get(task.category, self.config.default)
        if chosen is None:
            raise toolkit.InputError(f"{self.name}: no route for category {task.category!r}")
        return chosen

    def prepare(self, ctx: StrategyContext) -> None:
        pass

    def plan(self, task: toolkit.Task, ctx: StrategyContext) -> Sequence[PlannedCall]:
        name = self._pick(task)
        return [PlannedCall(name, ctx.request(task, name))]

    async def run(self, task: toolkit.Task, ctx: StrategyContext) -> toolkit.Trace:
        name = self._pick(task)
        call = await ctx.executor(name).complete(ctx.request(task, name))
        return toolkit.Trace(
            answer=call.text,
            calls=(call,),
            route=(name,),
            latency_s=call.latency_s,
            error=call.error,
        )


def by_category_offline(matrix: Any, fitted: Any) -> list[int]:
    """Per category, the executor with the best mean train score (ties: the cheaper)."""
    train = fitted.train
    overall = int(np.lexsort((fitted.cost.mean(axis=0), -train.score.mean(axis=0)))[0])
    best: dict[str, int] = {}
    for cat in set(str(c) for c in train.category):
        rows = train.category == cat
        q, c = train.score[rows].mean(axis=0), fitted.cost[rows].mean(axis=0)
        best[cat] = int(np.lexsort((c, -q))[0])
    return [best.get(str(c), overall) for c in matrix.category]


@toolkit.strategy("by_category", config=ByCategoryConfig, offline=by_category_offline)
def by_category(config: ByCategoryConfig) -> ByCategory:
    """A category -> executor table; offline, the best executor per train category."""
    return ByCategory(config)


@toolkit.importer("simple_json", fields=("prompt",))
def simple_json(path: Path, options: Any) -> toolkit.OutcomeMatrix:
    """``{"executors": [...], "tasks": [{"id", "prompt", "category", "scores", "costs"}]}``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    executors = list(data["executors"])
    tasks = data["tasks"]
    prompt_key = options.columns.get("prompt", "prompt")
    return toolkit.OutcomeMatrix.build(
        task_ids=[t["id"] for t in tasks],
        executors=executors,
        text=[t[prompt_key] for t in tasks],
        category=[t["category"] for t in tasks],
        split=[t.get("split") for t in tasks],
        score=[[t["scores"][e] for e in executors] for t in tasks],
        cost_usd=[[t["costs"][e] for e in executors] for t in tasks],
        source=str(path),
    )
