"""Deterministic tool executors: safe arithmetic and regex extraction.

Arithmetic parses an expression with :mod:`ast` and evaluates only numbers, ``+ - * / // %
**``, parentheses and unary signs, within size limits; nothing is ever ``eval``-ed. It finds the
expression inside text such as "What is 17 + 25?" and reads the words plus, minus, times,
multiplied by, divided by, over, to the power of. It declines anything else.
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable

from toolkit._arith import CannotCompute, evaluate
from toolkit._types import Call, Request
from toolkit.models._config import BUILTIN_PATTERNS, ExecutorConfig

_WORDS = [
    (r"\bmultiplied\s+by\b", "*"),
    (r"\bdivided\s+by\b", "/"),
    (r"\bto\s+the\s+power\s+of\b", "**"),
    (r"\bplus\b", "+"),
    (r"\bminus\b", "-"),
    (r"\btimes\b", "*"),
    (r"\bover\b", "/"),
    (r"\bmod(?:ulo)?\b", "%"),
    (r"×", "*"),
    (r"÷", "/"),
    (r"−", "-"),
    (r"\^", "**"),
]
# a run of characters that can form an expression, containing at least one digit
_EXPR = re.compile(r"[-+*/%().\d\s]*\d[-+*/%().\d\s]*")


def find_expression(text: str) -> str:
    """The arithmetic expression inside ``text`` (operator words replaced by symbols)."""
    t = text.replace(",", "") if re.search(r"\d,\d{3}", text) else text
    for pattern, symbol in _WORDS:
        t = re.sub(pattern, f" {symbol} ", t, flags=re.IGNORECASE)
    best = ""
    for m in _EXPR.finditer(t):
        cand = m.group(0).strip().rstrip(".").strip()
        # trim unbalanced or dangling characters at the ends
        while cand and cand[-1] in "+-*/%(":
            cand = cand[:-1].rstrip()
        while cand and cand[0] in "*/%)":
            cand = cand[1:].lstrip()
        if cand.count("(") != cand.count(")"):
            continue
        if re.search(r"[-+*/%]", cand.lstrip("-+")) and len(cand) > len(best):
            best = cand
    if not best:
        raise CannotCompute("no arithmetic expression found")
    return best


def format_number(value: int | float) -> str:
    """An answer as people write it: integers without ``.0``, others to 10 significant digits."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return format(value, ".10g")
    return str(value)


def solve_arithmetic(text: str) -> str:
    """The value of the arithmetic in ``text`` as a string (raises CannotCompute)."""
    return format_number(evaluate(find_expression(text)))


def extract(pattern: str, text: str) -> str | None:
    """The first match of ``pattern`` (a built-in name or a regex; group 1 if it has one)."""
    regex = re.compile(BUILTIN_PATTERNS.get(pattern, pattern))
    m = regex.search(text)
    if m is None:
        return None
    return m.group(1) if regex.groups else m.group(0)


class InProcessExecutor(ABC):
    """Base of the executors that answer in this process (tool, specialist): no provider, cost 0.

    A subclass says what it answers (``answer``, None to decline) and the call's ``model``
    (``model_label``).
    """

    def __init__(
        self, config: ExecutorConfig, on_call: Callable[[Call], None] | None = None
    ) -> None:
        self.name = config.name
        self.config = config
        self.on_call = on_call

    @abstractmethod
    def answer(self, request: Request) -> str | None:
        """The answer to ``request``, or None to decline."""

    @abstractmethod
    def model_label(self) -> str:
        """The ``model`` recorded on this executor's calls."""

    async def complete(self, request: Request) -> Call:
        """Answer ``request`` (or decline it); reports the call to the ``on_call`` hook."""
        call = await self.respond(request)
        if self.on_call is not None:
            self.on_call(call)
        return call

    async def respond(self, request: Request) -> Call:
        """The call, without the hook (used when this executor stands as a fallback)."""
        started, t0 = time.time(), time.monotonic()
        text = self.answer(request)
        return Call(
            executor=self.name,
            model=self.model_label(),
            text=text or "",
            declined=text is None,
            service_s=time.monotonic() - t0,
            task_id=request.task_id,
            step=request.step,
            started_at=started,
            ended_at=time.time(),
        )


class ToolExecutor(InProcessExecutor):
    """A deterministic tool; free (cost 0) and instant. Declines what it cannot do."""

    def answer(self, request: Request) -> str | None:
        """The tool's answer, or None to decline."""
        if self.config.categories and request.category not in self.config.categories:
            return None
        if self.config.tool == "arithmetic":
            try:
                return solve_arithmetic(request.prompt)
            except CannotCompute:
                return None
        assert self.config.pattern is not None
        return extract(self.config.pattern, request.prompt)

    def model_label(self) -> str:
        return f"tool:{self.config.tool}"
