"""The embedding signals: ``embed_logreg``, ``embed_knn``, ``embed_mlp`` and ``mf``.

Each reads sentence embeddings of the task text (:mod:`toolkit.signals._embedding`, the
``embed`` extra) and chooses its main hyper-parameter by ``folds``-fold cross-validation on its
own train rows, keeping the table in ``cv_results_`` and the choice in ``best_params_``. A
setting given explicitly is used as given.

- ``embed_logreg``: a logistic regression per executor, C by CV (log loss), then Platt scaling
  fitted on the out-of-fold decision values, so its probabilities are calibrated.
- ``embed_knn``: RouterBench's kNN router: the mean score of the k most similar train tasks
  (cosine), k by CV (squared error).
- ``embed_mlp``: RouterBench's MLP router: one hidden layer predicting every executor's score,
  the L2 penalty by CV (squared error).
- ``mf``: RouteLLM's matrix factorisation, trained pointwise on every executor's outcomes:
  P(executor e succeeds on prompt q) = sigmoid(v_e . (W x_q) + b_e), a learned executor
  embedding v_e and a projection W of the prompt embedding x_q; the penalty by CV (log loss).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Self

from toolkit.registry import signal
from toolkit.signals._base import _Base, _check_texts, _targets, cv_folds, held_out_loss
from toolkit.signals._builtin import _soft_logreg
from toolkit.signals._embedding import embed

if TYPE_CHECKING:
    from toolkit.signals._base import FloatArray

LOGREG_C = (0.01, 0.1, 1.0, 10.0)
KNN_K = (5, 10, 20, 50, 100)
MLP_ALPHA = (0.01, 1.0)
MF_C = (0.01, 0.1, 1.0)


class _EmbedBase(_Base):
    """Fit and predict on the embeddings of the texts; ``_fit_x`` / ``_predict_x`` do the rest."""

    folds = 5
    seed = 0

    def prime(self, texts: Sequence[str]) -> None:
        """Encode ``texts`` once, before copies are fitted in threads on subsets of them."""
        embed(list(texts))

    def fit_texts(self, texts: Sequence[str], y: Any) -> Self:
        """Embed the texts and fit on their vectors."""
        import numpy as np

        docs = _check_texts(texts)
        targets = _targets(y, len(docs))
        self._fit_x(np.asarray(embed(docs), dtype=np.float64), targets)
        self.n_outputs_ = targets.shape[1]
        return self

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Predicted score per text and executor, in [0, 1]."""
        import numpy as np

        docs = [t if isinstance(t, str) else str(t) for t in texts]
        if not docs:
            return np.empty((0, self.n_outputs_))
        out: FloatArray = np.clip(self._predict_x(np.asarray(embed(docs), dtype=np.float64)), 0, 1)
        return out

    def _fit_x(self, x: FloatArray, y: FloatArray) -> None:
        raise NotImplementedError

    def _predict_x(self, x: FloatArray) -> FloatArray:
        raise NotImplementedError

    def _choose(
        self,
        name: str,
        grid: Sequence[Any],
        oof: Callable[[Any, Any, Any], FloatArray],
        x: FloatArray,
        y: FloatArray,
        loss: str,
        *,
        logits: bool = False,
    ) -> tuple[Any, FloatArray]:
        """The grid value with the least out-of-fold ``loss`` (ties: the first), and its
        out-of-fold predictions. ``oof(value, train_rows, held_rows)`` predicts the held rows
        (as logits when ``logits``)."""
        import numpy as np

        fold = cv_folds(len(x), self.folds, self.seed)
        scores, preds = [], []
        for value in grid:
            pred = np.empty_like(y)
            for f in range(int(fold.max()) + 1):
                held = fold == f
                pred[held] = oof(value, ~held, held)
            scores.append(held_out_loss(loss, _sigmoid(pred) if logits else pred, y))
            preds.append(pred)
        best = int(np.argmin(scores))
        self.cv_results_ = {name: list(grid), loss: scores}
        self.best_params_ = {name: grid[best]}
        return grid[best], preds[best]


def _sigmoid(z: Any) -> Any:
    from scipy.special import expit  # type: ignore[import-untyped,unused-ignore]

    return expit(z)


@signal("embed_logreg")
class EmbedLogRegSignal(_EmbedBase):
    """A logistic regression per executor on sentence embeddings, with Platt-calibrated
    probabilities; ``C=None`` chooses C among :data:`LOGREG_C` by CV."""

    name = "embed_logreg"
    _params = ("C", "calibrate", "folds", "seed", "max_iter")

    def __init__(
        self,
        *,
        C: float | None = None,
        calibrate: bool = True,
        folds: int = 5,
        seed: int = 0,
        max_iter: int = 200,
    ) -> None:
        self.C = C
        self.calibrate = calibrate
        self.folds = folds
        self.seed = seed
        self.max_iter = max_iter

    def _fit_x(self, x: FloatArray, y: FloatArray) -> None:
        import numpy as np

        def z_of(c: float, rows: Any, held: Any) -> FloatArray:
            w, b = _soft_logreg(x[rows], y[rows], c, self.max_iter)
            z: FloatArray = x[held] @ w + b
            return z

        grid = (self.C,) if self.C is not None else LOGREG_C
        self.cv_results_ = {}
        need_oof = self.C is None or self.calibrate
        if need_oof:
            c, oof_z = self._choose("C", grid, z_of, x, y, "log_loss", logits=True)
        else:
            c, oof_z = float(grid[0]), np.empty_like(y)
        self.C_ = float(c)
        self.coef_, self.intercept_ = _soft_logreg(x, y, self.C_, self.max_iter)
        m = y.shape[1]
        self.platt_ = np.tile([1.0, 0.0], (m, 1))
        if self.calibrate:
            self.platt_ = np.array([_platt(oof_z[:, j], y[:, j]) for j in range(m)])

    def _predict_x(self, x: FloatArray) -> FloatArray:
        z = x @ self.coef_ + self.intercept_
        out: FloatArray = _sigmoid(self.platt_[:, 0] * z + self.platt_[:, 1])
        return out


def _platt(z: FloatArray, s: FloatArray) -> tuple[float, float]:
    """(a, c) minimising the cross-entropy of sigmoid(a z + c) against the scores ``s``."""
    import numpy as np
    from scipy.optimize import minimize  # type: ignore[import-untyped,unused-ignore]
    from scipy.special import log_expit  # type: ignore[import-untyped,unused-ignore]

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        t = theta[0] * z + theta[1]
        loss = float((1 - s) @ t - log_expit(t).sum())
        r = _sigmoid(t) - s
        return loss, np.array([float(r @ z), float(r.sum())])

    res = minimize(objective, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(res.x[0]), float(res.x[1])


@signal("embed_knn")
class EmbedKnnSignal(_EmbedBase):
    """The mean score of the k most similar train tasks by the cosine of their embeddings;
    ``k=None`` chooses k among :data:`KNN_K` by CV."""

    name = "embed_knn"
    _params = ("k", "folds", "seed")

    def __init__(self, *, k: int | None = None, folds: int = 5, seed: int = 0) -> None:
        self.k = k
        self.folds = folds
        self.seed = seed

    def _fit_x(self, x: FloatArray, y: FloatArray) -> None:
        if self.k is not None and self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")
        self.x_, self.y_ = x, y
        self.cv_results_ = {}
        if self.k is None:
            grid = tuple(k for k in KNN_K if k < len(x)) or (max(1, len(x) - 1),)
            self.k_, _ = self._choose(
                "k", grid, lambda k, rows, held: _knn(x[rows], y[rows], x[held], k), x, y, "mse"
            )
        else:
            self.k_ = self.k
        self.k_ = min(int(self.k_), len(x))

    def _predict_x(self, x: FloatArray) -> FloatArray:
        return _knn(self.x_, self.y_, x, self.k_)


def _knn(train: FloatArray, y: FloatArray, query: FloatArray, k: int) -> FloatArray:
    """Mean of ``y`` over each query's k most similar train rows (dot product of unit rows)."""
    import numpy as np

    k = min(k, len(train))
    out = np.empty((len(query), y.shape[1]))
    step = max(1, (1 << 22) // max(len(train), 1))
    for lo in range(0, len(query), step):
        sim = query[lo : lo + step] @ train.T
        near = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        out[lo : lo + step] = y[near].mean(axis=1)
    return out


@signal("embed_mlp")
class EmbedMlpSignal(_EmbedBase):
    """One hidden layer from the embedding to every executor's score (scikit-learn's
    MLPRegressor); ``alpha=None`` chooses the L2 penalty among :data:`MLP_ALPHA` by CV."""

    name = "embed_mlp"
    _params = ("hidden", "alpha", "max_iter", "folds", "seed")
    #: fitted one copy at a time: silencing the solver's ConvergenceWarning is process-wide
    thread_safe = False

    def __init__(
        self,
        *,
        hidden: int = 64,
        alpha: float | None = None,
        max_iter: int = 100,
        folds: int = 5,
        seed: int = 0,
    ) -> None:
        self.hidden = hidden
        self.alpha = alpha
        self.max_iter = max_iter
        self.folds = folds
        self.seed = seed

    def _net(self, alpha: float, x: FloatArray, y: FloatArray) -> Any:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPRegressor

        net = MLPRegressor(
            hidden_layer_sizes=(self.hidden,),
            alpha=alpha,
            max_iter=self.max_iter,
            tol=1e-3,
            n_iter_no_change=5,
            random_state=self.seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return net.fit(x, y)

    def _fit_x(self, x: FloatArray, y: FloatArray) -> None:
        def oof(alpha: float, rows: Any, held: Any) -> FloatArray:
            return _as_2d(self._net(alpha, x[rows], y[rows]).predict(x[held]), y.shape[1])

        self.cv_results_ = {}
        if self.alpha is None:
            self.alpha_, _ = self._choose("alpha", MLP_ALPHA, oof, x, y, "mse")
        else:
            self.alpha_ = float(self.alpha)
        self.net_ = self._net(self.alpha_, x, y)

    def _predict_x(self, x: FloatArray) -> FloatArray:
        return _as_2d(self.net_.predict(x), self.n_outputs_)


def _as_2d(pred: Any, m: int) -> FloatArray:
    import numpy as np

    out: FloatArray = np.asarray(pred, dtype=np.float64).reshape(-1, m)
    return out


@signal("mf")
class MatrixFactorizationSignal(_EmbedBase):
    """RouteLLM's matrix factorisation, pointwise over every executor:
    sigmoid(v_e . (W x) + b_e) with executor embeddings V (n_executors x dim) and a projection
    W (dim x embedding size), fitted by L-BFGS on the soft-label cross-entropy plus half the
    squared weights; ``C=None`` chooses the weight of the data term among :data:`MF_C` by CV."""

    name = "mf"
    _params = ("dim", "C", "max_iter", "folds", "seed")

    def __init__(
        self,
        *,
        dim: int = 32,
        C: float | None = None,
        max_iter: int = 300,
        folds: int = 5,
        seed: int = 0,
    ) -> None:
        self.dim = dim
        self.C = C
        self.max_iter = max_iter
        self.folds = folds
        self.seed = seed

    def _fit_x(self, x: FloatArray, y: FloatArray) -> None:
        if self.dim < 1:
            raise ValueError(f"dim must be at least 1, got {self.dim}")

        def oof(c: float, rows: Any, held: Any) -> FloatArray:
            return _mf_predict(
                _mf_fit(x[rows], y[rows], c, self.dim, self.max_iter, self.seed), x[held]
            )

        self.cv_results_ = {}
        if self.C is None:
            self.C_, _ = self._choose("C", MF_C, oof, x, y, "log_loss")
        else:
            self.C_ = float(self.C)
        self.projection_, self.executor_embedding_, self.intercept_ = _mf_fit(
            x, y, self.C_, self.dim, self.max_iter, self.seed
        )

    def _predict_x(self, x: FloatArray) -> FloatArray:
        return _mf_predict((self.projection_, self.executor_embedding_, self.intercept_), x)


def _mf_predict(params: tuple[FloatArray, FloatArray, FloatArray], x: FloatArray) -> FloatArray:
    w, v, b = params
    out: FloatArray = _sigmoid((x @ w.T) @ v.T + b)
    return out


def _mf_fit(
    x: FloatArray, s: FloatArray, c: float, dim: int, max_iter: int, seed: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(W, V, b) minimising C x the summed cross-entropy + 0.5 (|W|^2 + |V|^2)."""
    import numpy as np
    from scipy.optimize import minimize  # type: ignore[import-untyped,unused-ignore]
    from scipy.special import log_expit  # type: ignore[import-untyped,unused-ignore]
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped,unused-ignore]

    d_in = x.shape[1]
    m = s.shape[1]
    nw, nv = dim * d_in, m * dim
    rng = np.random.default_rng(seed)
    # small random weights: at W = V = 0 both gradients vanish
    theta0 = np.concatenate(
        [rng.normal(0, 0.1, nw), rng.normal(0, 0.1, nv), _logit(s.mean(axis=0))]
    )

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        w = theta[:nw].reshape(dim, d_in)
        v = theta[nw : nw + nv].reshape(m, dim)
        b = theta[nw + nv :]
        h = x @ w.T
        z = h @ v.T + b
        log_p = log_expit(z)
        loss = float((1.0 - s).ravel() @ z.ravel()) - float(log_p.sum())
        r = c * (np.exp(log_p) - s)
        gv = r.T @ h + v
        gw = (r @ v).T @ x + w
        value = c * loss + 0.5 * float((w * w).sum() + (v * v).sum())
        return value, np.concatenate([gw.ravel(), gv.ravel(), r.sum(axis=0)])

    with threadpool_limits(limits=1, user_api="blas"):
        res = minimize(
            objective, theta0, jac=True, method="L-BFGS-B", options={"maxiter": max_iter}
        )
    theta = res.x
    return (
        theta[:nw].reshape(dim, d_in),
        theta[nw : nw + nv].reshape(m, dim),
        theta[nw + nv :],
    )


def _logit(p: FloatArray) -> FloatArray:
    import numpy as np

    q = np.clip(p, 0.01, 0.99)
    out: FloatArray = np.log(q / (1 - q))
    return out
