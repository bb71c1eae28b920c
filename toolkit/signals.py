"""Learned routing signals: predict each executor's chance of success from the task text.

scikit-learn-style estimators, shared by the offline evaluation (``toolkit.analysis``) and the
live ``score_router`` and ``cascade`` strategies:

- ``__init__`` only stores keyword-only settings;
- ``fit(texts, y)`` returns ``self``; ``y`` is an (n_tasks, n_executors) array of scores in
  [0, 1] (a 1-D array is one executor);
- learned state ends in ``_``;
- ``predict_proba(texts)`` (alias ``predict_scores``) returns an (n_texts, n_executors) array of
  predicted scores in [0, 1].

With two executors a router routes to the strong one when the predicted *advantage*
``p_strong - p_weak`` (:func:`strong_advantage`) is at or above its threshold. That is the
many-executor rule "maximise predicted score - lambda x cost" restricted to two executors, with
the threshold playing lambda x (cost_strong - cost_weak).

This module is low in the layering: it imports nothing from the rest of the toolkit;
numpy and scikit-learn are imported lazily.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

SIGNALS = ("tfidf_logreg", "knn", "random")


@runtime_checkable
class Signal(Protocol):
    """A fitted-on-outcomes predictor of each executor's score from the task text."""

    name: str

    def fit(self, texts: Sequence[str], y: Any) -> Self:
        """Learn from train texts and their (n_tasks, n_executors) scores; returns self."""
        ...

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Predicted score per text and executor, shape (n_texts, n_executors)."""
        ...


class _Base:
    """get_params/set_params as scikit-learn expects, so ``sklearn.base.clone`` works."""

    name = ""
    _params: tuple[str, ...] = ()

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


class TfidfLogRegSignal(_Base):
    """TF-IDF features and a logistic regression per executor, fitted jointly.

    Graded scores s in [0, 1] are soft labels: the loss of a task is the cross-entropy
    -s log p - (1 - s) log(1 - p), which for 0/1 scores is ordinary logistic regression. The
    objective is scikit-learn's: C x the summed loss + half the squared weights (the intercept
    is not penalised), minimised with L-BFGS for every executor at once. An executor whose
    train scores are all equal gets that constant as its prediction.
    """

    name = "tfidf_logreg"
    _params = ("max_features", "ngram_range", "min_df", "C", "max_iter")

    def __init__(
        self,
        *,
        max_features: int | None = 5000,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 1,
        C: float = 1.0,
        max_iter: int = 100,
    ) -> None:
        self.max_features = max_features
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.C = C
        self.max_iter = max_iter

    def fit(self, texts: Sequence[str], y: Any) -> Self:
        """Fit the vectoriser and the per-executor weights."""
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = _check_texts(texts)
        targets = _targets(y, len(docs))
        self.vectorizer_ = TfidfVectorizer(
            max_features=self.max_features,
            ngram_range=tuple(self.ngram_range),
            min_df=self.min_df,
            sublinear_tf=True,
        )
        x = self.vectorizer_.fit_transform(docs)
        const = targets.min(axis=0) == targets.max(axis=0)
        self.constant_ = np.where(const, targets[0], np.nan)
        m = targets.shape[1]
        self.coef_ = np.zeros((x.shape[1], m))
        self.intercept_ = np.zeros(m)
        fit_cols = np.flatnonzero(~const)
        if len(fit_cols):
            w, b = _soft_logreg(x, targets[:, fit_cols], self.C, self.max_iter)
            self.coef_[:, fit_cols] = w
            self.intercept_[fit_cols] = b
        self.n_outputs_ = m
        return self

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Predicted success probability per text and executor."""
        import numpy as np
        from scipy.special import expit  # type: ignore[import-untyped,unused-ignore]

        x = self.vectorizer_.transform([t if isinstance(t, str) else str(t) for t in texts])
        z = np.asarray(x @ self.coef_) + self.intercept_
        out: FloatArray = expit(z)
        const = ~np.isnan(self.constant_)
        out[:, const] = self.constant_[const]
        return out


def _soft_logreg(x: Any, s: FloatArray, c: float, max_iter: int) -> tuple[FloatArray, FloatArray]:
    """Minimise C x sum of soft-label cross-entropies + 0.5 |W|^2 over W (d x m) and b (m)."""
    import numpy as np
    from scipy.optimize import minimize  # type: ignore[import-untyped,unused-ignore]
    from scipy.special import expit, log_expit  # type: ignore[import-untyped,unused-ignore]

    d = x.shape[1]
    m = s.shape[1]
    xt = x.T.tocsr()

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        w = theta[: d * m].reshape(d, m)
        b = theta[d * m :]
        z = np.asarray(x @ w) + b
        # -s log sigma(z) - (1 - s) log sigma(-z)
        loss = -(s * log_expit(z) + (1.0 - s) * log_expit(-z)).sum()
        r = expit(z) - s
        gw = c * np.asarray(xt @ r) + w
        gb = c * r.sum(axis=0)
        value = c * loss + 0.5 * float((w * w).sum())
        return float(value), np.concatenate([gw.ravel(), gb])

    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped,unused-ignore]

    theta0 = np.zeros(d * m + m)
    # The optimiser's vector operations are small: BLAS threads only contend for the cores.
    with threadpool_limits(limits=1, user_api="blas"):
        res = minimize(
            objective,
            theta0,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": max_iter, "gtol": 1e-5},
        )
    theta = res.x
    return theta[: d * m].reshape(d, m), theta[d * m :]


class KnnSignal(_Base):
    """The mean score of the k most similar train tasks (cosine similarity of TF-IDF vectors)."""

    name = "knn"
    _params = ("k", "max_features", "ngram_range")

    def __init__(
        self, *, k: int = 10, max_features: int | None = 5000, ngram_range: tuple[int, int] = (1, 2)
    ) -> None:
        self.k = k
        self.max_features = max_features
        self.ngram_range = ngram_range

    def fit(self, texts: Sequence[str], y: Any) -> Self:
        """Store the train vectors and scores."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.neighbors import NearestNeighbors

        if self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")
        docs = _check_texts(texts)
        self.y_ = _targets(y, len(docs))
        self.vectorizer_ = TfidfVectorizer(
            max_features=self.max_features, ngram_range=tuple(self.ngram_range), sublinear_tf=True
        )
        x = self.vectorizer_.fit_transform(docs)
        self.k_ = min(self.k, len(docs))
        self.index_ = NearestNeighbors(n_neighbors=self.k_, metric="cosine", algorithm="brute").fit(
            x
        )
        self.n_outputs_ = self.y_.shape[1]
        return self

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Mean train score of each text's k nearest train tasks, per executor."""
        import numpy as np

        x = self.vectorizer_.transform([t if isinstance(t, str) else str(t) for t in texts])
        if x.shape[0] == 0:
            return np.empty((0, self.n_outputs_))
        idx = self.index_.kneighbors(x, return_distance=False)
        result: FloatArray = self.y_[idx].mean(axis=1)
        return result


class RandomSignal(_Base):
    """The zero signal: uniform random scores that ignore the text (seeded, reproducible)."""

    name = "random"
    _params = ("seed",)

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, texts: Sequence[str], y: Any) -> Self:
        """Remember the number of executors."""
        self.n_outputs_ = _targets(y, len(list(texts))).shape[1]
        return self

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Uniform random numbers in [0, 1), the same for the same seed and length."""
        import numpy as np

        rng = np.random.default_rng(self.seed)
        result: FloatArray = rng.random((len(texts), self.n_outputs_))
        return result


def make_signal(name: str, **settings: Any) -> TfidfLogRegSignal | KnnSignal | RandomSignal:
    """A signal by name: ``tfidf_logreg``, ``knn`` or ``random``."""
    if name == "tfidf_logreg":
        return TfidfLogRegSignal(**settings)
    if name == "knn":
        return KnnSignal(**settings)
    if name == "random":
        return RandomSignal(**settings)
    raise ValueError(f"unknown signal {name!r}; known: {', '.join(SIGNALS)}")


def strong_advantage(pred: FloatArray, strong: int, weak: int) -> FloatArray:
    """The two-executor routing score: predicted strong score minus predicted weak score."""
    result: FloatArray = pred[:, strong] - pred[:, weak]
    return result


def cross_fit_predict(
    signal: Signal, texts: Sequence[str], y: Any, *, folds: int = 5, seed: int = 0
) -> FloatArray:
    """Out-of-fold predictions on the train set itself, for tuning without fooling yourself.

    Each task is predicted by a clone of ``signal`` fitted on the other folds, so thresholds
    tuned on these predictions behave on new tasks as they do on train.
    """
    import numpy as np

    docs = list(texts)
    targets = _targets(y, len(docs))
    n = len(docs)
    k = max(2, min(folds, n))
    order = np.random.default_rng(seed).permutation(n)
    out = np.empty_like(targets)
    clone = getattr(signal, "clone", None)
    for f in range(k):
        test = order[f::k]
        train = np.setdiff1d(order, test, assume_unique=True)
        est = clone() if callable(clone) else type(signal)()
        est.fit([docs[i] for i in train], targets[train])
        out[test] = est.predict_proba([docs[i] for i in test])
    return out
