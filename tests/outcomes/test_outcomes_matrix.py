"""OutcomeMatrix: construction checks, subsets, parquet round trip, runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from toolkit._errors import InputError
from toolkit.outcomes import OutcomeMatrix, load_outcomes
from toolkit.runs import Manifest, ResultRecord, RunWriter


def small() -> OutcomeMatrix:
    """A 3-task, 2-executor matrix (synthetic values)."""
    return OutcomeMatrix.build(
        task_ids=["a", "b", "c"],
        executors=["x", "y"],
        score=[[1, 0], [0.5, 1], [0, 0]],
        text=["t a", "t b", ""],
        category=["k1", "k2", "k1"],
        split=["train", "test", None],
        cost_usd=[[0.1, 0.01], [0.2, 0.02], [0.3, 0.03]],
        tokens_in=[[1, 2], [3, 4], [5, 6]],
        notes=["synthetic"],
    )


def test_build_checks_shapes_and_score_range() -> None:
    with pytest.raises(ValueError, match=r"scores must be in \[0, 1\]"):
        OutcomeMatrix.build(task_ids=["a"], executors=["x"], score=[[1.5]])
    with pytest.raises(ValueError, match="executors has duplicates"):
        OutcomeMatrix.build(task_ids=["a"], executors=["x", "x"], score=[[1, 1]])


def test_subset_split_and_select() -> None:
    m = small()
    assert m.split("test").task_ids.tolist() == ["b"]
    assert m.split_names() == ["test", "train"]
    sub = m.subset(np.array([True, False, True]))
    assert sub.task_ids.tolist() == ["a", "c"]
    np.testing.assert_allclose(sub.cost_usd[:, 1], [0.01, 0.03])
    sel = m.select_executors(["y", "x"])
    np.testing.assert_allclose(sel.score[1], [1, 0.5])
    assert m.has_cost and m.has_text
    with pytest.raises(InputError, match="executor 'z' is not in the outcomes"):
        m.index("z")


def test_parquet_round_trip_is_exact_and_atomic(tmp_path: Path) -> None:
    m = small()
    out = m.to_parquet(tmp_path / "sub" / "m.parquet")
    assert sorted(p.name for p in out.parent.iterdir()) == ["m.parquet"]  # no temp file left
    r = OutcomeMatrix.read(out)
    assert r.executors == m.executors
    for name in ("task_ids", "text", "category", "splits"):
        assert getattr(r, name).tolist() == getattr(m, name).tolist()
    for name in ("score", "cost_usd", "latency_s", "tokens_in", "tokens_out"):
        np.testing.assert_array_equal(getattr(r, name), getattr(m, name))
    assert r.notes == ("synthetic",)
    # The long layout is an ordinary table for pandas users.
    frame = m.to_frame()
    assert len(frame) == 6 and list(frame.columns[:5]) == [
        "task_id",
        "text",
        "category",
        "split",
        "executor",
    ]


def test_read_refuses_a_foreign_parquet(tmp_path: Path) -> None:
    import pandas as pd

    p = tmp_path / "x.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(p)
    with pytest.raises(InputError, match="not a toolkit outcome file"):
        OutcomeMatrix.read(p)
    with pytest.raises(InputError, match="file not found"):
        OutcomeMatrix.read(tmp_path / "nope.parquet")


def _run(tmp: Path, spec: dict[str, object]) -> Path:
    root = tmp / "run"
    w = RunWriter.create(root, Manifest(name="t", spec=spec))
    rows = {"t1": ("math", "train", 1.0, 0.0), "t2": ("code", "test", 0.0, 1.0)}
    for tid, (cat, split, sa, sb) in rows.items():
        w.add_result(
            ResultRecord(
                task_id=tid,
                strategy="single:a",
                category=cat,
                split=split,
                score=sa,
                cost_usd=0.5,
                latency_s=2.0,
            )
        )
        w.add_result(
            ResultRecord(
                task_id=tid,
                strategy="single:b",
                category=cat,
                split=split,
                score=sb,
                cost_usd=0.1,
                latency_s=1.0,
            )
        )
        w.add_result(
            ResultRecord(
                task_id=tid, strategy="rules", category=cat, split=split, score=sa, cost_usd=0.5
            )
        )
    w.finish()
    return root


def test_from_run_takes_single_rows_and_reads_text_from_spec(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(
        "\n".join(json.dumps({"id": i, "input": f"text of {i}"}) for i in ("t1", "t2")) + "\n",
        encoding="utf-8",
    )
    root = _run(tmp_path, {"tasks": {"paths": [str(tasks)]}})
    m = OutcomeMatrix.from_run(root)
    assert m.executors == ("a", "b")  # the `rules` rows are not executor columns
    assert m.text.tolist() == ["text of t1", "text of t2"]
    assert m.category.tolist() == ["math", "code"] and m.splits.tolist() == ["train", "test"]
    np.testing.assert_allclose(m.latency_s, [[2.0, 1.0], [2.0, 1.0]])
    assert m.notes == ()
    # Given texts win; missing ones are reported in the notes, not hidden.
    m2 = load_outcomes(root, tasks=None)
    assert m2.text.tolist() == m.text.tolist()
    m3 = OutcomeMatrix.from_run(root, tasks={"t1": "given"})
    assert m3.text.tolist() == ["given", ""] and "1 tasks have no text" in m3.notes[0]


def test_from_run_missing_cells_and_no_singles(tmp_path: Path) -> None:
    root = tmp_path / "run"
    w = RunWriter.create(root, Manifest(name="t"))
    w.add_result(ResultRecord(task_id="t1", strategy="single:a", score=1.0))
    w.add_result(ResultRecord(task_id="t1", strategy="single:b", score=0.0))
    w.add_result(ResultRecord(task_id="t2", strategy="single:a", score=None, error="timeout"))
    w.add_result(ResultRecord(task_id="t2", strategy="single:b", score=1.0))
    w.finish()
    with pytest.raises(InputError) as info:
        OutcomeMatrix.from_run(root)
    assert any("single:a: 1 missing cells" in p for p in info.value.problems)
    m = OutcomeMatrix.from_run(root, drop_incomplete=True)
    assert m.task_ids.tolist() == ["t1"]

    other = tmp_path / "run2"
    w = RunWriter.create(other, Manifest(name="t"))
    w.add_result(ResultRecord(task_id="t1", strategy="rules", score=1.0))
    w.finish()
    with pytest.raises(InputError, match="no single:<executor> rows"):
        OutcomeMatrix.from_run(other)
