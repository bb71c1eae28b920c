"""Declines travel from a run's rows into the outcome matrix, survive parquet, and keep an
executor that often declines from being the default baseline. The run is synthetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toolkit._types import Call, Trace
from toolkit.analysis import choose_baseline
from toolkit.outcomes import OutcomeMatrix
from toolkit.runs import Manifest, ResultRecord, RunWriter


def _run(root: Path, n: int = 20) -> Path:
    """``picky`` declines every other task but is right when it answers (mean score 0.5);
    ``steady`` always answers and is right on 40% of tasks (0.4)."""
    writer = RunWriter.create(root, Manifest(name="synthetic-declines"))
    for i in range(n):
        for name, declines, score in (
            ("picky", i % 2 == 1, 1.0 if i % 2 == 0 else 0.0),
            ("steady", False, 1.0 if i % 5 < 2 else 0.0),
        ):
            call = Call(name, "m", "" if declines else "x", declined=declines, cost_usd=0.01)
            trace = Trace(
                answer=call.text,
                calls=(call,),
                route=(name,),
                error=f"declined by {name}" if declines else None,
            )
            writer.add_result(
                ResultRecord.from_trace(
                    trace,
                    task_id=f"t{i}",
                    strategy=f"single:{name}",
                    strategy_kind="single",
                    executor=name,
                    score=score,
                )
            )
    writer.finish()
    return root


def test_declines_reach_the_matrix_and_parquet(tmp_path: Path) -> None:
    matrix = OutcomeMatrix.from_run(_run(tmp_path / "run"))
    assert matrix.declined is not None
    j = matrix.index("picky")
    assert (
        matrix.declined[:, j].sum() == 10 and not matrix.declined[:, matrix.index("steady")].any()
    )
    back = OutcomeMatrix.read(matrix.to_parquet(tmp_path / "m.parquet"))
    assert back.declined is not None and np.array_equal(back.declined, matrix.declined)
    assert np.array_equal(matrix.subset([0, 1]).declined, matrix.declined[:2])
    imported = OutcomeMatrix.build(task_ids=["a"], executors=["x"], score=[[1.0]])
    assert imported.declined is None  # imported sets record no declines
    assert OutcomeMatrix.read(imported.to_parquet(tmp_path / "i.parquet")).declined is None


def test_an_executor_that_often_declines_is_not_the_default_baseline(tmp_path: Path) -> None:
    matrix = OutcomeMatrix.from_run(_run(tmp_path / "run"))
    cost = np.nan_to_num(matrix.cost_usd).mean(axis=0)
    chosen = choose_baseline(matrix, cost)
    # picky has the better mean score (0.5 vs 0.4) but answers only half the train tasks
    assert (
        matrix.score.mean(axis=0)[matrix.index("picky")]
        > matrix.score.mean(axis=0)[matrix.index("steady")]
    )
    assert matrix.executors[chosen.index] == "steady"
    assert any("picky" in note for note in chosen.notes)
