"""`evaluate --json` is indented for a person on a terminal and one line in a pipe."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from analysis_support import synthetic_matrix

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], tty: bool) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "toolkit", *args]
    if not tty:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    main, child = pty.openpty()
    proc = subprocess.Popen(cmd, env=env, stdout=child, stderr=subprocess.DEVNULL)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(main)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_indented_on_a_terminal_one_line_in_a_pipe(tmp_path: Path) -> None:
    m = synthetic_matrix(80, seed=3, executors=("weak", "strong"), split=True)
    path = m.to_parquet(tmp_path / "m.parquet")
    args = ["evaluate", str(path), "--json", "--strategy", "random", "--bootstrap", "50"]
    piped = _run(args, tty=False)
    shown = _run(args, tty=True)
    assert len(piped.strip().splitlines()) == 1
    assert len(shown.strip().splitlines()) > 20 and '\n  "n_train": ' in shown
    assert json.loads(piped) == json.loads(shown)
