"""Labelled task sets: the Task value, TaskSet, and loaders for JSONL and CSV task files.

A task file holds one task per JSONL line or CSV row, with the fields ``id``, ``input``,
``category`` (required), ``target`` (a string or a list of acceptable answers; required
except for graders registered with ``needs_target=False``, such as ``judge`` and ``code``), ``grader`` (a name or
``{"name": ..., "args": {...}}``), ``split`` (``train``, ``test`` or absent) and ``metadata``
(an object). Every problem is reported as ``path:line: field: problem``.
"""

from __future__ import annotations

from toolkit.tasks._grader_specs import (
    DEFAULT_GRADER,
    check_grader,
    needs_target,
    parse_grader_args,
    task_problems,
)
from toolkit.tasks._load import Validation, load_tasks, tasks_from_records, validate_paths
from toolkit.tasks._record import FIELDS, REQUIRED, SPLITS
from toolkit.tasks._task import GraderRef, Task
from toolkit.tasks._taskset import FRAME_COLUMNS, TaskSet

__all__ = [
    "DEFAULT_GRADER",
    "FIELDS",
    "FRAME_COLUMNS",
    "REQUIRED",
    "SPLITS",
    "GraderRef",
    "Task",
    "TaskSet",
    "Validation",
    "check_grader",
    "load_tasks",
    "needs_target",
    "parse_grader_args",
    "task_problems",
    "tasks_from_records",
    "validate_paths",
]
