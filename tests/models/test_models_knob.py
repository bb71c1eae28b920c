"""The model knob: TOOLKIT_MODEL, TOOLKIT_MODEL_<ROLE> and per-task overrides.

Resolution order, highest first: per-task override (Request.model, then task metadata
``models[executor]``, then ``model``) > TOOLKIT_MODEL_<ROLE> > TOOLKIT_MODEL > configured model.
The calls are made for real against the local OpenAI-compatible test server (synthetic names).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from models_fake_openai import FakeOpenAI

from toolkit._types import Call, Request
from toolkit.models import (
    ExecutionContext,
    ExecutorConfig,
    PriceTable,
    aclose_clients,
    build_executors,
    resolve_model,
    uses_local_server,
)


def cfg(name: str = "dev", kind: str = "litellm", **kw: Any) -> ExecutorConfig:
    kw.setdefault("model", "openai/cheap-dev")
    return ExecutorConfig(name=name, kind=kind, **kw)  # type: ignore[arg-type]


R = Request(task_id="t", prompt="p")


def test_resolution_order() -> None:
    c = cfg(role="planner")
    assert resolve_model(c, R, {}) == "openai/cheap-dev"
    env = {"TOOLKIT_MODEL": "openai/frontier"}
    assert resolve_model(c, R, env) == "openai/frontier"
    env["TOOLKIT_MODEL_PLANNER"] = "openai/planner-model"
    assert resolve_model(c, R, env) == "openai/planner-model"
    assert resolve_model(cfg(role="worker"), R, env) == "openai/frontier"  # other role: global
    meta = Request(task_id="t", prompt="p", metadata={"model": "openai/per-task"})
    assert resolve_model(c, meta, env) == "openai/per-task"
    both = Request(
        task_id="t",
        prompt="p",
        metadata={"model": "openai/x", "models": {"dev": "openai/per-task", "other": "openai/y"}},
    )
    assert resolve_model(c, both, env) == "openai/per-task"  # models[executor] beats model
    explicit = Request(task_id="t", prompt="p", model="openai/backup", metadata={"model": "z"})
    assert resolve_model(c, explicit, env) == "openai/backup"  # Request.model beats all


def test_role_can_come_from_the_request() -> None:
    env = {"TOOLKIT_MODEL_CLASSIFIER": "openai/backup", "TOOLKIT_MODEL": "openai/frontier"}
    r = Request(task_id="t", prompt="p", role="classifier")
    assert resolve_model(cfg(), r, env) == "openai/backup"


def test_knob_applies_to_llm_executors_only(tmp_path: Path) -> None:
    env = {"TOOLKIT_MODEL": "openai/frontier"}
    tool = ExecutorConfig(name="calc", kind="tool", tool="arithmetic")
    assert resolve_model(tool, R, env) == ""
    local = ExecutorConfig(name="gemma", kind="local")
    assert resolve_model(local, R, {}) == "local/gemma-3-270m"
    assert resolve_model(local, R, env) == "openai/frontier"
    cli = ExecutorConfig(name="c", kind="cli", command=["toolkit", "complete"], model="m")
    assert resolve_model(cli, R, env) == "openai/frontier"


def test_local_server_needed_follows_the_knob() -> None:
    configs = [cfg()]
    assert not uses_local_server(configs, {})
    assert uses_local_server(configs, {"TOOLKIT_MODEL": "local/gemma-3-270m"})
    assert uses_local_server([ExecutorConfig(name="g", kind="local")], {})
    assert uses_local_server(configs, {}, extra_models=["local/gemma-3-270m"])


def _calls(executors: dict[str, Any], requests: list[tuple[str, Request]]) -> list[Call]:
    async def go() -> list[Call]:
        try:
            return [await executors[name].complete(r) for name, r in requests]
        finally:
            await aclose_clients()

    return asyncio.run(go())


def test_knob_changes_the_model_of_real_calls(
    fake_openai: FakeOpenAI, prices_toml: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configs = [
        cfg("planner", role="planner", api_base=fake_openai.url),
        cfg("worker", role="worker", api_base=fake_openai.url),
    ]
    monkeypatch.delenv("TOOLKIT_MODEL", raising=False)
    monkeypatch.delenv("TOOLKIT_MODEL_PLANNER", raising=False)

    def run_all() -> list[Call]:
        ex = build_executors(configs, ExecutionContext(prices=PriceTable.load(prices_toml)))
        req = Request(task_id="t1", prompt="plan the work")
        return _calls(ex, [("planner", req), ("worker", req)])

    plain = run_all()
    assert [c.model for c in plain] == ["openai/cheap-dev", "openai/cheap-dev"]

    monkeypatch.setenv("TOOLKIT_MODEL", "openai/frontier")
    everyone = run_all()
    assert [c.model for c in everyone] == ["openai/frontier", "openai/frontier"]

    monkeypatch.setenv("TOOLKIT_MODEL_PLANNER", "openai/planner-model")
    by_role = run_all()
    assert [c.model for c in by_role] == ["openai/planner-model", "openai/frontier"]

    # what the server was really asked for, in order
    assert [s.model for s in fake_openai.seen] == [
        "cheap-dev",
        "cheap-dev",
        "frontier",
        "frontier",
        "planner-model",
        "frontier",
    ]
    # the resolved model is priced with its own price
    assert by_role[0].cost_usd == pytest.approx((3 * 5.0 + 2 * 15.0) / 1e6)
    assert by_role[1].cost_usd == pytest.approx((3 * 10.0 + 2 * 30.0) / 1e6)


def test_per_task_override_wins_in_real_calls(
    fake_openai: FakeOpenAI, prices_toml: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLKIT_MODEL", "openai/frontier")
    monkeypatch.setenv("TOOLKIT_MODEL_PLANNER", "openai/planner-model")
    configs = [cfg("planner", role="planner", api_base=fake_openai.url)]
    ex = build_executors(configs, ExecutionContext(prices=PriceTable.load(prices_toml)))
    by_metadata = Request(
        task_id="t1", prompt="hi", metadata={"models": {"planner": "openai/per-task"}}
    )
    by_request = Request(task_id="t2", prompt="hi", model="openai/backup")
    calls = _calls(ex, [("planner", by_metadata), ("planner", by_request)])
    assert [c.model for c in calls] == ["openai/per-task", "openai/backup"]
    assert [s.model for s in fake_openai.seen] == ["per-task", "backup"]


def test_unpriced_knob_value_is_an_input_error(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    from toolkit.models import UnpricedModelError

    ctx = ExecutionContext(
        prices=PriceTable.load(prices_toml), env={"TOOLKIT_MODEL": "openai/nope"}
    )
    with pytest.raises(UnpricedModelError, match="openai/nope"):
        build_executors([cfg(api_base=fake_openai.url)], ctx)
