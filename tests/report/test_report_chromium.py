"""The HTML report in a real browser (Debian's headless ``chromium``): it has its figures and
tables, and hostile task and model text renders inert, with and without the CSP.

The report is built from a SYNTHETIC run (see conftest.py) whose answers, task texts and a
category name hold script tags, event handlers, ``javascript:`` links and a closing
``</style>``. Each would set ``document.title`` to a ``PWNED-...`` marker if it ran; the
positive control shows that this detector does see a script that runs.
"""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
from report_helpers import TITLE, render_dom, render_png

from toolkit.report import CSP


class _Collect(HTMLParser):
    """Every start tag with its attributes, and the page title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self._in_title = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        self.text.append(data)


def _parse(dom: str) -> _Collect:
    c = _Collect()
    c.feed(dom)
    return c


def test_report_renders_its_figures_and_tables(
    built_report: Path, chromium: str, tmp_path: Path
) -> None:
    from PIL import Image as PILImage

    page = built_report / "report.html"
    dom = render_dom(chromium, page, tmp_path / "profile-dom")
    doc = _parse(dom)
    tables = [t for t, _ in doc.tags if t == "table"]
    imgs = [a for t, a in doc.tags if t == "img"]
    assert len(tables) >= 8, f"expected the report's tables, found {len(tables)}"
    assert len(imgs) >= 6, f"expected the report's figures, found {len(imgs)}"
    for attrs in imgs:
        src = attrs.get("src") or ""
        assert src.startswith("data:image/png;base64,"), src[:40]
        png = PILImage.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert png.width > 100 and png.height > 100
    headings = " ".join(doc.text)
    for section in (
        "Strategies on the test split",
        "Cost–quality frontier",
        "Cost breakdown",
        "Latency",
        "Monthly projection",
        "What-if",
        "Sample tasks",
    ):
        assert section in headings

    shot = render_png(chromium, page, tmp_path / "profile-png", tmp_path / "page.png", height=10000)
    img = PILImage.open(shot).convert("RGB")
    assert img.size == (1280, 10000)
    px = np.asarray(img, dtype=np.int16).reshape(-1, 3)
    non_white = int((px.min(axis=1) < 235).sum())
    # The page's text and tables are grey on white: only the decoded figures paint colour.
    coloured = int((px.max(axis=1) - px.min(axis=1) > 60).sum())
    assert non_white > 0.03 * len(px), "the page rendered (nearly) blank"
    assert coloured > 10000, f"the figures did not render (only {coloured} coloured pixels)"


def _assert_inert(dom: str) -> None:
    doc = _parse(dom)
    assert doc.title == TITLE, f"a hostile script ran: title is {doc.title!r}"
    assert "PWNED" not in doc.title
    names = [t for t, _ in doc.tags]
    for bad in ("script", "iframe", "svg", "object", "embed", "a", "base", "link"):
        assert bad not in names, f"a <{bad}> element was created from hostile text"
    metas = [a for t, a in doc.tags if t == "meta"]
    assert not any((a.get("http-equiv") or "").lower() == "refresh" for a in metas)
    for tag, attrs in doc.tags:
        for k, v in attrs.items():
            assert not k.lower().startswith("on"), f"<{tag} {k}=...> came from hostile text"
            assert "javascript:" not in (v or "").lower(), f"<{tag} {k}={v!r}>"
        assert not (tag == "div" and attrs.get("id") == "pwned")
    text = " ".join(doc.text)
    # The hostile text is there, shown as text.
    assert "<script>document.title='PWNED-script'</script>" in text or "PWNED-style" in text
    assert "onerror=" in text


def test_hostile_text_renders_inert(built_report: Path, chromium: str, tmp_path: Path) -> None:
    html_text = (built_report / "report.html").read_text(encoding="utf-8")
    assert html_text.count("<script") == 0
    dom = render_dom(chromium, built_report / "report.html", tmp_path / "profile")
    _assert_inert(dom)


def test_escaping_alone_keeps_it_inert_without_the_csp(
    built_report: Path, chromium: str, tmp_path: Path
) -> None:
    """Defence in depth: with the CSP meta removed, escaping by itself must still hold."""
    html_text = (built_report / "report.html").read_text(encoding="utf-8")
    stripped = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html_text)
    assert "Content-Security-Policy" not in stripped
    page = tmp_path / "no_csp.html"
    page.write_text(stripped, encoding="utf-8")
    _assert_inert(render_dom(chromium, page, tmp_path / "profile"))


def _hostile_page(tmp_path: Path, *, csp: bool) -> Path:
    head = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' if csp else ""
    page = tmp_path / ("raw_csp.html" if csp else "raw.html")
    page.write_text(
        f"<!DOCTYPE html><html><head>{head}<title>{TITLE}</title></head><body>"
        "<img src=x onerror=\"document.title='PWNED-onerror'\">"
        "<script>document.title='PWNED-script'</script></body></html>",
        encoding="utf-8",
    )
    return page


def test_positive_control_detector_sees_a_script_that_runs(chromium: str, tmp_path: Path) -> None:
    """The same hostile text, NOT escaped and without a CSP, does run in this browser:
    so the inert checks above would fail if escaping failed."""
    dom = render_dom(chromium, _hostile_page(tmp_path, csp=False), tmp_path / "profile")
    assert "PWNED" in _parse(dom).title


def test_csp_alone_blocks_an_unescaped_script(chromium: str, tmp_path: Path) -> None:
    """Had an escape been missed, the report's CSP would still stop the script."""
    dom = render_dom(chromium, _hostile_page(tmp_path, csp=True), tmp_path / "profile")
    assert _parse(dom).title == TITLE
