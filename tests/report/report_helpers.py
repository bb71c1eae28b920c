"""Helpers for the report tests: a SYNTHETIC run directory written with RunWriter, and
headless chromium runs (no network, own profile).

The synthetic run has three executors recorded on every task (``single:<executor>`` rows),
one live strategy with its own classifier calls, a nonzero local hourly rate, and model
answers, task texts and a category name that carry hostile HTML, so the report's escaping is
tested on text that really reaches it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import synthetic_runs

#: The title of the synthetic run's report; a hostile script that ran would change it.
TITLE = "Cost report: synthetic-report-fixture"

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--virtual-time-budget=3000",
)


def _run(chromium: str, args: list[str], profile: Path) -> str:
    profile.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [chromium, *_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout


def render_dom(
    chromium: str, page: Path, profile: Path, window: tuple[int, int] | None = None
) -> str:
    """The DOM of ``page`` after load (scripts, had any run, have run by then), laid out in
    a ``window`` (width, height) when given."""
    size = [f"--window-size={window[0]},{window[1]}"] if window else []
    dom = _run(chromium, [*size, "--dump-dom", page.resolve().as_uri()], profile)
    if "<html" not in dom:
        raise AssertionError(f"chromium dumped no DOM for {page}")
    return dom


def render_png(chromium: str, page: Path, profile: Path, out: Path, height: int = 4000) -> Path:
    """A 1280x``height`` screenshot of ``page``."""
    _run(
        chromium,
        [f"--screenshot={out}", f"--window-size=1280,{height}", page.resolve().as_uri()],
        profile,
    )
    if not out.is_file():
        raise AssertionError(f"chromium wrote no screenshot of {page}")
    return out


#: Hostile strings placed in answers, task texts and a category name. If any of them ran,
#: the page title would change to a PWNED marker or an element with id "pwned" would appear.
HOSTILE = (
    "<script>document.title='PWNED-script'</script>",
    "<img src=x onerror=\"document.title='PWNED-onerror'\">",
    "<a href=\"javascript:document.title='PWNED-link'\">click me</a>",
    "</style><script>document.title='PWNED-style'</script><style>",
    "<svg onload=\"document.title='PWNED-svg'\"><div id=pwned>x</div></svg>",
    "<iframe src=\"javascript:parent.document.title='PWNED-iframe'\"></iframe>",
    ']]><!-- --><meta http-equiv=refresh content="0;url=javascript:1">',
    "| table | break | [md link](javascript:alert(1)) ![x](http://example.invalid/x.png)",
)
HOSTILE_CATEGORY = "x</td><script>document.title='PWNED-cat'</script>"

CATEGORIES = ("math", "sentiment", HOSTILE_CATEGORY)
HOURLY_RATE = 0.0376  # synthetic: what a small 2-vCPU cloud machine might cost per hour


#: Synthetic success rates per executor and category.
QUALITY = {
    "tiny": {"math": 0.3, "sentiment": 0.6, HOSTILE_CATEGORY: 0.4},
    "mid": {"math": 0.7, "sentiment": 0.9, HOSTILE_CATEGORY: 0.85},
    "calc": {"math": 0.95, "sentiment": 0.0, HOSTILE_CATEGORY: 0.0},
}
WORDS = {
    "math": ["add", "sum", "multiply", "number", "plus", "total"],
    "sentiment": ["movie", "great", "awful", "review", "loved", "boring"],
    HOSTILE_CATEGORY: ["email", "date", "amount", "invoice", "extract", "field"],
}


def write_synthetic_run(
    root: Path, *, n_tasks: int = 60, seed: int = 7, hostile: bool = True
) -> Path:
    """Write a SYNTHETIC run directory (and its task file) under ``root``; returns the run."""

    def text(i: int, category: str, words: str) -> str:
        plain = f"synthetic task {i}: {words}"
        return plain + " " + HOSTILE[i % len(HOSTILE)] if hostile and i % 2 == 0 else plain

    def answer(i: int, task_id: str) -> str:
        plain = f"answer to {task_id}"
        return plain + " " + HOSTILE[i % len(HOSTILE)] if hostile else plain

    return synthetic_runs.write_matrix_run(
        root,
        name="synthetic-report-fixture",
        categories=CATEGORIES,
        words=WORDS,
        quality=QUALITY,
        hourly_rate=HOURLY_RATE,
        n_tasks=n_tasks,
        seed=seed,
        split=lambda i: "train" if i % 2 == 0 else "test",
        text=text,
        answer=answer,
    )
