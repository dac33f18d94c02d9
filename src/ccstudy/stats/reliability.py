"""Internal-consistency reliability of summated rating scales.

Cronbach's alpha (raw and standardized), the average inter-item correlation,
Guttman's lambda 6, McDonald's omega total, Feldt and bootstrap confidence
intervals and the item table (item-rest correlation, alpha if item deleted),
all computed from one item covariance matrix.  The numbers match R
``psych::alpha`` (psych 2.2.9) and ``psych::omega(nfactors = 1, fm = "ml")``;
the differences in convention are listed in :func:`reliability` (Notes) and in
``docs/statistics.md``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, special
from scipy import linalg as sla
from scipy.linalg import blas

from ccstudy.stats._checks import column_groups
from ccstudy.stats._results import Result

__all__ = [
    "ReliabilityResult",
    "ReliabilityWarning",
    "feldt_ci",
    "item_correlations",
    "reliability",
    "reliability_scales",
    "reliability_table",
]

Missing = Literal["pairwise", "listwise"]
Correlation = Literal["pearson", "polychoric"]

#: Below this effective n the Feldt interval and the item statistics are noisy.
SMALL_N = 30


class ReliabilityWarning(UserWarning):
    """A reliability estimate was computed but deserves a second look."""


@dataclass(frozen=True, kw_only=True)
class ReliabilityResult(Result):
    """Reliability of one scale (see :func:`reliability`).

    Attributes
    ----------
    alpha, std_alpha : float
        Cronbach's alpha from the covariance matrix and from the correlation
        matrix (standardized alpha).
    average_r : float
        Mean of the k(k-1)/2 inter-item correlations.
    lambda6 : float
        Guttman's lambda 6, ``1 - sum(1 - smc) / sum(R)``.
    omega_total : float
        McDonald's omega total from a one-factor maximum-likelihood factor
        analysis of the item correlation matrix (NaN when k < 3).
    alpha_ci_low, alpha_ci_high : float
        Feldt (1965) confidence interval for alpha on the effective ``n``.
    alpha_boot_ci_low, alpha_boot_ci_high : float or None
        Percentile bootstrap interval (None unless ``n_boot > 0``).
    n : int
        Effective sample size: the number of complete rows (listwise) or the
        smallest number of respondents who answered both items of any item
        pair (pairwise).  Used for the Feldt interval.
    n_pairwise_harmonic : float
        Harmonic mean of the pairwise counts over the k(k-1)/2 item pairs
        (equal to ``n`` when no value is missing or under listwise deletion).
    n_rows : int
        Rows passed in.
    n_dropped : int
        Rows that contribute nothing: incomplete rows (listwise) or rows with
        no answered item (pairwise).  ``dropped_reason`` says which.
    k : int
        Number of items.
    items : pandas.DataFrame
        Indexed by item: ``mean``, ``sd``, ``n``, ``item_rest_r``,
        ``alpha_if_deleted``, ``std_alpha_if_deleted``, ``reversed``.
    method : str
        ``"pairwise"`` or ``"listwise"``.
    reverse : tuple of str
        Items reverse-keyed as ``low + high - x`` before any computation.
    scale : tuple of float
        Declared (low, high) response bounds.
    confidence : float
        Level of both confidence intervals.
    n_boot : int
        Bootstrap replicates (0 = none); ``n_boot_failed`` of them gave no
        estimate (an item constant in the resample) and were left out.
    seed : int or None
        Seed of the bootstrap generator.
    warnings : tuple of str
        Every warning raised while computing this result.
    correlation : str
        ``"pearson"`` (covariances of the item scores) or ``"polychoric"``
        (ordinal alpha and omega from the polychoric correlation matrix; then
        ``alpha == std_alpha`` and the item table's ``item_rest_r`` and
        alpha-if-deleted come from that matrix).
    """

    alpha: float
    std_alpha: float
    average_r: float
    lambda6: float
    omega_total: float
    alpha_ci_low: float
    alpha_ci_high: float
    alpha_boot_ci_low: float | None
    alpha_boot_ci_high: float | None
    n: int
    n_pairwise_harmonic: float
    n_rows: int
    n_dropped: int
    dropped_reason: str
    k: int
    items: pd.DataFrame
    method: str
    reverse: tuple[str, ...]
    scale: tuple[float, float]
    confidence: float
    n_boot: int
    n_boot_failed: int
    seed: int | None
    warnings: tuple[str, ...]
    correlation: str = "pearson"


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


def _check_scale(scale: object) -> tuple[float, float]:
    try:
        low, high = scale  # type: ignore[misc]
        low_f, high_f = float(low), float(high)
    except (TypeError, ValueError):
        raise ValueError(
            f"scale must be a pair (low, high) of numbers, got {scale!r}; "
            "pass e.g. scale=(1, 5) for a five-point Likert item"
        ) from None
    if not (math.isfinite(low_f) and math.isfinite(high_f) and low_f < high_f):
        raise ValueError(
            f"scale must be (low, high) with finite low < high, got {scale!r}; "
            "pass e.g. scale=(1, 5)"
        )
    return low_f, high_f


def _check_correlation(correlation: object, n_boot: object) -> None:
    if correlation not in ("pearson", "polychoric"):
        raise ValueError(
            f"correlation must be 'pearson' or 'polychoric', got {correlation!r}"
        )
    if correlation == "polychoric" and n_boot:
        raise ValueError(
            f"n_boot={n_boot!r} is not available with correlation='polychoric' (a polychoric matrix per "
            "resample); use n_boot=0 (the Feldt interval is still given) or correlation='pearson'"
        )


def _poly_matrix(X: np.ndarray, names: list, missing: str) -> np.ndarray:
    """Unsmoothed polychoric matrix of the (not reverse-keyed) items; listwise drops incomplete rows."""
    from ccstudy.stats.polychoric import _polychoric_matrix

    if missing == "listwise":
        X = X[~np.isnan(X).any(axis=1)]
    return _polychoric_matrix(X, names, smooth=False, func="reliability(correlation='polychoric')")[0]


def _check_options(missing: object, confidence: object, n_boot: object, seed: object) -> None:
    if missing not in ("pairwise", "listwise"):
        raise ValueError(
            f"missing must be 'pairwise' or 'listwise', got {missing!r}"
        )
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating)):
        raise TypeError(f"confidence must be a number in (0, 1), got {confidence!r}")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(
            f"confidence must lie strictly between 0 and 1, got {confidence!r}; "
            "pass e.g. confidence=0.95"
        )
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(
            f"n_boot must be a non-negative integer, got {n_boot!r}; "
            "pass n_boot=0 for no bootstrap or e.g. n_boot=2000"
        )
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be an integer or None, got {seed!r}")


def _normalise_reverse(reverse: object) -> tuple[str, ...]:
    if reverse is None:
        return ()
    if isinstance(reverse, str):
        return (reverse,)
    if not isinstance(reverse, Iterable):
        raise TypeError(
            f"reverse must be a sequence of column names, got {reverse!r}"
        )
    out: list[str] = []
    for name in reverse:
        if name not in out:
            out.append(name)
    return tuple(out)


def _as_float_array(items: pd.DataFrame) -> np.ndarray:
    """Item values as a float array, without copying when they already are float64.

    The array may be a read-only view of the DataFrame: nothing downstream
    writes to it (reverse keying is applied to the moments, not the data).
    """
    if all(dt == np.float64 for dt in items.dtypes):
        return items.to_numpy()
    return items.to_numpy(dtype=float, na_value=np.nan)


def _prepare(
    items: object, reverse: object, scale: tuple[float, float]
) -> tuple[np.ndarray, list, tuple, np.ndarray, bool]:
    """Validate ``items``.

    Returns (X as float, *not* reverse keyed; names; reverse names; reversed
    mask; (whether any value is missing, column sums)).  One scan of the data (column min,
    max and sum) checks the range, empty columns and missingness.
    """
    if not isinstance(items, pd.DataFrame):
        raise TypeError(
            f"items must be a pandas DataFrame (rows respondents, columns items), "
            f"got {type(items).__name__}; wrap arrays with pandas.DataFrame(...)"
        )
    names = list(items.columns)
    if len(names) < 2:
        raise ValueError(
            f"items must have at least 2 columns to estimate reliability, got {len(names)} "
            f"({names!r}); pass all items of the scale"
        )
    if len(set(names)) != len(names):
        dup = sorted({str(c) for c in names if names.count(c) > 1})
        raise ValueError(f"items has duplicated column names {dup}; rename them")
    bad = [
        c
        for c, dt in zip(names, items.dtypes)
        if pd.api.types.is_bool_dtype(dt) or not pd.api.types.is_numeric_dtype(dt)
    ]
    if bad:
        raise TypeError(
            f"items must be numeric; non-numeric column(s) {bad!r} "
            f"(dtypes {[str(items[c].dtype) for c in bad]}); convert them with "
            "pandas.to_numeric or drop them"
        )
    rev = _normalise_reverse(reverse)
    unknown = [r for r in rev if r not in names]
    if unknown:
        raise ValueError(
            f"reverse names column(s) not in items: {unknown!r}; "
            f"available columns are {names!r}"
        )
    X = _as_float_array(items)
    if X.shape[0] == 0:
        raise ValueError("items has no rows; pass at least 2 respondents")
    low, high = scale
    col_min = np.fmin.reduce(X, axis=0)  # NaN-ignoring; NaN only for an all-missing column
    col_max = np.fmax.reduce(X, axis=0)
    empty = [names[j] for j in np.flatnonzero(np.isnan(col_min))]
    if empty:
        raise ValueError(
            f"items column(s) {empty!r} are entirely missing; drop them before "
            "estimating reliability"
        )
    if (col_min < low).any() or (col_max > high).any():
        with np.errstate(invalid="ignore"):
            outside = ((X < low) | (X > high)).sum(axis=0)
        detail = ", ".join(
            f"{names[j]!r}: {int(outside[j])} value(s)" for j in np.flatnonzero(outside)
        )
        raise ValueError(
            f"items has values outside scale={scale!r} ({detail}); recode them, set "
            "them to NaN, or pass the correct scale=(low, high)"
        )
    col_sum = X.sum(axis=0)
    has_nan = bool(np.isnan(col_sum).any())  # values are finite and in range here
    rev_mask = np.array([c in rev for c in names], dtype=bool)
    return X, names, rev, rev_mask, (has_nan, col_sum)


# ---------------------------------------------------------------------------
# moments: one covariance pass
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Moments:
    cov: np.ndarray  # k x k (pairwise-complete or complete-case)
    npair: np.ndarray  # k x k respondents contributing to each entry
    mean: np.ndarray  # k item means (available values)
    n_rows: int
    n_dropped: int

    def keyed(self, rev_mask: np.ndarray, shift: float) -> _Moments:
        """Moments of the reverse-keyed items ``shift - x`` (exact: a sign flip)."""
        if not rev_mask.any():
            return self
        sign = np.where(rev_mask, -1.0, 1.0)
        return _Moments(
            self.cov * np.outer(sign, sign),
            self.npair,
            np.where(rev_mask, shift - self.mean, self.mean),
            self.n_rows,
            self.n_dropped,
        )


def _gram(X: np.ndarray) -> np.ndarray:
    """``X'X`` with one BLAS ``dsyrk`` call on the array as stored (no copy).

    All dense linear algebra of this module goes through SciPy's BLAS/LAPACK
    (``scipy.linalg``), which also serves ``scipy.optimize``: alternating
    between NumPy's and SciPy's separately threaded BLAS libraries makes
    small calls wait for the other library's spinning threads.
    """
    if X.dtype == np.float64 and X.shape[0] > 0:
        if X.flags.f_contiguous:
            G = blas.dsyrk(1.0, X, trans=1)
        elif X.flags.c_contiguous:
            G = blas.dsyrk(1.0, X.T, trans=0)
        else:
            return X.T @ X
        return np.triu(G) + np.triu(G, 1).T
    return X.T @ X


def _cross(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A'B`` for tall float arrays with SciPy's BLAS ``dgemm`` (no copies)."""
    if A.dtype == B.dtype == np.float64 and A.shape[0] > 0:
        if A.flags.f_contiguous and B.flags.f_contiguous:
            return blas.dgemm(1.0, A, B, trans_a=1)
        if A.flags.c_contiguous and B.flags.c_contiguous:
            return blas.dgemm(1.0, A.T, B.T, trans_b=1)
    return A.T @ B


#: Above this mean^2 / variance ratio the uncentred cross-product loses more
#: than ~1e-12 relative precision and the data are centred explicitly.
_CANCELLATION_LIMIT = 1e4


def _moments(
    X: np.ndarray,
    missing: str,
    scan: tuple[bool, np.ndarray] | bool | None = None,
    center: float | None = None,
) -> _Moments:
    """Item means and the (pairwise) covariance matrix in one pass.

    Complete data: one cross-product ``X'X`` (BLAS syrk, no copy of the data)
    corrected by the means, ``(X'X - n m m') / (n - 1)``; if the means are
    large relative to the spread (cancellation), the data are centred first.
    Pairwise entries reproduce R ``cov(x, use = "pairwise")``: for each pair
    the means are taken over the rows where both items are present and the
    divisor is ``n_ij - 1``.  The data are first shifted by ``center`` (the
    scale midpoint; by the column means if None) -- pairwise covariances are
    shift invariant, and the shift only guards against cancellation.
    """
    n_rows, k = X.shape
    col_sum = None
    if isinstance(scan, tuple):
        has_nan, col_sum = scan
    elif scan is None:
        col_sum = X.sum(axis=0)
        has_nan = bool(np.isnan(col_sum).any())
    else:
        has_nan = bool(scan)
    n_dropped = 0
    if has_nan and missing == "listwise":
        keep = ~np.isnan(X).any(axis=1)
        X = X[keep]
        n_dropped = n_rows - int(keep.sum())
        has_nan = False
    n = X.shape[0]
    if not has_nan:
        npair = np.full((k, k), n, dtype=np.int64)
        if n < 2:
            return _Moments(np.full((k, k), np.nan), npair, X.mean(axis=0), n_rows, n_dropped)
        mean = (col_sum if col_sum is not None and n == n_rows else X.sum(axis=0)) / n
        cov = (_gram(X) - n * np.outer(mean, mean)) / (n - 1)
        var = np.diag(cov)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = mean**2 / var
        if not (np.all(var > 0) and np.all(ratio < _CANCELLATION_LIMIT)):
            cov = _gram(X - mean) / (n - 1)
        cov = (cov + cov.T) / 2.0
        return _Moments(cov, npair, mean, n_rows, n_dropped)
    observed = ~np.isnan(X)
    n_dropped = int((~observed.any(axis=1)).sum())
    shift = np.nanmean(X, axis=0) if center is None else center
    Mf = observed.astype(float)
    X0 = np.where(observed, X - shift, 0.0)
    npair_f = _gram(Mf)
    S = _gram(X0)
    A = _cross(X0, Mf)  # A[i, j] = sum of item i over rows where i and j are present
    mean = shift + np.diag(A) / np.diag(npair_f)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (S - A * A.T / npair_f) / (npair_f - 1.0)
    cov[npair_f < 2] = np.nan
    cov = (cov + cov.T) / 2.0
    return _Moments(cov, np.rint(npair_f).astype(np.int64), mean, n_rows, n_dropped)


# ---------------------------------------------------------------------------
# estimators on a covariance matrix
# ---------------------------------------------------------------------------


def _alpha_from_cov(C: np.ndarray) -> float:
    k = C.shape[0]
    return (k / (k - 1.0)) * (1.0 - np.trace(C) / C.sum())


def _smc(R: np.ndarray) -> np.ndarray:
    """Squared multiple correlations as psych::smc (pseudo-inverse, clipped to [0, 1])."""
    inv = sla.pinvh(R, rtol=math.sqrt(np.finfo(float).eps))
    with np.errstate(divide="ignore"):
        smc = 1.0 - 1.0 / np.diag(inv)
    return np.clip(smc, 0.0, 1.0)


def _leading_eigenpair(A: np.ndarray, v0: np.ndarray) -> tuple[float, np.ndarray]:
    """Largest eigenvalue/vector of a symmetric PSD matrix by warm-started power iteration.

    Cheap for the small matrices here (no LAPACK call); falls back to
    ``numpy.linalg.eigh`` if the iteration has not converged after 50 steps
    (leading eigenvalues close together).
    """
    v = v0
    for _ in range(50):
        w = A @ v
        norm = math.sqrt(float(w @ w))
        if norm == 0.0:
            break
        w /= norm
        if float(np.abs(w - v).max()) < 1e-13:
            return float(w @ A @ w), w
        v = w
    vals, vecs = sla.eigh(A)
    return float(vals[-1]), vecs[:, -1]


def _ml_one_factor(R: np.ndarray) -> np.ndarray | None:
    """Loadings of a one-factor maximum-likelihood factor analysis of ``R``.

    Mirrors ``psych::fa(R, nfactors = 1, fm = "ml")``: the uniquenesses are
    optimised with L-BFGS-B on [0.005, 1] (the psych bounds) from the psych
    start ``(1 - 0.5 / k) / diag(R^-1)``, minimising (Joreskog 1967)

        F(psi) = -sum_{i >= 2} (log e_i - e_i) - 1 + k,

    ``e_i`` the eigenvalues of ``Psi^-1/2 R Psi^-1/2``; the loadings follow
    from its leading eigenpair.  Since ``sum log e_i = log|R| - sum log psi``
    and ``sum e_i = sum 1/psi``, only the leading eigenpair is needed.  With
    k = 3 the model is just identified and the exact solution
    ``lambda_1^2 = r12 r13 / r23`` is used when it is proper (it is the ML
    optimum then).  Returns None when ``R`` is not positive definite (smallest
    eigenvalue below 1e-8 of the largest).
    """
    k = R.shape[0]
    vals, vecs = sla.eigh(R)
    if not vals[0] > 1e-8 * vals[-1]:  # not (numerically) positive definite
        return None
    logdet_r = float(np.sum(np.log(vals)))
    if k == 3:
        r12, r13, r23 = R[0, 1], R[0, 2], R[1, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            lam2 = np.array([r12 * r13 / r23, r12 * r23 / r13, r13 * r23 / r12])
        if np.all(np.isfinite(lam2)) and np.all(lam2 > 0) and np.all(lam2 <= 1.0 - 0.005):
            lam = np.sqrt(lam2)
            # signs: lambda_i lambda_j = r_ij
            lam[1] *= np.sign(r12)
            lam[2] *= np.sign(r13)
            return lam if lam.sum() >= 0 else -lam
    diag_inv = (vecs**2 / vals).sum(axis=1)  # diag(R^-1) from the eigendecomposition
    start = np.clip((1.0 - 0.5 / k) / diag_inv, 0.005, 1.0)
    state = {"v": np.full(k, 1.0 / math.sqrt(k))}

    def loadings(psi: np.ndarray) -> tuple[np.ndarray, float]:
        sq = np.sqrt(psi)
        sstar = R / np.outer(sq, sq)
        e1, v = _leading_eigenpair(sstar, state["v"])
        state["v"] = v
        return sq * v * math.sqrt(max(e1 - 1.0, 0.0)), e1

    def fun_grad(psi: np.ndarray) -> tuple[float, np.ndarray]:
        lam, e1 = loadings(psi)
        sum_log = logdet_r - float(np.sum(np.log(psi))) - math.log(e1)
        sum_e = float(np.sum(1.0 / psi)) - e1
        f = -(sum_log - sum_e - 1.0 + k)
        g = (lam**2 + psi - 1.0) / psi**2
        return f, g

    res = optimize.minimize(
        fun_grad,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.005, 1.0)] * k,
        options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 2000},
    )
    lam, _ = loadings(res.x)
    if lam.sum() < 0:
        lam = -lam
    return lam


def _omega_total(R: np.ndarray) -> float:
    """psych::omega(R, nfactors = 1, fm = "ml", flip = FALSE)$omega.tot: 1 - sum(u2) / sum(R).

    NaN when k < 3 or ``R`` is not positive definite (e.g. n <= k, or an
    indefinite pairwise matrix): the ML discrepancy needs ``log|R|``.
    """
    if R.shape[0] < 3 or not np.isfinite(R).all():
        return float("nan")
    lam = _ml_one_factor(R)
    if lam is None:
        return float("nan")
    u2 = 1.0 - lam**2
    return float(1.0 - u2.sum() / R.sum())


def feldt_ci(alpha: float, n: int, k: int, confidence: float = 0.95) -> tuple[float, float]:
    """Feldt (1965) confidence interval for Cronbach's alpha.

    ``(1 - alpha) / (1 - alpha_pop)`` follows an F distribution with
    ``n - 1`` and ``(n - 1)(k - 1)`` degrees of freedom, so the bounds are
    ``1 - (1 - alpha) F_{1 - g/2}`` and ``1 - (1 - alpha) F_{g/2}`` with
    ``g = 1 - confidence``.  Same as ``psych::alpha.ci(alpha, n, k, p.val = g)``.

    Parameters
    ----------
    alpha : float
        Sample alpha.
    n : int
        Number of respondents (the effective n).
    k : int
        Number of items.
    confidence : float, default 0.95
        Two-sided level.

    Returns
    -------
    (low, high) : tuple of float
        NaN when ``n < 2`` or ``k < 2``.

    References
    ----------
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. *Psychometrika*, 30, 357-370.
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference
    for coefficient alpha. *Applied Psychological Measurement*, 11, 93-103.
    """
    if n < 2 or k < 2 or not math.isfinite(alpha):
        return float("nan"), float("nan")
    g = 1.0 - confidence
    df1 = n - 1.0
    df2 = (n - 1.0) * (k - 1.0)
    # special.fdtri(d1, d2, q) is the F quantile function (scipy.stats.f.ppf)
    low = 1.0 - (1.0 - alpha) * special.fdtri(df1, df2, 1.0 - g / 2.0)
    high = 1.0 - (1.0 - alpha) * special.fdtri(df1, df2, g / 2.0)
    return float(low), float(high)


def _core(C: np.ndarray) -> dict[str, object]:
    """Every closed-form estimate from one covariance matrix (vectorised)."""
    k = C.shape[0]
    var = np.diag(C)
    sd = np.sqrt(var)
    R = C / np.outer(sd, sd)
    np.fill_diagonal(R, 1.0)
    total = C.sum()
    trace = var.sum()
    alpha = (k / (k - 1.0)) * (1.0 - trace / total)
    sum_r = R.sum()
    std_alpha = (k / (k - 1.0)) * (1.0 - k / sum_r)
    average_r = (sum_r - k) / (k * (k - 1.0))
    lambda6 = 1.0 - (k - _smc(R).sum()) / sum_r
    # closed-form deletion of item i: trace - C_ii, total - 2 colsum_i + C_ii
    colsum = C.sum(axis=0)
    rest_cov = colsum - var  # cov(item, sum of the other items)
    rest_var = total - 2.0 * colsum + var  # var(sum of the other items)
    with np.errstate(invalid="ignore", divide="ignore"):
        item_rest_r = rest_cov / np.sqrt(var * rest_var)
        if k > 2:
            alpha_drop = ((k - 1.0) / (k - 2.0)) * (1.0 - (trace - var) / rest_var)
            rsum = R.sum(axis=0)
            sum_r_drop = sum_r - 2.0 * rsum + 1.0
            std_alpha_drop = ((k - 1.0) / (k - 2.0)) * (1.0 - (k - 1.0) / sum_r_drop)
        else:
            alpha_drop = np.full(k, np.nan)
            std_alpha_drop = np.full(k, np.nan)
    return {
        "R": R,
        "sd": sd,
        "alpha": float(alpha),
        "std_alpha": float(std_alpha),
        "average_r": float(average_r),
        "lambda6": float(lambda6),
        "item_rest_r": item_rest_r,
        "alpha_if_deleted": alpha_drop,
        "std_alpha_if_deleted": std_alpha_drop,
    }


def _effective_n(npair: np.ndarray) -> tuple[int, float]:
    k = npair.shape[0]
    off = npair[np.triu_indices(k, 1)].astype(float)
    n_min = int(off.min())
    n_h = float(len(off) / np.sum(1.0 / off)) if (off > 0).all() else 0.0
    return n_min, n_h


def _boot_alpha(
    X: np.ndarray,
    rev_mask: np.ndarray,
    missing: str,
    n_boot: int,
    seed: int | None,
    confidence: float,
    center: float | None = None,
) -> tuple[float | None, float | None, int]:
    """Percentile bootstrap of raw alpha: rows resampled, same missing policy."""
    if n_boot == 0:
        return None, None, 0
    sign = np.where(rev_mask, -1.0, 1.0)
    flip = np.outer(sign, sign)
    observed = ~np.isnan(X)
    if missing == "listwise":
        X = X[observed.all(axis=1)]
    else:
        X = X[observed.any(axis=1)]
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    out = np.empty(n_boot)
    for b in range(n_boot):
        C = _moments(X[rng.integers(0, n, n)], missing, center=center).cov * flip
        with np.errstate(invalid="ignore", divide="ignore"):
            out[b] = _alpha_from_cov(C) if np.all(np.diag(C) > 0) else np.nan
    ok = np.isfinite(out)
    if not ok.any():
        return float("nan"), float("nan"), n_boot
    g = 1.0 - confidence
    lo, hi = np.quantile(out[ok], [g / 2.0, 1.0 - g / 2.0])
    return float(lo), float(hi), int((~ok).sum())


def _check_moments(names: Sequence, m: _Moments, missing: str, where: str = "") -> None:
    k = len(names)
    if missing == "listwise" and m.n_rows - m.n_dropped < 2:
        raise ValueError(
            f"{where}missing='listwise' leaves {m.n_rows - m.n_dropped} complete row(s) "
            f"of {m.n_rows}; need at least 2 - use missing='pairwise' or fewer items"
        )
    var = np.diag(m.cov)
    with np.errstate(invalid="ignore"):
        # zero, or zero up to rounding of the mean (sd below 1e-10 of |mean|)
        is_const = ~(var > 0) | (np.sqrt(var) <= 1e-10 * np.abs(m.mean))
    const = [names[j] for j in range(k) if is_const[j]]
    if const:
        raise ValueError(
            f"{where}items column(s) {const!r} have zero variance (constant or a single "
            f"answered value{' among complete rows' if missing == 'listwise' else ''}); "
            "drop them - a constant item carries no information about reliability"
        )
    few = np.argwhere(np.triu(m.npair < 2, 1))
    if len(few):
        pairs = [(names[i], names[j]) for i, j in few[:5]]
        raise ValueError(
            f"{where}item pair(s) {pairs!r} have fewer than 2 respondents in common, so "
            "their covariance is undefined; drop one item of each pair"
        )


def _assemble(
    names: list,
    m: _Moments,
    X: np.ndarray,
    idx: np.ndarray | None,
    rev_mask: np.ndarray,
    *,
    rev: tuple[str, ...],
    scale: tuple[float, float],
    missing: str,
    confidence: float,
    n_boot: int,
    seed: int | None,
    label: str = "",
    stacklevel: int = 3,
    index: pd.Index | None = None,
    poly: np.ndarray | None = None,
) -> ReliabilityResult:
    k = len(names)
    m = m.keyed(rev_mask, scale[0] + scale[1])
    smoothed = False
    if poly is None:
        core = _core(m.cov)
    else:
        from ccstudy.stats.polychoric import _smooth

        sign = np.where(rev_mask, -1.0, 1.0)
        R_poly, smoothed = _smooth(poly * np.outer(sign, sign))
        core = _core(R_poly)
        core["sd"] = np.sqrt(np.diag(m.cov))
    n_eff, n_h = _effective_n(m.npair)
    ci_low, ci_high = feldt_ci(core["alpha"], n_eff, k, confidence)
    omega = _omega_total(core["R"])  # type: ignore[arg-type]
    if n_boot:
        boot_lo, boot_hi, n_failed = _boot_alpha(
            X if idx is None else X[:, idx],
            rev_mask,
            missing,
            n_boot,
            seed,
            confidence,
            center=(scale[0] + scale[1]) / 2.0,
        )
    else:
        boot_lo, boot_hi, n_failed = None, None, 0

    prefix = f"{label}: " if label else ""
    msgs: list[str] = []
    irr = core["item_rest_r"]
    neg = [names[j] for j in range(k) if np.isfinite(irr[j]) and irr[j] < 0]  # type: ignore[index]
    if neg:
        msgs.append(
            f"{prefix}item(s) {neg!r} correlate negatively with the rest of the scale "
            "(item-rest r < 0); they are probably miskeyed - list them in reverse=..."
        )
    if k < 3:
        msgs.append(
            f"{prefix}only k={k} items: alpha of a 2-item scale is a Spearman-Brown "
            "corrected correlation, alpha-if-deleted and omega are not defined (NaN)"
        )
    if k >= 3 and math.isnan(omega):
        msgs.append(
            f"{prefix}omega_total not estimated (NaN): the item correlation matrix is not "
            "positive definite (n <= k, collinear items or an indefinite pairwise matrix)"
        )
    if n_eff < SMALL_N:
        msgs.append(
            f"{prefix}small effective n={n_eff} (< {SMALL_N}): alpha and its confidence "
            "interval are imprecise"
        )
    if n_failed:
        msgs.append(
            f"{prefix}{n_failed} of {n_boot} bootstrap resamples had a constant item "
            "and were left out of the bootstrap interval"
        )
    if smoothed:
        msgs.append(
            f"{prefix}the polychoric correlation matrix was not positive definite and was smoothed "
            "(psych::cor.smooth)"
        )
    for msg in msgs:
        warnings.warn(msg, ReliabilityWarning, stacklevel=stacklevel)

    counts = m.npair.diagonal().astype(np.int64)
    table = pd.DataFrame(
        {
            "mean": m.mean,
            "sd": core["sd"],
            "n": counts,
            "item_rest_r": core["item_rest_r"],
            "alpha_if_deleted": core["alpha_if_deleted"],
            "std_alpha_if_deleted": core["std_alpha_if_deleted"],
            "reversed": rev_mask,
        },
        index=pd.Index(names, name="item") if index is None else index,
        copy=False,
    )
    reason = (
        "rows with any missing item (listwise deletion)"
        if missing == "listwise"
        else "rows with no answered item (pairwise deletion keeps every other row)"
    )
    return ReliabilityResult(
        alpha=core["alpha"],  # type: ignore[arg-type]
        std_alpha=core["std_alpha"],  # type: ignore[arg-type]
        average_r=core["average_r"],  # type: ignore[arg-type]
        lambda6=core["lambda6"],  # type: ignore[arg-type]
        omega_total=omega,
        alpha_ci_low=ci_low,
        alpha_ci_high=ci_high,
        alpha_boot_ci_low=boot_lo,
        alpha_boot_ci_high=boot_hi,
        n=n_eff,
        n_pairwise_harmonic=n_h,
        n_rows=m.n_rows,
        n_dropped=m.n_dropped,
        dropped_reason=reason,
        k=k,
        items=table,
        method=missing,
        reverse=tuple(r for r in rev if r in names),
        scale=scale,
        confidence=float(confidence),
        n_boot=int(n_boot),
        n_boot_failed=n_failed,
        seed=None if seed is None else int(seed),
        warnings=tuple(msgs),
        correlation="pearson" if poly is None else "polychoric",
    )


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def reliability(
    items: pd.DataFrame,
    *,
    reverse: Sequence[str] = (),
    scale: tuple[float, float] = (1, 5),
    missing: Missing = "pairwise",
    confidence: float = 0.95,
    n_boot: int = 0,
    seed: int | None = None,
    correlation: Correlation = "pearson",
) -> ReliabilityResult:
    r"""Internal-consistency reliability of one summated scale.

    Cronbach's alpha (raw and standardized), average inter-item correlation,
    Guttman's lambda 6, McDonald's omega total, a Feldt confidence interval
    (and optionally a percentile bootstrap interval) and an item table, all
    from one item covariance matrix.

    Parameters
    ----------
    items : pandas.DataFrame
        Rows are respondents, columns are the items of one scale; numeric
        values, NaN for a missing answer.
    reverse : sequence of str, default ()
        Names of reverse-keyed items.  They are recoded as
        ``scale[0] + scale[1] - x`` before anything else is computed.
    scale : (float, float), default (1, 5)
        Declared response bounds (low, high).  Every observed value must lie
        within them.
    missing : {"pairwise", "listwise"}, default "pairwise"
        ``"pairwise"`` uses the pairwise-complete covariance matrix (as
        ``psych::alpha(use = "pairwise")``); ``"listwise"`` first drops every
        row with a missing item.
    confidence : float, default 0.95
        Level of the Feldt and bootstrap intervals.
    n_boot : int, default 0
        Percentile-bootstrap replicates of alpha (rows resampled, same missing
        policy); 0 skips the bootstrap.
    seed : int, optional
        Seed for :func:`numpy.random.default_rng` (bootstrap only).
    correlation : {"pearson", "polychoric"}, default "pearson"
        ``"pearson"``: alpha from the item covariances.  ``"polychoric"``:
        ordinal alpha and ordinal omega (Zumbo, Gadermann & Zeisser 2007)
        from the polychoric correlation matrix of the items
        (:func:`ccstudy.stats.polychoric.polychoric`); items must be whole
        numbers with at most 10 categories; no bootstrap.

    Returns
    -------
    ReliabilityResult
        Frozen dataclass; ``alpha``, ``std_alpha``, ``average_r``,
        ``lambda6``, ``omega_total``, ``alpha_ci_low``/``alpha_ci_high``,
        ``alpha_boot_ci_low``/``alpha_boot_ci_high``, ``n`` (effective),
        ``n_rows``, ``n_dropped``, ``k``, ``items`` (DataFrame: ``mean``,
        ``sd``, ``n``, ``item_rest_r``, ``alpha_if_deleted``,
        ``std_alpha_if_deleted``, ``reversed``), ``method``, ``reverse``,
        ``scale``, ``warnings``.

    Raises
    ------
    TypeError
        ``items`` is not a DataFrame or has non-numeric columns.
    ValueError
        Fewer than 2 items; an all-missing column; a constant (zero-variance)
        item; values outside ``scale``; ``scale`` not (low, high) with
        low < high; unknown names in ``reverse``; an invalid option; fewer
        than 2 usable rows or item pairs.

    Warns
    -----
    ReliabilityWarning
        An item with negative item-rest correlation (probably miskeyed);
        k < 3; effective n < 30.  The messages are also in ``warnings``.

    Notes
    -----
    With item covariance matrix :math:`C` (k x k) and correlation matrix
    :math:`R = D^{-1/2} C D^{-1/2}`:

    * raw alpha :math:`\alpha = \frac{k}{k-1}\left(1 - \frac{\operatorname{tr} C}{\mathbf 1' C \mathbf 1}\right)`;
    * standardized alpha :math:`\frac{k}{k-1}\left(1 - \frac{k}{\mathbf 1' R \mathbf 1}\right)`
      and average inter-item :math:`\bar r = (\mathbf 1' R \mathbf 1 - k)/(k(k-1))`;
    * Guttman's :math:`\lambda_6 = 1 - \sum_i (1 - \mathrm{smc}_i) / \mathbf 1' R \mathbf 1`
      with :math:`\mathrm{smc}_i = 1 - 1/(R^{-1})_{ii}` (pseudo-inverse, clipped to
      [0, 1], as ``psych::smc``);
    * omega total :math:`\omega_t = 1 - \sum_i (1 - \lambda_i^2) / \mathbf 1' R \mathbf 1`
      with :math:`\lambda` the loadings of a one-factor maximum-likelihood
      factor analysis of :math:`R` -- the definition of
      ``psych::omega(R, nfactors = 1, fm = "ml")$omega.tot``;
    * item-rest correlation and alpha if item :math:`i` is deleted by closed-form
      updates of the same :math:`C`: :math:`\operatorname{tr} C - C_{ii}` and
      :math:`\mathbf 1'C\mathbf 1 - 2(C\mathbf 1)_i + C_{ii}` (``r.drop`` and
      ``alpha.drop$raw_alpha`` in psych).

    The Feldt (1965) interval uses :math:`(1-\hat\alpha)/(1-\alpha) \sim F(n-1, (n-1)(k-1))`
    (Feldt, Woodruff & Salih, 1987) on the effective ``n``.

    Missing data.  ``"listwise"``: every statistic, including the item means,
    SDs and counts, uses the complete rows only; ``n`` is their number.
    ``"pairwise"``: :math:`C` is R's ``cov(x, use = "pairwise")`` (each
    covariance over the rows answering both items, divisor :math:`n_{ij}-1`),
    item means/SDs use every answer to the item, and the effective ``n`` is
    the **minimum** pairwise count over item pairs (conservative; the harmonic
    mean is reported as ``n_pairwise_harmonic``).

    Differences from psych 2.2.9 ``alpha()``: (1) reverse keying uses the
    declared ``scale`` rather than the observed minimum and maximum of the whole
    data frame (this changes only the item means, and only when an extreme
    category was never used); (2) the Feldt interval uses the effective ``n``
    whereas psych uses ``nrow(x)`` even when values are missing; (3) a
    constant item is an error instead of being silently dropped; (4) with
    k = 2 alpha-if-deleted is NaN where psych reports the covariance ratio;
    (5) psych's bootstrap (``n.iter``) always uses pairwise deletion.  With
    complete data every closed-form number equals psych's to machine precision.

    Ordinal reliability (``correlation="polychoric"``).  Likert answers are
    coarse, bounded readings of a continuous latent response; Pearson
    covariances of the category codes underestimate the latent correlations
    and so alpha, the more the fewer the categories and the more skewed the
    answers.  Ordinal alpha (Zumbo, Gadermann & Zeisser 2007) is the
    standardized-alpha formula applied to the polychoric matrix
    :math:`R_{pc}`, :math:`\frac{k}{k-1}(1 - k / \mathbf 1'R_{pc}\mathbf 1)`,
    ordinal omega is omega total of a one-factor ML analysis of
    :math:`R_{pc}`; every other statistic (average r, lambda 6, item-rest r,
    alpha if deleted) is computed from :math:`R_{pc}` too, which is
    ``psych::alpha(psych::polychoric(x)$rho)``.  It describes the reliability
    of the latent responses, not of the observed sum score.  Reverse-keyed items
    enter with the sign of their polychoric correlations flipped; the Feldt
    interval uses the same effective ``n``.  A matrix that is not positive
    definite is smoothed as psych does (with a warning).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16, 297-334.
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. *Psychometrika*, 30, 357-370.
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
    coefficient alpha. *Applied Psychological Measurement*, 11, 93-103.
    Guttman, L. (1945). A basis for analyzing test-retest reliability.
    *Psychometrika*, 10, 255-282.
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and
    Personality Research (R package version 2.2.9).
    Zumbo, B. D., Gadermann, A. M., & Zeisser, C. (2007). Ordinal versions of
    coefficients alpha and theta for Likert rating scales. *Journal of Modern
    Applied Statistical Methods*, 6(1), 21-29.
    Gadermann, A. M., Guhn, M., & Zumbo, B. D. (2012). Estimating ordinal
    reliability for Likert-type and ordinal item response data. *Practical
    Assessment, Research & Evaluation*, 17(3).

    Examples
    --------
    >>> import pandas as pd
    >>> from ccstudy import stats
    >>> df = pd.DataFrame({"q1": [1, 2, 3, 4, 5, 4], "q2": [2, 2, 3, 5, 5, 4],
    ...                    "q3": [5, 4, 3, 2, 1, 2]})
    >>> rel = stats.reliability(df, reverse=["q3"], scale=(1, 5))  # doctest: +SKIP
    >>> round(rel.alpha, 3)  # doctest: +SKIP
    0.985

    (with warnings: n = 6 is small, and omega is NaN because the keyed q3
    duplicates q1, so the correlation matrix is singular.)

    The equivalent R call is
    ``psych::alpha(df, keys = "q3", use = "pairwise")`` (``$total$raw_alpha``,
    ``$alpha.drop``, ``$item.stats$r.drop``, ``$feldt``).
    """
    scale_t = _check_scale(scale)
    _check_options(missing, confidence, n_boot, seed)
    _check_correlation(correlation, n_boot)
    X, names, rev, rev_mask, scan = _prepare(items, reverse, scale_t)
    m = _moments(X, missing, scan, center=(scale_t[0] + scale_t[1]) / 2.0)
    _check_moments(names, m, missing)
    return _assemble(
        names,
        m,
        X,
        None,
        rev_mask,
        rev=rev,
        scale=scale_t,
        missing=missing,
        confidence=float(confidence),
        n_boot=int(n_boot),
        seed=seed,
        poly=_poly_matrix(X, names, missing) if correlation == "polychoric" else None,
    )


def _scale_spec(
    items: object, scales: object, total: str | None, reverse: object
) -> tuple[dict[str, list], list, tuple[str, ...]]:
    """Validate a scales mapping; return (scale -> columns incl. total, all columns, reverse)."""
    if not isinstance(items, pd.DataFrame):
        raise TypeError(
            f"items must be a pandas DataFrame, got {type(items).__name__}"
        )
    spec = column_groups(items, scales, arg="scales", member="scale", need="a scale needs at least 2 items")
    union: list = []
    for cols in spec.values():
        for c in cols:
            if c not in union:
                union.append(c)
    if total is not None and total not in spec:
        spec[total] = list(union)
    rev = _normalise_reverse(reverse)
    unknown = [r for r in rev if r not in union]
    if unknown:
        raise ValueError(
            f"reverse names column(s) not in any scale: {unknown!r}; scale items are {union!r}"
        )
    return spec, union, rev


def reliability_scales(
    items: pd.DataFrame,
    scales: Mapping[str, Sequence[str]],
    *,
    total: str | None = "total",
    reverse: Sequence[str] = (),
    scale: tuple[float, float] = (1, 5),
    missing: Missing = "pairwise",
    confidence: float = 0.95,
    n_boot: int = 0,
    seed: int | None = None,
    correlation: Correlation = "pearson",
) -> dict[str, ReliabilityResult]:
    """:func:`reliability` for several scales from one covariance pass.

    Parameters
    ----------
    items : pandas.DataFrame
        Every item used by any scale (other columns are ignored).
    scales : mapping of str to list of str
        Scale name -> its item columns (e.g. 11 competencies and 3 dimensions).
    total : str or None, default "total"
        Name of an extra scale made of every item named in ``scales`` (in
        order of first appearance); ``None`` or a name already in ``scales``
        adds nothing.
    reverse, scale, missing, confidence, n_boot, seed, correlation
        As in :func:`reliability`; ``reverse`` may name items of any scale.

    Returns
    -------
    dict of str to ReliabilityResult
        In the order of ``scales`` (then ``total``).  Each result equals
        ``reliability(items[cols], ...)`` for that scale's columns.

    Raises
    ------
    TypeError, ValueError
        As :func:`reliability`; also an empty ``scales``, a scale naming a
        missing column or with fewer than 2 items.

    Notes
    -----
    With ``missing="pairwise"`` or complete data one covariance matrix of
    all items is computed and each scale uses its sub-matrix; this is exact
    because a pairwise covariance depends only on its two columns.  With
    ``missing="listwise"`` and incomplete data each scale drops the rows
    incomplete on *its own* items (so a result equals the single-scale call).
    With ``correlation="polychoric"`` the same holds for the polychoric
    matrix: a polychoric correlation depends only on its two items (and their
    own thresholds), so each scale uses its sub-matrix (smoothed per scale if
    needed).
    """
    spec, union, rev = _scale_spec(items, scales, total, reverse)
    scale_t = _check_scale(scale)
    _check_options(missing, confidence, n_boot, seed)
    _check_correlation(correlation, n_boot)
    poly_all = None
    frame = items if list(items.columns) == union else items[union]
    X, names, rev, rev_mask, scan = _prepare(frame, rev, scale_t)
    any_nan = scan[0]
    pos = {c: j for j, c in enumerate(names)}
    needs_own_pass = missing == "listwise" and any_nan
    all_index = pd.Index(names, name="item")
    mid = (scale_t[0] + scale_t[1]) / 2.0
    if not needs_own_pass:
        m_all = _moments(X, missing, scan, center=mid)
        if correlation == "polychoric":
            from ccstudy.stats.polychoric import _PolyPairs

            poly_all = _PolyPairs(X, names, correct=0.5, func="reliability_scales(correlation='polychoric')")
    out: dict[str, ReliabilityResult] = {}
    for label, cols in spec.items():
        idx = np.array([pos[c] for c in cols])
        poly = None
        if needs_own_pass:
            m = _moments(X[:, idx], missing, True, center=mid)
            if correlation == "polychoric":
                poly = _poly_matrix(X[:, idx], list(cols), missing)
        else:
            if poly_all is not None:
                poly = poly_all.matrix(idx)[0]
            n_dropped = int(np.isnan(X[:, idx]).all(axis=1).sum()) if any_nan else 0
            m = _Moments(
                cov=m_all.cov[np.ix_(idx, idx)],
                npair=m_all.npair[np.ix_(idx, idx)],
                mean=m_all.mean[idx],
                n_rows=m_all.n_rows,
                n_dropped=n_dropped,
            )
        _check_moments(cols, m, missing, where=f"scale {label!r}: ")
        out[label] = _assemble(
            cols,
            m,
            X,
            idx,
            rev_mask[idx],
            rev=rev,
            scale=scale_t,
            missing=missing,
            confidence=float(confidence),
            n_boot=int(n_boot),
            seed=seed,
            label=f"scale {label!r}",
            stacklevel=4,
            index=all_index[idx],
            poly=poly,
        )
    return out


_TABLE_COLUMNS = (
    "k",
    "n",
    "n_rows",
    "n_dropped",
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "alpha_boot_ci_low",
    "alpha_boot_ci_high",
    "std_alpha",
    "average_r",
    "lambda6",
    "omega_total",
)


def _alpha_only(
    items: pd.DataFrame,
    spec: dict[str, list],
    union: list,
    rev: tuple[str, ...],
    scale_t: tuple[float, float],
    missing: str,
    confidence: float,
) -> pd.DataFrame | None:
    """Raw alpha per scale in O(n k) work; None when values are missing.

    Uses ``1' C_S 1 = var(sum of the scale's items)``: item variances from
    column sums of squares and the variance of every (keyed: reversed items
    enter with a minus sign) scale score, no covariance matrix.
    """
    frame = items if list(items.columns) == union else items[union]
    X, names, rev, rev_mask, (has_nan, col_sum) = _prepare(frame, rev, scale_t)
    if has_nan:
        return None
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"items has {n} row(s); need at least 2 respondents")
    pos = {c: j for j, c in enumerate(names)}

    def variances(Y: np.ndarray, sums: np.ndarray) -> np.ndarray:
        mean = sums / n
        var = (np.einsum("ij,ij->j", Y, Y) - n * mean**2) / (n - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = mean**2 / var
        if not (np.all(var > 0) and np.all(ratio < _CANCELLATION_LIMIT)):
            Yc = Y - mean
            var = np.einsum("ij,ij->j", Yc, Yc) / (n - 1)
            const = ~(var > 0) | (np.sqrt(var) <= 1e-10 * np.abs(mean))
            var = np.where(const, 0.0, var)
        return var

    item_var = variances(X, col_sum)
    const = [names[j] for j in np.flatnonzero(~(item_var > 0))]
    if const:
        raise ValueError(
            f"items column(s) {const!r} have zero variance (constant); drop them - a "
            "constant item carries no information about reliability"
        )
    # Keyed scale scores by column additions (no threaded BLAS).  Smaller scales
    # first; a larger scale reuses the scores of smaller disjoint scales it
    # contains (the total = the sum of the competency scores).
    item_sets = [frozenset(pos[c] for c in cols) for cols in spec.values()]
    scores = np.empty((n, len(spec)), order="F")
    score_sum = np.empty(len(spec))
    done: list[int] = []
    for j in sorted(range(len(spec)), key=lambda j: len(item_sets[j])):
        out = scores[:, j]
        remaining = set(item_sets[j])
        parts = []
        for d in sorted(done, key=lambda d: -len(item_sets[d])):
            if item_sets[d] <= remaining:
                parts.append(d)
                remaining -= item_sets[d]
        terms = [(scores[:, d], 1.0, score_sum[d]) for d in parts]
        terms += [
            (X[:, i], -1.0 if rev_mask[i] else 1.0, -col_sum[i] if rev_mask[i] else col_sum[i])
            for i in sorted(remaining)
        ]
        (first, sign, total), *rest = terms
        np.negative(first, out=out) if sign < 0 else np.copyto(out, first)
        for col, sign, col_total in rest:
            (np.subtract if sign < 0 else np.add)(out, col, out=out)
            total += col_total
        score_sum[j] = total
        done.append(j)
    score_var = variances(scores, score_sum)
    rows = []
    for j, (label, cols) in enumerate(spec.items()):
        k = len(cols)
        alpha = (k / (k - 1.0)) * (1.0 - item_var[[pos[c] for c in cols]].sum() / score_var[j])
        low, high = feldt_ci(alpha, n, k, confidence)
        msgs = []
        if k < 3:
            msgs.append(f"scale {label!r}: only k={k} items")
        if n < SMALL_N:
            msgs.append(f"scale {label!r}: small effective n={n} (< {SMALL_N})")
        for msg in msgs:
            warnings.warn(msg, ReliabilityWarning, stacklevel=4)
        rows.append(
            {
                "scale": label,
                "k": k,
                "n": n,
                "n_rows": n,
                "n_dropped": 0,
                "alpha": float(alpha),
                "alpha_ci_low": low,
                "alpha_ci_high": high,
                "method": missing,
                "warnings": tuple(msgs),
            }
        )
    return pd.DataFrame(rows).set_index("scale")


def reliability_table(
    items: pd.DataFrame,
    scales: Mapping[str, Sequence[str]],
    *,
    statistics: Literal["all", "alpha"] = "all",
    total: str | None = "total",
    reverse: Sequence[str] = (),
    scale: tuple[float, float] = (1, 5),
    missing: Missing = "pairwise",
    confidence: float = 0.95,
    n_boot: int = 0,
    seed: int | None = None,
    correlation: Correlation = "pearson",
) -> pd.DataFrame:
    r"""One row of reliability statistics per scale, from one covariance pass.

    Parameters
    ----------
    items : pandas.DataFrame
        Every item used by any scale.
    scales : mapping of str to list of str
        Scale name -> item columns (e.g. 11 competencies and 3 dimensions).
    statistics : {"all", "alpha"}, default "all"
        ``"all"``: every :func:`reliability` statistic (one covariance matrix
        of all items, then each scale's sub-matrix).  ``"alpha"``: only raw
        alpha and its Feldt interval, by a faster route for complete data
        (see Notes); with missing values it falls back to ``"all"`` and keeps
        the alpha columns.
    total, reverse, scale, missing, confidence, n_boot, seed, correlation
        As in :func:`reliability_scales` (``"polychoric"``: ordinal alpha and
        omega; the ``"alpha"`` fast route is for Pearson only).

    Returns
    -------
    pandas.DataFrame
        Indexed by scale (``scales`` order, then ``total``).  ``"all"``:
        columns ``k, n, n_rows, n_dropped, alpha, alpha_ci_low, alpha_ci_high,
        alpha_boot_ci_low, alpha_boot_ci_high, std_alpha, average_r, lambda6,
        omega_total, min_item_rest_r, max_alpha_if_deleted, method, correlation, warnings``,
        every number equal to the corresponding :func:`reliability` field.
        ``"alpha"``: ``k, n, n_rows, n_dropped, alpha, alpha_ci_low,
        alpha_ci_high, method, warnings``.

    Raises
    ------
    TypeError, ValueError
        As :func:`reliability_scales`.

    Notes
    -----
    ``statistics="alpha"`` on complete data never forms the covariance matrix:
    with item variances :math:`s_i^2` and the variance :math:`s_T^2` of the
    (keyed) scale score, :math:`\mathbf 1'C\mathbf 1 = s_T^2`, so
    :math:`\alpha = \frac{k}{k-1}(1 - \sum s_i^2 / s_T^2)` -- the same
    number, in O(n k) instead of O(n k^2) work.  It does not check for
    miskeyed items (no item-rest correlations are computed).

    Examples
    --------
    >>> stats.reliability_table(df, {"empathy": ["e1", "e2", "e3"],
    ...                              "clarity": ["c1", "c2", "c3"]})  # doctest: +SKIP

    In R: ``sapply(scales, function(s) psych::alpha(df[s])$total$raw_alpha)``.
    """
    if statistics not in ("all", "alpha"):
        raise ValueError(f"statistics must be 'all' or 'alpha', got {statistics!r}")
    if statistics == "alpha" and correlation == "pearson":
        spec, union, rev = _scale_spec(items, scales, total, reverse)
        scale_t = _check_scale(scale)
        _check_options(missing, confidence, n_boot, seed)
        fast = _alpha_only(items, spec, union, rev, scale_t, missing, float(confidence))
        if fast is not None:
            return fast
    results = reliability_scales(
        items,
        scales,
        total=total,
        reverse=reverse,
        scale=scale,
        missing=missing,
        confidence=confidence,
        n_boot=n_boot,
        seed=seed,
        correlation=correlation,
    )
    columns: dict[str, list] = {c: [] for c in _TABLE_COLUMNS}
    columns.update(min_item_rest_r=[], max_alpha_if_deleted=[], method=[], correlation=[], warnings=[])
    for res in results.values():
        for c in _TABLE_COLUMNS:
            columns[c].append(getattr(res, c))
        irr = res.items["item_rest_r"].to_numpy()
        aid = res.items["alpha_if_deleted"].to_numpy()
        columns["min_item_rest_r"].append(float(np.nanmin(irr)) if np.isfinite(irr).any() else np.nan)
        columns["max_alpha_if_deleted"].append(float(np.nanmax(aid)) if np.isfinite(aid).any() else np.nan)
        columns["method"].append(res.method)
        columns["correlation"].append(res.correlation)
        columns["warnings"].append(res.warnings)
    for c in ("alpha_boot_ci_low", "alpha_boot_ci_high"):
        columns[c] = [np.nan if v is None else v for v in columns[c]]
    frame = pd.DataFrame(columns, index=pd.Index(list(results), name="scale"))
    for c in ("k", "n", "n_rows", "n_dropped"):
        frame[c] = frame[c].astype(np.int64)
    if statistics == "alpha":
        frame = frame[list(_ALPHA_COLUMNS)]
    return frame


_ALPHA_COLUMNS = ("k", "n", "n_rows", "n_dropped", "alpha", "alpha_ci_low", "alpha_ci_high", "method", "warnings")


def item_correlations(
    items: pd.DataFrame,
    *,
    reverse: Sequence[str] = (),
    scale: tuple[float, float] = (1, 5),
    missing: Missing = "pairwise",
) -> pd.DataFrame:
    """Inter-item correlation matrix used by :func:`reliability` (one covariance pass).

    Parameters
    ----------
    items : pandas.DataFrame
        Rows respondents, columns items; NaN = missing.
    reverse, scale, missing
        As in :func:`reliability` (reverse-keyed items enter with flipped sign).

    Returns
    -------
    pandas.DataFrame
        k x k correlations ``R = D^-1/2 C D^-1/2`` of the (pairwise or
        listwise) covariance matrix ``C``, indexed by item on both axes.

    Raises
    ------
    TypeError, ValueError
        As :func:`reliability`.

    Notes
    -----
    With complete data this equals ``numpy.corrcoef`` and ``DataFrame.corr()``.
    With ``missing="pairwise"`` it is psych's ``cov2cor(cov(x, use =
    "pairwise"))`` (item SDs from every answer to the item), *not* R's
    ``cor(x, use = "pairwise")`` / pandas ``corr()``, which take the SDs over
    each pair's common rows; the former is what alpha and standardized alpha
    are computed from.

    Examples
    --------
    >>> from ccstudy.stats.reliability import item_correlations
    >>> item_correlations(df, reverse=["q3"])  # doctest: +SKIP

    In R: ``cov2cor(cov(x, use = "pairwise"))`` after reverse keying.
    """
    scale_t = _check_scale(scale)
    _check_options(missing, 0.95, 0, None)
    X, names, _rev, rev_mask, scan = _prepare(items, reverse, scale_t)
    m = _moments(X, missing, scan, center=(scale_t[0] + scale_t[1]) / 2.0)
    _check_moments(names, m, missing)
    m = m.keyed(rev_mask, scale_t[0] + scale_t[1])
    sd = np.sqrt(np.diag(m.cov))
    R = m.cov / np.outer(sd, sd)
    np.fill_diagonal(R, 1.0)
    return pd.DataFrame(R, index=pd.Index(names, name="item"), columns=pd.Index(names, name="item"))
