"""Graders: score an answer to a task in [0, 1] with a short reason.

``grader_for(task)`` builds the grader a task names; ``grade_many`` grades many answers in
parallel; ``run_sandboxed`` runs untrusted Python in the code sandbox (Linux only).
"""

from __future__ import annotations

from toolkit.grading._answers import read_answers
from toolkit.grading._api import RegisteredGrader, grade, grade_many, grader_for, uses_judge
from toolkit.grading._code import build_program, strip_fences
from toolkit.grading._grade import Grade, Grader
from toolkit.grading._graders import extract_number, normalize_text
from toolkit.grading._judge import judge_prompt, parse_verdict
from toolkit.grading._sandbox import (
    Protection,
    SandboxError,
    SandboxResult,
    arun_sandboxed,
    run_sandboxed,
    sandbox_protections,
)

__all__ = [
    "Grade",
    "Grader",
    "Protection",
    "RegisteredGrader",
    "SandboxError",
    "SandboxResult",
    "arun_sandboxed",
    "build_program",
    "extract_number",
    "grade",
    "grade_many",
    "grader_for",
    "judge_prompt",
    "normalize_text",
    "parse_verdict",
    "read_answers",
    "run_sandboxed",
    "sandbox_protections",
    "strip_fences",
    "uses_judge",
]
