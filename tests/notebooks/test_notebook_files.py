"""The committed notebooks themselves: each is paired with its jupytext ``py:percent`` file and
in sync with it, opens with its question, has a marked parameter cell, stores the outputs its
checked cells are compared against, and leaks no path of the machine it ran on and no key.

(They are executed by nbval in ``make test``: ``pytest --nbval-lax notebooks/``.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = (
    "01_compare_strategies",
    "02_tune_thresholds",
    "03_cost_report",
    "04_orchestrator",
    "05_public_outcomes",
)
#: What must never appear in a stored output: absolute paths of a machine, or keys.
LEAKS = re.compile(
    r"(/work/|/tmp/|/root/|/home/|/Users/|[A-Z]:\\\\(?:Users|Windows)|site-packages|"
    r"sk-[A-Za-z0-9_-]{16,}|sk-ant-|AKIA[0-9A-Z]{16})"
)


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    return data


def _source(cell: dict[str, Any]) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else str(src)


def test_every_notebook_is_paired() -> None:
    for name in NAMES:
        assert (NOTEBOOKS / f"{name}.py").is_file(), f"{name}.py is missing"
        assert (NOTEBOOKS / f"{name}.ipynb").is_file(), f"{name}.ipynb is missing"
        formats = _load(name)["metadata"].get("jupytext", {}).get("formats", "")
        assert "py:percent" in formats and "ipynb" in formats, (name, formats)
    found = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    assert found == set(NAMES), f"unexpected notebooks: {sorted(found - set(NAMES))}"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_matches_its_py_file(name: str) -> None:
    jupytext = pytest.importorskip("jupytext")
    from_py = jupytext.read(NOTEBOOKS / f"{name}.py")
    stored = _load(name)
    py_cells = [(c.cell_type, c.source.strip()) for c in from_py.cells]
    nb_cells = [(c["cell_type"], _source(c).strip()) for c in stored["cells"]]
    assert py_cells == nb_cells, f"{name}: run `jupytext --sync notebooks/{name}.py`"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_opens_with_its_question_and_parameters(name: str) -> None:
    cells = _load(name)["cells"]
    first = cells[0]
    assert first["cell_type"] == "markdown"
    assert "**The question:**" in _source(first)
    params = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, f"{name}: one cell tagged 'parameters'"
    src = _source(params[0])
    assert re.search(r"^live = False\b", src, re.M), f"{name}: `live = False` in the parameters"
    assert "/work/" not in src and not re.search(r"""["']/""", src), "paths must be relative"


@pytest.mark.parametrize("name", NAMES)
def test_checked_cells_store_their_output(name: str) -> None:
    checked = [c for c in _load(name)["cells"] if "NBVAL_CHECK_OUTPUT" in _source(c)]
    assert checked, f"{name}: no cell is checked by nbval"
    for c in checked:
        # nbval compares only cells that were run when the notebook was saved.
        assert c.get("execution_count") is not None, f"{name}: unrun checked cell"
        assert c.get("outputs"), f"{name}: checked cell without a stored output"
        assert not any(o.get("output_type") == "error" for o in c["outputs"])


@pytest.mark.parametrize("name", NAMES)
def test_stored_outputs_leak_no_paths_or_keys(name: str) -> None:
    for c in _load(name)["cells"]:
        for out in c.get("outputs", []):
            assert out.get("output_type") != "error", f"{name}: a stored error output"
            text = json.dumps(
                {k: v for k, v in out.get("data", {}).items() if not k.startswith("image/")}
            ) + json.dumps(out.get("text", ""))
            hit = LEAKS.search(text)
            assert hit is None, f"{name}: stored output contains {hit.group(0)!r}"
