"""Router quality: every signal's score router on real outcome sets, against a plain baseline.

For each outcome set it finds (the lab's recorded outcomes always; from ``../shared/data``, when
present, arena-bench-v1 priced with ``tests/data/outcomes/arena_prices.toml`` and RouteLLM's
GSM8K), every signal's ``score_router`` is fitted on train and scored on test by
``toolkit.analysis``:

- AIQ (RouterBench), over the single executors' cost range;
- with two executors, APGR, CPT(50%) and CPT(80%) on the pair (baseline, default weak);
- the cost ratio to the baseline at Q = 1.0 and Q = 0.98, the setting chosen on out-of-fold
  train quality (``holds_on_test`` says whether it kept Q x the baseline's test quality);
- fit seconds (the 5 out-of-fold fits and the fit on all of train) and predictions a second.

In the same run it fits the plain baseline the issue names: scikit-learn's ``TfidfVectorizer``
and one ``LogisticRegression`` per executor, routed by argmax of p - lambda x cost with lambda
chosen on train (the same score-router machinery). Each signal's AIQ and Q = 0.98 cost ratio
are compared with the baseline's by a paired bootstrap over test tasks (1,000 resamples): the
difference and its 95% CI. ``auto`` is the signal ``score_router:auto`` chooses by train CV.

``--quick`` uses the shipped excerpts instead of ``../shared/data``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from _bench import ROOT, emit, environment, figure, parser

from toolkit.analysis._policies import AUTO_SIGNALS

SHARED = ROOT.parent / "shared" / "data"
PRICES = ROOT / "tests" / "data" / "outcomes" / "arena_prices.toml"
PUBLIC = ROOT / "data" / "outcomes" / "public"
BASELINE = "bench_plain_sklearn"
#: Every candidate of ``score_router:auto``, then ``auto`` itself.
SIGNALS = (*AUTO_SIGNALS, "auto")
#: ``--quick`` (the smoke test): a few signals on the lab and the GSM8K excerpt.
QUICK_SIGNALS = ("tfidf_logreg", "embed_knn", "auto")
TARGETS = (1.0, 0.98)
N_BOOT = 1000


def register_baseline() -> None:
    """The plain scikit-learn router the issue compares against, as a signal."""
    from toolkit import signal
    from toolkit.signals import texts_of

    @signal(BASELINE, summary="plain scikit-learn TF-IDF + LogisticRegression per executor")
    class PlainSklearn:
        def __init__(self, **_: Any) -> None:
            pass

        def fit(self, train: Any) -> Any:
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.linear_model import LogisticRegression

            self.vec_ = TfidfVectorizer()
            x = self.vec_.fit_transform(texts_of(train))
            y = np.asarray(train.score) >= 0.5
            self.models_: list[Any] = []
            for j in range(y.shape[1]):
                if y[:, j].all() or not y[:, j].any():
                    self.models_.append(float(y[0, j]))
                else:
                    self.models_.append(LogisticRegression().fit(x, y[:, j]))
            return self

        def predict(self, x: Any) -> Any:
            feats = self.vec_.transform(texts_of(x))
            cols = [
                np.full(feats.shape[0], m) if isinstance(m, float) else m.predict_proba(feats)[:, 1]
                for m in self.models_
            ]
            return np.column_stack(cols)


def outcome_sets(quick: bool) -> list[tuple[str, Any, float, str]]:
    """(name, matrix, test fraction, where it came from) of every set found."""
    from toolkit.outcomes import import_outcomes

    sets = [
        (
            "lab",
            import_outcomes(ROOT / "data" / "outcomes" / "lab_long.csv", "long"),
            0.3,
            "data/outcomes/lab_long.csv (its split column)",
        )
    ]
    arena = SHARED / "arena_bench_v1_long.csv"
    gsm = SHARED / "routellm_gsm8k_responses.csv"
    if quick or not arena.exists():
        arena = PUBLIC / "arena_bench_v1_long_60.csv"
    if quick or not gsm.exists():
        gsm = PUBLIC / "routellm_gsm8k_responses_300.csv"
    sets.append(
        (
            "arena_bench_v1",
            import_outcomes(
                arena, "long", score_scale=(1, 10), drop_incomplete="tasks", prices=PRICES
            ),
            0.3,
            f"{arena.name}, prices {PRICES.name}",
        )
    )
    sets.append(("routellm_gsm8k", import_outcomes(gsm, "routellm"), 0.5, gsm.name))
    return sets


def measure_set(
    matrix: Any, test_fraction: float, seed: int, n_boot: int, signals: Sequence[str]
) -> dict[str, Any]:
    """Every signal's figures on one set, and the paired differences to the baseline."""
    from toolkit.analysis import evaluate, split_outcomes
    from toolkit.analysis._evaluate import build_settings, parse_strategies
    from toolkit.analysis._policies import EvalData
    from toolkit.registry import REGISTRY

    train, test, how = split_outcomes(matrix, test_fraction=test_fraction, seed=seed)
    installed = {r["name"] for r in REGISTRY.listing("signal") if r["available"]}
    names = [s for s in (*signals, BASELINE) if s == "auto" or s in installed]
    if "category_prior" in names and len(set(map(str, train.category))) < 2:
        names.remove("category_prior")
    data = EvalData.prepare(train, test, seed=seed)
    fit_s: dict[str, float] = {}
    for s in names:
        t0 = time.perf_counter()
        data.predictions(s)
        fit_s[s] = time.perf_counter() - t0
    strategies = [f"score_router:{s}" for s in names]
    settings = build_settings(data, parse_strategies(["single", *strategies], train.executors))
    report = evaluate(train, test, strategies=strategies, seed=seed, parity_targets=TARGETS)
    out: dict[str, Any] = {
        "split": how,
        "n_train": train.n_tasks,
        "n_test": test.n_tasks,
        "executors": list(train.executors),
        "baseline_single": report["single_best"]["name"],
        "cost_axis": report["cost_axis"],
        "auto_chose": (report.get("auto") or {}).get("signal"),
        "signals": {},
    }
    boot = _paired(data, settings, names, n_boot, seed)
    for s in names:
        fam = f"score_router:{s}"
        row: dict[str, Any] = {
            "aiq": report["aiq"].get(fam),
            "fit_s": round(fit_s[s], 3),
            "predict_per_s": _predict_rate(s, train, test, seed) if s != "auto" else None,
        }
        two = [t for t in report["two_executor"] if t["strategy"] == fam]
        if two:
            row.update(apgr=two[0]["apgr"], apgr_ci=two[0]["apgr_ci"], cpt50=two[0]["cpt50"])
            row["cpt80"] = two[0]["cpt80"]
        for p in report["parity"]:
            if p["strategy"] == fam:
                row[f"q{p['target']:g}"] = {
                    k: p[k] for k in ("reached", "cost_ratio", "cost_ratio_ci", "holds_on_test")
                }
        if s != BASELINE:
            row["vs_baseline"] = boot.get(s)
        out["signals"][s] = row
    return out


def _predict_rate(name: str, train: Any, test: Any, seed: int) -> float:
    """Test predictions a second of a signal fitted on train (texts already encoded)."""
    from toolkit.signals import make_signal

    sig = make_signal(name, seed=seed).fit(train)
    t0 = time.perf_counter()
    sig.predict(test)
    return round(test.n_tasks / max(time.perf_counter() - t0, 1e-9), 1)


def _paired(
    data: Any, settings: Sequence[Any], names: Sequence[str], n_boot: int, seed: int
) -> dict[str, dict[str, Any]]:
    """Paired bootstrap over test tasks of (signal - baseline) in AIQ and in the Q = 0.98 cost
    ratio (the setting chosen on train, as in ``parity``)."""
    from toolkit.analysis._metrics import hull_area_aiq, parity_choice

    singles = [s for s in settings if s.family == "single"]
    base = singles[data.single_best]
    rows = data.target_rows
    target_q = float(base.train.score[rows].mean())
    fams = {n: [s for s in settings if s.family == f"score_router:{n}"] for n in names}
    chosen = {}
    for n, group in fams.items():
        tr_cost = np.array([g.train.cost[rows].mean() for g in group])
        tr_q = np.array([g.train.score[rows].mean() for g in group])
        pick = parity_choice(tr_cost, tr_q, 0.98 * target_q)
        chosen[n] = group[pick] if pick is not None else None
    n_test = data.test.n_tasks
    rng = np.random.default_rng(seed)
    draws = [np.arange(n_test)] + [rng.integers(0, n_test, n_test) for _ in range(n_boot)]
    aiq = {n: [] for n in names}
    ratio: dict[str, list[float]] = {n: [] for n in names}
    for idx in draws:
        fam_points = {
            n: (
                np.array([g.test.cost[idx].sum() for g in group]),
                np.array([g.test.score[idx].mean() for g in group]),
            )
            for n, group in fams.items()
        }
        fam_points["_singles"] = (
            np.array([s.test.cost[idx].sum() for s in singles]),
            np.array([s.test.score[idx].mean() for s in singles]),
        )
        values = hull_area_aiq(fam_points)
        base_cost = float(base.test.cost[idx].sum())
        for n in names:
            aiq[n].append(np.nan if values[n] is None else float(values[n]))
            pick = chosen[n]
            ok = pick is not None and base_cost > 0
            ratio[n].append(float(pick.test.cost[idx].sum()) / base_cost if ok else np.nan)
    out = {}
    for n in names:
        if n == BASELINE:
            continue
        out[n] = {
            "aiq_diff": _diff(aiq[n], aiq[BASELINE]),
            "cost_ratio_q0.98_diff": _diff(ratio[n], ratio[BASELINE]),
        }
    return out


def _diff(a: list[float], b: list[float]) -> dict[str, Any]:
    """The full-sample difference a - b and its 95% percentile interval over the resamples."""
    d = np.array(a) - np.array(b)
    point, rest = d[0], d[1:]
    rest = rest[np.isfinite(rest)]
    if not np.isfinite(point) or len(rest) == 0:
        return {"value": None, "ci": [None, None], "excludes_0": None}
    lo, hi = np.percentile(rest, [2.5, 97.5])
    return {
        "value": round(float(point), 4),
        "ci": [round(float(lo), 4), round(float(hi), 4)],
        "excludes_0": bool(lo > 0 or hi < 0),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure every set; print the JSON."""
    p = parser("router quality of every signal against a plain scikit-learn baseline", repeat=1)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    register_baseline()
    n_boot = 50 if args.quick else N_BOOT
    details: dict[str, Any] = {}
    figures: dict[str, Any] = {}
    for name, matrix, fraction, source in outcome_sets(args.quick):
        t0 = time.perf_counter()
        got = measure_set(
            matrix, fraction, args.seed, n_boot, QUICK_SIGNALS if args.quick else SIGNALS
        )
        got["source"] = source
        got["elapsed_s"] = round(time.perf_counter() - t0, 1)
        details[name] = got
        print(f"[router_quality] {name}: {got['elapsed_s']} s", file=sys.stderr, flush=True)
        auto, base = got["signals"]["auto"], got["signals"][BASELINE]
        if auto["aiq"] is not None and base["aiq"]:
            figures[f"{name}_auto_aiq_ratio_to_baseline"] = figure(
                auto["aiq"] / base["aiq"], 1.0, at_most=False
            )
        if name == "routellm_gsm8k" and auto.get("apgr") is not None:
            figures["routellm_gsm8k_auto_apgr"] = figure(auto["apgr"], 0.65, at_most=False)
    emit(
        {
            "benchmark": "router_quality",
            "data": "real outcome sets (see details); the baseline is plain scikit-learn",
            "figures": figures,
            "details": {"sets": details, "environment": environment(), "n_boot": n_boot},
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
