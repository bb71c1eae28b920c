"""The live runner: run every strategy of a spec on every task, grade, and write a run directory.

One code path for live runs and replays: executors either call a provider or read the
recorded call from the cache; strategies never know which. Calls are written to
``calls.jsonl`` and then the result to ``results.jsonl`` as soon as a (task, strategy) pair
finishes, so a killed run resumes where it stopped: a pair with a result is complete, and a
pair without one is run again with its earlier calls served by the cache (billed 0).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import dataclasses
import functools
import hashlib
import itertools
import json
import math
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

from toolkit._errors import BudgetExceeded, InputError, ReplayMiss, ToolkitError, located
from toolkit._types import Call, Executor, Request, Trace
from toolkit.registry import REGISTRY
from toolkit.runner._estimate import Estimator, PlanLine, with_task_model
from toolkit.runner._spec import Spec, load_spec
from toolkit.runs import IntentRecord, RunFileError, possibly_billed_usd
from toolkit.strategies import (
    RunInfo,
    Strategy,
    StrategyConfig,
    StrategyContext,
    build_strategy,
)
from toolkit.tasks import GraderRef, Task

if TYPE_CHECKING:
    from toolkit.models import Budget, PriceTable, Sending
    from toolkit.runs import RunWriter, Session
    from toolkit.tasks import TaskSet

Status = Literal["done", "stopped_budget", "replay_miss", "failed", "dry_run"]

_EXIT: dict[str, int] = {
    "done": 0,
    "dry_run": 0,
    "stopped_budget": 3,
    "replay_miss": 4,
    "failed": 1,
}

T = TypeVar("T")
_P = ParamSpec("_P")


@dataclass(frozen=True)
class RunSummary:
    """How a run (or a dry run) went. ``exit_code`` is the CLI's exit status for it."""

    name: str
    status: Status
    out: Path | None
    n_tasks: int
    n_strategies: int
    n_pairs: int
    n_done: int
    n_run: int
    n_skipped: int
    n_calls: int
    n_errors: int
    spent_usd: float
    cost_usd: float
    budget_usd: float | None
    elapsed_s: float
    message: str = ""
    plan: tuple[PlanLine, ...] = ()
    estimate_usd: float | None = None
    warnings: tuple[str, ...] = ()
    n_declined: int = 0
    possibly_billed_usd: float = 0.0
    #: per executor (or strategy) with errors: (name, results with errors, its first error)
    errors_by_executor: tuple[tuple[str, int, str], ...] = ()

    @property
    def exit_code(self) -> int:
        """0 done (or dry run), 3 stopped by the budget, 4 replay miss, 1 failed."""
        return _EXIT[self.status]

    def line(self, status: str | None = None) -> str:
        """The one-line summary printed at the end of every run (``status`` in place of the
        recorded one, e.g. ``interrupted``)."""
        if self.status == "dry_run":
            est = f"${self.estimate_usd:.6f}" if self.estimate_usd is not None else "unknown"
            calls = sum(p.calls for p in self.plan)
            return (
                f"{self.name}: dry run: {self.n_tasks} tasks x {self.n_strategies} strategies, "
                f"{self.n_pairs - self.n_skipped} to run, {calls} calls planned, "
                f"worst case {est}; nothing was called"
            )
        budget = f" of ${self.budget_usd:.6f}" if self.budget_usd is not None else ""
        text = (
            f"{self.name}: {status or self.status}: {self.n_done}/{self.n_pairs} results "
            f"({self.n_run} this session, {self.n_skipped} already done), "
            f"{self.n_errors} with errors"
            + (f" ({self._errors_by_executor()})" if self.errors_by_executor else "")
            + (f", {self.n_declined} declined" if self.n_declined else "")
            + f", {self.n_calls} calls, "
            f"spent ${self.spent_usd:.6f} + possibly billed ${self.possibly_billed_usd:.6f}"
            f"{budget} (cost ${self.cost_usd:.6f}), "
            f"{self.elapsed_s:.1f} s"
        )
        if self.out is not None:
            text += f" -> {self.out}"
        if self.message:
            text += f"; {self.message}"
        return text

    def _errors_by_executor(self) -> str:
        return "; ".join(
            f"{name}: {count}, first: {first}" for name, count, first in self.errors_by_executor
        )

    def report(self) -> str:
        """Multi-line text of a dry run's plan (per executor), or the summary line."""
        if self.status != "dry_run":
            return self.line()
        rows = [
            f"spec {self.name}: {self.n_tasks} tasks x {self.n_strategies} strategies "
            f"= {self.n_pairs} results ({self.n_skipped} already done, "
            f"{self.n_pairs - self.n_skipped} to run)",
            f"{'executor':<16} {'model':<28} {'calls':>7} {'+fallback':>9} "
            f"{'worst case USD':>15}  pricing",
        ]
        for p in self.plan:
            rows.append(
                f"{p.executor:<16} {p.model:<28} {p.calls:>7} {p.fallback_calls:>9} "
                f"{p.worst_case_usd:>15.6f}  {p.pricing}"
            )
        total_calls = sum(p.calls for p in self.plan)
        total_fb = sum(p.fallback_calls for p in self.plan)
        est = f"{self.estimate_usd:.6f}" if self.estimate_usd is not None else "unknown"
        rows.append(f"{'total':<16} {'':<28} {total_calls:>7} {total_fb:>9} {est:>15}")
        rows.append(
            "worst case: every planned call and every fallback paid at prompt tokens + "
            "max_tokens (hourly-priced executors: a first-call time bound at their rate); "
            "cache hits would "
            "cost nothing; retries are not included (--budget caps them)"
        )
        rows.extend(self.warnings)
        return "\n".join(rows)


# --------------------------------------------------------------------------------------------
# the public entry points


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    from toolkit.models import run_coroutine

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run_coroutine(coro)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="toolkit-run") as pool:
        return pool.submit(run_coroutine, coro).result()


async def arun_spec(
    spec: str | Path | Spec,
    *,
    out: str | Path | None = None,
    budget: float | None = None,
    concurrency: int | None = None,
    resume: bool = False,
    replay: bool = False,
    dry_run: bool = False,
    progress: bool | None = None,
    on_stop: Callable[[RunSummary], None] | None = None,
) -> RunSummary:
    """The async form of :func:`run_spec` (same arguments)."""
    started = time.time()
    if budget is not None and (not math.isfinite(budget) or budget < 0):
        raise InputError(located("--budget", None, "budget", f"must be >= 0 USD, got {budget}"))
    if concurrency is not None and concurrency < 1:
        raise InputError(
            located("--concurrency", None, "concurrency", f"must be >= 1, got {concurrency}")
        )
    if resume and out is None:
        raise InputError(
            located("--resume", None, "out", "needs --out DIR: the run directory to continue")
        )
    loaded = spec if isinstance(spec, Spec) else load_spec(spec, allow_missing_models=dry_run)
    plan = _Plan.make(loaded, concurrency=concurrency, budget=budget)
    out_dir = _out_dir(loaded, out)
    done: set[tuple[str, str]] = set()
    previous_spent = previous_possibly = 0.0
    resuming = resume and (out_dir / "manifest.json").is_file()
    if resuming:
        from toolkit.runs import done_keys, read_calls, read_manifest

        manifest = read_manifest(out_dir)
        _check_same_spec(loaded, manifest.spec_sha256, out_dir)
        done = done_keys(out_dir) & plan.pair_keys()
        # a killed session never wrote its spend to the manifest: the calls file has it
        recorded = sum(c.billed_usd for c in read_calls(out_dir))
        previous_spent = max(manifest.spent_usd, recorded)
        # calls sent but never recorded (in flight at a kill): the provider may have billed them
        previous_possibly = possibly_billed_usd(out_dir)
    elif out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError(
            located(
                out_dir,
                None,
                "--out",
                "run directory already exists; pass --resume to continue it or choose another --out",
            )
        )
    if dry_run:
        return await _dry_run(plan, done, started)
    runner = _Runner(
        plan,
        out_dir=out_dir,
        done=done,
        resuming=resuming,
        previous_spent=previous_spent,
        previous_possibly=previous_possibly,
        replay=replay,
        progress=progress,
        started=started,
        on_stop=on_stop,
    )
    return await runner.run()


def _blocking(fn: Callable[_P, Coroutine[Any, Any, T]], name: str, doc: str) -> Callable[_P, T]:
    """The blocking form of the coroutine function ``fn`` (same parameters; see ``_run_sync``)."""

    @functools.wraps(fn)
    def blocking(*args: _P.args, **kwargs: _P.kwargs) -> T:
        return _run_sync(fn(*args, **kwargs))

    blocking.__name__ = blocking.__qualname__ = name
    blocking.__doc__ = doc
    return blocking


run_spec = _blocking(
    arun_spec,
    "run_spec",
    """Run a benchmark spec and write its run directory; returns how it went.

    ``out`` defaults to ``runs/<spec name>-<timestamp>``; an existing non-empty directory is
    an error unless ``resume``. ``budget`` (USD) caps what the whole run pays, resumes
    included. ``replay`` never calls a provider. ``dry_run`` plans and prices the run and
    calls nothing. ``progress`` shows a progress bar on stderr (None: when it is a TTY).
    ``on_stop`` is given the summary as the run stops, however it stops (Ctrl-C included).
    Raises ``InputError`` for bad input; budget stops and replay misses are statuses.
    Works inside a running event loop too (a notebook): it then runs in a worker thread.
    """,
)


# --------------------------------------------------------------------------------------------
# planning: tasks, strategies, pairs


@dataclass
class _Plan:
    spec: Spec
    all_tasks: TaskSet
    tasks: TaskSet
    strategies: list[Strategy]
    concurrency: int
    budget: float | None

    @classmethod
    def make(cls, spec: Spec, *, concurrency: int | None, budget: float | None) -> _Plan:
        all_tasks, tasks = _select_tasks(spec)
        strategies = [build_strategy(cfg) for cfg in spec.strategies]
        return cls(
            spec=spec,
            all_tasks=all_tasks,
            tasks=tasks,
            strategies=strategies,
            concurrency=concurrency or spec.run.concurrency,
            budget=budget if budget is not None else spec.run.budget_usd,
        )

    def config_of(self, strategy: Strategy) -> StrategyConfig:
        """The spec's config of ``strategy`` (built from it, in the same order)."""
        return self.spec.strategies[self.strategies.index(strategy)]

    def context(self, executors: Mapping[str, Executor], prices: PriceTable) -> StrategyContext:
        """The context strategies plan and run in: the executors, overrides and the run."""
        run = RunInfo.of(
            tasks=self.all_tasks,
            executor_configs=self.spec.executor_configs(),
            prices=prices,
            base_dir=self.spec.base_dir,
        )
        return StrategyContext(executors=executors, overrides=self.spec.overrides, run=run)

    def prepare(self, ctx: StrategyContext) -> None:
        """Let strategies do their one-off work (fit a signal, resolve rules) before any call."""
        for strategy in self.strategies:
            strategy.prepare(ctx)

    def pairs(self) -> Iterator[tuple[Task, Strategy]]:
        """Every (task, strategy) pair, task by task, so partial runs compare strategies."""
        for task in self.tasks:
            for strategy in self.strategies:
                yield task, strategy

    def pair_keys(self) -> set[tuple[str, str]]:
        return {(t.id, s.name) for t, s in self.pairs()}


def _select_tasks(spec: Spec) -> tuple[TaskSet, TaskSet]:
    """(every task loaded, the tasks the spec selects), with the grading defaults applied."""
    from toolkit.tasks import load_tasks

    all_tasks = load_tasks(*[spec.resolve(p) for p in spec.tasks.paths])
    tasks = all_tasks
    sel = spec.tasks
    try:
        if sel.split is not None:
            tasks = tasks.filter(split=sel.split)
    except (ValueError, KeyError) as exc:
        raise InputError(spec.problem(("tasks", "split"), _plain(exc))) from None
    try:
        if sel.categories:
            tasks = tasks.filter(category=sel.categories)
    except (ValueError, KeyError) as exc:
        raise InputError(spec.problem(("tasks", "categories"), _plain(exc))) from None
    try:
        if sel.ids:
            tasks = tasks.filter(ids=sel.ids)
    except (ValueError, KeyError) as exc:
        raise InputError(spec.problem(("tasks", "ids"), _plain(exc))) from None
    if sel.limit is not None:
        tasks = tasks[: sel.limit]
    if len(tasks) == 0:
        raise InputError(spec.problem(("tasks",), "selects no tasks; loosen the filters"))
    default = spec.grading.default
    if default is not None and default != "normalized":
        from toolkit.tasks import TaskSet as _TaskSet

        implicit = GraderRef("normalized")
        tasks = _TaskSet(
            dataclasses.replace(t, grader=GraderRef(default)) if t.grader == implicit else t
            for t in tasks
        )
    problems = []
    names = {cfg.name for cfg in spec.executors}
    from toolkit.grading import uses_judge

    for t in tasks:
        if not uses_judge(t.grader.name):
            continue
        judge = t.grader.args.get("executor") or spec.grading.judge
        if judge is None:
            problems.append(
                located(
                    t.source or "<tasks>",
                    t.line or None,
                    "grader",
                    f"task {t.id!r} is graded by a judge but the spec names no judge executor; "
                    'set [grading] judge = "<executor>" in the spec',
                )
            )
        elif judge not in names:
            problems.append(
                located(
                    t.source or "<tasks>",
                    t.line or None,
                    "grader.args.executor",
                    f"unknown executor {judge!r} (the spec's executors: {', '.join(sorted(names))})",
                )
            )
    if problems:
        raise InputError(f"{len(problems)} problems with judge graders", problems)
    return all_tasks, tasks


def _plain(exc: BaseException) -> str:
    text = str(exc)
    return text[1:-1] if isinstance(exc, KeyError) and text.startswith(("'", '"')) else text


#: the longest file or folder name most file systems take (bytes)
NAME_MAX = 255


def _out_dir(spec: Spec, out: str | Path | None) -> Path:
    if out is not None:
        path = Path(out)
        for part in path.parts:
            if len(os.fsencode(part)) > NAME_MAX:
                raise InputError(
                    f"--out: a folder name of {len(os.fsencode(part))} bytes ({part[:40]}...) "
                    f"is longer than file systems allow ({NAME_MAX})"
                )
        return path
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = f"{spec.name}-{stamp}-99"
    if len(os.fsencode(folder)) > NAME_MAX:
        from toolkit.runner._toml_lines import key_lines, line_of

        line = line_of(key_lines(spec.text), ("name",)) if spec.text else None
        raise InputError(
            located(
                spec.source or "spec",
                line,
                "name",
                f"is {len(os.fsencode(spec.name))} bytes: the run folder runs/<name>-<time> "
                f"would be longer than file systems allow ({NAME_MAX}); shorten it or pass --out",
            )
        )
    base = Path("runs") / f"{spec.name}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def spec_digest(spec: Spec) -> str:
    """A hash of what the spec asks for, stored in the manifest and checked on resume.

    Where things run is left out, as in the cache key: executors' ``api_base`` and the
    ``[run]`` settings (concurrency, rpm, budget, backoff) may change between sessions.
    """
    data = spec.model_dump(mode="json")
    data.pop("run", None)
    if not data.get("plugins"):
        data.pop("plugins", None)  # specs from before plugins existed keep their digest
    for st in data.get("strategies", []):
        if st.get("fit_outcomes", "") is None:
            del st["fit_outcomes"]  # strategies from before fit_outcomes keep their digest
    for ex in data.get("executors", []):
        ex.pop("api_base", None)
        ex.pop("concurrency", None)
        ex.pop("rpm", None)
        if ex.get("allow_pickle") is False:
            del ex["allow_pickle"]  # executors from before allow_pickle keep their digest
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _check_same_spec(spec: Spec, recorded: str | None, out_dir: Path) -> None:
    if recorded is not None and recorded != spec_digest(spec):
        raise InputError(
            located(
                out_dir / "manifest.json",
                None,
                "spec_sha256",
                f"the run was started from a different spec than {spec.source}; resume it with "
                "the same spec, or start a new run with another --out",
            )
        )


# --------------------------------------------------------------------------------------------
# dry run


async def _dry_run(plan: _Plan, done: set[tuple[str, str]], started: float) -> RunSummary:
    estimator = Estimator(plan.spec)
    ctx = plan.context(estimator.executors, estimator.prices)
    plan.prepare(ctx)
    calls: Counter[str] = Counter()
    for task, strategy in plan.pairs():
        if (task.id, strategy.name) in done:
            continue
        for planned in strategy.plan(task, ctx):
            await estimator.add(task, planned.executor, planned.request)
            calls[planned.executor] += 1
    lines = tuple(estimator.lines())
    return RunSummary(
        name=plan.spec.name,
        status="dry_run",
        out=None,
        n_tasks=len(plan.tasks),
        n_strategies=len(plan.strategies),
        n_pairs=len(plan.tasks) * len(plan.strategies),
        n_done=len(done),
        n_run=0,
        n_skipped=len(done),
        n_calls=0,
        n_errors=0,
        spent_usd=0.0,
        cost_usd=0.0,
        budget_usd=plan.budget,
        elapsed_s=time.time() - started,
        plan=lines,
        estimate_usd=sum(p.worst_case_usd for p in lines),
        warnings=tuple(
            f"warning: {m} (planned here at no charge, as a specialist costs nothing)"
            for m in plan.spec.missing_models
        ),
    )


# --------------------------------------------------------------------------------------------
# the live run


class _Recording:
    """Wraps an executor for one (task, strategy) pair and keeps every call it returns."""

    def __init__(self, inner: Executor, sink: list[Call]) -> None:
        self.inner = inner
        self.name = inner.name
        self.sink = sink

    async def complete(self, request: Request) -> Call:
        call = await self.inner.complete(request)
        self.sink.append(call)
        return call


#: the (task, strategy) pair whose calls are being made (set per worker, see _one)
_PAIR: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar(
    "toolkit_pair", default=("", "")
)


class _IntentLog:
    """The run's :class:`~toolkit.models.CallLedger`: ``intents.jsonl`` (see toolkit.runs)."""

    def __init__(self, writer: RunWriter, session: int) -> None:
        self.writer = writer
        self.session = session
        self._tickets = itertools.count(1)

    def sending(self, call: Sending) -> int:
        ticket = next(self._tickets)
        task_id, strategy = _PAIR.get()
        self.writer.add_intent(
            IntentRecord(
                event="sent",
                session=self.session,
                id=ticket,
                task_id=task_id or call.task_id,
                strategy=strategy,
                step=call.step,
                executor=call.executor,
                model=call.model,
                reserved_usd=call.reserved_usd,
                at=time.time(),
            )
        )
        return ticket

    def returned(self, ticket: int, cost_usd: float) -> None:
        self.writer.add_intent(
            IntentRecord(
                event="returned", session=self.session, id=ticket, cost_usd=cost_usd, at=time.time()
            )
        )

    def closed(self, task_id: str, strategy: str) -> None:
        """Every call of this pair in this session is in ``calls.jsonl`` now."""
        self.writer.add_intent(
            IntentRecord(
                event="closed",
                session=self.session,
                task_id=task_id,
                strategy=strategy,
                at=time.time(),
            )
        )


@dataclass
class _Counters:
    run: int = 0
    calls: int = 0
    errors: int = 0
    declined: int = 0
    cost: float = 0.0
    stop_status: Status | None = None
    message: str = ""
    #: executor (or strategy) -> [results with errors, the first error]
    failing: dict[str, list[Any]] = field(default_factory=dict)

    def note_error(self, trace: Trace, fallback: str) -> None:
        """Count a result with an error against the executors whose calls failed (else
        ``fallback``, the strategy's executor or name), keeping each one's first error."""
        names = [c.executor for c in trace.calls if c.error and not c.declined] or [fallback]
        first: dict[str, str] = {}
        for c in trace.calls:
            if c.error:
                first.setdefault(c.executor, c.error)
        for name in dict.fromkeys(names):
            text = str(first.get(name) or trace.error or "error").splitlines()[0][:160]
            self.failing.setdefault(name, [0, text])[0] += 1


class _Runner:
    def __init__(
        self,
        plan: _Plan,
        *,
        out_dir: Path,
        done: set[tuple[str, str]],
        resuming: bool,
        previous_spent: float,
        replay: bool,
        previous_possibly: float = 0.0,
        progress: bool | None,
        started: float,
        on_stop: Callable[[RunSummary], None] | None = None,
    ) -> None:
        self.on_stop = on_stop
        self.plan = plan
        self.spec = plan.spec
        self.out_dir = out_dir
        self.done = done
        self.resuming = resuming
        self.previous_spent = previous_spent
        self.previous_possibly = previous_possibly
        self.possibly_billed = previous_possibly
        self.replay = replay
        self.progress = progress
        self.started = started
        self.counters = _Counters()
        self.stop = asyncio.Event()
        self.ctx: StrategyContext = StrategyContext(executors={})

    # ----- setup and teardown -----------------------------------------------------------------

    async def run(self) -> RunSummary:
        from toolkit.models import (
            Budget,
            ExecutionContext,
            PriceTable,
            ResponseCache,
            attach_local_server,
            build_executors,
        )

        spec = self.spec
        prices = PriceTable.load(spec.resolve(spec.prices.file) if spec.prices.file else None)
        cache = None
        if spec.cache.enabled:
            cache = ResponseCache(spec.resolve(spec.cache.path) if spec.cache.path else None).open()
        cap = self.plan.budget
        held = self.previous_spent + self.previous_possibly  # the budget counts both
        budget = Budget(None if cap is None else max(0.0, cap - held))
        ctx = ExecutionContext(
            prices=prices,
            cache=cache,
            replay=self.replay,
            budget=budget,
            default_concurrency=self.plan.concurrency,
            backoff_base_s=spec.run.backoff_base_s,
            backoff_max_s=spec.run.backoff_max_s,
            max_retry_after_s=spec.run.max_retry_after_s,
        )
        # everything that can find bad input runs before the run directory is written:
        # executors (unpriced models, specialist files) and the strategies' one-off work
        try:
            executors = build_executors(spec.executor_configs(), ctx)
            self.ctx = self.plan.context(executors, prices)
            self.plan.prepare(self.ctx)
            _preflight(self.plan, self.ctx)
            if not self.replay:
                _check_api_keys(self.plan, self.ctx, self.done)
            writer = self._open_writer(prices)
        except BaseException:
            if cache is not None:
                cache.close()
            raise
        self.writer = writer
        self.intents = _IntentLog(writer, len(writer.manifest.sessions))
        ctx.ledger = self.intents
        status: Status = "failed"
        message = ""
        try:
            with self._local_server() as local_url, _frozen_heap():
                attach_local_server(executors, local_url)
                status = await self._execute(executors, budget)
                message = self.counters.message
        except RunFileError as exc:  # a full disk: stop cleanly, resumable (exit 1)
            status, message = "failed", str(exc)
        except KeyboardInterrupt:
            message = "interrupted"
            raise
        except asyncio.CancelledError:
            message = "cancelled"
            raise
        except ToolkitError as exc:
            message = str(exc).splitlines()[0]
            raise
        except BaseException as exc:
            message = f"internal error: {type(exc).__name__}: {exc}"
            raise
        finally:
            self._finish(writer, status, message, budget, prices)
            if self.on_stop is not None:  # told even when interrupted (Ctrl-C cancels us)
                self.on_stop(self._summary(status, message, budget))
            if cache is not None:
                cache.close()
            from toolkit.models import aclose_clients

            await aclose_clients()
        return self._summary(status, message, budget)

    def _open_writer(self, prices: PriceTable) -> RunWriter:
        from toolkit.runs import Manifest, RunWriter

        if self.resuming:
            writer = RunWriter.resume(self.out_dir)
            writer.manifest.budget_usd = self.plan.budget
            writer.manifest.sessions.append(self._session_info())
            writer.write_manifest()
            return writer
        manifest = Manifest(
            name=self.spec.name,
            spec=self._spec_record(),
            versions=_versions(self.spec),
            started_at=self.started,
            status="running",
            budget_usd=self.plan.budget,
            spec_sha256=spec_digest(self.spec),
            local_hourly_rate_usd=self.spec.local.hourly_rate_usd,
            executor_hourly_rates_usd={
                cfg.name: cfg.hourly_rate_usd
                for cfg in self.spec.executor_configs()
                if cfg.kind == "local" or cfg.hourly_rate_usd > 0
            },
            sessions=[self._session_info()],
            **REGISTRY.provenance(),
        )
        return RunWriter.create(self.out_dir, manifest)

    def _session_info(self) -> Session:
        from toolkit.runs import Session

        return Session(
            started_at=self.started,
            replay=self.replay,
            concurrency=self.plan.concurrency,
            budget_usd=self.plan.budget,
            resumed=self.resuming,
            versions=_versions(self.spec),
        )

    def _spec_record(self) -> dict[str, Any]:
        data = self.spec.model_dump(mode="json")
        data["path"] = self.spec.source
        if self.spec.text:
            data["toml"] = self.spec.text
        return data

    def _finish(
        self,
        writer: RunWriter,
        status: Status,
        message: str,
        budget: Budget,
        prices: PriceTable,
    ) -> None:
        m = writer.manifest
        m.prices = {**m.prices, **prices.used()}
        m.spent_usd = self.previous_spent + budget.spent_usd
        with contextlib.suppress(InputError):  # unreadable intents: the run's end is written
            self.possibly_billed = possibly_billed_usd(self.out_dir)
        m.possibly_billed_usd = self.possibly_billed
        if m.sessions:
            m.sessions[-1] = m.sessions[-1].model_copy(
                update={
                    "ended_at": time.time(),
                    "status": status,
                    "message": message,
                    "spent_usd": budget.spent_usd,
                    "results": self.counters.run,
                    "calls": self.counters.calls,
                }
            )
        m.message = message
        try:
            writer.finish("failed" if status == "dry_run" else status)
        except RunFileError as exc:  # the manifest before stays whole: --resume reads it
            self.counters.message = m.message = f"{message}; {exc}" if message else str(exc)

    @contextlib.contextmanager
    def _local_server(self) -> Iterator[str | None]:
        """Start the local llama.cpp server when a call may need it; always stop it."""
        alias = None if self.replay else _local_alias(self.spec, self.plan.tasks)
        if alias is None:
            yield None
            return
        running = _running_local_server(alias)
        if running is not None:  # `toolkit serve-local` already serves this model: use it
            yield running
            return
        from toolkit.models import LocalServer

        model_path = self.spec.local.model_path
        with LocalServer(
            str(self.spec.resolve(model_path)) if model_path else None,
            alias=alias,
            n_ctx=self.spec.local.n_ctx,
        ) as server:
            yield server.url

    # ----- the work ---------------------------------------------------------------------------

    async def _execute(self, executors: Mapping[str, Executor], budget: Budget) -> Status:
        writer = self.writer
        pending = [(t, s) for t, s in self.plan.pairs() if (t.id, s.name) not in self.done]
        bar = _progress_bar(len(pending), self.spec.name, self.progress)
        it = iter(pending)

        async def worker() -> None:
            for task, strategy in it:
                if self.stop.is_set():
                    return
                await self._one(task, strategy, executors, writer, budget)
                bar.update(1)
                bar.set_postfix_str(
                    f"spent ${self.previous_spent + budget.spent_usd:.4f}", refresh=False
                )

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self.plan.concurrency, max(1, len(pending)))):
                    group.create_task(worker())
        except BaseExceptionGroup as group_error:
            # a worker failed (the others were cancelled): raise its error itself, so the
            # CLI reports a ToolkitError with its exit code rather than a group traceback
            raise _first_error(group_error) from None
        finally:
            bar.close()
        return self.counters.stop_status or "done"

    async def _one(
        self,
        task: Task,
        strategy: Strategy,
        executors: Mapping[str, Executor],
        writer: RunWriter,
        budget: Budget,
    ) -> None:
        _PAIR.set((task.id, strategy.name))  # calls sent from here on are this pair's
        sink: list[Call] = []
        wrapped = {name: _Recording(ex, sink) for name, ex in executors.items()}
        sctx = dataclasses.replace(self.ctx, executors=wrapped)
        trace: Trace | None = None
        try:
            trace = await strategy.run(task, sctx)
            score, reason, judge_calls = await self._grade(task, trace, executors)
        except (BudgetExceeded, ReplayMiss) as exc:
            # keep every call that was made (and paid for); no result: resume re-runs the pair
            # and the cache serves those calls again at no cost
            for call in _all_calls(trace, sink):
                self._write_call(writer, call, strategy.name)
            self.intents.closed(task.id, strategy.name)
            self._stop_for(exc)
            return
        for call in _all_calls(trace, sink):
            self._write_call(writer, call, strategy.name)
        for call in judge_calls:
            self._write_call(writer, call, strategy.name)
        self.intents.closed(task.id, strategy.name)
        from toolkit.runs import ResultRecord

        config = self.plan.config_of(strategy)
        writer.add_result(
            ResultRecord.from_trace(
                trace,
                task_id=task.id,
                strategy=strategy.name,
                strategy_kind=config.kind,
                executor=config.sole_executor(),
                category=task.category,
                split=task.split,
                score=score,
                reason=reason,
            )
        )
        self.counters.run += 1
        if trace.error is not None:
            if _declined(trace):
                self.counters.declined += 1  # by design (not its kind of task), not an error
            else:
                self.counters.errors += 1
                self.counters.note_error(trace, config.sole_executor() or strategy.name)

    async def _grade(
        self, task: Task, trace: Trace, executors: Mapping[str, Executor]
    ) -> tuple[float | None, str, list[Call]]:
        if trace.error is not None:
            return 0.0, f"no answer: {trace.error}", []
        from toolkit.grading import grader_for

        judge_name = task.grader.args.get("executor") or self.spec.grading.judge
        judge = executors.get(judge_name) if isinstance(judge_name, str) else None
        grader = grader_for(task, judge_executor=judge)
        grade = await grader.grade(task, trace.answer)
        calls = [c if c.step else dataclasses.replace(c, step="judge") for c in grade.calls]
        return grade.score, grade.reason, calls

    def _write_call(self, writer: RunWriter, call: Call, strategy: str) -> None:
        from toolkit.runs import CallRecord

        writer.add_call(CallRecord.from_call(call, strategy=strategy))
        self.counters.calls += 1
        self.counters.cost += call.cost_usd

    def _stop_for(self, exc: ToolkitError) -> None:
        if self.counters.stop_status is None:
            self.counters.stop_status = (
                "stopped_budget" if isinstance(exc, BudgetExceeded) else "replay_miss"
            )
            self.counters.message = str(exc).splitlines()[0]
        self.stop.set()

    # ----- results ----------------------------------------------------------------------------

    def _summary(self, status: Status, message: str, budget: Budget) -> RunSummary:
        n_pairs = len(self.plan.tasks) * len(self.plan.strategies)
        return RunSummary(
            name=self.spec.name,
            status=status,
            out=self.out_dir,
            n_tasks=len(self.plan.tasks),
            n_strategies=len(self.plan.strategies),
            n_pairs=n_pairs,
            n_done=len(self.done) + self.counters.run,
            n_run=self.counters.run,
            n_skipped=len(self.done),
            n_calls=self.counters.calls,
            n_errors=self.counters.errors,
            errors_by_executor=tuple(
                (name, int(count), str(first))
                for name, (count, first) in self.counters.failing.items()
            ),
            n_declined=self.counters.declined,
            spent_usd=self.previous_spent + budget.spent_usd,  # the whole run's, as the bar
            possibly_billed_usd=self.possibly_billed,
            cost_usd=self.counters.cost,
            budget_usd=self.plan.budget,
            elapsed_s=time.time() - self.started,
            message=message,
        )


# --------------------------------------------------------------------------------------------
# helpers


def _declined(trace: Trace) -> bool:
    """True when a trace has no answer only because its executors declined the task."""
    return any(c.declined for c in trace.calls) and all(c.ok or c.declined for c in trace.calls)


def _running_local_server(alias: str) -> str | None:
    """``TOOLKIT_LOCAL_URL`` when a server answers there and lists ``alias`` among its models
    (a running `toolkit serve-local`), so a run reuses it instead of starting a second one."""
    import urllib.request

    url = os.environ.get("TOOLKIT_LOCAL_URL", "").strip()
    if not url:
        return None
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/models", timeout=2) as resp:
            listed = json.load(resp)
    except (OSError, ValueError):
        return None
    models = listed.get("data") if isinstance(listed, dict) else None
    ids = {str(m.get("id")) for m in models or [] if isinstance(m, dict)}
    return url if alias in ids else None


def _local_alias(spec: Spec, tasks: TaskSet) -> str | None:
    """The model alias the local server must serve, or None when no call needs it.

    Knob included: an executor whose model resolves to ``local/<alias>`` needs the server,
    and so does a per-task override naming one. One server serves one model.
    """
    from toolkit.models import LOCAL_PREFIX, local_models

    configs = spec.executor_configs()
    extra = [ov.model for ov in spec.overrides]
    for task in tasks:
        for key in ("model", "models"):
            value = task.metadata.get(key)
            if isinstance(value, str):
                extra.append(value)
            elif isinstance(value, Mapping):
                extra.extend(str(v) for v in value.values())
    aliases = {m.removeprefix(LOCAL_PREFIX) for m in local_models(configs, extra_models=extra)}
    if not aliases:
        return None
    if len(aliases) > 1:
        raise InputError(
            spec.problem(
                ("executors",),
                f"the local server serves one model, but calls need {', '.join(sorted(aliases))}",
            )
        )
    return aliases.pop()


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep the objects that exist before the calls out of the cyclic garbage collector's
    full passes while they run (``gc.freeze``), and give them back after (``gc.unfreeze``).

    litellm's import leaves about a million objects; each full pass walks them all (about
    0.2 s here) and a long run triggers such passes, for nothing: those objects live as long
    as the process. Left alone when something else froze the heap already.
    """
    import gc

    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error to report from a task group: a ToolkitError if any, else the first one."""
    leaves: list[BaseException] = []

    def walk(g: BaseExceptionGroup[BaseException]) -> None:
        for exc in g.exceptions:
            if isinstance(exc, BaseExceptionGroup):
                walk(exc)
            else:
                leaves.append(exc)

    walk(group)
    for exc in leaves:
        if isinstance(exc, ToolkitError):
            return exc
    return leaves[0]


def _preflight(plan: _Plan, ctx: StrategyContext) -> None:
    """Price every model the planned calls may use (per-task overrides and the knob
    included), so an unpriced model is an input error before anything is written or paid."""
    from toolkit.models import LLMExecutor, UnpricedModelError, resolve_model

    executors = ctx.executors
    seen: set[tuple[str, str | None, str]] = set()
    for task, strategy in plan.pairs():
        for planned in strategy.plan(task, ctx):
            req = with_task_model(task, planned.executor, planned.request, plan.spec)
            key = (planned.executor, req.model, req.role)
            if key in seen:
                continue
            seen.add(key)
            ex = executors.get(planned.executor)
            if isinstance(ex, LLMExecutor):
                try:
                    ex.pricing(resolve_model(ex.config, req, ex.env))
                except UnpricedModelError as exc:
                    where = _override_source(plan.spec, task, planned.executor, req.model)
                    raise type(exc)(exc.model, where) if where else exc from None


def _override_source(spec: Spec, task: Task, executor: str, model: str | None) -> str:
    """``path:line: field`` of the per-task model override that chose ``model`` for
    ``executor`` on ``task`` ("" when no override did: the executor's own model or the knob)."""
    from toolkit.models import task_model_override

    if model is None:
        return ""
    if task_model_override(task.metadata, executor) == model:
        field = (
            "metadata.models" if isinstance(task.metadata.get("models"), dict) else "metadata.model"
        )
        return f"{task.source}:{task.line}: {field}" if task.source else f"task {task.id}: {field}"
    for i, override in enumerate(spec.overrides):
        if override.applies(task, executor) and override.model == model:
            return f"{spec.where('overrides', i, 'model')}: overrides.{i}.model"
    return ""


def _check_api_keys(
    plan: _Plan,
    ctx: StrategyContext,
    done: set[tuple[str, str]],
    env: Mapping[str, str] | None = None,
) -> None:
    """Stop before anything is written or called when a key the planned calls need is unset.

    Every call the strategies plan on the pairs still to run (their executors' fallbacks and
    the judge of judge-graded tasks included) is resolved to its model, as the run would; an
    executor with ``api_key_env`` whose model is not served locally needs that variable.
    One problem per missing variable, naming the executors that need it.
    """
    import os

    from toolkit.grading import uses_judge
    from toolkit.models import ExecutorConfig, resolve_model

    environ = os.environ if env is None else env
    spec = plan.spec
    configs = {c.name: c for c in spec.executor_configs() if isinstance(c, ExecutorConfig)}
    if not any(c.api_key_env for c in configs.values()):
        return
    needed: dict[str, dict[str, int]] = {}  # variable -> {executor: index in the spec}
    index = {c.name: i for i, c in enumerate(spec.executors)}
    seen: set[tuple[str, str | None, str]] = set()

    def need(name: str, task: Task, request: Request) -> None:
        stack, visited = [name], set()
        while stack:
            ex = stack.pop()
            if ex in visited or ex not in configs:
                continue
            visited.add(ex)
            cfg = configs[ex]
            stack.extend(reversed(cfg.fallbacks))
            req = with_task_model(task, ex, request, spec)
            key = (ex, req.model, req.role)
            if key in seen:
                continue
            seen.add(key)
            var = cfg.api_key_env
            if not var or not cfg.is_llm or environ.get(var):
                continue
            if resolve_model(cfg, req, environ).startswith("local/"):
                continue
            needed.setdefault(var, {})[ex] = index[ex]

    for task, strategy in plan.pairs():
        if (task.id, strategy.name) in done:
            continue
        for planned in strategy.plan(task, ctx):
            need(planned.executor, task, planned.request)
        judge = task.grader.args.get("executor") or spec.grading.judge
        if isinstance(judge, str) and uses_judge(task.grader.name):
            need(judge, task, Request(task_id=task.id, prompt=task.input, step="judge"))
    if not needed:
        return
    problems = []
    for var, executors in sorted(needed.items()):
        names = sorted(executors, key=executors.__getitem__)
        problems.append(
            spec.problem(
                ("executors", executors[names[0]], "api_key_env"),
                f"environment variable {var} is not set, and executor(s) {', '.join(names)} "
                f"need it; export the key (export {var}=...) and run again; nothing was called and "
                "no run directory was written (--dry-run plans the run without keys)",
            )
        )
    missing = ", ".join(sorted(needed))
    raise InputError(f"{spec.name}: missing API key variable(s) {missing}", problems)


def _all_calls(trace: Trace | None, sink: Sequence[Call]) -> list[Call]:
    """The trace's calls, plus any call the executors returned that the trace left out."""
    calls = list(trace.calls) if trace is not None else []
    seen = {id(c) for c in calls}
    calls.extend(c for c in sink if id(c) not in seen)
    return calls


class _Bar:
    """The subset of tqdm the runner uses (so a disabled bar costs nothing)."""

    def update(self, n: int) -> None:
        return None

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        return None

    def close(self) -> None:
        return None


def _progress_bar(total: int, name: str, progress: bool | None) -> Any:
    """tqdm on stderr: tasks done of total, spend so far, ETA. Off when stderr is no TTY."""
    show = sys.stderr.isatty() if progress is None else progress
    if not show:
        return _Bar()
    from tqdm import tqdm

    return tqdm(total=total, desc=name, unit="task", file=sys.stderr, dynamic_ncols=True)


def _versions(spec: Spec) -> dict[str, str]:
    from importlib import metadata

    from toolkit import __version__
    from toolkit.models import litellm_version

    versions = {
        "toolkit": __version__,
        "python": platform.python_version(),
        "litellm": litellm_version(),
        "platform": platform.platform(),
    }
    for package in ("pydantic", "llama-cpp-python") if spec.uses_local() else ("pydantic",):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions
