"""ZeroEval graded as ZeroEval grades: its answer extraction per task type, and its summary.

ZeroEval (the yuchenlin/ZeroEval repository, ``src/evaluation``) asks each model for a JSON
object with an ``answer`` field, then scores the first output of each item with a rule per
task type. This module restates those rules (no code copied) so an import scores a result file
exactly as ZeroEval's own summary does:

- ``numeric`` (``gsm_eval.py``, ``math_eval.py``: ``gsm``, ``math-l5``): the answer is the
  ``answer`` field of the first complete JSON object in the output; failing that, the
  ``"answer": ...`` text found by pattern (quoted, or unquoted up to a comma or space); failing
  that, for a model whose name holds ``Llama-3.1``, a ``\\boxed{...}`` in the output's last 30
  characters. Both answer and target lose ``$`` and ``,``; a fraction such as ``3/4`` becomes
  its value (ZeroEval calls ``eval``; this evaluates arithmetic only, with ``toolkit._arith``). The first number of
  each (``-?\\d+(\\.\\d+)?``) must be equal.
- ``choice`` (``mcqa_eval.py``: ``mmlu-redux``): the answer comes from the *last* complete JSON
  object (then by pattern), and must be exactly the letter of ``correct_answer`` among
  ``choices``.

An output with no answer scores 0 and still counts in the total, as in ZeroEval.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from typing import Any

from toolkit._arith import CannotCompute, evaluate

RULES: Mapping[str, str] = {"gsm": "numeric", "math-l5": "numeric", "mmlu-redux": "choice"}

#: ZeroEval's summaries rename some result files (``model_name_replacement`` in its
#: ``eval_utils.py``); a summary row is matched by the file name or by its renamed form.
SUMMARY_NAMES: Mapping[str, str] = {
    "gemma-2-9b-it@nvidia": "gemma-2-9b-it",
    "gemma-2-9b-it@together": "gemma-2-9b-it",
    "gemma-2-27b-it@together": "gemma-2-27b-it",
    "gemma-2-27b-it@nvidia": "gemma-2-27b-it",
    "deepseek-chat": "deepseek-v2-chat-0628",
    "deepseek-coder": "deepseek-v2-coder-0614",
    "DeepSeek-Coder-V2-0724": "deepseek-v2-coder-0724",
    "Llama-3.1-405B-Inst-fp8": "Llama-3.1-405B-Inst-fp8@together",
    "Llama-3.1-405B-Instruct-Turbo": "Llama-3.1-405B-Inst-fp8@together",
    "Meta-Llama-3.1-405B-Instruct@hyperbolic": "Llama-3.1-405B-Inst@hyperbolic",
}

_FIRST_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_BOXED = re.compile(r"\\boxed{([\w\d]+)}")


def _complete_objects(text: str) -> list[str]:
    """The outermost ``{...}`` spans of ``text``, by brace counting (strings not considered,
    as ZeroEval counts them)."""
    spans: list[str] = []
    depth, start = 0, -1
    for i, char in enumerate(text):
        if char == "{":
            if depth == 0:
                start = i
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                spans.append(text[start : i + 1])
    return spans


def _load(span: str | None) -> dict[str, Any] | None:
    if span is None:
        return None
    try:
        obj = json.loads(span.replace("\n", ""))
    except (json.JSONDecodeError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def _answer_by_pattern(text: str) -> str | None:
    """The ``answer`` value found by ZeroEval's patterns when no JSON object parses."""
    for pattern, flags in (
        (r'"answer"\s*:\s*"([^"]*?)"', 0),
        (r'"answer"\s*:\s*"(.*?)"', re.DOTALL),
        (r'"answer"\s*:\s*([^,\s]*)', 0),
        (r"answer\s*:\s*([^,\s]*)", 0),
    ):
        hit = re.search(pattern, text, flags)
        if hit:
            return hit.group(1)
    return None


def extract(rule: str, model: str, output: str) -> Any:
    """The answer ZeroEval reads from ``output`` under ``rule`` (None: no answer)."""
    spans = _complete_objects(output)
    if rule == "numeric":
        obj = _load(spans[0] if spans else None)
    else:
        obj = _load(spans[-1] if spans else None)
    if obj is not None and "answer" in obj:
        return obj["answer"]
    found = _answer_by_pattern(output)
    if found is not None:
        return found
    if rule == "numeric" and "Llama-3.1" in model and "boxed" in output[-30:]:
        hit = _BOXED.search(output)
        if hit:
            return hit.group(1)
    return None


def _sanitize(answer: str) -> str:
    answer = answer.replace("$", "").strip().replace(",", "")
    if "/" in answer:
        with contextlib.suppress(CannotCompute):
            answer = str(float(evaluate(answer)))
    return answer


def numeric_correct(answer: Any, target: str) -> bool:
    """ZeroEval's gsm/math rule: the first numbers of the sanitized answer and target agree."""
    mine = _FIRST_NUMBER.search(_sanitize(str(answer)))
    truth = _FIRST_NUMBER.search(_sanitize(target.replace("#", "").strip()))
    return bool(mine and truth and float(mine.group()) == float(truth.group()))


def choice_label(correct: str, choices: list[Any]) -> str | None:
    """The letter of ``correct`` among ``choices`` (None when it is not one of them)."""
    if correct not in choices or choices.index(correct) >= 26:
        return None
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[choices.index(correct)]


def score(rule: str, model: str, output: str, target: str) -> tuple[float, bool]:
    """(1.0 or 0.0, whether an answer was found) for one output under ``rule``; for
    ``choice`` the target is the correct letter."""
    answer = extract(rule, model, output)
    if answer is None:
        return 0.0, False
    if rule == "numeric":
        return float(numeric_correct(answer, target)), True
    return float(answer == target), True


def summary_name(executor: str) -> str:
    """The name ZeroEval's summary gives a result file's model."""
    for old, new in SUMMARY_NAMES.items():
        executor = executor.replace(old, new)
    return executor
