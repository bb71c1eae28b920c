"""benchmarks/cloud.toml: the lab's strategies over four cloud models. Without the API keys
`toolkit run` names the missing variables and stops (exit 2) before any call or run directory;
`--dry-run` plans it without keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_helpers import CLOUD_SPEC

from toolkit.cli import main
from toolkit.runner import load_spec

MODELS = {
    "gpt-4o-mini": "gpt-4o-mini",
    "haiku": "claude-haiku-4-5",
    "sonnet": "claude-sonnet-4-5",
    "opus": "claude-opus-4-5",
}


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key in the environment, and any provider call fails the test."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("TOOLKIT_MODEL", raising=False)

    async def no_call(*args: object, **kwargs: object) -> object:
        raise AssertionError("a provider was called")

    from toolkit.models import LLMExecutor

    monkeypatch.setattr(LLMExecutor, "_attempt", no_call)


def test_cloud_spec_names_the_four_models_and_the_lab_strategies() -> None:
    spec = load_spec(CLOUD_SPEC)
    got = {c.name: (c.kind, c.model, c.api_key_env) for c in spec.executors}
    assert got == {
        name: ("litellm", model, "OPENAI_API_KEY" if name == "gpt-4o-mini" else "ANTHROPIC_API_KEY")
        for name, model in MODELS.items()
    }
    kinds = {s.kind for s in spec.strategies}
    assert kinds == {"single", "rules", "classify_then_route", "cascade"}
    singles = {s.strategy_name for s in spec.strategies if s.kind == "single"}
    assert singles == {f"single:{name}" for name in MODELS}


def test_run_without_keys_stops_before_any_call(
    no_keys: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(["run", str(CLOUD_SPEC), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "ANTHROPIC_API_KEY" in err and "OPENAI_API_KEY" in err
    assert "haiku, sonnet, opus" in err and "gpt-4o-mini" in err
    assert f"{CLOUD_SPEC}:" in err  # located at the spec's api_key_env lines
    assert not out.exists()


def test_one_missing_key_is_named_alone(
    no_keys: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "not-a-real-key")
    out = tmp_path / "run"
    assert main(["run", str(CLOUD_SPEC), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "OPENAI_API_KEY" in err and "ANTHROPIC_API_KEY" not in err
    assert not out.exists()


def test_dry_run_works_without_keys(no_keys: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(CLOUD_SPEC), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    for name, model in MODELS.items():
        line = next(x for x in printed.splitlines() if x.startswith(name + " "))
        assert model in line and "per Mtok" in line


def test_a_model_served_locally_needs_no_key(
    no_keys: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key check follows model resolution: with the knob pointing every executor at the
    local server, no cloud key is needed (the run gets past the check and fails elsewhere)."""
    from toolkit.runner._run import _check_api_keys, _Plan

    spec = load_spec(CLOUD_SPEC)
    plan = _Plan.make(spec, concurrency=None, budget=None)
    from toolkit.models import ExecutionContext, PriceTable, build_executors

    executors = build_executors(spec.executor_configs(), ExecutionContext(prices=PriceTable()))
    ctx = plan.context(executors, PriceTable())
    plan.prepare(ctx)
    with pytest.raises(Exception, match="OPENAI_API_KEY"):
        _check_api_keys(plan, ctx, set(), env={})
    _check_api_keys(plan, ctx, set(), env={"TOOLKIT_MODEL": "local/gemma-3-270m"})
    done = {(t.id, s.name) for t, s in plan.pairs()}
    _check_api_keys(plan, ctx, done, env={})  # nothing left to run: nothing needs a key
