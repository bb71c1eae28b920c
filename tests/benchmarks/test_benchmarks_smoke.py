"""Smoke tests of the benchmark scripts: each runs at tiny sizes (``--quick``) and prints JSON
of the documented shape. Nothing here asserts a speed (that is what ``make bench`` reports);
the checks are that the scripts run, measure what they say, and judge ``met`` right."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bench_support import BENCH, FIGURES, check_figures, run_script

pytestmark = pytest.mark.slow


def test_threshold_sweep_quick_checks_the_loop_against_the_curve() -> None:
    ran = run_script("threshold_sweep", "--quick")
    assert ran.returncode == 0, ran.stderr[-2000:]
    check_figures("threshold_sweep", ran.out["figures"])
    d = ran.out["details"]
    assert d["loop_points_max_abs_diff_from_curve"] < 1e-9
    # --quick times 4 of the 10 thresholds and says it extrapolated
    assert d["routellm_loop_extrapolated"] is True
    assert d["routellm_loop_timed_thresholds"] == 4
    assert d["routellm_loop_thresholds"] == 10
    assert "synthetic" in ran.out["data"]


def test_many_strategies_quick_evaluates_at_least_200_settings() -> None:
    ran = run_script("many_strategies", "--quick", "--repeat", "1")
    assert ran.returncode == 0, ran.stderr[-2000:]
    check_figures("many_strategies", ran.out["figures"])
    d = ran.out["details"]
    # 11 singles + oracle + 21 random mixes + 4 signals x (their lambdas + 22 thresholds);
    # a signal's lambdas are its switching points, at most 200
    assert d["settings"] == 33 + sum(d["lambdas_per_signal"].values()) + 4 * 22
    assert all(2 <= k <= 200 for k in d["lambdas_per_signal"].values())
    assert d["settings"] >= 200
    assert d["two_executor_curves"] == 10
    assert d["n_boot"] == 50 and d["n_train"] + d["n_test"] == 600
    assert "synthetic" in ran.out["data"]


def test_evaluate_default_quick_times_evaluate_and_the_fits() -> None:
    ran = run_script("evaluate_default", "--quick")
    assert ran.returncode == 0, ran.stderr[-2000:]
    check_figures("evaluate_default", ran.out["figures"])
    assert "synthetic" in ran.out["data"]
    for size in ran.out["details"]["sizes"].values():
        assert size["n_train"] + size["n_test"] == 600
        assert size["settings"] > size["n_executors"]  # every default family was evaluated
        assert size["evaluate_s"] > 0 and size["signal_fitting_s"] > 0
        assert size["ratio_to_signal_fitting"] == pytest.approx(
            size["evaluate_s"] / size["signal_fitting_s"]
        )


def test_runner_overhead_quick_runs_both_ways_and_the_fake() -> None:
    ran = run_script("runner_overhead", "--quick")
    assert ran.returncode == 0, ran.stderr[-2000:]
    check_figures("runner_overhead", ran.out["figures"])
    d = ran.out["details"]
    assert d["calls_per_run"] == 40 and d["runs_per_way"] == 1
    assert d["bare_calls_per_s"] > 0 and d["toolkit_calls_per_s"] > 0
    assert 0 < d["toolkit_own_cpu_ms_per_call"] < d["toolkit_cpu_ms_per_call"]
    assert 0 < d["ratio_predicted_from_cpu"] < 1
    assert len(d["thread_hop_runs_calls_per_s"]) == 1 and d["thread_hop_share_of_bare"] > 0


def test_concurrency_scaling_quick_reports_every_level() -> None:
    ran = run_script("concurrency_scaling", "--quick")
    assert ran.returncode == 0, ran.stderr[-2000:]
    check_figures("concurrency_scaling", ran.out["figures"])
    levels = ran.out["details"]["levels"]
    assert set(levels) == {"1", "4"}
    for c, level in levels.items():
        assert level["calls"] >= int(c)
        assert level["ideal_calls_per_s"] == pytest.approx(int(c) / 0.02)
        # no client beats the ideal (every slot always waiting on the server)
        assert 0 < level["bare_share_of_ideal"] <= 1.05
        assert 0 < level["toolkit_share_of_ideal"] <= 1.05
    worst = min(level["toolkit_share_of_bare"] for level in levels.values())
    assert ran.out["figures"]["toolkit_share_of_bare_worst_level"]["value"] == worst
    assert "what_sets_it" in ran.out["details"]["ceiling"]


def test_startup_memory_quick_loads_the_matrix_it_wrote() -> None:
    ran = run_script("startup_memory", "--quick")
    assert ran.returncode == 0, ran.stderr[-2000:]
    check_figures("startup_memory", ran.out["figures"])
    d = ran.out["details"]
    assert [(r["tasks"], r["executors"]) for r in d["load_runs"]] == [(2000, 2)]
    assert d["python_startup_s"] > 0


def test_local_throughput_quick_or_skipped_with_a_reason() -> None:
    from toolkit.models import local_server_available

    ran = run_script("local_throughput", "--quick")
    assert ran.returncode == 0, ran.stderr[-2000:]
    why = local_server_available()
    if why is not None:
        assert ran.out == {"benchmark": "local_throughput", "skipped": why}
        return
    check_figures("local_throughput", ran.out["figures"])
    runs = ran.out["details"]["toolkit_runs"] + ran.out["details"]["direct_runs"]
    assert all(r["tokens"] > 0 and r["seconds"] > 0 for r in runs)


def _notebook(path: Path, *sources: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


def test_notebooks_benchmark_times_each_notebook(tmp_path: Path) -> None:
    _notebook(tmp_path / "a.ipynb", "x = 1 + 1", "assert x == 2")
    _notebook(tmp_path / "b.ipynb", "import math\nassert math.pi > 3")
    ran = run_script("notebooks", "--folder", str(tmp_path), "--repeat", "1")
    assert ran.returncode == 0, ran.stderr[-2000:]
    check_figures("notebooks", ran.out["figures"])
    d = ran.out["details"]
    assert set(d["per_notebook_s"]) == {"a.ipynb", "b.ipynb"} and d["passes"] == 1
    assert ran.out["figures"]["all_notebooks_s"]["value"] == pytest.approx(d["pass_totals_s"][0])


def test_notebooks_benchmark_skips_without_notebooks_and_fails_on_a_bad_cell(
    tmp_path: Path,
) -> None:
    ran = run_script("notebooks", "--folder", str(tmp_path))
    assert (ran.returncode, ran.out) == (
        0,
        {"benchmark": "notebooks", "skipped": "no notebooks yet"},
    )
    _notebook(tmp_path / "bad.ipynb", "raise ValueError('lab data missing')")
    ran = run_script("notebooks", "--folder", str(tmp_path), "--repeat", "1")
    assert ran.returncode == 1
    assert ran.out["error"] == "bad.ipynb: a cell raised ValueError: lab data missing"


def test_run_all_writes_latest_json_of_the_documented_shape(tmp_path: Path) -> None:
    out = tmp_path / "results" / "latest.json"
    only = ["threshold_sweep", "runner_overhead", "concurrency_scaling", "startup_memory"]
    ran_args = ["--quick", "--only", *only, "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run_all.py"), *ran_args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCH.parent,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    latest = json.loads(out.read_text())
    assert list(latest) == only
    for name, figures in latest.items():
        check_figures(name, figures)
    details = json.loads(out.with_name("latest_details.json").read_text())
    assert details["run"]["quick"] is True
    assert set(details["benchmarks"]) == set(latest)
    assert all(b["elapsed_s"] > 0 for b in details["benchmarks"].values())
    # the table names every figure of both
    for name in latest:
        for fig in FIGURES[name]:
            assert fig in proc.stdout
    # the live-call figure, drawn whole beside the results
    figure = out.with_name("live_calls.png")
    assert f"live-call figure: {figure}" in proc.stdout
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 20_000
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "latest.json",
        "latest_details.json",
        "live_calls.png",
    ]


def test_import_speed_quick_imports_the_synthetic_file_and_its_reference() -> None:
    ran = run_script("import_speed", "--quick")
    assert ran.returncode == 0, ran.stderr[-2000:]
    check_figures("import_speed", ran.out["figures"])
    d = ran.out["details"]
    assert d["rows"] == 40_000 and d["toolkit_shape"] == [10_000, 4]
    assert d["ratio_to_pandas_reference"] == pytest.approx(d["toolkit_s"] / d["pandas_reference_s"])
    assert d["peak_mb_idle_process"] < ran.out["figures"]["peak_rss_mb"]["value"]
    assert "synthetic" in ran.out["data"]


def test_router_quality_quick_compares_signals_with_the_plain_baseline() -> None:
    from toolkit.analysis._policies import AUTO_SIGNALS

    ran = run_script("router_quality", "--quick", timeout_s=600)
    assert ran.returncode == 0, ran.stderr[-2000:]
    check_figures("router_quality", ran.out["figures"])
    sets = ran.out["details"]["sets"]
    assert set(sets) == {"lab", "arena_bench_v1", "routellm_gsm8k"}
    for got in sets.values():
        rows = got["signals"]
        assert {"tfidf_logreg", "auto", "bench_plain_sklearn"} <= set(rows)
        assert got["auto_chose"] in AUTO_SIGNALS
        for name, row in rows.items():
            assert row["fit_s"] >= 0 and set(row) >= {"aiq", "q1", "q0.98"}
            if name != "bench_plain_sklearn":
                diff = row["vs_baseline"]["aiq_diff"]
                lo, hi = diff["ci"]
                assert lo is None or lo <= diff["value"] <= hi
    gsm = sets["routellm_gsm8k"]["signals"]["auto"]
    assert 0 <= gsm["apgr"] <= 1 and gsm["apgr_ci"][0] <= gsm["apgr"] <= gsm["apgr_ci"][1]
