"""Recording a lab run: fit the specialists, run the spec through its cache, and put the run
directory in place only once it is complete.

The run goes into a hidden ``.<name>.partial`` folder beside ``out``; a killed recording
resumes there (its finished pairs are kept, its calls come back from the cache). Only a run
that finished (status ``done``) replaces ``out``, so the recorded run is never half-written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit._errors import ToolkitError
from toolkit.lab._specialists import prepare_lab

if TYPE_CHECKING:
    from toolkit.runner import RunSummary, Spec


@dataclass(frozen=True)
class Recording:
    """A finished recording: the runner's summary, where the run is, and the wall time."""

    summary: RunSummary
    out: Path
    wall_s: float
    fitted: tuple[Path, ...] = ()


class RecordingFailed(ToolkitError):
    """The run did not finish; the partial run is kept for the next attempt to resume."""


def partial_dir(out: Path) -> Path:
    """Where an unfinished recording of ``out`` lives."""
    return out.parent / f".{out.name}.partial"


def record_run(
    spec: str | Path,
    out: str | Path,
    *,
    live: bool = False,
    progress: bool | None = None,
) -> Recording:
    """Run ``spec`` and put the finished run directory at ``out`` (replacing an older one).

    Default: the run goes through the spec's response cache, so calls recorded before are
    replayed (billed 0, recorded at their real cost) and the others are made. ``live``: every
    call is made for real: the spec's own cache file is emptied first (a spec without a cache
    path gets a fresh temporary cache instead, so the user's shared cache is never touched).
    Raises :class:`RecordingFailed` when the run stops before it is done.
    """
    from toolkit.runner import load_spec, run_spec

    started = time.monotonic()
    spec_path = Path(spec)
    fitted = prepare_lab(spec_path)
    loaded = load_spec(spec_path)
    target = Path(out)
    partial = partial_dir(target)
    if live and partial.exists():
        shutil.rmtree(partial)
    with _cache_for(loaded, live):
        summary = run_spec(loaded, out=partial, resume=True, progress=progress)
    if summary.status != "done":
        raise RecordingFailed(
            f"{loaded.name}: the run stopped ({summary.status}): {summary.message or summary.line()}; "
            f"the partial run is kept in {partial}; run the same command again to resume it"
        )
    _swap_into_place(partial, target)
    return Recording(
        summary=summary, out=target, wall_s=time.monotonic() - started, fitted=tuple(fitted)
    )


@contextlib.contextmanager
def _cache_for(spec: Spec, live: bool) -> Iterator[None]:
    """Empty the spec's cache for a live recording (or point it at a temporary one)."""
    if not live or not spec.cache.enabled:
        yield
        return
    if spec.cache.path is not None:
        path = spec.resolve(spec.cache.path)
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{path}{suffix}").unlink()
        yield
        return
    from toolkit.models import CACHE_DIR_ENV

    before = os.environ.get(CACHE_DIR_ENV)
    with tempfile.TemporaryDirectory(prefix="toolkit-live-cache-") as tmp:
        os.environ[CACHE_DIR_ENV] = tmp
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(CACHE_DIR_ENV, None)
            else:
                os.environ[CACHE_DIR_ENV] = before


def _swap_into_place(new: Path, out: Path) -> None:
    """Replace ``out`` by ``new`` with two renames; the old run is removed afterwards."""
    out.parent.mkdir(parents=True, exist_ok=True)
    old: Path | None = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if old.exists():
            shutil.rmtree(old)
        os.replace(out, old)
    try:
        os.replace(new, out)
    except OSError:
        if old is not None and not out.exists():
            os.replace(old, out)
            old = None
        raise
    finally:
        if old is not None and old.exists():
            shutil.rmtree(old)
