"""Statistics against SciPy's reference implementations."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import optimize, stats

from analysis.trends.keywords import finish_share
from analysis.trends.stats import (
    bh_qvalues,
    chi2_sf_1,
    g2_two_by_two,
    logistic_trend,
    wilson,
    wilson_arrays,
)

CASES = [(0, 1), (1, 1), (0, 20), (3, 20), (19, 20), (20, 20), (1, 7), (50, 100), (7, 3000),
         (2999, 3000), (123, 456), (1, 1_000_000)]


def reference(k: int, n: int) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return ci.low, ci.high


@pytest.mark.parametrize(("k", "n"), CASES)
def test_wilson_matches_scipy(k, n):
    low, high = wilson(k, n)
    ref_low, ref_high = reference(k, n)
    assert abs(low - ref_low) < 1e-9
    assert abs(high - ref_high) < 1e-9


def test_wilson_over_arrays_matches_scipy():
    df = finish_share(pl.DataFrame({"count": [k for k, _ in CASES],
                                    "total": [n for _, n in CASES]}))
    lows, highs = wilson_arrays(df["count"].to_numpy(), df["total"].to_numpy())
    assert df["ci_low"].to_list() == lows.tolist()
    for k, n, low, high in df.select("count", "total", "ci_low", "ci_high").iter_rows():
        ref_low, ref_high = reference(k, n)
        assert abs(low - ref_low) < 1e-9, (k, n)
        assert abs(high - ref_high) < 1e-9, (k, n)


def test_wilson_without_papers_is_null():
    out = finish_share(pl.DataFrame({"count": [0], "total": [0]}))
    assert out["share"][0] == 0.0
    assert out["ci_low"][0] is None
    assert out["ci_high"][0] is None
    assert np.isnan(wilson(0, 0)[0])


def test_logistic_trend_matches_a_direct_maximum_likelihood_fit():
    rng = np.random.default_rng(7)
    totals = rng.integers(80, 400, size=8).astype(float)
    true_slope = np.array([0.25, 0.0, -0.15])
    t = np.arange(8) - 3.5
    counts = np.stack([rng.binomial(totals.astype(int), 1 / (1 + np.exp(-(-2.5 + b * t))))
                       for b in true_slope]).astype(float)
    fit = logistic_trend(counts, totals)
    for i in range(3):
        k = counts[i]

        def nll(params, k=k):
            eta = params[0] + params[1] * np.arange(8)
            return -np.sum(k * eta - totals * np.logaddexp(0, eta))

        full = optimize.minimize(nll, x0=[-2.0, 0.0], method="BFGS", options={"gtol": 1e-10})
        p0 = k.sum() / totals.sum()
        null = -np.sum(k * np.log(p0) + (totals - k) * np.log1p(-p0))
        lr = 2 * (null - full.fun)
        assert abs(fit["slope"][i] - full.x[1]) < 1e-5
        assert abs(fit["lr"][i] - lr) < 1e-5
        assert abs(fit["p_value"][i] - stats.chi2.sf(lr, 1)) < 1e-7
    assert fit["p_value"][0] < 1e-6
    assert fit["slope"][0] > 0.15
    assert fit["slope"][2] < -0.05


def test_logistic_trend_survives_zero_and_empty_periods():
    counts = np.array([[0, 0, 0, 0, 5, 9], [0, 0, 0, 0, 0, 0], [3, 3, 3, 3, 3, 3]], dtype=float)
    totals = np.array([100, 0, 100, 100, 100, 100], dtype=float)
    fit = logistic_trend(counts, totals)
    assert np.all(np.isfinite(fit["p_value"]))
    assert fit["slope"][0] > 0
    assert fit["p_value"][0] < 1e-3
    assert fit["p_value"][1] == 1.0
    assert abs(fit["slope"][2]) < 1e-6
    assert fit["p_value"][2] > 0.99


def _firth_reference(k: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Firth's estimate by a general optimiser: the most likely (a, b) under log det(I) / 2."""
    used = n > 0
    t = np.arange(len(n), dtype=float)
    t = np.where(used, t - (t * n).sum() / n.sum(), 0.0)

    def penalised(params):
        eta = params[0] + params[1] * t
        mu = 1 / (1 + np.exp(-eta))
        w = n * mu * (1 - mu)
        info = np.array([[w.sum(), (w * t).sum()], [(w * t).sum(), (w * t * t).sum()]])
        return -(np.sum(k * eta - n * np.logaddexp(0, eta)) + 0.5 * np.log(np.linalg.det(info)))

    fit = optimize.minimize(penalised, x0=[-3.0, 0.0], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20_000})
    return fit.x[0], fit.x[1]


def test_a_topic_with_papers_only_at_one_end_has_a_finite_slope_and_the_supremum_lr():
    # all papers in the last period (rising), all in the first two (falling), all in the
    # last of three with an empty period between, and an ordinary row beside them
    counts = np.array([[0, 26], [11, 0], [0, 0, 14][:2], [5, 9]], dtype=float)
    totals = np.array([677, 3152], dtype=float)
    fit = logistic_trend(counts, totals)
    assert fit["separated"].tolist() == [1, -1, 0, 0]  # [0, 0]: no papers, no trend
    for i, sign in ((0, 1), (1, -1)):
        _, slope = _firth_reference(counts[i], totals)
        assert abs(fit["slope"][i] - slope) < 1e-5
        assert np.sign(fit["slope"][i]) == sign
        assert abs(fit["slope"][i]) < 10
        # the likelihood's supremum: the period with papers gets its own share, the other none
        at = 1 if sign > 0 else 0
        k, n = counts[i, at], totals[at]
        best = k * np.log(k / n) + (n - k) * np.log1p(-k / n)
        p0 = counts[i].sum() / totals.sum()
        null = np.sum(counts[i] * np.log(p0) + (totals - counts[i]) * np.log1p(-p0))
        assert abs(fit["lr"][i] - 2 * (best - null)) < 1e-8
        assert abs(fit["p_value"][i] - stats.chi2.sf(2 * (best - null), 1)) < 1e-10
    three = logistic_trend(np.array([[0.0, 0.0, 14.0], [3.0, 0.0, 14.0]]),
                           np.array([400.0, 0.0, 500.0]))
    assert three["separated"].tolist() == [1, 0]
    _, slope = _firth_reference(np.array([0.0, 0.0, 14.0]), np.array([400.0, 0.0, 500.0]))
    assert abs(three["slope"][0] - slope) < 1e-5


def test_g2_matches_scipy_log_likelihood_ratio():
    a = np.array([5, 40, 0, 120, 7])
    b = np.array([1, 60, 9, 80, 7])
    n1, n2 = 300, 1200
    got = g2_two_by_two(a, n1, b, n2)
    for i in range(len(a)):
        table = np.array([[a[i], n1 - a[i]], [b[i], n2 - b[i]]])
        ref = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
        assert abs(got[i] - ref) < 1e-9


def test_bh_matches_scipy():
    p = np.random.default_rng(3).uniform(size=200) ** 3
    assert np.allclose(bh_qvalues(p), stats.false_discovery_control(p), atol=1e-12)


def test_chi2_tail_matches_scipy():
    x = np.array([0.0, 1e-8, 0.5, 3.841458820694124, 10.0, 60.0, 400.0])
    assert np.allclose(chi2_sf_1(x), stats.chi2.sf(x, 1), rtol=1e-12, atol=1e-300)
    assert abs(chi2_sf_1(np.array([3.841458820694124]))[0] - 0.05) < 1e-12


def test_stop_words_are_sklearns():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from analysis.trends.text import ENGLISH_STOP_WORDS as ours

    assert ours == frozenset(ENGLISH_STOP_WORDS)
