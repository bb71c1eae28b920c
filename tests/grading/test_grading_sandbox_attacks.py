"""The sandbox regression corpus: hostile answers to a real HumanEval problem.

Each attack is contained and graded 0 with a reason, the test process survives, and the
grader leaves no process and no file behind. Where a protection cannot hold on this machine
(not root, no namespaces) the test is skipped and says exactly which and why.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from grading_support import humaneval_task, live_processes_with, require, sandbox_uid_processes

from toolkit.grading import arun_sandboxed, grade, run_sandboxed

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]
TASK = humaneval_task("HumanEval/0", timeout_s=3.0)


def _sandbox_dirs() -> set[str]:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("toolkit-sandbox-")}


@pytest.fixture(autouse=True)
def no_leftovers() -> Iterator[None]:
    """Every test here also checks that no sandbox directory or sandbox-uid process is left."""
    before = _sandbox_dirs()
    yield
    assert _sandbox_dirs() - before == set(), "a sandbox directory was left behind"
    if os.geteuid() == 0:
        assert sandbox_uid_processes() == [], "a process of a sandbox uid survived"


def attack(code: str, **args: Any) -> Any:
    """Grade ``code`` as an answer to HumanEval/0; it must score 0."""
    task = humaneval_task("HumanEval/0", **{"timeout_s": 3.0, **args})
    g = grade(task, code)
    assert g.score == 0.0, g.reason
    assert g.reason
    return g


# -- the foundation issue's attacks -------------------------------------------------------


def test_infinite_loop_times_out() -> None:
    g = attack("while True:\n    pass\n", timeout_s=1.5)
    assert g.reason == "timeout after 1.5s"


def test_4_gib_allocation_hits_the_memory_limit() -> None:
    g = attack("blob = bytearray(4 * 1024**3)\n")
    assert g.reason == "memory limit exceeded"


def test_fork_bomb_is_contained(protections: dict[str, Any]) -> None:
    require(protections, "process_limit", "kill_all")
    marker = f"toolkit-test-forkbomb-{secrets.token_hex(6)}"
    bomb = (
        "import os, sys\n"
        "if len(sys.argv) < 2:  # re-exec so that every fork carries the marker in its argv\n"
        f"    os.execv(sys.executable, [sys.executable, '-I', '-S', '-B', __file__, {marker!r}])\n"
        "while True:\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        pass\n"
    )
    peak = 0

    async def run_and_watch() -> Any:
        nonlocal peak
        run = asyncio.ensure_future(arun_sandboxed(bomb, timeout_s=2.0))
        while not run.done():
            peak = max(peak, len(live_processes_with(marker)))
            await asyncio.sleep(0.1)
        return await run

    result = asyncio.run(run_and_watch())
    assert result.timed_out and result.killed_reason == "timeout after 2s"
    assert peak > 1, "the bomb never forked: the test did not exercise the limit"
    if protections["uid_drop"].held:
        assert peak <= 16, f"{peak} processes ran at once; RLIMIT_NPROC is 16"
    assert live_processes_with(marker) == []
    assert attack(bomb, timeout_s=1.0).reason == "timeout after 1s"
    assert live_processes_with(marker) == []


@pytest.mark.parametrize(
    ("target", "needs", "refused"),
    [
        # /tmp inside the sandbox is its own private tmpfs: the write lands there, not here.
        ("/tmp/toolkit-test-outside", ("private_fs",), False),
        ("/var/tmp/toolkit-test-outside", ("private_fs",), True),
        ("/dev/shm/toolkit-test-outside", ("private_fs",), True),
        (str(REPO / "toolkit-test-outside"), (), True),
    ],
)
def test_writing_outside_its_directory_fails(
    target: str, needs: tuple[str, ...], refused: bool, protections: dict[str, Any]
) -> None:
    require(protections, *needs)
    if not needs and not (protections["private_fs"].held or protections["uid_drop"].held):
        pytest.skip("neither private_fs nor uid_drop holds: the program may write to the repo")
    path = f"{target}-{secrets.token_hex(6)}"
    try:
        g = attack(f"open({path!r}, 'w').write('escaped')\n")
        if refused:
            # refused, or the folder is not even visible (a repo under /tmp sits behind the
            # sandbox's private /tmp)
            refusals = ("Read-only file system", "Permission denied", "No such file or directory")
            assert g.score == 0.0 and any(r in g.reason for r in refusals), g.reason
        assert not os.path.exists(path)
    finally:
        if os.path.exists(path):
            os.unlink(path)


def test_reading_a_file_in_the_users_home_fails(
    protections: dict[str, Any], tmp_path: Path
) -> None:
    require(protections, "user_files")
    secret = f"toolkit-test-secret-{secrets.token_hex(8)}"
    home_file = Path.home() / f".toolkit-test-secret-{secrets.token_hex(4)}"
    tmp_file = tmp_path / "secret.txt"
    try:
        for path in (home_file, tmp_file):
            path.write_text(secret)
            path.chmod(0o600)
        code = "".join(f"print(open({str(p)!r}).read())\n" for p in (home_file, tmp_file))
        g = attack(code)
        # refused, or hidden (the sandbox hides /tmp, so a HOME under /tmp is not there at all)
        assert "Permission denied" in g.reason or "No such file" in g.reason, g.reason
        assert secret not in g.reason
        for path in (home_file, tmp_file):
            r = run_sandboxed(f"print(open({str(path)!r}).read())\n")
            assert r.returncode == 1 and secret not in r.stdout + r.stderr
            assert "PermissionError" in r.stderr or "FileNotFoundError" in r.stderr
    finally:
        home_file.unlink(missing_ok=True)


def test_network_connection_fails(protections: dict[str, Any]) -> None:
    require(protections, "no_network")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        code = (
            "import socket\n"
            f"s = socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
            "s.sendall(b'escaped')\n"
        )
        g = attack(code)
        assert "Network is unreachable" in g.reason, g.reason
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()  # no connection ever arrived


def test_100_mb_of_output_is_cut_at_the_cap() -> None:
    code = "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 1_000_000)\n"
    g = attack(code)
    assert g.reason == "killed: output over cap (1000000 bytes)"
    r = run_sandboxed(code, output_cap_bytes=200_000)
    assert r.output_truncated and r.killed_reason == "output over cap (200000 bytes)"
    assert len(r.stdout) + len(r.stderr) <= 200_000


# -- issue 7's additions ------------------------------------------------------------------


def test_own_environment_holds_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    canary = f"sk-test-CANARY{secrets.token_hex(8)}"
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    r = run_sandboxed("import os\nprint(dict(os.environ))\n")
    assert r.ok and canary not in r.stdout
    assert sorted(eval(r.stdout)) == ["HOME", "LANG", "PATH", "TMPDIR"]


def test_reading_proc_parent_environ_finds_no_canary(
    monkeypatch: pytest.MonkeyPatch, protections: dict[str, Any]
) -> None:
    require(protections, "env_isolation")
    canary = f"sk-test-CANARY{secrets.token_hex(8)}"
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    code = (
        "import os\n"
        f"pids = [{os.getpid()}, os.getppid()] + [p for p in os.listdir('/proc') if p.isdigit()]\n"
        "for pid in pids:\n"
        "    try:\n"
        "        print(pid, open(f'/proc/{pid}/environ', 'rb').read())\n"
        "    except OSError as exc:\n"
        "        print(pid, 'denied', type(exc).__name__)\n"
        f"print(open('/proc/{os.getpid()}/environ', 'rb').read())\n"
    )
    r = run_sandboxed(code)
    assert canary not in r.stdout + r.stderr
    assert r.returncode == 1  # the last, direct read of the grader's environ fails
    g = attack(code)
    assert canary not in g.reason


def test_signalling_the_parent_fails(protections: dict[str, Any]) -> None:
    require(protections, "parent_isolation")
    sentinel = subprocess.Popen(["sleep", "60"])
    try:
        code = (
            "import os, signal\n"
            f"for pid in ({os.getpid()}, {sentinel.pid}, os.getppid(), -1):\n"
            "    try:\n"
            "        os.kill(pid, signal.SIGKILL)\n"
            "        print(pid, 'sent')\n"
            "    except OSError as exc:\n"
            "        print(pid, type(exc).__name__)\n"
            f"os.kill({sentinel.pid}, signal.SIGKILL)\n"
        )
        r = run_sandboxed(code, timeout_s=3.0)
        assert "PermissionError" in r.stderr or "ProcessLookupError" in r.stderr, r.stderr
        attack(code)  # as an answer it can kill only its own tester, inside the sandbox
        assert sentinel.poll() is None, "the sandbox killed a process outside it"
        os.kill(os.getpid(), 0)  # and we are alive
    finally:
        sentinel.kill()
        sentinel.wait()


def test_raising_its_own_limits_fails() -> None:
    code = (
        "import resource\n"
        "for name in ('RLIMIT_AS', 'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_NOFILE', 'RLIMIT_NPROC'):\n"
        "    res = getattr(resource, name)\n"
        "    try:\n"
        "        resource.setrlimit(res, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n"
        "        print('RAISED', name)\n"
        "    except (ValueError, OSError):\n"
        "        print('held', name)\n"
        "blob = bytearray(4 * 1024**3)\n"
    )
    r = run_sandboxed(code)
    assert "RAISED" not in r.stdout and r.stdout.count("held") == 5
    assert attack(code).reason == "memory limit exceeded"


def test_one_huge_file_is_cut_by_the_file_size_limit() -> None:
    code = "with open('big', 'wb') as fh:\n    while True:\n        fh.write(b'x' * (1 << 20))\n"
    g = attack(code)
    assert "File too large" in g.reason or "No space left on device" in g.reason, g.reason


def test_filling_the_disk_with_many_files_is_contained(protections: dict[str, Any]) -> None:
    require(protections, "disk_cap")
    code = "i = 0\nwhile True:\n    open(f'f{i}', 'wb').write(b'x' * (1 << 20))\n    i += 1\n"
    g = attack(code)
    assert "No space left on device" in g.reason, g.reason


def test_background_process_does_not_outlive_the_grader(protections: dict[str, Any]) -> None:
    require(protections, "kill_all")
    marker = f"toolkit-test-background-{secrets.token_hex(6)}"
    code = (
        "import os, sys\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', {marker!r}])\n"
        "    os._exit(0)\n"
        "os.wait()\n"
    )
    attack(code)
    assert live_processes_with(marker) == []


def test_a_directory_made_unreadable_is_still_removed() -> None:
    # Without namespaces the program works in the host temporary directory itself.
    code = (
        "import os\n"
        "os.makedirs('a/b/c')\n"
        "open('a/b/c/f', 'w').write('x')\n"
        "os.chmod('a/b', 0)\n"
        "os.chmod('.', 0)\n"
    )
    for namespaces in (True, False):
        r = run_sandboxed(code, namespaces=namespaces)
        assert r.ok, r.stderr
    # the autouse fixture checks that nothing was left behind


def test_protections_are_reported(protections: dict[str, Any]) -> None:
    for name in ("temp_dir", "clean_env", "timeout", "resource_limits"):
        assert protections[name].held
    if os.geteuid() == 0:
        assert protections["uid_drop"].held, "as root the sandbox must always drop its uid"
    r = run_sandboxed("print('hi')", namespaces=False)
    held = {p.name: p.held for p in r.protections}
    assert not held["no_network"] and not held["pid_namespace"] and not held["private_fs"]
    assert held["uid_drop"] == (os.geteuid() == 0)


def test_grader_process_survives_signals_to_its_group() -> None:
    # The program runs in a session of its own: killing its group never reaches us.
    g = attack("import os, signal\nos.killpg(0, signal.SIGKILL)\n")
    assert g.reason.startswith("killed:"), g.reason
    os.kill(os.getpid(), 0)
    assert signal.getsignal(signal.SIGINT) is not None


def _plant_unreadable_tree(top: Path, outside: Path) -> None:
    (top / "a" / "b" / "c").mkdir(parents=True)
    (top / "a" / "b" / "c" / "f").write_text("x")
    (top / "a" / "link").symlink_to(outside)
    for d in (top / "a" / "b" / "c", top / "a" / "b", top / "a", top):
        d.chmod(0)


def test_cleanup_as_an_unprivileged_user_removes_an_unreadable_tree() -> None:
    # What the cleanup meets when not root: the program's files are owned by your uid and
    # permissions apply. As root, a forked child drops to an unprivileged uid to check it.
    from toolkit.grading._sandbox import _remove_tree

    base = Path(tempfile.mkdtemp(prefix="toolkit-test-cleanup-"))
    try:
        outside = base / "outside.txt"
        outside.write_text("keep")
        outside.chmod(0o600)
        top = base / "work"
        if os.geteuid() != 0:
            _plant_unreadable_tree(top, outside)
            _remove_tree(str(top))
            assert not top.exists()
        else:
            base.chmod(0o777)
            os.chown(outside, 65534, 65534)
            pid = os.fork()
            if pid == 0:  # the child: never returns into pytest
                code = 1
                try:
                    os.setgroups([])
                    os.setresgid(65534, 65534, 65534)
                    os.setresuid(65534, 65534, 65534)
                    top.mkdir()
                    _plant_unreadable_tree(top, outside)
                    _remove_tree(str(top))
                    code = 0 if not os.path.lexists(top) else 2
                finally:
                    os._exit(code)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
        assert outside.read_text() == "keep"
        assert outside.stat().st_mode & 0o777 == 0o600  # not chmod-ed through the symlink
    finally:
        shutil.rmtree(base)


def test_reported_protections_match_what_the_program_sees(protections: dict[str, Any]) -> None:
    code = (
        "import os, resource\n"
        "status = open('/proc/self/status').read()\n"
        "print(status.split('NoNewPrivs:')[1].split()[0])\n"
        "print(os.getuid())\n"
        "print(resource.getrlimit(resource.RLIMIT_AS)[1])\n"
    )
    r = run_sandboxed(code, memory_mb=256)
    assert r.ok, r.stderr
    no_new_privs, uid, as_hard = r.stdout.split()
    assert (no_new_privs == "1") == protections["no_new_privs"].held
    assert (int(uid) != os.geteuid()) == protections["uid_drop"].held
    assert int(as_hard) == 256 << 20


# -- issue 16: answers that try to pass without solving --------------------------------------

WRONG = "def has_close_elements(numbers, threshold):\n    return False\n"
# A report the launcher would accept if it held the right secret, written every way we can.
FORGE = (
    "import json, os\n"
    "def forge(secret):\n"
    "    line = (json.dumps({'secret': secret, 'result': 'passed'}) + '\\n').encode()\n"
    "    print(line.decode(), flush=True)\n"
    "    for fd in range(3, 64):\n"
    "        try:\n"
    "            os.write(fd, line)\n"
    "        except OSError:\n"
    "            pass\n"
    "found = []\n"
    "for fd in range(3, 64):\n"
    "    try:\n"
    "        found.append(os.read(fd, 256).decode(errors='replace'))\n"
    "    except OSError:\n"
    "        pass\n"
    "for name in os.listdir('.'):\n"
    "    try:\n"
    "        found.append(open(name).read())\n"
    "    except OSError:\n"
    "        pass\n"
    "for secret in found or ['']:\n"
    "    forge(secret)\n"
)


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        # the old nonce attack: read the program's source, print what looks like the proof
        ("nonce read from the source", FORGE + "os._exit(0)\n"),
        (
            "os._exit(0) after printing",
            "print('tests passed', flush=True)\nimport os\nos._exit(0)\n",
        ),
        (
            "sys.excepthook",
            "import sys, os\n"
            "sys.excepthook = lambda *a: (print('ok', flush=True), os._exit(0))\n" + WRONG,
        ),
        ("atexit handler", "import atexit, os\natexit.register(lambda: os._exit(0))\n" + WRONG),
        ("writes to inherited descriptors", FORGE + WRONG),
        (
            "descriptors of other processes in /proc",
            "import glob, json, os\n"
            "line = json.dumps({'secret': '', 'result': 'passed'}).encode()\n"
            "for path in glob.glob('/proc/[0-9]*/fd/*'):\n"
            "    for mode in (os.O_RDONLY | os.O_NONBLOCK, os.O_WRONLY | os.O_NONBLOCK):\n"
            "        try:\n"
            "            fd = os.open(path, mode)\n"
            "            print(path, os.read(fd, 256) if mode == os.O_RDONLY | os.O_NONBLOCK\n"
            "                  else os.write(fd, line))\n"
            "        except OSError:\n"
            "            pass\n"
            "for path in glob.glob('/proc/[0-9]*/mem'):\n"
            "    try:\n"
            "        open(path, 'rb').read(1)\n"
            "        print('read', path)\n"
            "    except OSError:\n"
            "        pass\n" + WRONG,
        ),
        (
            "killing its tester",
            "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + WRONG,
        ),
        (
            "an object equal to everything (HumanEval's own weakness)",
            "class Yes:\n    def __eq__(self, other):\n        return True\n"
            "def has_close_elements(numbers, threshold):\n    return Yes()\n",
        ),
        (
            "an int subclass equal to everything",
            "class Yes(int):\n    def __eq__(self, other):\n        return True\n"
            "    __hash__ = int.__hash__\n"
            "def has_close_elements(numbers, threshold):\n    return Yes(0)\n",
        ),
    ],
)
def test_a_forged_completion_scores_0(name: str, answer: str) -> None:
    g = attack(answer)
    assert g.reason != "tests passed"


def test_monkeypatched_builtins_do_not_reach_the_tests() -> None:
    # HumanEval/2's check is `assert abs(candidate(3.5) - 0.5) < 1e-6`; with abs patched to
    # return 0 a wrong answer used to pass, as the tests ran in the answer's interpreter.
    answer = (
        "import builtins\n"
        "builtins.abs = lambda x: 0\n"
        "def truncate_number(number):\n    return 0.0\n"
    )
    task = humaneval_task("HumanEval/2", timeout_s=3.0)
    assert (grade(task, answer).score, grade(task, answer).reason) == (
        0.0,
        "tests failed (exit 1): AssertionError",
    )
    # patching what the answer's own process needs to reply only breaks that process
    broken = answer.replace("abs = lambda x: 0", "isinstance = lambda *a: True")
    assert grade(task, broken).score == 0.0


def test_the_report_must_carry_the_secret() -> None:
    from toolkit.grading._code import HARNESS, explain, sandbox_files

    files = sandbox_files(TASK, "    return False\n")
    forged = (
        "import json, os\n"
        "os.write(4, (json.dumps({'secret': 'guess', 'result': 'passed'}) + '\\n').encode())\n"
    )
    r = run_sandboxed(forged, files=files, secret="the-real-one", timeout_s=3.0)
    assert r.ok and r.report.strip()
    assert explain(r, "the-real-one", 3.0).score == 0.0
    right = forged.replace("'guess'", "os.read(3, 64).decode()")
    r = run_sandboxed(right, files=files, secret="the-real-one", timeout_s=3.0)
    assert explain(r, "the-real-one", 3.0).score == 1.0  # the check is the secret, not luck
    r = run_sandboxed(HARNESS, files=files, secret="the-real-one", timeout_s=3.0)
    assert r.returncode == 1 and r.report == ""  # the harness itself reports only a pass


def test_connecting_to_a_host_unix_socket_fails(protections: dict[str, Any]) -> None:
    require(protections, "socket_families")
    # a listener anyone may connect to, at a path the sandbox can see (its /tmp is private)
    path = REPO / f".toolkit-test-{secrets.token_hex(4)}.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        try:
            os.chmod(path, 0o666)
            server.listen(8)
            code = (
                "import socket\n"
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
                f"s.connect({str(path)!r})\n"
                "s.sendall(b'escaped')\n"
            )
            g = attack(code)
            assert "PermissionError" in g.reason, g.reason
            server.setblocking(False)
            with pytest.raises(BlockingIOError):
                server.accept()  # no connection ever arrived
        finally:
            path.unlink()


def test_other_socket_families_and_io_uring_fail(protections: dict[str, Any]) -> None:
    require(protections, "socket_families")
    code = (
        "import ctypes, socket\n"
        "for family, kind in ((socket.AF_NETLINK, socket.SOCK_RAW), (40, socket.SOCK_STREAM),\n"
        "                     (socket.AF_PACKET, socket.SOCK_RAW), (socket.AF_UNIX, 1)):\n"
        "    try:\n"
        "        socket.socket(family, kind)\n"
        "        print(family, 'made')\n"
        "    except PermissionError:\n"
        "        print(family, 'refused')\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "params = ctypes.create_string_buffer(120)\n"
        "print('io_uring', libc.syscall(425, 1, params), ctypes.get_errno())\n"
        "a, b = socket.socketpair()  # what asyncio and multiprocessing need still works\n"
        "a.sendall(b'x')\n"
        "print('socketpair', b.recv(1))\n"
    )
    r = run_sandboxed(code)
    assert r.ok, r.stderr
    assert r.stdout.split("\n") == [
        "16 refused",
        "40 refused",
        "17 refused",
        "1 refused",
        "io_uring -1 1",
        "socketpair b'x'",
        "",
    ]
