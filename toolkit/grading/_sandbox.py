"""The code sandbox: run untrusted Python in a contained child process (Linux only).

Every run gets a fresh temporary directory, a cleared environment, a wall-clock timeout,
resource limits (address space, CPU time, file size, open files, processes, no core dumps)
and its output captured up to a cap. What else holds depends on the platform, and each
result says which protections held (:class:`Protection`):

- as root: new network, IPC, mount and PID namespaces; every mount read-only except a
  size-capped private ``/tmp``; a drop to a uid/gid of its own (one per concurrent slot), so
  the process limit holds and files readable only by their owner are out of reach;
- not root, where user namespaces are allowed: the same namespaces inside a user namespace,
  but the program keeps your uid;
- otherwise: only the limits above; the program can read, write and signal what you can.

The launcher (``_launcher.py``) is a separate small program, so the parent never forks
itself or runs a ``preexec_fn`` inside a threaded event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from toolkit._errors import ToolkitError

#: First uid (and gid) of the sandbox slots used when running as root; slot k uses base + k.
#: The range sits above the ranges systemd gives to containers and below 2**31.
SANDBOX_UID_BASE = 1_990_000_000
#: How many sandboxes may run at once as root, across all processes on the machine.
SANDBOX_SLOTS = 256

_P = ParamSpec("_P")
_R = TypeVar("_R")

_LAUNCHER = Path(__file__).with_name("_launcher.py")
_PROBE = "import json, math, re, typing, collections, itertools, functools, heapq, hashlib\nprint('ok')\n"
_SYSTEM_PYTHONS = ("/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3")
_python_cache: dict[bool, str] = {}
_protections_cache: dict[str, tuple[Protection, ...]] = {}


class SandboxError(ToolkitError):
    """The sandbox itself could not run a program (not a fault of the program)."""


@dataclass(frozen=True)
class Protection:
    """One protection of the sandbox, whether it held for a run, and how or why not."""

    name: str
    held: bool
    detail: str


@dataclass(frozen=True)
class SandboxResult:
    """What a sandboxed program did.

    ``returncode`` is the exit status, negative for a signal (as in :mod:`subprocess`), and
    None when the sandbox killed the program (timeout, output cap). ``killed_reason`` says
    why the program was stopped, if it was. ``report`` is what the program wrote to
    descriptor 4 (only with ``secret``; see :func:`arun_sandboxed`).
    """

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    killed_reason: str | None
    duration_s: float
    protections: tuple[Protection, ...] = ()
    python: str = ""
    started_at: float = 0.0
    ended_at: float = 0.0
    output_truncated: bool = False
    report: str = ""

    @property
    def ok(self) -> bool:
        """True when the program ran to the end and exited 0."""
        return self.returncode == 0 and not self.timed_out and self.killed_reason is None


async def arun_sandboxed(
    code: str,
    *,
    timeout_s: float = 10.0,
    memory_mb: int = 512,
    output_cap_bytes: int = 1_000_000,
    cpu_s: int | None = None,
    disk_mb: int = 64,
    max_files: int = 64,
    max_procs: int = 16,
    python: str | None = None,
    namespaces: bool = True,
    files: Mapping[str, str] | None = None,
    secret: str | None = None,
) -> SandboxResult:
    """Run ``code`` with ``python -I -S -B`` in the sandbox.

    ``memory_mb`` caps the address space of each process, ``cpu_s`` (default: the timeout
    in whole seconds, plus 2) its CPU time, ``disk_mb`` the size of each file and, where a private
    ``/tmp`` holds, of all files together; ``max_files`` open files; ``max_procs`` processes.
    stdout and stderr together are kept up to ``output_cap_bytes``; past it the program is
    killed. ``python`` is the interpreter (default: this one, or as root the first of this
    one and the system's ``python3`` that the sandbox uid can run). ``namespaces=False``
    skips every namespace (no network, mount or PID isolation): for platforms where they
    misbehave, and to test the fallback. ``files`` are more files (name: text) put beside the
    program. With ``secret``, the program finds it on descriptor 3 (a pipe, at its end), and
    what it writes to descriptor 4 comes back as ``report`` (at most 64 KiB).
    Raises :class:`SandboxError` when the platform is not Linux or the sandbox cannot start.
    """
    if not sys.platform.startswith("linux"):
        raise SandboxError(f"the code sandbox needs Linux; this is {sys.platform}")
    if timeout_s <= 0 or memory_mb <= 0 or output_cap_bytes <= 0 or disk_mb <= 0:
        raise SandboxError("timeout_s, memory_mb, output_cap_bytes and disk_mb must be positive")
    for name in files or {}:
        if name == "main.py" or name != os.path.basename(name) or name.startswith("."):
            raise SandboxError(f"a sandbox file is a plain name other than main.py, not {name!r}")
    root = os.geteuid() == 0
    interpreter = python or await _choose_python(root)
    return await _run(
        code,
        files=dict(files or {}),
        secret=secret,
        python=interpreter,
        root=root,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        output_cap_bytes=output_cap_bytes,
        cpu_s=cpu_s if cpu_s is not None else int(timeout_s) + 2,
        disk_mb=disk_mb,
        max_files=max_files,
        max_procs=max_procs,
        namespaces=namespaces,
    )


def _blocking(fn: Callable[_P, Coroutine[Any, Any, _R]], name: str, doc: str) -> Callable[_P, _R]:
    """A blocking twin of the coroutine function ``fn``: same parameters, runs it to the end."""

    @functools.wraps(fn)
    def blocking(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        return asyncio.run(fn(*args, **kwargs))

    blocking.__name__ = blocking.__qualname__ = name
    blocking.__doc__ = doc
    return blocking


run_sandboxed = _blocking(
    arun_sandboxed,
    "run_sandboxed",
    "Run ``code`` (a Python program) in the sandbox and wait for it; see :func:`arun_sandboxed`.",
)


def sandbox_protections(python: str | None = None) -> tuple[Protection, ...]:
    """Which protections hold on this machine, measured by running a tiny program (cached)."""
    key = python or ""
    if key not in _protections_cache:
        result = run_sandboxed(_PROBE, timeout_s=20.0, python=python)
        if not result.ok:
            raise SandboxError(f"the sandbox probe failed: {result.killed_reason or result.stderr}")
        _protections_cache[key] = result.protections
    return _protections_cache[key]


# -- the interpreter ----------------------------------------------------------------------


def _others_can_run(path: str) -> bool:
    """Whether a user other than the owner could reach and execute ``path``."""
    real = Path(os.path.realpath(path))
    try:
        if not real.stat().st_mode & stat.S_IXOTH:
            return False
        return all(parent.stat().st_mode & stat.S_IXOTH for parent in real.parents)
    except OSError:
        return False


async def _choose_python(root: bool) -> str:
    if root in _python_cache:
        return _python_cache[root]
    own = os.path.realpath(sys.executable) if sys.executable else ""
    if not root:
        if not own:
            raise SandboxError("cannot find this Python interpreter; pass python=...")
        _python_cache[root] = own
        return own
    tried = []
    for candidate in dict.fromkeys([own, *_SYSTEM_PYTHONS]):
        if not candidate or not os.path.exists(candidate):
            continue
        if not _others_can_run(candidate):
            tried.append(f"{candidate} (not reachable by other users)")
            continue
        result = await _run(
            _PROBE,
            python=candidate,
            root=root,
            timeout_s=20.0,
            memory_mb=512,
            output_cap_bytes=10_000,
            cpu_s=20,
            disk_mb=8,
            max_files=64,
            max_procs=4,
            namespaces=True,
        )
        if result.ok and result.stdout.strip() == "ok":
            _python_cache[root] = candidate
            return candidate
        tried.append(f"{candidate} (probe failed: {result.stderr.strip()[-200:]})")
    raise SandboxError(
        "no Python interpreter that the unprivileged sandbox uid can run; tried: "
        + "; ".join(tried)
        + ". Install a system python3 (e.g. `apt-get install python3`) or pass python=PATH."
    )


# -- slots (root only): a uid of its own per concurrent sandbox ---------------------------


@dataclass
class _Slot:
    uid: int
    fd: int

    @property
    def gid(self) -> int:
        return self.uid


def _slot_dir() -> str:
    path = os.path.join("/run", "toolkit-sandbox-slots")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError:  # no writable /run (some containers): use the temporary directory
        path = os.path.join(tempfile.gettempdir(), "toolkit-sandbox-slots")
        os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise SandboxError(
            f"{path} must be a directory owned by root and writable only by root; remove it"
        )
    return path


def _try_slot(directory: str) -> _Slot | None:
    for k in range(SANDBOX_SLOTS):
        path = os.path.join(directory, f"{k}.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return _Slot(SANDBOX_UID_BASE + k, fd)
    return None


async def _acquire_slot() -> _Slot:
    directory = _slot_dir()
    while True:
        slot = _try_slot(directory)
        if slot is not None:
            return slot
        await asyncio.sleep(0.05)


def _release_slot(slot: _Slot) -> None:
    fcntl.flock(slot.fd, fcntl.LOCK_UN)
    os.close(slot.fd)


# -- processes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Proc:
    pid: int
    uid: int
    session: int
    zombie: bool


def _processes() -> Iterator[_Proc]:
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{name}").st_uid
            with open(f"/proc/{name}/stat", "rb") as fh:
                raw = fh.read()
        except (FileNotFoundError, ProcessLookupError):
            continue  # it ended while we looked
        fields = raw[raw.rfind(b")") + 2 :].split()
        yield _Proc(int(name), uid, int(fields[3]), fields[0] == b"Z")


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.kill(pid, signal.SIGKILL)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is empty
        os.killpg(pgid, signal.SIGKILL)


def _kill_matching(pred: Callable[[_Proc], bool]) -> int:
    """SIGKILL every live process matching ``pred``; returns how many were signalled."""
    hits = [p.pid for p in _processes() if not p.zombie and pred(p) and p.pid != os.getpid()]
    for pid in hits:
        _kill(pid)
    return len(hits)


async def _wait_exit(proc: subprocess.Popen[bytes], timeout_s: float) -> bool:
    """Wait (without blocking the loop) until ``proc`` exits; does not reap it."""
    loop = asyncio.get_running_loop()
    exited = asyncio.Event()
    pidfd = os.pidfd_open(proc.pid)
    try:
        loop.add_reader(pidfd, exited.set)
        try:
            await asyncio.wait_for(exited.wait(), timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            loop.remove_reader(pidfd)
    finally:
        os.close(pidfd)


async def _reap_uid(uid: int) -> int:
    """Kill every process of ``uid``; returns how many survive (0 unless something is wrong)."""
    helper = subprocess.Popen(
        [sys.executable, "-I", "-S", "-B", str(_LAUNCHER), "--reap", str(uid), str(uid)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={},
        cwd="/",
    )
    await _wait_exit(helper, 10.0)
    _, err = helper.communicate(timeout=5.0)
    if helper.returncode != 0:
        raise SandboxError(f"could not kill the processes of sandbox uid {uid}: {err.decode()}")
    for _ in range(100):
        if _kill_matching(lambda p: p.uid == uid) == 0:
            return 0
        await asyncio.sleep(0.02)
    return sum(1 for p in _processes() if p.uid == uid and not p.zombie)


# -- output -------------------------------------------------------------------------------


class _Pipes:
    """Reads the child's pipes as data arrives, keeping stdout+stderr up to a cap."""

    def __init__(self, fds: dict[str, int], cap: int, status_cap: int = 1 << 16) -> None:
        self.loop = asyncio.get_running_loop()
        self.fds = fds
        self.cap = cap  # stdout and stderr together
        self.status_cap = status_cap
        self.data = {name: bytearray() for name in fds}
        self.total = 0
        self.open = set(fds)
        self.over = asyncio.Event()
        self.eof = asyncio.Event()
        for name, fd in fds.items():
            os.set_blocking(fd, False)
            self.loop.add_reader(fd, self._read, name, fd)

    def _read(self, name: str, fd: int) -> None:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            self._done(name)
            return
        side = name in ("status", "report")
        room = self.status_cap - len(self.data[name]) if side else self.cap - self.total
        kept = chunk[: max(room, 0)]
        self.data[name] += kept
        if not side:
            self.total += len(kept)
        if len(kept) < len(chunk):
            self.over.set()

    def _done(self, name: str) -> None:
        if name in self.open:
            self.loop.remove_reader(self.fds[name])
            self.open.discard(name)
        if not self.open:
            self.eof.set()

    def stop(self) -> None:
        """Stop watching the pipes (the caller closes them)."""
        for name in list(self.open):
            self._done(name)

    def text(self, name: str) -> str:
        return bytes(self.data[name]).decode("utf-8", errors="replace")


# -- running ------------------------------------------------------------------------------


def _own_process_count() -> int:
    uid = os.getuid()
    return sum(1 for p in _processes() if p.uid == uid)


def _remove_tree(path: str) -> None:
    """Remove the work directory even if the program made parts of it unreadable.

    Only directories inside ``path`` are ever chmod-ed, and never through a symlink.
    """
    top = os.path.abspath(path)
    fixed: set[str] = set()

    def open_up(directory: str) -> None:
        info = os.lstat(directory)
        if stat.S_ISDIR(info.st_mode):
            os.chmod(directory, 0o700)

    def fix(func: Callable[..., Any], target: str, exc: Any) -> None:
        target = os.path.abspath(target)
        if target != top and not target.startswith(top + os.sep):
            raise SandboxError(f"cannot remove {target} while cleaning {top}: {exc[1]}")
        if target in fixed:
            raise SandboxError(f"cannot remove {target}: {exc[1]}")
        fixed.add(target)
        chain = [top]
        for part in os.path.relpath(target, top).split(os.sep):
            if part != ".":
                chain.append(os.path.join(chain[-1], part))
        for directory in chain:
            open_up(directory)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target, onerror=fix)
        elif os.path.lexists(target):
            os.unlink(target)

    shutil.rmtree(top, onerror=fix)
    if os.path.lexists(top):
        raise SandboxError(f"could not remove the sandbox directory {top}")


async def _run(
    code: str,
    *,
    files: dict[str, str] | None = None,
    secret: str | None = None,
    python: str,
    root: bool,
    timeout_s: float,
    memory_mb: int,
    output_cap_bytes: int,
    cpu_s: int,
    disk_mb: int,
    max_files: int,
    max_procs: int,
    namespaces: bool,
) -> SandboxResult:
    slot = await _acquire_slot() if root else None
    workdir = tempfile.mkdtemp(prefix="toolkit-sandbox-")
    try:
        if slot is not None and await _reap_uid(slot.uid):
            raise SandboxError(f"processes of sandbox uid {slot.uid} survive SIGKILL")
        names = ["main.py", *(files or {})]
        for name, text in zip(names, [code, *(files or {}).values()], strict=True):
            path = os.path.join(workdir, name)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            if slot is not None:
                os.chown(path, slot.uid, slot.gid)
        if slot is not None:
            os.chown(workdir, slot.uid, slot.gid)
        nproc = max_procs if root else max_procs + _own_process_count()
        cfg = {
            "python": python,
            "files": names,
            "workdir": workdir,
            "uid": slot.uid if slot else None,
            "gid": slot.gid if slot else None,
            "namespaces": namespaces,
            "disk_bytes": disk_mb << 20,
            "limits": {
                "as": memory_mb << 20,
                "cpu": cpu_s,
                "fsize": disk_mb << 20,
                "nofile": max_files,
                "nproc": nproc,
                "core": 0,
            },
            "env": {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        }
        return await _supervise(
            cfg, slot, timeout_s=timeout_s, output_cap_bytes=output_cap_bytes, secret=secret
        )
    finally:
        try:
            await asyncio.to_thread(_remove_tree, workdir)
        finally:
            if slot is not None:
                _release_slot(slot)


def _program_pipes(secret: str | None) -> tuple[dict[str, int], list[int]]:
    """With a secret: a pipe holding it (fd 3 in the program) and a report pipe (fd 4).

    Returns the ends this process reads (``report``) and the ends the launcher passes on.
    """
    if secret is None:
        return {}, []
    secret_r, secret_w = os.pipe()
    try:
        os.write(secret_w, secret.encode())
    finally:
        os.close(secret_w)
    report_r, report_w = os.pipe()
    return {"report": report_r}, [secret_r, report_w]


async def _supervise(
    cfg: dict[str, Any],
    slot: _Slot | None,
    *,
    timeout_s: float,
    output_cap_bytes: int,
    secret: str | None = None,
) -> SandboxResult:
    status_r, status_w = os.pipe()
    ours, theirs = _program_pipes(secret)
    cfg = {**cfg, "program_fds": theirs}
    started_at = time.time()
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-B", str(_LAUNCHER), json.dumps(cfg), str(status_w)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(status_w, *theirs),
            start_new_session=True,
            env={},
            cwd="/",
        )
    except BaseException:
        for fd in (status_r, *ours.values()):
            os.close(fd)
        raise
    finally:
        for fd in (status_w, *theirs):
            os.close(fd)
    assert proc.stdout is not None and proc.stderr is not None
    pipes = _Pipes(
        {
            "stdout": proc.stdout.fileno(),
            "stderr": proc.stderr.fileno(),
            "status": status_r,
            **ours,
        },
        output_cap_bytes,
    )
    survivors = 0
    try:
        exit_task = asyncio.ensure_future(_wait_exit(proc, timeout_s))
        over_task = asyncio.ensure_future(pipes.over.wait())
        await asyncio.wait({exit_task, over_task}, return_when=asyncio.FIRST_COMPLETED)
        over = pipes.over.is_set()
        timed_out = not over and exit_task.done() and not exit_task.result()
        for task in (exit_task, over_task):
            task.cancel()
        ended_at = time.time()
        duration = time.monotonic() - start
        if over or timed_out:
            # Ask the launcher to kill the program and every descendant it can find (it can
            # find orphans, as their subreaper), then make sure with SIGKILL below.
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                proc.send_signal(signal.SIGTERM)
            await _wait_exit(proc, 2.0)
        # Kill the group while the (possibly exited) launcher still holds the group id.
        _kill_group(proc.pid)
        if slot is not None:
            survivors = await _reap_uid(slot.uid)
        _kill_matching(lambda p: p.session == proc.pid)
        if not await _wait_exit(proc, 10.0):
            raise SandboxError(f"the sandbox launcher (pid {proc.pid}) did not die on SIGKILL")
        proc.wait()
        try:
            await asyncio.wait_for(pipes.eof.wait(), 2.0)
        except TimeoutError:
            survivors += 1  # something outside our reach still holds the output pipe
    finally:
        pipes.stop()
        proc.stdout.close()
        proc.stderr.close()
        for fd in (status_r, *ours.values()):
            os.close(fd)
        if proc.returncode is None:
            _kill_group(proc.pid)
            proc.wait()
    records = _records(pipes.text("status"))
    error = next((r for r in records if r.get("stage") == "error"), None)
    if error is not None and not (over or timed_out):
        raise SandboxError(f"the sandbox could not start the program: {error.get('error')}")
    if not records and not (over or timed_out):
        raise SandboxError(
            f"the sandbox launcher failed (exit {proc.returncode}): {pipes.text('stderr')[-2000:]}"
        )
    returncode, killed = _outcome(records, over, timed_out, timeout_s, output_cap_bytes)
    if survivors:
        note = f"\n[sandbox: {survivors} process(es) of the program could not be killed]"
        killed = killed or "a background process could not be killed"
    else:
        note = ""
    return SandboxResult(
        returncode=returncode,
        stdout=pipes.text("stdout"),
        stderr=pipes.text("stderr") + note,
        timed_out=timed_out,
        killed_reason=killed,
        duration_s=duration,
        protections=_protections(records, cfg),
        python=str(cfg["python"]),
        started_at=started_at,
        ended_at=ended_at,
        output_truncated=over,
        report=pipes.text("report") if ours else "",
    )


def _records(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill; the launcher writes nothing else
        if isinstance(record, dict):
            out.append(record)
    return out


_SIGNAL_REASONS: dict[int, str] = {
    signal.SIGXCPU: "CPU time limit exceeded",
    signal.SIGXFSZ: "file size limit exceeded",
    signal.SIGSEGV: "crashed (SIGSEGV)",
    signal.SIGKILL: "killed by SIGKILL (CPU time limit, or out of memory)",
}


def _outcome(
    records: list[dict[str, Any]], over: bool, timed_out: bool, timeout_s: float, cap: int
) -> tuple[int | None, str | None]:
    if over:
        return None, f"output over cap ({cap} bytes)"
    if timed_out:
        return None, f"timeout after {timeout_s:g}s"
    exit_record = next((r for r in records if r.get("stage") == "exit"), None)
    if exit_record is None:
        return None, "the program ended without an exit status"
    if "signal" in exit_record:
        sig = int(exit_record["signal"])
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return -sig, _SIGNAL_REASONS.get(sig, f"killed by {name}")
    return int(exit_record["exit"]), None


def _protections(records: list[dict[str, Any]], cfg: dict[str, Any]) -> tuple[Protection, ...]:
    by_stage = {r.get("stage"): r for r in records}
    ns = by_stage.get("namespaces", {})
    held: dict[str, Any] = ns.get("held", {})
    notes: dict[str, str] = ns.get("notes", {})
    fs = by_stage.get("fs", {})
    prog = by_stage.get("program", {})
    dropped = bool(prog.get("dropped"))
    userns = bool(held.get("user"))
    pid_ns = bool(held.get("pid"))
    fresh_proc = bool(fs.get("fresh_proc"))
    private_fs = bool(held.get("mount")) and bool(fs.get("read_only"))
    limits = prog.get("limits", {})
    out = [
        Protection("temp_dir", True, "runs in a fresh temporary directory, removed afterwards"),
        Protection("clean_env", True, "environment cleared: only PATH, HOME, TMPDIR, LANG"),
        Protection("timeout", True, "wall-clock timeout; the whole process group is killed"),
        Protection(
            "resource_limits",
            bool(limits),
            "hard limits (cannot be raised): "
            + ", ".join(f"{k}={v}" for k, v in sorted(limits.items())),
        ),
        Protection(
            "no_network",
            bool(held.get("net")),
            "new network namespace with no usable interface"
            if held.get("net")
            else f"no network namespace ({notes.get('net', notes.get('all', 'unknown'))})",
        ),
        Protection(
            "uid_drop",
            dropped,
            f"runs as uid {prog.get('uid')}, a uid of its own, with no supplementary groups"
            if dropped
            else "not root: runs as your own uid",
        ),
        Protection(
            "user_files",
            dropped,
            "files readable only by their owner (e.g. your home) are out of reach"
            if dropped
            else "can read every file your uid can read",
        ),
        Protection(
            "process_limit",
            dropped or userns,
            f"RLIMIT_NPROC={cfg['limits']['nproc']} for a uid of its own"
            if dropped
            else (
                "RLIMIT_NPROC counted in a user namespace"
                if userns
                else "RLIMIT_NPROC is counted together with your own processes"
            ),
        ),
        Protection(
            "private_fs",
            private_fs,
            "every mount read-only except a private /tmp"
            if private_fs
            else f"no private file system ({notes.get('mount') or fs.get('failed') or 'no mount namespace'}): "
            "it can write wherever its uid may",
        ),
        Protection(
            "disk_cap",
            private_fs,
            f"/tmp is a tmpfs of {cfg['disk_bytes'] >> 20} MiB"
            if private_fs
            else "RLIMIT_FSIZE caps each file, not the total",
        ),
        Protection(
            "pid_namespace",
            pid_ns,
            "new PID namespace: sees and signals only its own processes"
            + (" (fresh /proc)" if fresh_proc else "")
            if pid_ns
            else f"no PID namespace ({notes.get('pid', notes.get('all', 'unknown'))})",
        ),
        Protection(
            "parent_isolation",
            dropped or pid_ns,
            "cannot signal the grader or read its /proc entries"
            if dropped or pid_ns
            else "can signal and read /proc of every process of your uid",
        ),
        Protection(
            "env_isolation",
            dropped or (pid_ns and fresh_proc),
            "cannot read the environment of any outside process"
            if dropped or (pid_ns and fresh_proc)
            else "can read /proc/<pid>/environ of your processes",
        ),
        Protection(
            "socket_families",
            "program" in by_stage and prog.get("sockets") is None,
            "only AF_INET and AF_INET6 sockets can be made (and reach nothing without a "
            "network); Unix, netlink, vsock and every other family, and io_uring, fail with EPERM"
            if "program" in by_stage and prog.get("sockets") is None
            else f"any socket family can be made ({prog.get('sockets', 'unknown')})",
        ),
        Protection(
            "no_new_privs",
            bool(prog.get("no_new_privs")),
            "setuid binaries cannot raise its privileges",
        ),
        Protection(
            "kill_all",
            dropped or pid_ns,
            "every process it started is killed afterwards ("
            + " and ".join(
                (["every process of its uid"] if dropped else [])
                + (["its PID namespace ends with it"] if pid_ns else [])
            )
            + ")"
            if dropped or pid_ns
            else "its launcher (a child subreaper running as your uid) kills every descendant it "
            "finds afterwards, but a program that kills the launcher first can leave processes",
        ),
    ]
    return tuple(out)


__all__ = [
    "SANDBOX_SLOTS",
    "SANDBOX_UID_BASE",
    "Protection",
    "SandboxError",
    "SandboxResult",
    "arun_sandboxed",
    "run_sandboxed",
    "sandbox_protections",
]
