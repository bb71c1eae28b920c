"""A dry run before the lab's specialists are fitted: it plans them (free) and says which
command fits them; a real run refuses, naming that command; `toolkit fit-specialist` fits
them, after which the dry run has nothing to warn about."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from toolkit.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lab_copy(tmp_path: Path) -> Path:
    """The lab spec and its tasks in a fresh folder, with no build/ (no specialists)."""
    (tmp_path / "benchmarks").mkdir()
    shutil.copy(ROOT / "benchmarks" / "lab.toml", tmp_path / "benchmarks" / "lab.toml")
    shutil.copytree(ROOT / "data" / "tasks" / "lab", tmp_path / "data" / "tasks" / "lab")
    return tmp_path / "benchmarks" / "lab.toml"


def test_dry_run_plans_missing_specialists_and_names_the_fit_command(
    lab_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(lab_copy), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "430 tasks x 10 strategies" in out
    assert out.count("warning:") == 2
    assert f"fit it with `toolkit fit-specialist --spec {lab_copy}`" in out
    assert not (lab_copy.parent.parent / "build").exists()  # a dry run writes nothing


def test_a_real_run_refuses_and_names_the_command(
    lab_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(lab_copy), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "specialist-labels.joblib" in err and "toolkit fit-specialist --spec" in err
    assert not (tmp_path / "run").exists()


def test_fit_specialist_fits_what_the_spec_names(
    lab_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fit-specialist", "--spec", str(lab_copy)]) == 0
    out = capsys.readouterr().out
    build = lab_copy.parent.parent / "build" / "lab"
    assert out.count("wrote ") == 2
    assert (build / "specialist-labels.joblib").is_file()
    assert (build / "specialist-kind.joblib").is_file()
    assert main(["fit-specialist", "--spec", str(lab_copy)]) == 0
    assert "every specialist" in capsys.readouterr().out
    assert main(["run", str(lab_copy), "--dry-run"]) == 0
    assert "warning:" not in capsys.readouterr().out


def test_fit_specialist_from_task_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sentiment.joblib"
    code = main(
        [
            "fit-specialist",
            str(ROOT / "data" / "tasks" / "lab"),
            "--categories",
            "sentiment",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    from toolkit.models import ExecutorConfig
    from toolkit.models._specialist import SpecialistExecutor

    ex = SpecialistExecutor(
        ExecutorConfig(name="s", kind="specialist", model_path=str(out), categories=["sentiment"])
    )
    assert set(ex.predict(["I loved it, wonderful", "awful, broke at once"])) <= {
        "positive",
        "negative",
    }


def test_fit_specialist_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["fit-specialist"])
    assert exc.value.code == 2
    assert "toolkit fit-specialist" in capsys.readouterr().err
