"""The CLI executor, with the project's own ``toolkit complete`` as the model tool.

``python -m toolkit complete`` answers through the local OpenAI-compatible test server; the
executor passes the resolved model in ``TOOLKIT_RESOLVED_MODEL``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from models_fake_openai import FakeOpenAI

from toolkit._types import Call, Request
from toolkit.models import (
    ExecutionContext,
    ExecutorConfig,
    PriceTable,
    Profile,
    aclose_clients,
    build_executors,
)

REPO = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOOLKIT_MODEL")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def _complete(config: ExecutorConfig, prices: Path, request: Request, **env: str) -> Call:
    ctx = ExecutionContext(prices=PriceTable.load(prices), env=_env(**env), backoff_base_s=0.01)
    executor = build_executors([config], ctx)[config.name]

    async def go() -> Call:
        try:
            return await executor.complete(request)
        finally:
            await aclose_clients()

    return asyncio.run(go())


def toolkit_complete(url: str, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "toolkit",
        "complete",
        "--api-base",
        url,
        "--max-tokens",
        "16",
        *args,
    ]


def test_cli_executor_runs_toolkit_complete(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    config = ExecutorConfig(
        name="cli",
        kind="cli",
        model="openai/cheap-dev",
        command=toolkit_complete(fake_openai.url, "--stop", "\\n"),  # typed as in a shell
        profile=Profile(template="Question: {input}"),
        timeout_s=60,
    )
    request = Request(task_id="t1", prompt="how many legs has a spider ?")
    call = _complete(config, prices_toml, request)
    assert call.ok, call.error
    assert call.text == "model=cheap-dev words=8"  # the server's answer, read from stdout
    assert call.model == "openai/cheap-dev"
    assert (
        fake_openai.seen[0].body["messages"][-1]["content"]
        == "Question: how many legs has a spider ?"
    )
    assert fake_openai.seen[0].body["max_tokens"] == 16
    assert fake_openai.seen[0].body["stop"] == ["\n"]
    assert call.tokens_in > 0 and call.tokens_out > 0  # estimated: a CLI reports no usage
    assert call.cost_usd == pytest.approx((call.tokens_in * 1.0 + call.tokens_out * 2.0) / 1e6)
    assert call.service_s > 0

    # the knob reaches the command through TOOLKIT_RESOLVED_MODEL
    knobbed = _complete(config, prices_toml, request, TOOLKIT_MODEL="openai/frontier")
    assert knobbed.ok, knobbed.error
    assert knobbed.model == "openai/frontier"
    assert knobbed.text == "model=frontier words=8"
    assert [s.model for s in fake_openai.seen] == ["cheap-dev", "frontier"]


def test_cli_prompt_as_argument_and_model_placeholder(
    fake_openai: FakeOpenAI, prices_toml: Path
) -> None:
    command = [
        sys.executable, "-m", "toolkit", "complete", "--api-base", fake_openai.url,
        "--model", "{model}", "--mode", "completion", "--prompt", "{prompt}",
    ]  # fmt: skip
    config = ExecutorConfig(name="cli", kind="cli", model="openai/backup", command=command)
    call = _complete(config, prices_toml, Request(task_id="t", prompt="one two three"))
    assert call.ok, call.error
    assert call.text == "model=backup words=3"
    assert fake_openai.seen[0].path.endswith("/v1/completions")
    assert fake_openai.seen[0].body["prompt"] == "one two three"


def test_cli_failure_is_retried_and_recorded(fake_openai: FakeOpenAI, prices_toml: Path) -> None:
    fake_openai.fail_models.add("cheap-dev")
    config = ExecutorConfig(
        name="cli",
        kind="cli",
        model="openai/cheap-dev",
        command=toolkit_complete(fake_openai.url, "--retries", "0"),
        max_retries=1,
        timeout_s=60,
    )
    call = _complete(config, prices_toml, Request(task_id="t", prompt="hello"))
    assert not call.ok
    assert call.attempts == 2 and fake_openai.count == 2
    assert call.error is not None and "exited with status 1" in call.error
    assert "InternalServerError" in call.error  # the tool's own message, from stderr


def test_cli_timeout_kills_the_command(tmp_path: Path, prices_toml: Path) -> None:
    pid_file = tmp_path / "pid"
    script = (
        "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); "
        "sys.stdout.flush(); time.sleep(60)"
    )
    config = ExecutorConfig(
        name="slow",
        kind="cli",
        model="openai/cheap-dev",
        command=[sys.executable, "-c", script, str(pid_file)],
        timeout_s=1.0,
        max_retries=0,
    )
    call = _complete(config, prices_toml, Request(task_id="t", prompt="x"))
    assert not call.ok and call.error is not None and "timed out" in call.error
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    alive: Any = True
    while alive and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            alive = False
        else:
            time.sleep(0.05)
    assert not alive, f"the timed-out command (pid {pid}) was left running"


def test_complete_command_needs_a_model(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from toolkit.cli import main

    for name in ("TOOLKIT_MODEL", "TOOLKIT_RESOLVED_MODEL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["complete", "--prompt", "hi"]) == 2
    assert "no model given" in capsys.readouterr().err
