"""The monthly projection and ``--mix`` parsing, checked by hand on small made-up entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from toolkit._errors import InputError
from toolkit.report import parse_mix, project
from toolkit.report._render import csv_cell, md_escape
from toolkit.report._sections import usd


def _entry(name: str, cats: dict[str, tuple[float, float, int]]) -> dict[str, Any]:
    """A strategy entry in the evaluate layout: category -> (quality, total cost, n)."""
    return {
        "name": name,
        "by_category": {
            c: {"quality": q, "cost_usd": cost, "n": n} for c, (q, cost, n) in cats.items()
        },
    }


# The design guide's worked example, as measured per-task costs: frontier $0.0675 a task,
# cheap/mid/frontier routing 40/50/10 -> $0.025 a task; at 1M tasks a month, 63% less.
FRONTIER = _entry(
    "single:frontier", {"simple": (0.9, 0.0675 * 40, 40), "hard": (0.95, 0.0675 * 60, 60)}
)
ROUTED = _entry(
    "classify_then_route", {"simple": (0.88, 0.01 * 40, 40), "hard": (0.9, 0.035 * 60, 60)}
)


def test_measured_mix_reproduces_the_worked_example() -> None:
    p = project([FRONTIER, ROUTED], baseline="single:frontier", monthly_requests=1_000_000)
    assert p.mix == {"hard": 0.6, "simple": 0.4}
    assert p.mix_source == "measured test-split mix"
    base, routed = p.row("single:frontier"), p.row("classify_then_route")
    assert base.monthly_usd == pytest.approx(67_500)
    assert routed.monthly_usd == pytest.approx(1e6 * (0.4 * 0.01 + 0.6 * 0.035))  # $25,000
    assert routed.saving_usd == pytest.approx(42_500)
    assert routed.saving_pct == pytest.approx(42_500 / 67_500)  # 63%
    assert routed.quality == pytest.approx(0.4 * 0.88 + 0.6 * 0.9)
    assert base.is_baseline and not routed.is_baseline
    assert usd(base.monthly_usd) == "$67,500"


def test_given_mix_is_normalised_and_missing_categories_get_zero() -> None:
    p = project(
        [FRONTIER, ROUTED],
        baseline="single:frontier",
        monthly_requests=1000,
        mix={"simple": 30},
    )
    assert p.mix == {"hard": 0.0, "simple": 1.0}
    assert p.row("classify_then_route").monthly_usd == pytest.approx(1000 * 0.01)
    assert any("scaled to sum to 1" in n for n in p.notes)
    assert any("share 0: hard" in n for n in p.notes)


def test_a_category_without_measurements_gives_no_dollar_figure() -> None:
    partial = _entry("live:rules", {"simple": (1.0, 0.1, 10)})
    p = project([FRONTIER, partial], baseline="single:frontier", monthly_requests=10)
    assert p.row("live:rules").monthly_usd is None
    assert p.row("live:rules").saving_pct is None
    only_simple = project(
        [FRONTIER, partial], baseline="single:frontier", monthly_requests=10, mix={"simple": 1}
    )
    assert only_simple.row("live:rules").monthly_usd == pytest.approx(10 * 0.01)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("math", "'math' is not CATEGORY=SHARE"),
        ("math=x", "share 'x' is not a number"),
        ("math=-0.1", "share must be a finite number >= 0"),
        ("math=nan", "share must be a finite number >= 0"),
        ("math=1,math=2", "category 'math' is given twice"),
        (",", "--mix: empty"),
    ],
)
def test_parse_mix_rejects_bad_text(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        parse_mix(text)


def test_parse_mix_accepts_shares_and_names_with_equals() -> None:
    assert parse_mix("math=0.4, code=60") == {"math": 0.4, "code": 60.0}
    assert parse_mix("a=b=1") == {"a=b": 1.0}  # the last = splits name and share


def test_project_rejects_zero_mix_unknown_baseline_and_negative_volume() -> None:
    with pytest.raises(InputError, match="sum to 0"):
        project([FRONTIER], baseline="single:frontier", monthly_requests=1, mix={"hard": 0})
    with pytest.raises(InputError, match="not among the evaluated strategies"):
        project([FRONTIER], baseline="single:other", monthly_requests=1)
    with pytest.raises(InputError, match=">= 0"):
        project([FRONTIER], baseline="single:frontier", monthly_requests=-1)


def test_markdown_and_csv_escaping() -> None:
    assert md_escape("a|b <i>x</i> [l](javascript:1) *s* _u_") == (
        r"a\|b &lt;i&gt;x&lt;/i&gt; \[l\](javascript:1) \*s\* \_u\_"
    )
    assert md_escape("two\nlines") == "two lines"
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_cell("-0.5") == "-0.5"
    assert csv_cell(None) == ""


def test_csv_cells_never_hold_a_bare_cr_or_a_formula() -> None:
    assert csv_cell("\r=3+3") == "'\n=3+3"
    assert csv_cell("  @SUM(A1)") == "'  @SUM(A1)"
    assert csv_cell("a\r\nb\rc") == "a\nb\nc"
    assert csv_cell("\tcmd") == "'\tcmd"
    assert csv_cell("plain - text") == "plain - text"


def test_exported_long_csv_is_safe_and_imports_again(tmp_path: Path) -> None:
    import csv

    from toolkit.outcomes import import_outcomes
    from toolkit.report import export_long_csv

    src = tmp_path / "in.csv"
    src.write_text(
        "prompt_id,prompt,category,model,score,cost_usd,tokens_in,tokens_out,latency_s\n"
        't1,"=HYPERLINK(""http://x"",""y"")",c,a,1,0.1,5,5,1\n'
        't1,"=HYPERLINK(""http://x"",""y"")",c,b,0,0.2,5,5,1\n'
        't2,"two\rlines",c,a,0,0.1,5,5,1\nt2,"two\rlines",c,b,1,0.2,5,5,1\n',
        encoding="utf-8",
        newline="",
    )
    matrix = import_outcomes(src, "long")
    out = export_long_csv(matrix, tmp_path / "out.csv")
    data = out.read_bytes()
    assert b"\r" not in data
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert all(not r["prompt"].startswith(("=", "+", "-", "@")) for r in rows)
    again = import_outcomes(out, "long")
    assert again.n_tasks == 2 and list(again.executors) == ["a", "b"]
