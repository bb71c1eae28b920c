"""The built-in signals: ``tfidf_logreg``, ``knn``, ``category_prior`` and ``random``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

from toolkit.registry import signal
from toolkit.signals._base import _Base, _check_texts, _targets, cv_folds, held_out_loss
from toolkit.signals._text import TfidfFeatures

if TYPE_CHECKING:
    from toolkit.signals._base import FloatArray


#: ``tfidf_logreg(C=None)`` and ``knn(k=None)`` choose among these by 5-fold CV on train.
TFIDF_C = (0.3, 1.0, 3.0, 10.0)
KNN_K = (5, 10, 20, 50)


def cv_choose(
    est: Any, param: str, grid: Sequence[Any], docs: list[str], y: Any, loss: str
) -> tuple[Any, dict[str, list[Any]]]:
    """The value of ``param`` among ``grid`` whose copies of ``est`` predict held-out rows best
    (5 seeded folds; ``loss`` is ``log_loss`` or ``mse``; ties: the first), and the table."""
    import numpy as np

    fold = cv_folds(len(docs), 5, 0)
    losses = []
    for value in grid:
        pred = np.empty_like(y, dtype=np.float64)
        for f in range(int(fold.max()) + 1):
            held = fold == f
            rows = np.flatnonzero(~held)
            copy = est.clone().set_params(**{param: value})
            copy.fit_texts([docs[i] for i in rows], y[rows])
            pred[held] = copy.predict_proba([docs[i] for i in np.flatnonzero(held)])
        losses.append(held_out_loss(loss, pred, y))
    best = grid[int(np.argmin(losses))]
    return best, {param: list(grid), loss: losses}


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
        C: float | None = 1.0,
        max_iter: int = 100,
    ) -> None:
        self.max_features = max_features
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.C = C
        self.max_iter = max_iter

    def fit_texts(self, texts: Sequence[str], y: Any) -> Self:
        """Fit the vectoriser and the per-executor weights (``C=None``: C chosen among
        :data:`TFIDF_C` by 5-fold CV on these rows, the table in ``cv_results_``)."""
        import numpy as np

        docs = _check_texts(texts)
        targets = _targets(y, len(docs))
        self.cv_results_: dict[str, list[float]] = {}
        c: Any = self.C
        if c is None:
            c, self.cv_results_ = cv_choose(self, "C", TFIDF_C, docs, targets, "log_loss")
        self.C_ = float(c)
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
            w, b = _soft_logreg(x, targets[:, fit_cols], self.C_, self.max_iter)
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
    """Minimise C x sum of soft-label cross-entropies + 0.5 |W|^2 over W (d x m) and b (m);
    ``x`` is a sparse or a dense (n x d) matrix."""
    import numpy as np
    from scipy.optimize import minimize  # type: ignore[import-untyped,unused-ignore]
    from scipy.special import log_expit  # type: ignore[import-untyped,unused-ignore]

    d = x.shape[1]
    m = s.shape[1]
    xt = x.T.tocsr() if hasattr(x, "tocsr") else np.ascontiguousarray(x.T)

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        w = theta[: d * m].reshape(d, m)
        b = theta[d * m :]
        z = np.asarray(x @ w) + b
        # -s log sigma(z) - (1 - s) log sigma(-z), with log sigma(-z) = log sigma(z) - z
        log_p = log_expit(z)
        loss = float((1.0 - s).ravel() @ z.ravel()) - float(log_p.sum())
        r = np.exp(log_p) - s
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
    """The mean score of the k most similar train tasks (cosine similarity of TF-IDF vectors).

    A text with no known word gets the mean train score. Similarities are computed exactly in
    two parts: the frequent terms as a dense matrix product, the rest as a sparse one.
    """

    name = "knn"
    _params = ("k", "max_features", "ngram_range")

    def __init__(
        self,
        *,
        k: int | None = 10,
        max_features: int | None = 5000,
        ngram_range: tuple[int, int] = (1, 2),
    ) -> None:
        self.k = k
        self.max_features = max_features
        self.ngram_range = ngram_range

    def fit_texts(self, texts: Sequence[str], y: Any) -> Self:
        """Store the train vectors and scores."""
        import numpy as np

        if self.k is not None and self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")
        docs = _check_texts(texts)
        self.y_ = _targets(y, len(docs))
        self.cv_results_: dict[str, list[float]] = {}
        k = self.k
        if k is None:  # chosen by 5-fold CV on these rows
            grid = tuple(v for v in KNN_K if v < len(docs)) or (1,)
            k, self.cv_results_ = cv_choose(self, "k", grid, docs, self.y_, "mse")
        self.vectorizer_ = TfidfFeatures(
            max_features=self.max_features, ngram_range=self.ngram_range
        )
        x = self.vectorizer_.fit_transform(docs)  # rows are l2-normalised: dot = cosine
        self.k_ = min(int(k), len(docs))
        df = np.bincount(x.indices, minlength=x.shape[1])
        frequent = np.flatnonzero(df >= max(1.0, _DENSE_DF * x.shape[0]))
        self.dense_terms_ = frequent[np.argsort(-df[frequent], kind="stable")][:_DENSE_MAX]
        self.sparse_terms_ = np.setdiff1d(np.arange(x.shape[1]), self.dense_terms_)
        self.dense_train_ = np.ascontiguousarray(x[:, self.dense_terms_].toarray().T)
        self.sparse_train_ = x[:, self.sparse_terms_].T.tocsr()
        self.n_outputs_ = self.y_.shape[1]
        return self

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Mean train score of each text's k nearest train tasks, per executor."""
        import numpy as np

        x = self.vectorizer_.transform([t if isinstance(t, str) else str(t) for t in texts])
        n_train = self.y_.shape[0]
        out: FloatArray = np.empty((x.shape[0], self.n_outputs_))
        step = max(1, _CHUNK_CELLS // n_train)
        for lo in range(0, x.shape[0], step):
            q = x[lo : lo + step]
            sim = np.ascontiguousarray(q[:, self.dense_terms_].toarray() @ self.dense_train_)
            rare = (q[:, self.sparse_terms_] @ self.sparse_train_).tocsr()
            _add_sparse(sim, rare)
            out[lo : lo + q.shape[0]] = self.y_[_nearest(sim, self.k_)].mean(axis=1)
        unknown = np.diff(x.indptr) == 0
        out[unknown] = self.y_.mean(axis=0)
        return out


def _add_sparse(dense: Any, csr: Any) -> None:
    """``dense += csr`` in place, without making a dense copy of ``csr``."""
    import numpy as np

    try:  # SciPy's own kernel behind toarray(), which adds into the array it is given
        from scipy.sparse._sparsetools import csr_todense  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # pragma: no cover - a SciPy that moved it
        at = np.repeat(np.arange(csr.shape[0], dtype=np.int64), np.diff(csr.indptr))
        at *= dense.shape[1]
        at += csr.indices
        dense.reshape(-1)[at] += csr.data
        return
    csr_todense(csr.shape[0], csr.shape[1], csr.indptr, csr.indices, csr.data, dense)


def _nearest(sim: Any, k: int) -> Any:
    """Column indices of the k largest values of each row of ``sim`` (ties: the lower index).

    Only values at or above each row's k-th largest in a strided eighth of its columns can be
    among its k largest, so those few candidates are sorted instead of every value; a row
    whose cut is 0 (its similarities are mostly 0) takes the full partition instead.
    """
    import numpy as np

    n_rows, n = sim.shape
    if k >= n:
        return np.broadcast_to(np.arange(n), (n_rows, n))
    sample = sim[:, :: max(1, min(8, n // (4 * k)))]
    cut = np.partition(sample, sample.shape[1] - k, axis=1)[:, sample.shape[1] - k]
    near = np.empty((n_rows, k), dtype=np.int64)
    flat = cut <= 0.0
    if flat.any():
        near[flat] = np.argpartition(sim[flat], n - k, axis=1)[:, n - k :]
        cut[flat] = np.inf  # no candidates from those rows below
    rows, cols = np.nonzero(sim >= cut[:, None])
    order = np.lexsort((cols, -sim[rows, cols], rows))  # by row, best first, low index first
    rows, cols = rows[order], cols[order]
    keep = np.flatnonzero(~flat)
    first = np.searchsorted(rows, keep)
    rank = np.arange(len(rows)) - first[np.searchsorted(keep, rows)]
    near[keep] = cols[rank < k].reshape(len(keep), k)
    return near


#: A term goes into the dense part of the similarity when at least this share of train texts
#: holds it (at most _DENSE_MAX terms): there a dense product is cheaper than a sparse one.
_DENSE_DF = 0.05
_DENSE_MAX = 512
_CHUNK_CELLS = 1 << 23  # similarities held at once (64 MiB)


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


#: The smoothing strengths ``category_prior`` chooses among by cross-validation on train.
PRIOR_STRENGTHS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)


@signal("category_prior")
class CategoryPriorSignal(_Base):
    """Each executor's train success rate in the task's category, smoothed towards its overall
    rate as if ``strength`` more tasks had scored that rate; a category unseen in train (or a
    task without one) gets the overall rate. It reads categories, not text.

    ``strength=None`` (the default) chooses it among :data:`PRIOR_STRENGTHS` by ``folds``-fold
    cross-validation on train (the least squared error of the held-out scores); the table is
    kept in ``cv_results_`` and the choice in ``strength_``.
    """

    name = "category_prior"
    _params = ("strength", "folds", "seed")

    def __init__(self, *, strength: float | None = None, folds: int = 5, seed: int = 0) -> None:
        self.strength = strength
        self.folds = folds
        self.seed = seed

    def fit(self, train: Any, y: Any = None) -> Self:
        """Learn the rates from an OutcomeMatrix (its ``category`` and ``score``)."""
        import numpy as np

        if y is not None or not hasattr(train, "category"):
            raise ValueError("category_prior learns from an outcome matrix: it needs categories")
        given = self.strength
        if given is not None and not (np.isfinite(given) and given >= 0):
            raise ValueError(f"strength must be a finite number >= 0, got {given!r}")
        score = np.asarray(train.score, dtype=np.float64)  # a matrix has every cell
        cats = np.asarray([str(c) for c in train.category], dtype=object)
        self.cv_results_: dict[str, list[float]] | None = None
        if given is None:
            errors = [
                _prior_cv_error(score, cats, s, self.folds, self.seed) for s in PRIOR_STRENGTHS
            ]
            self.cv_results_ = {"strength": list(PRIOR_STRENGTHS), "mean_squared_error": errors}
            self.strength_ = PRIOR_STRENGTHS[int(np.argmin(errors))]
        else:
            self.strength_ = float(given)
        self.overall_, self.rates_ = _prior_rates(score, cats, self.strength_)
        self.counts_ = {c: int((cats == c).sum()) for c in self.rates_}
        self.n_outputs_ = score.shape[1]
        return self

    def predict(self, x: Any) -> FloatArray:
        """The rates of each task's category, shape (n_tasks, n_executors)."""
        import numpy as np

        cats = _categories_of(x)
        if not cats:
            return np.empty((0, self.n_outputs_))
        return np.vstack([self.rates_.get(c, self.overall_) for c in cats])

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Texts alone carry no category: every task gets the overall rates."""
        import numpy as np

        return np.tile(self.overall_, (len(texts), 1))


def _prior_rates(
    score: FloatArray, cats: Any, strength: float
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """(overall rate per executor, category -> smoothed rate per executor)."""
    import numpy as np

    overall = score.mean(axis=0) if len(score) else np.full(score.shape[1], 0.5)
    rates = {}
    for cat in dict.fromkeys(cats.tolist()):
        rows = cats == cat
        total = score[rows].sum(axis=0) + strength * overall
        rates[str(cat)] = total / max(int(rows.sum()) + strength, 1e-12)
    return overall, rates


def _prior_cv_error(score: FloatArray, cats: Any, strength: float, folds: int, seed: int) -> float:
    """Mean squared error of held-out scores over ``folds`` seeded folds."""
    import numpy as np

    fold = cv_folds(len(score), folds, seed)
    squared = 0.0
    for f in range(int(fold.max()) + 1):
        held = fold == f
        overall, rates = _prior_rates(score[~held], cats[~held], strength)
        pred = np.vstack([rates.get(c, overall) for c in cats[held]]) if held.any() else score[held]
        squared += float(((pred - score[held]) ** 2).sum())
    return squared / max(score.size, 1)


def _categories_of(x: Any) -> list[str]:
    """The categories of an OutcomeMatrix or of a sequence of tasks ("" for plain texts)."""
    category = getattr(x, "category", None)
    if category is not None and not isinstance(x, str):
        return [str(c) for c in category]
    return [str(getattr(t, "category", "") or "") for t in x]
