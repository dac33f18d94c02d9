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
    Linear mixed model with a random intercept per team (statsmodels
    ``MixedLM``, REML), comparable with ``lme4::lmer``.

Nothing is rounded here.
"""

from __future__ import annotations

import math
import re
import warnings
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

    def solve(prob: float) -> float:
        f = lambda ncp: float(_sps.nct.cdf(t, df, ncp)) - prob  # noqa: E731
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
