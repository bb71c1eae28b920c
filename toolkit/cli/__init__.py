"""The ``toolkit`` command. Thin: each subcommand lives in a ``_cmd_*.py`` module that
defines ``register(subparsers)`` and keeps heavy imports inside its handler.

Exit codes: 0 success, 1 internal error, 2 bad input, 3 stopped by the budget, 4 replay miss.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import TextIO

from toolkit._errors import InputError, ToolkitError
from toolkit._redact import redact

Handler = Callable[[argparse.Namespace], int]
_SHOW_WARNING = warnings.showwarning
MAX_PROBLEMS = 50


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every ``_cmd_*`` module's subcommands."""
    from toolkit import __version__

    parser = argparse.ArgumentParser(
        prog="toolkit",
        description="Measure whether routing LLM requests pays off: quality, cost and latency.",
        epilog="Exit codes: 0 ok, 1 internal error, 2 bad input, 3 budget stop, 4 replay miss.",
    )
    parser.add_argument("--version", action="version", version=f"toolkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_cmd_"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            module.register(sub)
    return parser


def print_problems(problems: Sequence[str], cap: int = MAX_PROBLEMS) -> None:
    """Print located problems to stderr, up to ``cap``, then how many more there were."""
    for p in problems[:cap]:
        print(redact(p), file=sys.stderr)
    if len(problems) > cap:
        print(f"... and {len(problems) - cap} more problems", file=sys.stderr)


def chosen_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The (sub)command parser that ``args`` were parsed by: the deepest one chosen."""
    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        name = getattr(args, subs[0].dest, None) if subs else None
        if not subs or name not in subs[0].choices:
            return parser
        parser = subs[0].choices[name]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``toolkit`` console command."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # reported by the command that was run, with that command's usage
        chosen_parser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _run(handler, args)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A plugin warning (a replaced built-in) as one ``warning:`` line; others as Python
    shows them."""
    from toolkit.registry import PluginWarning

    if issubclass(category, PluginWarning):
        print(redact(f"warning: {message}"), file=sys.stderr)
    else:
        _SHOW_WARNING(message, category, filename, lineno, file, line)


def _run(handler: Handler, args: argparse.Namespace) -> int:
    try:
        code = handler(args)
        sys.stdout.flush()  # a reader that went away is seen here, not at exit
        return code
    except InputError as exc:
        print_problems(exc.problems)
        return exc.exit_code
    except ToolkitError as exc:
        print(redact(f"error: {exc}"), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `toolkit ... | head -1`: the reader has all it wanted
        _silence_stdout()
        return 0
    except OSError as exc:  # a path the system refuses: a file where a folder goes, a full disk
        where = f"{exc.filename}: " if exc.filename else ""
        print(redact(f"error: {where}{exc.strerror or exc}"), file=sys.stderr)
        return 2


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit raises nothing more."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
