"""``evaluate``: every strategy over a train/test pair of outcome matrices, as one JSON object.

Learned parts are fitted on train only; every reported number is on test. The JSON layout and
each metric are defined in docs/offline-evaluation.md ("toolkit evaluate").
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from toolkit._errors import InputError
from toolkit.analysis._baseline import PARITY_TARGETS, reaches
from toolkit.analysis._bootstrap import CurveInput, paired_bootstrap
from toolkit.analysis._leakage import group_split_mask
from toolkit.analysis._metrics import (
    AIQ_MEANS,
    hull_area_aiq,
    paired_t_pvalues,
    parity_choice,
    percentile_ci,
    percentiles,
    threshold_curve,
    upper_hull,
)
from toolkit.analysis._policies import (
    AUTO,
    DEFAULT_SIGNALS,
    EvalData,
    Setting,
    cascade,
    offline_setting,
    oracle,
    pair_router_score,
    random_router,
    score_router,
    singles,
)
from toolkit.outcomes import OutcomeMatrix
from toolkit.registry import HOW_PLUGINS_LOAD, REGISTRY

FloatArray = npt.NDArray[np.float64]

N_BOOT = 1000
TUNABLE = ("random", "score_router", "cascade")


def num(x: Any) -> float | None:
    """A float for JSON: NaN and infinities become None."""
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def split_outcomes(
    matrix: OutcomeMatrix, *, test_fraction: float = 0.3, seed: int = 0
) -> tuple[OutcomeMatrix, OutcomeMatrix, str]:
    """Train and test matrices: by the ``split`` column when it has train and test tasks,
    otherwise a seeded random split with ``test_fraction`` of the tasks in test."""
    names = set(matrix.split_names())
    if {"train", "test"} <= names:
        train, test = matrix.split("train"), matrix.split("test")
        other = matrix.n_tasks - train.n_tasks - test.n_tasks
        how = "by the split column"
        if other:
            how += f" ({other} tasks with another or no split left out)"
        return train, test, how
    if not 0.0 < test_fraction < 1.0:
        raise InputError(
            f"--test-fraction must be between 0 and 1 (exclusive), got {test_fraction}"
        )
    n = matrix.n_tasks
    if n < 2:
        raise InputError(f"{n} task(s): too few to split into train and test")
    n_test = min(n - 1, max(1, round(test_fraction * n)))
    perm = np.random.default_rng(seed).permutation(n)
    # identical prompts stay on one side
    test_mask = group_split_mask(matrix.text, n_test, perm)
    if test_mask.all() or not test_mask.any():
        raise InputError(
            f"{n} tasks share too few distinct prompts to split into train and test "
            "(identical prompts stay on one side)"
        )
    how = f"random split, test fraction {test_fraction:g}, seed {seed}"
    moved = int(test_mask.sum()) - n_test
    if moved:
        how += f" (identical prompts kept on one side: {moved:+d} test tasks)"
    if names:
        how += " (the split column lacks train or test tasks)"
    return matrix.subset(~test_mask), matrix.subset(test_mask), how


def parse_strategies(names: Sequence[str] | None, executors: Sequence[str]) -> list[str]:
    """Expand ``--strategy`` values into strategy names; None gives the default set.

    Accepted: ``single`` (every executor), ``single:<executor>``, ``random``, ``oracle``,
    ``score_router`` / ``cascade`` (every signal), ``score_router:<signal>``,
    ``cascade:<signal>``.
    """
    if not names:
        names = ["single", "random", "oracle", "score_router", "cascade"]
    out: list[str] = []

    def add(x: str) -> None:
        if x not in out:
            out.append(x)

    for raw in names:
        kind, _, arg = raw.partition(":")
        if kind == "single" and not arg:
            for e in executors:
                add(f"single:{e}")
        elif kind == "single":
            if arg not in executors:
                raise InputError(
                    f"--strategy {raw}: unknown executor {arg!r}; known: {', '.join(executors)}"
                )
            add(raw)
        elif kind in ("random", "oracle") and not arg:
            add(kind)
        elif kind in ("score_router", "cascade"):
            signals = [arg] if arg else list(DEFAULT_SIGNALS)
            for s in signals:
                if s != AUTO and REGISTRY.lookup("signal", s) is None:
                    raise InputError(f"--strategy {raw}: {REGISTRY.unknown('signal', s)}")
                add(f"{kind}:{s}")
        elif not arg and kind in offline_kinds():
            add(kind)
        else:
            close = difflib.get_close_matches(kind, [*BUILTIN_OFFLINE, *offline_kinds()], n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            plugins = ", ".join(offline_kinds()) or "none"
            raise InputError(
                f"--strategy {raw}: unknown strategy; {hint}use single, single:<executor>, "
                "random, oracle, score_router[:<signal>], cascade[:<signal>] or a registered "
                f"strategy with an offline policy (here: {plugins}; {HOW_PLUGINS_LOAD})"
            )
    return out


#: The strategy names ``evaluate`` scores with its own policy families.
BUILTIN_OFFLINE = ("single", "random", "oracle", "score_router", "cascade")


def offline_kinds() -> tuple[str, ...]:
    """Registered strategy kinds with an ``offline`` policy (the built-in families aside)."""
    out = []
    for kind in REGISTRY.names("strategy"):
        if kind in BUILTIN_OFFLINE:
            continue
        entry = REGISTRY.lookup("strategy", kind)
        if entry is not None and entry.option("offline") is not None:
            out.append(kind)
    return tuple(out)


def build_settings(data: EvalData, strategies: Sequence[str]) -> list[Setting]:
    """Every setting of every requested strategy (singles always come first)."""
    out = singles(data)
    wanted_singles = {s.partition(":")[2] for s in strategies if s.startswith("single:")}
    out = [s for s in out if s.name.partition(":")[2] in wanted_singles]
    text_ok = data.train.has_text and data.test.has_text
    strong, weak = data.single_best, data.weak
    for name in strategies:
        kind, _, signal = name.partition(":")
        if kind == "single":
            continue
        if kind not in BUILTIN_OFFLINE:
            out.append(offline_setting(data, kind))
        elif kind == "oracle":
            out.extend(oracle(data))
        elif kind == "random":
            if strong == weak:
                data.notes.append(
                    "random: left out, because there is a single executor (no pair to mix)"
                )
                continue
            out.extend(random_router(data, strong, weak))
        elif signal != "random" and not text_ok:
            data.notes.append(
                f"{name}: left out, because the task text is not available (the signal reads it)"
            )
        elif not _signal_ok(data, signal, name):
            continue
        elif kind == "score_router":
            out.extend(score_router(data, signal))
        elif kind == "cascade":
            found = cascade(data, signal)
            if not found:
                data.notes.append(
                    f"{name}: left out, because no executor beats a cheaper one on train "
                    "(a cascade would have one stage)"
                )
            out.extend(found)
    return out


def _signal_ok(data: EvalData, signal: str, name: str) -> bool:
    """Fit the signal (cached); when it cannot be fitted here, note why and leave it out."""
    try:
        data.predictions(signal)
    except ValueError as exc:
        note = f"{name}: left out, because its signal cannot be fitted on these train tasks: {exc}"
        if note not in data.notes:
            data.notes.append(note)
        return False
    return True


def evaluate(
    train: OutcomeMatrix,
    test: OutcomeMatrix,
    *,
    strategies: Sequence[str] | None = None,
    pairs: Sequence[tuple[str, str]] | None = None,
    seed: int = 0,
    n_boot: int = N_BOOT,
    baseline: str | None = None,
    baseline_by: str = "train",
    parity_targets: Sequence[float] = PARITY_TARGETS,
) -> dict[str, Any]:
    """Evaluate strategies on ``test`` after fitting them on ``train``; the ``--json`` object.

    ``baseline`` names the executor every comparison is against (default: chosen on train,
    or on a held-out part of it with ``baseline_by="validation"``); ``parity_targets`` are the
    quality targets Q (shares of the baseline's quality) of the ``parity`` entries.
    """
    targets = [float(q) for q in parity_targets]
    bad = [q for q in targets if not 0.0 < q <= 2.0 or not math.isfinite(q)]
    if bad or not targets:
        raise InputError(
            f"--quality-target must be a share of the baseline's quality in (0, 2], got "
            f"{', '.join(f'{q:g}' for q in bad) or 'none'}"
        )
    data = EvalData.prepare(train, test, seed=seed, baseline=baseline, baseline_by=baseline_by)
    names = parse_strategies(strategies, data.executors)
    pair_idx = [(train.index(s), train.index(w)) for s, w in (pairs or [])]
    for s, w in pair_idx:
        if s == w:
            raise InputError(
                f"--pair {data.executors[s]},{data.executors[w]}: strong and weak are the same"
            )
    settings = build_settings(data, names)
    return assemble(data, settings, names, pair_idx, n_boot=n_boot, targets=targets)


def assemble(
    data: EvalData,
    settings: Sequence[Setting],
    strategies: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    *,
    n_boot: int = N_BOOT,
    targets: Sequence[float] = PARITY_TARGETS,
) -> dict[str, Any]:
    """Metrics, intervals, frontier, AIQ, parity and two-executor curves of the settings."""
    ex = data.executors
    test = data.test
    n = test.n_tasks
    single_all = singles(data)
    best_single = single_all[data.single_best]
    # Settings plus single_best (always needed as the reference), stacked column-wise.
    cols = [*settings, best_single]
    score_mat = np.column_stack([s.test.score for s in cols])
    cost_mat = np.column_stack([s.test.cost for s in cols])
    ref = len(cols) - 1

    two_exec = _two_executor_specs(data, strategies, pairs)
    curves = [
        CurveInput(test.score[:, s], test.score[:, w], score) for (_, s, w, score) in two_exec
    ]
    boot = paired_bootstrap(
        {"score": score_mat, "cost": cost_mat}, curves, n_boot=n_boot, seed=data.seed
    )
    q_lo, q_hi = percentile_ci(boot.means["score"])
    pvals = paired_t_pvalues(score_mat, score_mat[:, ref])

    cats = sorted({str(c) for c in test.category})
    cat_idx = {c: np.flatnonzero(test.category == c) for c in cats}
    strategies_out = []
    for k, s in enumerate(settings):
        total = float(s.test.cost.sum())
        correct = float(s.test.score.sum())
        p50, p95 = percentiles(s.test.latency, [50, 95])
        strategies_out.append(
            {
                "name": s.name,
                "params": s.params,
                "quality": num(s.test.quality),
                "quality_ci": [num(q_lo[k]), num(q_hi[k])],
                "cost_usd": num(total),
                "cost_per_task": num(total / n),
                "cost_per_correct": num(total / correct) if correct > 0 else None,
                "latency_p50_s": p50,
                "latency_p95_s": p95,
                "call_share": {e: float(s.test.share[j]) for j, e in enumerate(ex)},
                "p_value_vs_single_best": num(pvals[k]),
                "by_category": {
                    c: {
                        "quality": num(s.test.score[idx].mean()),
                        "cost_usd": num(s.test.cost[idx].sum()),
                        "n": len(idx),
                    }
                    for c, idx in cat_idx.items()
                },
            }
        )

    # Frontier: every non-oracle setting plus every single executor.
    pts = [s for s in settings if s.family != "oracle"]
    pts += [s for s in single_all if s.name not in {p.name for p in pts}]
    f_cost = np.array([float(s.test.cost.sum()) for s in pts])
    f_q = np.array([s.test.quality for s in pts])
    frontier = [
        {
            "name": pts[i].name,
            "params": pts[i].params,
            "quality": num(f_q[i]),
            "cost_usd": num(f_cost[i]),
        }
        for i in upper_hull(f_cost, f_q)
    ]

    # AIQ (RouterBench) of each routing family; single executors and the oracle are shown
    # with their quality and cost instead (a one-point family's AIQ misleads).
    families: dict[str, list[Setting]] = {}
    for s in settings:
        families.setdefault(s.family, []).append(s)
    routed_families = {f: g for f, g in families.items() if f not in ("single", "oracle")}
    aiq_out = {
        fam: num(v)
        for fam, v in hull_area_aiq(
            {
                fam: (
                    np.array([float(s.test.cost.sum()) for s in group]),
                    np.array([s.test.quality for s in group]),
                )
                for fam, group in routed_families.items()
            }
        ).items()
    }

    # Savings at parity, chosen on train, for each quality target Q.
    rows = data.target_rows
    base_tr = best_single.train
    target_q = float(base_tr.score[rows].mean()) if base_tr is not None else float("nan")
    best_cost = float(best_single.test.cost.sum())
    ratio_boot = None
    parity = []
    for fam, group in families.items():
        if fam.partition(":")[0] not in TUNABLE:
            continue
        tr_cost = np.array([g.train.cost[rows].mean() if g.train else np.nan for g in group])
        tr_q = np.array([g.train.score[rows].mean() if g.train else np.nan for g in group])
        for q_share in targets:
            pick = parity_choice(tr_cost, tr_q, q_share * target_q)
            entry: dict[str, Any] = {
                "strategy": fam,
                "params": None,
                "reached": pick is not None,
                "target": q_share,
            }
            if pick is None:
                entry.update(
                    test_quality=None,
                    test_cost_usd=None,
                    cost_ratio=None,
                    cost_ratio_ci=[None, None],
                    holds_on_test=None,
                )
            else:
                chosen = group[pick]
                col = settings.index(chosen)
                cost = float(chosen.test.cost.sum())
                if ratio_boot is None:
                    with np.errstate(divide="ignore", invalid="ignore"):
                        ratio_boot = boot.means["cost"] / boot.means["cost"][:, [ref]]
                lo, hi = percentile_ci(ratio_boot[:, [col]])
                entry.update(
                    params=chosen.params,
                    test_quality=num(chosen.test.quality),
                    test_cost_usd=num(cost),
                    cost_ratio=num(cost / best_cost) if best_cost > 0 else None,
                    cost_ratio_ci=[num(lo[0]), num(hi[0])] if best_cost > 0 else [None, None],
                    holds_on_test=reaches(chosen.test.quality, best_single.test.quality, q_share),
                )
            parity.append(entry)

    saving = no_saving(data)
    if saving is not None:  # a router can only cost more: AIQ and the gap measures mislead
        aiq_out = {fam: None for fam in aiq_out}
    two_out = []
    apgr_lo, apgr_hi = percentile_ci(boot.apgr) if curves else (np.zeros(0), np.zeros(0))
    for j, (fam, si, wi, score) in enumerate(two_exec):
        curve = threshold_curve(test.score[:, si], test.score[:, wi], score)
        value = curve.apgr()
        two_out.append(
            {
                "strategy": fam,
                "strong": ex[si],
                "weak": ex[wi],
                "apgr": num(value),
                "apgr_ci": [num(apgr_lo[j]), num(apgr_hi[j])]
                if value is not None
                else [None, None],
                "cpt50": num(curve.cpt(0.5)),
                "cpt80": num(curve.cpt(0.8)),
            }
        )
        if saving is not None:
            two_out[-1].update(apgr=None, apgr_ci=[None, None], cpt50=None, cpt80=None)

    return {
        "n_train": data.train.n_tasks,
        "n_test": n,
        "seed": data.seed,
        "single_best": {
            "name": best_single.name,
            "quality": num(best_single.test.quality),
            "cost_usd": num(best_single.test.cost.sum()),
            "chosen_by": data.chosen_by,
            "train_quality": num(target_q),
        },
        "strategies": strategies_out,
        "frontier": frontier,
        "aiq": aiq_out,
        "aiq_means": AIQ_MEANS,
        "parity": parity,
        "two_executor": two_out,
        "no_saving": saving,
        **({"auto": data.auto_choice} if data.auto_choice is not None else {}),
        "cost_axis": data.cost_axis,
        "notes": [
            *data.train.notes,
            *(x for x in data.test.notes if x not in data.train.notes),
            *data.notes,
        ],
    }


def no_saving(data: EvalData) -> str | None:
    """Why no router can save against the baseline (it is also the cheapest executor on
    train), or None."""
    if data.train.n_executors < 2 or data.single_best != data.cheapest:
        return None
    name = data.executors[data.single_best]
    return (
        f"the baseline {name} is also the cheapest executor on train, so every other "
        "executor costs more and no router can save against it; AIQ, APGR and CPT are not "
        "given"
    )


def _two_executor_specs(
    data: EvalData, strategies: Sequence[str], pairs: Sequence[tuple[int, int]]
) -> list[tuple[str, int, int, FloatArray]]:
    """(family, strong, weak, test router score) for each pair x threshold-routable family."""
    if not pairs:
        if data.single_best == data.weak:
            data.notes.append(
                "two_executor: no default pair, because there is a single executor; name one "
                "with --pair STRONG,WEAK"
            )
            return []
        pairs = [(data.single_best, data.weak)]
    text_ok = data.train.has_text and data.test.has_text
    families: list[str] = []
    for name in strategies:
        kind, _, signal = name.partition(":")
        if kind in ("random", "oracle") or (
            kind in ("score_router", "cascade")
            and (text_ok or signal == "random")
            and _signal_ok(data, signal, name)
        ):
            families.append(name)
    out = []
    for s, w in pairs:
        for fam in families:
            score = pair_router_score(data, fam, s, w)
            if score is not None:
                out.append((fam, s, w, score))
    return out


def to_json(result: Mapping[str, Any], *, indent: int | None = None) -> str:
    """The JSON text of an evaluation: NaN is refused (the values are already None);
    ``indent`` for a person to read (a terminal), None for one line (a pipe or a file)."""
    import json

    return json.dumps(result, allow_nan=False, indent=indent)
