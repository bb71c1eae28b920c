"""The README's five-minute tour, walked on a fresh copy of the repository (its tracked files
only: no build/, no reports/, no fitted specialists): every command exits 0. `make` targets
run with the existing virtual environment (`-o .venv/.installed`: not reinstalled); `make lab`
is walked by tests/test_make_lab.py (started, answered, stopped)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from doc_blocks import fresh_copy

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"


def tour_commands() -> list[str]:
    """The commands of the README's tour block, continuation lines joined, comments cut."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## A five-minute tour", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None
    joined = re.sub(r"\\\n\s*", " ", block[1])
    return [
        ln.split("#", 1)[0].strip() for ln in joined.splitlines() if ln.split("#", 1)[0].strip()
    ]


@pytest.mark.skipif(not (VENV / ".installed").exists(), reason="needs `make venv`")
def test_every_tour_command_exits_0_on_a_fresh_copy(tmp_path: Path) -> None:
    copy = fresh_copy(ROOT, tmp_path / "repo")
    env = {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["TOOLKIT_CACHE_DIR"] = str(tmp_path / "cache")
    commands = tour_commands()
    assert len(commands) >= 7, commands
    for cmd in commands:
        if cmd.startswith("make lab"):
            continue
        run = f"make -o .venv/.installed {cmd[5:]}" if cmd.startswith("make ") else cmd
        done = subprocess.run(
            ["bash", "-c", run], cwd=copy, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"{cmd}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert (copy / "reports" / "demo" / "report.html").is_file()
    assert (copy / "reports" / "lab" / "report.html").is_file()
