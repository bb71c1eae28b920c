"""The on-disk response cache: SQLite in WAL mode, shared by runs, processes and threads.

It holds every answered call, and the last failure of calls that never got an answer (marked
``"failed": true``): live runs ignore failures and call again; replay returns them as recorded.

Location: ``$TOOLKIT_CACHE_DIR/cache.sqlite`` when ``TOOLKIT_CACHE_DIR`` is set, else
``~/.cache/toolkit/cache.sqlite``. Each ``put`` is its own committed transaction, so a killed
process loses at most the call it was writing; several processes may write at once (SQLite
serialises writers; readers never block).

The key is the executor's identity, the resolved model, the prompt payload and the generation
settings. It never includes a server address (``api_base``), so a local server restarted on
another port still hits.

Checkpoints (copying the write-ahead log into the database file, with an fsync) run in a
background thread every ``CHECKPOINT_EVERY`` puts instead of inside a put: SQLite's automatic
checkpoint would stall the caller, and in a live run the whole event loop, for 5-15 ms (far
longer on a busy disk) every few hundred calls. Committed entries are safe in the log either
way; closing the last connection checkpoints what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sqlite3
import sys
import threading
import time
import warnings
import weakref
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from toolkit._errors import InputError
from toolkit._redact import redact_forms, secret_forms, secret_values

CACHE_DIR_ENV = "TOOLKIT_CACHE_DIR"
CACHE_FILE = "cache.sqlite"
KEY_VERSION = 1
#: Puts between two background checkpoints of the write-ahead log.
CHECKPOINT_EVERY = 256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    executor TEXT NOT NULL,
    model TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""


def default_cache_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the cache lives unless told otherwise (see the module docstring)."""
    env = os.environ if env is None else env
    base = env.get(CACHE_DIR_ENV)
    folder = Path(base).expanduser() if base else Path.home() / ".cache" / "toolkit"
    return folder / CACHE_FILE


def _check_integrity(conn: sqlite3.Connection) -> None:
    """Raise sqlite3.DatabaseError unless SQLite's quick check finds the file sound."""
    rows = conn.execute("PRAGMA quick_check").fetchall()
    if [r[0] for r in rows] != ["ok"]:
        raise sqlite3.DatabaseError("integrity check: " + "; ".join(str(r[0]) for r in rows[:3]))


class ResponseCache:
    """A key -> JSON-object store of successful executor calls."""

    def __init__(self, path: str | Path | None = None, *, busy_timeout_s: float = 60.0) -> None:
        self.path = Path(path).expanduser() if path is not None else default_cache_path()
        self._busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._moved_aside = False
        self._pid = 0
        self._puts = 0
        self._checkpointer: threading.Thread | None = None
        #: calls this process could not store (a full disk); warned once
        self.unstored = 0
        # per event loop: key -> [lock, holders] of the calls in flight (single flight)
        self._flights: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, list[Any]]
        ] = weakref.WeakKeyDictionary()

    # -- connection ----------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"{self.path}: cache: cannot create the cache folder: {exc.strerror} "
                f"(set {CACHE_DIR_ENV} to a writable folder)"
            ) from exc
        deadline = time.monotonic() + self._busy_timeout_s
        while True:
            try:
                conn = sqlite3.connect(
                    self.path,
                    timeout=self._busy_timeout_s,
                    isolation_level=None,  # autocommit: each statement is its own transaction
                    check_same_thread=False,
                )
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # durable against a killed process
                conn.execute("PRAGMA wal_autocheckpoint=0")  # done in the background (put)
                conn.execute(_SCHEMA)
                _check_integrity(conn)
                break
            except sqlite3.OperationalError as exc:
                # two processes creating the file at once: the loser retries
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise InputError(f"{self.path}: cache: cannot open: {exc}") from exc
                time.sleep(0.05)
            except sqlite3.DatabaseError as exc:
                with contextlib.suppress(NameError, sqlite3.Error):
                    conn.close()
                if self._moved_aside:
                    raise InputError(f"{self.path}: cache: cannot open: {exc}") from exc
                self._move_aside(str(exc))
        if self._pid != os.getpid():  # a forked child: the parent's thread is not ours
            self._checkpointer, self._puts = None, 0
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _move_aside(self, why: str) -> None:
        """Move a corrupt cache file (and its WAL) aside, say so on stderr, and let the next
        connect start an empty one: a cache only saves money, it never holds a result."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            src = Path(f"{self.path}{suffix}")
            if src.exists():
                try:
                    os.replace(src, f"{aside}{suffix}")
                except OSError as exc:
                    raise InputError(
                        f"{self.path}: cache: corrupt ({why}) and cannot be moved aside: "
                        f"{exc.strerror}; delete it, or set {CACHE_DIR_ENV} to another folder"
                    ) from exc
        self._moved_aside = True
        print(
            f"warning: {self.path}: the response cache was corrupt ({why}); moved it to "
            f"{aside} and started an empty one (calls it held will be made again)",
            file=sys.stderr,
            flush=True,
        )

    def _warn_unstored(self, exc: sqlite3.Error) -> None:
        """Say once that a call could not be stored (a full disk): the run goes on."""
        self.unstored += 1
        if self.unstored == 1:
            print(
                f"warning: {self.path}: cache: cannot store calls ({exc}); the run goes on "
                "and records them, but a resume or replay will make them again",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        """Close this process's connection (reopened on next use)."""
        with self._lock:
            worker = self._checkpointer if self._pid == os.getpid() else None
        if worker is not None:
            worker.join()
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
            self._checkpointer = None

    def _checkpoint_soon(self) -> None:
        """Start a background checkpoint unless one is running."""
        with self._lock:
            if self._checkpointer is not None and self._checkpointer.is_alive():
                return
            worker = threading.Thread(
                target=self._checkpoint, name="toolkit-cache-checkpoint", daemon=True
            )
            self._checkpointer = worker
        worker.start()

    def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database (PASSIVE: never waits on a writer)."""
        try:
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()
        except sqlite3.Error as exc:
            warnings.warn(
                f"{self.path}: cache: background checkpoint failed ({exc}); the entries are "
                "safe in the write-ahead log and the next checkpoint tries again",
                RuntimeWarning,
                stacklevel=1,
            )

    # -- access --------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def in_flight(self, key: str) -> AsyncIterator[None]:
        """Hold ``key`` while its call is made: an identical request that arrives meanwhile
        waits here, then finds the answer in the cache instead of paying for it again (no
        call is paid twice at any concurrency). Different keys never wait on each other."""
        loop = asyncio.get_running_loop()
        with self._lock:
            flights = self._flights.setdefault(loop, {})
        entry = flights.setdefault(key, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del flights[key]

    @staticmethod
    def key(
        executor_identity: str, model: str, prompt_payload: Any, settings: Mapping[str, Any]
    ) -> str:
        """The cache key of a call (a sha256 hex digest); leaves out any server address."""
        blob = json.dumps(
            {
                "v": KEY_VERSION,
                "executor": executor_identity,
                "model": model,
                "payload": prompt_payload,
                "settings": dict(settings),
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored value of ``key``, or None."""
        with self._lock:
            row = (
                self._connect().execute("SELECT value FROM calls WHERE key = ?", (key,)).fetchone()
            )
        if row is None:
            return None
        value = json.loads(redact_forms(row[0], secret_forms(secret_values())))
        return value if isinstance(value, dict) else None

    def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        executor: str = "",
        model: str = "",
        replace: bool = True,
    ) -> None:
        """Store ``value`` under ``key``, committed at once; ``replace=False`` keeps an
        existing value."""
        # a provider (or a CLI tool printing its environment) may echo a key: never stored
        data = redact_forms(
            json.dumps(dict(value), ensure_ascii=False, default=str), secret_forms(secret_values())
        )
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        with self._lock:
            try:
                self._connect().execute(
                    f"{verb} INTO calls (key, executor, model, value, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (key, executor, model, data, time.time()),
                )
            except sqlite3.Error as exc:
                # a full disk must not lose a call that was paid: the caller still has it
                self._warn_unstored(exc)
                return
            self._puts += 1
            due = self._puts % CHECKPOINT_EVERY == 0
        if due:
            self._checkpoint_soon()

    def __len__(self) -> int:
        with self._lock:
            row = self._connect().execute("SELECT COUNT(*) FROM calls").fetchone()
        return int(row[0])

    def stats(self) -> dict[str, Any]:
        """Entries in total, by executor and by model, size on disk and location."""
        if not self.path.exists():
            return {
                "path": str(self.path),
                "entries": 0,
                "bytes": 0,
                "by_executor": {},
                "by_model": {},
                "oldest": None,
                "newest": None,
            }
        with self._lock:
            conn = self._connect()
            total = int(conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0])
            by_exec = conn.execute(
                "SELECT executor, COUNT(*) FROM calls GROUP BY executor ORDER BY executor"
            ).fetchall()
            by_model = conn.execute(
                "SELECT model, COUNT(*) FROM calls GROUP BY model ORDER BY model"
            ).fetchall()
            span = conn.execute("SELECT MIN(created_at), MAX(created_at) FROM calls").fetchone()
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return {
            "path": str(self.path),
            "entries": total,
            "bytes": size,
            "by_executor": {str(k): int(n) for k, n in by_exec},
            "by_model": {str(k): int(n) for k, n in by_model},
            "oldest": span[0],
            "newest": span[1],
        }

    def open(self) -> ResponseCache:
        """Open the file now, moving a corrupt one aside (see :meth:`_move_aside`), so that a
        cache that cannot be used is an error before a run writes anything."""
        with self._lock:
            self._connect()
        return self

    def clear(self) -> int:
        """Delete every entry; returns how many there were."""
        if not self.path.exists():
            return 0
        with self._lock:
            conn = self._connect()
            n = conn.execute("DELETE FROM calls").rowcount
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")
        return int(n)
