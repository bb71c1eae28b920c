"""Secrets: with recognisable fake keys in the environment, a run, its report, a notebook and
their logs hold no key anywhere, error messages that echo headers or URLs are redacted, and
model-written code in the sandbox cannot read the key.

The keys are canaries (``sk-test-CANARY...``, ``sk-ant-CANARY...``, and three whose names and
shapes say nothing of a key), never real. One executor talks to a misbehaving "proxy" on
127.0.0.1 that answers 401 with the request's headers (``Authorization: Bearer <key>``) and URL
echoed in its error message, as some proxies and providers do; asked to "echo my key", it
answers 200 with the key and its base64 form in the answer text. A key is also passed under a
variable named ``MY_LLM_AUTH``, put in an ``api_base``'s userinfo and in a profile's
``extra_headers``; a CLI executor prints its whole environment as its answer. The tasks are synthetic; one is a code task whose model-written answer (served
by the fault server) hunts for the canary in its environment and in every /proc/*/environ.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from reliability_support import REPO
from synthetic_runs import read_jsonl

from toolkit._redact import MASK, redact, secret_values
from toolkit.testing import Fault, FaultServer

pytestmark = pytest.mark.timeout(240)

PROBE = """def probe():
    import os
    seen = [repr(dict(os.environ))]
    pids = {"self", str(os.getppid())} | {p for p in os.listdir("/proc") if p.isdigit()}
    for pid in sorted(pids):
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                seen.append(fh.read().decode("latin-1"))
        except OSError:
            pass
    return "CANARY" in "".join(seen)
"""
PROBE_TEST = 'def check(candidate):\n    assert candidate() is False, "the canary is readable"\n'

TASKS: list[dict[str, Any]] = [
    {"id": "s-1", "input": "Say one", "target": "echo: Say one", "category": "echo"},
    {"id": "s-2", "input": "Say two", "target": "echo: Say two", "category": "echo"},
    {"id": "s-3", "input": "Say three", "target": "wrong", "category": "echo"},
    {"id": "leak-1", "input": "please leak me", "target": "x", "category": "leak"},
    {"id": "echo-1", "input": "echo my key", "target": "x", "category": "leak"},
    {
        "id": "probe-1",
        "input": "def probe():\n",
        "category": "code",
        "grader": {"name": "code", "args": {"timeout_s": 10}},
        "metadata": {"entry_point": "probe", "test": PROBE_TEST},
    },
]


class _EchoProxy(BaseHTTPRequestHandler):
    """Answers every request 401, echoing its URL and headers in the error message."""

    protocol_version = "HTTP/1.1"
    seen_auth: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = self.rfile.read(length)
        auth = self.headers.get("Authorization", "")
        type(self).seen_auth.append(auth)
        if b"echo my key" in request:  # a provider that echoes the key it was sent
            key = auth.removeprefix("Bearer ")
            encoded = base64.b64encode(key.encode()).decode()
            self._answer(f"your key is {key}; in base64 {encoded}; headers {dict(self.headers)}")
            return
        url = f"http://{self.headers.get('Host')}{self.path}"
        message = (
            f"Incorrect API key provided: {auth}. Request to {url} with headers "
            f"{dict(self.headers)!r} was refused"
        )
        data = json.dumps({"error": {"message": message, "type": "invalid_request_error"}})
        self._send(401, data.encode())

    def _answer(self, text: str) -> None:
        completion = {
            "id": "echo",
            "object": "chat.completion",
            "created": 0,
            "model": "fake-echo",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 20, "total_tokens": 25},
        }
        self._send(200, json.dumps(completion).encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class SecretRun:
    """Everything the module's run produced, and the canaries it ran with."""

    canaries: list[str]
    root: Path
    run: Path
    report: Path | None
    cache_dir: Path
    logs: Path
    notebooks: list[Path] = field(default_factory=list)
    project_notebooks: list[Path] = field(default_factory=list)
    proxy_auth: list[str] = field(default_factory=list)
    report_skip: str = ""


def _spec(root: Path, fault_url: str, proxy_url: str, canaries: list[str]) -> Path:
    (root / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in TASKS), "utf-8")
    (root / "prices.toml").write_text(
        "".join(
            f'[models."openai/{m}"]\ninput_per_mtok = 1.0\noutput_per_mtok = 2.0\n\n'
            for m in ("fake-small", "fake-backup", "fake-proxy", "fake-echo", "fake-cli")
        ),
        "utf-8",
    )
    spec = root / "spec.toml"
    spec.write_text(
        f"""name = "secrets"

[tasks]
paths = ["tasks.jsonl"]

[prices]
file = "prices.toml"

[run]
concurrency = 2
backoff_base_s = 0.01
backoff_max_s = 0.02

[[executors]]
name = "small"
kind = "litellm"
model = "openai/fake-small"
api_base = "{fault_url}"
api_key_env = "OPENAI_API_KEY"
max_retries = 1
fallbacks = ["proxy"]
[executors.profile]
max_tokens = 400

[[executors]]
name = "backup"
kind = "litellm"
model = "openai/fake-backup"
api_base = "{fault_url}"
api_key_env = "OPENAI_API_KEY"
max_retries = 0
[executors.profile]
max_tokens = 400

[[executors]]
name = "proxy"
kind = "litellm"
model = "openai/fake-proxy"
api_base = "{proxy_url}"
api_key_env = "ANTHROPIC_API_KEY"
max_retries = 0

[[executors]]
name = "echo"
kind = "litellm"
model = "openai/fake-echo"
api_base = "{proxy_url}"
api_key_env = "MY_LLM_AUTH"
max_retries = 0
[executors.profile.extra.extra_headers]
X-Custom-Auth = "{canaries[3]}"

[[executors]]
name = "userinfo"
kind = "litellm"
model = "openai/fake-echo"
api_base = "{proxy_url.replace("http://", "http://user:" + canaries[4] + "@")}"
max_retries = 0

[[executors]]
name = "printenv"
kind = "cli"
model = "openai/fake-cli"
command = [{json.dumps(sys.executable)}, "-c", "import os, sys; sys.stdin.read(); print(dict(os.environ))"]
api_key_env = "MY_LLM_AUTH"
hourly_rate_usd = 0.0

[[strategies]]
kind = "single"
executor = "echo"

[[strategies]]
kind = "single"
executor = "printenv"

[[strategies]]
kind = "single"
executor = "small"

[[strategies]]
kind = "single"
executor = "backup"
""",
        "utf-8",
    )
    return spec


def _toolkit(args: list[str], logs: Path, name: str) -> int:
    """Run ``python -m toolkit ARGS``, keeping its stdout and stderr as log files."""
    with (logs / f"{name}.out").open("wb") as out, (logs / f"{name}.err").open("wb") as err:
        proc = subprocess.run(
            [sys.executable, "-m", "toolkit", *args],
            stdout=out,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=180,
            check=False,
        )
    return proc.returncode


def _notebook(path: Path, cells: list[str]) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]  # type: ignore[no-untyped-call]
    nbformat.write(nb, path)  # type: ignore[no-untyped-call]


def _execute(path: Path, out: Path, cwd: Path) -> None:
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    nbformat.write(nb, out)  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
def secret_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretRun]:
    """Run the spec, build its report and execute notebooks with canary keys set."""
    root = tmp_path_factory.mktemp("secrets")
    canaries = [
        f"sk-test-CANARY-{secrets.token_hex(12)}",
        f"sk-ant-CANARY-{secrets.token_hex(12)}",
        f"CANARYauth{secrets.token_hex(12)}",  # under MY_LLM_AUTH: no KEY/TOKEN in the name
        f"CANARYhdr{secrets.token_hex(12)}",  # a profile's extra_headers
        f"CANARYpw{secrets.token_hex(12)}",  # the password in an api_base's userinfo
    ]
    logs = root / "logs"
    logs.mkdir()
    cache_dir = root / "cache-dir"
    _EchoProxy.seen_auth = []
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _EchoProxy)
    thread = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_API_KEY", canaries[0])
        mp.setenv("ANTHROPIC_API_KEY", canaries[1])
        mp.setenv("MY_LLM_AUTH", canaries[2])
        mp.setenv("TOOLKIT_CACHE_DIR", str(cache_dir))
        mp.setenv("PYTHONPATH", str(REPO))
        try:
            with FaultServer(
                faults=[Fault("http_500", pattern="leak me")], answers={r"def probe": PROBE}
            ) as server:
                proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}/v1"
                spec = _spec(root, server.url, proxy_url, canaries)
                run = root / "run"
                code = _toolkit(["run", str(spec), "--out", str(run)], logs, "run")
                assert code == 0, (logs / "run.err").read_text("utf-8")
                report: Path | None = root / "report"
                report_skip = ""
                assert report is not None
                code = _toolkit(["report", str(run), "--out", str(report)], logs, "report")
                assert code == 0, (logs / "report.err").read_text("utf-8")
                # the one-prompt command, with the key under a name that says nothing
                complete = [
                    "complete",
                    "--model",
                    "openai/fake-echo",
                    "--api-base",
                    proxy_url,
                    "--api-key-env",
                    "MY_LLM_AUTH",
                    "--prompt",
                    "echo my key",
                    "--prices",
                    str(root / "prices.toml"),
                ]
                assert _toolkit(complete, logs, "complete") == 0, (
                    logs / "complete.err"
                ).read_text()
                assert "your key is " + MASK in (logs / "complete.out").read_text()
                # a notebook that uses the public API the way a user would
                notebooks = root / "notebooks"
                notebooks.mkdir()
                nb = notebooks / "use_the_api.ipynb"
                _notebook(
                    nb,
                    [
                        "from toolkit.runner import run_spec\n"
                        "from toolkit.runs import read_calls\n"
                        f"summary = run_spec({str(spec)!r}, out={str(root / 'nb-run')!r}, "
                        "progress=False)\n"
                        "print(summary.line())",
                        "for c in read_calls(summary.out):\n    print(c.executor, c.error)",
                        "import os\nsorted(k for k in os.environ if k.endswith('_API_KEY'))",
                    ],
                )
                executed = [notebooks / "use_the_api.out.ipynb"]
                _execute(nb, executed[0], notebooks)
                project = sorted((REPO / "notebooks").glob("*.ipynb"))
                for i, path in enumerate(project):
                    target = notebooks / f"project-{i}-{path.name}"
                    _execute(path, target, path.parent)
                    executed.append(target)
            yield SecretRun(
                canaries=canaries,
                root=root,
                run=run,
                report=report,
                cache_dir=cache_dir,
                logs=logs,
                notebooks=executed,
                project_notebooks=project,
                proxy_auth=list(_EchoProxy.seen_auth),
                report_skip=report_skip,
            )
        finally:
            proxy.shutdown()
            proxy.server_close()
            thread.join(timeout=5)


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def _leaks(paths: list[Path], canaries: list[str]) -> list[str]:
    found = []
    for path in paths:
        data = path.read_bytes()
        for canary in canaries:
            raw = canary.encode()
            forms = (
                canary,
                json.dumps(canary)[1:-1],
                raw.hex(),
                base64.b64encode(raw).decode().rstrip("="),
                base64.urlsafe_b64encode(raw).decode().rstrip("="),
            )
            if any(form.encode() in data for form in forms):
                found.append(f"{path}: holds {canary[:14]}...")
    return found


def test_the_keys_were_really_in_play(secret_run: SecretRun) -> None:
    """The proxy saw the key, echoed it, and the run recorded that (redacted) error."""
    assert any(secret_run.canaries[1] in auth for auth in secret_run.proxy_auth)
    calls = read_jsonl(secret_run.run / "calls.jsonl")
    leak = [c for c in calls if c["task_id"] == "leak-1" and c["executor"] == "proxy"]
    assert leak and "Incorrect API key provided: Bearer " + MASK in leak[0]["error"]
    assert "injected fault http_500" in leak[0]["error"]  # the primary's error is kept too
    assert (secret_run.cache_dir / "cache.sqlite").is_file()
    # the key under MY_LLM_AUTH reached the echoing provider, which sent it back, in base64 too
    assert any(secret_run.canaries[2] in auth for auth in secret_run.proxy_auth)
    results = read_jsonl(secret_run.run / "results.jsonl")
    echo = [r for r in results if r["strategy"] == "single:echo" and r["task_id"] == "echo-1"]
    assert echo and f"your key is {MASK}; in base64 {MASK}" in echo[0]["answer"]
    dump = [r for r in results if r["strategy"] == "single:printenv"]
    assert dump and f"'MY_LLM_AUTH': '{MASK}'" in dump[0]["answer"]


def test_no_file_the_toolkit_wrote_holds_a_key(secret_run: SecretRun) -> None:
    written = {
        "run directory": _files(secret_run.run) + _files(secret_run.root / "nb-run"),
        "cache": _files(secret_run.cache_dir),
        "report": _files(secret_run.report) if secret_run.report else [],
        "notebook outputs": secret_run.notebooks,
        "logs": _files(secret_run.logs),
    }
    for what, paths in written.items():
        assert paths, f"nothing to search in the {what}"
    assert {p.name for p in written["run directory"]} >= {
        "manifest.json",
        "calls.jsonl",
        "results.jsonl",
    }
    assert any(p.suffix == ".html" for p in written["report"])
    leaks = _leaks([p for paths in written.values() for p in paths], secret_run.canaries)
    assert leaks == [], "\n".join(leaks)


def test_project_notebooks_run_without_leaking(secret_run: SecretRun) -> None:
    if not secret_run.project_notebooks:
        pytest.skip("notebooks/ holds no notebook yet: only the API notebook was executed")
    executed = [p for p in secret_run.notebooks if p.name.startswith("project-")]
    assert len(executed) == len(secret_run.project_notebooks)
    assert _leaks(executed, secret_run.canaries) == []


def test_sandboxed_code_cannot_read_the_key(
    secret_run: SecretRun, protections: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The code task's answer hunts for the canary in its environment and every
    /proc/*/environ it can open; graded through the runner, it finds none."""
    if not protections["env_isolation"].held:
        pytest.skip(f"env_isolation does not hold here: {protections['env_isolation'].detail}")
    results = read_jsonl(secret_run.run / "results.jsonl")
    probes = [
        r
        for r in results
        if r["task_id"] == "probe-1" and r["strategy"] in ("single:small", "single:backup")
    ]
    assert len(probes) == 2  # both model strategies answered it
    for r in probes:
        assert r["answer"].startswith("def probe():")
        assert (r["score"], r["reason"]) == (1.0, "tests passed")
    # the probe would see the key outside the sandbox: the test above can fail
    monkeypatch.setenv("OPENAI_API_KEY", secret_run.canaries[0])
    scope: dict[str, Any] = {}
    exec(PROBE, scope)
    assert scope["probe"]() is True


@pytest.fixture
def protections() -> dict[str, Any]:
    """The code sandbox's protections on this machine (Linux only)."""
    if not sys.platform.startswith("linux"):
        pytest.skip(f"the code sandbox is Linux-only; this is {sys.platform}")
    from toolkit.grading import sandbox_protections

    return {p.name: p for p in sandbox_protections()}


# -- the redaction function itself ----------------------------------------------------------


def test_redact_masks_echoed_headers_urls_and_known_values() -> None:
    env = {"OPENAI_API_KEY": "sk-test-CANARY-0123456789abcdef", "HOME": "/root"}
    key = env["OPENAI_API_KEY"]
    echoed = (
        f"Incorrect API key provided: Bearer {key}. POST https://api.example.com/v1/x?"
        f"key=AIzaCANARY0123456789&alt=json headers={{'authorization': 'Bearer {key}', "
        f"'x-api-key': 'CANARYvalue-0123456789', 'content-type': 'application/json'}}"
    )
    out = redact(echoed, env)
    for secret in (key, "AIzaCANARY0123456789", "CANARYvalue-0123456789"):
        assert secret not in out
    assert "CANARY" not in out
    assert "https://api.example.com/v1/x?key=" + MASK + "&alt=json" in out
    assert "'content-type': 'application/json'" in out  # the rest of the message stays
    # an API key in the environment is masked wherever it appears, also JSON-escaped
    odd = 'abc"def\\ghi-0123456789'
    assert redact(json.dumps({"error": f"saw {odd}"}), {"MY_TOKEN": odd}).count(MASK) == 1
    assert redact(f"plain {key} text", env) == f"plain {MASK} text"


def test_redact_leaves_ordinary_text_alone() -> None:
    env = {"TOKENIZERS_PARALLELISM": "false", "SECRET_MODE": "disabled", "PATH": "/usr/bin"}
    for text in (
        "echo: Say hello",
        "the answer is 42; tokens: 12",
        "litellm.RateLimitError: injected fault rate_limit",
        "monkey=banana-bananas; the disabled flag is false",
    ):
        assert redact(text, env) == text
    assert secret_values(env) == []


def test_registered_credentials_are_masked_whatever_their_name() -> None:
    from toolkit._redact import register_config_secrets, register_secret, secret_forms

    key = "opaque-value-with-no-telltale-shape-7f3a"
    register_secret(key)
    register_secret("none")  # a local server's placeholder key is too short to be a secret
    register_config_secrets(
        None,
        "http://alice:userinfo-password-123@proxy.internal:8080/v1",
        {"extra_headers": {"X-Auth": "header-secret-value-99"}, "temperature_note": "plain"},
    )
    text = (
        f"echo {key} / {base64.b64encode(key.encode()).decode()} / userinfo-password-123 / "
        "header-secret-value-99 / none / plain"
    )
    out = redact(text, {})
    padding = "=" * (-len(key) % 3)  # what base64 pads with is left, the key's part is masked
    assert out == f"echo {MASK} / {MASK}{padding} / {MASK} / {MASK} / none / plain"
    assert key in secret_forms([key])
    # a URL's userinfo password is masked by its shape too, registered or not
    assert redact("GET http://bob:hunter2-unregistered@h/v1", {}) == f"GET http://bob:{MASK}@h/v1"
