"""The plan: a DAG of steps, its JSON schema, and validation before anything runs.

A plan is data (:class:`Plan`, a pydantic model). It is checked in this order, and every
problem is reported at once as a :class:`PlanError`:

1. the text is JSON (planner answers only);
2. it validates against the JSON schema (:func:`plan_schema`, via ``jsonschema``);
3. it builds the pydantic :class:`Plan`;
4. the graph holds: unique ids, every ``depends_on`` names a step of the plan, no cycle (the
   message names it, ``a -> b -> a``), and templates only use what their step may see.

Executors are checked by the orchestrator (it knows the run's executors), also before any call.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolkit._errors import InputError

#: A step id: it is also a placeholder name in ``input`` and ``answer`` templates.
STEP_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,39}$"

#: Placeholders every ``input`` template may use besides its dependencies.
INPUT_FIELDS = frozenset({"input", "facts"})

#: The one format spec templates know: ``{step:numbers SEP}`` joins the numbers of a result.
NUMBERS_SPEC = "numbers"


class PlanError(InputError):
    """A plan that cannot run: bad JSON, a schema violation, a cycle, a missing dependency,
    an unknown executor. ``problems`` lists each one; ``str()`` joins them."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems), problems)


class Step(BaseModel):
    """One step of a plan: a sub-task for one executor.

    - ``role`` is the step's task type; routing maps it to an executor and the executor layer
      maps it to ``TOOLKIT_MODEL_<ROLE>``.
    - ``executor`` and ``model`` override routing and the model for this step only.
    - ``input`` is the exact text the executor gets (a template over ``{input}``, ``{facts}`` and
      the dependencies' ids); without it the executor gets the step's view of the handoff.
    - ``fact`` adds the step's result to the handoff's facts under that name.
    - ``route_on``/``routes``: the result of dependency ``route_on`` (a label) picks the role.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=STEP_ID_PATTERN)
    description: str = Field(min_length=1)
    role: str = ""
    category: str | None = None
    executor: str | None = Field(default=None, min_length=1)
    model: str | None = Field(default=None, min_length=1)
    depends_on: list[str] = Field(default_factory=list)
    input: str | None = None
    fact: str | None = Field(default=None, min_length=1)
    route_on: str | None = None
    routes: dict[str, str] = Field(default_factory=dict)


class Plan(BaseModel):
    """A DAG of steps. ``answer`` is a template over step ids giving the final answer; without
    it the answer is the sink step's result (several sinks: their results, one per line)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: list[Step] = Field(min_length=1)
    answer: str | None = None

    @property
    def ids(self) -> list[str]:
        """Step ids in plan order."""
        return [s.id for s in self.steps]

    def sinks(self) -> list[str]:
        """Steps no other step depends on, in plan order."""
        used = {d for s in self.steps for d in s.depends_on}
        return [s.id for s in self.steps if s.id not in used]

    def dependents(self, step_id: str) -> list[str]:
        """Steps that depend on ``step_id`` directly or through others, in plan order."""
        found: set[str] = set()
        frontier = [step_id]
        while frontier:
            current = frontier.pop()
            for s in self.steps:
                if current in s.depends_on and s.id not in found:
                    found.add(s.id)
                    frontier.append(s.id)
        return [i for i in self.ids if i in found]


# ----- the JSON schema -------------------------------------------------------------------------


def plan_schema(
    roles: Sequence[str] | None = None,
    *,
    max_steps: int | None = None,
    full: bool = True,
    executors: bool = True,
    max_text: int | None = None,
) -> dict[str, Any]:
    """The JSON schema of a plan.

    ``full`` includes every field of :class:`Step` (plans given as data); otherwise only what
    a planner model writes: ``id``, ``description``, ``role``, ``depends_on`` (and ``executor``
    when ``executors``). ``roles`` restricts ``role`` to those names, ``max_steps`` the number
    of steps and ``max_text`` string lengths: with a local model these become the grammar its
    decoding is constrained to, so even a small base model writes a well-formed plan.
    """
    text: dict[str, Any] = {"type": "string", "minLength": 1}
    if max_text is not None:
        text["maxLength"] = max_text
    step_id: dict[str, Any] = {"type": "string", "pattern": STEP_ID_PATTERN}
    if max_text is not None:  # a bounded id keeps a constrained decoder from running on
        step_id["pattern"] = r"^[a-z][a-z0-9_]{0,15}$"
    role: dict[str, Any] = {"type": "string"}
    if roles is not None:
        role["enum"] = sorted(set(roles))
    deps: dict[str, Any] = {"type": "array", "items": step_id}
    if max_steps is not None:
        deps["maxItems"] = max(max_steps - 1, 0)
    props: dict[str, Any] = {
        "id": step_id,
        "description": text,
        "role": role,
        "depends_on": deps,
    }
    required = ["id", "description", "role", "depends_on"]
    if executors:
        props["executor"] = {"type": "string", "minLength": 1}
    if full:
        optional_text = {"type": ["string", "null"]}
        props.update(
            category=optional_text,
            model=optional_text,
            input=optional_text,
            fact=optional_text,
            route_on=optional_text,
            routes={"type": "object", "additionalProperties": {"type": "string"}},
        )
        props["executor"] = optional_text
        required = ["id", "description", "depends_on"]
    steps: dict[str, Any] = {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": False,
        },
    }
    if max_steps is not None:
        steps["maxItems"] = max_steps
    top: dict[str, Any] = {"steps": steps}
    if full:
        top["answer"] = {"type": ["string", "null"]}
    return {
        "type": "object",
        "properties": top,
        "required": ["steps"],
        "additionalProperties": False,
    }


#: The schema of a plan given as data (every field).
PLAN_SCHEMA: dict[str, Any] = plan_schema()


# ----- parsing and validation ------------------------------------------------------------------


def _strip_fences(text: str) -> str:
    """``text`` without a surrounding Markdown code fence (cloud models often add one)."""
    t = text.strip()
    m = re.fullmatch(r"```(?:json|JSON)?\s*\n?(.*?)\n?```", t, flags=re.DOTALL)
    return m.group(1).strip() if m else t


def loads_plan_json(text: str) -> Any:
    """The JSON value of a planner's answer; PlanError naming the position when malformed."""
    body = _strip_fences(text)
    if not body:
        raise PlanError(["the planner's answer is empty; expected a JSON object with 'steps'"])
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        shown = body if len(body) <= 120 else body[:117] + "..."
        raise PlanError(
            [
                f"the planner's answer is not valid JSON: {exc.msg} at line {exc.lineno} "
                f"column {exc.colno} (answer: {shown!r})"
            ]
        ) from None


def schema_problems(data: Any, schema: Mapping[str, Any]) -> list[str]:
    """Violations of ``schema`` by ``data``, each as ``path: message`` (empty when valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(dict(schema))
    out = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = ".".join(str(p) for p in err.absolute_path) or "plan"
        out.append(f"{path}: {err.message}")
    return out


def template_fields(template: str) -> list[tuple[str, str]]:
    """The ``(name, format_spec)`` pairs a template uses; ValueError when it does not parse."""
    fields = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if conversion:
            raise ValueError(f"conversion '!{conversion}' is not supported in {{{name}}}")
        fields.append((name, spec or ""))
    return fields


def _template_problems(where: str, template: str, allowed: Iterable[str], hint: str) -> list[str]:
    try:
        fields = template_fields(template)
    except ValueError as exc:
        return [f"{where}: not a valid template: {exc} (write {{{{ and }}}} for braces)"]
    allowed_set = set(allowed)
    problems = []
    for name, spec in fields:
        if name not in allowed_set:
            problems.append(f"{where}: uses {{{name}}}, which is not {hint}")
        if spec and not spec.startswith(NUMBERS_SPEC):
            problems.append(
                f"{where}: unknown format {{{name}:{spec}}}; the only one is "
                f"{{{name}:{NUMBERS_SPEC} + }} (the numbers in the result, joined by ' + ')"
            )
    return problems


def find_cycle(plan: Plan) -> list[str] | None:
    """A dependency cycle as ids ``[a, b, ..., a]``, or None. Unknown dependencies are ignored."""
    deps = {s.id: [d for d in s.depends_on] for s in plan.steps}
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in deps.get(node, []):
            if nxt not in deps:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if state.get(nxt) is None:
                found = visit(nxt)
                if found is not None:
                    return found
        path.pop()
        state[node] = 2
        return None

    for step_id in deps:
        if state.get(step_id) is None:
            found = visit(step_id)
            if found is not None:
                # report in execution order: each step runs after the one before it
                return list(reversed(found))
    return None


def graph_problems(plan: Plan) -> list[str]:
    """Problems with the plan's graph and templates (empty when it can run)."""
    problems: list[str] = []
    ids = plan.ids
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            problems.append(f"steps: duplicate step id {i!r}")
        seen.add(i)
    known = set(ids)
    for s in plan.steps:
        for d in s.depends_on:
            if d == s.id:
                problems.append(f"step {s.id!r}: depends on itself (cycle: {s.id} -> {s.id})")
            elif d not in known:
                problems.append(
                    f"step {s.id!r}: depends on {d!r}, which is not a step of the plan "
                    f"(steps: {', '.join(ids)})"
                )
        if len(set(s.depends_on)) != len(s.depends_on):
            problems.append(f"step {s.id!r}: depends_on lists a step twice")
        if s.input is not None:
            problems.extend(
                _template_problems(
                    f"step {s.id!r}: input",
                    s.input,
                    INPUT_FIELDS | set(s.depends_on),
                    "{input}, {facts} or one of its depends_on (an executor sees only the "
                    "results of the steps it depends on)",
                )
            )
        if s.route_on is not None and s.route_on not in s.depends_on:
            problems.append(
                f"step {s.id!r}: route_on {s.route_on!r} must be one of its depends_on "
                f"({', '.join(s.depends_on) or 'none'})"
            )
        if s.routes and s.route_on is None:
            problems.append(f"step {s.id!r}: routes is given without route_on")
    if not any("depends on itself" in p for p in problems):
        cycle = find_cycle(plan)
        if cycle is not None:
            problems.append(f"the plan has a dependency cycle: {' -> '.join(cycle)}")
    if plan.answer is not None:
        problems.extend(_template_problems("answer", plan.answer, known, "a step id of the plan"))
    return problems


def _pydantic_problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "plan"
        out.append(f"{loc}: {err['msg']}")
    return out


def parse_plan(
    data: str | Mapping[str, Any] | Plan,
    *,
    schema: Mapping[str, Any] | None = None,
) -> Plan:
    """A validated plan from a planner's JSON text, a mapping, or a Plan.

    Raises :class:`PlanError` listing every problem: malformed JSON, schema violations
    (``schema``, default :data:`PLAN_SCHEMA`), bad fields, missing dependencies, a cycle.
    """
    if isinstance(data, Plan):
        plan = data
    else:
        value = loads_plan_json(data) if isinstance(data, str) else dict(data)
        problems = schema_problems(value, schema if schema is not None else PLAN_SCHEMA)
        if problems:
            raise PlanError(problems)
        try:
            plan = Plan.model_validate(value)
        except ValidationError as exc:
            raise PlanError(_pydantic_problems(exc)) from None
    problems = graph_problems(plan)
    if problems:
        raise PlanError(problems)
    return plan


def topological_order(plan: Plan) -> list[str]:
    """Step ids so that each comes after its dependencies (plan order among equals).

    The plan must be valid (:func:`parse_plan`)."""
    done: list[str] = []
    placed: set[str] = set()
    remaining = list(plan.steps)
    while remaining:
        ready = [s for s in remaining if all(d in placed for d in s.depends_on)]
        if not ready:  # pragma: no cover - parse_plan rejects cycles
            raise PlanError([f"the plan has a dependency cycle among {[s.id for s in remaining]}"])
        for s in ready:
            done.append(s.id)
            placed.add(s.id)
        remaining = [s for s in remaining if s.id not in placed]
    return done
