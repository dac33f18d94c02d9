"""Correlation of questionnaire scores with KPIs.

Public functions
----------------
correlate
    Pearson or Spearman correlation of two variables, optionally partial on
    covariates, with a Fisher-z confidence interval and a p-value computed the
    way R's ``cor.test`` computes it.
correlation_table
    Every score x KPI pair in one tidy table with multiplicity-adjusted
    p-values (Holm, Benjamini-Hochberg) equal to R's ``p.adjust``.
adjust_pvalues
    Holm / Benjamini-Hochberg / no adjustment of a vector of p-values.

All functions are pure: arrays, Series or DataFrames in, frozen result
dataclasses (or a DataFrame) out.  Nothing is rounded.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats as _sps

from ccstudy.stats._results import Result

__all__ = [
    "CorrelationResult",
    "correlate",
    "correlation_table",
    "adjust_pvalues",
]

CorrelationMethod = Literal["pearson", "spearman"]
AdjustMethod = Literal["holm", "bh", "none"]

_METHODS = ("pearson", "spearman")
_ADJUST = ("holm", "bh", "none")


# ---------------------------------------------------------------------------
# input helpers (shared with effects.py)
# ---------------------------------------------------------------------------


def _check_choice(func: str, name: str, value: Any, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``; raise a helpful error otherwise."""
    if not isinstance(value, str):
        raise TypeError(
            f"{func}(): argument '{name}' must be a string, got {type(value).__name__} "
            f"{value!r}; allowed values are {', '.join(repr(a) for a in allowed)}."
        )
    if value not in allowed:
        raise ValueError(
            f"{func}(): argument '{name}' got {value!r}; allowed values are "
            f"{', '.join(repr(a) for a in allowed)}. Pass one of these, e.g. {name}={allowed[0]!r}."
        )
    return value


def _check_confidence(func: str, confidence: Any) -> float:
    """Validate a confidence level strictly between 0 and 1."""
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating, np.integer)):
        raise TypeError(
            f"{func}(): argument 'confidence' must be a number between 0 and 1, got "
            f"{type(confidence).__name__} {confidence!r}; e.g. confidence=0.95."
        )
    c = float(confidence)
    if not (0.0 < c < 1.0):
        raise ValueError(
            f"{func}(): argument 'confidence' got {confidence!r}; it must lie strictly between "
            "0 and 1 (a proportion, not a percentage), e.g. confidence=0.95."
        )
    return c


def _as_vector(func: str, name: str, values: Any) -> tuple[np.ndarray, pd.Index | None]:
    """Convert a 1-D array-like to a float array; return it with its pandas index (if any)."""
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise TypeError(
                f"{func}(): argument '{name}' is a DataFrame with {values.shape[1]} columns; "
                "pass a single column (a Series), e.g. df['score']."
            )
        values = values.iloc[:, 0]
    index = values.index if isinstance(values, pd.Series) else None
    if isinstance(values, (str, bytes)) or np.isscalar(values):
        raise TypeError(
            f"{func}(): argument '{name}' must be a 1-D sequence of numbers (list, numpy array "
            f"or pandas Series), got {type(values).__name__} {values!r}."
        )
    try:
        if isinstance(values, pd.Series):
            arr = pd.to_numeric(values, errors="raise").to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{func}(): argument '{name}' must contain numbers (missing values as NaN/None), "
            f"but it could not be converted to float ({exc}). Convert or clean the column first."
        ) from None
    if arr.ndim != 1:
        raise TypeError(
            f"{func}(): argument '{name}' must be one-dimensional, got an array of shape "
            f"{arr.shape}; pass a single column."
        )
    if np.isinf(arr).any():
        raise ValueError(
            f"{func}(): argument '{name}' contains infinite values; replace them by NaN (they are "
            "then dropped as missing) or fix the data."
        )
    return arr, index


def _check_same_length(func: str, names: Sequence[str], arrays: Sequence[np.ndarray]) -> None:
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1:
        desc = ", ".join(f"'{nm}' has {ln}" for nm, ln in zip(names, lengths))
        raise ValueError(
            f"{func}(): arguments must have the same length (one value per unit), but {desc} "
            "values. Align them first, e.g. take both columns from one DataFrame."
        )


def _check_same_index(func: str, names: Sequence[str], indexes: Sequence[pd.Index | None]) -> None:
    present = [(nm, ix) for nm, ix in zip(names, indexes) if ix is not None]
    for nm, ix in present[1:]:
        first_nm, first_ix = present[0]
        if not ix.equals(first_ix):
            raise ValueError(
                f"{func}(): pandas arguments '{first_nm}' and '{nm}' have different indexes, so "
                "pairing them by position could silently mismatch units. Align them first "
                "(e.g. df[[a, b]] from one DataFrame, or .reset_index(drop=True) on both)."
            )


def _check_variance(func: str, name: str, values: np.ndarray) -> None:
    if values.size and np.all(values == values[0]):
        raise ValueError(
            f"{func}(): argument '{name}' is constant (every complete value equals "
            f"{values[0]!r}), so its variance is zero and the statistic is undefined. "
            "Drop this variable or check the data."
        )


def _covariate_matrix(func: str, covariates: Any, n: int, index: pd.Index | None) -> tuple[np.ndarray, tuple[str, ...], pd.Index | None]:
    """Covariates as an (n, k) float matrix plus their names."""
    if isinstance(covariates, pd.Series):
        covariates = covariates.to_frame(name=covariates.name if covariates.name is not None else "covariate")
    if isinstance(covariates, pd.DataFrame):
        cov_index = covariates.index
        names = tuple(str(c) for c in covariates.columns)
        try:
            mat = covariates.apply(pd.to_numeric, errors="raise").to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{func}(): argument 'covariates' must be numeric ({exc}); dummy-code categorical "
                "covariates first, e.g. pd.get_dummies(df['team'], drop_first=True, dtype=float)."
            ) from None
    else:
        cov_index = None
        try:
            mat = np.asarray(covariates, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{func}(): argument 'covariates' must be a DataFrame, Series or 2-D numeric array, "
                f"got {type(covariates).__name__} ({exc})."
            ) from None
        if mat.ndim == 1:
            mat = mat[:, None]
        if mat.ndim != 2:
            raise TypeError(
                f"{func}(): argument 'covariates' must be 2-D (rows = units), got shape {mat.shape}."
            )
        names = tuple(f"covariate_{j + 1}" for j in range(mat.shape[1]))
    if mat.shape[0] != n:
        raise ValueError(
            f"{func}(): argument 'covariates' has {mat.shape[0]} rows but 'x' has {n} values; "
            "they must describe the same units in the same order."
        )
    if mat.shape[1] == 0:
        raise ValueError(
            f"{func}(): argument 'covariates' has no columns; pass covariates=None for a "
            "zero-order correlation."
        )
    if np.isinf(mat).any():
        raise ValueError(f"{func}(): argument 'covariates' contains infinite values; replace them by NaN.")
    return mat, names, cov_index


def _rank(values: np.ndarray) -> np.ndarray:
    """Average ranks, as R's ``rank(ties.method = "average")``."""
    return _sps.rankdata(values, method="average")


def _residualise(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Residuals of the least-squares regression of ``y`` on ``[1, z]``."""
    design = np.column_stack([np.ones(len(y)), z])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    return y - design @ beta


# ---------------------------------------------------------------------------
# Spearman p-value as in R's cor.test (AS 89)
# ---------------------------------------------------------------------------


def _prho(n: int, s: float, lower_tail: bool) -> float:
    """Algorithm AS 89 as implemented in R's ``prho.c``.

    Returns P[S >= s] (upper) or P[S < s] (lower) for Spearman's
    S = (n^3 - n)(1 - rho)/6 under independence: exact enumeration of all
    permutations for n <= 9, an Edgeworth series expansion otherwise.
    """
    pv = 0.0 if lower_tail else 1.0
    if n <= 1:
        return pv
    if s <= 0.0:
        return pv
    n3 = float(n) * (float(n) * float(n) - 1.0) / 3.0
    if s > n3:
        return 1.0 - pv
    if n <= 9:
        if s == n3:
            ifr = 1
            nfac = math.factorial(n)
        else:
            counts = _spearman_s_counts(n)
            nfac = math.factorial(n)
            ifr = int(sum(c for ise, c in counts.items() if s <= ise))
        return (nfac - ifr if lower_tail else ifr) / float(nfac)
    y = float(n)
    b = 1.0 / y
    x = (6.0 * (s - 1.0) * b / (y * y - 1.0) - 1.0) * math.sqrt(y - 1.0)
    y = x * x
    c1, c2, c3, c4, c5, c6 = 0.2274, 0.2531, 0.1745, 0.0758, 0.1033, 0.3932
    c7, c8, c9, c10, c11, c12 = 0.0879, 0.0151, 0.0072, 0.0831, 0.0131, 4.6e-4
    u = x * b * (
        c1
        + b * (c2 + c3 * b)
        + y * (-c4 + b * (c5 + c6 * b) - y * b * (c7 + c8 * b - y * (c9 - c10 * b + y * b * (c11 - c12 * y))))
    )
    y = u / math.exp(y / 2.0)
    pv = (-y if lower_tail else y) + float(_sps.norm.cdf(x) if lower_tail else _sps.norm.sf(x))
    return min(max(pv, 0.0), 1.0)


_S_COUNTS_CACHE: dict[int, dict[int, int]] = {}


def _spearman_s_counts(n: int) -> dict[int, int]:
    """Distribution of sum_i (i - pi(i))^2 over all permutations pi of 1..n (n <= 9)."""
    if n in _S_COUNTS_CACHE:
        return _S_COUNTS_CACHE[n]
    # dynamic programming over positions with a bitmask of used values
    from collections import defaultdict

    states: dict[tuple[int, int], int] = {(0, 0): 1}
    for pos in range(1, n + 1):
        nxt: dict[tuple[int, int], int] = defaultdict(int)
        for (mask, ssum), cnt in states.items():
            for v in range(1, n + 1):
                bit = 1 << (v - 1)
                if not mask & bit:
                    nxt[(mask | bit, ssum + (pos - v) ** 2)] += cnt
        states = nxt
    out: dict[int, int] = defaultdict(int)
    for (_, ssum), cnt in states.items():
        out[ssum] += cnt
    _S_COUNTS_CACHE[n] = dict(out)
    return _S_COUNTS_CACHE[n]


def _spearman_p(r: float, n: int, exact: bool) -> tuple[float, str]:
    """Two-sided p-value of Spearman's rho exactly as R's ``cor.test`` (two.sided)."""
    q = (n**3 - n) * (1.0 - r) / 6.0
    if exact and n <= 1290:
        if q > (n**3 - n) / 6.0:
            p = _prho(n, float(round(q)) + 0.0, lower_tail=False)
        else:
            p = _prho(n, float(round(q)) + 2.0, lower_tail=True)
        label = "exact (permutation distribution)" if n <= 9 else "AS 89 Edgeworth series"
        return min(2.0 * p, 1.0), label
    den = (n * (n**2 - 1)) / 6.0
    rr = 1.0 - q / den
    denom = (1.0 - rr**2) / (n - 2)
    stat = rr / math.sqrt(denom) if denom > 0 else math.copysign(math.inf, rr)  # R: r/0 = +-Inf
    if q > (n**3 - n) / 6.0:
        p = float(_sps.t.cdf(stat, df=n - 2))
    else:
        p = float(_sps.t.sf(stat, df=n - 2))
    return min(2.0 * p, 1.0), "t approximation"


# ---------------------------------------------------------------------------
# correlate
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CorrelationResult(Result):
    """Correlation of two variables (optionally partial on covariates).

    Attributes
    ----------
    n : int
        Complete cases used.
    n_dropped : int
        Rows dropped because x, y or a covariate was missing.
    r : float
        Pearson r or Spearman rho (partial if covariates were given).
    ci_low, ci_high : float
        Fisher-z confidence limits at ``confidence``.
    p : float
        Two-sided p-value.
    df : int
        Degrees of freedom of the t statistic, n - 2 - k.
    t : float
        t statistic r * sqrt(df / (1 - r^2)) (reported also for Spearman).
    method : str
        "pearson" or "spearman".
    p_method : str
        How p was obtained ("t distribution", "exact (permutation
        distribution)", "AS 89 Edgeworth series", "t approximation").
    ci_method : str
        Description of the interval.
    covariates : tuple of str
        Names of the covariates partialled out (empty for zero-order r).
    confidence : float
        Confidence level of the interval.
    ties : bool
        Whether x or y had tied values (Spearman: forces the t approximation).
    """

    n: int
    n_dropped: int
    r: float
    ci_low: float
    ci_high: float
    p: float
    df: int
    t: float
    method: str
    p_method: str
    ci_method: str
    covariates: tuple[str, ...]
    confidence: float
    ties: bool


def correlate(
    x: Any,
    y: Any,
    *,
    method: CorrelationMethod = "pearson",
    covariates: Any = None,
    confidence: float = 0.95,
) -> CorrelationResult:
    """Pearson or Spearman correlation with Fisher-z CI, optionally partial.

    Parameters
    ----------
    x, y : array-like or pandas.Series
        Paired observations (one value per unit).  Missing values (NaN/None)
        are allowed; incomplete pairs are dropped and counted.
    method : {"pearson", "spearman"}, default "pearson"
        Product-moment correlation or rank correlation (average ranks for
        ties).
    covariates : DataFrame, Series or 2-D array, optional
        Variables to partial out.  The result is then the partial correlation
        of x and y given the covariates.
    confidence : float, default 0.95
        Level of the two-sided confidence interval.

    Returns
    -------
    CorrelationResult
        ``n``, ``n_dropped``, ``r``, ``ci_low``, ``ci_high``, ``p``, ``df``,
        ``t``, ``method``, ``p_method``, ``ci_method``, ``covariates``,
        ``confidence``, ``ties``.

    Raises
    ------
    TypeError
        Non-numeric input, wrong shapes, or a non-string ``method``.
    ValueError
        Length mismatch, different pandas indexes, fewer than 3 complete
        cases (fewer than k + 3 with k covariates), a constant variable, an
        unknown ``method`` or a ``confidence`` outside (0, 1).

    Notes
    -----
    *Pearson.*  ``t = r sqrt(df / (1 - r^2))`` with ``df = n - 2`` and a
    two-sided p from Student's t, as R ``cor.test``.  The CI uses Fisher's
    ``z = atanh(r)`` with standard error ``1 / sqrt(n - 3)``:
    ``tanh(z -/+ z_{1-alpha/2} / sqrt(n - 3))`` (Fisher 1921), identical to
    ``cor.test``.

    *Spearman.*  rho is the Pearson correlation of average ranks.  The p-value
    reproduces R ``cor.test(method = "spearman")`` with its default
    ``exact = NULL``: without ties and n <= 1290 it uses algorithm AS 89 (Best
    & Roberts 1975) on S = (n^3 - n)(1 - rho)/6 -- exact enumeration for
    n <= 9, an Edgeworth series approximation for larger n; with ties it uses
    the t approximation ``rho sqrt((n - 2)/(1 - rho^2))`` on n - 2 df.  R has
    no CI for rho; the CI here is the Fisher-z interval with SE
    ``1/sqrt(n - 3)`` applied to rho, as ``psych::corr.test`` does.

    *Partial.*  With k covariates, x and y (ranks for Spearman, where the
    covariates are ranked too, as ``ppcor::pcor.test``) are residualised on
    the covariates by least squares and r is the correlation of the
    residuals.  ``df = n - 2 - k``, the t statistic uses that df, and the
    Fisher-z CI uses SE ``1/sqrt(n - 3 - k)``.  The p-value is the one of
    ``ppcor::pcor.test`` (always t-based, also for Spearman) and equals
    ``psych::corr.p(r, n = n - k)``.

    *Missing data.*  Listwise: a row with any missing x, y or covariate is
    dropped (``n_dropped``), as ``cor.test`` (``complete.cases``).  Ranks are
    computed after dropping.

    *Small n.*  The Fisher CI needs n - 3 - k > 0; when n = 3 + k the limits
    are NaN and a ``RuntimeWarning`` is issued (R ``cor.test`` also omits the
    interval for n = 3).

    References
    ----------
    Fisher, R. A. (1921). On the "probable error" of a coefficient of
    correlation deduced from a small sample. *Metron*, 1, 3-32.
    Best, D. J., & Roberts, D. E. (1975). Algorithm AS 89: The upper tail
    probabilities of Spearman's rho. *Applied Statistics*, 24, 377-379.
    Kim, S. (2015). ppcor: An R package for a fast calculation to semi-partial
    correlation coefficients. *Communications for Statistical Applications
    and Methods*, 22, 665-674.

    Examples
    --------
    >>> import numpy as np
    >>> from ccstudy.stats import correlate
    >>> c = correlate([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])
    >>> round(c.r, 6)
    0.8

    The R equivalent is ``cor.test(c(1,2,3,4,5), c(2,1,4,3,5))``
    (``method = "spearman"`` for rank correlation).
    """
    func = "correlate"
    method = _check_choice(func, "method", method, _METHODS)
    conf = _check_confidence(func, confidence)
    xa, xi = _as_vector(func, "x", x)
    ya, yi = _as_vector(func, "y", y)
    _check_same_length(func, ("x", "y"), (xa, ya))
    indexes: list[pd.Index | None] = [xi, yi]
    names = ["x", "y"]
    if covariates is not None:
        za, cov_names, zi = _covariate_matrix(func, covariates, len(xa), xi)
        indexes.append(zi)
        names.append("covariates")
    else:
        za, cov_names = np.empty((len(xa), 0)), ()
    _check_same_index(func, names, indexes)

    ok = ~(np.isnan(xa) | np.isnan(ya) | np.isnan(za).any(axis=1))
    n_total = len(xa)
    xa, ya, za = xa[ok], ya[ok], za[ok]
    n = int(ok.sum())
    k = za.shape[1]
    if n < 3 + k:
        need = 3 + k
        raise ValueError(
            f"{func}(): needs at least {need} complete cases"
            + (f" with {k} covariate(s)" if k else "")
            + f", got n = {n} (after dropping {n_total - n} incomplete rows). Provide more data"
            + (" or fewer covariates." if k else ".")
        )
    _check_variance(func, "x", xa)
    _check_variance(func, "y", ya)
    for j in range(k):
        _check_variance(func, f"covariates[{cov_names[j]!r}]", za[:, j])

    ties = bool(len(np.unique(xa)) < n or len(np.unique(ya)) < n)
    if method == "spearman":
        xv, yv = _rank(xa), _rank(ya)
        zv = np.column_stack([_rank(za[:, j]) for j in range(k)]) if k else za
    else:
        xv, yv, zv = xa, ya, za
    if k:
        xv = _residualise(xv, zv)
        yv = _residualise(yv, zv)
        if np.allclose(xv, 0.0, atol=1e-12 * max(1.0, float(np.abs(xa).max()))) or np.allclose(
            yv, 0.0, atol=1e-12 * max(1.0, float(np.abs(ya).max()))
        ):
            raise ValueError(
                f"{func}(): after partialling out the covariates {cov_names}, 'x' or 'y' has no "
                "variance left (it is a linear function of the covariates); the partial "
                "correlation is undefined. Remove the redundant covariate."
            )
    xc = xv - xv.mean()
    yc = yv - yv.mean()
    r = float(np.dot(xc, yc) / math.sqrt(np.dot(xc, xc) * np.dot(yc, yc)))
    r = min(1.0, max(-1.0, r))
    df = n - 2 - k
    if abs(r) < 1.0:
        t = r * math.sqrt(df / (1.0 - r * r))
    else:
        t = math.copysign(math.inf, r)

    if method == "pearson" or k > 0:
        p = float(2.0 * _sps.t.sf(abs(t), df)) if math.isfinite(t) else 0.0
        p_method = "t distribution"
    else:
        p, p_method = _spearman_p(r, n, exact=not ties)

    se_z = n - 3 - k
    if se_z > 0:
        zcrit = float(_sps.norm.ppf((1.0 + conf) / 2.0))
        if abs(r) < 1.0:
            z = math.atanh(r)
            half = zcrit / math.sqrt(se_z)
            ci_low, ci_high = math.tanh(z - half), math.tanh(z + half)
        else:
            ci_low = ci_high = r
    else:
        warnings.warn(
            f"{func}(): n - 3 - k = {se_z}, so the Fisher-z confidence interval is undefined; "
            "ci_low and ci_high are NaN. Collect more observations for an interval.",
            RuntimeWarning,
            stacklevel=2,
        )
        ci_low = ci_high = math.nan
    ci_method = (
        f"Fisher z, SE = 1/sqrt(n - 3{' - k' if k else ''})"
        + (" (applied to Spearman's rho, as psych::corr.test)" if method == "spearman" else "")
    )
    return CorrelationResult(
        n=n,
        n_dropped=n_total - n,
        r=r,
        ci_low=ci_low,
        ci_high=ci_high,
        p=p,
        df=df,
        t=t,
        method=method,
        p_method=p_method,
        ci_method=ci_method,
        covariates=tuple(cov_names),
        confidence=conf,
        ties=ties,
    )


# ---------------------------------------------------------------------------
# multiplicity
# ---------------------------------------------------------------------------


def adjust_pvalues(p: Any, *, method: AdjustMethod = "holm") -> np.ndarray:
    """Adjust p-values for multiple comparisons exactly as R's ``p.adjust``.

    Parameters
    ----------
    p : array-like
        Unadjusted p-values in [0, 1]; NaN entries are kept as NaN and do not
        count towards the number of tests (R's default ``n = length(p[!is.na(p)])``).
    method : {"holm", "bh", "none"}, default "holm"
        Holm (1979) step-down family-wise error control, Benjamini-Hochberg
        (1995) false discovery rate, or no adjustment.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order.

    Raises
    ------
    ValueError
        Unknown ``method`` or p-values outside [0, 1].

    Notes
    -----
    Holm: ``p_(i) * (m - i + 1)`` for the i-th smallest, made monotone by a
    cumulative maximum, capped at 1.  BH: ``p_(i) * m / i`` made monotone by a
    cumulative minimum from the largest, capped at 1.  Identical to
    ``p.adjust(p, "holm")`` / ``p.adjust(p, "BH")``.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics*, 6, 65-70.
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery
    rate. *JRSS B*, 57, 289-300.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], method="holm")
    array([0.03, 0.06, 0.06])

    R: ``p.adjust(c(0.01, 0.04, 0.03), "holm")``.
    """
    func = "adjust_pvalues"
    method = _check_choice(func, "method", method, _ADJUST)
    arr = np.asarray(p, dtype=float).reshape(-1)
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    pv = arr[ok]
    if np.any((pv < 0) | (pv > 1)):
        raise ValueError(f"{func}(): argument 'p' must contain probabilities in [0, 1], got {arr!r}.")
    m = pv.size
    if m == 0 or method == "none":
        out[ok] = pv
        return out
    if method == "holm":
        order = np.argsort(pv, kind="stable")
        adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * pv[order]))
    else:  # bh
        order = np.argsort(pv, kind="stable")[::-1]
        i = np.arange(m, 0, -1)
        adj = np.minimum(1.0, np.minimum.accumulate(m / i * pv[order]))
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out


def correlation_table(
    scores: pd.DataFrame,
    kpis: pd.DataFrame,
    *,
    method: CorrelationMethod = "pearson",
    covariates: Any = None,
    adjust: AdjustMethod = "holm",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Correlate every score column with every KPI column; adjust the p-values.

    Parameters
    ----------
    scores : pandas.DataFrame
        Competency scores, one column per scale, one row per agent.
    kpis : pandas.DataFrame
        KPIs for the same agents, same index.
    method : {"pearson", "spearman"}, default "pearson"
        Passed to :func:`correlate`.
    covariates : DataFrame, Series or 2-D array, optional
        Partialled out of every pair (see :func:`correlate`).
    adjust : {"holm", "bh", "none"}, default "holm"
        Multiplicity adjustment over all score x KPI pairs (R ``p.adjust``).
    confidence : float, default 0.95
        Level of the (unadjusted) Fisher-z intervals.

    Returns
    -------
    pandas.DataFrame
        One row per pair (scores outer, KPIs inner) with columns ``score``,
        ``kpi``, ``n``, ``n_dropped``, ``r``, ``ci_low``, ``ci_high``, ``p``,
        ``p_adj``, ``adjust``, ``method``, ``p_method``.

    Raises
    ------
    TypeError
        ``scores`` or ``kpis`` not DataFrames.
    ValueError
        Row counts or indexes that differ, no columns, or any error of
        :func:`correlate` for a pair (the message names the pair).

    Notes
    -----
    Each pair uses its own complete cases (pairwise deletion), so ``n`` can
    differ between rows.  The adjustment treats the whole table as one
    family of ``len(scores.columns) * len(kpis.columns)`` tests.  Confidence
    intervals are not adjusted.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"empathy": [1, 2, 3, 4, 5.]})
    >>> k = pd.DataFrame({"csat": [2, 1, 4, 3, 5.], "fcr": [1, 3, 2, 5, 4.]})
    >>> correlation_table(s, k)[["score", "kpi", "r"]].shape
    (2, 3)

    R: ``p.adjust(sapply(pairs, function(pr) cor.test(...)$p.value), "holm")``.
    """
    func = "correlation_table"
    for nm, obj in (("scores", scores), ("kpis", kpis)):
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(
                f"{func}(): argument '{nm}' must be a pandas DataFrame (one column per variable), "
                f"got {type(obj).__name__}."
            )
        if obj.shape[1] == 0:
            raise ValueError(f"{func}(): argument '{nm}' has no columns.")
    _check_choice(func, "method", method, _METHODS)
    _check_choice(func, "adjust", adjust, _ADJUST)
    if len(scores) != len(kpis):
        raise ValueError(
            f"{func}(): 'scores' has {len(scores)} rows but 'kpis' has {len(kpis)}; they must hold "
            "the same agents in the same order (join them on the agent id first)."
        )
    if not scores.index.equals(kpis.index):
        raise ValueError(
            f"{func}(): 'scores' and 'kpis' have different indexes; join them on the agent id "
            "first so that rows describe the same agents."
        )
    rows = []
    for s in scores.columns:
        for kcol in kpis.columns:
            try:
                c = correlate(scores[s], kpis[kcol], method=method, covariates=covariates, confidence=confidence)
            except (ValueError, TypeError) as exc:
                raise type(exc)(f"{func}(): pair score={s!r}, kpi={kcol!r}: {exc}") from None
            rows.append(
                {
                    "score": s,
                    "kpi": kcol,
                    "n": c.n,
                    "n_dropped": c.n_dropped,
                    "r": c.r,
                    "ci_low": c.ci_low,
                    "ci_high": c.ci_high,
                    "p": c.p,
                    "method": c.method,
                    "p_method": c.p_method,
                }
            )
    table = pd.DataFrame(rows)
    table["p_adj"] = adjust_pvalues(table["p"].to_numpy(), method=adjust)
    table["adjust"] = adjust
    return table[
        ["score", "kpi", "n", "n_dropped", "r", "ci_low", "ci_high", "p", "p_adj", "adjust", "method", "p_method"]
    ]
