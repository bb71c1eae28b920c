"""Line numbers for TOML keys: ``tomllib`` gives none, so we scan the text.

:func:`key_lines` maps each key path (``("executors", 1, "profile", "max_tokens")``, with
array-of-tables indices as ints) to the line it is defined on. It understands table
headers, arrays of tables, dotted keys, inline tables and multi-line arrays and strings,
which covers what a spec file uses; a key it cannot place falls back to its table's line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Loc = tuple[str | int, ...]

_BARE = r"[A-Za-z0-9_-]+"
_BASIC = r'"(?:[^"\\]|\\.)*"'
_LITERAL = r"'[^']*'"
_PART = rf"(?:{_BARE}|{_BASIC}|{_LITERAL})"
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_KEY_RE = re.compile(rf"^\s*({_DOTTED})\s*=")
_AOT_RE = re.compile(rf"^\s*\[\[\s*({_DOTTED})\s*\]\]")
_TABLE_RE = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]")
_PART_RE = re.compile(_PART)


def _split_dotted(text: str) -> list[str]:
    parts = []
    for m in _PART_RE.finditer(text):
        part = m.group(0)
        if part[0] in "\"'":
            part = part[1:-1]
        parts.append(part)
    return parts


def _scan_value(rest: str) -> tuple[int, str | None]:
    """Bracket depth change over ``rest`` and an unclosed multi-line string opener, if any."""
    depth = 0
    i = 0
    n = len(rest)
    while i < n:
        ch = rest[i]
        if ch == "#":
            break
        if rest.startswith('"""', i) or rest.startswith("'''", i):
            quote = rest[i : i + 3]
            end = rest.find(quote, i + 3)
            if end < 0:
                return depth, quote
            i = end + 3
            continue
        if ch == '"':
            i += 1
            while i < n and rest[i] != '"':
                i += 2 if rest[i] == "\\" else 1
            i += 1
            continue
        if ch == "'":
            end = rest.find("'", i + 1)
            i = n if end < 0 else end + 1
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        i += 1
    return depth, None


def key_lines(text: str) -> dict[Loc, int]:
    """Map every key path and table path in TOML ``text`` to its 1-based line."""
    lines: dict[Loc, int] = {}
    aot: dict[Loc, int] = {}  # array-of-tables path -> index of its latest element
    table: Loc = ()
    depth = 0
    open_string: str | None = None

    def resolve(parts: Sequence[str]) -> Loc:
        path: Loc = ()
        for part in parts:
            path = (*path, part)
            if path in aot:
                path = (*path, aot[path])
        return path

    for lineno, line in enumerate(text.splitlines(), start=1):
        if open_string is not None:
            if open_string in line:
                rest = line[line.index(open_string) + 3 :]
                open_string = None
                change, open_string = _scan_value(rest)
                depth += change
            continue
        if depth > 0:
            change, open_string = _scan_value(line)
            depth += change
            continue
        m = _AOT_RE.match(line)
        if m:
            parts = _split_dotted(m.group(1))
            key = (*resolve(parts[:-1]), parts[-1])
            aot[key] = aot.get(key, -1) + 1
            table = (*key, aot[key])
            lines.setdefault(key, lineno)
            lines[table] = lineno
            continue
        m = _TABLE_RE.match(line)
        if m:
            table = resolve(_split_dotted(m.group(1)))
            lines.setdefault(table, lineno)
            continue
        m = _KEY_RE.match(line)
        if m:
            parts = _split_dotted(m.group(1))
            for i in range(1, len(parts) + 1):
                lines.setdefault((*table, *parts[:i]), lineno)
            change, open_string = _scan_value(line[m.end() :])
            depth = max(0, change)
    return lines


def line_of(lines: dict[Loc, int], loc: Sequence[str | int]) -> int | None:
    """The line of ``loc`` or of its nearest enclosing key or table; None when unknown."""
    path = tuple(loc)
    for n in range(len(path), 0, -1):
        found = lines.get(path[:n])
        if found is not None:
            return found
    return None
