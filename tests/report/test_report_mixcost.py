"""``toolkit project``: the article's routing sum recomputed, at its prices and at litellm's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = [
    "project",
    "--requests",
    "1000000",
    "--tokens-in",
    "2000",
    "--tokens-out",
    "500",
    "--shares",
    "claude-haiku-4-5=0.4,claude-sonnet-4-5=0.5,claude-opus-4-5=0.1",
    "--baseline",
    "claude-opus-4-5",
    "--classifier",
    "claude-haiku-4-5",
    "--classifier-tokens",
    "2000,100",
]


def _line(out: str, start: str, model: str = "") -> str:
    found = [ln for ln in out.splitlines() if ln.startswith(start) and model in ln]
    assert len(found) == 1, out
    return found[0]


def test_the_article_at_its_own_prices(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*ARTICLE, "--prices", str(ROOT / "data" / "prices" / "article.toml")])
    out = capsys.readouterr().out
    assert code == 0
    assert _line(out, "routed ", "claude-haiku-4-5").endswith("$450.00")
    assert _line(out, "routed ", "claude-sonnet-4-5").endswith("$6,750.00")
    assert _line(out, "routed ", "claude-opus-4-5").endswith("$6,750.00")
    assert _line(out, "classifier", "claude-haiku-4-5").endswith("$625.00")
    assert _line(out, "routed total").endswith("$14,575.00")
    assert _line(out, "baseline", "claude-opus-4-5").endswith("$67,500.00")
    assert "$52,925.00" in _line(out, "saving") and "78.4% less" in out
    assert "400,000" in _line(out, "routed ", "claude-haiku-4-5")  # requests, thousands


def test_today_at_litellms_prices(capsys: pytest.CaptureFixture[str]) -> None:
    from toolkit.models import PriceTable

    assert main([*ARTICLE, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    table = PriceTable()

    def usd(model: str, n: float, t_in: float, t_out: float) -> float:
        p = table.price(model)
        return n * (t_in * p.input_per_mtok + t_out * p.output_per_mtok) / 1e6

    want = [
        usd("claude-haiku-4-5", 400_000, 2000, 500),
        usd("claude-sonnet-4-5", 500_000, 2000, 500),
        usd("claude-opus-4-5", 100_000, 2000, 500),
        usd("claude-haiku-4-5", 1_000_000, 2000, 100),
    ]
    assert [line["usd"] for line in got["lines"]] == pytest.approx(want, rel=1e-12)
    assert [line["role"] for line in got["lines"]][-1] == "classifier"
    assert got["routed_usd"] == pytest.approx(sum(want), rel=1e-12)
    assert got["baseline"]["usd"] == pytest.approx(usd("claude-opus-4-5", 1e6, 2000, 500))
    assert {line["price_source"] for line in got["lines"]} == {"litellm"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--shares", "claude-haiku-4-5=0.4,claude-opus-4-5=0.5"], "sum to 0.9"),
        (["--shares", "claude-haiku-4-5"], "is not MODEL=SHARE"),
        (["--baseline", "no-such-model-xyz"], "'no-such-model-xyz' has no known price"),
        (["--baseline", "no-such-model-xyz"], "pass it with --prices FILE"),
        (["--tokens-in", "-5"], "tokens_in must be a finite number >= 0"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    change: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = list(ARTICLE)
    args[args.index(change[0]) + 1] = change[1]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_classifier_tokens_need_two_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    args = [*ARTICLE]
    args[args.index("2000,100")] = "2000"
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--classifier-tokens: expected IN,OUT" in err and "toolkit project" in err
