"""Slow, obviously correct reference implementations of the metrics, as plain loops."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

# ----------------------------------------------------------------------------------------
# Slow, obviously correct references, written as plain loops.
# ----------------------------------------------------------------------------------------


def ref_curve(
    strong: list[float], weak: list[float], r: list[float]
) -> tuple[list[float], list[float]]:
    n = len(r)
    cs, qs = [0.0], [sum(weak) / n]
    for t in sorted(set(r), reverse=True):
        k = 0
        total = 0.0
        for i in range(n):
            if r[i] >= t:
                k += 1
                total += strong[i]
            else:
                total += weak[i]
        cs.append(k / n)
        qs.append(total / n)
    return cs, qs


def ref_apgr(cs: list[float], qs: list[float]) -> float | None:
    qw, qs_ = qs[0], qs[-1]
    if not qs_ > qw:
        return None
    area = 0.0
    for i in range(1, len(cs)):
        g0 = (qs[i - 1] - qw) / (qs_ - qw)
        g1 = (qs[i] - qw) / (qs_ - qw)
        area += (cs[i] - cs[i - 1]) * (g0 + g1) / 2
    return area


def ref_cpt(cs: list[float], qs: list[float], x: float) -> float | None:
    qw, qs_ = qs[0], qs[-1]
    if not qs_ > qw:
        return None
    g = [(q - qw) / (qs_ - qw) for q in qs]
    for i in range(len(g)):
        if g[i] >= x:
            if i == 0:
                return cs[0]
            return cs[i - 1] + (x - g[i - 1]) * (cs[i] - cs[i - 1]) / (g[i] - g[i - 1])
    return None


def ref_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Gift wrapping: from the cheapest (best of equally cheap) point, repeatedly step to the
    point to the right with the steepest rising slope (the farthest on ties)."""
    start = min(points, key=lambda p: (p[0], -p[1]))
    hull = [start]
    while True:
        cx, cy = hull[-1]
        best = None
        best_slope = 0.0
        for x, y in points:
            if x > cx and y > cy:
                slope = (y - cy) / (x - cx)
                if (
                    best is None
                    or slope > best_slope + 1e-15
                    or (abs(slope - best_slope) <= 1e-15 and x > best[0])
                ):
                    best, best_slope = (x, y), slope
        if best is None:
            return hull
        hull.append(best)


def ref_aiq(points: list[tuple[float, float]], c_min: float, c_max: float) -> float | None:
    if not c_max > c_min:
        return None
    hull = ref_hull(points)
    area = 0.0
    for (x1, y1), (x2, y2) in pairwise(hull):
        a, b = max(x1, c_min), min(x2, c_max)
        if a < b:
            ya = y1 + (y2 - y1) * (a - x1) / (x2 - x1)
            yb = y1 + (y2 - y1) * (b - x1) / (x2 - x1)
            area += (b - a) * (ya + yb) / 2
    xl, yl = hull[-1]
    a = max(xl, c_min)
    if a < c_max:
        area += (c_max - a) * yl
    return area / (c_max - c_min)


def ref_parity(train_cost: list[float], train_q: list[float], target: float) -> int | None:
    best = None
    for i in range(len(train_cost)):
        if train_q[i] < target:
            continue
        if (
            best is None
            or train_cost[i] < train_cost[best]
            or (train_cost[i] == train_cost[best] and train_q[i] > train_q[best])
        ):
            best = i
    return best


# ----- a port of RouterBench's AIQ (withmartian/routerbench, evaluation/AIQ.py) -----
# The same steps as its get_non_descreasing_convex_hull_of and calc_AIQ, without pandas and
# plotting: for every pair of points, each point strictly between them takes the larger of
# its own quality and the chord's (the largest seen wins); the ends are added; points below
# their predecessor are dropped; every hull is extended flat to the largest hull cost; AIQ is
# the trapezoid area divided by that cost.


def routerbench_hull(points: np.ndarray) -> np.ndarray:
    pts = points[points[:, 0].argsort()]
    found: dict[float, float] = {}
    order: list[float] = []

    def raise_to(x: float, y: float) -> None:
        if x not in found:
            found[x] = y
            order.append(x)
        elif found[x] < y:
            found[x] = y

    n = len(pts)
    for i in range(n):
        for j in range(i, n):
            x1, y1 = pts[i]
            x2, y2 = pts[j]
            for k in range(n):
                x, y = pts[k]
                if x1 < x < x2:
                    chord = float(np.interp(x, [x1, x2], [y1, y2]))
                    raise_to(float(x), max(float(y), chord))
    hull = [[x, found[x]] for x in order]
    if pts[-1][0] not in found and pts[-1][1] >= hull[-1][1]:
        hull.append([float(pts[-1][0]), float(pts[-1][1])])
    if pts[0][0] not in found:
        hull = [[float(pts[0][0]), float(pts[0][1])], *hull]
    arr = np.array(hull)
    arr = arr[arr[:, 0].argsort()]
    drop = [i for i in range(1, len(arr)) if arr[i][1] < arr[i - 1][1]]
    result: np.ndarray = np.delete(arr, drop, axis=0)
    return result


def routerbench_aiq(families: list[np.ndarray]) -> list[float]:
    hulls = [routerbench_hull(p) for p in families]
    x_max = max(float(np.max(h[:, 0])) for h in hulls)
    out = []
    for h in hulls:
        ext = np.vstack((h, np.array([x_max, h[-1, 1]])))
        x, y = ext[:, 0], ext[:, 1]
        out.append(float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0)) / x_max)
    return out
