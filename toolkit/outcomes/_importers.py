"""Importers of public outcome formats into an :class:`OutcomeMatrix`.

Formats (``toolkit outcomes import PATH --format F``):

- ``routerbench``: RouterBench's wide CSV or pickle: ``sample_id, prompt, eval_name,
  oracle_model_to_route_to``, then per model ``<m>`` (score), ``<m>|model_response``,
  ``<m>|total_cost``. Other columns are ignored; the cost is used as given.
- ``routellm``: RouteLLM's wide CSV ``prompt, <model_a>, <model_b>`` with True/False
  correctness (optional ``<m>_response``); one file or a folder of them, one per subject.
- ``long``: one row per prompt x model (CSV, JSONL or parquet).
- ``run``: the toolkit's own run directory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from toolkit._errors import InputError, located
from toolkit.outcomes._matrix import OutcomeMatrix
from toolkit.outcomes._tables import PICKLE_SUFFIXES, Table, read_any, read_csv
from toolkit.registry import REGISTRY, Entry, importer

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]


#: Every field of the ``long`` format, in its column order.
LONG_FIELDS = (
    "prompt_id",
    "prompt",
    "category",
    "model",
    "score",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "latency_s",
    "split",
)

LONG_REQUIRED = ("prompt_id", "prompt", "category", "model", "score")
LONG_VALUES = ("tokens_in", "tokens_out", "cost_usd", "latency_s")
MAX_CELL_PROBLEMS = 200


@dataclass(frozen=True)
class ImportOptions:
    """The flags of ``toolkit outcomes import`` (see :func:`import_outcomes`)."""

    drop_incomplete: bool = False
    prices: Path | None = None
    score_scale: tuple[float, float] | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    allow_pickle: bool = False


def parse_score_scale(text: str) -> tuple[float, float]:
    """Parse ``MIN,MAX`` for ``--score-scale``; MAX must exceed MIN."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2:
        raise InputError(located("--score-scale", None, repr(text), "expected MIN,MAX, e.g. 1,10"))
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(
            located("--score-scale", None, repr(text), "MIN and MAX must be numbers, e.g. 1,10")
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        raise InputError(
            located("--score-scale", None, repr(text), "MAX must be greater than MIN, e.g. 1,10")
        )
    return lo, hi


def parse_columns(text: str, fmt: str) -> dict[str, str]:
    """Parse ``NAME=COL,...`` for ``--columns``: NAME is one of the format's fields."""
    known = format_fields(fmt)
    mapping: dict[str, str] = {}
    for item in [s for s in text.split(",") if s.strip()]:
        name, sep, col = item.partition("=")
        name, col = name.strip(), col.strip()
        if not sep or not name or not col:
            raise InputError(
                located(
                    "--columns",
                    None,
                    repr(item),
                    "expected NAME=COLUMN, e.g. tokens_in=prompt_tokens",
                )
            )
        if name not in known:
            what = ", ".join(known) if known else "none (this format takes no --columns)"
            raise InputError(
                located("--columns", None, name, f"unknown field for --format {fmt}; known: {what}")
            )
        if name in mapping:
            raise InputError(located("--columns", None, name, "mapped twice"))
        mapping[name] = col
    if not mapping:
        raise InputError(located("--columns", None, repr(text), "expected NAME=COLUMN,..."))
    return mapping


def import_outcomes(
    path: str | Path,
    format: str,
    *,
    drop_incomplete: bool = False,
    prices: str | Path | None = None,
    score_scale: tuple[float, float] | str | None = None,
    columns: Mapping[str, str] | str | None = None,
    allow_pickle: bool = False,
) -> OutcomeMatrix:
    """Import an outcome file (or folder, or run directory) of ``format`` into a matrix.

    Every problem raises :class:`InputError` naming ``path:line`` or the column.
    """
    entry = importer_entry(format)
    scale = parse_score_scale(score_scale) if isinstance(score_scale, str) else score_scale
    if scale is not None and (len(scale) != 2 or scale[1] <= scale[0]):
        raise InputError(
            located("--score-scale", None, repr(scale), "MAX must be greater than MIN")
        )
    cols = parse_columns(columns, format) if isinstance(columns, str) else dict(columns or {})
    for name in cols:
        if name not in entry.option("fields", ()):
            raise InputError(
                located("--columns", None, name, f"unknown field for --format {format}")
            )
    opts = ImportOptions(
        drop_incomplete=drop_incomplete,
        prices=Path(prices) if prices is not None else None,
        score_scale=scale,
        columns=cols,
        allow_pickle=allow_pickle,
    )
    matrix = entry.obj(Path(path), opts)
    if not isinstance(matrix, OutcomeMatrix):
        raise InputError(
            located(
                "--format",
                None,
                format,
                f"the importer ({entry.source}) returned {type(matrix).__name__}, "
                "not an OutcomeMatrix",
            )
        )
    return matrix


def importer_entry(fmt: str) -> Entry:
    """The importer registered as ``fmt``; ``InputError`` with a did-you-mean otherwise."""
    entry = REGISTRY.lookup("importer", fmt)
    if entry is None:
        raise InputError(f"--format: {REGISTRY.unknown('importer', fmt, what='format')}")
    return entry


def format_fields(fmt: str) -> tuple[str, ...]:
    """The fields ``--columns`` may map for format ``fmt`` (as the importer registered)."""
    return tuple(importer_entry(fmt).option("fields", ()))


def formats() -> tuple[str, ...]:
    """Every registered ``--format`` name, built-ins and plugins."""
    return REGISTRY.names("importer")


@importer("run")
def import_run(path: Path, opts: ImportOptions) -> OutcomeMatrix:
    """A toolkit run directory."""
    _refuse(opts, "run", prices=True, score_scale=True, pickle=True)
    from toolkit.outcomes._run import matrix_from_run

    return matrix_from_run(path, drop_incomplete=opts.drop_incomplete)


def _refuse(
    opts: ImportOptions,
    fmt: str,
    *,
    prices: bool = False,
    score_scale: bool = False,
    pickle: bool = False,
) -> None:
    """Flags that a format does not use are errors, not silently ignored."""
    if prices and opts.prices is not None:
        why = "its cost is used as given" if fmt == "routerbench" else "it has no token counts"
        raise InputError(located("--prices", None, fmt, f"does not apply to --format {fmt}: {why}"))
    if score_scale and opts.score_scale is not None:
        raise InputError(
            located(
                "--score-scale",
                None,
                fmt,
                f"does not apply to --format {fmt}: its scores are already 0/1",
            )
        )
    if pickle and opts.allow_pickle:
        raise InputError(
            located(
                "--allow-pickle", None, fmt, f"does not apply to --format {fmt}: it reads no pickle"
            )
        )


# ----- shared helpers -----


def _apply_columns(table: Table, mapping: Mapping[str, str]) -> None:
    """Rename file columns to the format's field names (``--columns NAME=COL``)."""
    frame = table.frame
    present = [str(c) for c in frame.columns]
    for name, col in mapping.items():
        if col not in present:
            raise InputError(
                located(
                    "--columns",
                    None,
                    f"{name}={col}",
                    f"{table.path} has no column {col!r}; its columns: {', '.join(present)}",
                )
            )
    drop = [name for name in mapping if name in present and name not in mapping.values()]
    if drop:
        frame = frame.drop(columns=drop)
    table.frame = frame.rename(columns={col: name for name, col in mapping.items()})


def _require(table: Table, names: Sequence[str], fmt: str) -> None:
    present = {str(c) for c in table.frame.columns}
    problems = [
        table.column_problem(
            n,
            f"missing column (format {fmt} needs {', '.join(names)}); "
            f"map another column with --columns {n}=COLUMN",
        )
        for n in names
        if n not in present
    ]
    if problems:
        raise InputError(problems[0], problems)


def _strings(series: pd.Series[Any]) -> npt.NDArray[np.object_]:
    """A column as Python strings, with missing values as ``""``."""
    import pandas as pd

    values = series.to_numpy(dtype=object, copy=True)
    na = pd.isna(series).to_numpy()
    values[na] = ""
    out = np.empty(len(values), dtype=object)
    out[:] = [v if isinstance(v, str) else str(v) for v in values]
    return out


def _numbers(table: Table, column: str, problems: list[str]) -> FloatArray:
    """A column as floats; blank cells are NaN (missing); text that is not a number is a problem."""
    import pandas as pd

    series = table.frame[column]
    if series.dtype == bool:
        return np.array(series.to_numpy(dtype=np.float64), dtype=np.float64)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return np.array(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    raw = series.to_numpy(dtype=object)
    blank = pd.isna(series).to_numpy() | np.array(
        [isinstance(v, str) and not v.strip() for v in raw], dtype=bool
    )
    nums = np.array(
        pd.to_numeric(series.where(~blank, None), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        ),
        dtype=np.float64,
    )
    bad = np.flatnonzero(~blank & ~np.isfinite(nums))
    for i in bad[:MAX_CELL_PROBLEMS]:
        problems.append(table.where(int(i), column, f"{raw[i]!r} is not a number"))
    nums[blank] = np.nan
    return nums


def _scale_and_check(
    table: Table,
    rows: npt.NDArray[np.intp],
    scores: FloatArray,
    column: str,
    scale: tuple[float, float] | None,
    problems: list[str],
) -> FloatArray:
    """Map scores with ``--score-scale`` and report those outside [0, 1] at their rows."""
    out = scores if scale is None else (scores - scale[0]) / (scale[1] - scale[0])
    bad = np.flatnonzero(np.isfinite(out) & ((out < 0.0) | (out > 1.0)))
    for k in bad[:MAX_CELL_PROBLEMS]:
        shown = f"{scores[k]:g}"
        if scale is None:
            why = f"score {shown} is outside [0, 1]; pass --score-scale MIN,MAX to map it"
        else:
            why = f"score {shown} is outside --score-scale {scale[0]:g},{scale[1]:g}"
        problems.append(table.where(int(rows[k]), column, why))
    if len(bad) > MAX_CELL_PROBLEMS:
        problems.append(table.column_problem(column, f"{len(bad)} scores out of range in all"))
    return out


def _duplicates(
    table: Table, keys: npt.NDArray[np.object_], what: str, problems: list[str]
) -> None:
    """Report every repeated key at its second (and later) row, naming the first."""
    first: dict[Any, int] = {}
    for i, k in enumerate(keys):
        j = first.setdefault(k, i)
        if j != i:
            line = table.line(j)
            at = f"line {line}" if line is not None else f"row {j + 1}"
            problems.append(table.where(i, what, f"duplicate {k!r}; first at {at}"))
            if len(problems) > MAX_CELL_PROBLEMS:
                return


def _raise(problems: list[str]) -> None:
    if problems:
        raise InputError(problems[0], problems)


def _finish(
    path: Path,
    *,
    task_ids: npt.NDArray[np.object_],
    text: npt.NDArray[np.object_],
    category: npt.NDArray[np.object_],
    split: npt.NDArray[np.object_] | None,
    executors: Sequence[str],
    values: Mapping[str, FloatArray],
    required: Mapping[str, Sequence[str]],
    drop_incomplete: bool,
    notes: list[str],
    source: str,
    by_executor: bool = False,
    absent: int = 0,
) -> OutcomeMatrix:
    """Count missing cells (per column) and drop those tasks or raise; build the matrix.

    ``required`` maps a value name to its per-executor labels. With ``by_executor`` (long
    files, where a column holds every executor) one message per value column gives the count
    and its split by executor; otherwise there is one message per label (a wide file's column).
    """
    n = len(task_ids)
    problems, incomplete = _missing_cells(path, values, required, by_executor, absent)
    if problems and not drop_incomplete:
        raise InputError(problems[0], problems)
    if incomplete.any():
        notes.append(
            f"dropped {int(incomplete.sum())} of {n} tasks with missing cells (--drop-incomplete); "
            f"{int((~incomplete).sum())} remain"
        )
        keep = ~incomplete
        if not keep.any():
            raise InputError(
                located(path, None, "tasks", "every task has missing cells; nothing is left")
            )
    else:
        keep = np.ones(n, dtype=bool)
    m = len(executors)
    nan = np.full((n, m), np.nan)
    try:
        return OutcomeMatrix(
            task_ids=task_ids[keep],
            text=text[keep],
            category=category[keep],
            splits=(split if split is not None else np.full(n, "", dtype=object))[keep],
            executors=tuple(executors),
            score=values["score"][keep],
            cost_usd=values.get("cost_usd", nan)[keep],
            latency_s=values.get("latency_s", nan)[keep],
            tokens_in=values.get("tokens_in", nan)[keep],
            tokens_out=values.get("tokens_out", nan)[keep],
            notes=tuple(notes),
            source=source,
        )
    except ValueError as exc:
        raise InputError(located(path, None, "outcomes", str(exc))) from None


def _missing_cells(
    path: Path,
    values: Mapping[str, FloatArray],
    required: Mapping[str, Sequence[str]],
    by_executor: bool,
    absent: int,
) -> tuple[list[str], npt.NDArray[np.bool_]]:
    """Messages counting the missing (NaN) cells per column, and the tasks that have any."""
    n = len(next(iter(values.values())))
    incomplete = np.zeros(n, dtype=bool)
    counts: list[tuple[str, str]] = []
    for name, labels in required.items():
        miss = np.isnan(values[name])
        incomplete |= miss.any(axis=1)
        per = [(label, int(miss[:, j].sum())) for j, label in enumerate(labels)]
        if by_executor:
            total = sum(k for _, k in per)
            if total:
                detail = ", ".join(f"{label}: {k}" for label, k in per if k)
                counts.append((name, f"{total} missing cells ({detail})"))
        else:
            counts.extend((label, f"{k} missing cells") for label, k in per if k)
    if not counts:
        return [], incomplete
    problems = [located(path, None, label, what) for label, what in counts]
    if absent:
        problems.append(
            located(path, None, "rows", f"{absent} task x model pairs have no row at all")
        )
    problems.append(
        located(
            path,
            None,
            "missing cells",
            f"{int(incomplete.sum())} of {n} tasks have missing cells; pass --drop-incomplete "
            "to drop those tasks",
        )
    )
    return problems, incomplete


# ----- routerbench -----


@importer("routerbench", fields=("sample_id", "prompt", "eval_name"))
def import_routerbench(path: Path, opts: ImportOptions) -> OutcomeMatrix:
    """RouterBench's wide CSV or pickle."""
    _refuse(opts, "routerbench", prices=True)
    table = read_any(path, allow_pickle=opts.allow_pickle, kinds=("csv", "pickle"))
    if path.suffix.lower() in PICKLE_SUFFIXES:
        table.frame.columns = [str(c) for c in table.frame.columns]
    _apply_columns(table, opts.columns)
    _require(table, ("sample_id", "prompt", "eval_name"), "routerbench")
    frame = table.frame
    cols = [str(c) for c in frame.columns]
    models: list[str] = []
    for c in cols:
        if "|" in c:
            prefix, _, suffix = c.rpartition("|")
            if suffix in ("model_response", "total_cost") and prefix not in models:
                models.append(prefix)
    if not models:
        raise InputError(
            table.column_problem(
                "columns",
                "no model columns found; RouterBench files have <m>, <m>|model_response and "
                "<m>|total_cost per model",
            )
        )
    problems: list[str] = []
    for m in models:
        for c in (m, f"{m}|total_cost"):
            if c not in cols:
                problems.append(table.column_problem(c, f"missing column for model {m!r}"))
    _raise(problems)
    n = len(frame)
    rows = np.arange(n)
    ids = _strings(frame["sample_id"])
    blank_ids = np.flatnonzero(ids == "")
    for i in blank_ids[:MAX_CELL_PROBLEMS]:
        problems.append(table.where(int(i), "sample_id", "is empty"))
    _duplicates(table, ids, "sample_id", problems)
    score = np.empty((n, len(models)))
    cost = np.empty((n, len(models)))
    for j, m in enumerate(models):
        raw = _numbers(table, m, problems)
        score[:, j] = _scale_and_check(table, rows, raw, m, opts.score_scale, problems)
        cost[:, j] = _numbers(table, f"{m}|total_cost", problems)
        neg = np.flatnonzero(cost[:, j] < 0)
        for i in neg[:MAX_CELL_PROBLEMS]:
            problems.append(
                table.where(int(i), f"{m}|total_cost", f"cost {cost[i, j]:g} is negative")
            )
    _raise(problems)
    notes = [
        "RouterBench costs are used as given; routing costs are not in the data",
        "latency is not in RouterBench data (unknown)",
    ]
    return _finish(
        path,
        task_ids=ids,
        text=_strings(frame["prompt"]),
        category=_strings(frame["eval_name"]),
        split=None,
        executors=models,
        values={"score": score, "cost_usd": cost},
        required={"score": models, "cost_usd": [f"{m}|total_cost" for m in models]},
        drop_incomplete=opts.drop_incomplete,
        notes=notes,
        source=f"routerbench:{path}",
    )


# ----- routellm -----

_TRUE = {"true", "1", "1.0", "yes"}
_FALSE = {"false", "0", "0.0", "no"}


def _booleans(table: Table, column: str, problems: list[str]) -> FloatArray:
    import pandas as pd

    series = table.frame[column]
    if series.dtype == bool:
        return series.to_numpy(dtype=np.float64)
    raw = series.to_numpy(dtype=object)
    na = pd.isna(series).to_numpy()
    out = np.full(len(raw), np.nan)
    for i, v in enumerate(raw):
        if na[i]:
            continue
        s = str(v).strip().lower()
        if not s:
            continue
        if s in _TRUE:
            out[i] = 1.0
        elif s in _FALSE:
            out[i] = 0.0
        elif len(problems) < MAX_CELL_PROBLEMS:
            problems.append(table.where(i, column, f"{v!r} is not True/False"))
    return out


def stable_task_id(subject: str, prompt: str) -> str:
    """The task id RouteLLM rows get: a stable hash of subject and prompt."""
    return hashlib.sha256(f"{subject}\x00{prompt}".encode()).hexdigest()[:16]


@importer("routellm", fields=("prompt",))
def import_routellm(path: Path, opts: ImportOptions) -> OutcomeMatrix:
    """RouteLLM's wide True/False CSV, or a folder of them (one per subject)."""
    _refuse(opts, "routellm", prices=True, score_scale=True, pickle=True)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
        if not files:
            raise InputError(located(path, None, "folder", "holds no .csv files"))
    elif path.exists():
        if path.suffix.lower() != ".csv":
            raise InputError(
                located(path, None, "file", "expected a .csv file or a folder of them")
            )
        files = [path]
    else:
        raise InputError(located(path, None, "file", "not found"))
    models: list[str] | None = None
    first_file: Path | None = None
    ids: list[Any] = []
    texts: list[Any] = []
    cats: list[Any] = []
    scores: list[FloatArray] = []
    problems: list[str] = []
    seen: dict[str, tuple[Table, int]] = {}
    for f in files:
        table = read_csv(f)
        _apply_columns(table, opts.columns)
        _require(table, ("prompt",), "routellm")
        cols = [str(c) for c in table.frame.columns]
        here = [
            c
            for c in cols
            if c != "prompt"
            and not c.startswith("Unnamed:")
            and not (c.endswith("_response") and c[: -len("_response")] in cols)
        ]
        if not here:
            raise InputError(
                table.column_problem(
                    "columns", "no model columns; expected prompt,<model_a>,<model_b>"
                )
            )
        if models is None:
            models, first_file = here, f
        elif sorted(here) != sorted(models):
            raise InputError(
                table.column_problem(
                    "columns",
                    f"models {', '.join(here)} differ from {', '.join(models)} in {first_file}",
                )
            )
        subject = f.stem
        prompts = _strings(table.frame["prompt"])
        tid = np.array([stable_task_id(subject, p) for p in prompts], dtype=object)
        for i, t in enumerate(tid):
            if not prompts[i]:
                problems.append(table.where(i, "prompt", "is empty"))
            if t in seen:
                ft, fi = seen[t]
                at = f"{ft.path}:{ft.line(fi)}"
                problems.append(
                    table.where(
                        i, "prompt", f"duplicate prompt in subject {subject!r}; first at {at}"
                    )
                )
            else:
                seen[t] = (table, i)
        block = np.column_stack([_booleans(table, m, problems) for m in models])
        ids.extend(tid)
        texts.extend(prompts)
        cats.extend([subject] * len(prompts))
        scores.append(block)
    _raise(problems)
    assert models is not None

    def arr(xs: list[Any]) -> npt.NDArray[np.object_]:
        return np.array(xs, dtype=object)

    notes = [
        "RouteLLM data has no cost: cost is unknown, and evaluation uses the share of calls to "
        "the strong executor as the cost axis, as RouteLLM does",
        "latency and tokens are not in RouteLLM data (unknown)",
    ]
    return _finish(
        path,
        task_ids=arr(ids),
        text=arr(texts),
        category=arr(cats),
        split=None,
        executors=models,
        values={"score": np.vstack(scores)},
        required={"score": models},
        drop_incomplete=opts.drop_incomplete,
        notes=notes,
        source=f"routellm:{path}",
    )


# ----- long -----


@importer("long", fields=LONG_FIELDS)
def import_long(path: Path, opts: ImportOptions) -> OutcomeMatrix:
    """One row per prompt x model: CSV, JSONL or parquet."""
    _refuse(opts, "long", pickle=True)
    import pandas as pd

    table = read_any(path, kinds=("csv", "jsonl", "parquet"))
    table.frame.columns = [str(c) for c in table.frame.columns]
    _apply_columns(table, opts.columns)
    _require(table, LONG_REQUIRED, "long")
    frame = table.frame
    cols = set(frame.columns)
    problems: list[str] = []
    pid = _strings(frame["prompt_id"])
    model = _strings(frame["model"])
    for i in np.flatnonzero(pid == "")[:MAX_CELL_PROBLEMS]:
        problems.append(table.where(int(i), "prompt_id", "is empty"))
    for i in np.flatnonzero(model == "")[:MAX_CELL_PROBLEMS]:
        problems.append(table.where(int(i), "model", "is empty"))
    _raise(problems)
    pair = np.array([f"{a}\x00{b}" for a, b in zip(pid, model, strict=True)], dtype=object)
    first: dict[str, int] = {}
    for i, k in enumerate(pair):
        j = first.setdefault(k, i)
        if j != i:
            line = table.line(j)
            at = f"line {line}" if line is not None else f"row {j + 1}"
            problems.append(
                table.where(
                    i,
                    "prompt_id",
                    f"duplicate row for prompt {pid[i]!r} and model {model[i]!r}; first at {at}",
                )
            )
            if len(problems) > MAX_CELL_PROBLEMS:
                break
    _raise(problems)
    t_codes, t_uniques = pd.factorize(pd.Series(pid))
    m_codes, m_uniques = pd.factorize(pd.Series(model))
    executors = [str(x) for x in m_uniques]
    n, m = len(t_uniques), len(executors)
    rows = np.arange(len(frame))
    # Per-task fields: the first row of each task gives them; any other row must agree.
    first_row = np.full(n, -1)
    first_row[t_codes[::-1]] = rows[::-1]
    text_col = _strings(frame["prompt"])
    cat_col = _strings(frame["category"])
    split_col = _strings(frame["split"]) if "split" in cols else None
    for name, col in (("prompt", text_col), ("category", cat_col), ("split", split_col)):
        if col is None:
            continue
        differ = np.flatnonzero(col != col[first_row[t_codes]])
        for i in differ[:MAX_CELL_PROBLEMS]:
            j = int(first_row[t_codes[i]])
            line = table.line(j)
            at = f"line {line}" if line is not None else f"row {j + 1}"
            problems.append(
                table.where(int(i), name, f"differs from the value for prompt {pid[i]!r} at {at}")
            )
    _raise(problems)
    score_raw = _numbers(table, "score", problems)
    score_rows = _scale_and_check(table, rows, score_raw, "score", opts.score_scale, problems)
    row_values: dict[str, FloatArray] = {"score": score_rows}
    for name in LONG_VALUES:
        if name in cols:
            row_values[name] = _numbers(table, name, problems)
            neg = np.flatnonzero(row_values[name] < 0)
            for i in neg[:MAX_CELL_PROBLEMS]:
                problems.append(table.where(int(i), name, f"{row_values[name][i]:g} is negative"))
    _raise(problems)
    notes: list[str] = []
    # Price the calls whose cost is missing, from their tokens.
    cost = row_values.get("cost_usd", np.full(len(frame), np.nan))
    need = np.isnan(cost)
    if need.any():
        have_tokens = "tokens_in" in row_values and "tokens_out" in row_values
        if not have_tokens:
            raise InputError(
                table.column_problem(
                    "cost_usd",
                    "missing, and there are no tokens_in/tokens_out columns to price the calls "
                    "from; add cost_usd, or map columns with --columns cost_usd=COL or "
                    "tokens_in=COL,tokens_out=COL",
                )
            )
        tin, tout = row_values["tokens_in"], row_values["tokens_out"]
        to_price = sorted({executors[k] for k in np.unique(m_codes[need])}, key=executors.index)
        from toolkit.models import PriceTable

        registry = PriceTable.load(opts.prices)  # litellm's cost map + --prices
        found = {e: p for e in to_price if (p := registry.find(e)) is not None}
        missing = [e for e in to_price if e not in found]
        if missing:
            how = (
                'add them to a --prices TOML in USD per million tokens: [models."NAME"] '
                "input_per_mtok = ..., output_per_mtok = ..."
            )
            problems = [
                located(
                    path, None, "model", f"{name!r} has no price in litellm's cost map or --prices"
                )
                for name in missing
            ]
            problems.append(located(path, None, "prices", f"{len(missing)} unpriced models; {how}"))
            if not opts.drop_incomplete:
                problems.extend(_long_missing(row_values, t_codes, m_codes, n, m, path, executors))
            raise InputError(problems[0], problems)
        pin = np.array([found[e].input_per_mtok if e in found else np.nan for e in executors])
        pout = np.array([found[e].output_per_mtok if e in found else np.nan for e in executors])
        priced = (tin * pin[m_codes] + tout * pout[m_codes]) / 1e6
        cost = np.where(need, priced, cost)
        row_values["cost_usd"] = cost
        by_source: dict[str, list[str]] = {}
        for e in to_price:
            by_source.setdefault(found[e].source, []).append(e)
        srcs = "; ".join(f"{src}: {', '.join(ms)}" for src, ms in by_source.items())
        notes.append(f"priced {int(need.sum())} calls that had no cost from their tokens ({srcs})")
    if "latency_s" not in row_values:
        notes.append("latency is not in the data (unknown)")
    values = _long_matrices(row_values, t_codes, m_codes, n, m)
    required = {name: list(executors) for name in values}
    return _finish(
        path,
        task_ids=np.array([str(x) for x in t_uniques], dtype=object),
        text=text_col[first_row],
        category=cat_col[first_row],
        split=split_col[first_row] if split_col is not None else None,
        executors=executors,
        values=values,
        required=required,
        drop_incomplete=opts.drop_incomplete,
        notes=notes,
        source=f"long:{path}",
        by_executor=True,
        absent=n * m - len(frame),
    )


def _long_matrices(
    row_values: Mapping[str, FloatArray],
    t_codes: npt.NDArray[np.intp],
    m_codes: npt.NDArray[np.intp],
    n: int,
    m: int,
) -> dict[str, FloatArray]:
    """Scatter per-row values into task x executor matrices (NaN where no row)."""
    values: dict[str, FloatArray] = {}
    for name, vals in row_values.items():
        mat = np.full((n, m), np.nan)
        mat[t_codes, m_codes] = vals
        values[name] = mat
    return values


def _long_missing(
    row_values: Mapping[str, FloatArray],
    t_codes: npt.NDArray[np.intp],
    m_codes: npt.NDArray[np.intp],
    n: int,
    m: int,
    path: Path,
    executors: Sequence[str],
) -> list[str]:
    """The missing-cell messages of a long file (cost left out: it is being priced)."""
    values = _long_matrices(
        {k: v for k, v in row_values.items() if k != "cost_usd"}, t_codes, m_codes, n, m
    )
    required = {name: list(executors) for name in values}
    problems, _ = _missing_cells(path, values, required, True, n * m - len(t_codes))
    return problems
