"""``rules``: a capability-registry router. Rules are data in the spec, tried in order.

Each rule maps a condition on the task (its category, metadata, estimated input tokens or
text) to an executor, named directly (``executor``) or by capability (``capability``: the
cheapest executor that has it). The first rule whose condition holds picks the executor;
when none holds, ``default`` answers. The router makes no call of its own, so its cost is
the chosen executor's call.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from toolkit._errors import InputError, ToolkitError
from toolkit._types import Trace
from toolkit.strategies._base import (
    PlannedCall,
    StrategyConfig,
    StrategyContext,
    register_strategy,
)
from toolkit.strategies._routed_common import (
    routed_call,
    unwrap,
)
from toolkit.tasks import Task

if TYPE_CHECKING:
    from toolkit.models import ExecutorConfig, PriceTable

#: Characters per token of the input-size estimate (when task metadata has no ``input_tokens``).
CHARS_PER_TOKEN = 4


def estimate_input_tokens(task: Task) -> int:
    """The task's input size in tokens: metadata ``input_tokens`` when given (a whole number),
    else ``ceil(len(input) / 4)``, the usual rule of thumb for English text and code."""
    given = task.metadata.get("input_tokens")
    if isinstance(given, int) and not isinstance(given, bool) and given >= 0:
        return given
    return math.ceil(len(task.input) / CHARS_PER_TOKEN)


# ----- the capability registry ----------------------------------------------------------------


@dataclass(frozen=True)
class ExecutorInfo:
    """What the router knows about an executor: its capabilities and how dear it is.

    ``price_per_mtok`` is input + output USD per million tokens for executors priced per token
    (None otherwise); ``hourly_rate_usd`` prices the others by compute time.
    """

    name: str
    kind: str = "litellm"
    capabilities: frozenset[str] = frozenset()
    price_per_mtok: float | None = None
    hourly_rate_usd: float = 0.0
    context_window: int | None = None

    @property
    def rank_price(self) -> float:
        """The price used to find the cheapest executor with a capability.

        Per-token executors: ``price_per_mtok``. Executors priced by compute time: 0 at an
        hourly rate of 0, otherwise they rank after every per-token executor (their price per
        token is unknown in advance); list them in ``cost_order`` to place them.
        """
        if self.price_per_mtok is not None:
            return self.price_per_mtok
        return 0.0 if self.hourly_rate_usd == 0.0 else math.inf


def build_registry(
    configs: Sequence[ExecutorConfig], prices: PriceTable | None = None
) -> dict[str, ExecutorInfo]:
    """The capability registry of ``configs``: each executor's own ``capabilities`` plus its
    model's (from litellm's cost map and the prices TOML: vision, reasoning, long_context), and
    its price. Model lookups use the configured model (before the knob)."""
    out: dict[str, ExecutorInfo] = {}
    table = prices
    for cfg in configs:
        caps = set(cfg.capabilities)
        price: float | None = None
        window: int | None = None
        if cfg.kind in ("litellm", "cli") and cfg.model:
            if table is None:
                from toolkit.models import PriceTable

                table = PriceTable()
            spec = table.spec(cfg.model)
            caps.update(spec.capabilities)
            window = spec.context_window
            if spec.price is not None:
                price = spec.price.input_per_mtok + spec.price.output_per_mtok
        out[cfg.name] = ExecutorInfo(
            name=cfg.name,
            kind=cfg.kind,
            capabilities=frozenset(caps),
            price_per_mtok=price,
            hourly_rate_usd=cfg.hourly_rate_usd,
            context_window=window,
        )
    return out


def registry_from_context(ctx: StrategyContext) -> dict[str, ExecutorInfo]:
    """The registry for ``ctx``: ``ctx.run.capabilities``, else built from the run's executor
    configs (or the executors' own) and its prices (or the executors' price table)."""
    from toolkit.models import ExecutorConfig

    run = ctx.run
    if run.capabilities is not None:
        return dict(run.capabilities)
    configs = [c for c in run.executor_configs if isinstance(c, ExecutorConfig)]
    if not run.executor_configs:
        configs = []
        for ex in ctx.executors.values():
            cfg = unwrap(ex, "config")
            if isinstance(cfg, ExecutorConfig):
                configs.append(cfg)
    prices = run.prices
    if prices is None:
        for ex in ctx.executors.values():
            exec_ctx = unwrap(ex, "ctx")
            prices = getattr(exec_ctx, "prices", None)
            if prices is not None:
                break
    return build_registry(configs, prices)


def cheapest_with(
    capability: str,
    registry: Mapping[str, ExecutorInfo],
    *,
    cost_order: Sequence[str] = (),
    allowed: Sequence[str] | None = None,
) -> str | None:
    """The cheapest executor having ``capability`` (``cost_order`` first, then by price, then
    registry order), or None when none has it."""
    names = list(registry)
    candidates = [
        info
        for info in registry.values()
        if capability in info.capabilities and (allowed is None or info.name in allowed)
    ]
    if not candidates:
        return None
    order = {name: i for i, name in enumerate(cost_order)}

    def key(info: ExecutorInfo) -> tuple[int, float, int]:
        return (order.get(info.name, len(order)), info.rank_price, names.index(info.name))

    return min(candidates, key=key).name


# ----- the spec: conditions and rules ------------------------------------------------------

_LIST_FIELDS = ("category", "task_type", "complexity", "needs")


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class RuleWhen(BaseModel):
    """A rule's condition. Every key given must hold (AND); a list means any of its values.

    String comparisons ignore case. ``task_type``, ``complexity`` and ``needs`` read the task's
    metadata keys of the same name; ``needs`` holds when the task needs every listed thing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    category: list[str] | None = None
    task_type: list[str] | None = None
    complexity: list[str] | None = None
    needs: list[str] | None = None
    input_tokens_over: int | None = Field(default=None, ge=0)
    input_tokens_at_most: int | None = Field(default=None, ge=0)
    input_matches: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator(*_LIST_FIELDS, mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator(*_LIST_FIELDS)
    @classmethod
    def _not_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("an empty list matches nothing; give at least one value")
        return value

    @field_validator("input_matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _some_condition(self) -> RuleWhen:
        if not self.model_fields_set - ({"metadata"} if not self.metadata else set()):
            raise ValueError(
                "a rule needs a condition (category, task_type, complexity, needs, "
                "input_tokens_over, input_tokens_at_most, input_matches or metadata); "
                "use `default` for the otherwise case"
            )
        return self

    def matches(self, task: Task) -> bool:
        """True when every condition given holds for ``task``."""
        if self.category is not None and not _any_of(task.category, self.category):
            return False
        for key in ("task_type", "complexity"):
            wanted = getattr(self, key)
            if wanted is not None and not _any_of(task.metadata.get(key), wanted):
                return False
        if self.needs is not None:
            have = {v.lower() for v in _strings(task.metadata.get("needs"))}
            if not all(n.lower() in have for n in self.needs):
                return False
        if self.input_tokens_over is not None or self.input_tokens_at_most is not None:
            n = estimate_input_tokens(task)
            if self.input_tokens_over is not None and not n > self.input_tokens_over:
                return False
            if self.input_tokens_at_most is not None and not n <= self.input_tokens_at_most:
                return False
        if self.input_matches is not None and not re.search(self.input_matches, task.input):
            return False
        for key, wanted in self.metadata.items():
            options = wanted if isinstance(wanted, list) else [wanted]
            if task.metadata.get(key) not in options:
                return False
        return True

    def describe(self) -> str:
        """The condition as ``key=value`` text, for trace info."""
        parts = []
        for key, value in self.model_dump(exclude_none=True).items():
            if key == "metadata" and not value:
                continue
            parts.append(f"{key}={value}")
        return ", ".join(parts)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        return [v for v in value if isinstance(v, str)]
    return []


def _any_of(value: Any, wanted: Sequence[str]) -> bool:
    lowered = {w.lower() for w in wanted}
    return any(v.lower() in lowered for v in _strings(value))


class Rule(BaseModel):
    """One rule: ``when`` its condition holds, ``executor`` (or the cheapest executor with
    ``capability``) answers."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    when: RuleWhen
    executor: str | None = Field(default=None, min_length=1)
    capability: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_target(self) -> Rule:
        if (self.executor is None) == (self.capability is None):
            raise ValueError(
                "a rule names exactly one of `executor` (an executor's name) or `capability` "
                "(the cheapest executor having it answers)"
            )
        return self


class RulesConfig(StrategyConfig):
    """``[[strategies]] kind = "rules"``: ordered ``rules``, a ``default``, optional ``cost_order``."""

    kind: Literal["rules"] = "rules"
    rules: list[Rule] = Field(min_length=1)
    default: str = Field(min_length=1)
    cost_order: list[str] = Field(default_factory=list)

    def executor_refs(self) -> list[tuple[str, str]]:
        refs = [("default", self.default)]
        refs.extend(
            (f"rules.{i}.executor", r.executor)
            for i, r in enumerate(self.rules)
            if r.executor is not None
        )
        refs.extend((f"cost_order.{i}", name) for i, name in enumerate(self.cost_order))
        return refs

    def default_name(self) -> str:
        return "rules"


class Rules:
    """Route each task by the first rule whose condition holds (see :class:`RulesConfig`)."""

    def __init__(self, config: RulesConfig) -> None:
        self.config = config
        self.name = config.strategy_name
        self._capabilities: dict[str, str] | None = None

    # ----- capabilities ---------------------------------------------------------------------

    def _wanted_capabilities(self) -> list[str]:
        return sorted({r.capability for r in self.config.rules if r.capability is not None})

    def prepare(self, ctx: StrategyContext) -> None:
        """Resolve each ``capability`` rule to the cheapest executor having it, once."""
        wanted = self._wanted_capabilities()
        if not wanted:
            self._capabilities = {}
            return
        registry = registry_from_context(ctx)
        allowed = list(ctx.executors) if ctx.executors else None
        resolved: dict[str, str] = {}
        problems = []
        for cap in wanted:
            found = cheapest_with(cap, registry, cost_order=self.config.cost_order, allowed=allowed)
            if found is None:
                known = "; ".join(
                    f"{i.name}: {', '.join(sorted(i.capabilities)) or '-'}"
                    for i in registry.values()
                )
                problems.append(
                    f"strategy {self.name!r}: no executor has capability {cap!r} "
                    f"(capabilities: {known or 'no executor configs available'}); add it to an "
                    "executor's `capabilities` or route that rule to an `executor`"
                )
            else:
                resolved[cap] = found
        if problems:
            raise InputError(problems[0], problems)
        self._capabilities = resolved

    @property
    def capabilities_(self) -> dict[str, str]:
        """Capability -> executor, once :meth:`prepare` has run."""
        if self._capabilities is None:
            raise ToolkitError(
                f"strategy {self.name!r} has capability rules; call prepare(ctx) first "
                "(the runner does this before planning or running)"
            )
        return self._capabilities

    # ----- routing ---------------------------------------------------------------------------

    def choose(self, task: Task) -> tuple[str, dict[str, Any]]:
        """The executor for ``task`` and why (the rule matched, or the default)."""
        for i, rule in enumerate(self.config.rules):
            if rule.when.matches(task):
                info: dict[str, Any] = {"rule": i, "when": rule.when.describe()}
                if rule.capability is not None:
                    executor = self.capabilities_[rule.capability]
                    info["capability"] = rule.capability
                else:
                    assert rule.executor is not None
                    executor = rule.executor
                info["executor"] = executor
                return executor, info
        return self.config.default, {"rule": "default", "executor": self.config.default}

    def plan(self, task: Task, ctx: StrategyContext) -> Sequence[PlannedCall]:
        executor, _ = self.choose(task)
        return [PlannedCall(executor, ctx.request(task, executor))]

    async def run(self, task: Task, ctx: StrategyContext) -> Trace:
        if self._capabilities is None:
            self.prepare(ctx)
        executor, info = self.choose(task)
        if any(
            r.when.input_tokens_over is not None or r.when.input_tokens_at_most is not None
            for r in self.config.rules
        ):
            info["input_tokens"] = estimate_input_tokens(task)
        return await routed_call(task, ctx, executor, info)

    def __repr__(self) -> str:
        return f"Rules(name={self.name!r}, rules={len(self.config.rules)})"


register_strategy(
    "rules",
    RulesConfig,
    Rules,
    summary="capability-registry router: the first matching rule picks the executor",
)
