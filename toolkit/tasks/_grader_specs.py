"""The grader part of the task-file format: grader names and the args each one takes.

The task layer owns the *format* (so it can validate task files); ``toolkit.grading``
implements the graders named here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExactArgs(_Args):
    """``exact``: the answer equals a target after stripping surrounding whitespace."""


class NormalizedArgs(_Args):
    """``normalized``: equal after lower-casing and removing punctuation, articles, extra spaces."""


class NumericArgs(_Args):
    """``numeric``: the last number in the answer is within tolerance of the target."""

    rel_tol: float = Field(default=1e-6, ge=0.0)
    abs_tol: float = Field(default=1e-9, ge=0.0)


class ChoiceArgs(_Args):
    """``choice``: a multiple-choice letter (A, B, ...) or the option's text.

    ``options`` lists the options in letter order; without it only letters are compared.
    """

    options: list[str] | None = None


class RegexArgs(_Args):
    """``regex``: the answer matches ``pattern`` (search; ``fullmatch`` to anchor).

    Without ``pattern`` the task's target(s) are the patterns.
    """

    pattern: str | None = None
    ignore_case: bool = False
    fullmatch: bool = False

    @model_validator(mode="after")
    def _compiles(self) -> RegexArgs:
        import re

        if self.pattern is None:
            return self
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"pattern does not compile: {exc}") from None
        return self


class ContainsArgs(_Args):
    """``contains``: a target appears in the answer."""

    case_sensitive: bool = False


class CodeArgs(_Args):
    """``code``: run the task's tests (``metadata.test``, ``metadata.entry_point``) in the sandbox."""

    timeout_s: float = Field(default=10.0, gt=0.0, le=600.0)
    memory_mb: int = Field(default=512, ge=32, le=16384)


class JudgeArgs(_Args):
    """``judge``: ask a model whether the answer is right; ``rubric`` guides it."""

    rubric: str = ""
    executor: str | None = None
    pass_threshold: float = Field(default=0.5, ge=0.0, le=1.0)


GRADER_ARGS: dict[str, type[_Args]] = {
    "exact": ExactArgs,
    "normalized": NormalizedArgs,
    "numeric": NumericArgs,
    "choice": ChoiceArgs,
    "regex": RegexArgs,
    "contains": ContainsArgs,
    "code": CodeArgs,
    "judge": JudgeArgs,
}

#: Graders that do not need a ``target``.
TARGETLESS_GRADERS = frozenset({"judge", "code"})

DEFAULT_GRADER = "normalized"


def check_grader(name: str, args: dict[str, Any]) -> list[str]:
    """Problems with a grader name and its args, as short messages (empty when fine)."""
    schema = GRADER_ARGS.get(name)
    if schema is None:
        known = ", ".join(sorted(GRADER_ARGS))
        return [f"unknown grader {name!r} (known: {known})"]
    try:
        schema.model_validate(args)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            out.append(f"args.{loc}: {msg}" if loc else f"args: {msg}")
        return out
    return []


def parse_grader_args(name: str, args: dict[str, Any]) -> _Args:
    """Validated args object for grader ``name`` (call :func:`check_grader` first)."""
    return GRADER_ARGS[name].model_validate(args)
