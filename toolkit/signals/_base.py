"""The signal contract and the helpers every signal shares."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

from toolkit._errors import InputError
from toolkit.registry import REGISTRY

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from toolkit.outcomes import OutcomeMatrix

    FloatArray = npt.NDArray[np.float64]

#: The built-in signals; ``toolkit.registry.names("signal")`` adds the plugins'.
SIGNALS = ("tfidf_logreg", "knn", "category_prior", "random")
#: The embedding signals, registered when the ``embed`` extra is installed.
EMBED_SIGNALS = ("embed_logreg", "embed_knn", "embed_mlp", "mf")


@runtime_checkable
class Signal(Protocol):
    """A fitted-on-outcomes predictor of each executor's score."""

    def fit(self, train: OutcomeMatrix) -> Self:
        """Learn from a train outcome matrix; returns self."""
        ...

    def predict(self, x: Any) -> FloatArray:
        """Predicted score per task and executor, shape (n_tasks, n_executors), for an
        OutcomeMatrix or a sequence of tasks."""
        ...


def texts_of(x: Any) -> list[str]:
    """The task texts of an OutcomeMatrix, a sequence of tasks or a sequence of strings."""
    text = getattr(x, "text", None)
    if text is not None and not isinstance(x, str):
        return [str(t) for t in text]
    return [t if isinstance(t, str) else str(getattr(t, "input", t)) for t in x]


class _Base:
    """get_params/set_params as scikit-learn expects, so ``sklearn.base.clone`` works."""

    name = ""
    _params: tuple[str, ...] = ()
    #: Copies may be fitted at the same time in threads (see ``fit_predict``).
    thread_safe = True

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The settings given to ``__init__``."""
        return {k: getattr(self, k) for k in self._params}

    def set_params(self, **params: Any) -> Self:
        """Change settings (before ``fit``)."""
        for k, v in params.items():
            if k not in self._params:
                raise ValueError(f"{type(self).__name__} has no setting {k!r}")
            setattr(self, k, v)
        return self

    def clone(self) -> Self:
        """An unfitted copy with the same settings."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def fit(self, train: Any, y: Any = None) -> Self:
        """Learn from an OutcomeMatrix (``fit(train)``) or from texts and scores
        (``fit(texts, y)``)."""
        if y is None:
            return self.fit_texts(texts_of(train), train.score)
        return self.fit_texts(list(train), y)

    def fit_texts(self, texts: Sequence[str], y: Any) -> Self:
        raise NotImplementedError

    def predict(self, x: Any) -> FloatArray:
        """Predicted scores for an OutcomeMatrix, a sequence of tasks or of texts."""
        return self.predict_proba(texts_of(x))

    def predict_scores(self, texts: Sequence[str]) -> FloatArray:
        """Alias of ``predict_proba``."""
        return self.predict_proba(texts)

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        raise NotImplementedError


def _targets(y: Any, n: int) -> FloatArray:
    import numpy as np

    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n:
        raise ValueError(f"y has shape {arr.shape}; expected ({n}, n_executors)")
    if not np.all((arr >= 0.0) & (arr <= 1.0)):
        raise ValueError("y must hold scores in [0, 1]")
    return arr


def _check_texts(texts: Sequence[str]) -> list[str]:
    out = [t if isinstance(t, str) else str(t) for t in texts]
    if not out:
        raise ValueError("no texts to fit on")
    if not any(t.strip() for t in out):
        raise ValueError(
            "every task text is empty, so a text-based signal cannot be fitted; "
            "give the outcomes their task text"
        )
    return out


def cv_folds(n: int, folds: int, seed: int) -> Any:
    """The fold (0 .. k-1) of each of ``n`` rows: a seeded permutation dealt round-robin into
    k = ``folds`` folds (at least 2, at most ``n``), as every signal's own CV deals them."""
    import numpy as np

    return np.random.default_rng(seed).permutation(n) % max(2, min(folds, n))


def held_out_loss(kind: str, pred: FloatArray, y: FloatArray) -> float:
    """Mean ``log_loss`` (predictions clipped to [1e-6, 1 - 1e-6]) or ``mse`` of ``pred``
    against the scores ``y``."""
    import numpy as np

    if kind == "log_loss":
        p = np.clip(pred, 1e-6, 1 - 1e-6)
        return float(-(y * np.log(p) + (1 - y) * np.log1p(-p)).mean())
    return float(((pred - y) ** 2).mean())


def make_signal(name: str, *, seed: int | None = None, **settings: Any) -> Any:
    """An unfitted signal by registered name; ``seed`` is passed when it takes one."""
    entry = REGISTRY.get("signal", name)
    cls = entry.obj
    if seed is not None and _takes(cls, "seed"):
        settings = {"seed": seed, **settings}
    try:
        return cls(**settings)
    except TypeError as exc:
        raise InputError(f"signal {name!r} ({entry.source}): bad settings: {exc}") from None


def _takes(cls: Any, name: str) -> bool:
    try:
        return name in inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False


def clone_signal(est: Any) -> Any:
    """An unfitted copy of ``est`` with the same settings."""
    clone = getattr(est, "clone", None)
    if callable(clone):
        return clone()
    params = getattr(est, "get_params", None)
    return type(est)(**params()) if callable(params) else type(est)()


def checked_prediction(name: str, pred: Any, n_tasks: int, n_executors: int) -> FloatArray:
    """A signal's prediction as a float array of shape (n_tasks, n_executors), or an error
    naming the signal."""
    import numpy as np

    try:
        arr = np.asarray(pred, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"signal {name!r}: predict() returned no numbers: {exc}") from None
    if arr.shape != (n_tasks, n_executors):
        raise InputError(
            f"signal {name!r}: predict() returned shape {arr.shape}, expected "
            f"({n_tasks}, {n_executors}) (tasks x executors)"
        )
    if not np.all(np.isfinite(arr)):
        raise InputError(f"signal {name!r}: predict() returned NaN or infinite scores")
    return arr
