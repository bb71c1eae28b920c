"""The paired percentile bootstrap over test tasks, vectorised over resamples.

A resample is a row of multinomial counts ``W[b, i]`` (how often task i was drawn), so the
mean of any per-task column over every resample is one matrix product ``W @ X / n``. Every
statistic of one evaluation uses the same resamples (paired across strategies). Resamples are
made in chunks, each from ``default_rng([seed, chunk])``, to bound memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from toolkit.analysis._metrics import tie_group_ends

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

CHUNK_CELLS = 4_000_000  # resample cells per chunk (about 32 MB of float64 counts)
BLOCK_CELLS = 400_000  # resample cells per block of the APGR sums (kept in the CPU cache)


def _count_chunks(n: int, n_boot: int, seed: int) -> Iterator[npt.NDArray[np.int64]]:
    """Chunks of bootstrap count rows as integers, shape (b, n), fixed for a given seed."""
    if n <= 0 or n_boot <= 0:
        return
    per = max(1, min(n_boot, CHUNK_CELLS // n))
    done, chunk = 0, 0
    while done < n_boot:
        b = min(per, n_boot - done)
        rng = np.random.default_rng([seed, chunk])
        idx = rng.integers(0, n, size=(b, n))
        idx += (np.arange(b) * n)[:, None]
        yield np.bincount(idx.ravel(), minlength=b * n).reshape(b, n)
        done += b
        chunk += 1


def resample_counts(n: int, n_boot: int, seed: int) -> Iterator[FloatArray]:
    """Chunks of bootstrap count rows, shape (b, n), in a fixed order for a given seed."""
    for counts in _count_chunks(n, n_boot, seed):
        yield counts.astype(np.float64)


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


@dataclass(eq=False)
class _Prepared:
    """A curve's tasks in descending router-score order, with its tie groups."""

    order: IntArray
    ends: IntArray  # last sorted position of each tie group
    gain: FloatArray  # strong - weak, in sorted order
    diff: FloatArray  # strong - weak, in task order
    # the gains as integers when each is -1, 0 or 1 (0/1 scores) and sums of n^2 of them
    # are exact in floating point: the sums are then done in integers, to the same values
    int_gain: npt.NDArray[np.int8] | None

    @classmethod
    def make(cls, cv: CurveInput) -> _Prepared:
        order = np.argsort(-cv.router_score, kind="stable")
        ends = tie_group_ends(cv.router_score[order])
        diff = cv.strong - cv.weak
        gain = diff[order]
        n = len(gain)
        unit = bool(np.all((gain == -1.0) | (gain == 0.0) | (gain == 1.0)))
        int_gain = gain.astype(np.int8) if unit and n * n < 2**52 else None
        return cls(order, ends, gain, diff, int_gain)


@dataclass(eq=False)
class _Counts:
    """One chunk of resamples: float counts for products, small integers for the rest."""

    w: FloatArray
    small: npt.NDArray[np.integer[Any]]  # the same counts, in the smallest type holding them
    wide: type[np.signedinteger[Any]]  # an integer type that holds 2 n x (largest count)

    @classmethod
    def make(cls, counts: npt.NDArray[np.int64], n: int) -> _Counts:
        top = int(counts.max()) if counts.size else 0
        small: npt.NDArray[np.integer[Any]] = counts
        for dtype in (np.uint8, np.uint16, np.uint32):
            if top <= np.iinfo(dtype).max:
                small = counts.astype(dtype)
                break
        wide: type[np.signedinteger[Any]] = np.int32 if 2 * n * top < 2**31 else np.int64
        return cls(counts.astype(np.float64), small, wide)


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
    prepared = [_Prepared.make(cv) for cv in curves]
    # the total gains of the curves with integer gains, in one product (exact sums, so the
    # same values as one product per curve)
    exact = [j for j, cv in enumerate(prepared) if cv.int_gain is not None]
    diffs = np.column_stack([prepared[j].diff for j in exact]) if exact else None
    row = 0
    for counts in _count_chunks(n, n_boot, seed):
        b = counts.shape[0]
        chunk = _Counts.make(counts, n)
        for k, v in columns.items():
            means[k][row : row + b] = (chunk.w @ v) / n
        totals = chunk.w @ diffs if diffs is not None else None
        for j, cv in enumerate(prepared):
            total = totals[:, exact.index(j)] if totals is not None and j in exact else None
            apgr[row : row + b, j] = _apgr_rows(chunk, cv, n, total)
        row += b
    return BootResult(means=means, apgr=apgr)


def _apgr_rows(
    chunk: _Counts, cv: _Prepared, n: int, total: FloatArray | None = None
) -> FloatArray:
    """APGR of the threshold curve on each resample (rows of counts ``chunk``).

    In a resample the curve's points stay at the same tie groups. With W_k the count of tie
    group k and G_k its summed gain (strong - weak), the point after group k is
    c_k = CW_k / n and q_k - q_weak = CG_k / n (C: cumulative sums), so the trapezoid area is
    (1/n^2) sum_k W_k (CG_{k-1} + G_k / 2) = (1/n^2) [n sum_k G_k - sum_k G_k (CW_k - W_k / 2)],
    which needs one cumulative sum. Groups not drawn add zero-width steps. ``total``: the
    total gain of each resample, when already known.
    """
    b = chunk.w.shape[0]
    total_gain = chunk.w @ cv.diff if total is None else total  # sum of gains, in any order
    inner = np.empty(b)
    # blocks of rows only for integer gains: floating-point sums (einsum, BLAS) may take
    # another order on fewer rows, and their last bits must not change
    step = max(1, BLOCK_CELLS // max(1, n)) if cv.int_gain is not None else max(1, b)
    for lo in range(0, b, step):
        rows = slice(lo, min(b, lo + step))
        inner[rows] = _apgr_inner(chunk, rows, cv)
    # n^2 x area = n x (total gain) - sum_k G_k (CW_k - W_k / 2)
    area = (n * total_gain - inner) / (n * n)
    span = total_gain / n
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(span > 0, area / span, np.nan)
    return np.asarray(out, dtype=np.float64)


def _apgr_inner(chunk: _Counts, rows: slice, cv: _Prepared) -> FloatArray:
    """sum_k G_k (CW_k - W_k / 2) for some rows of a chunk of resamples.

    Speed, with the same values as plain floating-point sums: the counts are gathered into
    curve order and summed as small integers (exact), in blocks of rows that stay in the CPU
    cache, with ``np.take``, which keeps C order (fancy indexing along axis 1 gives F order,
    and a running sum along its rows is then an order of magnitude slower). With gains of
    -1, 0 or 1 every sum is an integer, done in integers; other gains are multiplied in
    floating point, in the memory order the plain version used, so they sum in the same order.
    """
    ends, g = cv.ends, cv.int_gain
    wo = np.take(chunk.small[rows], cv.order, axis=1)
    cw = np.cumsum(wo, axis=1, dtype=chunk.wide)  # running counts CW, exact
    if len(ends) < len(cv.order):  # ties: sum each tie group
        starts = np.concatenate([[0], ends[:-1] + 1])
        if g is not None:
            wg = np.add.reduceat(wo * g, starts, axis=1, dtype=np.int64).astype(np.float64)
        else:
            wg = np.add.reduceat(wo * cv.gain, starts, axis=1)
        group_cw = np.ascontiguousarray(cw[:, ends])  # CW at the end of each group
        group_w = np.diff(group_cw, axis=1, prepend=0)
        # C order, as einsum's summation order (its last bits) follows the memory layout
        inner = np.einsum("ij,ij->i", wg, np.ascontiguousarray(group_cw - 0.5 * group_w))
    else:  # one task per group: G_k = w_k gain_k, so the sum is a matrix-vector product
        # w_k (CW_k - w_k / 2) = w_k (2 CW_k - w_k) / 2, with the integer part exact
        cw *= 2
        cw -= wo
        cw *= wo
        if g is not None:
            cw *= g
            inner = cw.sum(axis=1, dtype=np.int64).astype(np.float64) * 0.5
        else:
            # F order, as ``w[:, order]`` had: the product then sums in the same order
            inner = (cw.astype(np.float64, order="F") @ cv.gain) * 0.5
    result: FloatArray = inner
    return result


#: Below this many test tasks the bootstrap intervals and p-values come with a caveat.
SMALL_SAMPLE = 30


def small_sample_caveat(n_test: int) -> str | None:
    """A plain warning when ``n_test`` is too few tasks to trust the intervals, else None."""
    if n_test >= SMALL_SAMPLE:
        return None
    return (
        f"Only {n_test} test tasks: the 95% intervals and p-values are rough at this size (a "
        f"percentile bootstrap wants about {SMALL_SAMPLE} tasks or more); record more tasks "
        "before deciding."
    )
