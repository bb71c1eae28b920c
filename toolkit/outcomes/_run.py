"""The outcome matrix of a run directory: the result rows of its single-executor strategies
(``single`` of any name; their rows say which executor answered alone)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from toolkit._errors import InputError, located
from toolkit.runs import RESULTS, read_manifest, read_results, sole_executor

if TYPE_CHECKING:
    from toolkit.tasks import Task


def run_cells(
    root: Path,
    *,
    tasks: Sequence[Task] | Mapping[str, str] | None = None,
    drop_incomplete: bool = False,
) -> dict[str, Any]:
    """The fields of a run's outcome matrix, from its single-executor rows: what
    ``OutcomeMatrix.from_run`` builds the matrix from (this module sits below the class)."""
    manifest = read_manifest(root)
    results = read_results(root)
    singles = [(r, e) for r in results if (e := sole_executor(r)) is not None]
    if not singles:
        strategies = sorted({r.strategy for r in results})
        raise InputError(
            located(
                root / RESULTS,
                None,
                "strategy",
                "no single:<executor> rows, so no executor's outcome on every task is recorded "
                f"(strategies here: {', '.join(strategies) or 'none'}); run the `single` strategy "
                "for every executor",
            )
        )
    task_index: dict[str, int] = {}
    category: list[str] = []
    split: list[str] = []
    for r in results:
        if r.task_id not in task_index:
            task_index[r.task_id] = len(task_index)
            category.append(r.category)
            split.append(r.split or "")
    executors: list[str] = []
    for _, e in singles:
        if e not in executors:
            executors.append(e)
    # Tasks that no single row covers are not part of the matrix.
    covered = sorted({task_index[r.task_id] for r, _ in singles})
    n_all, m = len(task_index), len(executors)
    values = {
        name: np.full((n_all, m), np.nan)
        for name in ("score", "cost_usd", "latency_s", "tokens_in", "tokens_out")
    }
    declined = np.zeros((n_all, m), dtype=bool)
    seen: set[tuple[int, int]] = set()
    duplicates = 0
    for r, e in singles:
        i, j = task_index[r.task_id], executors.index(e)
        if (i, j) in seen:
            duplicates += 1
        seen.add((i, j))
        declined[i, j] = r.declined or (
            not r.strategy_kind and (r.error or "").startswith("declined by")  # an older row
        )
        values["score"][i, j] = np.nan if r.score is None else r.score
        values["cost_usd"][i, j] = r.cost_usd
        values["latency_s"][i, j] = r.latency_s
        values["tokens_in"][i, j] = r.tokens_in
        values["tokens_out"][i, j] = r.tokens_out
    notes: list[str] = []
    if duplicates:
        notes.append(
            f"{duplicates} repeated task x executor rows in {RESULTS}; the last one is used"
        )
    ids = list(task_index)
    texts, text_note = _task_texts(root, ids, tasks, manifest.spec)
    if text_note:
        notes.append(text_note)
    keep = np.asarray(covered, dtype=np.intp)
    if len(keep) < n_all:
        notes.append(f"{n_all - len(keep)} tasks have no single:<executor> row and are left out")
    miss = np.isnan(values["score"][keep])
    if miss.any():
        counts = [
            located(
                root / RESULTS,
                None,
                f"single:{e}",
                f"{int(miss[:, j].sum())} missing cells (no row or no score)",
            )
            for j, e in enumerate(executors)
            if miss[:, j].any()
        ]
        bad = miss.any(axis=1)
        if not drop_incomplete:
            counts.append(
                located(
                    root / RESULTS,
                    None,
                    "missing cells",
                    f"{int(bad.sum())} of {len(keep)} tasks lack an executor's scored outcome; "
                    "pass --drop-incomplete to drop those tasks, or resume the run",
                )
            )
            raise InputError(counts[0], counts)
        notes.append(
            f"dropped {int(bad.sum())} of {len(keep)} tasks with missing cells (--drop-incomplete)"
        )
        keep = keep[~bad]
        if len(keep) == 0:
            raise InputError(located(root / RESULTS, None, "tasks", "every task has missing cells"))

    def arr(xs: list[str]) -> npt.NDArray[np.object_]:
        out: npt.NDArray[np.object_] = np.array(xs, dtype=object)[keep]
        return out

    return dict(
        task_ids=arr(ids),
        text=arr(texts),
        category=arr(category),
        splits=arr(split),
        executors=tuple(executors),
        score=values["score"][keep],
        cost_usd=values["cost_usd"][keep],
        latency_s=values["latency_s"][keep],
        tokens_in=values["tokens_in"][keep],
        tokens_out=values["tokens_out"][keep],
        declined=declined[keep],
        notes=tuple(notes),
        source=f"run:{root}",
    )


def _task_texts(
    root: Path,
    ids: list[str],
    tasks: Sequence[Task] | Mapping[str, str] | None,
    spec: Mapping[str, Any],
) -> tuple[list[str], str]:
    """Task texts in ``ids`` order, and a note saying where they came from or why not."""
    if tasks is not None:
        lookup = dict(tasks) if isinstance(tasks, Mapping) else {t.id: t.input for t in tasks}
        texts = [lookup.get(t, "") for t in ids]
        missing = sum(1 for t in texts if not t)
        return texts, (f"{missing} tasks have no text in the given tasks" if missing else "")
    paths = list(_spec_task_paths(spec))
    if not paths:
        return [""] * len(ids), (
            "task text unavailable: the run's results do not hold it and the manifest names no "
            "task files; pass the task set to use text-based routers"
        )
    lookup = {}
    problems: list[str] = []
    for raw in paths:
        found = _resolve(raw, root, spec)
        if found is None:
            problems.append(f"{raw} not found")
            continue
        try:
            lookup.update(_read_task_texts(found))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
            problems.append(f"{found}: {exc}")
    texts = [lookup.get(t, "") for t in ids]
    missing = sum(1 for t in texts if not t)
    if not missing:
        return texts, ""
    why = f" ({'; '.join(problems)})" if problems else ""
    return texts, (
        f"task text unavailable for {missing} of {len(ids)} tasks: read best-effort from the "
        f"manifest's task files{why}; pass the task set to use text-based routers"
    )


def _spec_task_paths(spec: Mapping[str, Any]) -> Iterable[str]:
    """Task file paths named in a run spec, whatever shape its ``tasks`` entry has."""
    entry = spec.get("tasks")
    if isinstance(entry, str):
        yield entry
    elif isinstance(entry, list):
        for x in entry:
            if isinstance(x, str):
                yield x
            elif isinstance(x, Mapping):
                yield from _spec_task_paths({"tasks": x})
    elif isinstance(entry, Mapping):
        for key in ("paths", "path", "files", "file"):
            value = entry.get(key)
            if isinstance(value, str):
                yield value
            elif isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))


def _resolve(raw: str, root: Path, spec: Mapping[str, Any]) -> Path | None:
    p = Path(raw)
    bases: list[Path] = [Path.cwd(), root, root.parent]
    for key in ("spec_path", "spec_file", "path", "base_dir"):
        value = spec.get(key)
        if isinstance(value, str):
            base = Path(value)
            bases.insert(0, base.parent if base.suffix else base)
    candidates = [p] if p.is_absolute() else [b / p for b in bases]
    for c in candidates:
        if c.exists():
            return c
    return None


def _read_task_texts(path: Path) -> dict[str, str]:
    """``id -> input`` from a JSONL or CSV task file, or a folder of them."""
    if path.is_dir():
        out: dict[str, str] = {}
        for f in sorted(path.iterdir()):
            if f.suffix.lower() in (".jsonl", ".csv"):
                out.update(_read_task_texts(f))
        return out
    if path.suffix.lower() == ".jsonl":
        out = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                if isinstance(obj, dict) and "id" in obj and "input" in obj:
                    out[str(obj["id"])] = str(obj["input"])
        return out
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            return {
                str(r["id"]): str(r["input"])
                for r in csv.DictReader(fh)
                if r.get("id") and r.get("input") is not None
            }
    return {}
