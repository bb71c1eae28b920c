"""Helpers for the lab tests (imported as ``lab_helpers``): where the lab's spec and recorded run
are, and small real specs built from the lab spec."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
LAB_SPEC = REPO / "benchmarks" / "lab.toml"
CLOUD_SPEC = REPO / "benchmarks" / "cloud.toml"
LAB_RUN = REPO / "data" / "runs" / "lab"
LAB_TASKS = REPO / "data" / "tasks" / "lab"


def lab_spec_data() -> dict[str, Any]:
    """The lab spec's TOML, parsed."""
    with LAB_SPEC.open("rb") as f:
        return tomllib.load(f)


def answering_executors() -> list[str]:
    """The executors the lab runs alone (its ``single`` strategies): the matrix columns."""
    return [s["executor"] for s in lab_spec_data()["strategies"] if s["kind"] == "single"]


def small_lab_spec(folder: Path, ids: list[str], **replace: str) -> Path:
    """A copy of the lab spec in ``folder`` that runs only ``ids``, with its cache and the
    specialists inside ``folder`` (the executors, profiles and strategies are the lab's own)."""
    text = LAB_SPEC.read_text(encoding="utf-8")
    head, sep, _tasks = text.rpartition("[tasks]\n")
    assert sep, "the lab spec's [tasks] table is expected at its end"
    text = head + (f"[tasks]\npaths = [{json.dumps(str(LAB_TASKS))}]\nids = {json.dumps(ids)}\n")
    text = text.replace('"../build/lab/', f'"{folder}/build/')
    for old, new in replace.items():
        text = text.replace(old, new)
    spec = folder / "lab.toml"
    spec.write_text(text, encoding="utf-8")
    return spec
