"""Notebook 05's real public examples ship in data/ (a fresh clone has no ../shared): each
imports with the parameters the notebook's parameter cell gives for it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from toolkit.outcomes import import_outcomes

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "05_public_outcomes.py"


def _examples() -> list[dict[str, object]]:
    """The commented parameter lines of notebook 05, as assignments (one example each)."""
    text = NOTEBOOK.read_text(encoding="utf-8")
    cell = text.split('# %% tags=["parameters"]', 1)[1].split("# %%", 1)[0]
    lines = [ln[1:].strip() for ln in cell.splitlines() if re.match(r"#\s+\w[\w, ]* = ", ln)]
    examples: list[dict[str, object]] = []
    for line in lines:
        scope: dict[str, object] = {}
        exec(line, {}, scope)  # the notebook's own assignment lines
        if "outcomes" in scope:
            examples.append(scope)
        else:
            examples[-1].update(scope)
    return examples


@pytest.mark.parametrize("example", _examples(), ids=lambda e: Path(str(e["outcomes"])).name)
def test_each_public_example_imports(example: dict[str, object]) -> None:
    path = ROOT / str(example["outcomes"])
    assert path.is_file() and "data/outcomes/public/" in str(example["outcomes"])
    prices = example.get("prices")
    matrix = import_outcomes(
        path,
        str(example["fmt"]),
        score_scale=example.get("score_scale"),  # type: ignore[arg-type]
        prices=None if prices is None else ROOT / str(prices),
        drop_incomplete=bool(example.get("drop_incomplete", False)),
    )
    assert matrix.n_tasks >= 50 and matrix.n_executors >= 2
    assert matrix.has_text
