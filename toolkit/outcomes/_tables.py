"""Reading input tables for the importers, keeping where each row came from.

CSV is parsed with pandas' C parser (fast); the physical line a row starts on is found only
when an error needs it, by scanning the file with :mod:`csv`. JSONL and JSON arrays keep the
line each object starts on; parquet and pickle rows are named ``row N``. Nested JSON fields are
reached with dotted paths (``evaluation_result.score``); a literal key containing dots wins.
Tables read from several files (a folder of results) keep each row's file and line.
"""

from __future__ import annotations

import csv
import io
import json
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit._errors import (
    SURROGATE_PROBLEM,
    DuplicateKey,
    InputError,
    located,
    lone_surrogate_at,
    no_duplicate_keys,
)

if TYPE_CHECKING:
    import pandas as pd

PICKLE_SUFFIXES = (".pkl", ".pickle")
# Largest CSV cell accepted when locating rows (the csv module's default is 128 KiB).
_CSV_FIELD_LIMIT = 1 << 30


@dataclass
class Table:
    """A read table (all cells as read) and a way to say where row ``i`` is."""

    path: Path
    frame: pd.DataFrame
    kind: str
    _lines: list[int] | None = field(default=None, repr=False)
    #: per row (file, line) when the rows come from several files (see :func:`concat`)
    origins: list[tuple[Path, int | None]] | None = field(default=None, repr=False)
    #: per row, its 1-based position in its file's JSON array (JSON arrays only)
    items: list[int] | None = field(default=None, repr=False)

    def line(self, row: int) -> int | None:
        """Physical line where data row ``row`` (0-based) starts, when the format has lines."""
        if self.origins is not None:
            return self.origins[row][1]
        if self.kind in ("jsonl", "json"):
            return int(self.frame.index[row])
        if self.kind != "csv":
            return None
        if self._lines is None:
            self._lines = csv_row_lines(self.path)
        return self._lines[row] if row < len(self._lines) else None

    def where(self, row: int, column: str, problem: str) -> str:
        """A located message for one cell: ``path:line: column: problem``."""
        line = self.line(row)
        path = self.origins[row][0] if self.origins is not None else self.path
        if line is None:
            return located(f"{path} row {row + 1}", None, column, problem)
        return located(path, line, column, problem)

    def column_problem(self, column: str, problem: str) -> str:
        """A located message about a whole column (line 1 is the header of a CSV)."""
        return located(self.path, 1 if self.kind == "csv" else None, column, problem)

    def at(self, row: int) -> str:
        """``line N`` (or ``row N``) of data row ``row``, for "first at ..." in messages."""
        line = self.line(row)
        where = f"line {line}" if line is not None else f"row {row + 1}"
        if self.origins is not None:
            return f"{self.origins[row][0]} {where}"
        return where

    def label(self, row: int) -> str:
        """The suffix a repeated id gets: its line (or row) number; in a JSON array, its
        position in the array (a one-line array has every item on line 1)."""
        if self.items is not None:
            return str(self.items[row])
        line = self.line(row)
        return str(line) if line is not None else f"row{row + 1}"

    def column(self, name: str) -> pd.Series[Any]:
        """Column ``name``; a dotted path reaches into nested JSON objects.

        A literal column named ``name`` wins; otherwise the longest leading part that is a
        column is followed key by key (a missing key gives a missing value).
        """
        frame = self.frame
        if name in frame.columns:
            return frame[name]
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            head = ".".join(parts[:cut])
            if head in frame.columns:
                keys = parts[cut:]
                return frame[head].map(lambda v, keys=keys: _dig(v, keys))
        raise KeyError(name)

    def has(self, name: str) -> bool:
        """True when :meth:`column` finds ``name`` (a column or a dotted path to one)."""
        try:
            self.column(name)
        except KeyError:
            return False
        return True


def _dig(value: Any, keys: list[str]) -> Any:
    """Follow ``keys`` through nested dicts (a literal dotted key first); None when absent."""
    while keys:
        if not isinstance(value, dict):
            return None
        for cut in range(len(keys), 0, -1):
            key = ".".join(keys[:cut])
            if key in value:
                value, keys = value[key], keys[cut:]
                break
        else:
            return None
    return value


def concat(tables: list[Table], path: Path) -> Table:
    """One table of the rows of several (a folder's files), each row keeping its file and line."""
    import pandas as pd

    origins = [(t.path, t.line(i)) for t in tables for i in range(len(t.frame))]
    frame = pd.concat([t.frame for t in tables], ignore_index=True, sort=False)
    kind = tables[0].kind if len({t.kind for t in tables}) == 1 else "mixed"
    items = [k for t in tables for k in t.items or ()]
    return Table(
        path, frame, kind, origins=origins, items=items if len(items) == len(frame) else None
    )


def csv_row_lines(path: Path) -> list[int]:
    """Start line of every data row of a CSV file (the header is line 1; blank lines skipped)."""
    starts: list[int] = []
    old_limit = csv.field_size_limit(_CSV_FIELD_LIMIT)  # long prompts: cells past 128 KiB
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            prev = 0
            for row in reader:
                if row:
                    starts.append(prev + 1)
                prev = reader.line_num
    finally:
        csv.field_size_limit(old_limit)
    return starts[1:]


def read_csv(path: Path) -> Table:
    """A CSV file as strings (no NA guessing); parse errors become located InputErrors."""
    import pandas as pd

    check_regular(path)
    raw = path.read_bytes()
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise InputError(located(path, line, "csv", "holds a NUL byte; a CSV file is text"))
    try:
        frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, na_filter=False)
    except UnicodeDecodeError:
        raise InputError(located(path, None, "file", "not UTF-8 text")) from None
    except pd.errors.EmptyDataError:
        raise InputError(located(path, None, "file", "is empty; expected a header row")) from None
    except pd.errors.ParserError as exc:
        raise InputError(located(path, None, "csv", f"cannot parse: {exc}")) from None
    if frame.empty:
        raise InputError(located(path, 1, "file", "has a header but no data rows"))
    _check_header(path, raw)
    return Table(path, frame, "csv")


def _check_header(path: Path, raw: bytes) -> None:
    """A column named twice, or a column with no name (but the first: a saved index), is an
    InputError naming both columns: pandas would rename or drop it silently."""
    # decoded lazily: only the bytes of the header row, not the whole file again
    lines = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", errors="replace", newline="")
    header = next(csv.reader(lines), [])
    first: dict[str, int] = {}
    problems: list[str] = []
    for i, name in enumerate(header, start=1):
        if not name.strip():
            if i > 1:
                problems.append(
                    located(path, 1, f"column {i}", "has no name in the header; name it or drop it")
                )
            continue
        if name in first:
            problems.append(
                located(
                    path,
                    1,
                    name,
                    f"names columns {first[name]} and {i}; each column needs its own name "
                    f"(read as is, the second would become {name}.1)",
                )
            )
        first.setdefault(name, i)
    if problems:
        raise InputError(problems[0], problems)


TOO_DEEP = "nested too deep to read (a JSON value this deep is not outcome data)"


def _repeated(path: Path, line: int | None, key: str) -> InputError:
    return InputError(
        located(path, line, key, "appears twice in one object (the later value would win)")
    )


def check_regular(path: Path) -> None:
    """Only regular files are read: a FIFO would block forever and a device (/dev/zero)
    never ends; an InputError naming the path otherwise."""
    try:
        info = path.stat()
    except OSError as exc:
        raise InputError(located(path, None, "file", f"cannot read: {exc.strerror}")) from None
    if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        raise InputError(
            located(path, None, "file", "not a regular file (a FIFO, a device or a socket)")
        )


def read_text(path: Path) -> str:
    """A regular file's UTF-8 text, a leading byte-order mark dropped."""
    check_regular(path)
    if path.is_dir():
        raise InputError(located(path, None, "file", "is a folder; expected a file"))
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(located(path, None, "file", "not UTF-8 text")) from None


def read_jsonl(path: Path) -> Table:
    """A JSONL file: one object per line; the frame's index is the line number."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    text = read_text(path)
    # lines end at \n only: U+2028 or U+0085 inside a JSON string is text, not a line break
    for i, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, object_pairs_hook=no_duplicate_keys)
        except json.JSONDecodeError as exc:
            raise InputError(located(path, i, "line", f"invalid JSON: {exc.msg}")) from None
        except DuplicateKey as exc:
            raise _repeated(path, i, str(exc.args[0])) from None
        except RecursionError:
            raise InputError(located(path, i, "line", TOO_DEEP)) from None
        if not isinstance(obj, dict):
            raise InputError(located(path, i, "line", "expected a JSON object"))
        bad = lone_surrogate_at(obj)
        if bad is not None:
            raise InputError(located(path, i, bad, SURROGATE_PROBLEM))
        rows.append(obj)
        lines.append(i)
    if not rows:
        raise InputError(located(path, None, "file", "is empty; expected one JSON object a line"))
    return Table(path, pd.DataFrame(rows, index=lines), "jsonl")


def read_json(path: Path) -> Table:
    """A JSON array of objects (AlpacaEval, ZeroEval, RouterDC); the index is each object's line."""
    import pandas as pd

    text = read_text(path)
    decoder = json.JSONDecoder(object_pairs_hook=no_duplicate_keys)
    pos = _skip_space(text, 0)
    if pos >= len(text) or text[pos] != "[":
        raise InputError(
            located(path, _line_at(text, pos), "file", "expected a JSON array of objects ([...])")
        )
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    line, seen = 1, 0
    pos = _skip_space(text, pos + 1)
    while pos < len(text) and text[pos] != "]":
        line += text.count("\n", seen, pos)
        seen = pos
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InputError(
                located(path, exc.lineno, "json", f"invalid JSON: {exc.msg}")
            ) from None
        except DuplicateKey as exc:
            raise _repeated(path, line, str(exc.args[0])) from None
        except RecursionError:
            raise InputError(located(path, line, "json", TOO_DEEP)) from None
        if not isinstance(obj, dict):
            raise InputError(located(path, line, "item", "expected a JSON object"))
        bad = lone_surrogate_at(obj)
        if bad is not None:
            raise InputError(located(path, line, bad, SURROGATE_PROBLEM))
        rows.append(obj)
        lines.append(line)
        pos = _skip_space(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_space(text, pos + 1)
        elif pos < len(text) and text[pos] != "]":
            raise InputError(located(path, _line_at(text, pos), "json", "expected ',' or ']'"))
    if pos >= len(text):
        raise InputError(located(path, _line_at(text, pos), "json", "the array is not closed (])"))
    after = _skip_space(text, pos + 1)
    if after < len(text):
        raise InputError(
            located(path, _line_at(text, after), "json", "data after the array's closing ]")
        )
    if not rows:
        raise InputError(located(path, None, "file", "is an empty array; expected objects"))
    return Table(path, pd.DataFrame(rows, index=lines), "json", items=list(range(1, len(rows) + 1)))


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def read_parquet(path: Path) -> Table:
    """A parquet file as a frame."""
    import pandas as pd
    import pyarrow as pa

    try:
        frame = pd.read_parquet(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(located(path, None, "file", f"not a parquet file: {exc}")) from None
    return _valid_text(Table(path, frame.reset_index(drop=True), "parquet"))


def read_pickle(path: Path, *, allow_pickle: bool) -> Table:
    """A pickled pandas DataFrame, read only with ``allow_pickle`` (unpickling runs code)."""
    import pandas as pd

    if not allow_pickle:
        raise InputError(
            located(
                path,
                None,
                "--allow-pickle",
                "refusing to unpickle: loading a pickle runs code from the file; pass "
                "--allow-pickle only if you trust it, or convert it to CSV",
            )
        )
    try:
        obj = pd.read_pickle(path)
    except Exception as exc:  # unpickling can raise anything; report it located
        raise InputError(located(path, None, "file", f"cannot unpickle: {exc}")) from None
    if not isinstance(obj, pd.DataFrame):
        raise InputError(
            located(path, None, "file", f"holds a {type(obj).__name__}; expected a DataFrame")
        )
    return _valid_text(Table(path, obj.reset_index(drop=True), "pickle"))


def _valid_text(table: Table) -> Table:
    """``table`` if no text in it (column names, cells, nested values) holds a lone
    surrogate; else an InputError naming the first row and column that does."""
    for name in table.frame.columns:
        if lone_surrogate_at(str(name)) is not None:
            raise InputError(table.column_problem(ascii(name), SURROGATE_PROBLEM))
    for name in table.frame.columns:
        series = table.frame[name]
        if series.dtype != object:  # arrow-backed text is valid UTF-8 by construction
            continue
        values = series.to_numpy(dtype=object)
        try:  # one join per column: fast, and only a failing column is searched
            "".join(v for v in values if isinstance(v, str)).encode("utf-8")
            nested = [i for i, v in enumerate(values) if isinstance(v, dict | list | tuple)]
        except UnicodeEncodeError:
            nested = list(range(len(values)))
        for i in nested:
            bad = lone_surrogate_at(values[i])
            if bad is not None:
                field = str(name) if bad == "(value)" else f"{name}.{bad}"
                raise InputError(table.where(i, field, SURROGATE_PROBLEM))
    return table


def read_any(path: Path, *, allow_pickle: bool = False, kinds: tuple[str, ...]) -> Table:
    """Read ``path`` by its suffix, among the allowed ``kinds`` (csv, jsonl, json, parquet,
    pickle)."""
    if not path.exists():
        raise InputError(located(path, None, "file", "not found"))
    if path.is_dir():
        raise InputError(located(path, None, "file", "is a folder; expected a file"))
    check_regular(path)
    suffix = path.suffix.lower()
    kind = {
        ".csv": "csv",
        ".jsonl": "jsonl",
        ".json": "json",
        ".parquet": "parquet",
        ".pkl": "pickle",
        ".pickle": "pickle",
    }.get(suffix)
    if kind is None or kind not in kinds:
        raise InputError(
            located(
                path,
                None,
                "file",
                f"unsupported file type {suffix or '(none)'!r} for this format; "
                f"expected {', '.join(kinds)}",
            )
        )
    if kind == "csv":
        return read_csv(path)
    if kind == "jsonl":
        return read_jsonl(path)
    if kind == "json":
        return read_json(path)
    if kind == "parquet":
        return read_parquet(path)
    return read_pickle(path, allow_pickle=allow_pickle)


def read_files(path: Path, *, kinds: tuple[str, ...], what: str, recursive: bool = True) -> Table:
    """A file, or every file of the allowed ``kinds`` under a folder (sorted; its subfolders
    too when ``recursive``), as one table."""
    suffixes = {"csv": ".csv", "jsonl": ".jsonl", "json": ".json", "parquet": ".parquet"}
    if not path.exists():
        raise InputError(located(path, None, "file", "not found"))
    if not path.is_dir():
        return read_any(path, kinds=kinds)
    wanted = {suffixes[k] for k in kinds if k in suffixes}
    found = path.rglob("*") if recursive else path.iterdir()
    files = sorted(p for p in found if p.is_file() and p.suffix.lower() in wanted)
    if not files:
        raise InputError(
            located(path, None, "folder", f"holds no {' or '.join(sorted(wanted))} files ({what})")
        )
    tables = [read_any(f, kinds=kinds) for f in files]
    return tables[0] if len(tables) == 1 else concat(tables, path)
