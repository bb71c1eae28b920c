"""``toolkit report``: the command on a SYNTHETIC run, and bad input (exit 2, one located
message, no traceback, no report folder left behind)."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.cli import main


def test_report_command_writes_the_report(
    synthetic_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports" / "demo"
    code = main(
        [
            "report",
            str(synthetic_run),
            "--out",
            str(out),
            "--monthly-requests",
            "1000",
            "--mix",
            "math=40,sentiment=60",
            "--baseline",
            "tiny",
        ]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert f"wrote the cost report to {out}/" in printed.out
    assert "Local compute hourly rate used: $0.0376/hour." in printed.out
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "1,000 requests a month, task mix given with --mix" in md
    assert "| math | 40.0% |" in md and "| sentiment | 60.0% |" in md
    assert "Everything on single:tiny vs each strategy" in md
    # A second run replaces the report in place.
    assert main(["report", str(synthetic_run), "--out", str(out)]) == 0
    assert "1,000,000 requests a month" in (out / "report.md").read_text(encoding="utf-8")


def _bad_reprice(tmp_path: Path, body: bytes) -> str:
    p = tmp_path / "prices.toml"
    p.write_bytes(body)
    return str(p)


@pytest.mark.parametrize(
    ("case", "expect"),
    [
        ("missing-source", "RUN_OR_OUTCOMES: not found"),
        ("not-a-run", "manifest.json: missing"),
        ("mix-syntax", "--mix: 'math:0.5' is not CATEGORY=SHARE"),
        ("mix-negative", "--mix: math: share must be a finite number >= 0"),
        ("mix-unknown", "--mix: poetry: not a measured category"),
        ("baseline", "executor 'gpt-9' is not in the outcomes; known: tiny, mid, calc"),
        ("volume", "--monthly-requests must be >= 0, got -5"),
        ("reprice-missing", "--reprice: file not found"),
        ("reprice-binary", "--reprice: not UTF-8 text"),
        ("reprice-toml", "not valid TOML"),
        ("reprice-negative", "input_per_mtok"),
        ("reprice-empty", 'models: no [models."name"] tables'),
        ("out-is-file", "--out: exists and is not a folder"),
    ],
)
def test_bad_input_exits_2_with_one_located_message(
    case: str,
    expect: str,
    synthetic_run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    args = ["report", str(synthetic_run), "--out", str(out)]
    if case == "missing-source":
        args[1] = str(tmp_path / "no-such-run")
    elif case == "not-a-run":
        (tmp_path / "empty").mkdir()
        args[1] = str(tmp_path / "empty")
    elif case == "mix-syntax":
        args += ["--mix", "math:0.5"]
    elif case == "mix-negative":
        args += ["--mix", "math=-1"]
    elif case == "mix-unknown":
        args += ["--mix", "math=1,poetry=2"]
    elif case == "baseline":
        args += ["--baseline", "gpt-9"]
    elif case == "volume":
        args += ["--monthly-requests", "-5"]
    elif case == "reprice-missing":
        args += ["--reprice", str(tmp_path / "nope.toml")]
    elif case == "reprice-binary":
        args += ["--reprice", _bad_reprice(tmp_path, b"\xff\xfe[models]\n")]
    elif case == "reprice-toml":
        args += ["--reprice", _bad_reprice(tmp_path, b'[models."a"\ninput_per_mtok = 1\n')]
    elif case == "reprice-negative":
        args += [
            "--reprice",
            _bad_reprice(tmp_path, b'[models."a"]\ninput_per_mtok = -1\noutput_per_mtok = 1\n'),
        ]
    elif case == "reprice-empty":
        args += ["--reprice", _bad_reprice(tmp_path, b"# nothing here\n")]
    elif case == "out-is-file":
        out.write_text("not a folder", encoding="utf-8")
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert expect in lines[0]
    assert "Traceback" not in err
    if case != "out-is-file":
        assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_a_small_test_split_carries_a_caveat(tmp_path: Path) -> None:
    from report_helpers import write_synthetic_run

    from toolkit.report import build_cost_report

    small = write_synthetic_run(tmp_path / "small", n_tasks=24, hostile=False)
    report = build_cost_report(small, n_boot=100)
    n_test = int(report.analysis.evaluation["n_test"])
    assert n_test < 30
    assert (
        f"Only {n_test} test tasks: the 95% intervals and p-values are rough" in report.markdown()
    )
    lab = build_cost_report(
        Path(__file__).resolve().parents[2] / "data" / "runs" / "lab", n_boot=100
    )
    assert "the 95% intervals and p-values are rough" not in lab.markdown()  # 215 test tasks
