"""The sandbox launcher: runs as ``python -I -S -B _launcher.py CONFIG STATUS_FD``.

It is a separate program (standard library only) so that the parent never forks itself or
runs a ``preexec_fn`` inside a threaded event loop. It sets up what the platform allows, in
this order, and reports each step as a JSON line on the status pipe:

1. namespaces (in the supervisor, i.e. this process): a user namespace when not root, then
   network (no interface but a downed loopback), IPC, mount and PID namespaces;
2. a child: when in a new mount namespace it makes every mount private and read-only, puts a
   size-capped tmpfs on ``/tmp`` holding the program and mounts a fresh ``/proc``; when in a
   new PID namespace it is PID 1 and forks the program, reaping zombies until it ends;
3. the program process: resource limits (hard = soft, so they cannot be raised), a drop to
   the sandbox uid/gid when root, ``no_new_privs``, a parent-death signal, then ``execve`` of
   the interpreter with a cleared environment.

With ``--reap UID GID`` it drops to that uid and sends SIGKILL to every process the uid owns
(``kill(-1)``, atomic with respect to ``fork``).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import re
import resource
import signal
import sys
import traceback
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

_OPTION_FLAGS = {
    "nosuid": MS_NOSUID,
    "nodev": MS_NODEV,
    "noexec": MS_NOEXEC,
    "noatime": MS_NOATIME,
    "nodiratime": MS_NODIRATIME,
    "relatime": MS_RELATIME,
}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_char_p,
]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.prctl.argtypes = [
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
]


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _unshare(flags: int) -> None:
    _check(_libc.unshare(flags), f"unshare({flags:#x})")


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    _check(
        _libc.mount(
            src.encode() if src is not None else None,
            target.encode(),
            fstype.encode() if fstype is not None else None,
            flags,
            data.encode() if data is not None else None,
        ),
        f"mount {target}",
    )


def _prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(option, arg, 0, 0, 0), f"prctl({option})")


class _Status:
    """JSON lines on the status pipe (each line is one atomic write)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, **record: Any) -> None:
        data = (json.dumps(record) + "\n").encode()
        os.write(self.fd, data)


def _write_file(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _namespaces(cfg: dict[str, Any], status: _Status) -> dict[str, Any]:
    """Enter what namespaces the platform allows; returns what held (and why not)."""
    held: dict[str, Any] = {"user": None, "net": None, "ipc": None, "mount": None, "pid": None}
    if not cfg["namespaces"]:
        status.send(stage="namespaces", held=held, notes={"all": "disabled by the caller"})
        return held
    notes: dict[str, str] = {}
    if os.geteuid() != 0:
        uid, gid = os.getuid(), os.getgid()
        try:
            _unshare(CLONE_NEWUSER)
            _write_file("/proc/self/setgroups", "deny")
            _write_file("/proc/self/uid_map", f"{uid} {uid} 1\n")
            _write_file("/proc/self/gid_map", f"{gid} {gid} 1\n")
            held["user"] = True
        except OSError as exc:
            held["user"] = False
            notes["user"] = str(exc)
    for name, flag in (
        ("net", CLONE_NEWNET),
        ("ipc", CLONE_NEWIPC),
        ("mount", CLONE_NEWNS),
        ("pid", CLONE_NEWPID),
    ):
        try:
            _unshare(flag)
            held[name] = True
        except OSError as exc:
            held[name] = False
            notes[name] = str(exc)
    if held["mount"]:
        try:
            _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
        except OSError as exc:
            # Mounting in a namespace whose mounts still propagate would leak to the host.
            held["mount"] = False
            notes["mount"] = f"could not make mounts private ({exc}); no mount made"
    status.send(stage="namespaces", held=held, notes=notes)
    return held


def _mountpoints() -> list[tuple[str, int]]:
    """Mount points of this namespace with the flags to keep when remounting them."""
    out = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            fields = line.split()
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            flags = 0
            for opt in fields[5].split(","):
                flags |= _OPTION_FLAGS.get(opt, 0)
            out.append((point, flags))
    return out


def _private_fs(
    cfg: dict[str, Any], program: dict[str, bytes], status: _Status, pid_ns: bool
) -> str:
    """Read-only view of every mount, a tmpfs ``/tmp`` holding the program's files; returns
    the cwd."""
    failed = []
    for point, flags in _mountpoints():
        try:
            _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags, None)
        except OSError as exc:
            if not point.startswith(("/proc", "/sys")):
                failed.append(f"{point}: {exc.strerror}")
    if cfg["uid"] is not None:
        owner = f",uid={cfg['uid']},gid={cfg['gid']}"
    else:
        owner = f",uid={os.getuid()},gid={os.getgid()}"
    _mount(
        "toolkit-sandbox",
        "/tmp",
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"size={cfg['disk_bytes']},nr_inodes=4096,mode=0700{owner}",
    )
    proc = False
    if pid_ns:
        try:
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
            proc = True
        except OSError as exc:
            failed.append(f"/proc (fresh for the PID namespace): {exc.strerror}")
    for name, data in program.items():
        path = os.path.join("/tmp", name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        if cfg["uid"] is not None:
            os.chown(path, cfg["uid"], cfg["gid"])
    status.send(stage="fs", read_only=not failed, failed=failed, fresh_proc=proc)
    return "/tmp"


# seccomp: socket() only for AF_INET and AF_INET6 (no interface in the network namespace,
# so they reach nothing); AF_UNIX (host sockets on the file system), AF_NETLINK, AF_VSOCK and
# every other family fail with EPERM, and so does io_uring, which could create sockets too.
_SECCOMP_ARCH = {  # machine: (AUDIT_ARCH_*, socket's syscall number)
    "x86_64": (0xC000003E, 41),
    "aarch64": (0xC00000B7, 198),
}
_IO_URING_SETUP = 425  # the same on both
_AF_ALLOWED = (2, 10)  # AF_INET, AF_INET6
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_KILL_PROCESS = 0x80000000
_RET_EPERM = 0x00050000 | 1
_RET_ALLOW = 0x7FFF0000
_LD_ABS, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _socket_filter(arch: int, socket_nr: int) -> list[tuple[int, int, int, int]]:
    """The BPF program; offsets into struct seccomp_data: nr 0, arch 4, args[0] 16."""
    return [
        (_LD_ABS, 0, 0, 4),
        (_JEQ, 1, 0, arch),
        (_RET, 0, 0, _RET_KILL_PROCESS),  # another ABI (e.g. i386 through int 0x80)
        (_LD_ABS, 0, 0, 0),
        (_JGE, 5, 0, 0x40000000),  # x32 system calls
        (_JEQ, 4, 0, _IO_URING_SETUP),
        (_JEQ, 0, 4, socket_nr),
        (_LD_ABS, 0, 0, 16),
        (_JEQ, 3, 0, _AF_ALLOWED[0]),
        (_JEQ, 2, 0, _AF_ALLOWED[1]),
        (_RET, 0, 0, _RET_EPERM),
        (_RET, 0, 0, _RET_ALLOW),
        (_RET, 0, 0, _RET_ALLOW),
    ]


def _limit_sockets() -> str | None:
    """Install the socket filter; returns None, or why it could not be installed."""
    arch = _SECCOMP_ARCH.get(os.uname().machine)
    if arch is None:
        return f"no seccomp filter for {os.uname().machine}"
    program = _socket_filter(*arch)
    filters = (_SockFilter * len(program))(*(_SockFilter(*op) for op in program))
    prog = _SockFprog(len(program), filters)
    rc = _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0)
    if rc != 0:
        return f"seccomp refused: {os.strerror(ctypes.get_errno())}"
    return None


def _set_limits(limits: dict[str, int]) -> None:
    for name, value in limits.items():
        res = getattr(resource, f"RLIMIT_{name.upper()}")
        resource.setrlimit(res, (value, value))


def _exec_program(cfg: dict[str, Any], cwd: str, status: _Status, supervisor: int) -> None:
    """Limits, privilege drop, then exec the interpreter. Never returns."""
    limits = dict(cfg["limits"])
    nproc = limits.pop("nproc")
    _set_limits(limits)
    os.chdir(cwd)
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))  # before any privilege drop
    dropped = False
    if cfg["uid"] is not None:
        os.setgroups([])
        os.setresgid(cfg["gid"], cfg["gid"], cfg["gid"])
        os.setresuid(cfg["uid"], cfg["uid"], cfg["uid"])
        try:
            os.setuid(0)
        except PermissionError:
            dropped = True
        if not dropped or os.getresuid() != (cfg["uid"],) * 3:
            raise RuntimeError("privilege drop did not hold")
    no_new_privs = True
    try:
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
    except OSError:
        no_new_privs = False
    sockets = _limit_sockets() if no_new_privs else "needs no_new_privs"
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != supervisor:
        os._exit(125)  # the supervisor died before the death signal was armed
    status.send(
        stage="program",
        uid=os.getuid(),
        gid=os.getgid(),
        dropped=dropped,
        no_new_privs=no_new_privs,
        sockets=sockets,
        limits={
            k: resource.getrlimit(getattr(resource, f"RLIMIT_{k.upper()}"))[0]
            for k in cfg["limits"]
        },
    )
    _give_program_fds(cfg, status)
    os.set_inheritable(status.fd, False)  # closed by execve; still open if execve fails
    env = dict(cfg["env"])
    env["HOME"] = cwd
    env["TMPDIR"] = cwd
    argv = [cfg["python"], "-I", "-S", "-B", cfg["files"][0]]
    os.execve(cfg["python"], argv, env)


def _close_program_fds(cfg: dict[str, Any]) -> None:
    """Only the program keeps its descriptors (the secret, the report pipe)."""
    for fd in cfg["program_fds"]:
        with contextlib.suppress(OSError):
            os.close(fd)


def _give_program_fds(cfg: dict[str, Any], status: _Status) -> None:
    """The program's descriptors as 3, 4, ... (inheritable); the status pipe moves above."""
    above = 3 + len(cfg["program_fds"])  # below RLIMIT_NOFILE, which is already set
    old_status = status.fd
    status.fd = fcntl.fcntl(old_status, fcntl.F_DUPFD_CLOEXEC, above)
    os.close(old_status)
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, above) for fd in cfg["program_fds"]]
    _close_program_fds(cfg)
    for target, fd in enumerate(moved, start=3):
        os.dup2(fd, target, inheritable=True)
        os.close(fd)


def _exit_record(wait_status: int) -> dict[str, int]:
    if os.WIFSIGNALED(wait_status):
        return {"signal": os.WTERMSIG(wait_status)}
    return {"exit": os.WEXITSTATUS(wait_status)}


def _child(cfg: dict[str, Any], held: dict[str, Any], status: _Status, supervisor: int) -> None:
    """The process inside the namespaces. Never returns."""
    program = {}
    for name in cfg["files"]:
        with open(os.path.join(cfg["workdir"], name), "rb") as fh:
            program[name] = fh.read()
    cwd = cfg["workdir"]
    if held["mount"]:
        cwd = _private_fs(cfg, program, status, bool(held["pid"]))
    if not held["pid"]:
        _exec_program(cfg, cwd, status, supervisor)
        return
    # PID 1 of the new namespace: fork the program, reap every zombie, report, exit.
    # When this process exits the kernel kills whatever is left in the namespace.
    me = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            _exec_program(cfg, cwd, status, me)
        except BaseException:
            traceback.print_exc()
            status.send(stage="error", error=traceback.format_exc(limit=3))
        os._exit(126)
    _close_program_fds(cfg)
    while True:
        try:
            got, wait_status = os.wait()
        except ChildProcessError:
            os._exit(0)
        except InterruptedError:
            continue
        if got == pid:
            status.send(stage="exit", **_exit_record(wait_status))
            os._exit(0)


def _children(parent: int) -> list[int]:
    """Pids of the live children of ``parent``."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue  # it ended while we looked
        if int(fields[1]) == parent and fields[0] != b"Z":
            out.append(int(name))
    return out


def _kill_descendants() -> None:
    """As a child subreaper: kill and reap every descendant left behind, orphans included."""
    me = os.getpid()
    while True:
        for pid in _children(me):
            with contextlib.suppress(ProcessLookupError):  # ended meanwhile
                os.kill(pid, signal.SIGKILL)
        try:
            os.wait()
        except ChildProcessError:
            return
        except InterruptedError:
            continue


def _reap(uid: int, gid: int) -> int:
    """SIGKILL every process of ``uid`` (run as root)."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    with contextlib.suppress(ProcessLookupError):  # no process of the uid is left
        os.kill(-1, signal.SIGKILL)
    return 0


class _Stop(Exception):
    """Raised in the supervisor by SIGTERM: kill the program and everything it started."""


def _on_term(signum: int, frame: object) -> None:
    raise _Stop


def main(argv: list[str]) -> int:
    """Entry point; see the module docstring."""
    if len(argv) == 4 and argv[1] == "--reap":
        return _reap(int(argv[2]), int(argv[3]))
    cfg = json.loads(argv[1])
    status = _Status(int(argv[2]))
    held = _namespaces(cfg, status)
    me = os.getpid()
    if not held["pid"]:
        # Orphans of the program (a double fork) become our children, so we can kill them.
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
    signal.signal(signal.SIGTERM, _on_term)  # the parent's "stop now" (timeout, output cap)
    pid = os.fork()
    if pid == 0:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _child(cfg, held, status, me)
        except BaseException:
            traceback.print_exc()
            status.send(stage="error", error=traceback.format_exc(limit=3))
        os._exit(126)
    _close_program_fds(cfg)
    try:
        _, wait_status = os.waitpid(pid, 0)
    except _Stop:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            os.kill(pid, signal.SIGKILL)
        _kill_descendants()
        return 0
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if not held["pid"]:
        status.send(stage="exit", **_exit_record(wait_status))
    _kill_descendants()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
