"""Real public outcome data from ../shared/data (skipped where a checkout has none).

arena-bench-v1: 300 hard chat prompts x 15 models, GPT-4 judge grades 1-10 (mapped with
--score-scale 1,10), priced from token counts with litellm's map and
tests/data/outcomes/arena_prices.toml. RouteLLM's GSM8K: 1,319 questions x 2 models, True/False.
"""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from toolkit.cli import main

PRICES = Path(__file__).resolve().parents[1] / "data" / "outcomes" / "arena_prices.toml"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _sane(r: dict[str, Any], n_executors: int) -> None:
    singles = [s for s in r["strategies"] if s["name"].startswith("single:")]
    assert len(singles) == n_executors
    oracle = next(s for s in r["strategies"] if s["name"] == "oracle")
    assert oracle["quality"] >= max(s["quality"] for s in singles)
    assert oracle["quality"] >= r["single_best"]["quality"]
    front = r["frontier"]
    assert front and all(f["name"] != "oracle" for f in front)
    for a, b in pairwise(front):
        assert a["cost_usd"] < b["cost_usd"] and a["quality"] < b["quality"]
    for t in r["two_executor"]:
        if t["strategy"] == "oracle":
            continue
        assert t["apgr"] is not None and 0.2 < t["apgr"] < 0.9, t
        lo, hi = t["apgr_ci"]
        assert lo <= t["apgr"] <= hi
    random = next(t for t in r["two_executor"] if t["strategy"] == "random")
    assert abs(random["apgr"] - 0.5) < 0.1
    for s in r["strategies"]:
        lo, hi = s["quality_ci"]
        assert 0.0 <= lo <= s["quality"] <= hi <= 1.0


def test_arena_bench_long_import_and_evaluate(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "arena.parquet"
    src = str(shared_data / "arena_bench_v1_long.csv")
    # Without --drop-incomplete the missing cells are counted per column.
    code, _, err = _run(
        capsys,
        "outcomes",
        "import",
        src,
        "--format",
        "long",
        "--score-scale",
        "1,10",
        "--prices",
        str(PRICES),
        "--out",
        str(out),
    )
    assert code == 2 and "score: 39 missing cells" in err and not out.exists()
    code, stdout, err = _run(
        capsys,
        "outcomes", "import", src, "--format", "long", "--score-scale", "1,10",
        "--drop-incomplete", "--prices", str(PRICES), "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert "246 tasks x 15 executors" in stdout and "dropped 54 of 300 tasks" in err
    code, stdout, err = _run(
        capsys, "evaluate", str(out), "--test-fraction", "0.3", "--seed", "0", "--json"
    )
    assert code == 0, err
    r = json.loads(stdout)
    assert r["n_test"] == 74 and r["cost_axis"] == "usd"
    _sane(r, 15)
    print("arena headline:", json.dumps(_headline(r)))


def test_routellm_gsm8k_import_and_evaluate(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gsm8k.parquet"
    src = str(shared_data / "routellm_gsm8k_responses.csv")
    code, stdout, err = _run(
        capsys, "outcomes", "import", src, "--format", "routellm", "--out", str(out)
    )
    assert code == 0, err
    assert "1319 tasks x 2 executors" in stdout
    code, stdout, err = _run(
        capsys, "evaluate", str(out), "--test-fraction", "0.3", "--seed", "0", "--json"
    )
    assert code == 0, err
    r = json.loads(stdout)
    assert r["cost_axis"] == "strong_share"
    assert r["single_best"]["name"] == "single:gpt-4-1106-preview"
    _sane(r, 2)
    print("gsm8k headline:", json.dumps(_headline(r)))


def _headline(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "n_train": r["n_train"],
        "n_test": r["n_test"],
        "single_best": r["single_best"],
        "oracle": next(
            {"quality": s["quality"], "cost_usd": s["cost_usd"]}
            for s in r["strategies"]
            if s["name"] == "oracle"
        ),
        "aiq": r["aiq"],
        "parity": [
            {
                k: p[k]
                for k in ("strategy", "reached", "test_quality", "cost_ratio", "cost_ratio_ci")
            }
            for p in r["parity"]
        ],
        "two_executor": [
            {k: t[k] for k in ("strategy", "strong", "weak", "apgr", "apgr_ci", "cpt50", "cpt80")}
            for t in r["two_executor"]
        ],
    }
