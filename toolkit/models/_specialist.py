"""The specialist executor: a small trained model for one narrow job.

A scikit-learn pipeline (TF-IDF features + logistic regression) is fitted on a task set's
train split and saved as a safe archive (:mod:`toolkit.models._specialist_file`: arrays and
JSON, read without running code). Two labels are possible:

- ``label="target"`` (default): it solves classification tasks, mapping a task's input to its
  target label (e.g. a sentiment). It answers requests of its categories and declines the rest.
- ``label="category"``: it classifies a task's input into its category (the classifier of a
  classify-then-route strategy). It answers every request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from toolkit._errors import InputError, MissingDependency, located
from toolkit._types import Call, Request
from toolkit.models._config import ExecutorConfig
from toolkit.models._failures import ExecutorError
from toolkit.models._specialist_file import is_archive, load_archive, save_archive
from toolkit.models._tool import InProcessExecutor
from toolkit.tasks import Task

FORMAT = "toolkit-specialist"


def _sklearn() -> Any:
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline
    except ImportError as exc:  # pragma: no cover - sklearn is a core dependency
        raise MissingDependency(
            "the specialist executor needs scikit-learn: pip install scikit-learn"
        ) from exc
    return TfidfVectorizer, LogisticRegression, FeatureUnion, Pipeline


def fit_specialist(
    tasks: Iterable[Task],
    categories: Sequence[str] = (),
    path: str | Path | None = None,
    *,
    label: Literal["target", "category"] = "target",
    split: str | None = "train",
    seed: int = 0,
) -> Path:
    """Fit a TF-IDF + logistic-regression specialist on the ``split`` tasks and save it.

    ``categories`` limits the training tasks (and, for ``label="target"``, the requests it
    answers); empty means all. Returns the archive written (``path``, or
    ``specialist-<label>.npz`` in the current folder); whatever its name, the file is the
    safe archive format.
    """
    TfidfVectorizer, LogisticRegression, FeatureUnion, Pipeline = _sklearn()
    chosen = set(categories)
    texts: list[str] = []
    labels: list[str] = []
    for task in tasks:
        if split is not None and task.split != split:
            continue
        if chosen and task.category not in chosen:
            continue
        if label == "category":
            y = task.category
        else:
            if not task.targets:
                continue
            y = task.targets[0]
        texts.append(task.input)
        labels.append(y)
    where = f"split {split!r}" if split is not None else "the task set"
    if not texts:
        raise InputError(
            f"fit_specialist: no tasks to learn from in {where}"
            + (f" for categories {sorted(chosen)}" if chosen else "")
            + '; give tasks a split (split = "train") and a target'
        )
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise InputError(
            f"fit_specialist: {where} has a single label {classes[0]!r}; a classifier needs at "
            "least two"
        )
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
            ),
        ]
    )
    pipe = Pipeline(
        [
            ("features", features),
            ("clf", LogisticRegression(C=10.0, max_iter=2000, random_state=seed)),
        ]
    )
    pipe.fit(texts, labels)
    out = Path(path) if path is not None else Path(f"specialist-{label}.npz")
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "label": label,
        # the categories it answers (label "target"; empty: all) or predicts ("category")
        "categories": classes if label == "category" else sorted(chosen),
        "n_train": len(texts),
    }
    return save_archive(pipe, meta, out)


class SpecialistExecutor(InProcessExecutor):
    """Answers with the fitted classifier's label; free (cost 0), declines other categories."""

    def __init__(
        self, config: ExecutorConfig, on_call: Callable[[Call], None] | None = None
    ) -> None:
        super().__init__(config, on_call)
        assert config.model_path is not None
        self.path = Path(config.model_path)
        self._loaded: dict[str, Any] | None = None

    def load(self) -> dict[str, Any]:
        """The saved specialist (read once): its metadata and, under ``model``, what predicts.

        The safe archive is read without running code. A pickle (joblib) file runs code as it
        loads, so it is read only when the executor sets ``allow_pickle = true``."""
        if self._loaded is None:
            if not self.path.is_file():
                raise InputError(
                    f"{self.path}: model_path: no such file (executor {self.name!r}); fit one "
                    "with `toolkit fit-specialist` (or toolkit.models.fit_specialist)"
                )
            if is_archive(self.path):
                model = load_archive(self.path, str(self.path))
                self._loaded = {**model.meta, "model": model}
            else:
                self._loaded = self._load_pickle()
        return self._loaded

    def check_file(self) -> None:
        """Refuse a pickle file without ``allow_pickle``, without reading more than its first
        bytes (what a dry run checks)."""
        if not is_archive(self.path) and not self.config.allow_pickle:
            self._load_pickle()  # raises before anything is unpickled

    def _load_pickle(self) -> dict[str, Any]:
        if not self.config.allow_pickle:
            raise InputError(
                located(
                    self.path,
                    None,
                    "model_path",
                    f"is a pickle (joblib) file, which runs code when it is loaded (executor "
                    f"{self.name!r}); refit it with `toolkit fit-specialist` (a safe archive), "
                    "or set allow_pickle = true on the executor if you made it yourself",
                )
            )
        import joblib

        data = joblib.load(self.path)
        if not isinstance(data, dict) or data.get("format") != FORMAT or "pipeline" not in data:
            raise ExecutorError(
                f"{self.path}: not a toolkit specialist file (executor {self.name!r})"
            )
        return {**data, "model": data["pipeline"]}

    def answers(self, request: Request) -> bool:
        """True when this specialist answers ``request`` (its categories)."""
        data = self.load()
        if self.config.categories:
            return request.category in self.config.categories
        if data.get("label") == "category":
            return True
        cats = list(data.get("categories", []))
        return not cats or request.category in cats

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Predicted labels for ``texts``."""
        return [str(y) for y in self.load()["model"].predict(list(texts))]

    def answer(self, request: Request) -> str | None:
        """The predicted label, or None when this specialist declines ``request``."""
        return self.predict([request.prompt])[0] if self.answers(request) else None

    def model_label(self) -> str:
        return f"specialist:{self.path.name}:{self.load().get('label')}"
