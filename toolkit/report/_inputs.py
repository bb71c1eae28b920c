"""What a report is built from: an outcome matrix, its train/test split, and, for a run
directory, the manifest (hourly rate, executor -> model names) and the recorded traces."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit._errors import InputError, located

if TYPE_CHECKING:
    from toolkit.outcomes import OutcomeMatrix
    from toolkit.runs import CallRecord, Manifest, ResultRecord


@dataclass(frozen=True, eq=False)
class ReportInputs:
    """Everything a report reads, loaded once.

    ``kind`` is ``"run"`` for a run directory and ``"outcomes"`` for an imported outcome file.
    ``hourly_rates`` maps executors priced by compute time to their USD hourly rate (empty for
    imported outcomes: the rate is "n/a"). ``executor_models`` maps each executor to the model
    name its tokens are priced under (used by ``--reprice``).
    """

    source: Path
    kind: str
    matrix: OutcomeMatrix
    train: OutcomeMatrix
    test: OutcomeMatrix
    split_how: str
    name: str = ""
    manifest: Manifest | None = None
    results: tuple[ResultRecord, ...] = ()
    calls: tuple[CallRecord, ...] = ()
    local_hourly_rate_usd: float | None = None
    hourly_rates: Mapping[str, float] = field(default_factory=dict)
    executor_models: Mapping[str, str] = field(default_factory=dict)

    @property
    def imported(self) -> bool:
        """True for imported public outcome data (routing costs there are unknown)."""
        return self.kind != "run"

    @property
    def test_ids(self) -> set[str]:
        """Task ids of the test split."""
        return {str(t) for t in self.test.task_ids}

    def hourly_rate_text(self) -> str:
        """The local compute hourly rate as the report states it."""
        if self.imported:
            return "n/a (imported outcomes: no local compute was measured)"
        rates = sorted(set(self.hourly_rates.values()))
        if self.local_hourly_rate_usd is not None and not rates:
            rates = [self.local_hourly_rate_usd]
        if not rates:
            return "n/a (the run's manifest records no hourly rate; no executor was priced by time)"
        shown = ", ".join(f"${r:g}/hour" for r in rates)
        who = ", ".join(f"{e} ${r:g}/hour" for e, r in sorted(self.hourly_rates.items()))
        return shown + (f" ({who})" if who and len(rates) > 1 else "")


def load_inputs(
    path: str | Path,
    *,
    test_fraction: float = 0.3,
    seed: int = 0,
    allow_overlap: bool = False,
    dedupe_across_splits: bool = False,
) -> ReportInputs:
    """Load a run directory or an outcome file (parquet written by ``toolkit outcomes import``).

    The train/test split is the ``split`` column when it has both, else a seeded random split
    with ``test_fraction`` of the tasks in test (see ``toolkit.analysis.split_outcomes``).
    Train and test may not share a task id or prompt, as in ``evaluate``: an InputError, unless
    ``allow_overlap`` (kept, and said) or ``dedupe_across_splits`` (dropped from test).
    """
    overlap = {"allow": allow_overlap, "dedupe": dedupe_across_splits}
    from toolkit.outcomes import OutcomeMatrix

    p = Path(path)
    if not p.exists():
        raise InputError(
            located(
                p, None, "RUN_OR_OUTCOMES", "not found; pass a run directory or an outcome file"
            )
        )
    if p.is_dir():
        return _load_run(p, test_fraction=test_fraction, seed=seed, overlap=overlap)
    matrix = OutcomeMatrix.read(p)
    matrix.check_cost_axis(p)
    train, test, how = _split(matrix, test_fraction, seed, overlap)
    return ReportInputs(
        source=p,
        kind="outcomes",
        matrix=matrix,
        train=train,
        test=test,
        split_how=how,
        name=p.stem,
        executor_models={e: e for e in matrix.executors},
    )


def _split(
    matrix: OutcomeMatrix, test_fraction: float, seed: int, overlap: Mapping[str, bool]
) -> tuple[OutcomeMatrix, OutcomeMatrix, str]:
    """(train, test, how): ``evaluate``'s split and its overlap rule."""
    from toolkit.analysis import check_overlap, split_outcomes

    train, test, how = split_outcomes(matrix, test_fraction=test_fraction, seed=seed)
    test, _, notes = check_overlap(train, test, **overlap)
    return train, test, "; ".join([how, *notes])


def _load_run(
    root: Path, *, test_fraction: float, seed: int, overlap: Mapping[str, bool]
) -> ReportInputs:
    from toolkit.outcomes import OutcomeMatrix
    from toolkit.runs import read_calls, read_manifest, read_results

    manifest = read_manifest(root)
    matrix = OutcomeMatrix.from_run(root)
    matrix.check_cost_axis(root)
    train, test, how = _split(matrix, test_fraction, seed, overlap)
    local_rate, rates = _hourly_rates(manifest)
    return ReportInputs(
        source=root,
        kind="run",
        matrix=matrix,
        train=train,
        test=test,
        split_how=how,
        name=manifest.name or root.name,
        manifest=manifest,
        results=tuple(read_results(root)),
        calls=tuple(read_calls(root)),
        local_hourly_rate_usd=local_rate,
        hourly_rates=rates,
        executor_models=_executor_models(manifest, matrix.executors),
    )


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None


def _hourly_rates(manifest: Manifest) -> tuple[float | None, dict[str, float]]:
    """(the spec's default local rate, executor -> hourly rate) from a run's manifest."""
    local = manifest.local_hourly_rate_usd
    spec_local = manifest.spec.get("local")
    if local is None and isinstance(spec_local, Mapping):
        local = _num(spec_local.get("hourly_rate_usd"))
    rates: dict[str, float] = {}
    rates.update(manifest.executor_hourly_rates_usd)
    for entry in manifest.prices.values():
        if isinstance(entry, Mapping) and entry.get("pricing") == "hourly":
            per = entry.get("hourly_rate_usd")
            if isinstance(per, Mapping):
                for k, v in per.items():
                    if (r := _num(v)) is not None:
                        rates.setdefault(str(k), r)
    return local, rates


def _executor_models(manifest: Manifest, executors: Sequence[str]) -> dict[str, str]:
    """executor -> model name from the spec's executor configs; the executor's own name when
    the config names no model (tools, specialists) or the spec is not recorded."""
    from toolkit.models import DEFAULT_LOCAL_ALIAS

    out = {e: e for e in executors}
    configs = manifest.spec.get("executors")
    if not isinstance(configs, list):
        return out
    for cfg in configs:
        if not isinstance(cfg, Mapping) or not isinstance(cfg.get("name"), str):
            continue
        name, kind, model = cfg["name"], cfg.get("kind"), cfg.get("model")
        if kind == "local":
            alias = model if isinstance(model, str) and model else DEFAULT_LOCAL_ALIAS
            out[name] = alias if alias.startswith("local/") else f"local/{alias}"
        elif isinstance(model, str) and model:
            out[name] = model
    return out
