"""Every shell block of the README and of docs/ says how it is checked, and each one marked
``<!-- run -->`` exits 0 on a fresh copy of the repository.

Marks, on the line before the block:

- ``<!-- run -->``: run as written (here, or by the page's own test in ``OWN_TEST``);
- ``<!-- run by PATH[ and PATH] -->``: walked by the named test or CI script;
- ``<!-- not run: WHY; tests/... -->``: a server that runs until stopped, or a live recording
  that takes many minutes; the named test runs it (or a slice of it) instead;
- ``<!-- needs a key -->``: calls a cloud provider, so it needs an API key.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from doc_blocks import doc_blocks, fresh_copy, run_script

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OWN_TEST = {
    "extending.md": "tests/test_docs_extending.py",
    "importing.md": "tests/test_docs_importing.py",
    "reports.md": "tests/test_docs_reports.py",
}
SHELL_BLOCK = re.compile(r"(?P<mark>[^\n]*)\n```(?:bash|sh|shell|console)\n(?P<body>.*?)```", re.S)
CLOUD = re.compile(r"_API_KEY|claude-|gpt-|cloud")


def marked_blocks(page: Path) -> list[tuple[str, str]]:
    """(mark, body) of every shell block of the page."""
    return [(m["mark"].strip(), m["body"]) for m in SHELL_BLOCK.finditer(page.read_text())]


def mark_problem(mark: str, body: str) -> str | None:
    """Why a block's mark does not say how it is checked, or None when it does."""
    if mark == "<!-- run -->":
        return None
    if mark == "<!-- needs a key -->":
        return None if CLOUD.search(body) else "marked as needing a key, but names no provider"
    by = re.fullmatch(r"<!-- run by (.+) -->", mark)
    why = re.fullmatch(r"<!-- not run: .+; (tests/\S+) .*-->", mark)
    paths = by[1].split(" and ") if by else [why[1]] if why else []
    if not paths:
        return "no mark: `<!-- run -->`, `<!-- run by TEST -->`, `<!-- not run: WHY; TEST ... -->`"
    lost = [p for p in paths if not (ROOT / p).is_file()]
    return f"names no such file: {', '.join(lost)}" if lost else None


def test_every_shell_block_says_how_it_is_checked() -> None:
    problems = [
        f"{page.relative_to(ROOT)}: {body.splitlines()[0]}: {problem}"
        for page in PAGES
        for mark, body in marked_blocks(page)
        if (problem := mark_problem(mark, body))
    ]
    assert not problems, "\n".join(problems)
    assert sum(len(marked_blocks(page)) for page in PAGES) >= 25


def test_pages_with_their_own_test_are_run_by_it() -> None:
    for page, test in OWN_TEST.items():
        assert f'"{page}"' in (ROOT / test).read_text(), (page, test)
        assert doc_blocks(ROOT / "docs" / page)[1], page


@pytest.mark.skipif(not (ROOT / ".venv" / ".installed").exists(), reason="needs `make venv`")
def test_every_run_block_exits_0_on_a_fresh_copy(tmp_path: Path) -> None:
    copy = fresh_copy(ROOT, tmp_path / "repo")
    env = {"TOOLKIT_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    ran = 0
    for page in PAGES:
        if page.name in OWN_TEST:
            continue
        for mark, body in marked_blocks(page):
            if mark == "<!-- run -->":
                run_script(body, copy, env)
                ran += 1
    assert ran >= 10


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of the page's headings (code blocks skipped)."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {
        re.sub(r"[^\w\- ]", "", h.strip().lower().replace("`", "")).replace(" ", "-")
        for h in re.findall(r"^#{1,6} (.+)$", text, re.M)
    }


def test_every_link_between_pages_lands_on_a_heading() -> None:
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists() or (anchor and anchor not in anchors(dest)):
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, "\n".join(broken)
