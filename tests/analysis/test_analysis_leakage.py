"""Train/test leakage (issue 14, item 2): shared task ids or identical prompts between the
sides stop `evaluate` and `tune` with exit 2, unless allowed or deduplicated."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from analysis_support import synthetic_matrix

from toolkit.analysis import find_overlap, split_outcomes
from toolkit.cli import main
from toolkit.outcomes import OutcomeMatrix


@pytest.fixture
def sides(tmp_path: Path) -> tuple[Path, Path, OutcomeMatrix, OutcomeMatrix]:
    """SYNTHETIC: test shares 5 ids with train (same tasks) and 2 prompts under new ids."""
    m = synthetic_matrix(160, seed=7)
    train, test = m.subset(np.arange(100)), m.subset(np.arange(95, 160))
    text = test.text.copy()
    text[-2:] = train.text[:2]
    test = dataclasses.replace(test, text=text)
    a, b = tmp_path / "train.parquet", tmp_path / "test.parquet"
    train.to_parquet(a)
    test.to_parquet(b)
    return a, b, train, test


def test_find_overlap_counts_ids_and_prompts(
    sides: tuple[Path, Path, OutcomeMatrix, OutcomeMatrix],
) -> None:
    _, _, train, test = sides
    found = find_overlap(train, test)
    assert found.ids == tuple(f"syn{i}" for i in range(95, 100))
    # the 5 shared tasks share their prompts too, and 2 more prompts come under new ids
    assert len(found.prompts) == 7 and int(found.test_rows.sum()) == 7
    assert found.to_json() == {"ids": 5, "prompts": 7}


@pytest.mark.parametrize("command", ["evaluate", "tune"])
def test_overlap_exits_2_naming_it(
    command: str,
    sides: tuple[Path, Path, OutcomeMatrix, OutcomeMatrix],
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b, _, _ = sides
    extra = ["--strategy", "random", "--strong-share", "0.5"] if command == "tune" else []
    assert main([command, "--train", str(a), "--test", str(b), *extra, "--json"]) == 2
    err = capsys.readouterr().err
    assert "overlap" in err and "5 shared task id(s) (first: 'syn95', 'syn96', 'syn97')" in err
    assert "7 identical prompt(s)" in err
    assert "--allow-overlap" in err and "--dedupe-across-splits" in err


def test_same_file_as_train_and_test_is_refused(
    sides: tuple[Path, Path, OutcomeMatrix, OutcomeMatrix], capsys: pytest.CaptureFixture[str]
) -> None:
    a, _, _, _ = sides
    assert main(["evaluate", "--train", str(a), "--test", str(a), "--json"]) == 2
    assert "100 shared task id(s)" in capsys.readouterr().err


def test_allow_overlap_reports_it_in_the_json(
    sides: tuple[Path, Path, OutcomeMatrix, OutcomeMatrix], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, _, test = sides
    args = ["evaluate", "--train", str(a), "--test", str(b), "--strategy", "single"]
    assert main([*args, "--allow-overlap", "--bootstrap", "20", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["overlap"] == {"ids": 5, "prompts": 7} and r["n_test"] == test.n_tasks
    assert any("--allow-overlap" in n for n in r["notes"])


def test_dedupe_drops_the_shared_tasks_from_test(
    sides: tuple[Path, Path, OutcomeMatrix, OutcomeMatrix], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, _, test = sides
    args = ["evaluate", "--train", str(a), "--test", str(b), "--strategy", "single"]
    assert main([*args, "--dedupe-across-splits", "--bootstrap", "20", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["n_test"] == test.n_tasks - 7 and r["overlap"] == {"ids": 5, "prompts": 7}
    assert any("dropped 7 test task(s)" in n for n in r["notes"])
    tune = ["tune", "--train", str(a), "--test", str(b), "--strategy", "random"]
    assert main([*tune, "--strong-share", "0.5", "--dedupe-across-splits", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_test"] == test.n_tasks - 7


def _one_prompt_on_both_sides(tmp_path: Path) -> Path:
    """SYNTHETIC outcomes with a split column whose test task 0 has train task 1's prompt."""
    m = synthetic_matrix(90, seed=8, split=True)
    text = m.text.copy()
    text[0] = text[1] = "the same prompt on both sides"  # task 0 is test, task 1 train
    path = tmp_path / "m.parquet"
    dataclasses.replace(m, text=text).to_parquet(path)
    return path


def test_split_column_overlap_is_checked_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _one_prompt_on_both_sides(tmp_path)
    assert main(["evaluate", str(path), "--json"]) == 2
    assert "1 identical prompt(s)" in capsys.readouterr().err


def test_random_split_keeps_identical_prompts_on_one_side() -> None:
    m = synthetic_matrix(200, seed=9)
    text = m.text.copy()
    for g in range(20):  # 20 prompts, each 4 times
        text[g * 4 : g * 4 + 4] = f"repeated prompt {g}"
    m = dataclasses.replace(m, text=text)
    for seed in range(5):
        train, test, how = split_outcomes(m, test_fraction=0.3, seed=seed)
        assert not find_overlap(train, test)
        assert train.n_tasks + test.n_tasks == m.n_tasks
        assert 0.2 * m.n_tasks < test.n_tasks < 0.4 * m.n_tasks
    # without repeated prompts the split is the plain seeded permutation, as before
    plain = synthetic_matrix(200, seed=9)
    _, test, how = split_outcomes(plain, test_fraction=0.3, seed=0)
    perm = np.random.default_rng(0).permutation(200)
    assert set(test.task_ids) == {f"syn{i}" for i in perm[:60]} and "kept" not in how


def test_report_applies_the_overlap_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _one_prompt_on_both_sides(tmp_path)
    report = ["report", str(path), "--out"]
    assert main([*report, str(tmp_path / "r0")]) == 2
    err = capsys.readouterr().err
    assert "1 identical prompt(s)" in err and "--dedupe-across-splits" in err
    assert not (tmp_path / "r0").exists()
    assert main([*report, str(tmp_path / "r1"), "--dedupe-across-splits"]) == 0
    assert "dropped 1 test task(s)" in (tmp_path / "r1" / "report.md").read_text("utf-8")
    assert main([*report, str(tmp_path / "r2"), "--allow-overlap"]) == 0
    assert "--allow-overlap: train and test overlap" in (tmp_path / "r2" / "report.md").read_text(
        "utf-8"
    )


def test_tune_takes_one_file_and_a_test_fraction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m = synthetic_matrix(120, seed=4)  # no split column: a seeded random split
    path = tmp_path / "m.parquet"
    m.to_parquet(path)
    train, test, _ = split_outcomes(m, test_fraction=0.4, seed=3)
    a, b = tmp_path / "train.parquet", tmp_path / "test.parquet"
    train.to_parquet(a)
    test.to_parquet(b)
    common = ["--strategy", "random", "--strong-share", "0.5", "--seed", "3", "--json"]
    assert main(["tune", str(path), "--test-fraction", "0.4", *common]) == 0
    from_file = json.loads(capsys.readouterr().out)
    assert main(["tune", "--train", str(a), "--test", str(b), *common]) == 0
    from_sides = json.loads(capsys.readouterr().out)
    assert from_file["n_test"] == test.n_tasks and from_file == from_sides
    assert main(["tune", str(path), "--train", str(a), *common]) == 2
    assert "give FILE, or --train and --test, not both" in capsys.readouterr().err
