"""Labelled task sets: the Task value, TaskSet, and loaders for JSONL and CSV task files.

A task file holds one task per JSONL line or CSV row, with the fields ``id``, ``input``,
``category`` (required), ``target`` (a string or a list of acceptable answers; required
except for the ``judge`` and ``code`` graders), ``grader`` (a name or
``{"name": ..., "args": {...}}``), ``split`` (``train``, ``test`` or absent) and ``metadata``
(an object). Every problem is reported as ``path:line: field: problem``.
"""

from __future__ import annotations

from toolkit.tasks._grader_specs import (
    DEFAULT_GRADER,
    GRADER_ARGS,
    TARGETLESS_GRADERS,
    check_grader,
    parse_grader_args,
)
from toolkit.tasks._load import Validation, load_tasks, tasks_from_records, validate_paths
from toolkit.tasks._record import FIELDS, REQUIRED, SPLITS
from toolkit.tasks._task import GraderRef, Task
from toolkit.tasks._taskset import FRAME_COLUMNS, TaskSet

__all__ = [
    "DEFAULT_GRADER",
    "FIELDS",
    "FRAME_COLUMNS",
    "GRADER_ARGS",
    "REQUIRED",
    "SPLITS",
    "TARGETLESS_GRADERS",
    "GraderRef",
    "Task",
    "TaskSet",
    "Validation",
    "check_grader",
    "load_tasks",
    "parse_grader_args",
    "tasks_from_records",
    "validate_paths",
]
