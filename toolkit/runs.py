"""The run directory: the append-only, on-disk record of a benchmark run.

A run directory holds:

- ``manifest.json``: the spec, versions, prices used, start and end, status;
- ``calls.jsonl``: one line per executor call;
- ``results.jsonl``: one line per task x strategy;
- ``intents.jsonl``: each provider call written down before it is sent (``sent``), when it
  came back (``returned``), and each task x strategy whose calls reached ``calls.jsonl``
  (``closed``). A call sent but never closed in its session was in flight at a kill, or lost
  by a failure: :func:`possibly_billed_usd` counts it.

Lines are appended and written to the OS one at a time. A write that fails (a full disk)
raises :class:`RunFileError` naming the file; what was written stays readable and resumable. A reader ignores a torn last line (a crash
mid-write); :class:`RunWriter` truncates it before appending again on resume.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolkit._errors import (
    SURROGATE_PROBLEM,
    InputError,
    ToolkitError,
    located,
    lone_surrogate_at,
)
from toolkit._redact import redact_forms, secret_forms, secret_values
from toolkit._types import Call, Trace

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION: Literal[1] = 1
MANIFEST = "manifest.json"
CALLS = "calls.jsonl"
RESULTS = "results.jsonl"
INTENTS = "intents.jsonl"


class RunFileError(ToolkitError):
    """A run file could not be written (a full disk, a read-only folder): the run stops
    cleanly and can be resumed once the cause is fixed. Exit code 1."""

    def __init__(self, path: Path, exc: OSError) -> None:
        self.path = path
        super().__init__(
            f"{path}: cannot write: {exc.strerror or exc}; the run stopped "
            "(free space or fix the folder, then run again with --resume)"
        )


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_version: Literal[1] = SCHEMA_VERSION


class CallRecord(_Record):
    """One executor call, as written to ``calls.jsonl``."""

    task_id: str
    strategy: str
    step: str = ""
    executor: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    cache_read_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    billed_usd: float = 0.0
    queue_s: float = 0.0
    service_s: float = 0.0
    latency_s: float = 0.0
    ttft_s: float | None = None
    started_at: float = 0.0
    ended_at: float = 0.0
    error: str | None = None
    cached: bool = False
    declined: bool = False
    attempts: int = 1
    fallback_from: str | None = None
    text: str = ""

    @classmethod
    def from_call(cls, call: Call, *, strategy: str) -> CallRecord:
        """Build the record of ``call`` made by ``strategy``."""
        return cls(
            task_id=call.task_id,
            strategy=strategy,
            step=call.step,
            executor=call.executor,
            model=call.model,
            tokens_in=call.tokens_in,
            tokens_out=call.tokens_out,
            cache_read_tokens=call.cache_read_tokens,
            reasoning_tokens=call.reasoning_tokens,
            cost_usd=call.cost_usd,
            billed_usd=call.billed_usd,
            queue_s=call.queue_s,
            service_s=call.service_s,
            latency_s=call.latency_s,
            ttft_s=call.ttft_s,
            started_at=call.started_at,
            ended_at=call.ended_at,
            error=call.error,
            cached=call.cached,
            declined=call.declined,
            attempts=call.attempts,
            fallback_from=call.fallback_from,
            text=call.text,
        )


class ResultRecord(_Record):
    """One task x strategy outcome, as written to ``results.jsonl``.

    ``strategy`` is the name results are filed under, ``strategy_kind`` its kind, and
    ``executor`` the executor that answers alone for a single-executor strategy (whatever it
    is named): those rows are the run's outcome matrix. Rows written before these fields
    existed are read by name (``single:<executor>``).
    """

    task_id: str
    strategy: str
    strategy_kind: str = ""
    executor: str | None = None
    category: str = ""
    split: str | None = None
    answer: str = ""
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    reason: str = ""
    cost_usd: float = 0.0
    billed_usd: float = 0.0
    latency_s: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    n_calls: int = 0
    route: list[str] = Field(default_factory=list)
    executors_called: list[str] = Field(default_factory=list)
    error: str | None = None
    declined: bool = False
    info: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_trace(
        cls,
        trace: Trace,
        *,
        task_id: str,
        strategy: str,
        strategy_kind: str = "",
        executor: str | None = None,
        category: str = "",
        split: str | None = None,
        score: float | None = None,
        reason: str = "",
    ) -> ResultRecord:
        """Build the record of a strategy's trace on one task, with its grade."""
        called: list[str] = []
        for c in trace.calls:
            if c.executor not in called:
                called.append(c.executor)
        return cls(
            task_id=task_id,
            strategy=strategy,
            strategy_kind=strategy_kind,
            executor=executor,
            category=category,
            split=split,
            answer=trace.answer,
            score=score,
            reason=reason,
            cost_usd=trace.cost_usd,
            billed_usd=trace.billed_usd,
            latency_s=trace.latency_s,
            tokens_in=sum(c.tokens_in for c in trace.calls),
            tokens_out=sum(c.tokens_out for c in trace.calls),
            n_calls=len(trace.calls),
            route=list(trace.route),
            executors_called=called,
            error=trace.error,
            declined=trace.error is not None and bool(trace.calls) and trace.calls[-1].declined,
            info=dict(trace.info),
        )


SINGLE_PREFIX = "single:"


def sole_executor(record: ResultRecord) -> str | None:
    """The executor that answered alone for this row's strategy, or None.

    From the row's fields; a row without ``strategy_kind`` (an older run) by its name
    ``single:<executor>``.
    """
    if record.strategy_kind:
        return record.executor
    if record.strategy.startswith(SINGLE_PREFIX):
        return record.strategy[len(SINGLE_PREFIX) :] or None
    return None


class IntentRecord(_Record):
    """One line of ``intents.jsonl`` (see the module docstring)."""

    event: Literal["sent", "returned", "closed"]
    session: int
    id: int = 0
    task_id: str = ""
    strategy: str = ""
    step: str = ""
    executor: str = ""
    model: str = ""
    reserved_usd: float = 0.0
    cost_usd: float = 0.0
    at: float = 0.0


def possibly_billed_usd(root: str | Path) -> float:
    """What calls sent but never recorded may have cost: each counts its cost when it came
    back, else its reservation (its worst case)."""
    sent: dict[tuple[int, int], IntentRecord] = {}
    cost: dict[tuple[int, int], float] = {}
    closed: set[tuple[int, str, str]] = set()
    for r in iter_records(Path(root) / INTENTS, IntentRecord):
        if r.event == "sent":
            sent[(r.session, r.id)] = r
        elif r.event == "returned":
            cost[(r.session, r.id)] = r.cost_usd
        else:
            closed.add((r.session, r.task_id, r.strategy))
    return sum(
        cost.get(key, r.reserved_usd)
        for key, r in sent.items()
        if (r.session, r.task_id, r.strategy) not in closed
    )


class Session(BaseModel):
    """One ``toolkit run`` invocation on a run directory (the first, then each resume)."""

    model_config = ConfigDict(extra="allow")
    started_at: float = 0.0
    ended_at: float | None = None
    replay: bool = False
    resumed: bool = False
    concurrency: int | None = None
    budget_usd: float | None = None
    versions: dict[str, str] = Field(default_factory=dict)
    status: str | None = None
    message: str = ""
    spent_usd: float = 0.0
    results: int = 0
    calls: int = 0


class Manifest(BaseModel):
    """The run's ``manifest.json``: what was run, with what, and how it ended.

    ``spec_sha256`` is the digest of what the spec asks for (a resume must match it);
    ``local_hourly_rate_usd`` and ``executor_hourly_rates_usd`` are the compute-time rates the
    run priced local executors at; ``sessions`` has one entry per invocation. Unknown keys are
    kept (files written by newer versions stay readable).
    """

    model_config = ConfigDict(extra="allow")
    schema_version: Literal[1] = SCHEMA_VERSION
    name: str = ""
    spec: dict[str, Any] = Field(default_factory=dict)
    versions: dict[str, str] = Field(default_factory=dict)
    prices: dict[str, Any] = Field(default_factory=dict)
    started_at: float = 0.0
    ended_at: float | None = None
    status: Literal["running", "done", "failed", "stopped_budget", "replay_miss"] = "running"
    budget_usd: float | None = None
    spent_usd: float = 0.0
    possibly_billed_usd: float = 0.0
    spec_sha256: str | None = None
    local_hourly_rate_usd: float | None = None
    executor_hourly_rates_usd: dict[str, float] = Field(default_factory=dict)
    sessions: list[Session] = Field(default_factory=list)
    message: str = ""
    #: every plugin loaded: {"source", "path", "sha256"} (code run with the user's rights)
    plugins: list[dict[str, Any]] = Field(default_factory=list)
    #: built-ins a plugin replaced (replace=True), as ``kind:name``
    replaced_builtins: list[str] = Field(default_factory=list)


R = TypeVar("R", bound=BaseModel)


def _truncate_torn_tail(path: Path) -> int:
    """Cut a last line that has no newline (a crash mid-write). Returns bytes removed."""
    if not path.exists():
        return 0
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb+") as fh:
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) == b"\n":
            return 0
        # Walk back to the previous newline.
        pos = size - 1
        chunk = 65536
        while pos > 0:
            start = max(0, pos - chunk)
            fh.seek(start)
            buf = fh.read(pos - start)
            idx = buf.rfind(b"\n")
            if idx >= 0:
                keep = start + idx + 1
                fh.truncate(keep)
                return size - keep
            pos = start
        fh.truncate(0)
        return size


class _JsonlAppender:
    """Appends one JSON line at a time, unbuffered, straight to the OS; secrets are masked.

    A write that fails leaves at most a torn last line (cut on resume) and nothing buffered
    to reappear later; it raises :class:`RunFileError`.
    """

    def __init__(self, path: Path, secrets: tuple[str, ...]) -> None:
        self.path = path
        try:
            _truncate_torn_tail(path)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise RunFileError(path, exc) from exc
        self._secrets = secrets  # from secret_forms: escaped once, not per line

    def write(self, record: BaseModel) -> None:
        data = (redact_forms(record.model_dump_json(), self._secrets) + "\n").encode()
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            raise RunFileError(self.path, exc) from exc

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class RunWriter:
    """Writes a run directory. Use ``RunWriter.create`` for a new run, ``resume`` to continue."""

    def __init__(self, root: Path, manifest: Manifest) -> None:
        self.root = root
        self.manifest = manifest
        # the values of API-key variables never reach a run file (see toolkit._redact)
        self._secrets = secret_forms(secret_values())
        self._calls = _JsonlAppender(root / CALLS, self._secrets)
        self._results = _JsonlAppender(root / RESULTS, self._secrets)
        self._intents = _JsonlAppender(root / INTENTS, self._secrets)

    @classmethod
    def create(cls, root: str | Path, manifest: Manifest) -> RunWriter:
        """Start a new run in ``root``; it must not exist or be empty."""
        path = Path(root)
        if path.exists() and any(path.iterdir()):
            raise InputError(
                f"{path}: run directory already exists; pass --resume to continue it "
                "or choose another --out"
            )
        made = [d for d in (path, *path.parents) if not d.exists()]
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a place no folder can be made (/proc, a read-only disk)
            _remove_folders(made)
            raise InputError(
                located(path, None, "--out", f"cannot make the run folder: {exc.strerror or exc}")
            ) from None
        try:
            writer = cls(path, manifest)
            writer.write_manifest()
        except (OSError, RunFileError) as exc:
            # nothing half-made is left: the folder is removed (or emptied, if it was there)
            for name in (MANIFEST, MANIFEST + ".tmp", CALLS, RESULTS, INTENTS):
                (path / name).unlink(missing_ok=True)
            _remove_folders(made)
            if isinstance(exc, RunFileError):
                raise
            raise RunFileError(Path(exc.filename or path), exc) from exc
        return writer

    @classmethod
    def resume(cls, root: str | Path) -> RunWriter:
        """Reopen an existing run, cutting any torn last line first."""
        path = Path(root)
        manifest = read_manifest(path)
        manifest.status = "running"
        manifest.ended_at = None
        writer = cls(path, manifest)
        writer.write_manifest()
        return writer

    def write_manifest(self) -> None:
        """Write the manifest atomically (temp file + rename)."""
        tmp = self.root / (MANIFEST + ".tmp")
        text = redact_forms(self.manifest.model_dump_json(indent=2), self._secrets)
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.root / MANIFEST)
        except OSError as exc:  # the manifest before stays whole
            tmp.unlink(missing_ok=True)
            raise RunFileError(self.root / MANIFEST, exc) from exc

    def add_call(self, record: CallRecord) -> None:
        """Append one call line."""
        self._calls.write(record)

    def add_result(self, record: ResultRecord) -> None:
        """Append one result line."""
        self._results.write(record)

    def add_intent(self, record: IntentRecord) -> None:
        """Append one line to ``intents.jsonl``."""
        self._intents.write(record)

    def finish(self, status: str = "done") -> None:
        """Close the files and record how the run ended."""
        self.manifest.status = status  # type: ignore[assignment]
        self.manifest.ended_at = time.time()
        self.write_manifest()
        self.close()

    def close(self) -> None:
        """Close the line files."""
        self._calls.close()
        self._results.close()
        self._intents.close()


def _remove_folders(made: list[Path]) -> None:
    """Remove the folders a failed start made (deepest first), if they are still empty."""
    for folder in made:
        try:
            folder.rmdir()
        except OSError:
            return


def _check_run_dir(root: Path) -> None:
    if not root.exists():
        raise InputError(f"{root}: run directory not found")
    if not root.is_dir():
        raise InputError(f"{root}: not a run directory (expected a folder with {MANIFEST})")
    if not (root / MANIFEST).is_file():
        raise InputError(f"{root / MANIFEST}: missing; {root} is not a run directory")


def read_manifest(root: str | Path) -> Manifest:
    """Read and validate a run's manifest."""
    path = Path(root)
    _check_run_dir(path)
    mpath = path / MANIFEST
    try:
        data = json.loads(mpath.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(located(mpath, None, "manifest", "not UTF-8 text")) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            located(mpath, exc.lineno, "manifest", f"invalid JSON: {exc.msg}")
        ) from None
    if not isinstance(data, dict):
        raise InputError(located(mpath, 1, "manifest", "expected a JSON object"))
    return _validate(data, Manifest, mpath, 1, "manifest")


def _validate(data: dict[str, Any], model: type[R], path: Path, lineno: int, what: str) -> R:
    """Check the schema version, then validate ``data`` as ``model``.

    Errors name ``path:lineno`` and the field (``what`` when pydantic names none).
    """
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InputError(
            located(
                path,
                lineno,
                "schema_version",
                f"is {version!r}; this toolkit reads version {SCHEMA_VERSION}",
            )
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or what
        raise InputError(located(path, lineno, field, err["msg"])) from None


def iter_records(path: str | Path, model: type[R]) -> Iterator[R]:
    """Yield validated records from a JSONL run file, ignoring a torn last line.

    A bad line anywhere else raises :class:`InputError` naming ``path:line`` and the field.
    """
    for _, record in iter_numbered(path, model):
        yield record


def iter_numbered(path: str | Path, model: type[R]) -> Iterator[tuple[int, R]]:
    """:func:`iter_records` with each record's line number."""
    p = Path(path)
    if not p.exists():
        return
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(located(p, None, "file", f"cannot read: {exc.strerror}")) from None
    # the piece after the last newline is empty, or a line torn by a crash: dropped by design
    body = raw.split(b"\n")[:-1]
    for lineno, line in enumerate(body, start=1):
        if not line.strip():
            continue
        yield lineno, _parse_line(p, lineno, line, model)


def _parse_line(p: Path, lineno: int, line: bytes, model: type[R]) -> R:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(located(p, lineno, "line", "not UTF-8 text")) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(located(p, lineno, "line", f"invalid JSON: {exc.msg}")) from None
    if not isinstance(data, dict):
        raise InputError(located(p, lineno, "line", "expected a JSON object"))
    bad = lone_surrogate_at(data)
    if bad is not None:
        raise InputError(located(p, lineno, bad, SURROGATE_PROBLEM))
    return _validate(data, model, p, lineno, "line")


def read_calls(root: str | Path) -> list[CallRecord]:
    """All call records of a run."""
    path = Path(root)
    _check_run_dir(path)
    return list(iter_records(path / CALLS, CallRecord))


def read_results(root: str | Path) -> list[ResultRecord]:
    """All result records of a run, one per task x strategy.

    An identical repeat of a line is dropped; two lines for one task x strategy that differ
    in answer, score, cost or error are an InputError naming both lines (which one is true
    cannot be told)."""
    path = Path(root)
    _check_run_dir(path)
    first: dict[tuple[str, str], tuple[int, ResultRecord]] = {}
    out: list[ResultRecord] = []
    for lineno, r in iter_numbered(path / RESULTS, ResultRecord):
        key = (r.task_id, r.strategy)
        if key not in first:
            first[key] = (lineno, r)
            out.append(r)
            continue
        line0, r0 = first[key]
        if _outcome(r0) != _outcome(r):
            raise InputError(
                located(
                    path / RESULTS,
                    lineno,
                    "task_id",
                    f"task {r.task_id!r} x strategy {r.strategy!r} is recorded again with a "
                    f"different outcome (first at line {line0}); keep the right line, delete "
                    "the other",
                )
            )
    return out


def _outcome(r: ResultRecord) -> tuple[object, ...]:
    return (r.answer, r.score, r.cost_usd, r.error)


def _frame(records: list[Any], model: type[BaseModel]) -> pd.DataFrame:
    import pandas as pd

    columns = list(model.model_fields)
    return pd.DataFrame([r.model_dump() for r in records], columns=columns)


def calls_frame(root: str | Path) -> pd.DataFrame:
    """The run's calls as a pandas DataFrame, one row per call."""
    return _frame(read_calls(root), CallRecord)


def results_frame(root: str | Path) -> pd.DataFrame:
    """The run's results as a pandas DataFrame, one row per task x strategy."""
    return _frame(read_results(root), ResultRecord)


def done_keys(root: str | Path) -> set[tuple[str, str]]:
    """(task_id, strategy) pairs already recorded in ``results.jsonl``: what resume skips."""
    return {(r.task_id, r.strategy) for r in read_results(root)}
