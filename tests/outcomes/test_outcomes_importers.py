"""Importers: each format read right, and every malformed input refused with a located message."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from toolkit._errors import InputError
from toolkit.outcomes import OutcomeMatrix, import_outcomes, stable_task_id

Cli = Callable[..., tuple[int, str, str]]


# ----- formats read right -----


def test_routerbench_csv_reads_scores_costs_and_ignores_index(data_dir: Path) -> None:
    m = import_outcomes(data_dir / "routerbench_small.csv", "routerbench")
    assert m.executors == ("gpt-4", "mistral-7b")
    assert list(m.task_ids) == ["mmlu.a.1", "mmlu.a.2", "gsm8k.3", "mtbench.4"]
    assert list(m.category) == ["mmlu-math", "mmlu-geo", "gsm8k", "mt-bench"]
    np.testing.assert_allclose(m.score[:, 0], [1, 1, 1, 0.8])
    np.testing.assert_allclose(m.score[:, 1], [1, 0, 0, 0.9])
    np.testing.assert_allclose(m.cost_usd[:, 1], [0.0001, 0.0001, 0.0002, 0.0003])
    assert m.text[2] == "A multi-line\nprompt about eggs"
    assert np.isnan(m.latency_s).all()  # RouterBench has no latency


def test_routerbench_pickle_needs_allow_pickle(tmp_path: Path, data_dir: Path, cli: Cli) -> None:
    import pandas as pd

    frame = pd.read_csv(data_dir / "routerbench_small.csv")
    pkl = tmp_path / "rb.pkl"
    frame.to_pickle(pkl)
    out = tmp_path / "rb.parquet"
    code, _, err = cli("outcomes", "import", str(pkl), "--format", "routerbench", "--out", str(out))
    assert code == 2
    assert f"{pkl}: --allow-pickle: refusing to unpickle" in err
    assert not out.exists()
    code, stdout, _ = cli(
        "outcomes",
        "import",
        str(pkl),
        "--format",
        "routerbench",
        "--allow-pickle",
        "--out",
        str(out),
    )
    assert code == 0, stdout
    m = OutcomeMatrix.read(out)
    assert m.n_tasks == 4
    np.testing.assert_allclose(m.score[:, 1], [1, 0, 0, 0.9])


def test_routellm_file_has_no_cost_and_hashed_ids(data_dir: Path) -> None:
    path = data_dir / "routellm_small.csv"
    m = import_outcomes(path, "routellm")
    assert m.executors == ("weak-model", "strong-model")
    np.testing.assert_array_equal(m.score, [[1, 1], [0, 1], [1, 0], [0, 0]])
    assert not m.has_cost and np.isnan(m.cost_usd).all()
    assert set(m.category) == {"routellm_small"}
    assert m.task_ids[0] == stable_task_id("routellm_small", "What is 3+4?")
    assert any("share of calls to the strong executor" in n for n in m.notes)


def test_routellm_folder_subject_is_category(data_dir: Path) -> None:
    m = import_outcomes(data_dir / "routellm_mmlu", "routellm")
    assert m.n_tasks == 5
    assert list(m.category) == ["mmlu_algebra"] * 2 + ["mmlu_history"] * 3
    # Columns are matched by name: the second file lists strong before weak.
    np.testing.assert_array_equal(m.score[2], [0, 1])  # Roman emperor: weak False, strong True
    # The same prompt in two subjects gets two different ids.
    assert m.task_ids[0] != m.task_ids[4]


def test_long_prices_missing_cost_from_tokens(data_dir: Path) -> None:
    m = import_outcomes(
        data_dir / "long_small.csv",
        "long",
        score_scale=(1, 10),
        prices=data_dir / "long_prices.toml",
    )
    assert m.executors == ("cheap-model", "gpt-4o-mini")
    # (s - 1) / 9: 10 -> 1, 3 -> 2/9, 8 -> 7/9
    assert m.score[1, 0] == pytest.approx(2 / 9)
    assert m.score[1, 1] == pytest.approx(7 / 9)
    # cheap-model from the TOML: 12 x 0.1 + 200 x 0.2 per million tokens
    assert m.cost_usd[1, 0] == pytest.approx((12 * 0.1 + 200 * 0.2) / 1e6, rel=1e-12)
    # gpt-4o-mini from litellm's cost map: the same number litellm computes
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    entry = litellm.model_cost["gpt-4o-mini"]
    expect = 12 * entry["input_cost_per_token"] + 180 * entry["output_cost_per_token"]
    assert m.cost_usd[1, 1] == pytest.approx(expect, rel=1e-12)
    assert list(m.splits) == ["train", "test", "train"]
    assert m.split("test").task_ids.tolist() == ["p2"]


def test_long_jsonl_with_cost_and_latency(data_dir: Path) -> None:
    m = import_outcomes(data_dir / "long_small.jsonl", "long")
    np.testing.assert_allclose(m.cost_usd, [[0.001, 0.0001], [0.002, 0.0002]])
    np.testing.assert_allclose(m.latency_s, [[0.5, 0.2], [0.7, 0.1]])
    assert np.isnan(m.tokens_in).all()


def test_long_columns_map_llmrouterbench_names(data_dir: Path, cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "o.parquet"
    code, _, err = cli(
        "outcomes",
        "import",
        str(data_dir / "long_llmrouterbench.csv"),
        "--format",
        "long",
        "--columns",
        "category=dataset,model=model_name,tokens_in=prompt_tokens,"
        "tokens_out=completion_tokens,cost_usd=cost",
        "--out",
        str(out),
    )
    assert code == 0, err
    m = OutcomeMatrix.read(out)
    assert m.executors == ("m1", "m2")
    np.testing.assert_allclose(m.tokens_out, [[50, 60], [40, 45]])
    np.testing.assert_allclose(m.cost_usd, [[0.01, 0.001], [0.008, 0.0009]])
    assert list(m.category) == ["aime", "aime"]


def test_drop_incomplete_drops_and_says_so(data_dir: Path) -> None:
    m = import_outcomes(data_dir / "bad" / "long_missing_cells.csv", "long", drop_incomplete=True)
    assert m.task_ids.tolist() == ["p1", "p4"]
    assert any("dropped 2 of 4 tasks" in n for n in m.notes)


def test_run_format_reads_a_run_directory(tmp_path: Path) -> None:
    from toolkit.runs import Manifest, ResultRecord, RunWriter

    w = RunWriter.create(tmp_path / "run", Manifest(name="t"))
    for t, (sa, sb) in {"t1": (1.0, 0.0), "t2": (0.5, 1.0)}.items():
        w.add_result(ResultRecord(task_id=t, strategy="single:a", score=sa, cost_usd=0.2))
        w.add_result(ResultRecord(task_id=t, strategy="single:b", score=sb, cost_usd=0.1))
    w.finish()
    m = import_outcomes(tmp_path / "run", "run")
    assert m.executors == ("a", "b")
    np.testing.assert_allclose(m.score, [[1.0, 0.0], [0.5, 1.0]])
    assert any("task text unavailable" in n for n in m.notes)


# ----- malformed input: exit 2, located message, nothing written -----

BAD_CASES = [
    # (file, format, extra args, expected fragments of stderr)
    ("bad/long_no_score.csv", "long", [], ["long_no_score.csv:1: score: missing column"]),
    (
        "bad/long_score_range.csv",
        "long",
        [],
        [
            "long_score_range.csv:3: score: score 11 is outside [0, 1]",
            "long_score_range.csv:4: score: score 12",
        ],
    ),
    (
        "bad/long_score_range.csv",
        "long",
        ["--score-scale", "1,10"],
        ["long_score_range.csv:4: score: score 12 is outside --score-scale 1,10"],
    ),
    (
        "bad/long_duplicate.csv",
        "long",
        ["--duplicates", "error"],
        ["long_duplicate.csv:4: prompt_id: duplicate 'p1' and model 'a'; first at line 2"],
    ),
    (
        "bad/long_missing_cells.csv",
        "long",
        [],
        [
            "long_missing_cells.csv: score: 2 missing cells (a: 1, b: 1)",
            "long_missing_cells.csv: cost_usd: 1 missing cells (b: 1)",
            "2 of 4 tasks have missing cells; pass --drop-incomplete",
        ],
    ),
    (
        "bad/long_unpriced.csv",
        "long",
        [],
        [
            "model: 'no-such-model-x' has no price",
            "model: 'no-such-model-y' has no price",
            "2 unpriced models",
        ],
    ),
    (
        "bad/long_not_number.csv",
        "long",
        [],
        ["long_not_number.csv:2: score: 'high' is not a number"],
    ),
    (
        "long_small.csv",
        "long",
        ["--score-scale", "1,10", "--prices", "bad/long_bad_prices.toml"],
        [
            'long_bad_prices.toml:1: models."cheap-model".input_per_mtok: ',
            "greater than or equal to 0 (prices are USD per million tokens)",
        ],
    ),
    (
        "bad/routerbench_dup_ids.csv",
        "routerbench",
        ["--duplicates", "error"],
        ["routerbench_dup_ids.csv:4: sample_id: duplicate 's1'; first at line 2"],
    ),
    (
        "bad/routerbench_no_cost.csv",
        "routerbench",
        [],
        ["routerbench_no_cost.csv:1: m1|total_cost: missing column for model 'm1'"],
    ),
    (
        "bad/routerbench_missing_cell.csv",
        "routerbench",
        [],
        ["routerbench_missing_cell.csv: m1: 1 missing cells", "m2|total_cost: 1 missing cells"],
    ),
    (
        "bad/routellm_bad_bool.csv",
        "routellm",
        [],
        ["routellm_bad_bool.csv:2: strong: 'maybe' is not True/False"],
    ),
    (
        "bad/routellm_duplicate.csv",
        "routellm",
        ["--duplicates", "error"],
        ["routellm_duplicate.csv:4: prompt: duplicate '"],
    ),
    ("long_small.csv", "nosuch", [], ["--format: unknown format 'nosuch'"]),
    (
        "long_small.csv",
        "long",
        ["--score-scale", "10,1"],
        ["--score-scale: '10,1': MAX must be greater"],
    ),
    (
        "long_small.csv",
        "long",
        ["--score-scale", "a,b"],
        ["--score-scale: 'a,b': MIN and MAX must be numbers"],
    ),
    ("long_small.csv", "long", ["--score-scale", "5"], ["--score-scale: '5': expected MIN,MAX"]),
    (
        "long_small.csv",
        "long",
        ["--columns", "score"],
        ["--columns: 'score': expected NAME=COLUMN"],
    ),
    (
        "long_small.csv",
        "long",
        ["--columns", "bogus=x"],
        ["--columns: bogus: unknown field for --format long"],
    ),
    (
        "long_small.csv",
        "long",
        ["--columns", "score=nope"],
        ["--columns: score=nope: ", "has no column 'nope'"],
    ),
    (
        "routellm_small.csv",
        "routellm",
        ["--score-scale", "0,1"],
        ["--score-scale: routellm: does not apply"],
    ),
    (
        "routerbench_small.csv",
        "routerbench",
        ["--prices", "long_prices.toml"],
        ["--prices: routerbench: does not apply"],
    ),
    ("missing.csv", "long", [], ["missing.csv: file: not found"]),
]


@pytest.mark.parametrize(
    ("name", "fmt", "extra", "expect"),
    BAD_CASES,
    ids=[f"{c[0]}-{' '.join(c[2])}" for c in BAD_CASES],
)
def test_bad_input_exits_2_located_and_writes_nothing(
    name: str,
    fmt: str,
    extra: list[str],
    expect: list[str],
    data_dir: Path,
    tmp_path: Path,
    cli: Cli,
) -> None:
    args = [a if not a.endswith(".toml") else str(data_dir / a) for a in extra]
    out = tmp_path / "out" / "m.parquet"
    code, stdout, err = cli(
        "outcomes", "import", str(data_dir / name), "--format", fmt, *args, "--out", str(out)
    )
    assert code == 2, (stdout, err)
    for fragment in expect:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert "Traceback" not in err
    assert not out.exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_missing_cells_api_error_counts_per_column(data_dir: Path) -> None:
    with pytest.raises(InputError) as info:
        import_outcomes(data_dir / "bad" / "long_missing_cells.csv", "long")
    problems = info.value.problems
    assert any("rows: 1 task x model pairs have no row at all" in p for p in problems)
    assert math.isfinite(len(problems)) and len(problems) == 4
