"""Small statistics used by the trend views: Wilson intervals, a binomial trend test, G².

Only NumPy and the standard library; no model fitting libraries (SciPy checks them in tests).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

#: z for a two-sided 95% interval (the same value scipy uses: ndtri(0.975)).
Z95 = NormalDist().inv_cdf(0.975)


def wilson(count: int, total: int, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval (no continuity correction) for count successes of total.

    Args:
        count: number of successes.
        total: number of trials; 0 gives (nan, nan).
        z: normal quantile of the interval.

    Returns:
        (low, high), clipped to [0, 1].
    """
    if total <= 0:
        return (float("nan"), float("nan"))
    p = count / total
    denom = 2 * (total + z * z)
    center = (2 * total * p + z * z) / denom
    half = z * math.sqrt(z * z + 4 * total * p * (1 - p)) / denom
    return (max(0.0, center - half), min(1.0, center + half))


def wilson_arrays(count: np.ndarray, total: np.ndarray,
                  z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """:func:`wilson` over arrays: (low, high), NaN where the total is 0 (or missing)."""
    n = np.asarray(total, dtype=float)
    k = np.asarray(count, dtype=float)
    ok = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 2 * (n + z * z)
        center = (2 * n * p + z * z) / denom
        half = z * np.sqrt(z * z + 4 * n * p * (1 - p)) / denom
    return (np.where(ok, np.maximum(center - half, 0.0), np.nan),
            np.where(ok, np.minimum(center + half, 1.0), np.nan))


def chi2_sf_1(stat: np.ndarray) -> np.ndarray:
    """Upper tail of the chi-squared distribution with one degree of freedom.

    Uses P(X > x) = erfc(sqrt(x / 2)) for 1 df, which needs no SciPy (slow to import).
    """
    x = np.maximum(np.asarray(stat, dtype=float), 0.0)
    root = np.sqrt(x / 2).ravel().tolist()  # the same roots as math.sqrt (both correctly rounded)
    return np.fromiter(map(math.erfc, root), dtype=float, count=len(root)).reshape(x.shape)


def _binom_loglik(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:

    p = np.clip(p, 1e-300, 1 - 1e-16)
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = np.where(k > 0, k * np.log(p), 0.0) + np.where(n - k > 0, (n - k) * np.log1p(-p), 0.0)
    return ll.sum(axis=1)


def logistic_trend(
    counts: np.ndarray, totals: np.ndarray, iters: int = 60
) -> dict[str, np.ndarray]:
    """Binomial GLM (logit link) of share on period index, one fit per row, with an LR test.

    Model: ``counts[i, t] ~ Binomial(totals[t], expit(a_i + b_i * t))`` with ``t`` centred.
    The slope ``b`` is the change in log-odds of the share per period; its p-value comes from the
    likelihood-ratio test against the constant-share model (chi-squared, 1 df). Periods with
    no papers carry no weight. Fitted by Newton-Raphson with step halving, all rows at once.

    A row whose papers all fall in its last period (or all in its first), every earlier (later)
    period holding none, has no finite maximum-likelihood slope: the likelihood keeps rising as
    the slope grows. Its likelihood-ratio statistic is the supremum (the fit that gives the
    boundary period its own share and the others none), and its slope is Firth's
    penalised-likelihood estimate (Firth 1993; Heinze & Schemper 2002), finite and of the right
    sign; ``separated`` marks such rows (+1 rising, -1 falling).

    Args:
        counts: (rows, periods) successes.
        totals: (periods,) or (rows, periods) trials.
        iters: Newton iterations.

    Returns:
        dict with arrays ``slope``, ``se``, ``lr`` (statistic), ``p_value`` and ``separated``
        of length rows.
    """
    k = np.asarray(counts, dtype=float)
    n = np.broadcast_to(np.asarray(totals, dtype=float), k.shape)
    rows, periods = k.shape
    used = n > 0
    # centre the time index on the weighted mean of the periods that have papers
    t_raw = np.broadcast_to(np.arange(periods, dtype=float), k.shape)
    t = t_raw - (t_raw * n).sum(axis=1, keepdims=True) / np.maximum(n.sum(axis=1, keepdims=True), 1)
    t = np.where(used, t, 0.0)
    p0 = k.sum(axis=1) / np.maximum(n.sum(axis=1), 1)
    ll0 = _binom_loglik(k, n, np.broadcast_to(p0[:, None], k.shape))
    with np.errstate(divide="ignore"):
        a = np.log(np.clip(p0, 1e-9, 1 - 1e-9) / np.clip(1 - p0, 1e-9, 1))
    b = np.zeros(rows)
    separated = _separated(k, n)
    a, b, ll = _newton(k, n, t, a, b, iters, firth=separated != 0)
    h_aa, h_ab, h_bb = _information(n, t, a, b)
    det = h_aa * h_bb - h_ab**2
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(np.where(det > 0, h_aa / det, np.nan))
    # a separated row: its likelihood's supremum gives the boundary period its own share
    boundary = used & (k > 0) & (k < n)
    ll_sup = _binom_loglik(np.where(boundary, k, 0.0), np.where(boundary, n, 0.0),
                           np.where(boundary, k / np.where(boundary, n, 1.0), 0.5))
    ll = np.where(separated != 0, ll_sup, ll)
    lr = np.maximum(2 * (ll - ll0), 0.0)
    return {"slope": b, "se": se, "lr": lr, "p_value": chi2_sf_1(lr), "separated": separated}


def _separated(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """+1 where a row's papers sit only at its late end, -1 only at its early end, else 0.

    Rising: no period holding papers comes before a period missing some of its papers (with
    at least two periods that have papers), so a steeper slope always fits better.
    """
    used = n > 0
    t = np.arange(k.shape[1])
    has, misses = used & (k > 0), used & (k < n)
    enough = (used.sum(axis=1) >= 2) & has.any(axis=1) & misses.any(axis=1)
    first = {name: np.where(m, t, k.shape[1]).min(axis=1) for name, m in
             (("has", has), ("misses", misses))}
    last = {name: np.where(m, t, -1).max(axis=1) for name, m in
            (("has", has), ("misses", misses))}
    up = enough & (last["misses"] <= first["has"])
    down = enough & (last["has"] <= first["misses"])
    return up.astype(np.int8) - down.astype(np.int8)


def _information(n: np.ndarray, t: np.ndarray, a: np.ndarray,
                 b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fisher information of (a, b) per row: its entries aa, ab and bb."""
    mu = _expit(a[:, None] + b[:, None] * t)
    w = n * mu * (1 - mu)
    return w.sum(axis=1), (w * t).sum(axis=1), (w * t * t).sum(axis=1)


def _newton(k: np.ndarray, n: np.ndarray, t: np.ndarray, a: np.ndarray, b: np.ndarray,
            iters: int, firth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Newton-Raphson with step halving from (a, b): the fitted (a, b) and their log-likelihood.

    Rows marked in ``firth`` get Firth's term ``h (1/2 - mu)`` in their score (``h`` the
    leverages) and ``log det(I) / 2`` in the likelihood they climb, which keeps the estimate
    finite under separation; their returned log-likelihood is the plain one.
    """
    rows = len(a)
    penalised = firth.any()

    def objective(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ll = _binom_loglik(k, n, _expit(a[:, None] + b[:, None] * t))
        if penalised:
            h_aa, h_ab, h_bb = _information(n, t, a, b)
            det = np.maximum(h_aa * h_bb - h_ab**2, 1e-300)
            ll = ll + np.where(firth, 0.5 * np.log(det), 0.0)
        return ll

    ll = objective(a, b)
    for _ in range(iters):
        mu = _expit(a[:, None] + b[:, None] * t)
        w = n * mu * (1 - mu)
        r = k - n * mu
        h_aa, h_ab, h_bb = w.sum(axis=1), (w * t).sum(axis=1), (w * t * t).sum(axis=1)
        det = h_aa * h_bb - h_ab**2
        safe = det > 1e-12
        det = np.where(safe, det, 1.0)
        if penalised:  # leverages of the 2-parameter fit: w x' I^-1 x per period
            lev = w * (h_bb[:, None] - 2 * h_ab[:, None] * t + h_aa[:, None] * t * t) / det[:, None]
            r = r + np.where(firth[:, None], lev * (0.5 - mu), 0.0)
        g_a, g_b = r.sum(axis=1), (r * t).sum(axis=1)
        da = np.where(safe, (h_bb * g_a - h_ab * g_b) / det, 0.0)
        db = np.where(safe, (h_aa * g_b - h_ab * g_a) / det, 0.0)
        step = np.ones(rows)
        for _half in range(30):  # step halving keeps every fit's likelihood from dropping
            na, nb = a + step * da, b + step * db
            nll = objective(na, nb)
            worse = nll < ll - 1e-12
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
        a, b, ll = np.where(worse, a, na), np.where(worse, b, nb), np.where(worse, ll, nll)
        if np.all(np.abs(step * db) < 1e-10) and np.all(np.abs(step * da) < 1e-10):
            break
    if penalised:
        ll = _binom_loglik(k, n, _expit(a[:, None] + b[:, None] * t))
    return a, b, ll


def _expit(x: np.ndarray) -> np.ndarray:

    return 0.5 * (1 + np.tanh(0.5 * x))


def g2_two_by_two(a: np.ndarray, n1: float, b: np.ndarray, n2: float) -> np.ndarray:
    """Log-likelihood ratio G² for a phrase seen in a of n1 documents and in b of n2 documents.

    The 2x2 table is (a, n1 - a; b, n2 - b); G² = 2 * sum(O * ln(O / E)), 1 df.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    obs = np.stack([a, n1 - a, b, n2 - b])
    total = n1 + n2
    col1 = a + b
    col2 = total - col1
    exp = np.stack([n1 * col1, n1 * col2, n2 * col1, n2 * col2]) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(obs > 0, obs * np.log(obs / exp), 0.0)
    return np.maximum(2 * terms.sum(axis=0), 0.0)


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), same order as p."""
    p = np.asarray(p, dtype=float)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out
