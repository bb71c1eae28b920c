"""The tune -> --write-spec -> `toolkit run --dry-run` handoff runs with no edit: from the
recorded lab run (its spec, paths rebased) and from an imported outcome file (fit_outcomes)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from toolkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "data" / "runs" / "lab"


def test_the_tuned_lab_spec_runs_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "elsewhere" / "tuned.toml"
    args = ["tune", "--train", str(LAB), "--test", str(LAB), "--strategy", "score_router:knn"]
    args += ["--pair", "gemma,specialist", "--strong-share", "0.5", "--write-spec", str(spec)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "no threshold sends exactly 50.0%" in out  # the share it really gives is said
    assert f"toolkit run {spec} --dry-run" in out
    data = tomllib.loads(spec.read_text(encoding="utf-8"))
    tuned = data["strategies"][-1]
    assert tuned["kind"] == "score_router" and tuned["executors"] == ["specialist", "gemma"]
    assert len(repr(tuned["threshold"])) <= 6  # a short number, not a predicted score's bits
    assert (spec.parent / tuned["fit_run"]).resolve() == LAB.resolve()
    assert (spec.parent / data["tasks"]["paths"][0]).resolve() == ROOT / "data" / "tasks" / "lab"
    assert main(["run", str(spec), "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "430 tasks x 11 strategies" in plan


def test_a_strategy_tuned_on_an_outcome_file_fits_from_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parquet = tmp_path / "lab.parquet"
    assert main(["outcomes", "import", str(LAB), "--format", "run", "--out", str(parquet)]) == 0
    snippet = tmp_path / "snippet.toml"
    args = ["tune", "--train", str(parquet), "--test", str(parquet), "--allow-overlap"]
    args += ["--strategy", "cascade:tfidf_logreg", "--pair", "gemma,specialist"]
    args += ["--strong-share", "0.6", "--write-spec", str(snippet)]
    assert main(args) == 0, capsys.readouterr().err
    (table,) = tomllib.loads(snippet.read_text(encoding="utf-8"))["strategies"]
    assert table["fit_outcomes"] == "lab.parquet" and table["fit_split"] == "train"
    # the table pasted into a copy of the lab spec: the cascade fits from the parquet
    lab_spec = (ROOT / "benchmarks" / "lab.toml").read_text(encoding="utf-8")
    lab_spec = lab_spec.replace('"../build/lab/', f'"{ROOT}/build/lab/')
    lab_spec = lab_spec.replace('"../data/tasks/lab"', f'"{ROOT}/data/tasks/lab"')
    spec = tmp_path / "lab_tuned.toml"
    pasted = snippet.read_text(encoding="utf-8").split("\n\n", 1)[1]
    head, tasks = lab_spec.rsplit("\n[tasks]\n", 1)
    spec.write_text(f"{head}\n{pasted}\n[tasks]\n{tasks}", encoding="utf-8")
    capsys.readouterr()
    assert main(["run", str(spec), "--dry-run"]) == 0, capsys.readouterr().err
    assert "430 tasks x 11 strategies" in capsys.readouterr().out


def test_every_path_of_a_spec_moves_once(tmp_path: Path) -> None:
    """rebase_spec moves each relative path from the spec's folder to the new one, once."""
    from toolkit.analysis._spec_out import rebase_spec

    src, dst = tmp_path / "specs", tmp_path / "out" / "deeper"
    data = {
        "tasks": {"paths": ["tasks/a.jsonl", "/abs/b.jsonl"]},
        "cache": {"path": "cache.sqlite"},
        "executors": [{"name": "s", "model_path": "m.joblib"}],
        "strategies": [
            {"kind": "score_router", "fit_run": "runs/x", "fit_tasks": ["t.jsonl"]},
            {"kind": "random", "shares_from": {"run": "runs/y"}},
        ],
        "plugins": ["my_module", "plug.py"],
    }
    out = rebase_spec(data, src, dst)
    assert out["tasks"]["paths"] == ["../../specs/tasks/a.jsonl", "/abs/b.jsonl"]
    assert out["cache"]["path"] == "../../specs/cache.sqlite"
    assert out["executors"][0]["model_path"] == "../../specs/m.joblib"
    assert out["strategies"][0]["fit_run"] == "../../specs/runs/x"
    assert out["strategies"][0]["fit_tasks"] == ["../../specs/t.jsonl"]
    assert out["strategies"][1]["shares_from"]["run"] == "../../specs/runs/y"
    assert out["plugins"] == ["my_module", "../../specs/plug.py"]
