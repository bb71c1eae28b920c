"""``rules``: conditions over task metadata, category, size and text; capabilities; errors.

The executors are fakes (test doubles) and the tasks synthetic.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from routed_support import FakeExecutor, ctx_of, run, task

import toolkit.strategies._routed  # noqa: F401  (registers the routing kinds)
from toolkit._errors import InputError, ToolkitError
from toolkit.models import ExecutorConfig, PriceTable
from toolkit.strategies import build_strategy, parse_strategy_config
from toolkit.strategies._rules import (
    ExecutorInfo,
    Rules,
    RulesConfig,
    build_registry,
    cheapest_with,
    estimate_input_tokens,
)

RULES = {
    "kind": "rules",
    "default": "mid",
    "rules": [
        {"when": {"needs": "vision"}, "capability": "vision"},
        {"when": {"input_tokens_over": 100}, "capability": "long_context"},
        {"when": {"task_type": ["planning"]}, "executor": "big"},
        {"when": {"complexity": "high"}, "executor": "big"},
        {"when": {"category": ["classify", "extract"]}, "executor": "small"},
        {"when": {"input_matches": r"(?i)\btranslate\b"}, "executor": "small"},
        {"when": {"metadata": {"tier": ["bronze", "silver"]}}, "executor": "small"},
    ],
}

REGISTRY = {
    "small": ExecutorInfo("small", capabilities=frozenset({"classification"}), price_per_mtok=1.0),
    "mid": ExecutorInfo("mid", capabilities=frozenset({"vision"}), price_per_mtok=6.0),
    "big": ExecutorInfo(
        "big", capabilities=frozenset({"vision", "long_context"}), price_per_mtok=30.0
    ),
    "eyes": ExecutorInfo("eyes", capabilities=frozenset({"vision"}), price_per_mtok=3.0),
}


def _executors() -> list[FakeExecutor]:
    return [
        FakeExecutor(name, answer=f"answer from {name}", cost=c)
        for name, c in (("small", 0.001), ("mid", 0.01), ("big", 0.1), ("eyes", 0.005))
    ]


@pytest.mark.parametrize(
    ("t", "expected", "rule"),
    [
        (task("v", "describe the picture", needs=["vision", "ocr"]), "eyes", 0),
        (task("long", "word " * 500), "big", 1),
        (task("plan", "make a plan", task_type="Planning"), "big", 2),
        (task("hard", "prove it", complexity="high"), "big", 3),
        (task("cls", "is this spam?", "classify"), "small", 4),
        (task("tr", "Translate this to French"), "small", 5),
        (task("tier", "anything", tier="silver"), "small", 6),
        (task("plain", "what is 2 + 2?", complexity="low"), "mid", "default"),
        (task("gold", "anything", tier="gold"), "mid", "default"),
    ],
)
def test_rules_route_by_condition(t: object, expected: str, rule: object) -> None:
    strategy = build_strategy(RULES)
    ctx = ctx_of(*_executors(), registry=REGISTRY)
    trace = run(strategy, t, ctx)  # type: ignore[arg-type]
    assert trace.route == (expected,)
    assert trace.answer == f"answer from {expected}"
    assert [c.executor for c in trace.calls] == [expected]
    assert trace.info["rule"] == rule and trace.info["executor"] == expected
    assert trace.cost_usd == trace.calls[0].cost_usd
    assert trace.latency_s == pytest.approx(0.1)


def test_first_matching_rule_wins_and_info_names_it() -> None:
    strategy = build_strategy(RULES)
    t = task("both", "plan this, quickly", "classify", task_type="planning", complexity="high")
    trace = run(strategy, t, ctx_of(*_executors(), registry=REGISTRY))
    assert trace.route == ("big",)  # rule 2 (task_type) comes before rule 4 (category)
    assert trace.info["rule"] == 2
    assert trace.info["when"] == "task_type=['planning']"


def test_all_conditions_of_one_rule_must_hold() -> None:
    cfg = {
        "kind": "rules",
        "default": "mid",
        "rules": [{"when": {"category": "code", "complexity": "high"}, "executor": "big"}],
    }
    strategy = build_strategy(cfg)
    ctx = ctx_of(*_executors())
    assert run(strategy, task("a", "x", "code", complexity="high"), ctx).route == ("big",)
    assert run(strategy, task("b", "x", "code", complexity="low"), ctx).route == ("mid",)
    assert run(strategy, task("c", "x", "chat", complexity="high"), ctx).route == ("mid",)


def test_input_tokens_use_metadata_or_four_chars_per_token() -> None:
    assert estimate_input_tokens(task("a", "x" * 401)) == 101
    assert estimate_input_tokens(task("b", "short", input_tokens=9000)) == 9000
    cfg = {
        "kind": "rules",
        "default": "mid",
        "rules": [{"when": {"input_tokens_over": 4000}, "executor": "big"}],
    }
    strategy = build_strategy(cfg)
    ctx = ctx_of(*_executors())
    trace = run(strategy, task("m", "short", input_tokens=4001), ctx)
    assert trace.route == ("big",) and trace.info["input_tokens"] == 4001
    assert run(strategy, task("n", "x" * 16000), ctx).route == ("mid",)  # exactly 4000
    assert run(strategy, task("o", "x" * 16001), ctx).route == ("big",)


def test_capability_picks_the_cheapest_executor_having_it() -> None:
    assert cheapest_with("vision", REGISTRY) == "eyes"
    assert cheapest_with("long_context", REGISTRY) == "big"
    assert cheapest_with("vision", REGISTRY, cost_order=["big"]) == "big"
    assert cheapest_with("vision", REGISTRY, allowed=["mid", "big"]) == "mid"
    assert cheapest_with("audio", REGISTRY) is None
    # an executor priced by compute time costs 0 at rate 0 and ranks last at a positive rate
    timed = {
        **REGISTRY,
        "local": ExecutorInfo("local", kind="local", capabilities=frozenset({"vision"})),
        "rented": ExecutorInfo(
            "rented", kind="local", capabilities=frozenset({"long_context"}), hourly_rate_usd=2.0
        ),
    }
    assert cheapest_with("vision", timed) == "local"
    assert cheapest_with("long_context", timed) == "big"


def test_registry_from_executor_configs_and_real_prices() -> None:
    """Capabilities come from the config and litellm's cost map; prices rank them."""
    configs = [
        ExecutorConfig(
            name="opus", kind="litellm", model="claude-opus-4-5", capabilities=["planning"]
        ),
        ExecutorConfig(name="haiku", kind="litellm", model="claude-haiku-4-5"),
        ExecutorConfig(name="mini", kind="litellm", model="gpt-4o-mini", capabilities=["cheap"]),
        ExecutorConfig(name="calc", kind="tool", tool="arithmetic", capabilities=["arithmetic"]),
    ]
    registry = build_registry(configs, PriceTable())
    assert "planning" in registry["opus"].capabilities
    assert "vision" in registry["haiku"].capabilities  # from litellm's cost map
    assert registry["haiku"].price_per_mtok == pytest.approx(1.0 + 5.0)
    assert registry["calc"].price_per_mtok is None and registry["calc"].rank_price == 0.0
    assert cheapest_with("vision", registry) == "mini"  # gpt-4o-mini is the cheapest with vision
    cfg = {
        "kind": "rules",
        "default": "haiku",
        "rules": [{"when": {"needs": "vision"}, "capability": "vision"}],
    }
    strategy = build_strategy(cfg)
    fakes = [FakeExecutor(c.name, answer=c.name) for c in configs]
    trace = run(
        strategy, task("img", "look", needs="vision"), ctx_of(*fakes, executor_configs=configs)
    )
    assert trace.route == ("mini",) and trace.info["capability"] == "vision"


def test_capability_nobody_has_is_a_clear_error() -> None:
    cfg = {
        "kind": "rules",
        "default": "mid",
        "rules": [{"when": {"needs": "audio"}, "capability": "audio"}],
    }
    strategy = build_strategy(cfg)
    with pytest.raises(InputError, match="no executor has capability 'audio'"):
        run(strategy, task("a", "x"), ctx_of(*_executors(), registry=REGISTRY))


def test_plan_is_the_chosen_call_and_capabilities_need_prepare() -> None:
    strategy = build_strategy(RULES)
    assert isinstance(strategy, Rules)
    with pytest.raises(ToolkitError, match="call prepare"):
        strategy.plan(task("v", "img", needs="vision"), ctx_of())
    dry = ctx_of(registry=REGISTRY)  # a dry run has configs, not executors
    strategy.prepare(dry)
    assert [p.executor for p in strategy.plan(task("v", "img", needs="vision"), dry)] == ["eyes"]
    assert [p.executor for p in strategy.plan(task("p", "x", complexity="high"), dry)] == ["big"]


def test_failed_call_is_the_trace_error() -> None:
    strategy = build_strategy(
        {
            "kind": "rules",
            "default": "mid",
            "rules": [{"when": {"complexity": "high"}, "executor": "big"}],
        }
    )
    broken = FakeExecutor("big", error="HTTP 500 from provider")
    trace = run(strategy, task("h", "x", complexity="high"), ctx_of(broken, FakeExecutor("mid")))
    assert trace.error == "HTTP 500 from provider" and trace.answer == ""
    assert trace.cost_usd == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"when": {"complexity": "high"}, "executor": "a", "capability": "vision"},
            "exactly one of",
        ),
        ({"when": {"complexity": "high"}}, "exactly one of"),
        ({"when": {}, "executor": "a"}, "a rule needs a condition"),
        ({"when": {"category": []}, "executor": "a"}, "empty list matches nothing"),
        (
            {"when": {"input_matches": "(unclosed"}, "executor": "a"},
            "not a valid regular expression",
        ),
        ({"when": {"colour": "red"}, "executor": "a"}, "Extra inputs are not permitted"),
        ({"when": {"input_tokens_over": -1}, "executor": "a"}, "greater than or equal to 0"),
    ],
)
def test_bad_rules_are_rejected(rule: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_strategy_config({"kind": "rules", "default": "a", "rules": [rule]})


def test_executor_refs_and_default_name() -> None:
    cfg = parse_strategy_config(RULES)
    assert isinstance(cfg, RulesConfig)
    assert cfg.strategy_name == "rules"
    assert cfg.executor_refs() == [
        ("default", "mid"),
        ("rules.2.executor", "big"),
        ("rules.3.executor", "big"),
        ("rules.4.executor", "small"),
        ("rules.5.executor", "small"),
        ("rules.6.executor", "small"),
    ]
    with pytest.raises(ValidationError, match="default"):
        parse_strategy_config({"kind": "rules", "rules": RULES["rules"]})
