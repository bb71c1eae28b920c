"""``make lab`` starts JupyterLab (as root too, where the tests run as root), prints the URL
to open, and that URL answers HTTP 200; the test then stops it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
URL = re.compile(r"open (http://127\.0\.0\.1:\d+/lab\?token=[0-9a-f]+)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(not (ROOT / ".venv" / ".installed").exists(), reason="needs `make venv`")
def test_make_lab_prints_a_url_that_answers(tmp_path: Path) -> None:
    log = tmp_path / "lab.log"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"LAB_PORT={_free_port()}"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        url, status, deadline = None, None, time.monotonic() + 120
        while time.monotonic() < deadline and status != 200:
            assert proc.poll() is None, log.read_text()
            found = URL.search(log.read_text())
            if found:
                url = found[1]
                try:
                    with urllib.request.urlopen(url, timeout=5) as resp:
                        status = resp.status
                except OSError:
                    pass
            time.sleep(0.5)
        assert url is not None, log.read_text()
        assert status == 200, log.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
