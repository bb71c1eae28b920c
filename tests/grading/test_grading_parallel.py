"""grade_many: graders run in parallel, code sandboxes bounded by ``workers``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from grading_support import humaneval, humaneval_task, make_task

import toolkit.grading._code as code_module
from toolkit.grading import grade_many
from toolkit.grading._sandbox import arun_sandboxed

pytestmark = pytest.mark.timeout(60)


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def test_code_answers_run_in_parallel_bounded_by_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    intervals: list[tuple[float, float]] = []
    real = arun_sandboxed

    async def recording(code: str, **kwargs: Any) -> Any:
        start = time.monotonic()
        try:
            return await real(code, **kwargs)
        finally:
            intervals.append((start, time.monotonic()))

    monkeypatch.setattr(code_module, "arun_sandboxed", recording)
    solution = humaneval()["HumanEval/0"]["canonical_solution"]
    slow = "import time\ntime.sleep(0.4)\n"
    pairs = [(humaneval_task("HumanEval/0"), solution + slow) for _ in range(4)]
    pairs.insert(2, (make_task("42", "exact"), "41"))
    pairs.append((humaneval_task("HumanEval/0"), "    return False\n"))
    grades = asyncio.run(grade_many(pairs, workers=2))
    assert [g.score for g in grades] == [1.0, 1.0, 0.0, 1.0, 1.0, 0.0]
    assert grades[2].reason == "expected '42', got '41'"
    assert len(intervals) == 5
    assert _max_overlap(intervals) == 2  # ran two at a time, never more


def test_grade_many_rejects_bad_tasks_before_running_any() -> None:
    from toolkit._errors import InputError

    pairs = [(humaneval_task("HumanEval/0"), "    return True\n"), (make_task(None, "exact"), "x")]
    with pytest.raises(InputError, match="needs a target"):
        asyncio.run(grade_many(pairs))
    with pytest.raises(ValueError, match="workers"):
        asyncio.run(grade_many([], workers=0))
