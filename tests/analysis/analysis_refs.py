"""Slow, obviously correct reference implementations of the metrics, as plain loops."""

from __future__ import annotations

from itertools import pairwise

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
