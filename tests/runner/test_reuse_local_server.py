"""A running local server named by TOOLKIT_LOCAL_URL is reused when it serves the model the
run needs (a `toolkit serve-local` left running), instead of starting a second one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from toolkit.cli import main
from toolkit.runner._run import _running_local_server
from toolkit.testing import FaultServer

if TYPE_CHECKING:
    from conftest import Kit

EXECUTORS = """
[[executors]]
name = "tiny"
kind = "local"
model = "fault-server"
"""
STRATEGIES = """
[[strategies]]
kind = "single"
executor = "tiny"
"""


def test_a_run_uses_the_server_that_serves_its_model(
    kit: Kit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FaultServer() as server:  # lists one model: "fault-server"
        monkeypatch.setenv("TOOLKIT_LOCAL_URL", server.url)
        spec = kit.write_spec(
            tmp_path, server.url, executors=EXECUTORS, strategies=STRATEGIES, concurrency=2
        )
        out = tmp_path / "run"
        assert main(["run", str(spec), "--out", str(out), "--no-progress"]) == 0
        assert server.answered_count == len(kit.tasks)  # every call went to it
        assert _running_local_server("fault-server") == server.url
        assert _running_local_server("gemma-3-270m") is None  # another model: not reused
    assert _running_local_server("fault-server") is None  # nothing answers there now
