"""The metric definitions, as plain functions over numpy arrays.

Each function implements one definition of docs/offline-evaluation.md exactly;
``toolkit.analysis.evaluate`` assembles them. Tests check each against a slow plain-loop reference.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class ThresholdCurve:
    """The threshold curve of a two-executor router on a set of tasks.

    Point ``i`` routes the tasks with router score >= ``thresholds[i]`` to the strong executor:
    a share ``c[i]`` of the tasks, giving mean quality ``q[i]``. Point 0 is ``c = 0``
    (threshold +inf: everything to the weak executor); the last point is ``c = 1``.
    """

    c: FloatArray
    q: FloatArray
    thresholds: FloatArray

    @property
    def q_weak(self) -> float:
        """Quality with every task on the weak executor."""
        return float(self.q[0])

    @property
    def q_strong(self) -> float:
        """Quality with every task on the strong executor."""
        return float(self.q[-1])

    def pgr(self) -> FloatArray | None:
        """PGR at every point, or None when q_strong <= q_weak (PGR undefined)."""
        return pgr(self.q, self.q_weak, self.q_strong)

    def apgr(self) -> float | None:
        """The trapezoid integral of PGR over c in [0, 1]; None when q_strong <= q_weak."""
        g = self.pgr()
        return None if g is None else trapezoid(g, self.c)

    def cpt(self, x: float) -> float | None:
        """The smallest strong share at which PGR first reaches ``x`` (linear interpolation)."""
        g = self.pgr()
        return None if g is None else cpt(self.c, g, x)


def tie_group_ends(sorted_scores: FloatArray) -> IntArray:
    """Last index of each run of equal values in a sorted array."""
    n = len(sorted_scores)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    ends = np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1])
    return np.append(ends, n - 1).astype(np.intp)


def descending_order(router_score: FloatArray) -> IntArray:
    """Task order by router score, descending."""
    if np.isnan(router_score).any():
        raise ValueError("router scores contain NaN")
    order: IntArray = np.argsort(-router_score, kind="stable")
    return order


def threshold_curve(
    strong: FloatArray, weak: FloatArray, router_score: FloatArray
) -> ThresholdCurve:
    """Sort the tasks by router score once, descending; tied scores form one step.

    ``strong`` and ``weak`` are the per-task scores of the two executors. Routing the top k
    to the strong executor gives the point (k/n, q) at every distinct threshold, plus c = 0.

    The (score, gain) pairs are sorted together as complex numbers (real part -score,
    imaginary part strong - weak), so one contiguous sort replaces an argsort and its
    random-access gathers; the order inside a tie group does not matter.
    """
    n = len(router_score)
    if n == 0:
        raise ValueError("threshold curve of zero tasks")
    z = np.empty(n, dtype=np.complex128)
    np.negative(router_score, out=z.real)
    np.subtract(strong, weak, out=z.imag)
    z.sort()
    neg = z.real
    if np.isnan(neg[-1]):  # NaN sorts last
        raise ValueError("router scores contain NaN")
    ends = tie_group_ends(neg)
    gain = np.cumsum(z.imag)
    q_weak = float(weak.mean())
    c = np.empty(len(ends) + 1)
    q = np.empty(len(ends) + 1)
    c[0], q[0] = 0.0, q_weak
    np.divide(ends + 1, n, out=c[1:])
    np.add(q_weak, gain[ends] / n, out=q[1:])
    thresholds = np.empty(len(ends) + 1)
    thresholds[0] = np.inf
    np.negative(neg[ends], out=thresholds[1:])
    return ThresholdCurve(c=c, q=q, thresholds=thresholds)


def pgr(q: FloatArray, q_weak: float, q_strong: float) -> FloatArray | None:
    """PGR = (q - q_weak) / (q_strong - q_weak); None when q_strong <= q_weak."""
    if not q_strong > q_weak:
        return None
    result: FloatArray = (q - q_weak) / (q_strong - q_weak)
    return result


def trapezoid(y: FloatArray, x: FloatArray) -> float:
    """The trapezoid rule (numpy's name for it moved between versions)."""
    if len(x) < 2:
        return 0.0
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def cpt(c: FloatArray, g: FloatArray, x: float) -> float | None:
    """The smallest c at which PGR ``g`` first reaches ``x``, interpolating linearly between
    adjacent points; None when it never does."""
    hit = np.flatnonzero(g >= x)
    if len(hit) == 0:
        return None
    i = int(hit[0])
    if i == 0:
        return float(c[0])
    c0, c1, g0, g1 = float(c[i - 1]), float(c[i]), float(g[i - 1]), float(g[i])
    return c0 + (x - g0) * (c1 - c0) / (g1 - g0)


# ----- hulls, frontier, AIQ -----


def upper_hull(cost: FloatArray, quality: FloatArray) -> IntArray:
    """Indices of the vertices of the non-decreasing convex hull of (cost, quality) points.

    The hull starts at the cheapest point (the best of equally cheap ones), follows the upper
    convex hull (collinear points are not vertices), and stops at the best point (the cheapest
    of equally good ones). Vertices are returned in increasing cost.
    """
    k = len(cost)
    if k == 0:
        return np.zeros(0, dtype=np.intp)
    order = np.lexsort((-quality, cost))  # cost ascending, then quality descending
    hull: list[int] = []
    last_cost = np.nan
    for i in order:
        if cost[i] == last_cost:
            continue  # a dearer-or-equal point at the same cost: the first was the best
        last_cost = cost[i]
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            cross = (cost[b] - cost[a]) * (quality[i] - quality[a]) - (quality[b] - quality[a]) * (
                cost[i] - cost[a]
            )
            if cross >= 0:  # b is on or below the segment a -> i
                hull.pop()
            else:
                break
        hull.append(int(i))
    best = max(range(len(hull)), key=lambda j: (quality[hull[j]], -j))
    return np.asarray(hull[: best + 1], dtype=np.intp)


def hull_integral(hx: FloatArray, hy: FloatArray, lo: float, hi: float) -> float:
    """The integral over [lo, hi] of the hull function with vertices (hx, hy).

    The function is 0 below its cheapest vertex, linear between vertices, and flat above its
    most expensive vertex.
    """
    if hi <= lo:
        return 0.0
    knots = np.unique(np.concatenate([[lo, hi], hx[(hx > lo) & (hx < hi)]]))
    total = 0.0
    x0 = float(hx[0])
    for a, b in itertools.pairwise(knots):
        if b <= x0:
            continue  # the hull is 0 left of its first vertex
        ya = float(np.interp(a, hx, hy))
        yb = float(np.interp(b, hx, hy))
        total += (b - a) * (ya + yb) / 2.0
    return total


def aiq(cost: FloatArray, quality: FloatArray, c_min: float, c_max: float) -> float | None:
    """AIQ = (1 / (c_max - c_min)) x the integral of the family's hull over [c_min, c_max].

    None when c_max <= c_min (all single executors cost the same).
    """
    if not c_max > c_min or len(cost) == 0:
        return None
    idx = upper_hull(cost, quality)
    return hull_integral(cost[idx], quality[idx], c_min, c_max) / (c_max - c_min)


AIQ_MEANS = (
    "AIQ (RouterBench): the area under each family's non-decreasing convex hull of (test cost, "
    "test quality), from its cheapest setting and flat beyond its best, up to the largest hull "
    "cost among the families compared, divided by that cost: the mean quality over the cost "
    "range, higher is better"
)


def hull_area_aiq(
    families: Mapping[str, tuple[FloatArray, FloatArray]],
) -> dict[str, float | None]:
    """RouterBench's AIQ of each family of (cost, quality) settings, compared together.

    Each family's non-decreasing convex hull (:func:`upper_hull`) starts at its cheapest point;
    it is extended flat to ``x_max``, the largest hull cost across the families, and AIQ is its
    area from the cheapest point to ``x_max`` divided by ``x_max`` (RouterBench's
    ``calc_AIQ``). A family of one or two distinct points is a flat line from its cheapest point at
    that point's quality (RouterBench's hull needs three). None when ``x_max`` is not > 0.
    """
    hulls: dict[str, tuple[FloatArray, FloatArray]] = {}
    for name, (cost, quality) in families.items():
        if len(cost) == 0:
            continue
        if len(set(zip(cost.tolist(), quality.tolist(), strict=True))) <= 2:
            i = int(np.lexsort((-quality, cost))[0])
            hulls[name] = (cost[[i]], quality[[i]])
        else:
            idx = upper_hull(cost, quality)
            hulls[name] = (cost[idx], quality[idx])
    x_max = max((float(hx[-1]) for hx, _ in hulls.values()), default=float("nan"))
    out: dict[str, float | None] = {name: None for name in families}
    if not x_max > 0:
        return out
    for name, (hx, hy) in hulls.items():
        x = np.append(hx, x_max)
        y = np.append(hy, hy[-1])
        out[name] = trapezoid(y, x) / x_max
    return out


# ----- parity -----


def parity_choice(
    train_cost: FloatArray, train_quality: FloatArray, target_quality: float
) -> int | None:
    """The cheapest setting (on train) whose train quality is >= the target; ties in cost go
    to the higher train quality. None when no setting gets there."""
    ok = np.flatnonzero(train_quality >= target_quality)
    if len(ok) == 0:
        return None
    best = min(ok, key=lambda i: (train_cost[i], -train_quality[i], i))
    return int(best)


# ----- tests and intervals -----


def paired_t_pvalues(scores: FloatArray, reference: FloatArray) -> FloatArray:
    """Two-sided paired t-test of each column of ``scores`` against ``reference``, per task.

    p = 1 when every difference is 0, and p = 0 when every difference is the same nonzero
    value. NaN with fewer than 2 tasks.
    """
    from scipy import stats  # type: ignore[import-untyped,unused-ignore]

    n = scores.shape[0]
    d = scores - reference[:, None]
    out = np.full(scores.shape[1], np.nan)
    if n < 2:
        return out
    mean = d.mean(axis=0)
    sd = d.std(axis=0, ddof=1)
    # Differences equal up to rounding count as constant.
    tiny = 1e-12 * np.maximum(1.0, np.abs(d).max(axis=0))
    const = sd <= tiny
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / (sd / np.sqrt(n))
    p = 2.0 * stats.t.sf(np.abs(t), df=n - 1)
    out = np.where(const, np.where(np.abs(mean) <= tiny, 1.0, 0.0), p)
    return np.asarray(out, dtype=np.float64)


def percentile_ci(boot: FloatArray, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Percentile bootstrap interval per column (NaN resamples ignored; NaN if none left)."""
    lo_q, hi_q = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    finite = np.isfinite(boot)
    lo = np.full(boot.shape[1], np.nan)
    hi = np.full(boot.shape[1], np.nan)
    if finite.all():
        lo, hi = np.percentile(boot, [lo_q, hi_q], axis=0)
        return np.asarray(lo), np.asarray(hi)
    for j in range(boot.shape[1]):
        col = boot[finite[:, j], j]
        if len(col):
            lo[j], hi[j] = np.percentile(col, [lo_q, hi_q])
    return lo, hi


def percentiles(values: FloatArray, qs: Sequence[float]) -> list[float | None]:
    """Percentiles of per-task values (linear interpolation); None when any value is unknown."""
    if len(values) == 0 or not np.isfinite(values).all():
        return [None] * len(qs)
    return [float(v) for v in np.percentile(values, list(qs))]


def short_between(lo: float, hi: float) -> float:
    """A number v with lo < v <= hi and as few significant digits as can be (``hi`` itself
    when none shorter fits); ``lo`` may be -inf and ``hi`` inf, not both."""
    if lo >= hi:
        return hi
    ref = max(abs(x) for x in (lo, hi) if math.isfinite(x))
    top = math.floor(math.log10(ref)) if ref > 0 else 0
    for digits in range(1, 18):
        step = 10.0 ** (top - digits + 1)
        if math.isfinite(hi):
            v = math.floor(hi / step) * step
        else:
            v = (math.floor(lo / step) + 1) * step
        v = float(f"{v:.{digits}g}")
        if lo < v <= hi:
            return v
    return hi


def inside(lo: float, hi: float) -> float:
    """:func:`short_between` of the middle half of (lo, hi] when both are finite, so the
    value keeps clear of both ends (float rounding of a refitted signal cannot cross it)."""
    if math.isfinite(lo) and math.isfinite(hi) and hi > lo:
        gap = (hi - lo) / 4.0
        return short_between(lo + gap, hi - gap)
    return short_between(lo, hi)
