"""The SQLite response cache: keys, concurrent writers (threads and processes), kills, CLI."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from toolkit.cli import main
from toolkit.models import ResponseCache, default_cache_path

REPO = Path(__file__).resolve().parents[2]

WRITER = """
import sys
from toolkit.models import ResponseCache
path, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
cache = ResponseCache(path)
for i in range(n):
    key = ResponseCache.key("litellm:dev", "m", {"prompt": f"{who}-{i}"}, {})
    cache.put(key, {"text": f"{who}-{i}", "n": i}, executor=who, model="m")
    assert cache.get(key)["n"] == i
    print(i, flush=True)
"""


def test_key_depends_on_identity_model_payload_and_settings() -> None:
    base = ResponseCache.key("litellm:dev", "openai/a", {"prompt": "x"}, {"max_tokens": 5})
    assert base == ResponseCache.key("litellm:dev", "openai/a", {"prompt": "x"}, {"max_tokens": 5})
    assert base != ResponseCache.key(
        "litellm:other", "openai/a", {"prompt": "x"}, {"max_tokens": 5}
    )
    assert base != ResponseCache.key("litellm:dev", "openai/b", {"prompt": "x"}, {"max_tokens": 5})
    assert base != ResponseCache.key("litellm:dev", "openai/a", {"prompt": "y"}, {"max_tokens": 5})
    assert base != ResponseCache.key("litellm:dev", "openai/a", {"prompt": "x"}, {"max_tokens": 6})
    # settings order does not matter
    assert ResponseCache.key("e", "m", {}, {"a": 1, "b": 2}) == ResponseCache.key(
        "e", "m", {}, {"b": 2, "a": 1}
    )


def test_put_get_and_wal(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    assert cache.get("k") is None
    cache.put("k", {"text": "héllo", "tokens_in": 3})
    assert cache.get("k") == {"text": "héllo", "tokens_in": 3}
    cache.put("k", {"text": "new"})
    assert cache.get("k") == {"text": "new"} and len(cache) == 1
    mode = sqlite3.connect(tmp_path / "c.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_default_location_follows_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "here"))
    assert default_cache_path() == tmp_path / "here" / "cache.sqlite"
    assert ResponseCache().path == tmp_path / "here" / "cache.sqlite"
    monkeypatch.delenv("TOOLKIT_CACHE_DIR")
    assert default_cache_path() == Path.home() / ".cache" / "toolkit" / "cache.sqlite"


def test_concurrent_threads(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")

    def write(who: int) -> None:
        for i in range(100):
            cache.put(f"{who}-{i}", {"v": i})

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 800
    assert all(cache.get(f"{w}-{i}") == {"v": i} for w in range(8) for i in range(0, 100, 7))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_several_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"w{w}", "150"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=_env(),
        )
        for w in range(4)
    ]
    try:
        errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    cache = ResponseCache(path)
    assert len(cache) == 600
    for w in range(4):
        for i in (0, 77, 149):
            key = ResponseCache.key("litellm:dev", "m", {"prompt": f"w{w}-{i}"}, {})
            assert cache.get(key) == {"text": f"w{w}-{i}", "n": i}
    assert cache.stats()["by_executor"] == {f"w{w}": 150 for w in range(4)}
    ok = sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0]
    assert ok == "ok"


def test_a_killed_writer_loses_nothing_it_committed(tmp_path: Path) -> None:
    path = tmp_path / "killed.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), "victim", "100000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_env(),
        text=True,
    )
    assert proc.stdout is not None
    done = -1
    try:
        for line in proc.stdout:
            done = int(line)
            if done >= 200:
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    cache = ResponseCache(path)
    assert len(cache) >= done + 1  # everything acknowledged before the kill is there
    for i in range(done + 1):
        key = ResponseCache.key("litellm:dev", "m", {"prompt": f"victim-{i}"}, {})
        assert cache.get(key) == {"text": f"victim-{i}", "n": i}
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_cache_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.sqlite"
    assert main(["cache", "stats", "--cache", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == 0
    assert not path.exists()  # looking does not create a cache
    cache = ResponseCache(path)
    for i in range(3):
        cache.put(f"k{i}", {"v": i}, executor="dev", model="openai/a")
    cache.close()
    assert main(["cache", "stats", "--cache", str(path)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["entries"] == 3 and stats["by_model"] == {"openai/a": 3}
    assert stats["path"] == str(path) and stats["bytes"] > 0
    assert stats["oldest"] <= stats["newest"] <= time.time()
    assert main(["cache", "clear", "--cache", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"path": str(path), "deleted": 3}
    assert len(ResponseCache(path)) == 0


def test_every_checkpoint_every_puts_folds_the_log_into_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toolkit.models import _cache

    monkeypatch.setattr(_cache, "CHECKPOINT_EVERY", 8)
    cache = ResponseCache(tmp_path / "c.sqlite")
    for i in range(7):
        cache.put(f"k{i}", {"text": "x" * 1000})
    assert cache._checkpointer is None  # not due yet: no checkpoint inside a put
    cache.put("k7", {"text": "x" * 1000})
    worker = cache._checkpointer
    assert worker is not None
    worker.join(timeout=30)
    # the entries now live in the database file itself, not only in its write-ahead log
    assert (tmp_path / "c.sqlite").stat().st_size > 8 * 1000
    assert len(cache) == 8
    cache.close()


def _corrupt(path: Path) -> None:
    """Overwrite a page in the middle of a cache file with 0xff bytes."""
    data = bytearray(path.read_bytes())
    data[4096 * 3 : 4096 * 4] = b"\xff" * 4096
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", [["cache", "stats"], ["cache", "clear"]])
def test_a_corrupt_cache_is_moved_aside_with_a_warning(
    command: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from toolkit.cli import main

    path = tmp_path / "cache.sqlite"
    cache = ResponseCache(path)
    for i in range(300):
        cache.put(f"k{i}", {"text": "x" * 500})
    cache.close()
    _corrupt(path)
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path))
    assert main(command) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "corrupt" in err and "Traceback" not in err
    aside = [p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert aside and path.is_file()
    fresh = ResponseCache(path)
    fresh.put("k", {"text": "y"})
    assert fresh.get("k") == {"text": "y"}
    fresh.close()


def test_a_run_with_a_corrupt_cache_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8000)  # a header, then garbage
    cache = ResponseCache(path).open()
    assert "corrupt" in capsys.readouterr().err
    cache.put("k", {"text": "z"})
    assert cache.get("k") == {"text": "z"}
    cache.close()
