"""The notebook helpers (toolkit.report._notebook) on SYNTHETIC runs: every table is checked
against arithmetic done here, independently, on the outcome matrix or the run files."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from toolkit._errors import InputError
from toolkit.outcomes import OutcomeMatrix, import_outcomes
from toolkit.report import ThresholdTuner, build_cost_report, load_inputs
from toolkit.report._notebook import (
    ELLIPSIS,
    LONG_CSV_COLUMNS,
    Comparison,
    Png,
    category_frame,
    compare_strategies,
    drift_frame,
    export_long_csv,
    export_setting,
    projection_frame,
    repo_root,
    shorten,
    significance_frame,
    strategy_frame,
    threshold_sweep,
    tuned_router,
)

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def cmp(matrix_run: Path) -> Comparison:
    return compare_strategies(matrix_run, n_boot=200)


def test_repo_root_walks_up_to_the_marker(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    deep = tmp_path / "notebooks" / "sub"
    deep.mkdir(parents=True)
    assert repo_root(deep) == tmp_path.resolve()
    assert repo_root(tmp_path) == tmp_path.resolve()
    with pytest.raises(InputError, match=r"no marker\.txt found"):
        repo_root(deep, marker="marker.txt")


def test_png_displays_as_an_image(cmp: Comparison) -> None:
    png = cmp.frontier_plot()
    assert isinstance(png, Png)
    assert png._repr_png_().startswith(PNG)
    assert len(png) > 5000  # a real figure, not an empty canvas


def test_strategy_frame_matches_the_analysis_rows(cmp: Comparison) -> None:
    shown = cmp.analysis.shown()
    table = strategy_frame(cmp)
    assert list(table.index) == [r.label for r in shown]
    for r in shown:
        row = table.loc[r.label]
        assert row["how"] == r.how
        assert row["quality"] == pytest.approx(r.entry["quality"])
        ci = r.entry["quality_ci"]
        assert row["ci_lo"] == pytest.approx(ci[0]) and row["ci_hi"] == pytest.approx(ci[1])
        assert row["cost_per_task"] == pytest.approx(r.entry["cost_per_task"])
        if r.entry.get("p_value_vs_single_best") is None:
            assert np.isnan(row["p_value_vs_single_best"])
    # The live strategy is there, with its recorded cost (routing calls included).
    assert table.loc["classify_then_route", "how"] == "live"
    every = strategy_frame(cmp, all_settings=True)
    assert len(every) == len(cmp.analysis.rows) > len(table)


def test_single_executor_rows_are_the_matrix_means(cmp: Comparison) -> None:
    test = cmp.inputs.test
    table = cmp.table()
    for j, e in enumerate(test.executors):
        row = table.loc[f"single:{e}"]
        assert row["quality"] == pytest.approx(test.score[:, j].mean())
        assert row["cost_usd"] == pytest.approx(test.cost_usd[:, j].sum())
        assert row["latency_p50_s"] == pytest.approx(np.percentile(test.latency_s[:, j], 50))
    base = table.loc[f"single:{cmp.evaluation['single_best']['name'].split(':')[1]}"]
    assert base["saving_vs_baseline"] == pytest.approx(0.0)


def test_category_frame_is_per_category_arithmetic(cmp: Comparison) -> None:
    test = cmp.inputs.test
    q = category_frame(cmp, metric="quality")
    c = category_frame(cmp, metric="cost_per_task")
    n = category_frame(cmp, metric="n")
    assert sorted(q.columns) == sorted(set(test.category))
    for j, e in enumerate(test.executors):
        for cat in q.columns:
            sel = test.category == cat
            assert q.loc[f"single:{e}", cat] == pytest.approx(test.score[sel, j].mean())
            assert c.loc[f"single:{e}", cat] == pytest.approx(test.cost_usd[sel, j].mean())
            assert n.loc[f"single:{e}", cat] == sel.sum()
    # The live strategy: mean recorded score per category over the test tasks.
    assert q.loc["classify_then_route"].notna().all()
    with pytest.raises(InputError, match="metric must be"):
        category_frame(cmp, metric="latency")


def test_significance_frame_is_a_paired_t_test(cmp: Comparison) -> None:
    from scipy import stats

    test = cmp.inputs.test
    best = str(cmp.evaluation["single_best"]["name"])
    sig = significance_frame(cmp, alpha=0.05)
    assert best not in sig.index  # single_best is not tested against itself
    j_best = test.index(best.removeprefix("single:"))
    for j, e in enumerate(test.executors):
        name = f"single:{e}"
        if name == best:
            continue
        expected = stats.ttest_rel(test.score[:, j], test.score[:, j_best]).pvalue
        row = sig.loc[name]
        assert row["p_value"] == pytest.approx(expected, rel=1e-9)
        delta = test.score[:, j].mean() - test.score[:, j_best].mean()
        assert row["delta_vs_single_best"] == pytest.approx(delta)
        assert row["significant"] == (expected < 0.05)
        if row["significant"]:
            assert row["verdict"] == ("better" if delta > 0 else "worse")
        else:
            assert row["verdict"] == "no significant difference"
    strict = significance_frame(cmp, alpha=1e-300)
    assert not strict["significant"].any()
    with pytest.raises(InputError, match="alpha"):
        significance_frame(cmp, alpha=1.5)


def test_compare_strategies_takes_an_imported_matrix(cmp: Comparison) -> None:
    m = cmp.inputs.matrix
    again = compare_strategies(m, n_boot=200)
    assert again.inputs.kind == "outcomes"
    assert again.evaluation["n_test"] == cmp.evaluation["n_test"]
    assert again.evaluation["single_best"] == cmp.evaluation["single_best"]
    assert not again.analysis.live  # an imported matrix has no traces


def _route(test: OutcomeMatrix, s: int, w: int, to_strong: np.ndarray) -> tuple:
    q = np.where(to_strong, test.score[:, s], test.score[:, w]).mean()
    # a cascade skips weak without a call where it escalates, so it pays one executor
    c = np.where(to_strong, test.cost_usd[:, s], test.cost_usd[:, w]).mean()
    return float(q), float(c)


@pytest.mark.parametrize("kind", ["score_router", "cascade"])
def test_threshold_sweep_points_are_routing_arithmetic(matrix_run: Path, kind: str) -> None:
    inputs = load_inputs(matrix_run)
    train, test = inputs.train, inputs.test
    sweep = threshold_sweep(train, test, signals=["tfidf_logreg", "random"], kind=kind)
    assert set(sweep.frame["signal"]) == {"tfidf_logreg", "random", "oracle"}
    s, w = test.index(sweep.strong), test.index(sweep.weak)
    assert sweep.q_strong == pytest.approx(test.score[:, s].mean())
    for sig in ("tfidf_logreg", "random"):
        router = sweep.routers[sig]
        scores = router.routing_score(test)
        curve = sweep.frame[sweep.frame["signal"] == sig]
        assert curve["strong_share"].iloc[0] == 0.0 and curve["strong_share"].iloc[-1] == 1.0
        for _, p in curve.iterrows():
            to_strong = scores >= p["threshold"]
            q, c = _route(test, s, w, to_strong)
            assert p["strong_share"] == pytest.approx(to_strong.mean())
            assert p["quality"] == pytest.approx(q)
            assert p["cost_per_task"] == pytest.approx(c)
    # The oracle ranks by the true gain: its curve is never below a learned one at equal share.
    oracle = sweep.frame[sweep.frame["signal"] == "oracle"]
    assert sweep.apgr["oracle"] >= max(sweep.apgr["tfidf_logreg"], sweep.apgr["random"])
    assert oracle["quality"].max() == pytest.approx(
        np.maximum(test.score[:, s], test.score[:, w]).mean()
    )
    assert sweep.plot(point=(0.5, 0.5)).startswith(PNG)


def test_threshold_sweep_rejects_bad_settings(matrix_run: Path) -> None:
    inputs = load_inputs(matrix_run)
    with pytest.raises(InputError, match="kind"):
        threshold_sweep(inputs.train, inputs.test, kind="lottery")
    with pytest.raises(InputError, match="at least one signal"):
        threshold_sweep(inputs.train, inputs.test, signals=[], oracle=False)


def test_drift_frame_is_test_minus_train(matrix_run: Path) -> None:
    from toolkit.analysis import tune

    inputs = load_inputs(matrix_run)
    _, result = tune(inputs.train, inputs.test, strategy="score_router:knn", strong_share=0.4)
    d = drift_frame(result)
    assert list(d.index) == ["train", "test", "drift"]
    for col in ("strong_share", "quality", "cost_usd", "cost_per_task"):
        assert d.loc["train", col] == pytest.approx(result["train"][col])
        assert d.loc["test", col] == pytest.approx(result["test"][col])
        assert d.loc["drift", col] == pytest.approx(d.loc["test", col] - d.loc["train", col])
    assert d.attrs["threshold"] == result["threshold"]


def test_export_setting_writes_the_tuners_current_threshold(
    matrix_run: Path, tmp_path: Path
) -> None:
    inputs = load_inputs(matrix_run)
    tuner = ThresholdTuner.from_outcomes(inputs.train, inputs.test, strong_share=0.5)
    fitted = tuner.router.threshold_
    moved = float(tuner.thresholds[1])
    assert moved != fitted
    tuner.update(moved)
    source = inputs.train.to_parquet(tmp_path / "train.parquet")
    text = export_setting(tuner, tmp_path / "spec" / "tuned.toml", source)
    (table,) = tomllib.loads(text)["strategies"]
    assert table["name"].endswith(":tuned")
    assert table["threshold"] == tuned_router(tuner).live_threshold()
    assert table["executors"] == [tuner.router.weak_, tuner.router.strong_]
    assert table["fit_outcomes"] == "../train.parquet"
    assert (tmp_path / "spec" / "tuned.toml").read_text(encoding="utf-8") == text
    assert tuner.router.threshold_ == fitted  # the tuner's own router is left alone
    # The exported router routes exactly as the tuner's operating point does.
    at = tuned_router(tuner)
    assert at.evaluate(tuner.data)["strong_share"] == tuner.metrics["strong_share"]


def test_projection_frame_matches_the_projection(matrix_run: Path) -> None:
    report = build_cost_report(matrix_run, monthly_requests=5000, n_boot=100)
    p = report.analysis.projection
    assert p is not None
    frame = projection_frame(p)
    assert list(frame.index) == [r.strategy for r in p.rows]
    for i, r in enumerate(p.rows):  # by position: two settings may share a label
        assert frame["monthly_usd"].iloc[i] == pytest.approx(r.monthly_usd)
        assert frame["saving_pct"].iloc[i] == pytest.approx(r.saving_pct, nan_ok=True)
        assert bool(frame["is_baseline"].iloc[i]) == r.is_baseline
    assert frame.attrs["monthly_requests"] == 5000
    assert frame.loc[frame["is_baseline"], "saving_usd"].tolist() == pytest.approx([0.0])


def test_export_long_csv_round_trips_through_the_long_importer(
    cmp: Comparison, tmp_path: Path
) -> None:
    m = cmp.inputs.matrix
    path = export_long_csv(m, tmp_path / "out" / "long.csv")
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(LONG_CSV_COLUMNS)
    back = import_outcomes(path, "long")
    assert back.executors == m.executors
    order = [list(back.task_ids).index(t) for t in m.task_ids]
    for name in ("score", "cost_usd", "latency_s", "tokens_in", "tokens_out"):
        assert np.allclose(getattr(back, name)[order], getattr(m, name)), name
    assert list(back.category[order]) == list(m.category)
    assert list(back.splits[order]) == list(m.splits)
    assert list(back.text[order]) == list(m.text)
    assert not list(tmp_path.joinpath("out").glob(".*tmp*"))  # no temp file left behind


def test_export_long_csv_shortens_prompts_on_request(cmp: Comparison, tmp_path: Path) -> None:
    m = cmp.inputs.matrix
    back = import_outcomes(export_long_csv(m, tmp_path / "s.csv", max_prompt_chars=40), "long")
    order = [list(back.task_ids).index(t) for t in m.task_ids]
    for full, short in zip(m.text, back.text[order], strict=True):
        full, short = str(full), str(short)
        if len(full) <= 40:
            assert short == full
        else:  # head and tail kept, the middle dropped
            assert len(short) == 40 and ELLIPSIS in short
            head, tail = short.split(ELLIPSIS)
            assert full.startswith(head) and full.endswith(tail)
    assert any(len(str(t)) > 40 for t in m.text)  # the case above really happened
    with pytest.raises(InputError, match="max_prompt_chars"):
        export_long_csv(m, tmp_path / "x.csv", max_prompt_chars=39)


def test_shorten_keeps_the_question_at_the_end() -> None:
    text = "Read this. " + "filler " * 1000 + "Question: what is the code?"
    short = shorten(text, 120)
    assert len(short) == 120
    assert short.startswith("Read this.") and short.endswith("what is the code?")
    assert shorten("short", 120) == "short"


def test_png_has_a_short_text_form() -> None:
    png = Png(PNG + b"0" * 100)
    assert repr(png) == "<PNG image, 108 bytes>"
    assert png._repr_png_() == bytes(png)
