"""A fault-injecting OpenAI-compatible server for tests (stdlib only, starts in milliseconds).

It speaks ``POST /v1/chat/completions`` and ``POST /v1/completions`` (streaming and not),
answers deterministically, counts every request, and injects faults either for requests whose
prompt (or model) matches a regex, or at a seeded rate.

Answers: the first entry of ``answers`` (regex on the prompt -> text) that matches, else
``default_answer(prompt)``: ``"echo: "`` plus the prompt's last non-empty line. ``stop``
sequences and ``max_tokens`` (counted in words) are honoured. Token usage counts words:
``prompt_tokens`` is the number of whitespace-separated words in the prompt,
``completion_tokens`` that of the answer.

The seeded rate is order-independent: whether the n-th request for a given (model, prompt)
gets a fault, and which, is drawn from a hash of (seed, model, prompt, n), so a concurrent
run sees the same faults whatever order its requests arrive in.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import random
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, get_args

FaultKind = Literal[
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
]

#: Every fault kind the server can inject.
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)

#: Faults a client is expected to retry (the default mix of ``fault_rate``).
TRANSIENT_FAULTS: tuple[FaultKind, ...] = (
    "http_500",
    "http_502",
    "http_503",
    "rate_limit",
    "reset",
)


@dataclass(frozen=True)
class Fault:
    """One fault rule.

    ``pattern`` and ``model`` are regexes searched in the request's prompt and model (None
    matches anything). ``times`` caps how many requests the rule hits (None: every match), so
    ``Fault("http_500", times=2)`` fails the first two matching requests and lets the next
    ones through. ``retry_after_s`` is sent by ``rate_limit``; ``hang_s`` is how long
    ``timeout`` holds the request before dropping it unanswered (the server's stop ends it
    early); ``delay_s`` is the pause between chunks of ``slow_stream``.
    """

    kind: FaultKind
    pattern: str | None = None
    model: str | None = None
    times: int | None = None
    retry_after_s: float = 1.0
    delay_s: float = 0.2
    hang_s: float = 30.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {', '.join(FAULT_KINDS)})")
        for label, rx in (("pattern", self.pattern), ("model", self.model)):
            if rx is not None:
                try:
                    re.compile(rx)
                except re.error as exc:
                    raise ValueError(f"fault {label} {rx!r} does not compile: {exc}") from None
        if self.times is not None and self.times < 0:
            raise ValueError("fault times must be >= 0")
        if self.retry_after_s < 0 or self.delay_s < 0 or self.hang_s < 0:
            raise ValueError("fault retry_after_s, delay_s and hang_s must be >= 0")


@dataclass(frozen=True)
class ServedRequest:
    """What the server saw for one request and what it did with it."""

    index: int
    path: str
    model: str
    prompt: str
    stream: bool
    fault: str | None
    answered: bool
    rule: Fault | None = None


@dataclass
class _Rule:
    fault: Fault
    rx: re.Pattern[str] | None
    model_rx: re.Pattern[str] | None
    hits: int = 0


def default_answer(prompt: str) -> str:
    """The server's answer when no ``answers`` entry matches: ``echo:`` + the last line."""
    lines = [ln.strip() for ln in prompt.splitlines() if ln.strip()]
    return "echo: " + (lines[-1] if lines else "")


def count_words(text: str) -> int:
    """The server's token count: whitespace-separated words."""
    return len(text.split())


class FaultServer:
    """An OpenAI-compatible server on 127.0.0.1 that fails on purpose.

    Use it as a context manager; ``url`` is the ``api_base`` (``http://127.0.0.1:PORT/v1``).
    ``fault_rate`` injects one of ``fault_kinds`` into that share of requests (seeded);
    ``faults`` are rules matched first, in order. ``latency_s`` delays every answer.
    ``retry_after_s``, ``delay_s`` and ``hang_s`` set the faults drawn by ``fault_rate``
    (see :class:`Fault`).
    """

    def __init__(
        self,
        *,
        faults: Sequence[Fault] = (),
        fault_rate: float = 0.0,
        fault_kinds: Sequence[FaultKind] = TRANSIENT_FAULTS,
        seed: int = 0,
        answers: Mapping[str, str] | None = None,
        answer_fn: Callable[[str], str] | None = None,
        latency_s: float = 0.0,
        retry_after_s: float = 1.0,
        delay_s: float = 0.2,
        hang_s: float = 30.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not 0.0 <= fault_rate <= 1.0:
            raise ValueError("fault_rate must be in [0, 1]")
        for kind in fault_kinds:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(FAULT_KINDS)})")
        if fault_rate > 0 and not fault_kinds:
            raise ValueError("fault_rate > 0 needs at least one fault kind")
        self._rules = [
            _Rule(
                f,
                re.compile(f.pattern) if f.pattern is not None else None,
                re.compile(f.model) if f.model is not None else None,
            )
            for f in faults
        ]
        self.fault_rate = fault_rate
        self.fault_kinds: tuple[FaultKind, ...] = tuple(fault_kinds)
        self.seed = seed
        self._answers = [(re.compile(p), a) for p, a in (answers or {}).items()]
        self._answer_fn = answer_fn or default_answer
        self.latency_s = latency_s
        self.retry_after_s = retry_after_s
        self.delay_s = delay_s
        self.hang_s = hang_s
        self.host = host
        self._port = port
        self._lock = threading.Lock()
        self._seen: Counter[tuple[str, str]] = Counter()
        self._log: list[ServedRequest] = []
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on (after start)."""
        if self._httpd is None:
            raise RuntimeError("FaultServer is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The OpenAI ``api_base``: ``http://127.0.0.1:PORT/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> FaultServer:
        """Bind and serve in a background thread; returns at once, ready for requests."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _Server((self.host, self._port), _Handler)
        httpd.fault_server = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release hung requests and close the socket."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.close_open_sockets()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----- counters ------------------------------------------------------------------------

    @property
    def requests(self) -> list[ServedRequest]:
        """Every completion request seen so far, in arrival order."""
        with self._lock:
            return list(self._log)

    @property
    def request_count(self) -> int:
        """How many completion requests arrived (faulted or not)."""
        with self._lock:
            return len(self._log)

    @property
    def answered_count(self) -> int:
        """How many requests got a complete, well-formed answer."""
        with self._lock:
            return sum(1 for r in self._log if r.answered)

    def stats(self) -> dict[str, Any]:
        """Counters as a JSON-ready dict: requests, answered, faults by kind."""
        with self._lock:
            faults = Counter(r.fault for r in self._log if r.fault is not None)
            return {
                "requests": len(self._log),
                "answered": sum(1 for r in self._log if r.answered),
                "faults": dict(sorted(faults.items())),
            }

    def reset_counts(self) -> None:
        """Forget the request log and the per-prompt counts (rules' ``times`` start over)."""
        with self._lock:
            self._log.clear()
            self._seen.clear()
            for rule in self._rules:
                rule.hits = 0

    # ----- decisions (called from handler threads) -------------------------------------------

    def answer_for(self, prompt: str) -> str:
        """The deterministic answer to ``prompt`` (before stop and max_tokens)."""
        for rx, text in self._answers:
            if rx.search(prompt):
                return text
        return self._answer_fn(prompt)

    def _choose(self, model: str, prompt: str) -> Fault | None:
        with self._lock:
            key = (model, prompt)
            nth = self._seen[key]
            self._seen[key] += 1
            for rule in self._rules:
                if rule.rx is not None and not rule.rx.search(prompt):
                    continue
                if rule.model_rx is not None and not rule.model_rx.search(model):
                    continue
                if rule.fault.times is not None and rule.hits >= rule.fault.times:
                    continue
                rule.hits += 1
                return rule.fault
            if self.fault_rate > 0:
                digest = hashlib.sha256(f"{self.seed}\0{model}\0{prompt}\0{nth}".encode()).digest()
                rng = random.Random(digest)
                if rng.random() < self.fault_rate:
                    kind = self.fault_kinds[rng.randrange(len(self.fault_kinds))]
                    return Fault(
                        kind,
                        retry_after_s=self.retry_after_s,
                        delay_s=self.delay_s,
                        hang_s=self.hang_s,
                    )
            return None

    def _arrive(self, path: str, model: str, prompt: str, stream: bool) -> tuple[int, Fault | None]:
        """Count a request on arrival and pick its fault; returns its log index and fault."""
        fault = self._choose(model, prompt)
        with self._lock:
            index = len(self._log)
            self._log.append(
                ServedRequest(
                    index=index,
                    path=path,
                    model=model,
                    prompt=prompt,
                    stream=stream,
                    fault=fault.kind if fault is not None else None,
                    answered=False,
                    rule=fault,
                )
            )
            return index, fault

    def _mark(self, index: int, answered: bool) -> None:
        with self._lock:
            self._log[index] = dataclasses.replace(self._log[index], answered=answered)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # listen backlog: the standard library's 5 drops the SYNs of a client opening 16-64
    # connections at once, which then wait 1-3 s for TCP's retransmission
    request_queue_size = 1024
    fault_server: FaultServer

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client drops its connection (resets are part of the job)."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def close_open_sockets(self) -> None:
        """Shut down kept-alive client connections so their handler threads end."""
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            # already closed by the peer or by a reset fault: nothing left to shut down
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _prompt_of(path: str, body: Mapping[str, Any]) -> str:
    if path.endswith("/chat/completions"):
        parts: list[str] = []
        for msg in body.get("messages") or []:
            content = msg.get("content") if isinstance(msg, dict) else None
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return "\n".join(parts)
    prompt = body.get("prompt", "")
    if isinstance(prompt, list):
        return "\n".join(str(p) for p in prompt)
    return str(prompt)


def _apply_limits(text: str, body: Mapping[str, Any]) -> tuple[str, str]:
    """Cut ``text`` at the first stop sequence and at max_tokens words; return finish reason."""
    finish = "stop"
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    cut = len(text)
    for s in stops:
        if isinstance(s, str) and s:
            i = text.find(s)
            if 0 <= i < cut:
                cut = i
    text = text[:cut]
    limit = body.get("max_tokens") or body.get("max_completion_tokens")
    if isinstance(limit, int) and limit > 0:
        words = text.split(" ")
        if len([w for w in words if w]) > limit:
            kept: list[str] = []
            n = 0
            for w in words:
                if w:
                    if n == limit:
                        break
                    n += 1
                kept.append(w)
            text = " ".join(kept)
            finish = "length"
    return text, finish


def _chunks(text: str, n: int = 4) -> list[str]:
    """Split ``text`` into about ``n`` pieces (at least one, possibly empty)."""
    if not text:
        return [""]
    size = max(1, math.ceil(len(text) / n))
    return [text[i : i + size] for i in range(0, len(text), size)]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # headers and body are written separately: with Nagle's algorithm on, the body would
    # wait for the client's delayed ACK (40 ms) on every answer
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet by default
        return

    def setup(self) -> None:
        super().setup()
        with self.server.sockets_lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        with self.server.sockets_lock:
            self.server.open_sockets.discard(self.connection)
        # the connection may have been reset on purpose or by the peer
        with contextlib.suppress(OSError):
            super().finish()

    # ----- small writers -------------------------------------------------------------------

    def _send_json(self, status: int, obj: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self._send_bytes(status, data, "application/json", headers)

    def _send_bytes(
        self,
        status: int,
        data: bytes,
        ctype: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0, then close)."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the peer may already be gone; the close below still aborts
        self.connection.close()

    # ----- routes --------------------------------------------------------------------------

    def do_GET(self) -> None:
        fs = self.server.fault_server
        if self.path in ("/health", "/v1/health"):
            self._send_json(200, {"status": "ok"})
        elif self.path in ("/stats", "/v1/stats"):
            self._send_json(200, fs.stats())
        elif self.path == "/v1/models":
            self._send_json(
                200,
                {"object": "list", "data": [{"id": "fault-server", "object": "model"}]},
            )
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        if path not in ("/v1/chat/completions", "/v1/completions"):
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise ValueError("body is not an object")
        except ValueError as exc:
            self._send_json(400, {"error": {"message": f"bad JSON body: {exc}"}})
            return
        fs = self.server.fault_server
        model = str(body.get("model", ""))
        prompt = _prompt_of(path, body)
        stream = bool(body.get("stream"))
        index, fault = fs._arrive(path, model, prompt, stream)
        try:
            self._serve(fs, fault, index, path, model, body, prompt, stream)
        except OSError:
            # the client went away mid-answer (a client timeout, a cancelled call): the
            # request stays counted, but not as answered; there is no one left to tell
            fs._mark(index, False)
            self.close_connection = True

    def _serve(
        self,
        fs: FaultServer,
        fault: Fault | None,
        index: int,
        path: str,
        model: str,
        body: Mapping[str, Any],
        prompt: str,
        stream: bool,
    ) -> None:
        """Answer or fail one request; a complete answer is marked answered before it is sent."""
        kind = fault.kind if fault is not None else None
        if kind in ("http_500", "http_502", "http_503"):
            status = int(str(kind)[-3:])
            self._send_json(
                status,
                {"error": {"message": f"injected fault {kind}", "type": "server_error"}},
            )
            return
        if kind == "rate_limit":
            assert fault is not None
            ra = fault.retry_after_s
            self._send_json(
                429,
                {"error": {"message": "injected fault rate_limit", "type": "rate_limit_error"}},
                headers={
                    "Retry-After": f"{ra:g}",
                    "retry-after-ms": str(int(ra * 1000)),
                },
            )
            return
        if kind == "reset":
            self._reset()
            return
        if kind == "timeout":
            assert fault is not None
            fs._stopping.wait(fault.hang_s)
            self._reset()
            return
        if fs.latency_s > 0:
            time.sleep(fs.latency_s)

        text, finish = _apply_limits(fs.answer_for(prompt), body)
        usage: dict[str, Any] | None = {
            "prompt_tokens": count_words(prompt),
            "completion_tokens": count_words(text),
            "total_tokens": count_words(prompt) + count_words(text),
        }
        if kind == "no_usage":
            usage = None
        elif kind == "wrong_usage":
            usage = {"prompt_tokens": -1, "completion_tokens": -1, "total_tokens": 7}
        chat = path.endswith("/chat/completions")
        if kind == "malformed_json":
            if stream:
                self._start_stream()
                self._write_event(b'{"id": "cmpl-broken", "choices": [{"delta": ')
                self._end_stream()
            else:
                self._send_bytes(
                    200, b'{"id": "cmpl-broken", "choices": [{"index": 0, "te', "application/json"
                )
            return
        cid = f"cmpl-{hashlib.sha256(prompt.encode()).hexdigest()[:12]}"
        if not stream:
            if kind == "slow_stream":
                assert fault is not None
                time.sleep(fault.delay_s * 4)
            resp = _full_response(cid, model, text, finish, usage, chat)
            if kind == "cut_stream":
                data = json.dumps(resp).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self._reset()
                return
            if kind in (None, "slow_stream"):  # a slow answer is still a whole one
                fs._mark(index, True)
            self._send_json(200, resp)
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        self._start_stream()
        pieces = _chunks(text)
        for i, piece in enumerate(pieces):
            if kind == "cut_stream" and i >= max(1, len(pieces) // 2):
                self._reset()
                return
            self._write_event(
                json.dumps(_chunk(cid, model, piece, None, chat, first=i == 0)).encode()
            )
            if kind == "slow_stream":
                assert fault is not None
                time.sleep(fault.delay_s)
        if kind == "cut_stream":  # a one-piece answer: cut before the final chunk
            self._reset()
            return
        final = _chunk(cid, model, "", finish, chat, first=False)
        if usage is not None and not include_usage:
            final["usage"] = usage
        self._write_event(json.dumps(final).encode())
        if include_usage and usage is not None:
            self._write_event(
                json.dumps(
                    {
                        "id": cid,
                        "object": "chat.completion.chunk" if chat else "text_completion",
                        "created": 0,
                        "model": model,
                        "choices": [],
                        "usage": usage,
                    }
                ).encode()
            )
        if kind in (None, "slow_stream"):
            fs._mark(index, True)
        self._write_event(b"[DONE]")
        self._end_stream()

    # ----- server-sent events --------------------------------------------------------------

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _write_event(self, payload: bytes) -> None:
        data = b"data: " + payload + b"\n\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _full_response(
    cid: str, model: str, text: str, finish: str, usage: dict[str, Any] | None, chat: bool
) -> dict[str, Any]:
    choice: dict[str, Any]
    if chat:
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": finish,
        }
    else:
        choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
    resp: dict[str, Any] = {
        "id": cid,
        "object": "chat.completion" if chat else "text_completion",
        "created": 0,
        "model": model,
        "choices": [choice],
    }
    if usage is not None:
        resp["usage"] = usage
    return resp


def _chunk(
    cid: str, model: str, piece: str, finish: str | None, chat: bool, *, first: bool
) -> dict[str, Any]:
    choice: dict[str, Any]
    if chat:
        delta: dict[str, Any] = {"content": piece} if piece or finish is None else {}
        if first:
            delta["role"] = "assistant"
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
    else:
        choice = {"index": 0, "text": piece, "logprobs": None, "finish_reason": finish}
    return {
        "id": cid,
        "object": "chat.completion.chunk" if chat else "text_completion",
        "created": 0,
        "model": model,
        "choices": [choice],
    }
