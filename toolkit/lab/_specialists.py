"""The lab's two specialists, fitted on the train split of the lab task set.

- ``specialist-labels.joblib``: TF-IDF + logistic regression from a task's text to its label,
  for sentiment and topic tasks (it declines every other category);
- ``specialist-kind.joblib``: the same model predicting the task's *kind*: its category, or
  for extraction tasks what is extracted (``email``, ``date``, ``amount``). It is the classifier
  of the lab's classify-then-route strategy.

They are fitted (in a second) rather than committed: scikit-learn pickles are tied to the
version that wrote them.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from toolkit._errors import InputError, located
from toolkit.tasks import Task

LABELS_FILE = "specialist-labels.joblib"
KIND_FILE = "specialist-kind.joblib"
LABEL_CATEGORIES = ("sentiment", "topic")


def task_kind(task: Task) -> str:
    """What the kind classifier learns: the category, or the extracted field's kind."""
    if task.category == "extraction":
        kind = task.metadata.get("kind")
        if isinstance(kind, str) and kind:
            return kind
    return task.category


def fit_lab_specialists(
    tasks: Iterable[Task], out_dir: str | Path, *, seed: int = 0
) -> dict[str, Path]:
    """Fit both lab specialists on the ``train`` tasks; returns ``{file name: path}``."""
    from toolkit.models import fit_specialist

    chosen = list(tasks)
    out = Path(out_dir)
    labels = fit_specialist(
        chosen, LABEL_CATEGORIES, out / LABELS_FILE, label="target", split="train", seed=seed
    )
    kinds = [dataclasses.replace(t, category=task_kind(t)) for t in chosen]
    kind = fit_specialist(kinds, (), out / KIND_FILE, label="category", split="train", seed=seed)
    return {LABELS_FILE: labels, KIND_FILE: kind}


def prepare_lab(spec: str | Path, *, refit: bool = False) -> list[Path]:
    """Fit the specialists a spec names when their files are missing (all with ``refit``).

    Reads the spec's TOML (not the validated spec: validation needs the files to exist) and
    its task files, and fits on their ``train`` split. The lab's two files (by name) are fitted
    as the lab fits them; any other specialist predicts a task's target, trained on the
    categories its executor lists (every category when it lists none). Returns the files
    written, in the spec's order (empty when every one was there and ``refit`` is False).
    """
    from toolkit.models import fit_specialist, is_specialist_archive

    spec_path = Path(spec)
    try:
        data = tomllib.loads(spec_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(located(spec_path, None, "spec", f"cannot read: {exc}")) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(located(spec_path, None, "toml", str(exc))) from None
    base = spec_path.resolve().parent
    todo: list[tuple[Path, list[str]]] = []
    for ex in _tables(data.get("executors")):
        raw = ex.get("model_path")
        if ex.get("kind") == "specialist" and isinstance(raw, str):
            path = Path(raw).expanduser()
            path = (path if path.is_absolute() else base / path).resolve()
            cats = ex.get("categories")
            # an old pickle (no opt-in) is refitted as a safe archive, like a missing file
            stale = (
                path.is_file() and not ex.get("allow_pickle") and not is_specialist_archive(path)
            )
            if refit or not path.is_file() or stale:
                todo.append((path, [str(c) for c in cats] if isinstance(cats, list) else []))
    if not todo:
        return []
    from toolkit.tasks import load_tasks

    tasks = load_tasks(*_tables_paths(data, base, spec_path))
    written: list[Path] = []
    lab = {p.name: p for p, _ in todo if p.name in (LABELS_FILE, KIND_FILE)}
    if lab:
        folders = {p.parent for p in lab.values()}
        if len(folders) != 1:
            raise InputError(
                located(
                    spec_path,
                    None,
                    "executors.model_path",
                    "the lab specialists must share a folder",
                )
            )
        done = fit_lab_specialists(tasks, folders.pop())
        written += [done[name] for name in sorted(lab)]
    for path, cats in todo:
        if path.name not in lab:
            written.append(fit_specialist(tasks, cats, path, label="target", split="train"))
    return written


def _tables(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _tables_paths(data: Mapping[str, Any], base: Path, spec_path: Path) -> list[Path]:
    section = data.get("tasks")
    raw = section.get("paths") if isinstance(section, Mapping) else None
    if not isinstance(raw, list) or not raw or not all(isinstance(p, str) for p in raw):
        raise InputError(
            located(spec_path, None, "tasks.paths", "a list of task files is required")
        )
    return [Path(p) if Path(p).is_absolute() else base / p for p in raw]
