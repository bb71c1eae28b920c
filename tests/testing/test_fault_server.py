"""The fault-injecting server: answers, counters, and every fault kind, over real HTTP."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from toolkit.testing import FAULT_KINDS, Fault, FaultServer, default_answer


def _post(
    server: FaultServer,
    path: str,
    body: dict[str, Any],
    *,
    timeout: float = 10.0,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _chat(prompt: str, **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": prompt}], **extra}


def _events(raw: bytes) -> list[str]:
    return [line[len("data: ") :] for line in raw.decode().split("\n") if line.startswith("data: ")]


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer(answers={r"capital of France": "Paris"}) as s:
        yield s


def test_chat_answer_is_deterministic_with_word_usage(server: FaultServer) -> None:
    status, _, body = _post(server, "/v1/chat/completions", _chat("What is the capital of France?"))
    assert status == 200
    data = json.loads(body)
    assert data["choices"][0]["message"]["content"] == "Paris"
    assert data["usage"] == {"prompt_tokens": 6, "completion_tokens": 1, "total_tokens": 7}
    # the default answer echoes the last line
    _, _, body = _post(server, "/v1/chat/completions", _chat("first line\nsecond line"))
    assert json.loads(body)["choices"][0]["message"]["content"] == "echo: second line"
    assert default_answer("a\n\n b \n") == "echo: b"
    assert server.request_count == 2
    assert server.answered_count == 2


def test_completion_honours_stop_and_max_tokens(server: FaultServer) -> None:
    body: dict[str, Any] = {
        "model": "m",
        "prompt": "Q: x\nA: one two three four five",
        "stop": ["four"],
    }
    status, _, raw = _post(server, "/v1/completions", body)
    assert status == 200
    choice = json.loads(raw)["choices"][0]
    assert choice["text"] == "echo: A: one two three "
    assert choice["finish_reason"] == "stop"
    body = {"model": "m", "prompt": "one two three four five", "max_tokens": 2}
    choice = json.loads(_post(server, "/v1/completions", body)[2])["choices"][0]
    assert choice["text"] == "echo: one"
    assert choice["finish_reason"] == "length"


def test_stream_sends_chunks_usage_and_done(server: FaultServer) -> None:
    body = _chat("please stream this answer", stream=True, stream_options={"include_usage": True})
    status, headers, raw = _post(server, "/v1/chat/completions", body)
    assert status == 200
    assert headers["content-type"] == "text/event-stream"
    events = _events(raw)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "echo: please stream this answer"
    assert chunks[-1]["usage"]["completion_tokens"] == 5
    assert server.answered_count == 1


@pytest.mark.parametrize("kind,status", [("http_500", 500), ("http_502", 502), ("http_503", 503)])
def test_http_errors(kind: str, status: int) -> None:
    with FaultServer(faults=[Fault(kind)]) as s:  # type: ignore[arg-type]
        got, _, body = _post(s, "/v1/chat/completions", _chat("hi"))
        assert got == status
        assert kind in json.loads(body)["error"]["message"]
        assert s.stats() == {"requests": 1, "answered": 0, "faults": {kind: 1}}


def test_rate_limit_sends_retry_after() -> None:
    with FaultServer(faults=[Fault("rate_limit", retry_after_s=2.5)]) as s:
        status, headers, _ = _post(s, "/v1/chat/completions", _chat("hi"))
        assert status == 429
        assert headers["retry-after"] == "2.5"
        assert headers["retry-after-ms"] == "2500"


def test_connection_reset() -> None:
    with FaultServer(faults=[Fault("reset")]) as s:
        with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
            _post(s, "/v1/chat/completions", _chat("hi"))
        assert s.requests[0].fault == "reset"
        assert not s.requests[0].answered


def test_timeout_hangs_without_an_answer_and_stop_releases_it() -> None:
    s = FaultServer(faults=[Fault("timeout", hang_s=60.0)]).start()
    try:
        with pytest.raises((TimeoutError, socket.timeout)):
            _post(s, "/v1/chat/completions", _chat("hi"), timeout=0.5)
    finally:
        s.stop()  # must not wait for the 60 s hang
    assert s.stats()["faults"] == {"timeout": 1}


def test_slow_stream_arrives_complete_in_spaced_chunks() -> None:
    delay = 0.05
    with FaultServer(faults=[Fault("slow_stream", delay_s=delay)]) as s:
        body = _chat("a slow answer here", stream=True)
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        conn.request("POST", "/v1/chat/completions", json.dumps(body))
        resp = conn.getresponse()
        arrivals: list[float] = []
        raw = b""
        while True:
            line = resp.fp.readline()
            if not line:
                break
            raw += line
            if line.startswith(b"data: "):
                arrivals.append(time.monotonic())
            if b"[DONE]" in line:
                break
        conn.close()
        events = _events(raw)
        text = "".join(json.loads(e)["choices"][0]["delta"].get("content", "") for e in events[:-1])
        assert text == "echo: a slow answer here"
        # the pieces are paced by the server: each gap is at least the configured delay
        content_arrivals = arrivals[: len(events) - 2]
        gaps = [b - a for a, b in itertools.pairwise(content_arrivals)]
        assert gaps and min(gaps) >= delay * 0.9
        assert s.requests[0].answered  # slow but whole


def test_cut_stream_ends_without_done() -> None:
    with FaultServer(faults=[Fault("cut_stream")]) as s:
        body = _chat("a long answer that will be cut", stream=True)
        with pytest.raises(
            (http.client.IncompleteRead, ConnectionError, http.client.HTTPException)
        ):
            _post(s, "/v1/chat/completions", body)
        # non-streaming: the body stops halfway through its Content-Length
        with pytest.raises((http.client.IncompleteRead, ConnectionError)):
            _post(s, "/v1/chat/completions", _chat("cut me"))
        assert s.answered_count == 0
        assert s.stats()["faults"] == {"cut_stream": 2}


def test_malformed_json() -> None:
    with FaultServer(faults=[Fault("malformed_json")]) as s:
        status, _, body = _post(s, "/v1/chat/completions", _chat("hi"))
        assert status == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)
        status, _, raw = _post(s, "/v1/chat/completions", _chat("hi", stream=True))
        with pytest.raises(json.JSONDecodeError):
            json.loads(_events(raw)[0])


def test_missing_and_wrong_usage() -> None:
    faults = [Fault("no_usage", pattern="^none"), Fault("wrong_usage", pattern="^wrong")]
    with FaultServer(faults=faults) as s:
        data = json.loads(_post(s, "/v1/chat/completions", _chat("none here"))[2])
        assert "usage" not in data
        assert data["choices"][0]["message"]["content"] == "echo: none here"
        data = json.loads(_post(s, "/v1/chat/completions", _chat("wrong here"))[2])
        assert data["usage"]["prompt_tokens"] < 0
        assert data["usage"]["total_tokens"] != (
            data["usage"]["prompt_tokens"] + data["usage"]["completion_tokens"]
        )


def test_pattern_model_and_times_select_requests() -> None:
    faults = [
        Fault("http_503", pattern=r"flaky", times=2),
        Fault("http_500", model=r"^bad-"),
    ]
    with FaultServer(faults=faults) as s:
        statuses = [_post(s, "/v1/chat/completions", _chat("flaky task"))[0] for _ in range(3)]
        assert statuses == [503, 503, 200]
        assert _post(s, "/v1/chat/completions", _chat("steady task"))[0] == 200
        bad = {"model": "bad-model", "messages": [{"role": "user", "content": "steady task"}]}
        assert _post(s, "/v1/chat/completions", bad)[0] == 500
        assert s.request_count == 5
        assert s.answered_count == 2


def test_seeded_rate_is_reproducible_and_order_independent() -> None:
    prompts = [f"task number {i}" for i in range(200)]

    def faults_for(order: list[str], seed: int) -> dict[str, str | None]:
        with FaultServer(fault_rate=0.2, seed=seed, fault_kinds=["http_500", "http_503"]) as s:
            for p in order:
                _post(s, "/v1/chat/completions", _chat(p))
            return {r.prompt: r.fault for r in s.requests}

    forward = faults_for(prompts, seed=1)
    backward = faults_for(prompts[::-1], seed=1)
    assert forward == backward
    n_faults = sum(1 for f in forward.values() if f is not None)
    assert 20 <= n_faults <= 60  # 20% of 200, seeded: a fixed number in a sane range
    assert {f for f in forward.values() if f} == {"http_500", "http_503"}
    assert faults_for(prompts, seed=2) != forward


def test_every_fault_kind_is_known_and_bad_input_is_refused() -> None:
    assert set(FAULT_KINDS) == {
        "http_500",
        "http_502",
        "http_503",
        "rate_limit",
        "reset",
        "timeout",
        "slow_stream",
        "cut_stream",
        "malformed_json",
        "no_usage",
        "wrong_usage",
    }
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="does not compile"):
        Fault("http_500", pattern="(")
    with pytest.raises(ValueError, match="fault_rate"):
        FaultServer(fault_rate=1.5)


def test_stats_endpoint_and_unknown_routes(server: FaultServer) -> None:
    _post(server, "/v1/chat/completions", _chat("hi"))
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/stats")
    assert json.loads(conn.getresponse().read()) == {"requests": 1, "answered": 1, "faults": {}}
    conn.request("GET", "/nope")
    assert conn.getresponse().status == 404
    conn.close()
    assert _post(server, "/v1/embeddings", {})[0] == 404
    server.reset_counts()
    assert server.request_count == 0


def test_command_line_server_prints_url_and_counters() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "toolkit.testing.fault_server",
            "--fault-rate",
            "1",
            "--kinds",
            "http_503",
            "--seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("POST", "/v1/chat/completions", json.dumps(_chat("hi")))
        assert conn.getresponse().status == 503
        conn.close()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1]) == {
        "requests": 1,
        "answered": 0,
        "faults": {"http_503": 1},
    }
