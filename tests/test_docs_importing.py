"""docs/importing.md is run as written: its ``<!-- run -->`` blocks run with bash in a folder
holding a copy of tests/data/outcomes/published as ``published/``."""

from __future__ import annotations

import shutil
from pathlib import Path

from doc_blocks import doc_blocks, run_script

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "importing.md"


def test_every_command_on_the_page_runs(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tests" / "data" / "outcomes" / "published", tmp_path / "published")
    _, scripts = doc_blocks(DOC)
    assert len(scripts) >= 3
    for script in scripts:
        assert "note:" in run_script(script, tmp_path).stderr
