"""The outcome matrix: what every executor did on every task, as numpy arrays."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from toolkit._errors import InputError, located

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.tasks import Task

FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]

VALUE_COLUMNS = ("score", "cost_usd", "latency_s", "tokens_in", "tokens_out")
#: The cost axes a matrix may carry: dollars as recorded, dollars estimated from token counts,
#: the share of calls to the strong executor (RouteLLM) and each executor's 1-based price rank.
COST_AXES = ("usd", "tokens", "strong_share", "rank")
FILE_FORMAT = "toolkit.outcomes/1"
_META_KEY = b"toolkit.outcomes"


def _str_array(values: Sequence[str] | npt.NDArray[Any]) -> StrArray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values) if not isinstance(values, np.ndarray) else values
    return arr


def strong_share_problem(executors: Sequence[str]) -> str:
    """Why the strong-share cost axis cannot serve ``executors`` (more than two)."""
    names = ", ".join(executors[:6]) + (", ..." if len(executors) > 6 else "")
    return (
        f"needs two executors, a weak and a strong one, and these outcomes have "
        f"{len(executors)} ({names}): it would cost every executor but the strongest at 0. "
        "Use --cost-axis rank (price order, or --cost-rank A,B,C cheapest first) or "
        "--cost-axis tokens (counted from the answers)"
    )


@dataclass(frozen=True, eq=False)
class OutcomeMatrix:
    """Outcomes over tasks x executors.

    ``score`` (in [0, 1]), ``cost_usd``, ``latency_s``, ``tokens_in`` and ``tokens_out`` are
    float arrays of shape (n_tasks, n_executors); NaN means unknown (e.g. RouteLLM's data has
    no cost, imported data has no latency). ``splits`` is ``""`` where a task has none, and
    ``text`` is ``""`` where the task text is not available. ``notes`` say what the importer
    assumed or dropped.

    ``cost_axis`` says what cost means: ``usd`` (recorded dollars), ``tokens`` (dollars estimated
    from token counts, in ``cost_usd``), ``strong_share`` or ``rank`` (no cost: a call costs 1
    for the strong executor and 0 otherwise, or its 1-based position in ``cost_rank``, cheapest
    first); ``""`` means ``usd`` when every cost is known and ``strong_share`` otherwise.
    ``provenance`` records where an import came from (format, source files with their sha256,
    flags, notes); both travel in the parquet metadata.
    """

    task_ids: StrArray
    text: StrArray
    category: StrArray
    splits: StrArray
    executors: tuple[str, ...]
    score: FloatArray
    cost_usd: FloatArray
    latency_s: FloatArray
    tokens_in: FloatArray
    tokens_out: FloatArray
    notes: tuple[str, ...] = ()
    source: str = ""
    cost_axis: str = ""
    cost_rank: tuple[str, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict)
    #: True where the executor declined the task (recorded by runs; None: not recorded)
    declined: BoolArray | None = None

    def __post_init__(self) -> None:
        n, m = len(self.task_ids), len(self.executors)
        if self.declined is not None and np.shape(self.declined) != (n, m):
            raise ValueError(
                f"OutcomeMatrix.declined has shape {np.shape(self.declined)}, expected {(n, m)}"
            )
        if self.cost_axis and self.cost_axis not in COST_AXES:
            raise ValueError(
                f"OutcomeMatrix.cost_axis is {self.cost_axis!r}; expected one of {COST_AXES}"
            )
        if self.cost_axis == "rank" and set(self.cost_rank) != set(self.executors):
            raise ValueError(
                f"OutcomeMatrix.cost_rank {self.cost_rank} must name every executor once "
                f"({', '.join(self.executors)})"
            )
        for name in ("text", "category", "splits"):
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"OutcomeMatrix.{name} has {len(getattr(self, name))} rows, expected {n}"
                )
        for name in VALUE_COLUMNS:
            arr = getattr(self, name)
            if arr.shape != (n, m):
                raise ValueError(f"OutcomeMatrix.{name} has shape {arr.shape}, expected {(n, m)}")
        if len(set(self.executors)) != m:
            raise ValueError(f"OutcomeMatrix.executors has duplicates: {self.executors}")
        bad = ~((self.score >= 0.0) & (self.score <= 1.0))
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(
                f"OutcomeMatrix.score of task {self.task_ids[i]!r}, executor "
                f"{self.executors[j]!r} is {self.score[i, j]!r}; scores must be in [0, 1]"
            )

    @classmethod
    def build(
        cls,
        *,
        task_ids: Sequence[str] | StrArray,
        executors: Sequence[str],
        score: npt.ArrayLike,
        text: Sequence[str] | StrArray | None = None,
        category: Sequence[str] | StrArray | None = None,
        split: Sequence[str | None] | StrArray | None = None,
        cost_usd: npt.ArrayLike | None = None,
        latency_s: npt.ArrayLike | None = None,
        tokens_in: npt.ArrayLike | None = None,
        tokens_out: npt.ArrayLike | None = None,
        notes: Sequence[str] = (),
        source: str = "",
    ) -> OutcomeMatrix:
        """Build a matrix from plain sequences; missing value arrays become NaN (unknown)."""
        n, m = len(task_ids), len(executors)
        sc = np.asarray(score, dtype=np.float64).reshape(n, m)

        def values(a: npt.ArrayLike | None) -> FloatArray:
            if a is None:
                return np.full((n, m), np.nan)
            return np.asarray(a, dtype=np.float64).reshape(n, m).copy()

        def strings(a: Sequence[str | None] | StrArray | None) -> StrArray:
            if a is None:
                return _str_array([""] * n)
            return _str_array(["" if v is None else str(v) for v in a])

        return cls(
            task_ids=_str_array([str(t) for t in task_ids]),
            text=strings(text),
            category=strings(category),
            splits=strings(split),
            executors=tuple(executors),
            score=sc.copy(),
            cost_usd=values(cost_usd),
            latency_s=values(latency_s),
            tokens_in=values(tokens_in),
            tokens_out=values(tokens_out),
            notes=tuple(notes),
            source=source,
        )

    # ----- shape and access -----

    @property
    def n_tasks(self) -> int:
        """Number of tasks (rows)."""
        return len(self.task_ids)

    @property
    def n_executors(self) -> int:
        """Number of executors (columns)."""
        return len(self.executors)

    @property
    def has_cost(self) -> bool:
        """True when every cost cell is known; False when cost is unknown (e.g. RouteLLM)."""
        return bool(self.n_tasks > 0 and np.isfinite(self.cost_usd).all())

    @property
    def has_text(self) -> bool:
        """True when at least one task has its text."""
        return bool(any(t for t in self.text))

    @property
    def axis(self) -> str:
        """The cost axis: ``cost_axis``, or ``usd``/``strong_share`` by whether cost is known."""
        if self.cost_axis:
            return self.cost_axis
        return "usd" if self.has_cost else "strong_share"

    def check_cost_axis(self, source: str | Path) -> None:
        """Refuse a strong-share cost axis over more than two executors (it would cost every
        executor but the strongest at 0): an InputError naming ``source``."""
        if self.axis == "strong_share" and self.n_executors > 2:
            raise InputError(
                located(
                    source,
                    None,
                    "cost_axis",
                    "strong_share "
                    + strong_share_problem(self.executors)
                    + "; import it again with one of those",
                )
            )

    def axis_cost(self) -> FloatArray | None:
        """Per-cell cost on the cost axis: dollars (``usd``, ``tokens``), each executor's
        1-based rank in ``cost_rank`` (``rank``), or None for ``strong_share``, whose strong
        executor is chosen by the analysis."""
        if self.axis in ("usd", "tokens"):
            return self.cost_usd
        if self.axis == "rank":
            ranks = np.array([self.cost_rank.index(e) + 1 for e in self.executors], dtype=float)
            return np.tile(ranks, (self.n_tasks, 1))
        return None

    def index(self, executor: str) -> int:
        """Column of ``executor``; an unknown name is an InputError listing the known ones."""
        try:
            return self.executors.index(executor)
        except ValueError:
            raise InputError(
                f"executor {executor!r} is not in the outcomes; known: {', '.join(self.executors)}"
            ) from None

    def subset(self, rows: npt.ArrayLike) -> OutcomeMatrix:
        """The matrix restricted to ``rows`` (a boolean mask or integer indices)."""
        idx = np.asarray(rows)
        if idx.dtype == bool and idx.shape != (self.n_tasks,):
            raise ValueError(f"mask has shape {idx.shape}, expected ({self.n_tasks},)")
        return replace(
            self,
            task_ids=self.task_ids[idx],
            text=self.text[idx],
            category=self.category[idx],
            splits=self.splits[idx],
            score=self.score[idx],
            cost_usd=self.cost_usd[idx],
            latency_s=self.latency_s[idx],
            tokens_in=self.tokens_in[idx],
            tokens_out=self.tokens_out[idx],
            declined=None if self.declined is None else self.declined[idx],
        )

    def select_executors(self, executors: Sequence[str]) -> OutcomeMatrix:
        """The matrix restricted to some executors, in the given order."""
        cols = [self.index(e) for e in executors]
        rank = tuple(e for e in self.cost_rank if e in executors)
        return replace(
            self,
            executors=tuple(executors),
            cost_rank=rank,
            score=self.score[:, cols],
            cost_usd=self.cost_usd[:, cols],
            latency_s=self.latency_s[:, cols],
            tokens_in=self.tokens_in[:, cols],
            tokens_out=self.tokens_out[:, cols],
            declined=None if self.declined is None else self.declined[:, cols],
        )

    def split_names(self) -> list[str]:
        """The distinct non-empty split names, sorted."""
        return sorted({s for s in self.splits if s})

    def split(self, name: str) -> OutcomeMatrix:
        """The tasks whose split is ``name``."""
        return self.subset(self.splits == name)

    # ----- frames and files -----

    def to_frame(self) -> pd.DataFrame:
        """The long layout as a pandas DataFrame: one row per task x executor."""
        import pandas as pd

        n, m = self.n_tasks, self.n_executors
        data: dict[str, Any] = {
            "task_id": np.repeat(self.task_ids, m),
            "text": np.repeat(self.text, m),
            "category": np.repeat(self.category, m),
            "split": np.repeat(self.splits, m),
            "executor": np.tile(np.asarray(self.executors, dtype=object), n),
        }
        for name in VALUE_COLUMNS:
            data[name] = getattr(self, name).reshape(-1)
        if self.declined is not None:
            data["declined"] = self.declined.reshape(-1)
        return pd.DataFrame(data)

    def to_parquet(self, path: str | Path) -> Path:
        """Write the matrix to a parquet file (long layout), atomically: temp file + rename."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        out = Path(path)
        n, m = self.n_tasks, self.n_executors
        ex_codes = np.tile(np.arange(m, dtype=np.int32), n)
        columns: dict[str, Any] = {
            "task_id": pa.array(np.repeat(self.task_ids, m), type=pa.string()),
            "text": pa.array(np.repeat(self.text, m), type=pa.string()),
            "category": pa.array(np.repeat(self.category, m), type=pa.string()),
            "split": pa.array(np.repeat(self.splits, m), type=pa.string()),
            "executor": pa.DictionaryArray.from_arrays(
                pa.array(ex_codes), pa.array(list(self.executors), type=pa.string())
            ),
        }
        for name in VALUE_COLUMNS:
            columns[name] = pa.array(getattr(self, name).reshape(-1), type=pa.float64())
        if self.declined is not None:
            columns["declined"] = pa.array(self.declined.reshape(-1).astype(np.float64))
        meta = {
            "declines_recorded": self.declined is not None,
            "format": FILE_FORMAT,
            "executors": list(self.executors),
            "n_tasks": n,
            "notes": list(self.notes),
            "source": self.source,
            "cost_axis": self.cost_axis,
            "cost_rank": list(self.cost_rank),
            "provenance": dict(self.provenance),
        }
        table = pa.table(columns).replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, out)
        finally:
            if tmp.exists():
                tmp.unlink()
        return out

    @classmethod
    def read(cls, path: str | Path) -> OutcomeMatrix:
        """Read a parquet file written by :meth:`to_parquet` (``toolkit outcomes import``)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        p = Path(path)
        if not p.is_file():
            raise InputError(located(p, None, "outcomes", "file not found"))
        try:
            schema = pq.read_schema(p)
        except (pa.ArrowInvalid, OSError) as exc:
            hint = ""
            if p.suffix.lower() in (".csv", ".json", ".jsonl", ".pkl", ".pickle", ".tsv"):
                hint = (
                    f"; import it first: toolkit outcomes import {p} --format FORMAT "
                    f"--out {p.with_suffix('.parquet').name}"
                )
            raise InputError(
                located(p, None, "outcomes", f"not a parquet file: {str(exc).rstrip('.')}{hint}")
            ) from None
        raw = (schema.metadata or {}).get(_META_KEY)
        if raw is None:
            raise InputError(
                located(
                    p,
                    None,
                    "outcomes",
                    "not a toolkit outcome file; import it first with "
                    "`toolkit outcomes import PATH --format long --out FILE.parquet`",
                )
            )
        meta = json.loads(raw)
        if meta.get("format") != FILE_FORMAT:
            raise InputError(
                located(p, None, "format", f"is {meta.get('format')!r}; expected {FILE_FORMAT}")
            )
        executors = tuple(str(e) for e in meta["executors"])
        n, m = int(meta["n_tasks"]), len(executors)
        # Read one column at a time, a batch at a time, straight into the final arrays: the
        # peak memory is the matrix plus a batch, not the matrix plus the whole arrow table
        # (1,000,000 tasks x 2 executors: about 250 MB extra at peak instead of about 700 MB).
        pf = pq.ParquetFile(
            p,
            read_dictionary=["executor", "category", "split"],
            pre_buffer=False,
            buffer_size=1 << 20,
        )
        if pf.metadata.num_rows != n * m:
            raise InputError(
                located(p, None, "rows", f"has {pf.metadata.num_rows} rows; expected {n} x {m}")
            )
        batch_rows = max(1, m) * 65_536

        def batches(name: str) -> Iterator[tuple[int, Any]]:
            """(first row, the column's values in this batch), in file order."""
            r0 = 0
            for batch in pf.iter_batches(batch_size=batch_rows, columns=[name], use_threads=False):
                yield r0, batch.column(0)
                r0 += batch.num_rows
            # arrow's allocator keeps freed memory for reuse; the next column's Python
            # objects cannot reuse it, so hand it back before they are made
            pa.default_memory_pool().release_unused()

        for r0, col in batches("executor"):
            codes = col.indices.to_numpy(zero_copy_only=False) if col.null_count == 0 else None
            dictionary = [str(x) for x in col.dictionary.to_pylist()]
            remap = np.array([executors.index(d) if d in executors else -1 for d in dictionary])
            expect = (r0 + np.arange(len(col))) % m if m else np.zeros(0, dtype=np.intp)
            if m and (codes is None or not np.array_equal(remap[codes], expect)):
                raise InputError(
                    located(
                        p, None, "executor", "rows are not in task-major order; rewrite the file"
                    )
                )

        def task_col(name: str) -> StrArray:
            """The column's value on each task's first row, as Python strings."""
            out = np.empty(n if m else 0, dtype=object)
            shared: dict[Any, Any] = {}  # one object per distinct dictionary value
            for r0, col in batches(name):
                first = np.arange((-r0) % m, len(col), m) if m else np.arange(0)
                part = col.take(pa.array(first))
                at = (r0 + first[0]) // m if len(first) else 0
                if pa.types.is_dictionary(part.type) and part.null_count == 0:
                    words = [shared.setdefault(w, w) for w in part.dictionary.to_pylist()]
                    lookup = np.empty(len(words), dtype=object)
                    lookup[:] = words
                    values = lookup[part.indices.to_numpy(zero_copy_only=False)]
                else:
                    if pa.types.is_dictionary(part.type):
                        part = part.cast(pa.string())
                    values = part.to_numpy(zero_copy_only=False)
                out[at : at + len(values)] = values
            return out

        def value_col(name: str) -> FloatArray:
            out = np.empty(n * m, dtype=np.float64)
            for r0, col in batches(name):
                out[r0 : r0 + len(col)] = col.to_numpy(zero_copy_only=False)
            return out.reshape(n, m)

        try:
            return cls(
                task_ids=task_col("task_id"),
                text=task_col("text"),
                category=task_col("category"),
                splits=task_col("split"),
                executors=executors,
                score=value_col("score"),
                cost_usd=value_col("cost_usd"),
                latency_s=value_col("latency_s"),
                tokens_in=value_col("tokens_in"),
                tokens_out=value_col("tokens_out"),
                notes=tuple(str(x) for x in meta.get("notes", [])),
                source=str(meta.get("source", "")),
                cost_axis=str(meta.get("cost_axis", "")),
                cost_rank=tuple(str(x) for x in meta.get("cost_rank", [])),
                provenance=dict(meta.get("provenance") or {}),
                declined=value_col("declined") > 0.5 if meta.get("declines_recorded") else None,
            )
        except ValueError as exc:
            raise InputError(located(p, None, "outcomes", str(exc))) from None

    @classmethod
    def from_run(
        cls,
        root: str | Path,
        *,
        tasks: Sequence[Task] | Mapping[str, str] | None = None,
        drop_incomplete: bool = False,
    ) -> OutcomeMatrix:
        """The matrix of a run that recorded every executor alone (``single:<executor>`` rows).

        ``tasks`` (Task objects or a task-id -> text mapping) supplies the task text; without it
        the text is read best-effort from the task files named in the manifest's spec, and is
        ``""`` (with a note) where it cannot be found. Rows of other strategies are ignored.
        """
        from toolkit.outcomes._run import run_cells

        return cls(**run_cells(Path(root), tasks=tasks, drop_incomplete=drop_incomplete))

    def describe(self) -> str:
        """One line: tasks, executors, categories, splits."""
        cats = len(set(self.category))
        splits = ", ".join(f"{s}={int((self.splits == s).sum())}" for s in self.split_names())
        return (
            f"{self.n_tasks} tasks x {self.n_executors} executors "
            f"({', '.join(self.executors)}); {cats} categories"
            + (f"; splits {splits}" if splits else "; no split column")
            + ("" if self.has_cost else "; cost unknown")
            + f"; cost axis {self.axis}"
            + (f" ({', '.join(self.cost_rank)}, cheapest first)" if self.axis == "rank" else "")
        )


def load_outcomes(path: str | Path, *, tasks: Sequence[Task] | None = None) -> OutcomeMatrix:
    """An outcome matrix from a parquet outcome file or a run directory."""
    p = Path(path)
    if p.is_dir():
        return OutcomeMatrix.from_run(p, tasks=tasks)
    return OutcomeMatrix.read(p)
