"""Learned routing signals: predict each executor's chance of success from the task text.

A signal is a scikit-learn-style estimator registered with :func:`toolkit.signal`, shared by
the offline evaluation (``toolkit.analysis``) and the live ``score_router`` and ``cascade``
strategies:

- ``__init__`` only stores keyword-only settings;
- ``fit(train)`` learns from an :class:`~toolkit.OutcomeMatrix` (texts, categories and every
  executor's scores) and returns ``self``;
- learned state ends in ``_``;
- ``predict(matrix_or_tasks)`` returns an (n_tasks, n_executors) array of predicted scores.

The built-ins also take the text-level form ``fit(texts, y)`` / ``predict_proba(texts)``,
where ``y`` is an (n_tasks, n_executors) array of scores in [0, 1].

With two executors a router routes to the strong one when the predicted *advantage*
``p_strong - p_weak`` (:func:`strong_advantage`) is at or above its threshold. That is the
many-executor rule "maximise predicted score - lambda x cost" restricted to two executors, with
the threshold playing lambda x (cost_strong - cost_weak).

numpy and scikit-learn are imported lazily.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

from toolkit._errors import InputError
from toolkit.registry import REGISTRY, signal

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from toolkit.outcomes import OutcomeMatrix

    FloatArray = npt.NDArray[np.float64]

#: The built-in signals; ``toolkit.registry.names("signal")`` adds the plugins'.
SIGNALS = ("tfidf_logreg", "knn", "random")


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


class _Corpus:
    """Word n-gram counts of one set of texts, counted once and shared by every fold and
    signal that fits on texts from it (counting is most of a TF-IDF fit)."""

    def __init__(self, docs: Sequence[str], ngram_range: tuple[int, int]) -> None:
        from sklearn.feature_extraction.text import CountVectorizer

        self.ngram_range = ngram_range
        counter = CountVectorizer(ngram_range=ngram_range, dtype=float)
        self.counts = counter.fit_transform(docs).tocsr()
        self.terms = counter.get_feature_names_out()
        self.row: dict[str, int] = {}
        for i, d in enumerate(docs):
            self.row.setdefault(d, i)

    def rows_of(self, docs: Sequence[str]) -> list[int] | None:
        """The count rows of ``docs``, or None when some text was not counted here."""
        try:
            return [self.row[d] for d in docs]
        except KeyError:
            return None


_CORPORA: list[_Corpus] = []  # the last few corpora counted, newest last
_MAX_CORPORA = 2


def _corpus_for(docs: Sequence[str], ngram_range: tuple[int, int]) -> tuple[_Corpus, list[int]]:
    """A counted corpus holding every text of ``docs`` (counted now when none does)."""
    for corpus in reversed(_CORPORA):
        if corpus.ngram_range == ngram_range:
            rows = corpus.rows_of(docs)
            if rows is not None:
                return corpus, rows
    corpus = _Corpus(docs, ngram_range)
    _CORPORA.append(corpus)
    del _CORPORA[:-_MAX_CORPORA]
    rows = corpus.rows_of(docs)
    assert rows is not None
    return corpus, rows


def prime_counts(texts: Sequence[str], ngram_range: tuple[int, int] = (1, 2)) -> None:
    """Count ``texts`` once, so fits on any subset of them (the folds) reuse the counts."""
    _corpus_for(
        [t if isinstance(t, str) else str(t) for t in texts],
        (int(ngram_range[0]), int(ngram_range[1])),
    )


class TfidfFeatures:
    """TF-IDF of word n-grams, as scikit-learn's ``TfidfVectorizer(max_features, ngram_range,
    min_df, sublinear_tf=True)`` computes it (smooth idf, l2-normalised rows), built from
    shared counts: the ``max_features`` most frequent terms among those in at least ``min_df``
    texts (ties: alphabetical), idf = ln((1 + n) / (1 + df)) + 1, tf = 1 + ln(count)."""

    def __init__(
        self, *, max_features: int | None, ngram_range: tuple[int, int], min_df: int = 1
    ) -> None:
        self.max_features = max_features
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.min_df = min_df

    def fit_transform(self, docs: Sequence[str]) -> Any:
        import numpy as np

        corpus, rows = _corpus_for(docs, self.ngram_range)
        x = corpus.counts[rows]
        df = np.bincount(x.indices, minlength=x.shape[1])
        keep = np.flatnonzero(df >= self.min_df)
        if self.max_features is not None and len(keep) > self.max_features:
            total = np.asarray(x.sum(axis=0)).ravel()[keep]
            order = np.lexsort((keep, -total))  # most frequent first, then alphabetical
            keep = np.sort(keep[order[: self.max_features]])
        if len(keep) == 0:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        self.columns_ = keep
        self.terms_ = corpus.terms[keep]
        self.vocabulary_ = {str(t): i for i, t in enumerate(self.terms_)}
        n = x.shape[0]
        self.idf_ = np.log((1.0 + n) / (1.0 + df[keep])) + 1.0
        return self._weigh(x[:, keep])

    def transform(self, docs: Sequence[str]) -> Any:
        from sklearn.feature_extraction.text import CountVectorizer

        texts = [t if isinstance(t, str) else str(t) for t in docs]
        for corpus in reversed(_CORPORA):
            rows = corpus.rows_of(texts) if corpus.ngram_range == self.ngram_range else None
            same = rows is not None and len(corpus.terms) > self.columns_.max()
            if same and (corpus.terms[self.columns_] == self.terms_).all():
                return self._weigh(corpus.counts[rows][:, self.columns_])
        counter = CountVectorizer(
            ngram_range=self.ngram_range, vocabulary=self.vocabulary_, dtype=float
        )
        return self._weigh(counter.transform(texts))

    def _weigh(self, counts: Any) -> Any:
        import numpy as np
        from sklearn.preprocessing import normalize

        x = counts.astype(np.float64).tocsr(copy=True)
        np.log(x.data, out=x.data)
        x.data += 1.0
        x = x.multiply(self.idf_).tocsr()
        return normalize(x, norm="l2", copy=False)


@signal("tfidf_logreg")
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

    def fit_texts(self, texts: Sequence[str], y: Any) -> Self:
        """Fit the vectoriser and the per-executor weights."""
        import numpy as np

        docs = _check_texts(texts)
        targets = _targets(y, len(docs))
        self.vectorizer_ = TfidfFeatures(
            max_features=self.max_features, ngram_range=self.ngram_range, min_df=self.min_df
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


@signal("knn")
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

    def fit_texts(self, texts: Sequence[str], y: Any) -> Self:
        """Store the train vectors and scores."""
        from sklearn.neighbors import NearestNeighbors

        if self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")
        docs = _check_texts(texts)
        self.y_ = _targets(y, len(docs))
        self.vectorizer_ = TfidfFeatures(
            max_features=self.max_features, ngram_range=self.ngram_range
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


@signal("random")
class RandomSignal(_Base):
    """The zero signal: uniform random scores that ignore the text (seeded, reproducible)."""

    name = "random"
    _params = ("seed",)

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def fit_texts(self, texts: Sequence[str], y: Any) -> Self:
        """Remember the number of executors."""
        self.n_outputs_ = _targets(y, len(list(texts))).shape[1]
        return self

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Uniform random numbers in [0, 1), the same for the same seed and length."""
        import numpy as np

        rng = np.random.default_rng(self.seed)
        result: FloatArray = rng.random((len(texts), self.n_outputs_))
        return result


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


def fit_predict(
    name: str,
    train: OutcomeMatrix,
    test: OutcomeMatrix,
    *,
    folds: int = 5,
    seed: int = 0,
    settings: dict[str, Any] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """(out-of-fold train predictions, test predictions) of signal ``name`` fitted on train.

    Each train task is predicted by a copy fitted on the other folds, so thresholds tuned on
    these predictions behave on new tasks as they do on train.
    """
    est = make_signal(name, seed=seed, **(settings or {}))
    ngrams = getattr(est, "ngram_range", None)
    if ngrams is not None:  # count the train texts once for every fold (and the next signal)
        prime_counts([str(t) for t in train.text], (int(ngrams[0]), int(ngrams[1])))
    oof = cross_fit_matrix(est, train, folds=folds, seed=seed, name=name)
    final = clone_signal(est).fit(train)
    return oof, checked_prediction(name, final.predict(test), test.n_tasks, train.n_executors)


def cross_fit_matrix(
    signal: Any, train: OutcomeMatrix, *, folds: int = 5, seed: int = 0, name: str = ""
) -> FloatArray:
    """Out-of-fold predictions on a train matrix: each task is predicted by a copy of
    ``signal`` fitted on the other folds."""
    import numpy as np

    shown = name or type(signal).__name__
    m, n = train.n_executors, train.n_tasks
    k = max(2, min(folds, n))
    order = np.random.default_rng(seed).permutation(n)
    oof = np.empty((n, m))
    for f in range(k):
        held = order[f::k]
        rest = np.setdiff1d(order, held, assume_unique=True)
        est = clone_signal(signal).fit(train.subset(rest))
        oof[held] = checked_prediction(shown, est.predict(train.subset(held)), len(held), m)
    return oof


def strong_advantage(pred: FloatArray, strong: int, weak: int) -> FloatArray:
    """The two-executor routing score: predicted strong score minus predicted weak score."""
    result: FloatArray = pred[:, strong] - pred[:, weak]
    return result


def cross_fit_predict(
    signal: Any, texts: Sequence[str], y: Any, *, folds: int = 5, seed: int = 0
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
    for f in range(k):
        test = order[f::k]
        train = np.setdiff1d(order, test, assume_unique=True)
        est = clone_signal(signal)
        est.fit([docs[i] for i in train], targets[train])
        out[test] = est.predict_proba([docs[i] for i in test])
    return out
