"""Fault soak: a live run of SYNTHETIC tasks against a fault-injecting server, then a full audit.

``python benchmarks/fault_soak.py`` runs 500 synthetic echo tasks (made up for the soak) through
``toolkit run``'s code path against :class:`toolkit.testing.FaultServer` at a seeded 20% fault
rate. The spec has a streaming primary executor with retries and a non-streaming fallback on
another model; a few "doomed" tasks fail on every model, so recorded failures are exercised too.
Faults drawn: HTTP 500/502/503, 429 with ``Retry-After``, connection resets, cut streams,
malformed JSON and slow streams.

The audit compares the run directory with the server's own request log:

- every task has exactly one result (none lost, none duplicated) and exactly one call record;
- a result is either the server's exact answer, or empty with a recorded error, and the reason
  names it (``no answer: ...``);
- a call's answer is taken only when the last request the server saw for it was answered in full,
  so a cut stream or a malformed body is never taken for an answer;
- each answered request is billed exactly once at its model's price, and nothing else is billed
  (none of these faults reaches the provider's billing);
- no model gets more than ``max_retries + 1`` requests per task, and a task's recorded
  ``attempts`` equals the requests the server saw for it;
- the run's spend stays within its budget cap and equals the sum of what was billed.

It prints one JSON object: faults injected, calls made, retries, fallbacks, tasks lost,
duplicates, spend against cap, elapsed time and any violations; the exit status is 1 when there
is any violation. ``tests/reliability/test_fault_soak.py`` runs a short variant of the same
soak in the test suite.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.testing import (
    Fault,
    FaultKind,
    FaultServer,
    ServedRequest,
    count_words,
    default_answer,
)

#: The fault kinds the soak draws at its seeded rate.
SOAK_FAULTS: tuple[FaultKind, ...] = (
    "http_500",
    "http_502",
    "http_503",
    "rate_limit",
    "reset",
    "cut_stream",
    "malformed_json",
    "slow_stream",
)
#: Faults whose request carries a complete, well-formed answer.
COMPLETE_FAULTS = frozenset({"slow_stream"})

PRIMARY_MODEL = "fake-small"
BACKUP_MODEL = "fake-backup"
#: USD per million tokens (input, output) of the two synthetic models.
PRICES: dict[str, tuple[float, float]] = {PRIMARY_MODEL: (1.0, 2.0), BACKUP_MODEL: (3.0, 6.0)}
PRIMARY_RETRIES = 2
BACKUP_RETRIES = 1
DOOMED = "doomed"


@dataclass
class SoakResult:
    """What the soak saw: the JSON summary, the violations (empty when all held) and the
    server's request log."""

    summary: dict[str, Any]
    violations: list[str] = field(default_factory=list)
    requests: list[ServedRequest] = field(default_factory=list)


def soak_tasks(n_tasks: int, n_doomed: int) -> list[dict[str, Any]]:
    """SYNTHETIC echo tasks; the last ``n_doomed`` fail on every model by design."""
    tasks = []
    for i in range(n_tasks):
        doomed = i >= n_tasks - n_doomed
        prompt = f"soak task {i}: repeat the words {'fail ' + DOOMED if doomed else 'alpha beta'}"
        tasks.append(
            {
                "id": f"soak-{i:04d}",
                "input": prompt,
                "target": f"echo: {prompt}",
                "category": DOOMED if doomed else "synthetic",
            }
        )
    return tasks


def write_soak_spec(
    root: Path, url: str, tasks: list[dict[str, Any]], *, budget_usd: float, concurrency: int
) -> Path:
    """Write tasks.jsonl, prices.toml and spec.toml under ``root``; returns the spec."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "tasks.jsonl").write_text(
        "".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8"
    )
    (root / "prices.toml").write_text(
        "".join(
            f'[models."openai/{m}"]\ninput_per_mtok = {pin}\noutput_per_mtok = {pout}\n\n'
            for m, (pin, pout) in PRICES.items()
        ),
        encoding="utf-8",
    )
    spec = f"""name = "fault-soak"
description = "synthetic echo tasks against a fault-injecting server"

[tasks]
paths = ["tasks.jsonl"]

[prices]
file = "prices.toml"

[cache]
path = "cache.sqlite"

[run]
concurrency = {concurrency}
budget_usd = {budget_usd}
backoff_base_s = 0.005
backoff_max_s = 0.02
max_retry_after_s = 5.0

[[executors]]
name = "primary"
kind = "litellm"
model = "openai/{PRIMARY_MODEL}"
api_base = "{url}"
max_retries = {PRIMARY_RETRIES}
timeout_s = 20
fallbacks = ["backup"]
[executors.profile]
max_tokens = 64
[executors.profile.extra]
stream = true

[[executors]]
name = "backup"
kind = "litellm"
model = "openai/{BACKUP_MODEL}"
api_base = "{url}"
max_retries = {BACKUP_RETRIES}
timeout_s = 20
[executors.profile]
max_tokens = 64

[[strategies]]
kind = "single"
executor = "primary"
"""
    path = root / "spec.toml"
    path.write_text(spec, encoding="utf-8")
    return path


def request_cost(req: ServedRequest, answer: str) -> float:
    """What an answered request costs at its model's price (the server counts words)."""
    pin, pout = PRICES[req.model]
    return (count_words(req.prompt) * pin + count_words(answer) * pout) / 1e6


def audit(
    tasks: list[dict[str, Any]],
    run_dir: Path,
    requests: list[ServedRequest],
    *,
    budget_usd: float,
) -> SoakResult:
    """Check the run directory against the server's request log (see the module docstring)."""
    from toolkit.runs import RESULTS, ResultRecord, iter_records, read_calls, read_manifest

    violations: list[str] = []
    by_prompt: dict[str, list[ServedRequest]] = defaultdict(list)
    for req in requests:
        by_prompt[req.prompt].append(req)
    expected = {t["id"]: t for t in tasks}
    # every line as written: read_results would drop an identical repeat, which is what we count
    results = list(iter_records(Path(run_dir) / RESULTS, ResultRecord))
    calls = read_calls(run_dir)
    result_ids = Counter(r.task_id for r in results)
    call_ids = Counter(c.task_id for c in calls)
    lost = sorted(set(expected) - set(result_ids))
    duplicates = sorted(i for i, n in result_ids.items() if n > 1)
    strangers = sorted(set(result_ids) - set(expected))
    violations += [f"{i}: no result (lost)" for i in lost]
    violations += [f"{i}: {result_ids[i]} results (duplicated)" for i in duplicates]
    violations += [f"{i}: a result for a task that is not in the task set" for i in strangers]
    violations += [f"{i}: {n} call records, expected 1" for i, n in call_ids.items() if n != 1]
    calls_by_id = {c.task_id: c for c in calls}

    answered_cost = 0.0
    retries = fallbacks = failures = 0
    for r in results:
        task = expected.get(r.task_id)
        if task is None:
            continue
        prompt = task["input"]
        want = default_answer(prompt)
        seen = by_prompt.get(prompt, [])
        per_model = Counter(q.model for q in seen)
        retries += sum(n - 1 for n in per_model.values() if n > 1)
        if per_model[PRIMARY_MODEL] > PRIMARY_RETRIES + 1:
            violations.append(f"{r.task_id}: {per_model[PRIMARY_MODEL]} requests to the primary")
        if per_model[BACKUP_MODEL] > BACKUP_RETRIES + 1:
            violations.append(f"{r.task_id}: {per_model[BACKUP_MODEL]} requests to the backup")
        if per_model[BACKUP_MODEL]:
            fallbacks += 1
        answered = [q for q in seen if q.answered]
        if len(answered) > 1:
            violations.append(f"{r.task_id}: the server answered it {len(answered)} times")
        if any(q.model == PRIMARY_MODEL and q.answered for q in seen) and per_model[BACKUP_MODEL]:
            violations.append(f"{r.task_id}: fell back although the primary answered")
        call = calls_by_id.get(r.task_id)
        if r.error is None:
            if r.answer != want or r.score != 1.0:
                violations.append(f"{r.task_id}: answer {r.answer[:60]!r} is not the server's")
            if not seen or not seen[-1].answered:
                last = seen[-1].fault if seen else "no request"
                violations.append(
                    f"{r.task_id}: an answer was taken although the last request was not "
                    f"answered in full ({last})"
                )
        else:
            failures += 1
            if r.answer != "" or r.score != 0.0 or not r.reason.startswith("no answer:"):
                violations.append(f"{r.task_id}: a failure without its reason: {r.reason!r}")
            if answered:
                violations.append(f"{r.task_id}: recorded as failed but the server answered it")
        if task["category"] == DOOMED and r.error is None:
            violations.append(f"{r.task_id}: a doomed task got an answer")
        if call is None:
            continue
        if call.text not in ("", want):
            violations.append(f"{r.task_id}: partial or foreign text recorded: {call.text!r}")
        if call.attempts != len(seen):
            violations.append(
                f"{r.task_id}: {call.attempts} attempts recorded, the server saw {len(seen)}"
            )
        billed = sum(request_cost(q, want) for q in answered)
        answered_cost += billed
        if abs(call.billed_usd - billed) > 1e-12 or abs(call.cost_usd - billed) > 1e-12:
            violations.append(
                f"{r.task_id}: billed ${call.billed_usd:.9f} (cost ${call.cost_usd:.9f}), "
                f"the server answered ${billed:.9f} worth"
            )
    total_billed = sum(c.billed_usd for c in calls)
    manifest = read_manifest(run_dir)
    if manifest.status != "done":
        violations.append(f"run status {manifest.status!r}, expected 'done'")
    if abs(manifest.spent_usd - total_billed) > 1e-9:
        violations.append(
            f"manifest spent ${manifest.spent_usd:.9f} but the calls billed ${total_billed:.9f}"
        )
    if total_billed > budget_usd + 1e-12:
        violations.append(f"spent ${total_billed:.9f} over the ${budget_usd} cap")
    faults = Counter(q.fault for q in requests if q.fault is not None)
    summary = {
        "tasks": len(tasks),
        "calls_made": len(requests),
        "answered": sum(1 for q in requests if q.answered),
        "faults_injected": sum(faults.values()),
        "faults_by_kind": dict(sorted(faults.items())),
        "retries": retries,
        "fallbacks": fallbacks,
        "answers": len(results) - failures,
        "failures_recorded": failures,
        "tasks_lost": len(lost),
        "duplicates": len(duplicates) + sum(1 for n in call_ids.values() if n > 1),
        "spent_usd": round(total_billed, 9),
        "answered_cost_usd": round(answered_cost, 9),
        "budget_usd": budget_usd,
        "within_cap": total_billed <= budget_usd + 1e-12,
    }
    return SoakResult(summary, violations)


def run_soak(
    *,
    n_tasks: int = 500,
    fault_rate: float = 0.2,
    seed: int = 1,
    concurrency: int = 8,
    budget_usd: float = 1.0,
    root: Path | None = None,
) -> SoakResult:
    """Run the soak in ``root`` (a temporary folder when None) and audit it."""
    from toolkit.runner import run_spec

    n_doomed = max(2, n_tasks // 50)
    tasks = soak_tasks(n_tasks, n_doomed)
    with tempfile.TemporaryDirectory(prefix="fault-soak-") as scratch:
        base = Path(scratch) if root is None else root
        with FaultServer(
            faults=[Fault("http_503", pattern=DOOMED)],
            fault_rate=fault_rate,
            fault_kinds=SOAK_FAULTS,
            seed=seed,
            retry_after_s=0.01,
            delay_s=0.002,
        ) as server:
            spec = write_soak_spec(
                base, server.url, tasks, budget_usd=budget_usd, concurrency=concurrency
            )
            started = time.perf_counter()
            summary = run_spec(spec, out=base / "run", progress=False)
            elapsed = time.perf_counter() - started
            requests = server.requests
        result = audit(tasks, base / "run", requests, budget_usd=budget_usd)
    result.requests = requests
    result.summary.update(
        {
            "doomed_tasks": n_doomed,
            "seed": seed,
            "fault_rate": fault_rate,
            "concurrency": concurrency,
            "run_status": summary.status,
            "elapsed_s": round(elapsed, 3),
            "violations": result.violations[:20],
            "n_violations": len(result.violations),
        }
    )
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print its JSON summary; exit 1 on any violation."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--tasks", type=int, default=500, help="synthetic tasks (default 500)")
    p.add_argument("--fault-rate", type=float, default=0.2, help="share of requests faulted")
    p.add_argument("--seed", type=int, default=1, help="fault seed (default 1)")
    p.add_argument("--concurrency", type=int, default=8, help="pairs in flight (default 8)")
    p.add_argument("--budget", type=float, default=1.0, help="the run's cap in USD (default 1)")
    args = p.parse_args(argv)
    result = run_soak(
        n_tasks=args.tasks,
        fault_rate=args.fault_rate,
        seed=args.seed,
        concurrency=args.concurrency,
        budget_usd=args.budget,
    )
    print(json.dumps(result.summary, indent=2))
    return 1 if result.violations else 0


if __name__ == "__main__":
    sys.exit(main())
