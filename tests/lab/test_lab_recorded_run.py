"""The recorded lab run (data/runs/lab) is a valid run directory, made by the current lab spec,
holding every answering executor on every lab task (the full outcome matrix) and every live
strategy, with compute-priced Gemma calls and the routing calls counted."""

from __future__ import annotations

import math
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from lab_helpers import LAB_SPEC, answering_executors, lab_spec_data

from toolkit.runner import Spec, spec_digest
from toolkit.runs import read_calls, read_manifest, read_results


def _spec() -> Spec:
    text = LAB_SPEC.read_text(encoding="utf-8")
    return Spec.from_mapping(
        tomllib.loads(text),
        source=str(LAB_SPEC),
        base_dir=LAB_SPEC.parent,
        text=text,
        check_files=False,  # the specialists are fitted into build/ when a run needs them
    )


def test_recorded_run_is_done_and_made_by_the_current_spec(lab_run: Path) -> None:
    manifest = read_manifest(lab_run)
    assert manifest.status == "done"
    assert manifest.spec_sha256 == spec_digest(_spec()), (
        "benchmarks/lab.toml changed since data/runs/lab was recorded; regenerate it with "
        "`python benchmarks/record_lab.py`"
    )
    rate = lab_spec_data()["local"]["hourly_rate_usd"]
    assert rate > 0
    assert manifest.local_hourly_rate_usd == rate
    assert manifest.executor_hourly_rates_usd["gemma"] == rate
    assert manifest.sessions and manifest.sessions[-1].status == "done"


def test_every_executor_answered_every_task(lab_run: Path) -> None:
    spec = _spec()
    ids = set(spec.tasks.ids)
    assert len(ids) >= 400
    results = read_results(lab_run)
    pairs = Counter((r.task_id, r.strategy) for r in results)
    assert max(pairs.values()) == 1, "a (task, strategy) pair was recorded twice"
    for executor in answering_executors():
        got = {t for t, s in pairs if s == f"single:{executor}"}
        assert got == ids, f"single:{executor} is missing {sorted(ids - got)[:5]}"
    for name in spec.strategy_names():
        got = {t for t, s in pairs if s == name}
        assert got == ids, f"{name} is missing {sorted(ids - got)[:5]}"
    assert {r.split for r in results} == {"train", "test"}
    assert len({r.category for r in results}) == 7
    assert all(r.score is not None and 0.0 <= r.score <= 1.0 for r in results)


def test_gemma_calls_are_real_and_priced_by_compute_time(lab_run: Path) -> None:
    rate = lab_spec_data()["local"]["hourly_rate_usd"]
    gemma = [c for c in read_calls(lab_run) if c.executor == "gemma"]
    # every call holds what the model really did: the server's token counts and the measured
    # service time (a call replayed from the cache keeps those of the call that was made)
    assert all(c.model == "local/gemma-3-270m" for c in gemma)
    assert all(c.tokens_in > 0 and c.tokens_out > 0 and c.service_s > 0 for c in gemma)
    assert all(c.error is None for c in gemma)
    for c in gemma:
        assert c.cost_usd == pytest.approx(c.service_s * rate / 3600.0, rel=1e-6)
    # a replayed call costs what the call cost when it was made, but nothing is billed again
    assert all(c.billed_usd == 0.0 for c in gemma if c.cached)
    total = sum(c.cost_usd for c in gemma)
    assert total > 0 and math.isfinite(total)


def test_routing_calls_are_counted_in_the_live_strategies(lab_run: Path) -> None:
    calls = read_calls(lab_run)
    results = {(r.task_id, r.strategy): r for r in read_results(lab_run)}
    ids = set(_spec().tasks.ids)
    for strategy, classifier in (
        ("classify_then_route:specialist", "category_clf"),
        ("classify_then_route:gemma", "gemma_router"),
    ):
        mine = [c for c in calls if c.strategy == strategy]
        classified = {c.task_id for c in mine if c.step == "classify"}
        assert classified == ids
        assert all(c.executor == classifier for c in mine if c.step == "classify")
        for task_id in list(ids)[:50]:
            own = sum(c.cost_usd for c in mine if c.task_id == task_id and c.step != "judge")
            assert results[(task_id, strategy)].cost_usd == pytest.approx(own, abs=1e-12)
    # Gemma as classifier is a real local call on every task, so it costs something
    router = [c for c in calls if c.executor == "gemma_router"]
    assert len(router) == len(ids) and all(c.cost_usd > 0 for c in router)
