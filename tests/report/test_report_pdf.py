"""`toolkit report --pdf` prints the report with headless Chromium; without one it exits 2,
says how to get one, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.cli import main


def test_pdf_is_printed_beside_the_html(
    chromium: str, synthetic_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    assert main(["report", str(synthetic_run), "--out", str(out), "--pdf"]) == 0
    pdf = (out / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 20_000
    assert f"to send by mail: {out / 'report.pdf'}" in capsys.readouterr().out


def test_without_chromium_nothing_is_written(
    synthetic_run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOOLKIT_CHROMIUM", str(tmp_path / "no-such-browser"))
    out = tmp_path / "report"
    assert main(["report", str(synthetic_run), "--out", str(out), "--pdf"]) == 2
    err = capsys.readouterr().err
    assert "--pdf" in err and "apt-get install chromium" in err and "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report")]


def test_a_browser_that_fails_silently_is_named(
    synthetic_run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOOLKIT_CHROMIUM", "/bin/false")
    out = tmp_path / "report"
    assert main(["report", str(synthetic_run), "--out", str(out), "--pdf"]) == 2
    err = capsys.readouterr().err
    assert "/bin/false could not print the report (exit 1) and printed no error" in err, err
    assert not out.exists()
