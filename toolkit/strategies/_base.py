"""The strategy layer's base: the Strategy protocol, its context, configs and the kind registry.

A strategy is a policy over executors: ``await strategy.run(task, ctx)`` makes calls through
``ctx`` and returns a :class:`~toolkit.Trace` (every call plus the final answer). Each kind
of strategy has a pydantic config (the ``[[strategies]]`` table of a spec) and a factory,
registered in :mod:`toolkit.registry` (``@toolkit.strategy`` or :func:`register_strategy`);
:func:`build_strategy` turns a config into a strategy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from toolkit._errors import InputError
from toolkit._types import Executor, Request, Trace
from toolkit.registry import REGISTRY, Entry
from toolkit.tasks import Task

if TYPE_CHECKING:
    from toolkit.models import ExecutorBase, PriceTable
    from toolkit.strategies._rules import ExecutorInfo


@dataclass(frozen=True)
class PlannedCall:
    """One call a strategy may make on a task, for dry runs and cost estimates."""

    executor: str
    request: Request


@runtime_checkable
class Strategy(Protocol):
    """A policy over executors. ``name`` is what results are filed under.

    The runner calls ``prepare(ctx)`` once before it plans or runs anything (fit a signal,
    resolve rules, read a reference run; nothing to do for most), then ``plan`` for dry runs
    and cost estimates, and ``run`` for each task.
    """

    name: str

    def prepare(self, ctx: StrategyContext) -> None:
        """One-off work before any plan or run; calling it again does nothing."""
        ...

    def plan(self, task: Task, ctx: StrategyContext) -> Sequence[PlannedCall]:
        """The calls ``run`` may make on ``task`` in the worst case (no call is made); the
        requests come from ``ctx.request``, so they carry the spec's overrides."""
        ...

    async def run(self, task: Task, ctx: StrategyContext) -> Trace:
        """Answer ``task``; provider errors end up in the trace, never raised."""
        ...


class ModelOverride(BaseModel):
    """A per-task model override from a spec's ``[[overrides]]`` table.

    It applies to the tasks it selects (``tasks`` ids and/or ``categories``; both empty
    selects every task) and to ``executor`` (None: every LLM executor).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    model: str = Field(min_length=1)
    executor: str | None = None
    categories: list[str] = Field(default_factory=list)
    tasks: list[str] = Field(default_factory=list)

    def applies(self, task: Task, executor: str) -> bool:
        """True when this override selects ``task`` on ``executor``."""
        if self.executor is not None and self.executor != executor:
            return False
        if self.tasks and task.id not in self.tasks:
            return False
        return not (self.categories and task.category not in self.categories)


def task_model(task: Task, executor: str, overrides: Sequence[ModelOverride] = ()) -> str | None:
    """The per-task model override for ``executor`` on ``task``, or None.

    Order: task metadata ``models`` (a map executor -> model), then task metadata ``model``,
    then the first spec override that applies. The executor layer ranks this above the
    ``TOOLKIT_MODEL_<ROLE>`` and ``TOOLKIT_MODEL`` knobs and the executor's own model.
    """
    from toolkit.models import task_model_override

    own = task_model_override(task.metadata, executor)
    if own is not None:
        return own
    for override in overrides:
        if override.applies(task, executor):
            return override.model
    return None


@dataclass(frozen=True)
class RunInfo:
    """What the runner tells strategies about the run (every field optional).

    ``tasks``: every task of the spec's task files, by id (a fit run's texts are looked up
    here); ``executor_configs``: the spec's executors; ``prices``: the run's price table;
    ``base_dir``: the folder the spec's relative paths are resolved from; ``capabilities``:
    the ``rules`` strategy's capability registry, by executor (built from the configs and
    prices when not given).
    """

    tasks: Mapping[str, Task] = field(default_factory=dict)
    executor_configs: Sequence[ExecutorBase] = ()
    prices: PriceTable | None = None
    base_dir: Path | None = None
    capabilities: Mapping[str, ExecutorInfo] | None = None

    @classmethod
    def of(
        cls,
        *,
        tasks: Mapping[str, Task] | Iterable[Task] = (),
        executor_configs: Sequence[ExecutorBase] | Mapping[str, ExecutorBase] = (),
        prices: PriceTable | None = None,
        base_dir: str | Path | None = None,
        capabilities: Mapping[str, ExecutorInfo] | None = None,
    ) -> RunInfo:
        """A run description from tasks and configs given as mappings or sequences."""
        by_id = dict(tasks) if isinstance(tasks, Mapping) else {t.id: t for t in tasks}
        configs = (
            list(executor_configs.values())
            if isinstance(executor_configs, Mapping)
            else list(executor_configs)
        )
        return cls(
            tasks=by_id,
            executor_configs=configs,
            prices=prices,
            base_dir=Path(base_dir) if base_dir is not None else None,
            capabilities=capabilities,
        )


@dataclass(frozen=True)
class StrategyContext:
    """What a strategy may use: the executors by name, per-task overrides, and the run."""

    executors: Mapping[str, Executor]
    overrides: Sequence[ModelOverride] = ()
    run: RunInfo = field(default_factory=RunInfo)

    def executor(self, name: str) -> Executor:
        """The executor called ``name``; a clear error when the spec has none by that name."""
        try:
            return self.executors[name]
        except KeyError:
            known = ", ".join(sorted(self.executors)) or "none"
            raise InputError(f"unknown executor {name!r} (this run has: {known})") from None

    def request(
        self,
        task: Task,
        executor: str,
        *,
        prompt: str | None = None,
        step: str = "",
        role: str = "",
        settings: Mapping[str, Any] | None = None,
    ) -> Request:
        """The request for ``task`` on ``executor``, carrying the per-task model override."""
        return make_request(
            task,
            executor,
            overrides=self.overrides,
            prompt=prompt,
            step=step,
            role=role,
            settings=settings,
        )


def make_request(
    task: Task,
    executor: str,
    *,
    overrides: Sequence[ModelOverride] = (),
    prompt: str | None = None,
    step: str = "",
    role: str = "",
    settings: Mapping[str, Any] | None = None,
) -> Request:
    """Build the :class:`~toolkit.Request` a strategy sends to ``executor`` for ``task``."""
    return Request(
        task_id=task.id,
        prompt=task.input if prompt is None else prompt,
        category=task.category,
        role=role,
        step=step,
        model=task_model(task, executor, overrides),
        metadata=task.metadata,
        settings=dict(settings or {}),
    )


class StrategyConfig(BaseModel):
    """Base of every strategy kind's config: ``kind`` and an optional ``name``.

    Subclasses add their fields (with ``extra="forbid"``) and list the executors they name
    in :meth:`executor_refs`, so a spec can check them before anything runs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    kind: str
    name: str | None = Field(default=None, min_length=1)

    def executor_refs(self) -> list[tuple[str, str]]:
        """(key, executor name) for every executor this config names; key is dotted."""
        return []

    def default_name(self) -> str:
        """The name used when the config gives none."""
        return self.kind

    def sole_executor(self) -> str | None:
        """The executor that answers every task alone, for single-executor strategies (its
        results are then a column of the run's outcome matrix); None otherwise."""
        return None

    @property
    def strategy_name(self) -> str:
        """The name results are filed under."""
        return self.name or self.default_name()


C = TypeVar("C", bound=StrategyConfig)


def register_strategy(
    kind: str,
    config: type[C],
    build: Callable[[C], Strategy],
    *,
    summary: str = "",
    offline: Callable[..., Any] | None = None,
    replace: bool = False,
) -> None:
    """Add a kind of strategy: ``config`` validates its spec table, ``build`` makes it.

    The same as the :func:`toolkit.strategy` decorator; a name clash is an error unless
    ``replace=True``.
    """
    REGISTRY.register(
        "strategy", kind, build, config=config, summary=summary, replace=replace, offline=offline
    )


def strategy_kinds() -> tuple[str, ...]:
    """The registered kinds (built-in ones included), sorted."""
    return REGISTRY.names("strategy")


def strategy_kind(kind: str) -> Entry:
    """The registration of ``kind``; ``InputError`` with a did-you-mean otherwise."""
    found = REGISTRY.lookup("strategy", kind)
    if found is None:
        raise InputError(REGISTRY.unknown("strategy", kind, what="strategy kind"))
    return found


def parse_strategy_config(data: Mapping[str, Any]) -> StrategyConfig:
    """Validate one ``[[strategies]]`` table with its kind's config model.

    Raises ``InputError`` for a missing or unknown kind and pydantic's ``ValidationError``
    for bad fields (the spec loader turns those into located messages).
    """
    kind = data.get("kind")
    if not isinstance(kind, str):
        raise InputError(
            f"missing or non-string 'kind' (known: {', '.join(strategy_kinds()) or 'none'})"
        )
    model = strategy_kind(kind).config
    assert model is not None  # the strategy decorator requires one
    config: StrategyConfig = model.model_validate(dict(data))
    return config


def build_strategy(config: StrategyConfig | Mapping[str, Any]) -> Strategy:
    """The strategy a config describes (a mapping is validated first)."""
    if not isinstance(config, StrategyConfig):
        config = parse_strategy_config(config)
    strategy: Strategy = strategy_kind(config.kind).obj(config)
    return strategy
