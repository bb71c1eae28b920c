"""Running a docs page as written: its ``<!-- file: NAME -->`` blocks are files, its
``<!-- run -->`` blocks are shell scripts run with bash (the project's ``toolkit`` on PATH)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

BLOCK = re.compile(r"<!-- (file: (?P<file>\S+)|run) -->\n```\w*\n(?P<body>.*?)```", re.DOTALL)


def doc_blocks(doc: Path) -> tuple[dict[str, str], list[str]]:
    """The page's files (several blocks for one name are put together) and its scripts."""
    files: dict[str, str] = {}
    runs: list[str] = []
    for m in BLOCK.finditer(doc.read_text(encoding="utf-8")):
        if m["file"]:
            files[m["file"]] = files.get(m["file"], "") + m["body"] + "\n"
        else:
            runs.append(m["body"])
    return files, runs


def run_script(
    script: str, cwd: Path, extra_env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one script in ``cwd`` with no plugin variables set; a failure shows its output."""
    env = {k: v for k, v in os.environ.items() if k not in ("TOOLKIT_PLUGINS", "PYTHONPATH")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra_env or {})
    out = subprocess.run(
        ["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, f"{script}\n--- stdout\n{out.stdout}\n--- stderr\n{out.stderr}"
    return out


def fresh_copy(root: Path, dest: Path) -> Path:
    """A copy of ``root``'s tracked files in ``dest`` (no build/, no reports/), with ``.venv``
    linked to ``root``'s: what a fresh clone holds once its virtualenv is set up."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        src = root / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / ".venv").symlink_to(root / ".venv")
    return dest
