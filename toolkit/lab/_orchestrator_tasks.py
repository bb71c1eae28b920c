"""The orchestrator benchmark's task set: GENERATED tasks that really decompose, with gold answers.

Every task here is generated from templates and word lists by a seeded random generator
(``metadata.generated = true``); nothing is copied from a public data set. Three kinds:

- ``extract_then_compute``: a short text with numbers and a question; pull the numbers
  out, then do the arithmetic (graded ``numeric``).
- ``multi_part``: a question in parts ``(a) ... (b) ...``: arithmetic, an email address, a
  date, a review's sentiment, each for a different executor (graded ``regex``: every part's
  answer must appear).
- ``classify_then_answer``: a support ticket; its type (billing, shipping, account) decides
  which detail answers it: the amount, the tracking number or the email address (graded
  ``normalized``).

The specialist executors are fitted on separate GENERATED training tasks (split ``train``):
ticket types (category ``ticket``) and review sentiment (category ``sentiment``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from toolkit.tasks import GraderRef, Task

GENERATED = {"generated": True, "generator": "toolkit.lab._orchestrator_tasks"}

FIRST = ["ann", "bo", "carla", "dev", "emma", "farid", "gina", "hugo", "ines", "jon", "kai", "lena"]
LAST = ["lee", "moss", "ng", "ortiz", "park", "quinn", "rossi", "silva", "tan", "voss"]
DOMAINS = ["example.org", "example.com", "example.net", "mail.example.io"]
MONTHS = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]

GOOD = [
    "works perfectly",
    "is excellent value",
    "arrived early and looks great",
    "exceeded my expectations",
    "is sturdy and well made",
    "made my mornings easier",
    "sounds wonderful",
    "was a delight to use",
    "is the best purchase this year",
    "fits nicely and feels solid",
]
BAD = [
    "broke after two days",
    "is a waste of money",
    "arrived scratched and dented",
    "stopped charging within a week",
    "feels cheap and flimsy",
    "made an awful rattling noise",
    "never worked properly",
    "was a huge disappointment",
    "smells of burnt plastic",
    "leaks every single time",
]
PRODUCTS = ["kettle", "lamp", "backpack", "blender", "headset", "desk chair", "umbrella", "router"]

TICKET_INSTRUCTION = (
    "Reply with the one detail needed to handle this ticket: the amount for a billing "
    "ticket, the tracking number for a shipping ticket, the email address for an account "
    "ticket. Reply with that detail only."
)
ORDER = ["order", "purchase", "subscription"]


def _email(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)}.{rng.choice(LAST)}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"


def _date(rng: random.Random) -> str:
    return f"20{rng.randint(23, 26)}-{rng.choice(MONTHS)}-{rng.randint(1, 28):02d}"


def _tracking(rng: random.Random) -> str:
    chars = "0123456789ABCDEFGHJKLMNPRSTUVWXY"
    return "1Z" + "".join(rng.choice(chars) for _ in range(10))


def _amount(rng: random.Random) -> str:
    return f"${rng.randint(5, 480)}.{rng.randint(0, 99):02d}"


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.10g}"


# ----- extract then compute ----------------------------------------------------------------------

_ETC: list[tuple[str, str, int, Callable[[random.Random], list[int]]]] = [
    (
        "A warehouse received {0} boxes on Monday and {1} boxes on Tuesday. "
        "How many boxes did it receive in total?",
        "+",
        2,
        lambda r: [r.randint(20, 900), r.randint(20, 900)],
    ),
    (
        "An invoice lists {0} dollars for parts, {1} dollars for labour and {2} dollars for "
        "delivery. What is the total of the invoice in dollars?",
        "+",
        3,
        lambda r: [r.randint(40, 900), r.randint(40, 600), r.randint(5, 90)],
    ),
    (
        "A water tank held {0} litres in the morning and {1} litres in the evening. "
        "How many litres were used during the day?",
        "-",
        2,
        lambda r: sorted([r.randint(300, 2000), r.randint(20, 290)], reverse=True),
    ),
    (
        "A library had {0} books and lent out {1} of them. How many books are left on the shelves?",
        "-",
        2,
        lambda r: sorted([r.randint(500, 5000), r.randint(10, 490)], reverse=True),
    ),
    (
        "A school orders {0} packs with {1} pencils each. How many pencils does it order?",
        "*",
        2,
        lambda r: [r.randint(12, 95), r.randint(6, 48)],
    ),
    (
        "A farm ships {0} crates and every crate holds {1} kilograms of apples. How many "
        "kilograms of apples does it ship?",
        "*",
        2,
        lambda r: [r.randint(11, 80), r.randint(9, 40)],
    ),
]


def _extract_then_compute(rng: random.Random, i: int) -> Task:
    text, op, _, numbers = _ETC[i % len(_ETC)]
    values = numbers(rng)
    total = float(values[0])
    for v in values[1:]:
        total = {"+": total + v, "-": total - v, "*": total * v}[op]
    return Task(
        id=f"etc-{i:03d}",
        input=text.format(*values),
        category="extract_then_compute",
        target=_fmt(total),
        grader=GraderRef("numeric"),
        split="test",
        metadata={**GENERATED, "operation": op, "numbers": values},
    )


# ----- multi part ----------------------------------------------------------------------------------


def _review(rng: random.Random) -> tuple[str, str]:
    label = rng.choice(["positive", "negative"])
    phrase = rng.choice(GOOD if label == "positive" else BAD)
    return f"The {rng.choice(PRODUCTS)} {phrase}.", label


def _part(kind: str, rng: random.Random) -> tuple[str, str]:
    """``(part question, gold answer)`` of one kind."""
    if kind == "arithmetic":
        a, b = rng.randint(11, 99), rng.randint(3, 29)
        word, value = rng.choice([("times", a * b), ("plus", a + b), ("minus", a - b)])
        return f"What is {a} {word} {b}?", str(value)
    if kind == "email":
        email = _email(rng)
        lead = rng.choice(["Write to", "Please contact", "Questions go to", "Send the form to"])
        return f"What is the email address in: '{lead} {email} before Friday.'?", email
    if kind == "date":
        date = _date(rng)
        what = rng.choice(["The report is due on", "The meeting moved to", "Delivery is set for"])
        return f"When is it, according to: '{what} {date}.'?", date
    review, label = _review(rng)
    return f"Is this review positive or negative: '{review}'?", label


def _multi_part(rng: random.Random, i: int) -> Task:
    kinds = ["arithmetic", "email", "date", "sentiment"]
    chosen = rng.sample(kinds, k=3 if i % 2 else 2)
    parts = [_part(k, rng) for k in chosen]
    letters = "abcd"
    text = "Answer each part. " + " ".join(f"({letters[j]}) {q}" for j, (q, _) in enumerate(parts))
    # every part's answer, after its letter: "(a) 161; (b) ann@x.org" (order free), so an
    # answer that only echoes the question does not pass
    pattern = "(?s)" + "".join(
        f"(?=.*\\({letters[j]}\\)[\\s:.-]*{re.escape(a)}(?![\\w@-]))"
        for j, (_, a) in enumerate(parts)
    )
    return Task(
        id=f"mp-{i:03d}",
        input=text,
        category="multi_part",
        target=pattern,
        grader=GraderRef("regex", {"ignore_case": True}),
        split="test",
        metadata={
            **GENERATED,
            "parts": {
                letters[j]: {"kind": k, "answer": a}
                for j, (k, (_, a)) in enumerate(zip(chosen, parts, strict=True))
            },
        },
    )


# ----- classify then answer ------------------------------------------------------------------------

_TICKETS: dict[str, list[str]] = {
    "billing": [
        "I was charged twice for my {order} {n}; please refund the extra {detail}.",
        "My card statement shows {detail} for a {order} I cancelled last month.",
        "The invoice for {order} {n} is wrong: you billed me {detail} instead of the quoted price.",
        "Why did you take {detail} from my account? I never approved that payment.",
    ],
    "shipping": [
        "My parcel with tracking number {detail} has not arrived after ten days.",
        "The courier says package {detail} was delivered, but nothing is at my door.",
        "Tracking {detail} has shown 'in transit' for two weeks. Where is my {order}?",
        "The box for {order} {n} came damaged; the label reads {detail}.",
    ],
    "account": [
        "I cannot log in any more; my account email is {detail}.",
        "Please reset the password for the account registered to {detail}.",
        "I never received the verification message at {detail}, so my account is locked.",
        "Close my account please. It is the one under {detail}.",
    ],
}


def _ticket(rng: random.Random, label: str) -> tuple[str, str]:
    detail = {"billing": _amount, "shipping": _tracking, "account": _email}[label](rng)
    text = rng.choice(_TICKETS[label]).format(
        order=rng.choice(ORDER), n=rng.randint(1000, 9999), detail=detail
    )
    return text, detail


def ticket_input(ticket: str) -> str:
    """The task text of a ticket (the classifier is trained on the same form)."""
    return f'Support ticket: "{ticket}"\n{TICKET_INSTRUCTION}'


def _classify_then_answer(rng: random.Random, i: int) -> Task:
    label = ["billing", "shipping", "account"][i % 3]
    ticket, detail = _ticket(rng, label)
    return Task(
        id=f"cta-{i:03d}",
        input=ticket_input(ticket),
        category="classify_then_answer",
        target=detail,
        grader=GraderRef("normalized"),
        split="test",
        metadata={**GENERATED, "label": label},
    )


# ----- the sets --------------------------------------------------------------------------------------


def benchmark_tasks(seed: int = 0, n_per_kind: tuple[int, int, int] = (18, 16, 16)) -> list[Task]:
    """The benchmark's test tasks (GENERATED, seeded; the same seed gives the same tasks)."""
    rng = random.Random(seed)
    n_etc, n_mp, n_cta = n_per_kind
    tasks = [_extract_then_compute(rng, i) for i in range(n_etc)]
    tasks += [_multi_part(rng, i) for i in range(n_mp)]
    tasks += [_classify_then_answer(rng, i) for i in range(n_cta)]
    return tasks


def specialist_training_tasks(seed: int = 1, n_per_label: int = 40) -> list[Task]:
    """GENERATED training tasks (split ``train``) for the two specialists: ticket types
    (category ``ticket``, target the type) and review sentiment (category ``sentiment``,
    input in the form of a multi-part question's part)."""
    rng = random.Random(seed)
    tasks: list[Task] = []
    for label in ("billing", "shipping", "account"):
        for j in range(n_per_label):
            ticket, _ = _ticket(rng, label)
            tasks.append(
                Task(
                    id=f"train-ticket-{label}-{j:03d}",
                    input=ticket_input(ticket),
                    category="ticket",
                    target=label,
                    split="train",
                    metadata=dict(GENERATED),
                )
            )
    for label, phrases in (("positive", GOOD), ("negative", BAD)):
        for j in range(n_per_label):
            review = f"The {rng.choice(PRODUCTS)} {rng.choice(phrases)}."
            tasks.append(
                Task(
                    id=f"train-sentiment-{label}-{j:03d}",
                    input=f"Is this review positive or negative: '{review}'?",
                    category="sentiment",
                    target=label,
                    split="train",
                    metadata=dict(GENERATED),
                )
            )
    return tasks
