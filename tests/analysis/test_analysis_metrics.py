"""The metric definitions: a hand-computed 6-task example, and agreement with slow plain-loop
reference implementations on many synthetic fixtures."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_refs import ref_aiq, ref_apgr, ref_cpt, ref_curve, ref_hull, ref_parity

from toolkit.analysis import (
    aiq,
    cpt,
    hull_integral,
    paired_t_pvalues,
    parity_choice,
    threshold_curve,
    upper_hull,
)
from toolkit.analysis._bootstrap import CurveInput, paired_bootstrap, resample_counts

# ----------------------------------------------------------------------------------------
# The hand-computed 6-task example.
#
#   task  weak  strong  router score   gain = strong - weak
#   t1     1      1        0.9              0
#   t2     0      1        0.8              1
#   t3     0      1        0.8  (tie)       1
#   t4     1      0        0.5             -1
#   t5     0      0        0.3              0
#   t6     0      1        0.1              1
#
# q_weak = 2/6 = 1/3, q_strong = 4/6 = 2/3.
# Sorted by router score, descending; t2 and t3 tie and form one step:
#   c = 0    q = 1/3                        PGR = (q - 1/3) / (1/3) = 0
#   c = 1/6  (t1)        q = 1/3            PGR = 0
#   c = 3/6  (+t2, t3)   q = 1/3 + 2/6 = 2/3  PGR = 1
#   c = 4/6  (+t4)       q = 2/3 - 1/6 = 1/2  PGR = 0.5
#   c = 5/6  (+t5)       q = 1/2            PGR = 0.5
#   c = 1    (+t6)       q = 2/3            PGR = 1
# APGR (trapezoids): [0,1/6]: 0; [1/6,1/2]: (0+1)/2 * 1/3 = 1/6; [1/2,2/3]: (1+.5)/2 * 1/6 = 1/8;
#   [2/3,5/6]: (.5+.5)/2 * 1/6 = 1/12; [5/6,1]: (.5+1)/2 * 1/6 = 1/8. Sum = 12/24 = 0.5.
# CPT(0.5): PGR first reaches 0.5 between c=1/6 (PGR 0) and c=1/2 (PGR 1):
#   1/6 + 0.5 * (1/2 - 1/6) = 1/3.   CPT(0.8) = 1/6 + 0.8 * 1/3 = 13/30.
# ----------------------------------------------------------------------------------------

WEAK = np.array([1, 0, 0, 1, 0, 0], dtype=float)
STRONG = np.array([1, 1, 1, 0, 0, 1], dtype=float)
ROUTER = np.array([0.9, 0.8, 0.8, 0.5, 0.3, 0.1])


def test_hand_example_threshold_curve() -> None:
    curve = threshold_curve(STRONG, WEAK, ROUTER)
    np.testing.assert_allclose(curve.c, [0, 1 / 6, 3 / 6, 4 / 6, 5 / 6, 1], atol=1e-15)
    np.testing.assert_allclose(curve.q, [1 / 3, 1 / 3, 2 / 3, 1 / 2, 1 / 2, 2 / 3], atol=1e-15)
    assert curve.thresholds[0] == np.inf
    np.testing.assert_array_equal(curve.thresholds[1:], [0.9, 0.8, 0.5, 0.3, 0.1])
    g = curve.pgr()
    assert g is not None
    np.testing.assert_allclose(g, [0, 0, 1, 0.5, 0.5, 1], atol=1e-12)
    assert curve.apgr() == pytest.approx(0.5, abs=1e-12)
    assert curve.cpt(0.5) == pytest.approx(1 / 3, abs=1e-12)
    assert curve.cpt(0.8) == pytest.approx(13 / 30, abs=1e-12)
    # PGR never reaches 1.5, and APGR is undefined when strong is not better than weak.
    assert curve.cpt(1.5) is None
    assert threshold_curve(WEAK, STRONG, ROUTER).apgr() is None


# Costs for the same 6 tasks: weak 0.1 and strong 1.0 a task. Routing the top k costs
# k * 1.0 + (6 - k) * 0.1 in total:
#   k=0: 0.6 (q 1/3)  k=1: 1.5 (1/3)  k=3: 3.3 (2/3)  k=4: 4.2 (1/2)  k=5: 5.1 (1/2)  k=6: 6.0 (2/3)
# Frontier of {these router points, weak (0.6, 1/3), strong (6.0, 2/3)}: it starts at the
# cheapest point (0.6, 1/3) and the best point is (3.3, 2/3) (cheapest of the q=2/3 ones);
# (1.5, 1/3) lies below the segment, so the frontier is [(0.6, 1/3), (3.3, 2/3)].
# AIQ with c_min = 0.6 (weak) and c_max = 6.0 (strong):
#   router hull: linear 1/3 -> 2/3 over [0.6, 3.3]: 2.7 * 0.5 = 1.35; flat 2/3 over [3.3, 6]: 1.8;
#   (1.35 + 1.8) / 5.4 = 7/12.
#   singles hull: linear over [0.6, 6]: 5.4 * 0.5 / 5.4 = 1/2.
#   a lone point (3.3, 5/6) (the oracle here): 0 below 3.3, then 5/6: 2.7 * 5/6 / 5.4 = 5/12.
ROUTER_COST = np.array([0.6, 1.5, 3.3, 4.2, 5.1, 6.0])
ROUTER_Q = np.array([1 / 3, 1 / 3, 2 / 3, 1 / 2, 1 / 2, 2 / 3])


def test_hand_example_frontier_aiq_parity() -> None:
    cost = np.concatenate([ROUTER_COST, [0.6, 6.0]])
    q = np.concatenate([ROUTER_Q, [1 / 3, 2 / 3]])
    idx = upper_hull(cost, q)
    np.testing.assert_allclose(cost[idx], [0.6, 3.3])
    np.testing.assert_allclose(q[idx], [1 / 3, 2 / 3])
    assert aiq(ROUTER_COST, ROUTER_Q, 0.6, 6.0) == pytest.approx(7 / 12, abs=1e-12)
    assert aiq(np.array([0.6, 6.0]), np.array([1 / 3, 2 / 3]), 0.6, 6.0) == pytest.approx(
        0.5, abs=1e-12
    )
    assert aiq(np.array([3.3]), np.array([5 / 6]), 0.6, 6.0) == pytest.approx(5 / 12, abs=1e-12)
    assert aiq(ROUTER_COST, ROUTER_Q, 1.0, 1.0) is None
    # Parity: target = single_best's train quality 2/3; the settings reaching it cost 3.3
    # (k=3) and 6.0 (k=6): the cheaper, k=3, is chosen. Its cost ratio is 3.3 / 6.0 = 0.55.
    assert parity_choice(ROUTER_COST, ROUTER_Q, 2 / 3) == 2
    assert ROUTER_COST[2] / 6.0 == pytest.approx(0.55)
    # Ties in train cost go to the higher train quality; nothing reaching it gives None.
    assert parity_choice(np.array([1.0, 1.0, 2.0]), np.array([0.7, 0.8, 0.9]), 0.7) == 1
    assert parity_choice(ROUTER_COST, ROUTER_Q, 0.9) is None


def test_hand_example_paired_t_test() -> None:
    # weak - strong per task: d = [0, -1, -1, 1, 0, -1]; mean -1/3; sum of squared deviations
    # 2/9 + 12/9 + 16/9 = 10/3, variance (10/3)/5 = 2/3, standard error sqrt(2/3)/sqrt(6) = 1/3,
    # so t = -1 with 5 degrees of freedom: p = 2 * P(T5 > 1).
    from scipy import stats

    p = paired_t_pvalues(WEAK[:, None], STRONG)
    assert p[0] == pytest.approx(2 * stats.t.sf(1.0, 5), abs=1e-12)
    assert p[0] == pytest.approx(stats.ttest_rel(WEAK, STRONG).pvalue, abs=1e-12)
    # Identical to the reference: p = 1.
    assert paired_t_pvalues(STRONG[:, None], STRONG)[0] == 1.0


@pytest.mark.parametrize("seed", range(12))
def test_curve_apgr_cpt_agree_with_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 80))
    graded = seed % 2 == 0
    strong = rng.random(n) if graded else (rng.random(n) < 0.7).astype(float)
    weak = rng.random(n) * 0.8 if graded else (rng.random(n) < 0.4).astype(float)
    router = np.round(rng.random(n), 1)  # rounding makes many ties
    curve = threshold_curve(strong, weak, router)
    cs, qs = ref_curve(strong.tolist(), weak.tolist(), router.tolist())
    np.testing.assert_allclose(curve.c, cs, atol=1e-12)
    np.testing.assert_allclose(curve.q, qs, atol=1e-12)
    expect = ref_apgr(cs, qs)
    got = curve.apgr()
    if expect is None:
        assert got is None
    else:
        assert got == pytest.approx(expect, abs=1e-9)
        for x in (0.2, 0.5, 0.8, 0.95):
            e, g = ref_cpt(cs, qs, x), curve.cpt(x)
            assert (e is None and g is None) or g == pytest.approx(e, abs=1e-9)


@pytest.mark.parametrize("seed", range(15))
def test_frontier_aiq_parity_agree_with_reference(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    k = int(rng.integers(1, 40))
    cost = np.round(rng.random(k) * 10, 1)  # duplicates of cost happen
    q = np.round(rng.random(k), 2)
    idx = upper_hull(cost, q)
    pts = list(zip(cost.tolist(), q.tolist(), strict=True))
    ref = ref_hull(pts)
    np.testing.assert_allclose(np.column_stack([cost[idx], q[idx]]), np.array(ref), atol=1e-9)
    c_min, c_max = float(rng.random() * 3), float(3 + rng.random() * 8)
    got, expect = aiq(cost, q, c_min, c_max), ref_aiq(pts, c_min, c_max)
    assert got == pytest.approx(expect, abs=1e-9)
    assert hull_integral(cost[idx], q[idx], c_min, c_max) == pytest.approx(
        expect * (c_max - c_min), abs=1e-9
    )
    target = float(rng.random())
    assert parity_choice(cost, q, target) == ref_parity(cost.tolist(), q.tolist(), target)


def test_random_router_apgr_is_half_on_large_synthetic_matrix() -> None:
    """SYNTHETIC: 200,000 tasks; a router that ignores the task gets APGR about 0.5."""
    rng = np.random.default_rng(7)
    n = 200_000
    strong = (rng.random(n) < 0.8).astype(float)
    weak = (rng.random(n) < 0.5).astype(float)
    apgr = threshold_curve(strong, weak, rng.random(n)).apgr()
    assert apgr is not None and abs(apgr - 0.5) < 0.05


@pytest.mark.parametrize("ties", [True, False])
def test_bootstrap_counts_and_apgr_match_explicit_resamples(ties: bool) -> None:
    """Each bootstrap replicate equals the statistic recomputed on the resampled tasks."""
    rng = np.random.default_rng(3)
    n = 40
    strong = (rng.random(n) < 0.8).astype(float)
    weak = (rng.random(n) < 0.4).astype(float)
    router = np.round(rng.random(n), 1) if ties else rng.random(n)
    cols = np.column_stack([strong, weak])
    res = paired_bootstrap({"s": cols}, [CurveInput(strong, weak, router)], n_boot=30, seed=11)
    counts = np.vstack(list(resample_counts(n, 30, 11)))
    assert counts.shape == (30, n) and (counts.sum(axis=1) == n).all()
    for b in range(30):
        idx = np.repeat(np.arange(n), counts[b].astype(int))  # the resampled tasks
        np.testing.assert_allclose(res.means["s"][b], cols[idx].mean(axis=0), atol=1e-12)
        expect = threshold_curve(strong[idx], weak[idx], router[idx]).apgr()
        if expect is None:
            assert np.isnan(res.apgr[b, 0])
        else:
            assert res.apgr[b, 0] == pytest.approx(expect, abs=1e-9)
    # Same seed, same resamples; another seed, others.
    again = paired_bootstrap({"s": cols}, [], n_boot=30, seed=11)
    np.testing.assert_array_equal(again.means["s"], res.means["s"])
    other = paired_bootstrap({"s": cols}, [], n_boot=30, seed=12)
    assert not np.array_equal(other.means["s"], res.means["s"])


def test_cpt_interpolates_between_points() -> None:
    c = np.array([0.0, 0.5, 1.0])
    g = np.array([0.0, 0.4, 1.0])
    # 0.5 is reached between (0.5, 0.4) and (1.0, 1.0): 0.5 + 0.1 / 0.6 * 0.5
    assert cpt(c, g, 0.5) == pytest.approx(0.5 + 0.1 / 0.6 * 0.5)
    assert cpt(c, g, 0.0) == 0.0
