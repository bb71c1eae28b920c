"""docs/extending.md is run as written: its files are written, its shell blocks are run.

Blocks after ``<!-- file: NAME -->`` are that file's text (several blocks for one name are put
together); blocks after ``<!-- run -->`` are run with bash in the same folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from doc_blocks import doc_blocks, run_script

DOC = Path(__file__).resolve().parents[1] / "docs" / "extending.md"


def _blocks() -> tuple[dict[str, str], list[str]]:
    return doc_blocks(DOC)


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The doc's folder after every shell block ran, and each block's output."""
    root = tmp_path_factory.mktemp("extending")
    files, runs = _blocks()
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    outputs = [run_script(script, root).stdout for script in runs]
    return root, outputs


def test_the_doc_has_one_of_each_kind_and_runs_it() -> None:
    files, runs = _blocks()
    code = files["my_plugins.py"]
    for decorator in ("grader", "executor", "signal", "strategy", "importer"):
        assert f"@toolkit.{decorator}(" in code
    assert len(runs) == 2 and {"tasks.jsonl", "spec.toml", "outcomes.csv"} <= set(files)


def test_the_plugin_names_are_listed(walked: tuple[Path, list[str]]) -> None:
    _, outputs = walked
    for name in ("yes_no", "keyword_bot", "prompt_length", "by_category", "wide_csv"):
        assert name in outputs[0] and "(module:my_plugins)" in outputs[0]


def test_the_run_graded_every_task_with_the_plugin_grader(walked: tuple[Path, list[str]]) -> None:
    root, _ = walked
    rows = [
        json.loads(x) for x in (root / "runs/my-plugins/results.jsonl").read_text().splitlines()
    ]
    assert {r["task_id"]: r["score"] for r in rows} == {"q1": 1.0, "q2": 1.0, "q3": 1.0}


def test_the_evaluation_shows_what_the_doc_says(walked: tuple[Path, list[str]]) -> None:
    root, outputs = walked
    assert "outcomes.parquet: 16 tasks" in outputs[1]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit",
            "evaluate",
            "outcomes.parquet",
            "--test-fraction",
            "0.5",
            "--strategy",
            "single",
            "--strategy",
            "by_category",
            "--strategy",
            "score_router:prompt_length",
            "--bootstrap",
            "100",
            "--json",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(root), "TOOLKIT_PLUGINS": "my_plugins"},
    )
    assert out.returncode == 0, out.stderr
    rows = {s["name"]: s for s in json.loads(out.stdout)["strategies"]}
    big, by_cat = rows["single:big"], rows["by_category"]
    assert by_cat["quality"] == big["quality"] == 1.0
    assert by_cat["cost_per_task"] < big["cost_per_task"] / 1.5
    routers = [s for s in rows.values() if s["name"].startswith("score_router:prompt_length")]
    assert any(s["quality"] == 1.0 and s["cost_per_task"] < big["cost_per_task"] for s in routers)


def test_a_spec_can_name_the_plugin_file_itself(walked: tuple[Path, list[str]]) -> None:
    root, _ = walked
    spec = root / "spec-with-plugins.toml"
    text = (root / "spec.toml").read_text()
    spec.write_text(
        text.replace('name = "my-plugins"\n', 'name = "my-plugins"\nplugins = ["my_plugins.py"]\n')
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TOOLKIT_PLUGINS", "PYTHONPATH")}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit",
            "run",
            str(spec),
            "--out",
            str(root / "runs/again"),
            "--no-progress",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    calls = [json.loads(x) for x in (root / "runs/again/calls.jsonl").read_text().splitlines()]
    # the same spec's cache: every call is a hit that costs nothing
    assert calls and all(c["cached"] and c["billed_usd"] == 0 for c in calls)
