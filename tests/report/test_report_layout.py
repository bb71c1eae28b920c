"""The lab's report at 1400 px in headless Chromium: the recommendation, with its monthly
saving, is in the first 900 px, and no element is wider than the page. A probe script is
added to a copy of the page (the report's own CSP forbids scripts) to measure the layout."""

from __future__ import annotations

import json
import re
from pathlib import Path

from report_helpers import render_dom

ROOT = Path(__file__).resolve().parents[2]
PROBE = """<script>
window.addEventListener('load', () => {
  const rec = document.getElementById('recommendation');
  const saving = [...document.querySelectorAll('p')].find(p => p.textContent.includes('saved a month'));
  // an element inside a box that scrolls (or clips) on its own does not widen the page
  const boxed = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  let widest = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (!boxed(el)) widest = Math.max(widest, el.getBoundingClientRect().right);
  }
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({
    rec: rec ? rec.getBoundingClientRect().top : null,
    saving: saving ? saving.getBoundingClientRect().bottom : null,
    widest: widest,
    page: document.documentElement.clientWidth,
    scroll: document.documentElement.scrollWidth,
  });
  document.body.appendChild(out);
});
</script>"""


def test_the_answer_comes_first_and_nothing_overflows(chromium: str, tmp_path: Path) -> None:
    from toolkit.report import build_cost_report

    report = build_cost_report(ROOT / "data" / "runs" / "lab", n_boot=200)
    out = report.write(tmp_path / "report")
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.split("\n## ")[1].startswith("Recommendation")  # before any other section
    rec = md.split("\n## ")[1]
    # on the lab, the specialist classifier routes for less at better quality (fixed rules)
    assert "Use classify\\_then\\_route:specialist" in rec and "saved a month" in rec
    assert "Saving by answering worse: single:specialist" in rec  # $0 at quality 0.25
    html = (out / "report.html").read_text(encoding="utf-8")
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    page = tmp_path / "probe.html"
    page.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = render_dom(chromium, page, tmp_path / "profile", window=(1400, 900))
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert found, "the probe did not run"
    got = json.loads(found[1].replace("&quot;", '"'))
    assert got["rec"] is not None and got["rec"] < 900, got
    assert got["saving"] is not None and got["saving"] < 900, got
    assert got["scroll"] <= got["page"], got  # no horizontal scrolling
    assert got["widest"] <= got["page"] + 1, got
