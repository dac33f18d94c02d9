"""Training-effect statistics.

Public functions
----------------
paired_effect
    Pre/post change within the same agents: paired t, Cohen's d_z with a
    noncentral-t interval, Hedges' g_z and the Wilcoxon signed-rank test, all
    reproducing R (``t.test``, ``effectsize``, ``wilcox.test``).
controlled_effect
    ANCOVA of the post score on the baseline score and the group (trained vs
    control), as R ``lm(post ~ pre + group)``.
did
    Difference-in-differences on an agent-month KPI panel with
    agent-clustered CR1 standard errors (Stata / ``sandwich::vcovCL`` "HC1").
mixed_effect
    Linear mixed model with a random intercept per team (profiled REML and
    standard errors as ``lme4::lmer``).

Nothing is rounded here.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize as _opt
from scipy import special as _spec
from scipy import stats as _sps

from ccstudy.stats._results import Result
from ccstudy.stats.association import (
    _as_vector,
    _check_confidence,
    _check_same_index,
    _check_same_length,
    _check_choice,
)

__all__ = [
    "PairedEffect",
    "ControlledEffect",
    "DiDEffect",
    "MixedEffect",
    "paired_effect",
    "controlled_effect",
    "did",
    "mixed_effect",
]

D_VARIANT = "Cohen's d_z (mean difference / SD of differences)"
G_VARIANT = "Hedges' g_z (d_z times the exact small-sample factor J(n - 1))"


# ---------------------------------------------------------------------------
# distributions
# ---------------------------------------------------------------------------


def _ncp_interval(t: float, df: float, confidence: float) -> tuple[float, float]:
    """Noncentrality parameters whose t distributions put ``t`` at the (1+c)/2 and (1-c)/2 quantiles.

    Solves ``P(T_{df, ncp} <= t) = 1 - alpha/2`` (lower limit) and ``= alpha/2``
    (upper limit) by Brent's method; the CDF is monotone decreasing in ncp.
    """
    alpha = 1.0 - confidence

    def cdf(ncp: float) -> float:
        v = float(_sps.nct.cdf(t, df, ncp))
        if math.isnan(v):
            # scipy's noncentral t CDF can return NaN far in the tails (e.g. t = 6.5, df = 20,
            # ncp = -6.5): try the complement, else use the limit (1 if ncp far below t, else 0).
            v = 1.0 - float(_sps.nct.sf(t, df, ncp))
        if math.isnan(v):
            v = 1.0 if ncp < t else 0.0
        return v

    def solve(prob: float) -> float:
        f = lambda ncp: cdf(ncp) - prob  # noqa: E731
        width = max(10.0, 2.0 * abs(t))
        lo, hi = t - width, t + width
        for _ in range(60):
            if f(lo) > 0 and f(hi) < 0:
                break
            width *= 2.0
            lo, hi = t - width, t + width
        return float(_opt.brentq(f, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500))

    return solve(1.0 - alpha / 2.0), solve(alpha / 2.0)


def _hedges_j(df: float) -> float:
    """Exact small-sample correction J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))."""
    if df <= 1:
        return math.nan
    return math.exp(_spec.gammaln(df / 2.0) - math.log(math.sqrt(df / 2.0)) - _spec.gammaln((df - 1.0) / 2.0))


_SIGNRANK_CACHE: dict[int, np.ndarray] = {}


def _signrank_counts(n: int) -> list[int]:
    """Number of sign patterns giving each value V = 0..n(n+1)/2 of the signed-rank statistic."""
    counts = [1] + [0] * (n * (n + 1) // 2)
    top = 0
    for k in range(1, n + 1):
        top += k
        for v in range(top, k - 1, -1):
            counts[v] += counts[v - k]
    return counts


def _psignrank(q: float, n: int, lower_tail: bool = True) -> float:
    """R's ``psignrank``: P(V <= q) (or P(V > q)) for the exact null distribution."""
    if n not in _SIGNRANK_CACHE:
        _SIGNRANK_CACHE[n] = np.array(_signrank_counts(n), dtype=object)
    counts = _SIGNRANK_CACHE[n]
    total = 2**n
    x = math.floor(q + 1e-7)
    if x < 0:
        lower = 0
    elif x >= len(counts) - 1:
        lower = total
    else:
        lower = int(sum(counts[: x + 1]))
    num = lower if lower_tail else total - lower
    return float(num) / float(total)


def _wilcoxon_signed_rank(diff: np.ndarray) -> tuple[float, float, str, int, bool, int]:
    """Two-sided Wilcoxon signed-rank test as R ``wilcox.test(x, y, paired = TRUE)``.

    Returns V, p, method label, number of non-zero differences, whether ties
    occurred, and the number of zero differences dropped.
    """
    zeros = diff == 0
    n_zero = int(zeros.sum())
    x = diff[~zeros]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, "undefined (all differences are zero)", 0, False, n_zero
    r = _sps.rankdata(np.abs(x), method="average")
    v = float(r[x > 0].sum())
    ties = len(np.unique(r)) != len(r)
    if n < 50 and not ties and n_zero == 0:
        if v > n * (n + 1) / 4.0:
            p = _psignrank(v - 1.0, n, lower_tail=False)
        else:
            p = _psignrank(v, n, lower_tail=True)
        return v, min(2.0 * p, 1.0), "exact", n, ties, n_zero
    _, tie_counts = np.unique(r, return_counts=True)
    z = v - n * (n + 1) / 4.0
    sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24.0 - float(np.sum(tie_counts**3 - tie_counts)) / 48.0)
    corr = math.copysign(0.5, z) if z != 0 else 0.0
    z = (z - corr) / sigma
    p = 2.0 * min(float(_sps.norm.cdf(z)), float(_sps.norm.sf(z)))
    return v, min(p, 1.0), "normal approximation with continuity correction", n, ties, n_zero


# ---------------------------------------------------------------------------
# paired_effect
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PairedEffect(Result):
    """Within-agent change from ``pre`` to ``post``.

    Attributes
    ----------
    n, n_dropped : int
        Complete pairs used; pairs dropped for a missing value.
    mean_diff, sd_diff : float
        Mean and SD (n - 1 denominator) of ``post - pre``.
    t, df, p : float, int, float
        Paired t test (two-sided).
    ci_low, ci_high : float
        t interval of the mean difference.
    cohens_dz, dz_ci_low, dz_ci_high : float
        Cohen's d_z and its noncentral-t interval.
    hedges_gz, gz_ci_low, gz_ci_high : float
        Hedges' g_z = J(n - 1) d_z and interval (limits also times J).
    d_variant, g_variant : str
        Names of the standardised effects.
    wilcoxon_v, wilcoxon_p : float
        Signed-rank statistic V (sum of ranks of positive differences) and
        two-sided p-value.
    wilcoxon_method : str
        "exact" or "normal approximation with continuity correction".
    wilcoxon_n, wilcoxon_zeros : int
        Non-zero differences ranked; zero differences dropped.
    wilcoxon_ties : bool
        Whether |differences| had ties.
    confidence : float
        Level of all intervals.
    ci_method : str
        Interval methods used.
    """

    n: int
    n_dropped: int
    mean_diff: float
    sd_diff: float
    t: float
    df: int
    p: float
    ci_low: float
    ci_high: float
    cohens_dz: float
    dz_ci_low: float
    dz_ci_high: float
    hedges_gz: float
    gz_ci_low: float
    gz_ci_high: float
    d_variant: str
    g_variant: str
    wilcoxon_v: float
    wilcoxon_p: float
    wilcoxon_method: str
    wilcoxon_n: int
    wilcoxon_zeros: int
    wilcoxon_ties: bool
    confidence: float
    ci_method: str


def paired_effect(post: Any, pre: Any, *, confidence: float = 0.95) -> PairedEffect:
    """Paired t test, Cohen's d_z (+ CI), Hedges' g_z and Wilcoxon signed-rank test.

    Parameters
    ----------
    post, pre : array-like or pandas.Series
        Scores of the same agents after and before training (same order).
        Pairs with a missing value on either side are dropped.
    confidence : float, default 0.95
        Level of the two-sided intervals.

    Returns
    -------
    PairedEffect
        See the class for fields.  The difference is ``post - pre``.

    Raises
    ------
    TypeError
        Non-numeric input or wrong shapes.
    ValueError
        Length mismatch, different pandas indexes, fewer than 2 complete
        pairs, all differences identical (zero SD), or ``confidence`` outside
        (0, 1).

    Notes
    -----
    With ``d_i = post_i - pre_i``, ``t = mean(d) / (sd(d)/sqrt(n))`` on
    ``n - 1`` df; the mean-difference interval is
    ``mean(d) -/+ t_{1-alpha/2, n-1} sd(d)/sqrt(n)`` -- identical to
    ``t.test(post, pre, paired = TRUE)`` and to a one-sample t test on d.

    ``d_z = mean(d) / sd(d)`` (Cohen 1988, eq. 2.3.5).  Its interval inverts
    the noncentral t distribution (Steiger & Fouladi 1997; Goulet-Pelletier &
    Cousineau 2018): find ``ncp_L``, ``ncp_U`` with
    ``P(T_{n-1}(ncp_L) <= t) = 1 - alpha/2`` and
    ``P(T_{n-1}(ncp_U) <= t) = alpha/2``; the limits are ``ncp / sqrt(n)``.
    This is the method of ``effectsize::cohens_d(post, pre, paired = TRUE)``
    (effectsize 0.8.3, ``ci_method = "ncp"``).  effectsize locates the ncp
    with Nelder-Mead (``optim``, abstol 1e-9); here Brent's root finder is
    used, so the limits agree with effectsize to about 1e-7 and with an exact
    root (R ``uniroot``) to machine precision.

    ``g_z = J(n - 1) d_z`` with ``J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))``
    (Hedges 1981); its limits are the d_z limits times J, as
    ``effectsize::hedges_g(paired = TRUE)``.  For n = 2 (one df) J is undefined
    and g_z is NaN (with a warning).

    Wilcoxon signed-rank test as R ``wilcox.test(post, pre, paired = TRUE)``
    with its defaults: zero differences are dropped; the exact null
    distribution is used when fewer than 50 non-zero differences remain and
    there are neither ties nor zeros; otherwise the normal approximation with
    continuity correction and the tie-corrected variance
    ``n(n+1)(2n+1)/24 - sum(t^3 - t)/48``.  ``V`` is the sum of the ranks of
    the positive differences (R's V).

    Missing data: complete pairs only (R ``complete.cases``), ``n_dropped``
    counts the rest.

    References
    ----------
    Cohen, J. (1988). *Statistical Power Analysis for the Behavioral
    Sciences* (2nd ed.). Erlbaum.
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect
    size and related estimators. *Journal of Educational Statistics*, 6,
    107-128.
    Steiger, J. H., & Fouladi, R. T. (1997). Noncentrality interval
    estimation and the evaluation of statistical models. In *What if there
    were no significance tests?* (pp. 221-257). Erlbaum.
    Ben-Shachar, M. S., Ludecke, D., & Makowski, D. (2020). effectsize:
    Estimation of effect size indices and standardized parameters. *JOSS*,
    5(56), 2815.
    Wilcoxon, F. (1945). Individual comparisons by ranking methods.
    *Biometrics Bulletin*, 1, 80-83.

    Examples
    --------
    >>> from ccstudy.stats import paired_effect
    >>> e = paired_effect([3.1, 3.8, 4.0, 3.5, 4.2], [2.9, 3.1, 3.6, 3.4, 3.7])
    >>> e.n, e.df
    (5, 4)

    R: ``t.test(post, pre, paired = TRUE)``;
    ``effectsize::cohens_d(post, pre, paired = TRUE)``;
    ``wilcox.test(post, pre, paired = TRUE)``.
    """
    func = "paired_effect"
    conf = _check_confidence(func, confidence)
    xa, xi = _as_vector(func, "post", post)
    ya, yi = _as_vector(func, "pre", pre)
    _check_same_length(func, ("post", "pre"), (xa, ya))
    _check_same_index(func, ("post", "pre"), (xi, yi))
    ok = ~(np.isnan(xa) | np.isnan(ya))
    n_total = len(xa)
    d = xa[ok] - ya[ok]
    n = len(d)
    if n < 2:
        raise ValueError(
            f"{func}(): needs at least 2 complete (post, pre) pairs, got n = {n} after dropping "
            f"{n_total - n} pairs with a missing value. Provide more data."
        )
    if np.all(d == d[0]):
        raise ValueError(
            f"{func}(): every post - pre difference equals {d[0]!r}, so the SD of the differences "
            "is zero and t, d_z and their intervals are undefined. Check that 'post' and 'pre' "
            "are different measurements."
        )
    df = n - 1
    mean_diff = float(d.mean())
    sd_diff = float(d.std(ddof=1))
    se = sd_diff / math.sqrt(n)
    t = mean_diff / se
    p = float(2.0 * _sps.t.sf(abs(t), df))
    tcrit = float(_sps.t.ppf((1.0 + conf) / 2.0, df))
    ci_low, ci_high = mean_diff - tcrit * se, mean_diff + tcrit * se

    dz = mean_diff / sd_diff
    ncp_lo, ncp_hi = _ncp_interval(t, df, conf)
    dz_lo, dz_hi = ncp_lo / math.sqrt(n), ncp_hi / math.sqrt(n)
    j = _hedges_j(df)
    if math.isnan(j):
        warnings.warn(
            f"{func}(): with n = 2 pairs (1 df) the Hedges correction J is undefined; hedges_gz "
            "is NaN. Use cohens_dz or collect more pairs.",
            RuntimeWarning,
            stacklevel=2,
        )
    v, wp, wmethod, wn, wties, wzeros = _wilcoxon_signed_rank(d)
    return PairedEffect(
        n=n,
        n_dropped=n_total - n,
        mean_diff=mean_diff,
        sd_diff=sd_diff,
        t=float(t),
        df=df,
        p=p,
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        cohens_dz=float(dz),
        dz_ci_low=float(dz_lo),
        dz_ci_high=float(dz_hi),
        hedges_gz=float(dz * j),
        gz_ci_low=float(dz_lo * j),
        gz_ci_high=float(dz_hi * j),
        d_variant=D_VARIANT,
        g_variant=G_VARIANT,
        wilcoxon_v=v,
        wilcoxon_p=wp,
        wilcoxon_method=wmethod,
        wilcoxon_n=wn,
        wilcoxon_zeros=wzeros,
        wilcoxon_ties=wties,
        confidence=conf,
        ci_method=(
            "mean difference: t interval; d_z: noncentral t inversion (effectsize ci_method 'ncp'); "
            "g_z: d_z limits times J"
        ),
    )


# ---------------------------------------------------------------------------
# OLS helpers
# ---------------------------------------------------------------------------


def _ols(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Least-squares coefficients, residuals, (X'X)^-1 and rank via a pivoted QR-free lstsq."""
    beta, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    if rank < X.shape[1]:
        raise np.linalg.LinAlgError("rank deficient design")
    resid = y - X @ beta
    xtx_inv = np.linalg.inv(X.T @ X)
    return beta, resid, xtx_inv, int(rank)


def _frame_check(func: str, df: Any, columns: dict[str, str]) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{func}(): argument 'df' must be a pandas DataFrame, got {type(df).__name__}.")
    for arg, col in columns.items():
        if not isinstance(col, str):
            raise TypeError(f"{func}(): argument '{arg}' must be a column name (str), got {col!r}.")
        if col not in df.columns:
            raise ValueError(
                f"{func}(): argument '{arg}' = {col!r} is not a column of the data; available "
                f"columns: {list(map(str, df.columns))}."
            )
    return df


def _numeric_column(func: str, arg: str, s: pd.Series) -> np.ndarray:
    try:
        return pd.to_numeric(s, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{func}(): column {s.name!r} (argument '{arg}') must be numeric ({exc}).") from None


def _levels(s: pd.Series) -> list[Any]:
    """Factor levels as R would order them: categorical order, else sorted unique values."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.dropna().unique())
        return [c for c in s.cat.categories if c in present]
    vals = s.dropna().unique().tolist()
    try:
        return sorted(vals)
    except TypeError:
        return sorted(vals, key=str)


# ---------------------------------------------------------------------------
# controlled_effect (ANCOVA)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ControlledEffect(Result):
    """ANCOVA ``outcome ~ baseline + group`` (treatment coding against ``reference``).

    Attributes
    ----------
    effects : pandas.DataFrame
        Indexed by group level (all levels except the reference): ``b``
        (adjusted difference from the reference), ``se``, ``t``, ``p``,
        ``ci_low``, ``ci_high``.
    baseline_slope, baseline_se, baseline_p, baseline_ci_low, baseline_ci_high : float
        Coefficient of the baseline score.
    intercept : float
        Model intercept (reference group at baseline 0).
    n, n_dropped, df_resid : int
        Rows used, rows dropped for missing values, residual df.
    r2, adj_r2, sigma : float
        R-squared, adjusted R-squared and residual standard error.
    reference : object
        Reference level.
    levels : tuple
        All group levels in model order.
    outcome, baseline, group : str
        Column names used.
    confidence : float
        Interval level.
    method : str
        Model description.
    """

    effects: pd.DataFrame
    baseline_slope: float
    baseline_se: float
    baseline_p: float
    baseline_ci_low: float
    baseline_ci_high: float
    intercept: float
    n: int
    n_dropped: int
    df_resid: int
    r2: float
    adj_r2: float
    sigma: float
    reference: Any
    levels: tuple[Any, ...]
    outcome: str
    baseline: str
    group: str
    confidence: float
    method: str


def controlled_effect(
    df: pd.DataFrame,
    *,
    outcome: str = "post",
    baseline: str = "pre",
    group: str = "group",
    reference: Any = "control",
    confidence: float = 0.95,
) -> ControlledEffect:
    """Baseline-adjusted group effect (ANCOVA) on the post score.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per agent.
    outcome : str, default "post"
        Column with the post-training score.
    baseline : str, default "pre"
        Column with the pre-training (baseline) score.
    group : str, default "group"
        Column with the group label (e.g. "trained"/"control"); two or more
        levels.
    reference : object, default "control"
        Level every other group is compared with.
    confidence : float, default 0.95
        Level of the t intervals.

    Returns
    -------
    ControlledEffect
        ``effects`` table per non-reference level plus model provenance.

    Raises
    ------
    TypeError
        ``df`` not a DataFrame, non-numeric outcome/baseline.
    ValueError
        Missing column, ``reference`` not among the group levels, fewer than
        two levels, too few rows for the model, a constant baseline, or a
        rank-deficient design.

    Notes
    -----
    Ordinary least squares of ``outcome = b0 + b1 baseline + sum_g b_g [group = g]
    + e`` with treatment (dummy) coding against ``reference`` -- the model of
    R ``lm(post ~ pre + relevel(factor(group), ref = "control"))`` and of
    statsmodels ``ols("post ~ pre + C(group, Treatment('control'))")``.
    ``b_g`` is the difference in post score between group g and the
    reference at equal baseline (ANCOVA; Vickers & Altman 2001).  Standard
    errors are the classical OLS ones, ``t`` has ``n - p`` df.  Rows with a
    missing outcome, baseline or group are dropped (``n_dropped``), as
    ``lm``'s default ``na.omit``.  Group levels follow the categorical order
    if the column is categorical, otherwise sorted order (R's ``factor``).

    References
    ----------
    Vickers, A. J., & Altman, D. G. (2001). Analysing controlled trials with
    baseline and follow up measurements. *BMJ*, 323, 1123-1124.

    Examples
    --------
    >>> import pandas as pd
    >>> from ccstudy.stats import controlled_effect
    >>> d = pd.DataFrame({"pre": [3, 4, 3.5, 4, 3, 3.8], "post": [3.6, 4.4, 4.3, 4.1, 3.1, 3.9],
    ...                   "group": ["trained"] * 3 + ["control"] * 3})
    >>> m = controlled_effect(d)
    >>> list(m.effects.index)
    ['trained']

    R: ``lm(post ~ pre + relevel(factor(group), ref = "control"), data = d)``.
    """
    func = "controlled_effect"
    conf = _check_confidence(func, confidence)
    _frame_check(func, df, {"outcome": outcome, "baseline": baseline, "group": group})
    y_all = _numeric_column(func, "outcome", df[outcome])
    x_all = _numeric_column(func, "baseline", df[baseline])
    g_all = df[group]
    ok = ~(np.isnan(y_all) | np.isnan(x_all) | g_all.isna().to_numpy())
    y, x, g = y_all[ok], x_all[ok], g_all[ok]
    n_total, n = len(df), int(ok.sum())
    levels = _levels(g)
    if reference not in levels:
        raise ValueError(
            f"{func}(): argument 'reference' = {reference!r} is not a level of column {group!r} "
            f"(levels present in complete rows: {levels}). Pass one of these, e.g. "
            f"reference={levels[0]!r}." if levels else f"{func}(): column {group!r} has no non-missing values."
        )
    if len(levels) < 2:
        raise ValueError(
            f"{func}(): column {group!r} has a single level {levels!r} among complete rows; a group "
            "comparison needs at least two groups."
        )
    others = [lv for lv in levels if lv != reference]
    p_cols = 2 + len(others)
    if n <= p_cols:
        raise ValueError(
            f"{func}(): {n} complete rows (after dropping {n_total - n}) are not enough for a model "
            f"with {p_cols} coefficients; need at least {p_cols + 1}."
        )
    if np.all(x == x[0]):
        raise ValueError(
            f"{func}(): baseline column {baseline!r} is constant ({x[0]!r}) among complete rows; the "
            "baseline slope is not identifiable. Use paired_effect() or a plain group comparison."
        )
    gv = g.to_numpy()
    X = np.column_stack([np.ones(n), x] + [(gv == lv).astype(float) for lv in others])
    try:
        beta, resid, xtx_inv, _ = _ols(X, y)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"{func}(): the design matrix is rank deficient (a group may be perfectly predicted by "
            "the baseline or have no rows); check the data."
        ) from None
    dfr = n - p_cols
    sigma2 = float(resid @ resid) / dfr
    se = np.sqrt(np.diag(xtx_inv) * sigma2)
    tvals = beta / se
    pvals = 2.0 * _sps.t.sf(np.abs(tvals), dfr)
    tcrit = float(_sps.t.ppf((1.0 + conf) / 2.0, dfr))
    tss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float(resid @ resid) / tss if tss > 0 else math.nan
    adj_r2 = 1.0 - (1.0 - r2) * (n - 1) / dfr
    eff = pd.DataFrame(
        {
            "b": beta[2:],
            "se": se[2:],
            "t": tvals[2:],
            "p": pvals[2:],
            "ci_low": beta[2:] - tcrit * se[2:],
            "ci_high": beta[2:] + tcrit * se[2:],
        },
        index=pd.Index(others, name=group),
    )
    return ControlledEffect(
        effects=eff,
        baseline_slope=float(beta[1]),
        baseline_se=float(se[1]),
        baseline_p=float(pvals[1]),
        baseline_ci_low=float(beta[1] - tcrit * se[1]),
        baseline_ci_high=float(beta[1] + tcrit * se[1]),
        intercept=float(beta[0]),
        n=n,
        n_dropped=n_total - n,
        df_resid=dfr,
        r2=r2,
        adj_r2=adj_r2,
        sigma=math.sqrt(sigma2),
        reference=reference,
        levels=tuple(levels),
        outcome=outcome,
        baseline=baseline,
        group=group,
        confidence=conf,
        method=f"ANCOVA (OLS): {outcome} ~ {baseline} + C({group}, Treatment({reference!r}))",
    )


# ---------------------------------------------------------------------------
# did (difference in differences)
# ---------------------------------------------------------------------------

DiDSpec = Literal["interaction", "twoway"]
_DID_SPECS = ("interaction", "twoway")


@dataclass(frozen=True, kw_only=True)
class DiDEffect(Result):
    """Difference-in-differences estimate with cluster-robust (CR1) inference.

    Attributes
    ----------
    estimate, se, t, p, ci_low, ci_high : float
        Coefficient of ``treated x post`` and its CR1 inference.
    df : int
        Degrees of freedom of the t reference distribution (clusters - 1).
    se_iid : float
        Classical OLS standard error of the same coefficient (for comparison).
    n, n_dropped, n_units, n_clusters : int
        Rows used, rows dropped for missing values, units and clusters.
    spec : str
        "interaction" or "twoway".
    cell_means : pandas.DataFrame
        Mean outcome by treated (rows 0/1) and post (columns 0/1).
    coefficients : pandas.DataFrame
        ``b``, ``se``, ``t``, ``p`` of the non-fixed-effect terms.
    outcome, unit, time, treated, post, cluster : str
        Columns used.
    se_type : str
        Description of the variance estimator.
    confidence : float
        Interval level.
    method : str
        Model description.
    """

    estimate: float
    se: float
    t: float
    p: float
    ci_low: float
    ci_high: float
    df: int
    se_iid: float
    n: int
    n_dropped: int
    n_units: int
    n_clusters: int
    spec: str
    cell_means: pd.DataFrame
    coefficients: pd.DataFrame
    outcome: str
    unit: str
    time: str
    treated: str
    post: str
    cluster: str
    se_type: str
    confidence: float
    method: str


def _binary_column(func: str, arg: str, s: pd.Series) -> np.ndarray:
    vals = s.dropna().unique()
    try:
        arr = s.astype(float).to_numpy()
    except (TypeError, ValueError):
        arr = None
    if arr is None or not set(np.unique(arr[~np.isnan(arr)])).issubset({0.0, 1.0}):
        raise ValueError(
            f"{func}(): column {s.name!r} (argument '{arg}') must be a 0/1 or boolean indicator, got "
            f"values {list(vals)[:6]}; recode it, e.g. (df[{s.name!r}] == 'trained').astype(int)."
        )
    return arr


def did(
    panel: pd.DataFrame,
    outcome: str,
    *,
    unit: str = "agent_id",
    time: str = "month",
    treated: str = "treated",
    post: str = "post",
    cluster: str = "agent_id",
    spec: DiDSpec = "interaction",
    confidence: float = 0.95,
) -> DiDEffect:
    """Difference-in-differences on an agent-month panel, agent-clustered SEs.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel, one row per unit and period.
    outcome : str
        KPI column (e.g. "fcr").
    unit : str, default "agent_id"
        Unit identifier (fixed effects for ``spec="twoway"``).
    time : str, default "month"
        Period identifier (fixed effects for ``spec="twoway"``).
    treated : str, default "treated"
        0/1 (or boolean) indicator of the trained agents.
    post : str, default "post"
        0/1 (or boolean) indicator of post-training periods.
    cluster : str, default "agent_id"
        Cluster identifier for the robust variance.
    spec : {"interaction", "twoway"}, default "interaction"
        ``"interaction"``: ``y ~ treated + post + treated:post`` (the canonical
        2x2 regression).  ``"twoway"``: ``y ~ treated:post + unit FE + time FE``
        (two-way fixed effects via dummies).
    confidence : float, default 0.95
        Interval level.

    Returns
    -------
    DiDEffect
        Estimate of ``treated x post`` with CR1 standard error, t on G - 1 df,
        p-value, interval, cell means and provenance.

    Raises
    ------
    TypeError
        ``panel`` not a DataFrame or a non-numeric outcome.
    ValueError
        Missing columns, indicators that are not 0/1, no treated or no
        control rows, no pre or no post rows, fewer than 2 clusters, an
        unknown ``spec`` or a rank-deficient design.

    Notes
    -----
    The default is the interaction specification
    ``y_it = b0 + b1 treated_i + b2 post_t + delta treated_i post_t + e_it``;
    ``delta`` is the DiD estimate.  With ``spec="twoway"`` unit and period
    dummies replace ``treated`` and ``post``; in a balanced panel both give
    the same ``delta``, with missing cells they differ slightly.

    Variance: the cluster-robust sandwich with the CR1 small-sample factor
    ``G/(G-1) * (n-1)/(n-k)`` (k = number of coefficients including all
    dummies), i.e. ``sandwich::vcovCL(fit, cluster = ~agent_id, type = "HC1")``
    and Stata ``regress ..., vce(cluster agent_id)``.  Tests and intervals use
    Student's t with G - 1 df as Stata does
    (``lmtest::coeftest(fit, vcov = V, df = G - 1)``).  For ``"twoway"`` k
    counts the dummies, as with ``lm`` + ``vcovCL`` (Stata ``areg`` /
    ``reghdfe`` count them differently and give slightly smaller SEs).
    With few clusters (G < ~30) CR1 inference can be liberal (Cameron &
    Miller 2015).

    Missing data: rows with a missing outcome, indicator, unit, time or
    cluster are dropped (``n_dropped``).

    References
    ----------
    Angrist, J. D., & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*,
    ch. 5. Princeton University Press.
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to
    cluster-robust inference. *Journal of Human Resources*, 50, 317-372.
    Zeileis, A., Koll, S., & Graham, N. (2020). Various versatile variances:
    An object-oriented implementation of clustered covariances in R.
    *Journal of Statistical Software*, 95(1).

    Examples
    --------
    >>> from ccstudy.stats import did
    >>> d = did(panel, "fcr")            # doctest: +SKIP
    >>> d.estimate, d.se, d.n_clusters   # doctest: +SKIP

    R: ``fit <- lm(fcr ~ treated * post, panel)``;
    ``lmtest::coeftest(fit, vcov = sandwich::vcovCL(fit, cluster = ~agent_id, type = "HC1"), df = G - 1)``.
    """
    func = "did"
    spec = _check_choice(func, "spec", spec, _DID_SPECS)
    conf = _check_confidence(func, confidence)
    if not isinstance(panel, pd.DataFrame):
        raise TypeError(f"{func}(): argument 'panel' must be a pandas DataFrame, got {type(panel).__name__}.")
    cols = {"outcome": outcome, "unit": unit, "time": time, "treated": treated, "post": post, "cluster": cluster}
    for arg, col in cols.items():
        if not isinstance(col, str):
            raise TypeError(f"{func}(): argument '{arg}' must be a column name (str), got {col!r}.")
        if col not in panel.columns:
            raise ValueError(
                f"{func}(): argument '{arg}' = {col!r} is not a column of 'panel'; available columns: "
                f"{list(map(str, panel.columns))}."
            )
    y_all = _numeric_column(func, "outcome", panel[outcome])
    tr_all = _binary_column(func, "treated", panel[treated])
    po_all = _binary_column(func, "post", panel[post])
    ok = ~(
        np.isnan(y_all)
        | np.isnan(tr_all)
        | np.isnan(po_all)
        | panel[unit].isna().to_numpy()
        | panel[time].isna().to_numpy()
        | panel[cluster].isna().to_numpy()
    )
    n_total = len(panel)
    sub = panel.loc[ok]
    y, tr, po = y_all[ok], tr_all[ok], po_all[ok]
    n = len(y)
    for arg, arr, what in (("treated", tr, "treated and control"), ("post", po, "pre- and post-period")):
        if n == 0 or np.all(arr == arr[0]):
            raise ValueError(
                f"{func}(): column {cols[arg]!r} (argument '{arg}') takes a single value among the {n} "
                f"complete rows; a difference in differences needs both {what} rows."
            )
    cells = pd.crosstab(tr, po)
    if cells.shape != (2, 2) or (cells.to_numpy() == 0).any():
        raise ValueError(
            f"{func}(): every treated x post cell needs observations; counts were\n{cells}."
        )
    D = tr * po
    if spec == "interaction":
        X = np.column_stack([np.ones(n), tr, po, D])
        names = ["intercept", treated, post, f"{treated}:{post}"]
        k_report = 4
    else:
        ud = pd.get_dummies(sub[unit].astype("category"), drop_first=True, dtype=float).to_numpy()
        td = pd.get_dummies(sub[time].astype("category"), drop_first=True, dtype=float).to_numpy()
        X = np.column_stack([np.ones(n), D, ud, td])
        names = ["intercept", f"{treated}:{post}"]
        k_report = 2
    k = X.shape[1]
    if n <= k:
        raise ValueError(f"{func}(): {n} complete rows are not enough for {k} coefficients.")
    try:
        beta, resid, xtx_inv, _ = _ols(X, y)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"{func}(): the design is rank deficient; with spec='twoway' the treatment indicator "
            "must vary within periods and the post indicator within units."
        ) from None
    clusters = pd.factorize(sub[cluster])[0]
    G = int(clusters.max()) + 1
    if G < 2:
        raise ValueError(f"{func}(): cluster column {cluster!r} has a single cluster; need at least 2.")
    scores = X * resid[:, None]
    summed = np.zeros((G, k))
    np.add.at(summed, clusters, scores)
    meat = summed.T @ summed
    factor = (G / (G - 1.0)) * ((n - 1.0) / (n - k))
    vcov = factor * (xtx_inv @ meat @ xtx_inv)
    se = np.sqrt(np.diag(vcov))
    dfree = G - 1
    tv = beta / se
    pv = 2.0 * _sps.t.sf(np.abs(tv), dfree)
    j = 3 if spec == "interaction" else 1
    sigma2 = float(resid @ resid) / (n - k)
    se_iid = math.sqrt(float(xtx_inv[j, j]) * sigma2)
    tcrit = float(_sps.t.ppf((1.0 + conf) / 2.0, dfree))
    coef = pd.DataFrame(
        {"b": beta[:k_report], "se": se[:k_report], "t": tv[:k_report], "p": pv[:k_report]},
        index=pd.Index(names, name="term"),
    )
    cm = pd.DataFrame({"treated": tr.astype(int), "post": po.astype(int), "y": y}).pivot_table(
        index="treated", columns="post", values="y", aggfunc="mean"
    )
    model = (
        f"{outcome} ~ {treated} + {post} + {treated}:{post}"
        if spec == "interaction"
        else f"{outcome} ~ {treated}:{post} + C({unit}) + C({time})"
    )
    return DiDEffect(
        estimate=float(beta[j]),
        se=float(se[j]),
        t=float(tv[j]),
        p=float(pv[j]),
        ci_low=float(beta[j] - tcrit * se[j]),
        ci_high=float(beta[j] + tcrit * se[j]),
        df=dfree,
        se_iid=se_iid,
        n=n,
        n_dropped=n_total - n,
        n_units=int(sub[unit].nunique()),
        n_clusters=G,
        spec=spec,
        cell_means=cm,
        coefficients=coef,
        outcome=outcome,
        unit=unit,
        time=time,
        treated=treated,
        post=post,
        cluster=cluster,
        se_type="CR1 cluster-robust: G/(G-1) * (n-1)/(n-k), t with G-1 df",
        confidence=conf,
        method=f"OLS {model}",
    )


# ---------------------------------------------------------------------------
# mixed_effect
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MixedEffect(Result):
    """Linear mixed model with a random intercept per group (team).

    Attributes
    ----------
    fixed : pandas.DataFrame
        Fixed effects indexed by term: ``b``, ``se``, ``z``, ``p``, ``ci_low``,
        ``ci_high`` (Wald, normal reference).
    group_var, resid_var : float
        Random-intercept variance and residual variance.
    icc : float
        group_var / (group_var + resid_var).
    loglik : float
        Maximised (REML or ML) log-likelihood.
    n, n_dropped, n_groups : int
        Rows used, rows dropped for missing values, groups.
    converged : bool
        Optimiser convergence flag.
    formula, groups : str
        Model specification.
    reml : bool
        REML (True) or ML fit.
    reference : dict
        Reference levels that were imposed.
    confidence : float
        Interval level.
    method : str
        Description.
    """

    fixed: pd.DataFrame
    group_var: float
    resid_var: float
    icc: float
    loglik: float
    n: int
    n_dropped: int
    n_groups: int
    converged: bool
    formula: str
    groups: str
    reml: bool
    reference: dict[str, Any]
    confidence: float
    method: str


def _fixed_effect_cov(exog_by_group: Sequence[np.ndarray], tau2: float, sigma2: float) -> np.ndarray:
    """``(X' V^-1 X)^-1`` of a random-intercept model, as ``vcov()`` of lme4.

    ``V_j = sigma2 I + tau2 1 1'`` for the rows of group ``j``; by the
    Sherman-Morrison formula ``V_j^-1 = (I - c_j 1 1') / sigma2`` with
    ``c_j = tau2 / (sigma2 + n_j tau2)``, so ``X_j' V_j^-1 X_j =
    (X_j' X_j - c_j s_j s_j') / sigma2`` with ``s_j = X_j' 1``.  This is the
    covariance of the GLS estimator at the fitted variance components
    (``sigma2`` the REML or ML residual variance of the fit), i.e. the fixed
    block of the information matrix *without* the fixed x variance-component
    terms of the joint Hessian.
    """
    k = exog_by_group[0].shape[1]
    info = np.zeros((k, k))
    for Xj in exog_by_group:
        s = Xj.sum(axis=0)
        c = tau2 / (sigma2 + Xj.shape[0] * tau2)
        info += Xj.T @ Xj - c * np.outer(s, s)
    info /= sigma2
    cov = np.linalg.inv(info)
    return (cov + cov.T) / 2.0


def _profile(exog_by_group: Sequence[np.ndarray], endog_by_group: Sequence[np.ndarray], gamma: float,
             reml: bool) -> tuple[float, np.ndarray, float, np.ndarray]:
    """-2 log-likelihood of a random-intercept model at ``gamma = tau2 / sigma2``, profiled over beta and sigma2.

    Returns (deviance, beta, sigma2, X' V^-1 X) with ``V_j = I + gamma 1 1'``.
    """
    k = exog_by_group[0].shape[1]
    A = np.zeros((k, k))
    c = np.zeros(k)
    yy = 0.0
    logdet_v = 0.0
    n = 0
    for Xj, yj in zip(exog_by_group, endog_by_group):
        nj = Xj.shape[0]
        w = gamma / (1.0 + nj * gamma)
        sx = Xj.sum(axis=0)
        sy = float(yj.sum())
        A += Xj.T @ Xj - w * np.outer(sx, sx)
        c += Xj.T @ yj - w * sx * sy
        yy += float(yj @ yj) - w * sy * sy
        logdet_v += math.log1p(nj * gamma)
        n += nj
    beta = np.linalg.solve(A, c)
    q = yy - float(c @ beta)  # r' V^-1 r at the GLS beta
    dof = n - k if reml else n
    sigma2 = q / dof
    dev = dof * (1.0 + math.log(2.0 * math.pi * sigma2)) + logdet_v
    if reml:
        dev += float(np.linalg.slogdet(A)[1])
    return dev, beta, sigma2, A


def _fit_random_intercept(exog_by_group: Sequence[np.ndarray], endog_by_group: Sequence[np.ndarray], *,
                          reml: bool) -> dict[str, Any]:
    """(RE)ML fit of ``y = X beta + u_j + e`` by a one-dimensional profile search, as lme4.

    lme4 optimises the relative standard deviation ``theta = tau / sigma`` of
    the profiled deviance; here the same profile (one parameter) is scanned on
    a log grid and refined by bounded Brent search to ``1e-10``, so the
    optimum is found to the precision of the arithmetic.  The log-likelihood
    is lme4's ``logLik`` (REML criterion for REML fits).
    """
    def dev(theta: float) -> float:
        return _profile(exog_by_group, endog_by_group, theta * theta, reml)[0]

    grid = np.concatenate(([0.0], np.logspace(-4, 3, 57)))
    values = np.array([dev(t) for t in grid])
    i = int(np.argmin(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    res = _opt.minimize_scalar(dev, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10, "maxiter": 500})
    theta = float(res.x) if res.fun <= values[i] else float(grid[i])
    if dev(0.0) <= min(float(res.fun), float(values[i])):
        theta = 0.0
    d, beta, sigma2, _A = _profile(exog_by_group, endog_by_group, theta * theta, reml)
    return {"b": beta, "tau2": theta * theta * sigma2, "sigma2": sigma2, "loglik": -d / 2.0,
            "converged": bool(res.success) and i < len(grid) - 1}


_FORMULA_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_\.]*")


def mixed_effect(
    df: pd.DataFrame,
    outcome: str | None = None,
    *,
    fixed: str = "post ~ pre + group",
    groups: str = "team",
    reference: dict[str, Any] | None = None,
    reml: bool = True,
    confidence: float = 0.95,
) -> MixedEffect:
    """Linear mixed model: fixed effects plus a random intercept for each team.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per agent (agents nested in teams).
    outcome : str, optional
        Outcome column.  If given, it must match the left-hand side of
        ``fixed``; if ``fixed`` has no left-hand side (e.g. ``"pre + group"``)
        it is required.
    fixed : str, default "post ~ pre + group"
        Fixed-effects formula (patsy syntax, as statsmodels).
    groups : str, default "team"
        Column whose levels get a random intercept.
    reference : dict, optional
        Reference level per categorical column, e.g. ``{"group": "control"}``
        (treatment coding).  Default: first level in sorted order, as R.
    reml : bool, default True
        Restricted maximum likelihood (as ``lme4::lmer`` default) or ML.
    confidence : float, default 0.95
        Level of the Wald intervals.

    Returns
    -------
    MixedEffect
        Fixed-effect table, variance components, ICC, log-likelihood and
        provenance.

    Raises
    ------
    TypeError
        ``df`` not a DataFrame, or non-string formula arguments.
    ValueError
        Missing columns, an ``outcome`` that contradicts ``fixed``, a
        reference level that is not present, fewer than 2 groups.

    Notes
    -----
    Model ``y_ij = x_ij' beta + u_j + e_ij`` with ``u_j ~ N(0, tau^2)``,
    ``e_ij ~ N(0, sigma^2)``, REML by default.  This is ``lme4::lmer(post ~
    pre + group + (1 | team), REML = TRUE)``, computed the way lme4 does:
    the deviance is profiled over ``beta`` and ``sigma^2`` and minimised over
    the one remaining parameter ``gamma = tau^2 / sigma^2`` (log grid, then
    bounded Brent search to 1e-10), so estimates, variance components and the
    log-likelihood agree with lme4 to about 1e-7 (the statsmodels ``MixedLM``
    optimiser used before stopped 2 % short on the variance of nlme's
    MathAchieve).  The design matrix comes from the patsy formula, as in
    statsmodels.

    Standard errors are lme4's ``vcov()``: ``sigma^2 (X' V^-1 X)^-1`` with
    ``V = I + gamma Z Z'`` at the estimates -- the covariance of the GLS
    estimator given the variance components.  The inverse of the joint Hessian
    of fixed effects and variance components (statsmodels ``cov_params()``)
    is *not* used: on unbalanced nested data (a predictor varying within and
    between groups, groups of unequal size) it gives larger SEs, e.g. 1.7 %
    for SES in MathAchieve (0.10748 vs 0.10571); on balanced data the two
    agree.  Fixed-effect tests use the normal (Wald z) reference
    distribution; lme4 reports no p-values (lmerTest would use Satterthwaite
    df).  Rows with a
    missing value in any model variable are dropped (``n_dropped``).  A
    singular fit (tau^2 = 0) is reported with a ``RuntimeWarning``.

    References
    ----------
    Bates, D., Maechler, M., Bolker, B., & Walker, S. (2015). Fitting linear
    mixed-effects models using lme4. *Journal of Statistical Software*,
    67(1).
    Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical Linear Models*
    (2nd ed.). Sage.

    Examples
    --------
    >>> from ccstudy.stats import mixed_effect
    >>> m = mixed_effect(agents, fixed="post ~ pre + group", groups="team",
    ...                  reference={"group": "control"})          # doctest: +SKIP
    >>> m.fixed.loc["group[T.trained]", "b"]                      # doctest: +SKIP

    R: ``lme4::lmer(post ~ pre + relevel(factor(group), "control") + (1 | team), data = agents)``.
    """
    import statsmodels.formula.api as smf

    func = "mixed_effect"
    conf = _check_confidence(func, confidence)
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{func}(): argument 'df' must be a pandas DataFrame, got {type(df).__name__}.")
    if not isinstance(fixed, str):
        raise TypeError(f"{func}(): argument 'fixed' must be a formula string such as 'post ~ pre + group', got {fixed!r}.")
    if not isinstance(groups, str) or groups not in df.columns:
        raise ValueError(
            f"{func}(): argument 'groups' = {groups!r} is not a column of the data; available columns: "
            f"{list(map(str, df.columns))}."
        )
    if "~" in fixed:
        lhs, rhs = (s.strip() for s in fixed.split("~", 1))
        if outcome is not None and outcome != lhs:
            raise ValueError(
                f"{func}(): argument 'outcome' = {outcome!r} differs from the left-hand side {lhs!r} of "
                f"fixed = {fixed!r}; give the outcome once (either in the formula or as 'outcome')."
            )
    else:
        if outcome is None:
            raise ValueError(
                f"{func}(): fixed = {fixed!r} has no left-hand side and 'outcome' was not given; write "
                "e.g. fixed='post ~ pre + group' or pass outcome='post'."
            )
        lhs, rhs = outcome, fixed.strip()
    formula = f"{lhs} ~ {rhs}"
    used = [v for v in dict.fromkeys(_FORMULA_VAR.findall(formula)) if v in df.columns]
    if lhs not in df.columns:
        raise ValueError(f"{func}(): outcome {lhs!r} is not a column of the data.")
    data = df[list(dict.fromkeys(used + [groups]))].copy()
    ref = dict(reference or {})
    for col, lvl in ref.items():
        if col not in data.columns:
            raise ValueError(
                f"{func}(): 'reference' names column {col!r}, which is not a variable of the model "
                f"({used})."
            )
        present = _levels(data[col])
        if lvl not in present:
            raise ValueError(
                f"{func}(): reference level {lvl!r} is not a level of column {col!r} (levels: "
                f"{present}). Pass one of these in reference={{{col!r}: ...}}."
            )
        data[col] = pd.Categorical(data[col], categories=[lvl] + [v for v in present if v != lvl])
    n_total = len(data)
    data = data.dropna()
    n = len(data)
    n_groups = int(data[groups].nunique())
    if n_groups < 2:
        raise ValueError(
            f"{func}(): column {groups!r} has {n_groups} group(s) among complete rows; a random "
            "intercept needs at least 2 (in practice many more) groups."
        )
    model = smf.mixedlm(formula, data, groups=data[groups])  # design matrices (patsy) and grouping only
    fe_names = list(model.exog_names)
    fit = _fit_random_intercept(model.exog_li, model.endog_li, reml=bool(reml))
    b, gv, rv, loglik, converged = fit["b"], fit["tau2"], fit["sigma2"], fit["loglik"], fit["converged"]
    se = np.sqrt(np.diag(_fixed_effect_cov(model.exog_li, gv, rv)))
    z = b / se
    zcrit = float(_sps.norm.ppf((1.0 + conf) / 2.0))
    tab = pd.DataFrame(
        {
            "b": b,
            "se": se,
            "z": z,
            "p": 2.0 * _sps.norm.sf(np.abs(z)),
            "ci_low": b - zcrit * se,
            "ci_high": b + zcrit * se,
        },
        index=pd.Index(fe_names, name="term"),
    )
    if gv <= 1e-10 * max(rv, 1e-300):
        warnings.warn(
            f"{func}(): the team variance is estimated as {gv!r} (boundary, singular fit); the model "
            "reduces to OLS.",
            RuntimeWarning,
            stacklevel=2,
        )
    return MixedEffect(
        fixed=tab,
        group_var=gv,
        resid_var=rv,
        icc=gv / (gv + rv),
        loglik=loglik,
        n=n,
        n_dropped=n_total - n,
        n_groups=n_groups,
        converged=converged,
        formula=formula,
        groups=groups,
        reml=bool(reml),
        reference=ref,
        confidence=conf,
        method=f"random-intercept LMM, profiled {'REML' if reml else 'ML'} (as lme4): {formula} + (1 | {groups})",
    )
