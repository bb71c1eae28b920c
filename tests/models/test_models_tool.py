"""The tool executor: safe arithmetic (no eval) and regex extraction; it declines the rest."""

from __future__ import annotations

import asyncio
import csv
import random
import re
from pathlib import Path

import pytest

from toolkit._types import Call, Request
from toolkit.models import ExecutionContext, ExecutorConfig, build_executors
from toolkit.models._tool import CannotCompute, evaluate, solve_arithmetic

CALC = ExecutorConfig(name="calc", kind="tool", tool="arithmetic")


def answer(config: ExecutorConfig, prompt: str, category: str = "") -> Call:
    ex = build_executors([config], ExecutionContext())[config.name]
    return asyncio.run(ex.complete(Request(task_id="t", prompt=prompt, category=category)))


def synthetic_arithmetic(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """Synthetic labelled questions; labels computed directly with Python integers."""
    rng = random.Random(seed)
    items: list[tuple[str, str]] = []
    for _ in range(n):
        a, b, c = rng.randint(1, 999), rng.randint(1, 99), rng.randint(2, 9)
        kind = rng.randrange(6)
        if kind == 0:
            items.append((f"What is {a} + {b}?", str(a + b)))
        elif kind == 1:
            items.append((f"Compute {a} minus {b}.", str(a - b)))
        elif kind == 2:
            items.append((f"What is {a} times {b}?", str(a * b)))
        elif kind == 3:
            items.append((f"Calculate ({a} - {b}) * {c}", str((a - b) * c)))
        elif kind == 4:
            items.append((f"{a * c} divided by {c} = ?", str(a)))
        else:
            items.append((f"What is {c} ^ 3 plus -{b}?", str(c**3 - b)))
    return items


def test_arithmetic_accuracy_on_synthetic_questions() -> None:
    items = synthetic_arithmetic(120)
    calls = [answer(CALC, q) for q, _ in items]
    right = sum(c.text == want for c, (_, want) in zip(calls, items, strict=True))
    assert right == len(items), [
        (q, c.text) for c, (q, w) in zip(calls, items, strict=True) if c.text != w
    ]
    assert all(c.ok and c.cost_usd == 0.0 and c.model == "tool:arithmetic" for c in calls)


def test_arithmetic_on_real_gsm8k_calculator_annotations(shared_data: Path) -> None:
    """Real expressions: the <<expr=value>> annotations in RouteLLM's GSM8K answers.

    The values were written by the models, which sometimes got them wrong, so agreement is
    high but not perfect."""
    pairs: list[tuple[str, str]] = []
    with open(shared_data / "routellm_gsm8k_responses.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for key, value in row.items():
                if key.endswith("_response"):
                    pairs += re.findall(r"<<([^=<>]+)=([^<>]+)>>", value)
    assert len(pairs) > 1000
    agree = declined = 0
    for expr, value in pairs:
        try:
            got = evaluate(expr)
        except CannotCompute:
            declined += 1
            continue
        try:
            want = float(value.replace(",", ""))
        except ValueError:
            continue
        agree += abs(got - want) <= max(0.005, 1e-9 * abs(want))
    assert agree / len(pairs) >= 0.95
    assert declined / len(pairs) <= 0.01


@pytest.mark.parametrize(
    "text",
    [
        "Write a haiku about the sea.",
        "What is the capital of France?",
        "__import__('os').system('echo pwned')",
        "(1).__class__",
        "9 ** 9 ** 9 ** 9",
        "What is 10 ** 5000?",
        "1 / 0",
        "7 % 0",
        "1 + (2",
        "(" * 120 + "1" + ")" * 120 + " + 1",
        "+".join(["1"] * 150),
        "Meet me on 2024-01-05.",
    ],
)
def test_arithmetic_declines_what_it_cannot_do(text: str) -> None:
    call = answer(CALC, text)
    assert call.declined and call.text == "" and not call.ok


def test_arithmetic_details() -> None:
    assert solve_arithmetic("What is 17 + 25?") == "42"
    assert solve_arithmetic("7 / 2") == "3.5"
    assert solve_arithmetic("7 // 2 and then?") == "3"
    assert solve_arithmetic("1,234 + 1,000") == "2234"
    assert solve_arithmetic("-(3 - 10) * 2") == "14"
    assert solve_arithmetic("1/3") == "0.3333333333"
    assert solve_arithmetic("2 ** 10") == "1024"


def test_arithmetic_categories_limit_what_it_answers() -> None:
    config = ExecutorConfig(name="calc", kind="tool", tool="arithmetic", categories=["math"])
    assert answer(config, "2 + 2", category="math").text == "4"
    assert answer(config, "2 + 2", category="chat").declined


@pytest.mark.parametrize(
    ("pattern", "text", "want"),
    [
        ("email", "Contact: Jane Doe <jane.doe@example.org>, fax none.", "jane.doe@example.org"),
        ("date", "The invoice dated 2023-11-04 is overdue.", "2023-11-04"),
        ("date", "Signed on March 3, 2021 in Paris.", "March 3, 2021"),
        ("amount", "Total due: $1,249.50 by Friday.", "$1,249.50"),
        ("amount", "They paid 300 EUR in cash.", "300 EUR"),
        ("url", "Docs at https://example.com/a/b?x=1.", "https://example.com/a/b?x=1"),
        ("url", "See http://a.org/x.html, then stop!", "http://a.org/x.html"),
        ("url", "Is it https://b.io/q?", "https://b.io/q"),
        (r"order #(\d+)", "Re: order #88412 shipped", "88412"),
    ],
)
def test_regex_extraction(pattern: str, text: str, want: str) -> None:
    config = ExecutorConfig(name="rx", kind="tool", tool="regex_extract", pattern=pattern)
    call = answer(config, text)
    assert call.ok and call.text == want


def test_regex_extraction_accuracy_on_synthetic_texts() -> None:
    """Synthetic labelled texts: an email hidden in filler; the label is the inserted email."""
    rng = random.Random(3)
    config = ExecutorConfig(name="rx", kind="tool", tool="regex_extract", pattern="email")
    names, domains = ["ann", "bo.li", "c_k", "dee+x"], ["example.com", "mail.example.org", "x.io"]
    right = 0
    for i in range(40):
        email = f"{rng.choice(names)}{i}@{rng.choice(domains)}"
        text = f"Hi team, please write to {email} before {rng.randint(1, 28)} May. Thanks!"
        right += answer(config, text).text == email
    assert right == 40


def test_regex_declines_without_a_match() -> None:
    config = ExecutorConfig(name="rx", kind="tool", tool="regex_extract", pattern="email")
    assert answer(config, "no address here").declined


def test_tool_config_is_checked() -> None:
    with pytest.raises(ValueError, match="needs a pattern"):
        ExecutorConfig(name="rx", kind="tool", tool="regex_extract")
    with pytest.raises(ValueError, match="not a valid regular expression"):
        ExecutorConfig(name="rx", kind="tool", tool="regex_extract", pattern="(unclosed")
