"""The toolkit's error hierarchy. Every error the toolkit raises on purpose is a ToolkitError.

Exit codes (used by the CLI): 0 success, 1 internal error, 2 bad input,
3 stopped by the budget, 4 replay miss.
"""

from __future__ import annotations

from collections.abc import Sequence


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
