"""An unpriced model chosen by a per-task override is reported where the override is written:
the task file's line, or the spec's ``[[overrides]]`` line; nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.cli import main

SPEC = """name = "unpriced"

[tasks]
paths = ["tasks.jsonl"]
{overrides}
[[executors]]
name = "small"
kind = "litellm"
model = "gpt-4o-mini"
api_base = "http://127.0.0.1:9/v1"

[[strategies]]
kind = "single"
executor = "small"
"""


@pytest.mark.parametrize("where", ["task", "spec"])
def test_the_override_that_chose_an_unpriced_model_is_located(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meta = ', "metadata": {"model": "openai/no-such-priced-model"}' if where == "task" else ""
    (tmp_path / "tasks.jsonl").write_text(
        '{"id": "t1", "input": "2 + 2?", "target": "4", "category": "math"}\n'
        f'{{"id": "t2", "input": "3 + 3?", "target": "6", "category": "math"{meta}}}\n'
    )
    overrides = (
        '\n[[overrides]]\ncategories = ["math"]\nmodel = "openai/no-such-priced-model"\n'
        if where == "spec"
        else ""
    )
    (tmp_path / "spec.toml").write_text(SPEC.format(overrides=overrides))
    code = main(["run", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    first = err.splitlines()[0]
    if where == "task":
        assert first.startswith(f"{tmp_path / 'tasks.jsonl'}:2: metadata.model: ")
    else:
        assert first.startswith(f"{tmp_path / 'spec.toml'}:8: overrides.0.model: ")
    assert "'openai/no-such-priced-model' has no known price" in first
    assert not (tmp_path / "run").exists()
