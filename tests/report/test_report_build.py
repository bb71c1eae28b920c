"""The cost report's files and numbers, from a SYNTHETIC run (see conftest.py)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from report_helpers import HOSTILE_CATEGORY, HOURLY_RATE

from toolkit._errors import InputError
from toolkit.report import CSP, build_cost_report, load_inputs, write_files
from toolkit.runs import read_calls, read_results

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _summary(report_dir: Path) -> list[dict[str, str]]:
    text = (report_dir / "summary.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_report_writes_every_file(built_report: Path) -> None:
    names = {p.name for p in built_report.iterdir()}
    assert {"report.md", "report.html", "summary.csv"} <= names
    pngs = sorted(n for n in names if n.endswith(".png"))
    assert {"frontier.png", "latency.png", "projection.png", "projection_whatif.png"} <= set(pngs)
    for n in pngs:
        assert (built_report / n).read_bytes().startswith(PNG_MAGIC)
    md = (built_report / "report.md").read_text(encoding="utf-8")
    for n in pngs:  # every figure is linked from the Markdown
        assert f"]({n})" in md
    # No temp or old folders are left beside the report.
    leftovers = [p.name for p in built_report.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_html_is_self_contained_under_a_strict_csp(built_report: Path) -> None:
    page = (built_report / "report.html").read_text(encoding="utf-8")
    head = page[: page.index("</head>")]
    assert head.index("Content-Security-Policy") < head.index("<title>")
    assert f'content="{CSP}"' in head.replace("&#x27;", "'")
    assert "default-src 'none'" in CSP and "script-src" not in CSP
    srcs = re.findall(r'\ssrc="([^"]*)"', page)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert not re.search(r'\s(href|src)="(https?:|//|javascript:)', page)
    assert "<script" not in page and "<link" not in page


def test_hostile_text_is_escaped_in_html_and_markdown(built_report: Path) -> None:
    page = (built_report / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;document.title=&#x27;PWNED-script&#x27;&lt;/script&gt;" in page or (
        "&lt;/style&gt;&lt;script&gt;" in page
    )
    assert "onerror=" not in page.replace("onerror=&quot;", "")  # only as escaped text
    assert "</td><script>" not in page  # the hostile category name is escaped too
    md = (built_report / "report.md").read_text(encoding="utf-8")
    assert "<script" not in md and "<img" not in md and "<iframe" not in md
    assert "&lt;script&gt;" in md
    assert not re.search(r"(?<!\\)\]\(javascript:", md)  # brackets are escaped
    for line in md.splitlines():
        if line.startswith("| t0"):  # a sample row keeps its column count despite | in text
            assert len(re.findall(r"(?<!\\)\|", line)) == 8


def test_markdown_renders_inert_in_a_commonmark_renderer(built_report: Path) -> None:
    """A real CommonMark renderer, with raw HTML allowed, makes no element from the text."""
    markdown_it = pytest.importorskip("markdown_it")
    from html.parser import HTMLParser

    md = (built_report / "report.md").read_text(encoding="utf-8")
    rendered = markdown_it.MarkdownIt("commonmark").enable("table").render(md)
    tags: list[tuple[str, dict[str, str | None]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.append((tag, dict(attrs)))

    Collect().feed(rendered)
    names = {t for t, _ in tags}
    assert "table" in names and "img" in names
    assert not names & {"script", "iframe", "svg", "a", "meta", "style"}
    for tag, attrs in tags:
        assert not any(k.startswith("on") for k in attrs), tag
        if tag == "img":  # only the report's own figures
            assert str(attrs.get("src", "")).endswith(".png")
            assert "://" not in str(attrs.get("src", ""))
    assert "PWNED-" in rendered and "onerror=" in rendered  # the hostile text, as text


def test_report_states_hourly_rate_and_routing_costs(built_report: Path) -> None:
    md = (built_report / "report.md").read_text(encoding="utf-8")
    assert f"${HOURLY_RATE:g}/hour" in md
    assert "live strategies include every routing call" in md


def test_numbers_match_the_run_records(built_report: Path, synthetic_run: Path) -> None:
    """Independent arithmetic over results.jsonl agrees with the report's summary.csv."""
    rows = {(r["strategy"], r["params"]): r for r in _summary(built_report)}
    results = read_results(synthetic_run)
    test_rows = [r for r in results if r.split == "test"]
    for e in ("tiny", "mid", "calc"):
        mine = [r for r in test_rows if r.strategy == f"single:{e}"]
        row = rows[(f"single:{e}", "{}")]
        assert float(row["quality"]) == pytest.approx(np.mean([r.score for r in mine]))
        assert float(row["cost_usd"]) == pytest.approx(sum(r.cost_usd for r in mine))
    live = [r for r in test_rows if r.strategy == "classify_then_route"]
    row = rows[("classify_then_route", "{}")]
    assert row["how"] == "live"
    assert float(row["cost_usd"]) == pytest.approx(sum(r.cost_usd for r in live))
    assert float(row["quality"]) == pytest.approx(np.mean([r.score for r in live]))
    # Its routing calls (the classifier on "tiny") are in the cost: every task called tiny.
    assert json.loads(row["call_share"])["tiny"] == 1.0
    base = rows[("single:mid", "{}")]
    saving = 1 - float(row["cost_per_task"]) / float(base["cost_per_task"])
    assert float(row["saving_vs_baseline_pct"]) == pytest.approx(100 * saving)


def test_summary_csv_has_every_setting(built_report: Path) -> None:
    rows = _summary(built_report)
    names = {r["strategy"] for r in rows}
    assert {"single:tiny", "single:mid", "single:calc", "oracle", "classify_then_route"} <= names
    assert any(n.startswith("score_router:") for n in names)
    assert sum(1 for r in rows if r["shown"] == "1") < len(rows)
    for r in rows:
        for k, v in r.items():
            assert v.lower() not in ("nan", "inf", "-inf"), (r["strategy"], k)


def test_monthly_projection_is_volume_times_mix_weighted_cost(built_report: Path) -> None:
    rows = {(r["strategy"], r["params"]): r for r in _summary(built_report)}
    base = rows[("single:mid", "{}")]
    # Measured mix is even over three categories of 10 test tasks each; at an even mix the
    # projection is volume x overall cost per task.
    assert float(base["monthly_usd"]) == pytest.approx(250_000 * float(base["cost_per_task"]))
    tiny = rows[("single:tiny", "{}")]
    assert float(tiny["monthly_saving_usd"]) == pytest.approx(
        float(base["monthly_usd"]) - float(tiny["monthly_usd"])
    )


def test_mix_weights_categories(synthetic_run: Path) -> None:
    inputs = load_inputs(synthetic_run)
    report = build_cost_report(
        inputs, monthly_requests=1000, mix={"math": 3, "sentiment": 1}, n_boot=50
    )
    p = report.analysis.projection
    assert p is not None
    assert p.mix == {"math": 0.75, "sentiment": 0.25, HOSTILE_CATEGORY: 0.0}
    assert any("scaled" in n for n in p.notes)
    test = inputs.test
    j = test.index("mid")
    per = {c: float(test.cost_usd[test.category == c, j].mean()) for c in ("math", "sentiment")}
    expected = 1000 * (0.75 * per["math"] + 0.25 * per["sentiment"])
    assert p.row("single:mid").monthly_usd == pytest.approx(expected)


def test_baseline_flag_and_unknown_baseline(synthetic_run: Path) -> None:
    inputs = load_inputs(synthetic_run)
    report = build_cost_report(inputs, baseline="tiny", n_boot=50)
    assert report.analysis.baseline == "single:tiny"
    assert report.analysis.row("single:tiny").saving_pct == pytest.approx(0.0)
    with pytest.raises(InputError, match="'nope' is not in the outcomes; known: tiny, mid, calc"):
        build_cost_report(inputs, baseline="nope", n_boot=50)


def test_reprice_uses_token_counts_and_lists_what_it_kept(
    synthetic_run: Path, tmp_path: Path
) -> None:
    prices = tmp_path / "p.toml"
    prices.write_text(
        '[models."gpt-4o-mini"]\ninput_per_mtok = 3.0\noutput_per_mtok = 15.0\n', encoding="utf-8"
    )
    inputs = load_inputs(synthetic_run)
    report = build_cost_report(inputs, reprice_file=prices, n_boot=50)
    assert report.whatif is not None
    rp, whatif = report.whatif
    assert rp.matched == {"mid": "gpt-4o-mini"}
    assert set(rp.kept) == {"tiny", "calc"}
    test_mid = [
        r for r in read_results(synthetic_run) if r.split == "test" and r.strategy == "single:mid"
    ]
    expected = sum((r.tokens_in * 3.0 + r.tokens_out * 15.0) / 1e6 for r in test_mid)
    assert whatif.row("single:mid").entry["cost_usd"] == pytest.approx(expected)
    # Unmatched executors keep their measured cost; quality does not change.
    assert whatif.row("single:tiny").entry["cost_usd"] == pytest.approx(
        report.analysis.row("single:tiny").entry["cost_usd"]
    )
    assert (
        whatif.row("single:mid").entry["quality"]
        == report.analysis.row("single:mid").entry["quality"]
    )
    # Live calls are re-priced call by call (the classifier stays at its hourly cost).
    calls = [c for c in read_calls(synthetic_run) if c.strategy == "classify_then_route"]
    test_ids = {r.task_id for r in test_mid}
    live_expected = sum(
        (c.tokens_in * 3.0 + c.tokens_out * 15.0) / 1e6 if c.model == "gpt-4o-mini" else c.cost_usd
        for c in calls
        if c.task_id in test_ids
    )
    assert whatif.row("classify_then_route").entry["cost_usd"] == pytest.approx(live_expected)
    html = report.html()
    assert "What-if: re-priced with p.toml (not measured)" in html
    assert 'class="whatif"' in html


def test_imported_outcomes_say_routing_costs_are_unknown(
    synthetic_run: Path, tmp_path: Path
) -> None:
    from toolkit.outcomes import OutcomeMatrix

    parquet = OutcomeMatrix.from_run(synthetic_run).to_parquet(tmp_path / "synthetic.parquet")
    report = build_cost_report(parquet, n_boot=50)
    md = report.markdown()
    assert "Local compute hourly rate | n/a" in md
    assert "routing costs are unknown, not zero" in md.lower() or "unknown, not zero" in md
    assert report.analysis.live == ()
    assert "The outcome file holds no answers" in md


def test_write_is_atomic_and_replaces_only_a_report(built_report: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    write_files(out, {"report.html": b"old", "report.md": b"old", "summary.csv": b"old"})
    write_files(out, {"report.html": b"new", "report.md": b"new", "summary.csv": b"new"})
    assert (out / "report.html").read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]

    # A failure while writing leaves the previous report whole and no temp folder.
    files: dict[str, bytes] = {"report.html": b"newer", "report.md": b"x", "sub/dir.png": b"x"}
    with pytest.raises(InputError, match="cannot write the report"):
        write_files(out, files)
    assert (out / "report.html").read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]

    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="does not hold a report"):
        write_files(other, {"report.html": b"x"})
    assert (other / "mine.txt").read_text(encoding="utf-8") == "keep me"
