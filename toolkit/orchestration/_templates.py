"""Deterministic plan templates for task types whose decomposition is known.

- ``extract_then_compute``: pull the numbers out of the text, then do the arithmetic.
- ``multi_part``: a question in parts ``(a) ... (b) ...``; each part is a step whose role a
  pattern picks (arithmetic, an email, a date, a sentiment, ...); the answer joins the parts.
- ``classify_then_answer``: classify the text; the label picks the role of the answering step.

A template is a function ``(task, settings) -> Plan``; it raises PlanError when the task does
not fit it (the failure is recorded in the trace).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from toolkit.orchestration._plan import Plan, PlanError, Step
from toolkit.tasks import Task


class PartRole(BaseModel):
    """A ``multi_part`` rule: a part whose text matches ``pattern`` (case ignored) gets ``role``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str
    role: str = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


#: Default ``multi_part`` rules, most specific first (a date such as 2024-03-15 would also
#: look like a subtraction to the arithmetic pattern).
DEFAULT_PART_ROLES: tuple[PartRole, ...] = (
    PartRole(pattern=r"e-?mail", role="email_extractor"),
    PartRole(pattern=r"\bdate\b|\bwhen\b", role="date_extractor"),
    PartRole(pattern=r"positive or negative|sentiment", role="sentiment"),
    PartRole(
        pattern=r"\d\s*(?:[-+*/×x÷]|plus|minus|times|divided by|multiplied by)\s*\d",
        role="calculator",
    ),
)


class TemplateSettings(BaseModel):
    """Settings of the template planner (the ``planner`` table of an orchestrator spec)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    templates: dict[str, str] = Field(default_factory=dict)
    part_roles: list[PartRole] = Field(default_factory=lambda: list(DEFAULT_PART_ROLES))
    default_part_role: str = "worker"
    label_roles: dict[str, str] = Field(default_factory=dict)
    classify_category: str = "classification"


_OPERATIONS: dict[str, tuple[str, str]] = {
    "+": ("+", "sum"),
    "sum": ("+", "sum"),
    "add": ("+", "sum"),
    "-": ("-", "difference"),
    "difference": ("-", "difference"),
    "subtract": ("-", "difference"),
    "*": ("*", "product"),
    "product": ("*", "product"),
    "multiply": ("*", "product"),
    "/": ("/", "quotient"),
    "quotient": ("/", "quotient"),
    "divide": ("/", "quotient"),
}

_OPERATION_WORDS: tuple[tuple[str, str], ...] = (
    (r"\bhow many more\b|\bhow much more\b|\bdifference\b|\bleft\b|\bremain", "-"),
    (r"\beach\b|\bper\b.*\btotal\b|\bproduct\b|\btimes\b", "*"),
    (r"\bsplit\b|\bshared equally\b|\bper person\b|\bquotient\b", "/"),
    (r"\btotal\b|\baltogether\b|\bin all\b|\bcombined\b|\bsum\b", "+"),
)


def _operation(task: Task) -> tuple[str, str]:
    given = task.metadata.get("operation")
    if isinstance(given, str) and given.strip().lower() in _OPERATIONS:
        return _OPERATIONS[given.strip().lower()]
    if given is not None:
        raise PlanError(
            [
                f"extract_then_compute: task {task.id!r}: metadata operation {given!r} is not "
                f"one of {', '.join(sorted(_OPERATIONS))}"
            ]
        )
    for pattern, symbol in _OPERATION_WORDS:
        if re.search(pattern, task.input, flags=re.IGNORECASE):
            return _OPERATIONS[symbol]
    raise PlanError(
        [
            f"extract_then_compute: task {task.id!r}: cannot tell the operation from the text; "
            "set metadata operation = '+', '-', '*' or '/'"
        ]
    )


def extract_then_compute(task: Task, settings: TemplateSettings) -> Plan:
    """``extract`` (role ``extractor``) pulls the numbers; ``compute`` (role ``calculator``)
    applies the operation (metadata ``operation``, else read from the question's words) to
    them in order."""
    symbol, word = _operation(task)
    return Plan(
        steps=[
            Step(
                id="extract",
                description="Pull the numbers out of the text, in order.",
                role="extractor",
                category="extract_numbers",
                input="{input}",
            ),
            Step(
                id="compute",
                description=f"Compute the {word} of the extracted numbers.",
                role="calculator",
                category="arithmetic",
                depends_on=["extract"],
                input="{extract:numbers " + symbol + " }",
            ),
        ]
    )


_PART = re.compile(r"(?:^|\s)\(([a-z])\)\s+")


def multi_part(task: Task, settings: TemplateSettings) -> Plan:
    """One independent step per part ``(a) ...``; roles by ``part_roles``; the answer is
    ``(a) <result>; (b) <result>; ...``."""
    marks = list(_PART.finditer(task.input))
    if not marks:
        raise PlanError(
            [f"multi_part: task {task.id!r}: no parts like '(a) ...' found in its input"]
        )
    steps: list[Step] = []
    answer: list[str] = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(task.input)
        text = task.input[m.end() : end].strip()
        letter = m.group(1)
        role = settings.default_part_role
        for rule in settings.part_roles:
            if re.search(rule.pattern, text, flags=re.IGNORECASE):
                role = rule.role
                break
        step_id = f"part_{letter}"
        if any(s.id == step_id for s in steps):
            raise PlanError([f"multi_part: task {task.id!r}: part ({letter}) appears twice"])
        steps.append(
            Step(
                id=step_id,
                description=f"Answer part ({letter}): {text}",
                role=role,
                category=role,
                input=text.replace("{", "{{").replace("}", "}}"),
            )
        )
        answer.append(f"({letter}) {{{step_id}}}")
    return Plan(steps=steps, answer="; ".join(answer))


def classify_then_answer(task: Task, settings: TemplateSettings) -> Plan:
    """``classify`` (role ``classifier``) labels the text and records the label as fact
    ``label``; the label picks the role of ``answer`` through ``label_roles`` (task metadata
    ``label_roles`` wins), else it keeps role ``answerer``."""
    label_roles = task.metadata.get("label_roles", settings.label_roles)
    if not isinstance(label_roles, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in label_roles.items()
    ):
        raise PlanError(
            [f"classify_then_answer: task {task.id!r}: label_roles must map labels to roles"]
        )
    category = task.metadata.get("classify_category", settings.classify_category)
    return Plan(
        steps=[
            Step(
                id="classify",
                description="Classify the text: say which kind it is, in one word.",
                role="classifier",
                category=str(category),
                input="{input}",
                fact="label",
            ),
            Step(
                id="answer",
                description="Do what the task asks for this kind of text.",
                role="answerer",
                category="answer",
                depends_on=["classify"],
                route_on="classify",
                routes={k.strip().lower(): v for k, v in label_roles.items()},
            ),
        ]
    )


Template = Callable[[Task, TemplateSettings], Plan]

TEMPLATES: dict[str, Template] = {
    "extract_then_compute": extract_then_compute,
    "multi_part": multi_part,
    "classify_then_answer": classify_then_answer,
}


def template_name(task: Task, settings: TemplateSettings) -> str:
    """The template for ``task``: metadata ``template``, else ``templates[category]``, else
    the category itself when it names a template."""
    given: Any = task.metadata.get("template")
    if isinstance(given, str) and given:
        return given
    return settings.templates.get(task.category, task.category)


def template_plan(task: Task, settings: TemplateSettings) -> tuple[str, Plan]:
    """``(template name, plan)`` for ``task``; PlanError when no template fits."""
    name = template_name(task, settings)
    template = TEMPLATES.get(name)
    if template is None:
        raise PlanError(
            [
                f"template planner: task {task.id!r} (category {task.category!r}) has no "
                f"template {name!r} (known: {', '.join(sorted(TEMPLATES))}); set metadata "
                "template or the planner's templates map"
            ]
        )
    return name, template(task, settings)
