"""Helpers for the models tests: a small, deterministic OpenAI-compatible HTTP server.

The server runs in a thread on 127.0.0.1 and speaks just enough of the OpenAI API for
litellm to call it exactly as a cloud provider (``openai/<name>`` + ``api_base``):
``/v1/chat/completions`` and ``/v1/completions``, with ``usage``, optional streaming (SSE),
and scripted faults (500, 429 with ``Retry-After``, hang). It records every request with a
server-side timestamp. Its answers are synthetic: ``model=<name> words=<n>``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    """One request the server received."""

    at: float  # time.monotonic() on the server when the request arrived
    path: str
    model: str
    body: dict[str, Any]


@dataclass
class FakeOpenAI:
    """State and controls of the test server.

    ``script`` is consumed one entry per request (any model): ``"ok"``, ``"500"``,
    ``("429", seconds)``, ``("hang", seconds)`` (then a 500) or ``("slow", seconds)`` (then an
    answer). ``fail_models`` always answer 500. ``max_in_flight`` is the most requests it was
    serving at once.
    """

    url: str = ""
    script: list[Any] = field(default_factory=list)
    fail_models: set[str] = field(default_factory=set)
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def requests_for(self, model: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.model == model]

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.seen)


def _answer_text(model: str, prompt: str) -> str:
    return f"model={model} words={len(prompt.split())}"


def _make_handler(state: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout): expected

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
            else:
                self._send(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:
            with state.lock:
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
            try:
                self._post()
            finally:
                with state.lock:
                    state.in_flight -= 1

        def _post(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            model = str(body.get("model", ""))
            with state.lock:
                state.seen.append(Seen(time.monotonic(), self.path, model, body))
                action = state.script.pop(0) if state.script else "ok"
            if model in state.fail_models:
                action = "500"
            if action == "500":
                self._send(500, {"error": {"message": "synthetic failure", "type": "server"}})
                return
            if isinstance(action, tuple) and action[0] == "429":
                self._send(
                    429,
                    {"error": {"message": "synthetic rate limit", "type": "rate_limit"}},
                    {"Retry-After": str(action[1])},
                )
                return
            if isinstance(action, tuple) and action[0] == "hang":
                state.stop.wait(float(action[1]))
                self._send(500, {"error": {"message": "hung request released"}})
                return
            if isinstance(action, tuple) and action[0] == "slow":
                state.stop.wait(float(action[1]))
            chat = self.path.endswith("/chat/completions")
            if chat:
                prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
            else:
                p = body.get("prompt", "")
                prompt = p if isinstance(p, str) else " ".join(map(str, p))
            text = _answer_text(model, prompt)
            usage = {
                "prompt_tokens": len(prompt.split()),
                "completion_tokens": len(text.split()),
                "total_tokens": len(prompt.split()) + len(text.split()),
            }
            if body.get("stream"):
                self._stream(model, text, usage, chat)
                return
            if chat:
                choice: dict[str, Any] = {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
                obj = "chat.completion"
            else:
                choice = {"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}
                obj = "text_completion"
            self._send(
                200,
                {
                    "id": "fake-1",
                    "object": obj,
                    "created": int(time.time()),
                    "model": model,
                    "choices": [choice],
                    "usage": usage,
                },
            )

        def _stream(self, model: str, text: str, usage: dict[str, int], chat: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            words = text.split(" ")
            chunks = []
            for i, w in enumerate(words):
                piece = w if i == 0 else " " + w
                if chat:
                    delta = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                    chunks.append({"object": "chat.completion.chunk", "choices": [delta]})
                else:
                    chunks.append(
                        {"object": "text_completion", "choices": [{"index": 0, "text": piece}]}
                    )
            final_choice: dict[str, Any] = (
                {"index": 0, "delta": {}, "finish_reason": "stop"}
                if chat
                else {"index": 0, "text": "", "finish_reason": "stop"}
            )
            chunks.append({"object": "chat.completion.chunk", "choices": [final_choice]})
            chunks.append({"object": "chat.completion.chunk", "choices": [], "usage": usage})
            for c in chunks:
                c.update({"id": "fake-s", "created": int(time.time()), "model": model})
                self.wfile.write(f"data: {json.dumps(c)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    return Handler


def start_fake_openai() -> tuple[FakeOpenAI, Callable[[], None]]:
    """Start a server on a free port of 127.0.0.1; returns it and the function that stops it."""
    state = FakeOpenAI()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"

    def stop() -> None:
        state.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return state, stop
