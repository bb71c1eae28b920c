"""Safe arithmetic: numbers, ``+ - * / // % **``, parentheses and unary signs, within size
limits, parsed with :mod:`ast`; nothing is ever ``eval``-ed. Used by the arithmetic tool
executor and by the ZeroEval importer (which turns fractions such as ``3/4`` into numbers).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

MAX_EXPRESSION_CHARS = 200
MAX_EXPONENT = 1000
MAX_NODES = 100
MAX_MAGNITUDE = 1e300

_BIN: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


class CannotCompute(ValueError):
    """The text holds no expression the tool can evaluate safely."""


def _eval_node(node: ast.AST) -> int | float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise CannotCompute("not a number")
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _eval_node(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        left, right = _eval_node(node.left), _eval_node(node.right)
        too_big = abs(right) > MAX_EXPONENT or (
            abs(left) > 1 and abs(right) * math.log10(abs(left)) > 300
        )
        if isinstance(node.op, ast.Pow) and too_big:
            raise CannotCompute("power too large")
        if isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod) and right == 0:
            raise CannotCompute("division by zero")
        try:
            value = _BIN[type(node.op)](left, right)
        except (OverflowError, ZeroDivisionError) as exc:
            raise CannotCompute(str(exc)) from exc
        if isinstance(value, complex) or abs(value) > MAX_MAGNITUDE:
            raise CannotCompute("result out of range")
        return value  # type: ignore[no-any-return]
    raise CannotCompute(f"unsupported element {type(node).__name__}")


def evaluate(expression: str) -> int | float:
    """Evaluate an arithmetic expression safely (raises CannotCompute)."""
    expr = expression.strip()
    if not expr or len(expr) > MAX_EXPRESSION_CHARS:
        raise CannotCompute("empty or too long")
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise CannotCompute("not an expression") from exc
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise CannotCompute("expression too large")
    if not any(isinstance(n, ast.BinOp) for n in ast.walk(tree)):
        raise CannotCompute("no operation")
    return _eval_node(tree.body)
