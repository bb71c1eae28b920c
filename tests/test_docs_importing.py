"""docs/importing.md is run as written: its ``<!-- run -->`` blocks run with bash in a folder
holding a copy of tests/data/outcomes/published as ``published/``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "importing.md"
BLOCK = re.compile(r"<!-- run -->\n```\w*\n(?P<body>.*?)```", re.DOTALL)


def test_every_command_on_the_page_runs(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tests" / "data" / "outcomes" / "published", tmp_path / "published")
    env = {k: v for k, v in os.environ.items() if k not in ("TOOLKIT_PLUGINS", "PYTHONPATH")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    scripts = [m["body"] for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]
    assert len(scripts) >= 3
    for script in scripts:
        out = subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, f"{script}\n--- stdout\n{out.stdout}\n--- stderr\n{out.stderr}"
        assert "note:" in out.stderr
