"""Running a plan: ready steps in parallel, failures and constraints, the critical path.

Every step whose dependencies are done starts at once (asyncio), up to ``concurrency`` steps
at a time. A step fails when its call errors or its executor declines; its dependents are
then skipped while independent branches finish. A constraint stops the plan:

- ``max_steps``: no step starts after that many have started;
- ``max_tokens``: no step starts once the task's calls (planner and compression included)
  have used that many tokens in + out;
- ``deadline_s``: no step starts after the deadline, and steps still running are cancelled.

What was produced is kept and the reason recorded. ``BudgetExceeded`` and ``ReplayMiss``
from an executor are not step failures: they cancel the plan and propagate to the runner.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from toolkit._errors import BudgetExceeded, ReplayMiss, ToolkitError
from toolkit._types import Call, Request
from toolkit.orchestration._compress import CompressionConfig, compress_step
from toolkit.orchestration._handoff import (
    CompletedStep,
    Constraints,
    Handoff,
    RemainingStep,
    fill_template,
)
from toolkit.orchestration._plan import Plan, Step, topological_order
from toolkit.orchestration._routing import StepRouter, normalize_label
from toolkit.orchestration._tokens import model_window
from toolkit.strategies import StrategyContext, call_error
from toolkit.tasks import Task

State = Literal["pending", "running", "done", "failed", "skipped"]

SUMMARY_PROMPT = """\
Summarise the text below in at most {words} words. Keep every number, name and date.

Text:
{text}

Summary:"""


@dataclass
class StepRun:
    """One step's run: its state, executor, model, times, calls and result."""

    step: Step
    state: State = "pending"
    executor: str = ""
    model: str = ""
    role: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    wall_s: float = 0.0
    calls: list[Call] = field(default_factory=list)
    result: str = ""
    error: str | None = None
    confidence: float | None = None
    routing: dict[str, Any] = field(default_factory=dict)
    compression: dict[str, Any] | None = None

    @property
    def service_s(self) -> float:
        """The step's own time: the service time of its calls (compression included); for a
        step cancelled mid-call, its wall time until the cancel."""
        if self.calls:
            return sum(c.service_s for c in self.calls)
        return self.wall_s

    @property
    def tokens(self) -> int:
        return sum(c.tokens_in + c.tokens_out for c in self.calls)

    def info(self) -> dict[str, Any]:
        """The step as recorded in ``Trace.info["steps"]``."""
        return {
            "id": self.step.id,
            "role": self.role or self.step.role,
            "depends_on": list(self.step.depends_on),
            "state": self.state,
            "executor": self.executor,
            "model": self.model,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_ms": round(self.wall_s * 1000.0, 3),
            "service_s": self.service_s,
            "cost_usd": sum(c.cost_usd for c in self.calls),
            "tokens_in": sum(c.tokens_in for c in self.calls),
            "tokens_out": sum(c.tokens_out for c in self.calls),
            "n_calls": len(self.calls),
            "confidence": self.confidence,
            "error": self.error,
            "routing": dict(self.routing),
            "compression": self.compression,
        }


@dataclass
class Execution:
    """What running a plan produced."""

    runs: dict[str, StepRun]
    completed: list[str]
    calls: list[Call]
    stopped_by: str | None
    stop_reason: str | None
    handoff: Handoff

    def results(self) -> dict[str, str]:
        """Results of the steps that are done, by id."""
        return {i: r.result for i, r in self.runs.items() if r.state == "done"}


def _confidence(call: Call) -> float | None:
    """The executor's own confidence when its call reports one (in [0, 1]), else None."""
    value = getattr(call, "confidence", None)
    if isinstance(value, int | float) and 0.0 <= float(value) <= 1.0:
        return float(value)
    return None


class PlanRun:
    """Runs one validated plan for one task (see the module docstring)."""

    def __init__(
        self,
        plan: Plan,
        task: Task,
        ctx: StrategyContext,
        *,
        router: StepRouter,
        constraints: Constraints,
        compression: CompressionConfig,
        concurrency: int,
        started: float,
        tokens_used: int = 0,
        facts: Mapping[str, str] | None = None,
    ) -> None:
        self.plan = plan
        self.task = task
        self.ctx = ctx
        self.router = router
        self.constraints = constraints
        self.compression = compression
        self.concurrency = max(1, concurrency)
        self.started = started  # time.monotonic() at the start of the task
        self.tokens_used = tokens_used
        self.facts: dict[str, str] = dict(facts or {})
        self.runs: dict[str, StepRun] = {s.id: StepRun(s) for s in plan.steps}
        self.order = topological_order(plan)
        self.completed: list[str] = []
        self.calls: list[Call] = []
        self.started_count = 0
        self.stopped_by: str | None = None
        self.stop_reason: str | None = None

    # ----- state ---------------------------------------------------------------------------

    def handoff(self) -> Handoff:
        """The task's state now, as a typed handoff."""
        done = [self.runs[i] for i in self.completed if self.runs[i].state == "done"]
        return Handoff(
            task_id=self.task.id,
            task=self.task.input,
            completed=[
                CompletedStep(
                    step_id=r.step.id,
                    executor=r.executor,
                    model=r.model,
                    action=r.step.description,
                    result=r.result,
                    confidence=r.confidence,
                    duration_ms=r.wall_s * 1000.0,
                    tokens=r.tokens,
                )
                for r in done
            ],
            facts=dict(self.facts),
            remaining=[
                RemainingStep(
                    step_id=r.step.id,
                    description=r.step.description,
                    depends_on=list(r.step.depends_on),
                )
                for i in self.order
                if (r := self.runs[i]).state in ("pending", "running")
            ],
            constraints=self.constraints,
        )

    def _stop(self, by: str, reason: str) -> None:
        if self.stopped_by is None:
            self.stopped_by = by
            self.stop_reason = reason

    def _deadline_left(self) -> float | None:
        if self.constraints.deadline_s is None:
            return None
        return self.constraints.deadline_s - (time.monotonic() - self.started)

    def _skip_blocked(self) -> None:
        for i in self.order:
            run = self.runs[i]
            if run.state != "pending":
                continue
            for d in run.step.depends_on:
                dep = self.runs[d]
                if dep.state in ("failed", "skipped"):
                    run.state = "skipped"
                    run.error = f"dependency {d!r} {dep.state}"
                    break

    def _ready(self) -> list[StepRun]:
        return [
            self.runs[i]
            for i in self.order
            if self.runs[i].state == "pending"
            and all(self.runs[d].state == "done" for d in self.runs[i].step.depends_on)
        ]

    def _may_start(self) -> bool:
        """False (and the stop recorded) when a constraint forbids starting another step."""
        c = self.constraints
        if c.max_steps is not None and self.started_count >= c.max_steps:
            self._stop(
                "max_steps",
                f"max_steps: {self.started_count} of the plan's {len(self.plan.steps)} steps "
                f"started, the limit is {c.max_steps}",
            )
            return False
        if c.max_tokens is not None and self.tokens_used >= c.max_tokens:
            self._stop(
                "max_tokens",
                f"max_tokens: the task's calls used {self.tokens_used} tokens, the budget is "
                f"{c.max_tokens}",
            )
            return False
        left = self._deadline_left()
        if left is not None and left <= 0:
            self._stop(
                "deadline",
                f"deadline: {c.deadline_s} s passed before every step could start",
            )
            return False
        return True

    # ----- running -------------------------------------------------------------------------

    async def run(self) -> Execution:
        running: dict[asyncio.Task[None], str] = {}
        try:
            while True:
                self._skip_blocked()
                if self.stopped_by is None:
                    for run in self._ready():
                        if len(running) >= self.concurrency or not self._may_start():
                            break
                        run.state = "running"
                        self.started_count += 1
                        t = asyncio.create_task(self._run_step(run), name=f"step {run.step.id}")
                        running[t] = run.step.id
                if not running:
                    break
                left = self._deadline_left()
                done, _ = await asyncio.wait(
                    running,
                    timeout=None if left is None else max(left, 0.0),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if not done:
                    self._stop(
                        "deadline",
                        f"deadline: {self.constraints.deadline_s} s passed with "
                        f"{len(running)} step(s) still running; they were cancelled",
                    )
                    await self._cancel(running, "cancelled at the deadline")
                    running.clear()
                    break
                for t in done:
                    running.pop(t)
                    exc = t.exception()
                    if exc is not None:
                        raise exc
        finally:
            if running:  # an exception is propagating: leave nothing running behind
                await self._cancel(running, "cancelled: the plan was stopped")
        for i in self.order:
            run = self.runs[i]
            if run.state == "pending":
                run.state = "skipped"
                run.error = run.error or (
                    f"not started: {self.stop_reason}" if self.stop_reason else "not started"
                )
        self._skip_blocked()
        return Execution(
            runs=self.runs,
            completed=list(self.completed),
            calls=list(self.calls),
            stopped_by=self.stopped_by,
            stop_reason=self.stop_reason,
            handoff=self.handoff(),
        )

    async def _cancel(self, running: Mapping[asyncio.Task[None], str], why: str) -> None:
        for t in running:
            t.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for step_id in running.values():
            run = self.runs[step_id]
            if run.state == "running":
                run.state = "failed"
                run.error = why
                run.ended_at = time.time()

    def _request(self, step: Step, executor: str, role: str, prompt: str) -> Request:
        request = self.ctx.request(self.task, executor, prompt=prompt, step=step.id, role=role)
        return dataclasses.replace(
            request,
            model=step.model or request.model,
            category=step.category if step.category is not None else self.task.category,
        )

    def _role(self, run: StepRun) -> str | None:
        step = run.step
        if step.route_on is None:
            return None
        label = normalize_label(self.runs[step.route_on].result)
        routes = {normalize_label(k): v for k, v in step.routes.items()}
        role = routes.get(label)
        run.routing["label"] = label
        if role is None:
            run.routing["note"] = (
                f"label {label!r} is not in routes ({', '.join(sorted(routes)) or 'none'}); "
                f"kept role {step.role!r}"
            )
        return role

    async def _run_step(self, run: StepRun) -> None:
        step = run.step
        run.started_at = time.time()
        t0 = time.monotonic()
        try:
            role = self._role(run)
            name, how = self.router.resolve(step, self.task, role=role)
            run.routing.update(how)
            run.executor = name
            run.role = role if role is not None else step.role
            executor = self.ctx.executor(name)
            view = self.handoff().for_step(step)
            request = self._request(step, name, run.role, view.render())
            if self.compression.method != "none":
                window = model_window(
                    executor,
                    request,
                    context_windows=self.compression.context_windows,
                    tokenizers=self.compression.tokenizers,
                    local_n_ctx=self.compression.local_n_ctx,
                    configs=_configs(self.ctx),
                    prices=self.ctx.run.prices,
                )
                if isinstance(window, str):
                    run.compression = {"applied": False, "why": window}
                else:
                    done = await compress_step(
                        view,
                        window,
                        self.compression,
                        summarise=lambda text, words: self._summarise(step, text, words),
                    )
                    run.calls.extend(done.calls)
                    run.compression = {"applied": True, **done.info}
                    view = done.view
                    request = dataclasses.replace(request, prompt=view.render())
            call = await executor.complete(request)
            run.calls.append(call)
            run.model = call.model
            error = call_error(call)
            if error is None:
                run.result = call.text.strip()
                run.confidence = _confidence(call)
                run.state = "done"
                if step.fact is not None:
                    self.facts[step.fact] = run.result
            else:
                run.state = "failed"
                run.error = error
        except (BudgetExceeded, ReplayMiss):
            raise
        except ToolkitError as exc:  # e.g. no executor for the step: a recorded failure
            run.state = "failed"
            run.error = str(exc)
        finally:
            run.wall_s = time.monotonic() - t0
            run.ended_at = time.time()
            self.calls.extend(run.calls)
            self.tokens_used += run.tokens
            if run.state in ("done", "failed"):
                self.completed.append(step.id)

    async def _summarise(self, step: Step, text: str, words: int) -> Call:
        name = self.compression.summariser
        assert name is not None  # CompressionConfig requires it for "summarise"
        request = self.ctx.request(
            self.task,
            name,
            prompt=SUMMARY_PROMPT.format(words=words, text=text),
            step=f"{step.id}:compress",
            role="summariser",
        )
        return await self.ctx.executor(name).complete(request)


def _configs(ctx: StrategyContext) -> Mapping[str, Any] | None:
    """The run's executor configs by name (None when the run gives none)."""
    configs = ctx.run.executor_configs
    return {c.name: c for c in configs} if configs else None


def critical_path(execution: Execution, plan: Plan) -> tuple[float, list[str]]:
    """The plan's critical path: the longest chain of dependent steps, each step counting
    its own service time. Returns ``(seconds, step ids along it)``."""
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for i in topological_order(plan):
        run = execution.runs[i]
        if run.state not in ("done", "failed"):
            continue
        before, prev = 0.0, None
        for d in run.step.depends_on:
            if d in finish and finish[d] > before:
                before, prev = finish[d], d
        finish[i] = before + run.service_s
        via[i] = prev
    if not finish:
        return 0.0, []
    end = max(finish, key=lambda k: finish[k])
    path: list[str] = []
    node: str | None = end
    while node is not None:
        path.append(node)
        node = via[node]
    return finish[end], list(reversed(path))


def final_answer(execution: Execution, plan: Plan) -> tuple[str, str]:
    """``(answer, where it came from)``: the ``answer`` template, else the sink step(s), else
    (a partial result) the last step that completed."""
    results = execution.results()
    if plan.answer is not None:
        if not results:
            return "", "nothing completed"
        return fill_template(plan.answer, results), "answer template"
    sinks = plan.sinks()
    done = [s for s in sinks if s in results]
    if done:
        return "\n".join(results[s] for s in done), ",".join(done)
    for step_id in reversed(execution.completed):
        if step_id in results:
            return results[step_id], f"{step_id} (partial: no final step completed)"
    return "", "nothing completed"
