"""The ``code`` grader: runs the task's HumanEval-style tests against model-written Python."""

from __future__ import annotations

import hmac
import json
import re
import secrets
from pathlib import Path

from pydantic import Field

from toolkit.grading._grade import Grade, task_error
from toolkit.grading._graders import GraderArgs
from toolkit.grading._sandbox import SandboxResult, arun_sandboxed
from toolkit.registry import grader
from toolkit.tasks import Task

#: The program the sandbox runs for a code task (see ``_harness.py``).
HARNESS = Path(__file__).with_name("_harness.py").read_text(encoding="utf-8")


class CodeArgs(GraderArgs):
    """``code``: run the task's tests (``metadata.test``, ``metadata.entry_point``) in the sandbox."""

    timeout_s: float = Field(default=10.0, gt=0.0, le=600.0)
    memory_mb: int = Field(default=512, ge=32, le=16384)


_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)


def strip_fences(answer: str, entry_point: str = "") -> str:
    """The code inside a Markdown answer.

    With fenced blocks: the first Python (or unlabelled) block that defines ``entry_point``,
    else the first such block; an unclosed fence runs to the end. Without fences: the answer.
    """
    blocks: list[tuple[str, str]] = [
        (str(m.group(1)).lower(), str(m.group(2)))
        for m in _FENCE.finditer(answer)
        if m.group(1).lower() in ("", "python", "py", "python3")
    ]
    if not blocks:
        return answer
    if entry_point:
        defining = re.compile(rf"^\s*(?:async\s+)?def\s+{re.escape(entry_point)}\s*\(", re.M)
        for _, body in blocks:
            if defining.search(body):
                return body
    return blocks[0][1]


def build_program(task: Task, answer: str) -> str:
    """The answer's program: the code in the answer, after the task's prompt when it is a body.

    When the answer does not define ``entry_point`` (a HumanEval-style body completion),
    the task's prompt (``task.input``) is put in front of it.
    """
    entry_point = str(task.metadata["entry_point"])
    code = strip_fences(answer, entry_point)
    defines = re.search(rf"^(?:async\s+)?def\s+{re.escape(entry_point)}\s*\(", code, re.M)
    if defines is None:
        prompt = task.input if task.input.endswith("\n") else task.input + "\n"
        code = prompt + code
    return code


def _helpers(task: Task) -> str:
    """The prompt, when it is Python: its helper functions are there for the tests to call."""
    try:
        compile(task.input, "prompt.py", "exec")
    except (SyntaxError, ValueError):
        return ""
    return task.input


def sandbox_files(task: Task, answer: str) -> dict[str, str]:
    """The files beside the harness: the answer's program and the tests (``payload.json``)."""
    payload = {
        "entry_point": str(task.metadata["entry_point"]),
        "helpers": _helpers(task),
        "test": str(task.metadata["test"]),
    }
    return {"answer.py": build_program(task, answer), "payload.json": json.dumps(payload)}


def _failure_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    if not lines:
        return "no error output"
    last = lines[-1].removeprefix("__main__.")
    return last if len(last) <= 160 else last[:157] + "..."


def _reported(report: str, secret: str) -> bool:
    """Whether the harness's report says passed and carries the secret."""
    try:
        record = json.loads(report)
    except json.JSONDecodeError:
        return False
    return (
        isinstance(record, dict)
        and hmac.compare_digest(str(record.get("secret", "")), secret)
        and record.get("result") == "passed"
    )


def explain(result: SandboxResult, secret: str, timeout_s: float) -> Grade:
    """Turn a sandbox result into a grade with a short reason.

    1 only when the harness exited 0 and reported, with the secret, that ``check`` returned.
    """
    if result.timed_out:
        return Grade(0.0, f"timeout after {timeout_s:g}s")
    if result.killed_reason and result.killed_reason.startswith("output over cap"):
        return Grade(0.0, f"killed: {result.killed_reason}")
    if "MemoryError" in result.stderr:
        return Grade(0.0, "memory limit exceeded")
    if result.killed_reason:
        return Grade(0.0, f"killed: {result.killed_reason}")
    if result.returncode != 0:
        return Grade(
            0.0, f"tests failed (exit {result.returncode}): {_failure_line(result.stderr)}"
        )
    if not _reported(result.report.strip(), secret):
        return Grade(0.0, "the program exited 0 without the harness's report that the tests passed")
    return Grade(1.0, "tests passed")


def _check_code(task: Task, args: CodeArgs) -> list[tuple[str, str]]:
    """The task's tests must be there: ``metadata.test`` and ``metadata.entry_point``."""
    out = []
    for key in ("test", "entry_point"):
        value = task.metadata.get(key)
        if not isinstance(value, str) or not value.strip():
            what = "missing" if value is None else f"expected a non-empty string, got {value!r}"
            out.append((f"metadata.{key}", f"{what} (the code grader needs it)"))
    return out


@grader("code", args=CodeArgs, needs_target=False, check=_check_code, cpu_bound=True)
async def code(task: Task, answer: str, *, args: CodeArgs) -> Grade:
    """Runs ``check(metadata.entry_point)`` from ``metadata.test`` against the answer, sandboxed."""
    for where, problem in _check_code(task, args):
        raise task_error(task, where, problem)
    secret = secrets.token_hex(16)
    result = await arun_sandboxed(
        HARNESS,
        files=sandbox_files(task, answer),
        secret=secret,
        timeout_s=args.timeout_s,
        memory_mb=args.memory_mb,
    )
    return explain(result, secret, args.timeout_s)
