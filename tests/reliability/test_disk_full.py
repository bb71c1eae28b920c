"""A full disk, for real: ``toolkit run`` on a small tmpfs (issue 16, item 8).

Each test mounts a tmpfs in a mount namespace of its own (``unshare -m``; skipped where the
machine does not allow it) and runs a shell script there: it copies the spec in, fills the
disk to a given point, runs ``toolkit run``, copies the run folder out for the test to read,
frees the disk and resumes. The fault server (no faults) runs in this process, so its request
log shows what the provider was asked and answered. The tasks are synthetic echo tasks.

- Full at the start: a clean error naming the path, exit 1, and no run folder left behind.
- Full mid-run: the cache warns and goes on, then a run file fails; the run stops with exit 1
  and a message naming the file. Every call the provider answered is in ``calls.jsonl`` or
  counted as possibly billed (written down as sent, never recorded); ``--resume`` finishes
  the run, and makes again only calls that were counted so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from reliability_support import REPO, fault_soak

from toolkit.runs import (
    IntentRecord,
    iter_records,
    possibly_billed_usd,
    read_calls,
    read_manifest,
    read_results,
)
from toolkit.testing import FaultServer

pytestmark = pytest.mark.timeout(180)

N_TASKS = 60


def _can_mount_tmpfs(where: Path) -> str | None:
    """None, or why a tmpfs cannot be mounted here."""
    if shutil.which("unshare") is None:
        return "no unshare command"
    where.mkdir(exist_ok=True)
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k none {where}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if probe.returncode != 0:
        return f"cannot mount a tmpfs in a mount namespace: {probe.stderr.strip()}"
    return None


def _small_disk(tmp_path: Path, script: str, size_kb: int) -> subprocess.Popen[str]:
    """Start ``script`` (sh) with ``$DISK`` a fresh tmpfs of ``size_kb`` KiB holding src/."""
    disk = tmp_path / "disk"
    why = _can_mount_tmpfs(disk)
    if why is not None:
        pytest.skip(why)
    body = (
        "set -u\n"
        f'mount -t tmpfs -o size={size_kb}k none "$DISK"\n'
        'cp -a "$SRC"/. "$DISK"/\n' + script
    )
    env = {
        **os.environ,
        "DISK": str(disk),
        "SRC": str(tmp_path / "src"),
        "OUT": str(tmp_path),
        "TOOLKIT": f"{sys.executable} -m toolkit",
        "PYTHONPATH": str(REPO),
    }
    return subprocess.Popen(
        ["unshare", "-m", "sh", "-c", body],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _until_paused(proc: subprocess.Popen[str]) -> str:
    """What the script printed up to its ``paused`` line (it then waits for a line)."""
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        if line.strip() == "paused":
            return "".join(seen)
        seen.append(line)
    raise AssertionError("the script ended before it paused: " + "".join(seen))


def _on_small_disk(tmp_path: Path, script: str, size_kb: int) -> subprocess.CompletedProcess[str]:
    """Run ``script`` to its end (see :func:`_small_disk`)."""
    proc = _small_disk(tmp_path, script, size_kb)
    out, err = proc.communicate(timeout=150)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _paid_and_counted(run: Path, prompt_of: dict[str, str]) -> Counter[str]:
    """Per prompt: calls recorded as billed, plus calls sent but never recorded."""
    out: Counter[str] = Counter(prompt_of[c.task_id] for c in read_calls(run) if c.billed_usd > 0)
    intents = list(iter_records(run / "intents.jsonl", IntentRecord))
    closed = {(i.session, i.task_id) for i in intents if i.event == "closed"}
    for i in intents:
        if i.event == "sent" and (i.session, i.task_id) not in closed:
            out[prompt_of[i.task_id]] += 1
    return out


def _spec(tmp_path: Path, url: str) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = list(fault_soak().soak_tasks(N_TASKS, 0))
    fault_soak().write_soak_spec(tmp_path / "src", url, tasks, budget_usd=1.0, concurrency=2)
    return tasks


def _server() -> FaultServer:
    return FaultServer(fault_rate=0.0, seed=1, latency_s=0.0, faults=[])


@pytest.mark.parametrize(
    ("cache", "message"),
    [
        # the cache is opened first: with it, that is where the full disk shows
        ("on", "cache.sqlite: cache: cannot open: database or disk is full"),
        ("off", "No space left on device; the run stopped"),
    ],
)
def test_a_disk_full_at_the_start_leaves_no_folder(
    tmp_path: Path, cache: str, message: str
) -> None:
    with _server() as server:
        _spec(tmp_path, server.url)
        script = (
            ""
            if cache == "on"
            else 'sed -i "s/^path = .cache.sqlite./enabled = false/" "$DISK/spec.toml"\n'
        ) + (
            'dd if=/dev/zero of="$DISK/fill" bs=1k count=100000 2>/dev/null\n'
            '$TOOLKIT run "$DISK/spec.toml" --out "$DISK/run" --no-progress\n'
            'echo "exit=$?"\n'
            'test -e "$DISK/run" && echo "left=yes" || echo "left=no"\n'
        )
        done = _on_small_disk(tmp_path, script, size_kb=512)
        assert server.request_count == 0
    assert "exit=1" in done.stdout or "exit=2" in done.stdout, done.stdout + done.stderr
    assert "left=no" in done.stdout, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    error = done.stderr.strip().splitlines()[-1]
    assert message in error and str(tmp_path / "disk") in error, error


def test_a_disk_full_mid_run_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    with _server() as server:
        tasks = _spec(tmp_path, server.url)
        prompt_of = {t["id"]: t["input"] for t in tasks}
        script = (
            # fill the disk, then free 160 KiB: the cache fills first (a warning), then the
            # run files
            'dd if=/dev/zero of="$DISK/fill" bs=1k count=100000 2>/dev/null\n'
            'truncate -s -160K "$DISK/fill"\n'
            '$TOOLKIT run "$DISK/spec.toml" --out "$DISK/run" --no-progress\n'
            'echo "first=$?"\n'
            'cp -a "$DISK/run" "$OUT/after_full"\n'
            'echo "requests" >&2\n'
            "echo paused\n"
            "read go\n"
            'rm "$DISK/fill"\n'
            '$TOOLKIT run "$DISK/spec.toml" --out "$DISK/run" --resume --no-progress\n'
            'echo "second=$?"\n'
            'cp -a "$DISK/run" "$OUT/after_resume"\n'
        )
        proc = _small_disk(tmp_path, script, size_kb=4096)
        first_out = _until_paused(proc)
        first_requests = server.requests
        out, err = proc.communicate("go\n", timeout=150)
        requests = server.requests
    assert "first=1" in first_out and "second=0" in out, first_out + out + err
    assert "Traceback" not in err, err
    first, resumed = err.split("requests\n", 1)
    assert "cache: cannot store calls" in first, first  # warned, and went on
    # the summary line names the file; Python may add a warning after it at exit
    stop = next((x for x in first.splitlines() if "the run stopped" in x), first)
    assert "No space left on device; the run stopped" in stop, stop
    assert str(tmp_path / "disk" / "run") in stop, stop

    # what the full disk left: readable, resumable, every answered call paid or counted
    full = tmp_path / "after_full"
    assert 0 < len(read_results(full)) < N_TASKS, "the disk did not fill mid-run"
    assert len(read_manifest(full).sessions) == 1
    intents = iter_records(full / "intents.jsonl", IntentRecord)
    sent = {prompt_of[i.task_id] for i in intents if i.event == "sent"}
    assert {r.prompt for r in first_requests} <= sent  # written down before it was sent
    answered = Counter(r.prompt for r in first_requests if r.answered)
    covered = _paid_and_counted(full, prompt_of)
    assert all(answered[p] <= covered[p] for p in answered), "a paid call was lost"

    # the resumed run: whole, and still every answered call is recorded or counted
    run = tmp_path / "after_resume"
    manifest = read_manifest(run)
    assert manifest.status == "done" and "Traceback" not in resumed
    results = read_results(run)
    assert Counter(r.task_id for r in results) == Counter(t["id"] for t in tasks)
    answered = Counter(r.prompt for r in requests if r.answered)
    covered = _paid_and_counted(run, prompt_of)
    assert all(answered[p] <= covered[p] for p in answered), "a paid call was lost"
    calls = read_calls(run)
    assert manifest.spent_usd == pytest.approx(sum(c.billed_usd for c in calls), abs=1e-12)
    assert manifest.possibly_billed_usd == pytest.approx(possibly_billed_usd(run), abs=1e-12)
    assert manifest.possibly_billed_usd >= possibly_billed_usd(full) - 1e-12
