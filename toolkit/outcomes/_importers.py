"""Importers of public outcome formats into an :class:`OutcomeMatrix`.

Formats (``toolkit outcomes import PATH --format F``; docs/importing.md has every one):

- ``routerbench``: RouterBench's wide CSV or pickle: ``sample_id, prompt, eval_name,
  oracle_model_to_route_to``, then per model ``<m>`` (score), ``<m>|model_response``,
  ``<m>|total_cost``. Other columns are ignored; the cost is used as given.
- ``routellm``: RouteLLM's wide CSV ``prompt, <model_a>, <model_b>`` with True/False
  correctness (optional ``<m>_response``); one file or a folder of them, one per subject.
- ``long``: one row per prompt x model (CSV, JSONL, a JSON array or parquet).
- ``run``: the toolkit's own run directory.

The published formats of other projects (RouteLLM's MT-Bench, RouterDC, RouterArena,
AlpacaEval, ZeroEval, arena-hard) are in :mod:`toolkit.outcomes._published`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from toolkit._errors import InputError, located
from toolkit.outcomes._assemble import finish, missing_cells, price_sources, prices_for
from toolkit.outcomes._dedupe import resolve_duplicates
from toolkit.outcomes._matrix import OutcomeMatrix
from toolkit.outcomes._options import (
    DUPLICATES,
    MAX_MISSING,
    ImportOptions,
    drop_mode,
    parse_cost_rank,
    parse_score_scale,
)
from toolkit.outcomes._tables import PICKLE_SUFFIXES, Table, concat, read_any, read_csv
from toolkit.registry import REGISTRY, Entry, importer, plugin_failure

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.object_]

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
    "response",
)

LONG_REQUIRED = ("prompt_id", "prompt", "category", "model", "score")
LONG_VALUES = ("tokens_in", "tokens_out", "cost_usd", "latency_s")
MAX_CELL_PROBLEMS = 200
#: Largest cost (USD), token count or latency (s) one call may have: a larger value is no
#: measurement, and sums over such values overflow to infinity.
MAX_CALL_VALUE = 1e12
#: Out-of-range scores up to this share of a column are "a few stray values" (--clip-scores)
STRAY_SHARE = 0.01


def parse_columns(text: str, fmt: str) -> dict[str, str]:
    """Parse ``NAME=COL,...`` for ``--columns``: NAME is one of the format's fields; COL may
    be a dotted path into nested JSON, and one COL may feed several NAMEs."""
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
    drop_incomplete: bool | str = False,
    prices: str | Path | None = None,
    score_scale: tuple[float, float] | str | None = None,
    columns: Mapping[str, str] | str | None = None,
    allow_pickle: bool = False,
    duplicates: str = "auto",
    cost_axis: str | None = None,
    cost_rank: Sequence[str] | str | None = None,
    clip_scores: bool = False,
    max_missing: float = MAX_MISSING,
    questions: str | Path | None = None,
    scorer: str | None = None,
    raw_scores: bool = False,
    summary: str | Path | None = None,
) -> OutcomeMatrix:
    """Import an outcome file (or folder, or run directory) of ``format`` into a matrix.

    Every problem raises :class:`InputError` naming ``path:line`` or the column. The matrix
    records its provenance (format, source files with their sha256, flags, notes).
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
    if duplicates not in DUPLICATES:
        raise InputError(
            located("--duplicates", None, repr(duplicates), f"expected {', '.join(DUPLICATES)}")
        )
    if not 0.0 <= max_missing < 1.0:
        raise InputError(
            located("--max-missing", None, repr(max_missing), "expected a share in [0, 1)")
        )
    rank = parse_cost_rank(cost_rank) if isinstance(cost_rank, str) else tuple(cost_rank or ())
    if raw_scores and format != "routerdc":
        raise InputError(located("--raw-scores", None, format, "applies to --format routerdc only"))
    if summary is not None and format != "zeroeval":
        raise InputError(located("--summary", None, format, "applies to --format zeroeval only"))
    opts = ImportOptions(
        drop_incomplete=drop_mode(drop_incomplete),
        prices=Path(prices) if prices is not None else None,
        score_scale=scale,
        columns=cols,
        allow_pickle=allow_pickle,
        duplicates=duplicates,
        cost_axis=cost_axis,
        cost_rank=rank,
        clip_scores=clip_scores,
        raw_scores=raw_scores,
        max_missing=max_missing,
        questions=Path(questions) if questions is not None else None,
        scorer=scorer,
        summary=Path(summary) if summary is not None else None,
    )
    src = Path(path)
    with plugin_failure("importer", format, f"on {src}"):
        matrix = entry.obj(src, opts)
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
    files = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
    if opts.questions is not None:
        files.append(opts.questions)
    provenance = {
        "format": format,
        "importer": entry.source,
        "path": str(src),
        "sources": [{"path": str(f), "sha256": sha256_of(f)} for f in files],
        "flags": opts.flags(),
        "notes": list(matrix.notes),
    }
    return replace(matrix, provenance=provenance)


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    refuse(opts, "run", prices=True, score_scale=True, pickle=True)
    if opts.drop_incomplete not in ("", "tasks"):
        raise InputError(
            located(
                "--drop-incomplete",
                None,
                opts.drop_incomplete,
                "--format run drops tasks only (a bare --drop-incomplete)",
            )
        )
    return OutcomeMatrix.from_run(path, drop_incomplete=bool(opts.drop_incomplete))


def refuse(
    opts: ImportOptions,
    fmt: str,
    *,
    prices: bool = False,
    score_scale: bool = False,
    pickle: bool = False,
    questions: bool = True,
    scorer: bool = True,
) -> None:
    """Flags that a format does not use are errors, not silently ignored."""
    if prices and opts.prices is not None and opts.cost_axis != "tokens":
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
    if questions and opts.questions is not None:
        raise InputError(
            located(
                "--questions",
                None,
                fmt,
                f"does not apply to --format {fmt}: only routellm-mtbench and arena-hard read a "
                "question file",
            )
        )
    if scorer and opts.scorer is not None:
        raise InputError(
            located("--scorer", None, fmt, f"does not apply to --format {fmt}: it has scores")
        )


# ----- shared helpers -----


def apply_columns(
    table: Table, mapping: Mapping[str, str], defaults: Mapping[str, str] | None = None
) -> None:
    """Copy file columns (or dotted paths into nested JSON) to the format's field names.

    ``mapping`` is ``--columns NAME=COL``: COL must exist. ``defaults`` are a format's own
    names, used where the file has them and ``--columns`` does not map the field. One column
    may feed several fields.
    """
    present = [str(c) for c in table.frame.columns]
    for name, col in mapping.items():
        if not table.has(col):
            raise InputError(
                located(
                    "--columns",
                    None,
                    f"{name}={col}",
                    f"{table.path} has no column {col!r}; its columns: {', '.join(present)}",
                )
            )
    chosen = {**{k: v for k, v in (defaults or {}).items() if table.has(v)}, **mapping}
    if not chosen:
        return
    frame = table.frame.copy() if chosen else table.frame
    values = {name: table.column(col) for name, col in chosen.items()}
    for name, series in values.items():
        frame[name] = series.to_numpy()
    table.frame = frame


def require(table: Table, names: Sequence[str], fmt: str) -> None:
    """Every column in ``names`` is present, or an InputError naming each missing one."""
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


def strings(series: pd.Series[Any]) -> npt.NDArray[np.object_]:
    """A column as Python strings, with missing values as ``""``."""
    import pandas as pd

    if series.dtype != object and pd.api.types.is_string_dtype(series.dtype):
        # arrow-backed text: one Python string per distinct value, not one per row (memory)
        codes, uniques = pd.factorize(series)
        values = np.append(np.asarray(uniques.to_numpy(dtype=object), dtype=object), "")
        return np.asarray(values[codes], dtype=object)  # a missing value (code -1) is ""
    values = series.to_numpy(dtype=object, copy=True)
    na = pd.isna(series).to_numpy()
    values[na] = ""
    out = np.empty(len(values), dtype=object)
    out[:] = [v if isinstance(v, str) else str(v) for v in values]
    return out


def numbers(
    table: Table, column: str, problems: list[str], *, limit: float | None = None
) -> FloatArray:
    """A column as floats; blank cells are NaN (missing). Text that is not a number, an
    infinite value, a value above ``limit`` and, in JSON, a string or a boolean where a number
    belongs are problems, located."""
    import pandas as pd

    series = table.frame[column]
    raw = series.to_numpy(dtype=object)
    typed = table.kind in ("json", "jsonl")  # JSON types its values: "1" and true are not numbers
    if series.dtype == bool:
        nums = np.array(series.to_numpy(dtype=np.float64), dtype=np.float64)
        bad = np.arange(len(raw)) if typed else np.array([], dtype=np.intp)
    elif pd.api.types.is_numeric_dtype(series.dtype):
        nums = np.array(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
        bad = np.array([], dtype=np.intp)
    else:
        na = pd.isna(series).to_numpy()
        blank = na | np.array([isinstance(v, str) and not v.strip() for v in raw], dtype=bool)
        wrong = (
            ~blank & np.array([isinstance(v, (bool, str, dict, list)) for v in raw], dtype=bool)
            if typed
            else np.zeros(len(raw), dtype=bool)
        )
        clean = series.where(~blank & ~wrong, None)
        nums = np.array(
            pd.to_numeric(clean, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan),
            dtype=np.float64,
        )
        bad = np.flatnonzero(~blank & (wrong | np.isnan(nums)))
        nums[blank | wrong] = np.nan
    for i in bad[:MAX_CELL_PROBLEMS]:
        problems.append(table.where(int(i), column, _not_a_number(raw[i], typed)))
    endless = np.flatnonzero(np.isinf(nums))
    for i in endless[:MAX_CELL_PROBLEMS]:
        shown = (
            repr(raw[i]) if isinstance(raw[i], str) else ("-" if nums[i] < 0 else "") + "Infinity"
        )
        problems.append(
            table.where(int(i), column, f"{shown} is not a finite number; a value must be finite")
        )
    if limit is not None:
        for i in np.flatnonzero(np.abs(nums) > limit)[:MAX_CELL_PROBLEMS]:
            if np.isfinite(nums[i]):
                problems.append(table.where(int(i), column, _too_large(nums[i], limit)))
    return nums


def _not_a_number(value: Any, typed: bool) -> str:
    if typed and isinstance(value, bool):
        return f"{str(value).lower()} is a boolean; a number belongs here (1 or 0)"
    if typed and isinstance(value, str):
        return f"{value!r} is a string; a number belongs here (write it without quotes)"
    if typed and isinstance(value, (dict, list)):
        return (
            f"is a JSON {'object' if isinstance(value, dict) else 'array'}; a number belongs here"
        )
    return f"{value!r} is not a number"


def _too_large(value: float, limit: float) -> str:
    return (
        f"{value:g} is above {limit:g}: not a measured cost, token count or latency "
        "(totals over such values overflow)"
    )


def scale_and_check(
    table: Table,
    rows: npt.NDArray[np.intp],
    scores: FloatArray,
    column: str,
    opts: ImportOptions,
    problems: list[str],
    notes: list[str],
) -> FloatArray:
    """Map scores with ``--score-scale``, clip them with ``--clip-scores`` (counted in a note)
    or report those outside [0, 1] at their rows, saying whether clipping or a scale fits."""
    scale = opts.score_scale
    out = scores if scale is None else (scores - scale[0]) / (scale[1] - scale[0])
    finite = np.isfinite(out)
    bad = np.flatnonzero(finite & ((out < 0.0) | (out > 1.0)))
    if not len(bad):
        return out
    if opts.clip_scores:
        excess = float(np.max(np.maximum(out[bad] - 1.0, -out[bad])))
        notes.append(
            f"clipped {len(bad)} of {int(finite.sum())} "
            + ("scores" if column == "score" else f"{column} scores")
            + " outside [0, 1] to the "
            f"nearest bound (--clip-scores; at most {excess:.3g} outside)"
        )
        return np.clip(out, 0.0, 1.0)
    stray = len(bad) <= max(1, STRAY_SHARE * int(finite.sum()))
    if stray:
        fit = (
            f"--clip-scores fits ({len(bad)} of {int(finite.sum())} scores, a few stray values); "
            "--score-scale MIN,MAX would rescale every score"
        )
    else:
        fit = (
            f"--score-scale MIN,MAX fits ({len(bad)} of {int(finite.sum())} scores are out: the "
            "scale differs, e.g. 1,10); --clip-scores is for a few stray values"
        )
    for k in bad[:MAX_CELL_PROBLEMS]:
        shown = f"{scores[k]:g}"
        where = "[0, 1]" if scale is None else f"--score-scale {scale[0]:g},{scale[1]:g}"
        problems.append(
            table.where(int(rows[k]), column, f"score {shown} is outside {where}; {fit}")
        )
    if len(bad) > MAX_CELL_PROBLEMS:
        problems.append(table.column_problem(column, f"{len(bad)} scores out of range in all"))
    return out


def raise_problems(problems: list[str]) -> None:
    """Raise the problems found, if any, as one InputError."""
    if problems:
        raise InputError(problems[0], problems)


def row_signature(table: Table) -> Any:
    """``signature(i)``: row ``i``'s every field (index columns left out), for duplicates."""
    cols = [c for c in table.frame.columns if not str(c).startswith("Unnamed:")]
    frame = table.frame[cols]

    def signature(i: int) -> tuple[str, ...]:
        return tuple(repr(v) for v in frame.iloc[i].tolist())

    return signature


# ----- routerbench -----


_SPLIT_NAME = re.compile(r"[-_](train|test)$")


def _routerbench_models(table: Table) -> list[str]:
    """The model names of a wide RouterBench table (columns <m>|model_response, <m>|total_cost)."""
    models: list[str] = []
    for c in (str(c) for c in table.frame.columns):
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
    return models


def _routerbench_file(path: Path, opts: ImportOptions) -> Table:
    table = read_any(path, allow_pickle=opts.allow_pickle, kinds=("csv", "pickle"))
    if path.suffix.lower() in PICKLE_SUFFIXES:
        table.frame.columns = [str(c) for c in table.frame.columns]
    apply_columns(table, opts.columns)
    require(table, ("sample_id", "prompt", "eval_name"), "routerbench")
    return table


def _routerbench_table(path: Path, opts: ImportOptions) -> tuple[Table, StrArray | None]:
    """One file's table, or a folder's files as one (each with the same models), and the
    split from the file names when every one ends in _train or _test."""
    if not path.is_dir():
        return _routerbench_file(path, opts), None
    wanted = {".csv", *(PICKLE_SUFFIXES if opts.allow_pickle else ())}
    files = sorted(f for f in path.iterdir() if f.is_file() and f.suffix.lower() in wanted)
    if not files:
        raise InputError(located(path, None, "folder", "holds no RouterBench .csv files"))
    tables = [_routerbench_file(f, opts) for f in files]
    first = _routerbench_models(tables[0])
    problems = []
    for t in tables[1:]:
        have = _routerbench_models(t)
        if set(have) != set(first):
            lacks, adds = sorted(set(first) - set(have)), sorted(set(have) - set(first))
            what = "; ".join(
                x
                for x in (
                    f"lacks {', '.join(lacks)}" if lacks else "",
                    f"adds {', '.join(adds)}" if adds else "",
                )
                if x
            )
            problems.append(
                located(
                    t.path,
                    None,
                    "executors",
                    f"{what} (against {files[0].name}): every file must have the same models",
                )
            )
    raise_problems(problems)
    splits = [_SPLIT_NAME.search(f.stem) for f in files]
    if any(splits) and not all(splits):
        odd = ", ".join(f.name for f, hit in zip(files, splits, strict=True) if not hit)
        raise InputError(
            located(
                path,
                None,
                "split",
                f"some file names end in _train or _test and these do not: {odd}; name every "
                "file so, or none",
            )
        )
    table = concat(tables, path)
    if not all(splits):
        return table, None
    split = np.array(
        [
            hit.group(1)
            for t, hit in zip(tables, splits, strict=True)
            if hit is not None
            for _ in range(len(t.frame))
        ],
        dtype=object,
    )
    return table, split


@importer("routerbench", fields=("sample_id", "prompt", "eval_name"))
def import_routerbench(path: Path, opts: ImportOptions) -> OutcomeMatrix:
    """RouterBench's wide CSV or pickle, or a folder of them (RouterDC's routerbench_zs/):
    each file must have the same models; ``_train``/``_test`` file names give the split."""
    refuse(opts, "routerbench", prices=True)
    table, split = _routerbench_table(path, opts)
    frame = table.frame
    cols = [str(c) for c in frame.columns]
    models = _routerbench_models(table)
    problems: list[str] = []
    for m in models:
        for c in (m, f"{m}|total_cost"):
            if c not in cols:
                problems.append(table.column_problem(c, f"missing column for model {m!r}"))
    raise_problems(problems)
    n = len(frame)
    rows = np.arange(n)
    ids = strings(frame["sample_id"])
    for i in np.flatnonzero(ids == "")[:MAX_CELL_PROBLEMS]:
        problems.append(table.where(int(i), "sample_id", "is empty"))
    raise_problems(problems)
    text = strings(frame["prompt"])
    dup = resolve_duplicates(
        table, ids, text, row_signature(table), mode=opts.duplicates, has_ids=True, what="sample_id"
    )
    raise_problems(dup.problems)
    notes: list[str] = []
    score = np.empty((n, len(models)))
    cost = np.empty((n, len(models)))
    for j, m in enumerate(models):
        raw = numbers(table, m, problems)
        score[:, j] = scale_and_check(table, rows, raw, m, opts, problems, notes)
        cost[:, j] = numbers(table, f"{m}|total_cost", problems, limit=MAX_CALL_VALUE)
        for i in np.flatnonzero(cost[:, j] < 0)[:MAX_CELL_PROBLEMS]:
            problems.append(
                table.where(int(i), f"{m}|total_cost", f"cost {cost[i, j]:g} is negative")
            )
    raise_problems(problems)
    keep = dup.keep
    responses = np.column_stack(
        [
            strings(frame[f"{m}|model_response"])
            if f"{m}|model_response" in cols
            else np.full(n, "", dtype=object)
            for m in models
        ]
    )
    notes = [
        *dup.notes,
        *notes,
        "RouterBench costs are used as given; routing costs are not in the data",
        "latency is not in RouterBench data (unknown)",
    ]
    return finish(
        path,
        opts,
        task_ids=dup.ids[keep],
        text=text[keep],
        category=strings(frame["eval_name"])[keep],
        split=None if split is None else split[keep],
        executors=models,
        values={"score": score[keep], "cost_usd": cost[keep]},
        required={"score": models, "cost_usd": [f"{m}|total_cost" for m in models]},
        notes=notes,
        source=f"routerbench:{path}",
        responses=responses[keep],
    )


# ----- routellm -----

_TRUE = {"true", "1", "1.0", "yes"}
_FALSE = {"false", "0", "0.0", "no"}


def booleans(table: Table, column: str, problems: list[str]) -> FloatArray:
    """A True/False column as 1.0/0.0 (blank: NaN); other text is a problem."""
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
    refuse(opts, "routellm", prices=True, score_scale=True, pickle=True)
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
    answers: list[npt.NDArray[np.object_]] = []
    keeps: list[npt.NDArray[np.bool_]] = []
    problems: list[str] = []
    notes: list[str] = []
    for f in files:
        table = read_csv(f)
        apply_columns(table, opts.columns)
        require(table, ("prompt",), "routellm")
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
        prompts = strings(table.frame["prompt"])
        for i in np.flatnonzero(prompts == "")[:MAX_CELL_PROBLEMS]:
            problems.append(table.where(int(i), "prompt", "is empty"))
        tid = np.array([stable_task_id(subject, p) for p in prompts], dtype=object)
        dup = resolve_duplicates(
            table,
            tid,
            prompts,
            row_signature(table),
            mode=opts.duplicates,
            has_ids=False,
            what="prompt",
        )
        problems.extend(dup.problems)
        notes.extend(f"{f.name}: {note}" for note in dup.notes)
        ids.extend(dup.ids)
        keeps.append(dup.keep)
        texts.extend(prompts)
        cats.extend([subject] * len(prompts))
        scores.append(np.column_stack([booleans(table, m, problems) for m in models]))
        answers.append(
            np.column_stack(
                [
                    strings(table.frame[f"{m}_response"])
                    if f"{m}_response" in cols
                    else np.full(len(prompts), "", dtype=object)
                    for m in models
                ]
            )
        )
    raise_problems(problems)
    assert models is not None
    keep = np.concatenate(keeps)

    def arr(xs: list[Any]) -> npt.NDArray[np.object_]:
        return np.array(xs, dtype=object)[keep]

    notes.append("latency and tokens are not in RouteLLM data (unknown)")
    return finish(
        path,
        opts,
        task_ids=arr(ids),
        text=arr(texts),
        category=arr(cats),
        split=None,
        executors=models,
        values={"score": np.vstack(scores)[keep]},
        required={"score": models},
        notes=notes,
        source=f"routellm:{path}",
        responses=np.vstack(answers)[keep],
    )


# ----- long -----


@importer("long", fields=LONG_FIELDS)
def import_long(path: Path, opts: ImportOptions) -> OutcomeMatrix:
    """One row per prompt x model: CSV, JSONL, a JSON array or parquet."""
    refuse(opts, "long", pickle=True)
    table = read_any(path, kinds=("csv", "jsonl", "json", "parquet"))
    table.frame.columns = [str(c) for c in table.frame.columns]
    apply_columns(table, opts.columns)
    require(table, LONG_REQUIRED, "long")
    return long_matrix(table, opts, source=f"long:{path}")


def long_matrix(
    table: Table,
    opts: ImportOptions,
    *,
    source: str,
    notes: Sequence[str] = (),
    has_ids: bool = True,
    scores: FloatArray | None = None,
) -> OutcomeMatrix:
    """The matrix of a table in the long layout (the ``long`` fields; ``category`` optional).

    Every published per-instance format ends here. ``scores`` (one per row) replaces the
    ``score`` column where an importer computed them (a preference, a verdict, a grader).
    """
    import pandas as pd

    path = table.path
    frame = table.frame
    cols = set(frame.columns)
    problems: list[str] = []
    pid = strings(frame["prompt_id"])
    model = strings(frame["model"])
    for i in np.flatnonzero(pid == "")[:MAX_CELL_PROBLEMS]:
        problems.append(table.where(int(i), "prompt_id", "is empty"))
    for i in np.flatnonzero(model == "")[:MAX_CELL_PROBLEMS]:
        problems.append(table.where(int(i), "model", "is empty"))
    raise_problems(problems)
    text_col = strings(frame["prompt"])
    dup = resolve_duplicates(
        table,
        pid,
        text_col,
        row_signature(table),
        mode=opts.duplicates,
        has_ids=has_ids,
        executors=model,
    )
    raise_problems(dup.problems)
    keep = dup.keep
    rows = np.flatnonzero(keep)
    pid, model, text_col = dup.ids[keep], model[keep], text_col[keep]
    t_codes, t_uniques = pd.factorize(pd.Series(pid))
    m_codes, m_uniques = pd.factorize(pd.Series(model))
    executors = [str(x) for x in m_uniques]
    n, m = len(t_uniques), len(executors)
    # Per-task fields: the first row of each task gives them; any other row must agree.
    order = np.arange(len(pid))
    first_row = np.full(n, -1)
    first_row[t_codes[::-1]] = order[::-1]
    cat_col = (
        strings(frame["category"])[keep]
        if "category" in cols
        else np.full(len(pid), "", dtype=object)
    )
    split_col = strings(frame["split"])[keep] if "split" in cols else None
    for name, col in (("prompt", text_col), ("category", cat_col), ("split", split_col)):
        if col is None:
            continue
        differ = np.flatnonzero(col != col[first_row[t_codes]])
        for i in differ[:MAX_CELL_PROBLEMS]:
            j = int(first_row[t_codes[i]])
            problems.append(
                table.where(
                    int(rows[i]),
                    name,
                    f"differs from the value for prompt {pid[i]!r} at {table.at(int(rows[j]))}",
                )
            )
    raise_problems(problems)
    notes = [*dup.notes, *notes]
    raw = scores[keep] if scores is not None else numbers(table, "score", problems)[keep]
    row_values: dict[str, FloatArray] = {
        "score": scale_and_check(table, rows, raw, "score", opts, problems, notes)
    }
    for name in LONG_VALUES:
        if name in cols:
            row_values[name] = numbers(table, name, problems, limit=MAX_CALL_VALUE)[keep]
            for i in np.flatnonzero(row_values[name] < 0)[:MAX_CELL_PROBLEMS]:
                problems.append(
                    table.where(int(rows[i]), name, f"{row_values[name][i]:g} is negative")
                )
    raise_problems(problems)
    has_tokens = "tokens_in" in row_values and "tokens_out" in row_values
    cost = row_values.get("cost_usd")
    need = np.isnan(cost) if cost is not None else np.ones(len(pid), dtype=bool)
    if need.any() and (cost is not None or has_tokens):
        # Price the calls whose cost is missing, from their tokens.
        if not has_tokens:
            raise InputError(
                table.column_problem(
                    "cost_usd",
                    f"{int(need.sum())} calls have no cost, and there are no tokens_in/"
                    "tokens_out columns to price them from; fill cost_usd, map columns with "
                    "--columns cost_usd=COL or tokens_in=COL,tokens_out=COL, or drop the "
                    "cost_usd column to import the scores alone (see --cost-axis)",
                )
            )
        tin, tout = row_values["tokens_in"], row_values["tokens_out"]
        to_price = sorted({executors[k] for k in np.unique(m_codes[need])}, key=executors.index)
        extra = (
            []
            if opts.drop_incomplete
            else _long_missing(row_values, t_codes, m_codes, n, m, path, executors)
        )
        found = prices_for(path, to_price, opts, extra)
        pin = np.array([found[e].input_per_mtok if e in found else np.nan for e in executors])
        pout = np.array([found[e].output_per_mtok if e in found else np.nan for e in executors])
        priced = (tin * pin[m_codes] + tout * pout[m_codes]) / 1e6
        row_values["cost_usd"] = priced if cost is None else np.where(need, priced, cost)
        notes.append(
            f"priced {int(need.sum())} calls that had no cost from their tokens "
            f"({price_sources(found)})"
        )
    if "latency_s" not in row_values:
        notes.append("latency is not in the data (unknown)")
    values = _long_matrices(row_values, t_codes, m_codes, n, m)
    responses = None
    if "response" in cols:
        responses = np.full((n, m), "", dtype=object)
        responses[t_codes, m_codes] = strings(frame["response"])[keep]
    return finish(
        path,
        opts,
        task_ids=np.array([str(x) for x in t_uniques], dtype=object),
        text=text_col[first_row],
        category=cat_col[first_row],
        split=split_col[first_row] if split_col is not None else None,
        executors=executors,
        values=values,
        required={name: list(executors) for name in values},
        notes=notes,
        source=source,
        by_executor=True,
        absent=n * m - len(pid),
        responses=responses,
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
    problems, _ = missing_cells(path, values, required, True, n * m - len(t_codes))
    return problems
