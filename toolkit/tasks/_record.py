"""Turn one raw task record (a JSONL object or a converted CSV row) into a :class:`Task`.

Every check collects a located problem (``path:line: field: problem``) instead of raising,
so one pass over a file reports everything that is wrong with it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from typing import Any

from toolkit._errors import located
from toolkit.tasks._grader_specs import (
    DEFAULT_GRADER,
    check_grader,
    needs_target,
    task_problems,
)
from toolkit.tasks._task import GraderRef, Task

#: Every field a task record may have, in file order.
FIELDS = ("id", "category", "split", "grader", "target", "input", "metadata")
#: Fields that must be present and non-empty strings.
REQUIRED = ("id", "input", "category")
#: The values ``split`` may take (or be absent).
SPLITS = ("train", "test")

_SHOW = 60  # longest excerpt of a user value quoted in a message


def show(value: object, limit: int = _SHOW) -> str:
    """A short ``repr`` of a user value for a message (long values are cut)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-1]}"


def json_type(value: object) -> str:
    """The JSON name of a value's type, as a user who wrote the file would say it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def field_label(name: str) -> str:
    """A field name as it appears in a message (odd or long names are quoted and cut)."""
    return name if re.fullmatch(r"[A-Za-z_][\w.\[\]-]{0,40}", name) else show(name, 40)


def unknown_field(name: str, noun: str = "field") -> str:
    """The message for an unknown field (or column), with a suggestion when one is close."""
    close = difflib.get_close_matches(name, FIELDS, n=1, cutoff=0.6)
    if close:
        return f"unknown {noun} (did you mean {close[0]!r}?)"
    return f"unknown {noun} (known {noun}s: {', '.join(FIELDS)})"


class _Problems:
    """Collects located problems for one record."""

    def __init__(self, source: str, line: int) -> None:
        self.source = source
        self.line = line
        self.items: list[str] = []

    def add(self, field: str, problem: str) -> None:
        self.items.append(located(self.source, self.line, field, problem))


def build_task(
    raw: Mapping[str, Any],
    *,
    source: str,
    line: int,
    absent_columns: Collection[str] = (),
) -> tuple[Task | None, list[str]]:
    """Check one record and build its Task; the Task is None when there are problems.

    ``absent_columns`` names required fields whose CSV column is missing: that was
    reported once at the header, so rows do not repeat it.
    """
    out = _Problems(source, line)
    for key in raw:
        if key not in FIELDS:
            out.add(field_label(str(key)), unknown_field(str(key)))

    strings = {name: _required_string(raw, name, out, absent_columns) for name in REQUIRED}
    grader = _grader(raw.get("grader"), out)
    split = _split(raw.get("split"), out)
    metadata = _metadata(raw.get("metadata"), out)
    target, target_ok = _target(raw.get("target"), out)

    if grader is not None and target_ok and target is None and needs_target(grader.name):
        out.add(
            "target",
            f"missing or empty (grader {grader.name!r} needs one; the judge and code graders, "
            "and plugins registered with needs_target=False, work without)",
        )

    task_id, text, category = strings["id"], strings["input"], strings["category"]
    if out.items or task_id is None or text is None or category is None:
        return None, out.items  # a missing CSV column was reported at the header
    assert grader is not None and metadata is not None  # no problems: every part parsed
    task = Task(
        id=task_id,
        input=text,
        category=category,
        target=target,
        grader=grader,
        split=split,
        metadata=metadata,
        source=source,
        line=line,
    )
    for where, problem in task_problems(task):
        if where != "target" or target is not None:  # a missing target was reported above
            out.add(where, problem)
    if out.items:
        return None, out.items
    return task, []


def _required_string(
    raw: Mapping[str, Any], name: str, out: _Problems, absent_columns: Collection[str]
) -> str | None:
    if name not in raw or raw[name] is None:
        if name not in absent_columns:
            out.add(name, "missing (required)")
        return None
    value = raw[name]
    if not isinstance(value, str):
        out.add(name, f"expected a string, got {json_type(value)} {show(value)}")
        return None
    if not value.strip():
        out.add(name, "empty (required)")
        return None
    return value


def _grader(value: Any, out: _Problems) -> GraderRef | None:
    if value is None:
        return GraderRef(DEFAULT_GRADER)
    parts = _grader_parts(value, out)
    if parts is None:
        return None
    name, args = parts
    problems = check_grader(name, args)
    for problem in problems:
        if problem.startswith("args"):
            where, _, what = problem.partition(": ")
            out.add(f"grader.{where}", what)
        else:
            out.add("grader", _cut(problem))
    return None if problems else GraderRef(name, args)


def _grader_parts(value: Any, out: _Problems) -> tuple[str, dict[str, Any]] | None:
    """The grader's name and args from a name or a ``{"name", "args"}`` object."""
    if isinstance(value, str):
        if not value.strip():
            out.add("grader", "empty; give a grader name or leave the field out")
            return None
        return value.strip(), {}
    if not isinstance(value, dict):
        out.add(
            "grader",
            f"expected a name or {{'name': ..., 'args': {{...}}}}, got {json_type(value)} "
            f"{show(value)}",
        )
        return None
    extra = sorted(str(k) for k in value if k not in ("name", "args"))
    if extra:
        out.add("grader", f"unknown key {show(extra[0])} (a grader has 'name' and 'args')")
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        got = "missing" if name is None else f"got {json_type(name)} {show(name)}"
        out.add("grader.name", f"expected a grader name, {got}")
        return None
    args = value.get("args")
    if args is None:
        return name.strip(), {}
    if not isinstance(args, dict):
        out.add("grader.args", f"expected an object, got {json_type(args)} {show(args)}")
        return None
    return name.strip(), args


def _split(value: Any, out: _Problems) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value in SPLITS:
        return value
    if isinstance(value, str):
        hint = f" (write {value.strip().lower()!r})" if value.strip().lower() in SPLITS else ""
        out.add("split", f"expected 'train', 'test' or absent, got {show(value)}{hint}")
    else:
        out.add(
            "split", f"expected 'train', 'test' or absent, got {json_type(value)} {show(value)}"
        )
    return None


def _metadata(value: Any, out: _Problems) -> dict[str, Any] | None:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    out.add("metadata", f"expected an object, got {json_type(value)} {show(value)}")
    return None


def _target(value: Any, out: _Problems) -> tuple[str | tuple[str, ...] | None, bool]:
    """The target (None when absent or empty) and whether it was well-formed."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, str):
        return value, True
    if isinstance(value, list):
        if not value:
            return None, True
        ok = True
        for i, item in enumerate(value):
            if not isinstance(item, str):
                out.add(f"target[{i}]", f"expected a string, got {json_type(item)} {show(item)}")
                ok = False
            elif not item.strip():
                out.add(f"target[{i}]", "empty string")
                ok = False
        return (tuple(value) if ok else None), ok
    quote = f' (quote it: "{value}")' if isinstance(value, int | float) else ""
    out.add(
        "target",
        f"expected a string or a list of strings, got {json_type(value)} {show(value)}{quote}",
    )
    return None, False


def _cut(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
