"""The report as a PDF, printed by headless Chromium (for people who forward reports by
mail). Chromium is found on PATH (``chromium``, ``chromium-browser``, ``google-chrome``,
``google-chrome-stable``) or named by ``TOOLKIT_CHROMIUM``."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from toolkit._errors import InputError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-pdf-header-footer",
    "--virtual-time-budget=3000",
)


def find_chromium() -> str:
    """The Chromium to print with; an InputError that says how to get one when none is found."""
    named = os.environ.get("TOOLKIT_CHROMIUM")
    found = shutil.which(named) if named else next(filter(None, map(shutil.which, BROWSERS)), None)
    if found is None:
        where = (
            f"TOOLKIT_CHROMIUM={named!r} is not an executable"
            if named
            else (f"none of {', '.join(BROWSERS)} is on PATH")
        )
        raise InputError(
            f"--pdf: the PDF is printed by headless Chromium, and {where}; install it "
            "(e.g. apt-get install chromium) or set TOOLKIT_CHROMIUM to its path; "
            "report.html prints the same from any browser"
        )
    return found


def html_to_pdf(html: str, chromium: str | None = None, timeout_s: float = 120.0) -> bytes:
    """Print a self-contained HTML page to PDF bytes with headless Chromium (its own
    throw-away profile; no network is needed)."""
    browser = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="toolkit-pdf-") as tmp:
        page, pdf = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        proc = subprocess.run(
            [
                browser,
                *_FLAGS,
                f"--user-data-dir={Path(tmp) / 'profile'}",
                f"--print-to-pdf={pdf}",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if proc.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
            tail = proc.stderr.strip().splitlines()[-3:]
            said = ": " + " | ".join(tail) if tail else " and printed no error"
            raise InputError(
                f"--pdf: {browser} could not print the report (exit {proc.returncode}){said}"
            )
        return pdf.read_bytes()
