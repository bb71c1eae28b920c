"""Routing strategies inside a spec: unknown executors and bad settings are located errors
before anything runs; ``oracle`` is refused with a pointer to ``toolkit evaluate``."""

from __future__ import annotations

import tomllib

import pytest

import toolkit.strategies._routed  # noqa: F401  (registers the routing kinds)
from toolkit._errors import InputError
from toolkit.runner import Spec

HEAD = """
name = "routed"
[tasks]
paths = ["tasks.jsonl"]

[[executors]]
name = "cheap"
kind = "litellm"
model = "gpt-4o-mini"

[[executors]]
name = "strong"
kind = "litellm"
model = "claude-sonnet-4-5"
"""


def _problems(strategies: str) -> list[str]:
    text = HEAD + strategies
    with pytest.raises(InputError) as info:
        Spec.from_mapping(tomllib.loads(text), source="spec.toml", text=text, check_files=False)
    return info.value.problems


def _ok(strategies: str) -> Spec:
    text = HEAD + strategies
    return Spec.from_mapping(tomllib.loads(text), source="spec.toml", text=text, check_files=False)


def test_a_spec_with_every_live_routing_kind_validates() -> None:
    spec = _ok(
        """
[[strategies]]
kind = "rules"
default = "cheap"
rules = [
  {when = {needs = "vision"}, capability = "vision"},
  {when = {complexity = "high"}, executor = "strong"},
]

[[strategies]]
kind = "classify_then_route"
classifier = "cheap"
routes = {simple = "cheap", hard = "strong"}
default = "strong"

[[strategies]]
kind = "cascade"
executors = ["cheap", "strong"]
signal = "verifier"
verifier = "strong"
threshold = 0.5

[[strategies]]
kind = "score_router"
executors = ["cheap", "strong"]
threshold = 0.1
fit_run = "runs/lab"

[[strategies]]
kind = "random"
shares = {cheap = 0.7, strong = 0.3}
"""
    )
    assert spec.strategy_names() == [
        "rules",
        "classify_then_route",
        "cascade:verifier",
        "score_router:tfidf_logreg",
        "random",
    ]


def test_unknown_executors_are_located() -> None:
    problems = _problems(
        """
[[strategies]]
kind = "cascade"
executors = ["cheap", "gpt-9"]
signal = "declined"

[[strategies]]
kind = "rules"
default = "cheap"

[[strategies.rules]]
when = {complexity = "high"}
executor = "opus"
"""
    )
    assert any(
        p.startswith("spec.toml:") and "strategies.0.executors.1: unknown executor 'gpt-9'" in p
        for p in problems
    ), problems
    assert any("strategies.1.rules.0.executor: unknown executor 'opus'" in p for p in problems)


def test_bad_settings_are_located() -> None:
    problems = _problems(
        """
[[strategies]]
kind = "cascade"
executors = ["cheap", "strong"]
signal = "agreement"
threshold = 1.5
"""
    )
    assert len(problems) == 1
    assert "strategies.0.threshold: threshold must be between 0 and 1" in problems[0]
    assert problems[0].startswith("spec.toml:")
    problems = _problems(
        """
[[strategies]]
kind = "cascade"
executors = []
signal = "declined"
"""
    )
    assert "a cascade needs at least two executors" in problems[0]


def test_oracle_is_refused_live() -> None:
    problems = _problems(
        """
[[strategies]]
kind = "oracle"
"""
    )
    assert "oracle is offline-only" in problems[0]
    assert "toolkit evaluate" in problems[0]
