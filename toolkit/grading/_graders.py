"""The cheap graders: exact, normalized, numeric, choice, regex, contains.

Each compares the answer with every acceptable target; any match scores 1.0.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from dataclasses import dataclass

import regex as regex_module
from pydantic import BaseModel, ConfigDict, Field, model_validator

from toolkit.grading._grade import Grade, mismatch, short, task_error
from toolkit.registry import grader
from toolkit.tasks import Task


class GraderArgs(BaseModel):
    """Base of the built-in graders' args: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class NumericArgs(GraderArgs):
    """``numeric``: the last number in the answer is within tolerance of the target."""

    rel_tol: float = Field(default=1e-6, ge=0.0)
    abs_tol: float = Field(default=1e-9, ge=0.0)


class ChoiceArgs(GraderArgs):
    """``choice``: a multiple-choice letter (A, B, ...) or the option's text.

    ``options`` lists the options in letter order; without it only letters are compared.
    """

    options: list[str] | None = None


class RegexArgs(GraderArgs):
    """``regex``: the answer matches ``pattern`` (search; ``fullmatch`` to anchor).

    Without ``pattern`` the task's target(s) are the patterns.
    """

    pattern: str | None = None
    ignore_case: bool = False
    fullmatch: bool = False

    @model_validator(mode="after")
    def _compiles(self) -> RegexArgs:
        if self.pattern is None:
            return self
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"pattern does not compile: {exc}") from None
        return self


class ContainsArgs(GraderArgs):
    """``contains``: a target appears in the answer."""

    case_sensitive: bool = False


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_SPACES = re.compile(r"\s+")


class _PunctuationToSpace(dict[int, int]):
    """A ``str.translate`` table: punctuation -> space, any other character -> itself.

    Each character is classified on first sight and remembered, so normalizing runs at C
    speed instead of a Python loop over the characters.
    """

    def __missing__(self, code: int) -> int:
        ch = chr(code)
        punct = ch in string.punctuation or unicodedata.category(ch).startswith("P")
        self[code] = value = 32 if punct else code
        return value


_PUNCTUATION = _PunctuationToSpace()


def normalize_text(text: str) -> str:
    """Lower-case, drop punctuation and the articles a/an/the, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(_PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def _targets(task: Task) -> tuple[str, ...]:
    targets = task.targets
    if not targets:
        raise task_error(task, "target", f"the {task.grader.name!r} grader needs a target")
    return targets


def _expected(targets: tuple[str, ...]) -> str:
    if len(targets) == 1:
        return short(targets[0], 40)
    return (
        "one of "
        + ", ".join(short(t, 30) for t in targets[:5])
        + (", ..." if len(targets) > 5 else "")
    )


@grader("exact")
def exact(task: Task, answer: str) -> Grade:
    """The answer equals a target once surrounding whitespace is stripped."""
    targets = _targets(task)
    got = answer.strip()
    for target in targets:
        if got == target.strip():
            return Grade(1.0, f"exact match {short(target, 40)}")
    if len(targets) == 1:
        return Grade(0.0, mismatch(targets[0].strip(), got))
    return Grade(0.0, f"expected {_expected(targets)}, got {short(got)}")


@grader("normalized")
def normalized(task: Task, answer: str) -> Grade:
    """Equal after :func:`normalize_text` (case, whitespace, punctuation, articles)."""
    targets = _targets(task)
    got = normalize_text(answer)
    for target in targets:
        if got == normalize_text(target):
            return Grade(1.0, f"matches {short(target, 40)} after normalizing")
    return Grade(0.0, f"expected {_expected(targets)}, got {short(answer.strip())}")


# -- numbers ------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"""
    (?<![\w.])
    (?P<sign>[-+\u2212])?
    \$?
    (?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)
    (?:[eE](?P<exp>[-+]?\d+))?
    (?:/(?P<den>\d+)(?![\d.,/]))?
    (?P<pct>\s?%)?
    """,
    re.VERBOSE,
)
_MARKER = re.compile(r"(?i)\banswer\b|####|=|\\boxed\{")


@dataclass(frozen=True)
class ParsedNumber:
    """A number found in text; ``percent`` when it was written with ``%``."""

    value: float
    percent: bool
    text: str

    def candidates(self) -> tuple[float, ...]:
        """The values it may stand for: ``50%`` is 50 or 0.5."""
        return (self.value, self.value / 100.0) if self.percent else (self.value,)


def _parse(match: re.Match[str]) -> ParsedNumber | None:
    value = float(match["num"].replace(",", ""))
    if match["exp"]:
        value *= 10.0 ** int(match["exp"])
    if match["den"]:
        den = int(match["den"])
        if den == 0:
            return None
        value /= den
    if match["sign"] in ("-", "\u2212"):
        value = -value
    if not math.isfinite(value):
        return None
    return ParsedNumber(value, bool(match["pct"]), match.group(0).strip())


def numbers_in(text: str) -> list[ParsedNumber]:
    """Every number in ``text``, in order."""
    out = []
    for match in _NUMBER.finditer(text):
        parsed = _parse(match)
        if parsed is not None:
            out.append(parsed)
    return out


def extract_number(text: str) -> ParsedNumber | None:
    """The answer's number.

    Rule: when the text has an answer marker (the word "answer", ``=``, ``####`` or
    ``\\boxed{``), the first number after the last marker; otherwise (or when no number
    follows it) the last number in the text. Understands ``1,234.5``, ``$12``, ``-3``,
    ``1e3``, ``50%`` (50 or 0.5) and fractions such as ``3/4``.
    """
    markers = list(_MARKER.finditer(text))
    if markers:
        after = numbers_in(text[markers[-1].end() :])
        if after:
            return after[0]
    found = numbers_in(text)
    return found[-1] if found else None


_TARGET_NUMBER = re.compile(r"[-+]?(?:\d[\d,_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def _check_numeric(task: Task, args: NumericArgs) -> list[tuple[str, str]]:
    return [
        ("target", f"the numeric grader needs a number, got {short(t)}")
        for t in task.targets
        if not _TARGET_NUMBER.search(t)
    ]


@grader("numeric", args=NumericArgs, check=_check_numeric)
def numeric(task: Task, answer: str, *, args: NumericArgs) -> Grade:
    """The answer's number (see :func:`extract_number`) is within tolerance of a target."""
    targets = _targets(task)
    got = extract_number(answer)
    wanted: list[ParsedNumber] = []
    for target in targets:
        parsed = extract_number(target)
        if parsed is None:
            raise task_error(task, "target", f"target {short(target)} holds no number")
        wanted.append(parsed)
    if got is None:
        return Grade(0.0, f"no number in answer {short(answer.strip())}")
    for want in wanted:
        for a in got.candidates():
            for t in want.candidates():
                if math.isclose(a, t, rel_tol=args.rel_tol, abs_tol=args.abs_tol):
                    return Grade(1.0, f"{got.text} equals {want.text} within tolerance")
    shown = _expected(tuple(t.text for t in wanted))
    return Grade(0.0, f"expected {shown}, got {short(got.text)}")


# -- multiple choice ----------------------------------------------------------------------

_LETTERS = string.ascii_uppercase
_ALONE = re.compile(r"\(?([A-Za-z])\)?[.:)]?")
_LEADING = re.compile(r"\(?([A-Z])[).:]\s")
_MARKED = re.compile(
    r"(?i)\b(?:answer|option|choice)\b(?:\s+is)?\s*[:\-]?\s*"
    r"(?:\((?P<paren>[a-z])\)|(?-i:(?P<upper>[A-Z]))(?![A-Za-z])|(?P<last>[a-z])[.)]?\s*$)"
)


def _letter_of(text: str, options: list[str] | None) -> str | None:
    """The option letter a target or answer names, or None."""
    s = re.sub(r"[*_`]", "", text).strip()
    valid = _LETTERS[: len(options)] if options else _LETTERS
    candidates: list[str] = []
    alone = _ALONE.fullmatch(s)
    if alone:
        candidates.append(alone.group(1))
    marked = list(_MARKED.finditer(s))
    if marked:
        m = marked[-1]
        candidates.append(m["paren"] or m["upper"] or m["last"])
    leading = _LEADING.match(s + " ")
    if leading:
        candidates.append(leading.group(1))
    for letter in candidates:
        if letter.upper() in valid:
            return letter.upper()
    if options:
        norm = normalize_text(s)
        exact = [i for i, opt in enumerate(options) if normalize_text(opt) == norm]
        if len(exact) == 1:
            return valid[exact[0]]
        padded = f" {norm} "
        inside = [
            i
            for i, opt in enumerate(options)
            if normalize_text(opt) and f" {normalize_text(opt)} " in padded
        ]
        if len(inside) == 1:
            return valid[inside[0]]
    return None


def _check_choice(task: Task, args: ChoiceArgs) -> list[tuple[str, str]]:
    options = args.options
    letters = [chr(ord("A") + i) for i in range(len(options) if options else 26)]
    lowered = {o.strip().lower() for o in options or []}
    out = []
    for t in task.targets:
        if t.strip().upper() in letters or t.strip().lower() in lowered:
            continue
        if options:
            want = f"a letter {letters[0]}-{letters[-1]} or one of the options"
        else:
            want = "an option letter (A, B, ...); give grader args 'options' to use text"
        out.append(("target", f"the choice grader needs {want}, got {short(t)}"))
    return out


@grader("choice", args=ChoiceArgs, check=_check_choice)
def choice(task: Task, answer: str, *, args: ChoiceArgs) -> Grade:
    """A multiple-choice letter (``B``, ``(B)``, ``B)``, ``Answer: B``) or the option's text.

    Targets may be letters or option text; with ``options`` both map to letters.
    """
    targets = _targets(task)
    options = args.options
    got = _letter_of(answer, options)
    for target in targets:
        want = _letter_of(target, options)
        if want is not None and got == want:
            return Grade(1.0, f"chose {got}")
        if want is None and normalize_text(answer) == normalize_text(target):
            return Grade(1.0, f"chose {short(target, 40)}")
    if got is None:
        return Grade(0.0, f"no choice found in {short(answer.strip())}")
    return Grade(0.0, f"expected {_expected(targets)}, got {got!r}")


# -- regex and contains -------------------------------------------------------------------

#: Longest time one regex match may take (the ``regex`` package stops it).
REGEX_TIMEOUT_S = 2.0


def _check_regex(task: Task, args: RegexArgs) -> list[tuple[str, str]]:
    if args.pattern is not None:
        return []
    if not task.targets:
        return [("target", "missing (the regex grader needs a target or args.pattern)")]
    out = []
    for t in task.targets:
        try:
            re.compile(t)
        except re.error as exc:
            out.append(("target", f"the regex grader uses it as a pattern, which fails: {exc}"))
    return out


@grader("regex", args=RegexArgs, needs_target=False, check=_check_regex)
def regex(task: Task, answer: str, *, args: RegexArgs) -> Grade:
    """The answer matches ``pattern`` (or, without it, one of the targets as patterns)."""
    patterns = (args.pattern,) if args.pattern is not None else _targets(task)
    flags = regex_module.IGNORECASE if args.ignore_case else 0
    field = "grader.args.pattern" if args.pattern is not None else "target"
    for pattern in patterns:
        try:
            compiled = regex_module.compile(pattern, flags | regex_module.VERSION0)
        except regex_module.error as exc:
            raise task_error(
                task, field, f"pattern {short(pattern)} does not compile: {exc}"
            ) from None
        try:  # a pattern such as ^(a+)+$ can backtrack for ever: every match is bounded
            if args.fullmatch:
                hit = compiled.fullmatch(answer.strip(), timeout=REGEX_TIMEOUT_S) is not None
            else:
                hit = compiled.search(answer, timeout=REGEX_TIMEOUT_S) is not None
        except TimeoutError:
            raise task_error(
                task,
                field,
                f"pattern {short(pattern)} did not finish matching a {len(answer)}-character "
                f"answer within {REGEX_TIMEOUT_S:g} s (repeats over overlapping alternatives, "
                "such as (a|aa)+, backtrack without end); simplify it",
            ) from None
        if hit:
            return Grade(1.0, f"matches /{pattern}/")
    how = "fully match" if args.fullmatch else "match"
    shown = " or ".join(f"/{p}/" for p in patterns[:3])
    return Grade(0.0, f"does not {how} {shown}: {short(answer.strip())}")


@grader("contains", args=ContainsArgs)
def contains(task: Task, answer: str, *, args: ContainsArgs) -> Grade:
    """A target appears in the answer (case-insensitive unless ``case_sensitive``)."""
    targets = _targets(task)
    hay = answer if args.case_sensitive else answer.casefold()
    for target in targets:
        needle = target if args.case_sensitive else target.casefold()
        if needle and needle in hay:
            return Grade(1.0, f"contains {short(target, 40)}")
    return Grade(0.0, f"{_expected(targets)} not found in {short(answer.strip())}")
