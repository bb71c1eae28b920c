"""The model registry: prices from litellm's cost map, TOML overrides, unpriced models."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit._errors import InputError
from toolkit.models import PriceTable, UnpricedModelError, import_litellm, model_spec

CLOUD_MODELS = ["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-5", "gpt-4o-mini", "gpt-4o"]
TOKEN_COUNTS = [(1, 1), (1234, 567), (100_000, 4_096), (0, 800)]


@pytest.mark.parametrize("model", CLOUD_MODELS)
@pytest.mark.parametrize(("tokens_in", "tokens_out"), TOKEN_COUNTS)
def test_cost_equals_litellm_cost_per_token(model: str, tokens_in: int, tokens_out: int) -> None:
    litellm = import_litellm()
    prompt_cost, completion_cost = litellm.cost_per_token(
        model=model, prompt_tokens=tokens_in, completion_tokens=tokens_out
    )
    ours = PriceTable.load(None).cost(model, tokens_in, tokens_out)
    assert ours == pytest.approx(prompt_cost + completion_cost, rel=1e-12, abs=1e-15)
    assert ours > 0


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-sonnet-4-5"])
def test_cost_with_cache_read_tokens_equals_litellm(model: str) -> None:
    litellm = import_litellm()
    p, c = litellm.cost_per_token(
        model=model, prompt_tokens=5000, completion_tokens=300, cache_read_input_tokens=2000
    )
    ours = PriceTable.load(None).cost(model, 5000, 300, cache_read_tokens=2000)
    assert ours == pytest.approx(p + c, rel=1e-12)
    assert ours < PriceTable.load(None).cost(model, 5000, 300)  # cached reads are cheaper


def test_provider_prefixed_names_use_the_same_price() -> None:
    prices = PriceTable.load(None)
    assert prices.cost("anthropic/claude-haiku-4-5", 1000, 1000) == prices.cost(
        "claude-haiku-4-5", 1000, 1000
    )
    assert prices.price("openai/gpt-4o-mini").input_per_mtok == pytest.approx(0.15)


def test_unpriced_model_raises_the_documented_error() -> None:
    prices = PriceTable.load(None)
    with pytest.raises(UnpricedModelError) as info:
        prices.cost("openai/no-such-model-xyz", 10, 10)
    message = str(info.value)
    assert "no-such-model-xyz" in message
    assert "input_per_mtok" in message and "output_per_mtok" in message  # says how to add one
    assert isinstance(info.value, InputError)  # exit code 2
    assert prices.find("openai/no-such-model-xyz") is None


def test_price_toml_overrides_the_cost_map(tmp_path: Path) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(
        '[models."gpt-4o-mini"]\ninput_per_mtok = 2.0\noutput_per_mtok = 8.0\n'
        "cache_read_per_mtok = 0.5\n\n"
        '[models."openai/my-finetune"]\ninput_per_mtok = 0.3\noutput_per_mtok = 1.2\n'
        'context_window = 32768\ncapabilities = ["classification"]\n'
    )
    prices = PriceTable.load(path)
    # 1M in + 1M out at the TOML prices, not the map's 0.15 / 0.60
    assert prices.cost("gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(10.0)
    assert prices.cost("openai/gpt-4o-mini", 1_000_000, 0) == pytest.approx(2.0)
    assert prices.cost("gpt-4o-mini", 1_000_000, 0, cache_read_tokens=1_000_000) == pytest.approx(
        0.5
    )
    # a model litellm does not know becomes priced
    assert prices.cost("openai/my-finetune", 1_000_000, 1_000_000) == pytest.approx(1.5)
    # models not in the TOML keep the cost map's price
    assert prices.cost("gpt-4o", 1_000_000, 0) == pytest.approx(2.5)
    used = prices.used()
    assert used["gpt-4o-mini"]["input_per_mtok"] == 2.0
    assert used["gpt-4o-mini"]["source"].startswith("toml:")
    assert used["gpt-4o"]["source"] == "litellm"
    spec = prices.spec("openai/my-finetune")
    assert spec.context_window == 32768 and "classification" in spec.capabilities


def test_bad_price_toml_is_located(tmp_path: Path) -> None:
    path = tmp_path / "prices.toml"
    path.write_text('\n[models."x"]\ninput_per_mtok = -1\noutput_per_mtok = 1\n')
    with pytest.raises(InputError) as info:
        PriceTable.load(path)
    assert info.value.problems[0].startswith(f'{path}:2: models."x".input_per_mtok:')
    path.write_text('[models."x"]\ninput_per_mtok = 1\n')
    with pytest.raises(InputError) as info:
        PriceTable.load(path)
    assert "output_per_mtok" in info.value.problems[0]
    path.write_text("[models\n")
    with pytest.raises(InputError, match="not valid TOML"):
        PriceTable.load(path)


def test_model_spec_comes_from_the_cost_map() -> None:
    spec = model_spec("claude-sonnet-4-5")
    assert spec.provider == "anthropic"
    assert spec.context_window == 200_000
    assert {"reasoning", "vision", "long_context"} <= set(spec.capabilities)
    assert spec.price is not None and spec.price.output_per_mtok == pytest.approx(15.0)
    mini = model_spec("gpt-4o-mini")
    assert mini.provider == "openai" and mini.context_window == 128_000
    assert "long_context" not in mini.capabilities
