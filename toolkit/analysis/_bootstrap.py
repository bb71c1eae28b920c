"""The paired percentile bootstrap over test tasks, vectorised over resamples.

A resample is a row of multinomial counts ``W[b, i]`` (how often task i was drawn), so the
mean of any per-task column over every resample is one matrix product ``W @ X / n``. Every
statistic of one evaluation uses the same resamples (paired across strategies). Resamples are
made in chunks, each from ``default_rng([seed, chunk])``, to bound memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from toolkit.analysis._metrics import tie_group_ends

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

CHUNK_CELLS = 4_000_000  # resample cells per chunk (about 32 MB of float64 counts)


def resample_counts(n: int, n_boot: int, seed: int) -> Iterator[FloatArray]:
    """Chunks of bootstrap count rows, shape (b, n), in a fixed order for a given seed."""
    if n <= 0 or n_boot <= 0:
        return
    per = max(1, min(n_boot, CHUNK_CELLS // n))
    done, chunk = 0, 0
    while done < n_boot:
        b = min(per, n_boot - done)
        rng = np.random.default_rng([seed, chunk])
        idx = rng.integers(0, n, size=(b, n))
        idx += (np.arange(b) * n)[:, None]
        counts = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
        yield counts
        done += b
        chunk += 1


@dataclass(frozen=True, eq=False)
class CurveInput:
    """A two-executor threshold curve to bootstrap: per-task scores and the router score."""

    strong: FloatArray
    weak: FloatArray
    router_score: FloatArray


@dataclass(frozen=True, eq=False)
class BootResult:
    """Bootstrap replicates: column means of each matrix, and the APGR of each curve."""

    means: dict[str, FloatArray]  # name -> (B, K)
    apgr: FloatArray  # (B, P), NaN where q_strong <= q_weak in a resample


def paired_bootstrap(
    columns: dict[str, FloatArray],
    curves: Sequence[CurveInput],
    *,
    n_boot: int,
    seed: int,
) -> BootResult:
    """Resample the test tasks ``n_boot`` times (paired) and compute every replicate.

    ``columns`` maps a name to an (n, K) matrix of per-task values; the result holds the
    resampled column means. Each curve's APGR is computed on the same resamples.
    """
    n = next(iter(columns.values())).shape[0] if columns else len(curves[0].weak)
    means = {k: np.empty((n_boot, v.shape[1])) for k, v in columns.items()}
    apgr = np.empty((n_boot, len(curves)))
    prepared = []
    for cv in curves:
        order = np.argsort(-cv.router_score, kind="stable")
        ends = tie_group_ends(cv.router_score[order])
        prepared.append((order, ends, (cv.strong - cv.weak)[order], cv.strong, cv.weak))
    row = 0
    for w in resample_counts(n, n_boot, seed):
        b = w.shape[0]
        for k, v in columns.items():
            means[k][row : row + b] = (w @ v) / n
        for j, (order, ends, gain, strong, weak) in enumerate(prepared):
            apgr[row : row + b, j] = _apgr_rows(w, order, ends, gain, strong, weak, n)
        row += b
    return BootResult(means=means, apgr=apgr)


def _apgr_rows(
    w: FloatArray,
    order: IntArray,
    ends: IntArray,
    gain: FloatArray,
    strong: FloatArray,
    weak: FloatArray,
    n: int,
) -> FloatArray:
    """APGR of the threshold curve on each resample (rows of counts ``w``).

    In a resample the curve's points stay at the same tie groups. With W_k the count of tie
    group k and G_k its summed gain (strong - weak), the point after group k is
    c_k = CW_k / n and q_k - q_weak = CG_k / n (C: cumulative sums), so the trapezoid area is
    (1/n^2) sum_k W_k (CG_{k-1} + G_k / 2) = (1/n^2) [n sum_k G_k - sum_k G_k (CW_k - W_k / 2)],
    which needs one cumulative sum. Groups not drawn add zero-width steps.
    """
    wo = w[:, order]
    total_gain = w @ (strong - weak)  # sum of gains, in any order
    if len(ends) < len(order):  # ties: sum each tie group
        starts = np.concatenate([[0], ends[:-1] + 1])
        wg = np.add.reduceat(wo * gain, starts, axis=1)
        wo = np.add.reduceat(wo, starts, axis=1)
        cw = np.cumsum(wo, axis=1)
        cw -= 0.5 * wo
        inner = np.einsum("ij,ij->i", wg, cw)
    else:  # one task per group: G_k = w_k gain_k, so the sum is a matrix-vector product
        cw = np.cumsum(wo, axis=1)
        cw -= 0.5 * wo
        cw *= wo
        inner = cw @ gain
    # n^2 x area = n x (total gain) - sum_k G_k (CW_k - W_k / 2)
    area = (n * total_gain - inner) / (n * n)
    span = total_gain / n
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(span > 0, area / span, np.nan)
    return np.asarray(out, dtype=np.float64)
