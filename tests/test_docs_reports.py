"""docs/reports.md is run as written, from the repository root; its printed table is what
the command prints."""

from __future__ import annotations

import re
from pathlib import Path

from doc_blocks import doc_blocks, run_script

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reports.md"


def test_every_command_on_the_page_runs() -> None:
    _, scripts = doc_blocks(DOC)
    assert len(scripts) >= 3
    outputs = [run_script(script, ROOT).stdout for script in scripts]
    shown = re.search(r"```text\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert shown is not None
    assert outputs[0] == shown[1]
