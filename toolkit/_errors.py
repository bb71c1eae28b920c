"""The toolkit's error hierarchy. Every error the toolkit raises on purpose is a ToolkitError.

Exit codes (used by the CLI): 0 success, 1 internal error, 2 bad input,
3 stopped by the budget, 4 replay miss.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class ToolkitError(Exception):
    """Base class of every error the toolkit raises on purpose."""

    exit_code = 1


class InputError(ToolkitError):
    """Bad user input: a file, a flag or a value. Exit code 2.

    ``problems`` holds one ``path:line: field: problem`` message per problem found.
    """

    exit_code = 2

    def __init__(self, message: str, problems: Sequence[str] | None = None) -> None:
        self.problems: list[str] = list(problems) if problems else [message]
        super().__init__(message)


class BudgetExceeded(ToolkitError):
    """A call would have pushed spend past the budget cap. Exit code 3."""

    exit_code = 3


class ReplayMiss(ToolkitError):
    """Replay mode needed a call that is not in the cache. Exit code 4."""

    exit_code = 4


class MissingDependency(ToolkitError):
    """An optional dependency is not installed; the message names the pip extra."""

    exit_code = 1


def located(path: object, line: int | None, field: str, problem: str) -> str:
    """Format one problem as ``path:line: field: problem`` (line omitted when unknown)."""
    where = f"{path}:{line}" if line is not None else f"{path}"
    return f"{where}: {field}: {problem}"


def check_output_file(path: str | Path, flag: str) -> Path:
    """``path`` as a file to write, checked before any work: not a folder, and not below a
    file (an InputError naming ``flag`` otherwise)."""
    out = Path(path)
    if out.is_dir():
        raise InputError(located(out, None, flag, "is a folder; expected a file to write"))
    for parent in out.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(located(out, None, flag, f"{parent} is a file, not a folder"))
            _probe(out, parent, flag)
            break
    return out


def _probe(out: Path, folder: Path, flag: str) -> None:
    """Create and remove a file in ``folder``: the one check that holds for root and for
    /proc or a read-only mount alike."""
    import tempfile

    try:
        fd, name = tempfile.mkstemp(prefix=".toolkit-probe-", dir=folder)
    except OSError as exc:
        raise InputError(
            located(out, None, flag, f"cannot write in {folder}: {exc.strerror or exc}")
        ) from None
    os.close(fd)
    os.unlink(name)


def lone_surrogate_at(value: object, path: str = "") -> str | None:
    """The dotted path of the first string (key or value, any depth) holding a lone surrogate
    such as ``\\udfff`` (JSON allows the escape; UTF-8 cannot encode it), or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "(value)"
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{path}.{k}" if path else str(k)
            if lone_surrogate_at(str(k)) is not None:
                return (path + "." if path else "") + ascii(k)
            found = lone_surrogate_at(v, here)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            found = lone_surrogate_at(v, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub_surrogates(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (for text a provider sent)."""
    return _SURROGATE.sub("\ufffd", text)


class DuplicateKey(ValueError):
    """A JSON object repeats a key (``args[0]``); raised by :func:`no_duplicate_keys`."""


def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for ``json``: a repeated key raises :class:`DuplicateKey`, since
    the later value would silently win."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKey(key)
        obj[key] = value
    return obj


SURROGATE_PROBLEM = "holds a lone surrogate escape (such as \\udfff), which is not valid Unicode"
