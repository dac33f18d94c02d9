"""Interrupted time series (segmented regression) for centre-month KPI series.

Public function
---------------
its
    Segmented regression ``y = b0 + b1 time + b2 post + b3 time_since`` with
    Newey-West (HAC) or classical OLS standard errors, reproducing R
    ``lm`` + ``sandwich::NeweyWest(prewhite = FALSE, adjust = FALSE)`` +
    ``lmtest::coeftest``.

Nothing is rounded here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as _sps

from ccstudy.stats._results import Result
from ccstudy.stats.association import _check_choice, _check_confidence

__all__ = ["ITSResult", "its", "newey_west_lag"]

SEType = Literal["hac", "ols"]
_SE = ("hac", "ols")


def newey_west_lag(n: int) -> int:
    """Default HAC truncation lag ``floor(4 (n / 100)^(2/9))``.

    The Newey & West (1994) rule of thumb for the Bartlett kernel, as used by
    Stata's documentation for ``newey`` and by statsmodels' ``cov_hac`` when no
    lag is given.

    Parameters
    ----------
    n : int
        Number of observations in the regression.

    Returns
    -------
    int
        The lag L (0 for very short series).

    Examples
    --------
    >>> newey_west_lag(100), newey_west_lag(192), newey_west_lag(36)
    (4, 4, 3)
    """
    return int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


def _hac_meat(X: np.ndarray, u: np.ndarray, lag: int) -> np.ndarray:
    """Bartlett-weighted long-run covariance of the scores x_t u_t (no df adjustment)."""
    scores = X * u[:, None]
    meat = scores.T @ scores
    for j in range(1, lag + 1):
        w = 1.0 - j / (lag + 1.0)
        gamma = scores[j:].T @ scores[:-j]
        meat += w * (gamma + gamma.T)
    return meat


_MONTH_RE = re.compile(r"^\s*\d{4}-\d{1,2}(-\d{1,2})?\s*$")


def _to_months(func: str, index: pd.Index) -> pd.PeriodIndex:
    if isinstance(index, pd.PeriodIndex):
        return index.asfreq("M") if index.freqstr != "M" else index
    if isinstance(index, pd.DatetimeIndex):
        return index.to_period("M")
    try:
        bad = [v for v in index if not _MONTH_RE.match(str(v))]
        if bad:
            raise ValueError(f"values such as {bad[0]!r} are not 'YYYY-MM'")
        return pd.PeriodIndex([pd.Period(str(v), freq="M") for v in index], freq="M")
    except (ValueError, TypeError) as exc:
        raise TypeError(
            f"{func}(): the index of 'series' must identify months (a PeriodIndex, a DatetimeIndex "
            f"or 'YYYY-MM' strings); could not read it as months ({exc}). Example: "
            "series.index = pd.period_range('2016-01', periods=len(series), freq='M')."
        ) from None


def _to_month(func: str, value: Any) -> pd.Period:
    if isinstance(value, str) and not _MONTH_RE.match(value):
        raise TypeError(
            f"{func}(): argument 'intervention' must be a month written 'YYYY-MM' (e.g. '2017-03'), "
            f"a pandas Period or a Timestamp; got {value!r}."
        )
    try:
        if isinstance(value, pd.Period):
            return value.asfreq("M")
        return pd.Period(value, freq="M")
    except (ValueError, TypeError) as exc:
        raise TypeError(
            f"{func}(): argument 'intervention' must be a month such as '2017-03' (string, "
            f"Period or Timestamp), got {value!r} ({exc})."
        ) from None


@dataclass(frozen=True, kw_only=True)
class ITSResult(Result):
    """Segmented-regression estimates of an interrupted time series.

    Attributes
    ----------
    pre_slope, pre_slope_se, pre_slope_ci_low, pre_slope_ci_high, pre_slope_p : float
        Trend per month before the intervention (b1).
    level_change, level_se, level_ci_low, level_ci_high, level_p : float
        Immediate change at the intervention month (b2).
    slope_change, slope_se, slope_ci_low, slope_ci_high, slope_p : float
        Change in the monthly trend after the intervention (b3).
    post_slope, post_slope_se, post_slope_ci_low, post_slope_ci_high, post_slope_p : float
        Trend after the intervention (b1 + b3).
    intercept : float
        b0, the fitted level one month before the first observed month.
    coefficients : pandas.DataFrame
        All terms (``b``, ``se``, ``t``, ``p``, ``ci_low``, ``ci_high``).
    n, n_dropped, n_pre, n_post, df_resid : int
        Months used, months dropped (missing), months before / from the
        intervention, residual df.
    se : str
        "hac" or "ols".
    maxlags : int or None
        HAC lag L actually used (None for "ols").
    lag_rule : str
        How L was chosen.
    kernel : str
        "bartlett" for HAC.
    seasonal : bool
        Whether month-of-year dummies were included.
    intervention : str
        First month of the post period ("YYYY-MM").
    confidence : float
        Interval level.
    r2 : float
        R-squared of the fit.
    fitted, counterfactual : pandas.Series
        Fitted values and the fitted series with the level and slope change
        removed (equal to ``fitted`` before the intervention), indexed by
        month.
    method : str
        Model and SE description.
    """

    pre_slope: float
    pre_slope_se: float
    pre_slope_ci_low: float
    pre_slope_ci_high: float
    pre_slope_p: float
    level_change: float
    level_se: float
    level_ci_low: float
    level_ci_high: float
    level_p: float
    slope_change: float
    slope_se: float
    slope_ci_low: float
    slope_ci_high: float
    slope_p: float
    post_slope: float
    post_slope_se: float
    post_slope_ci_low: float
    post_slope_ci_high: float
    post_slope_p: float
    intercept: float
    coefficients: pd.DataFrame
    n: int
    n_dropped: int
    n_pre: int
    n_post: int
    df_resid: int
    se: str
    maxlags: int | None
    lag_rule: str
    kernel: str | None
    seasonal: bool
    intervention: str
    confidence: float
    r2: float
    fitted: pd.Series
    counterfactual: pd.Series
    method: str


def its(
    series: pd.Series,
    intervention: Any,
    *,
    se: SEType = "hac",
    maxlags: int | None = None,
    seasonal: bool = False,
    confidence: float = 0.95,
) -> ITSResult:
    """Interrupted time series analysis by segmented regression.

    Parameters
    ----------
    series : pandas.Series
        Monthly KPI values indexed by month (PeriodIndex, DatetimeIndex or
        "YYYY-MM" strings).  Missing values are dropped.
    intervention : str, pandas.Period or Timestamp
        First month of the post-intervention period, e.g. "2017-03".
    se : {"hac", "ols"}, default "hac"
        Newey-West heteroskedasticity- and autocorrelation-consistent
        standard errors, or classical OLS standard errors.
    maxlags : int, optional
        HAC truncation lag L.  Default ``floor(4 (n/100)^(2/9))`` (Newey &
        West 1994 rule of thumb).  Ignored for ``se="ols"``.
    seasonal : bool, default False
        Add month-of-year dummies (January = reference, or the first calendar
        month observed if January is absent), as R ``factor(month)``.
    confidence : float, default 0.95
        Level of the t intervals.

    Returns
    -------
    ITSResult
        Pre-trend, level change, slope change, post-trend with intervals and
        p-values, the fitted and counterfactual series and provenance.

    Raises
    ------
    TypeError
        ``series`` not a Series, an index that is not monthly, a non-numeric
        series, or a bad ``maxlags`` / ``seasonal`` type.
    ValueError
        Duplicate months, an unknown ``se``, an intervention outside the
        observed months or with fewer than 3 observed months on either side,
        a negative ``maxlags``, a constant series, or a rank-deficient design.

    Notes
    -----
    Model (Wagner et al. 2002; Linden 2015)::

        y_t = b0 + b1 time_t + b2 post_t + b3 time_since_t (+ seasonal dummies) + e_t

    where ``time_t = 1, 2, ...`` counts calendar months from the first observed
    month (gaps left by missing months are kept), ``post_t = 1`` from the
    intervention month on, and ``time_since_t = (time_t - time_T0) post_t`` is 0
    at the intervention month.  So ``b2`` is the jump at the intervention
    month relative to the extrapolated pre-trend, ``b3`` the change in monthly
    trend and ``b1 + b3`` the post-intervention trend.

    ``se="hac"``: ``V = (X'X)^-1 S (X'X)^-1`` with
    ``S = sum_{j=-L..L} w_j sum_t x_t u_t u_{t-j} x_{t-j}'`` and Bartlett weights
    ``w_j = 1 - |j|/(L+1)``, no finite-sample scaling and no prewhitening
    (Newey & West 1987).  This is exactly R
    ``sandwich::NeweyWest(fit, lag = L, prewhite = FALSE, adjust = FALSE)`` and
    statsmodels ``OLS(...).fit(cov_type="HAC", cov_kwds={"maxlags": L})``.
    Note that ``NeweyWest``'s own defaults differ (data-driven lag,
    prewhitening, n/(n-k) adjustment).  Observations are taken as consecutive
    rows after missing months are dropped (as ``sandwich`` does without
    ``order.by``).  Tests and intervals use Student's t on ``n - p`` df, as
    ``lmtest::coeftest(fit, vcov = V)`` and Stata's ``newey``; statsmodels
    uses the normal distribution for HAC unless ``use_t=True``.

    ``se="ols"``: classical ``sigma^2 (X'X)^-1``, identical to ``summary(lm(...))``.

    References
    ----------
    Wagner, A. K., Soumerai, S. B., Zhang, F., & Ross-Degnan, D. (2002).
    Segmented regression analysis of interrupted time series studies in
    medication use research. *J Clin Pharm Ther*, 27, 299-309.
    Linden, A. (2015). Conducting interrupted time-series analysis for
    single- and multiple-group comparisons. *Stata Journal*, 15, 480-500.
    Newey, W. K., & West, K. D. (1987). A simple, positive semi-definite,
    heteroskedasticity and autocorrelation consistent covariance matrix.
    *Econometrica*, 55, 703-708.
    Newey, W. K., & West, K. D. (1994). Automatic lag selection in covariance
    matrix estimation. *Review of Economic Studies*, 61, 631-653.
    Zeileis, A. (2004). Econometric computing with HC and HAC covariance
    matrix estimators. *Journal of Statistical Software*, 11(10).

    Examples
    --------
    >>> import pandas as pd
    >>> from ccstudy.stats import its
    >>> idx = pd.period_range("2016-01", periods=24, freq="M")
    >>> t = pd.Series(range(1, 25), index=idx, dtype=float)
    >>> y = 10 + 0.5 * t + 3 * (t >= 15) + 0.2 * (t - 15).clip(lower=0)
    >>> s = its(y, "2017-03", se="ols")
    >>> round(s.level_change, 6), round(s.slope_change, 6)
    (3.0, 0.2)

    R: ``fit <- lm(y ~ time + post + time_since)``;
    ``lmtest::coeftest(fit, vcov = sandwich::NeweyWest(fit, lag = L, prewhite = FALSE, adjust = FALSE))``.
    """
    func = "its"
    se = _check_choice(func, "se", se, _SE)
    conf = _check_confidence(func, confidence)
    if not isinstance(series, pd.Series):
        raise TypeError(
            f"{func}(): argument 'series' must be a pandas Series indexed by month, got "
            f"{type(series).__name__}; e.g. pd.Series(values, index=pd.period_range('2016-01', "
            "periods=n, freq='M'))."
        )
    if not isinstance(seasonal, (bool, np.bool_)):
        raise TypeError(f"{func}(): argument 'seasonal' must be True or False, got {seasonal!r}.")
    if maxlags is not None:
        if isinstance(maxlags, bool) or not isinstance(maxlags, (int, np.integer)):
            raise TypeError(
                f"{func}(): argument 'maxlags' must be a non-negative integer or None (rule of "
                f"thumb), got {maxlags!r}."
            )
        if maxlags < 0:
            raise ValueError(f"{func}(): argument 'maxlags' got {maxlags}; it must be >= 0 (or None).")
    months = _to_months(func, series.index)
    if months.has_duplicates:
        dup = sorted({str(m) for m in months[months.duplicated()]})
        raise ValueError(
            f"{func}(): 'series' has duplicate months {dup[:5]}; aggregate to one value per month first."
        )
    try:
        values = pd.to_numeric(pd.Series(series.to_numpy(), index=months), errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{func}(): 'series' must be numeric ({exc}).") from None
    values = values.sort_index()
    n_total = len(values)
    values = values[values.notna()]
    if np.isinf(values.to_numpy()).any():
        raise ValueError(f"{func}(): 'series' contains infinite values; replace them by NaN.")
    t0 = _to_month(func, intervention)
    if len(values) == 0:
        raise ValueError(f"{func}(): 'series' has no non-missing values.")
    first, last = values.index.min(), values.index.max()
    if not (first < t0 <= last):
        raise ValueError(
            f"{func}(): argument 'intervention' = {str(t0)!r} is outside the observed months "
            f"({first} to {last}); it must be a month after the first and not after the last "
            "observed month, the first month of the post period."
        )
    post_mask = values.index >= t0
    n_pre, n_post = int((~post_mask).sum()), int(post_mask.sum())
    if n_pre < 3 or n_post < 3:
        raise ValueError(
            f"{func}(): intervention = {str(t0)!r} leaves {n_pre} observed months before and "
            f"{n_post} from the intervention on; segmented regression needs at least 3 on each "
            "side. Choose another intervention month or supply a longer series."
        )
    y = values.to_numpy(dtype=float)
    if np.all(y == y[0]):
        raise ValueError(
            f"{func}(): 'series' is constant ({y[0]!r}) over all observed months; there is nothing "
            "to model."
        )
    n = len(y)
    ords = np.array([(m - first).n for m in values.index], dtype=float)
    time = ords + 1.0
    t0_time = float((t0 - first).n) + 1.0
    post = post_mask.astype(float)
    since = (time - t0_time) * post
    cols = [np.ones(n), time, post, since]
    names = ["intercept", "time", "post", "time_since"]
    if seasonal:
        moy = np.array([m.month for m in values.index])
        present = sorted(set(moy.tolist()))
        for mth in present[1:]:  # first calendar month present (January) is the reference
            cols.append((moy == mth).astype(float))
            names.append(f"month_{mth:02d}")
    X = np.column_stack(cols)
    p_cols = X.shape[1]
    if n <= p_cols:
        raise ValueError(
            f"{func}(): {n} observed months are not enough for {p_cols} coefficients"
            + (" (seasonal=True adds up to 11 month dummies)" if seasonal else "")
            + "; supply a longer series."
        )
    if np.linalg.matrix_rank(X) < p_cols:
        raise ValueError(
            f"{func}(): the design is rank deficient (terms {names}); with seasonal=True each "
            "calendar month needs enough observations. Use seasonal=False or a longer series."
        )
    xtx_inv = np.linalg.inv(X.T @ X)
    beta = xtx_inv @ (X.T @ y)
    resid = y - X @ beta
    dfr = n - p_cols
    if se == "hac":
        lag = newey_west_lag(n) if maxlags is None else int(maxlags)
        lag_rule = "floor(4 * (n/100)^(2/9))" if maxlags is None else "user-supplied"
        if lag >= n:
            raise ValueError(f"{func}(): argument 'maxlags' = {lag} must be smaller than n = {n}.")
        vcov = xtx_inv @ _hac_meat(X, resid, lag) @ xtx_inv
        kernel: str | None = "bartlett"
        se_desc = f"Newey-West HAC, Bartlett kernel, lag {lag}, no prewhitening, no df adjustment"
    else:
        lag, lag_rule, kernel = None, "not applicable", None
        vcov = xtx_inv * float(resid @ resid) / dfr
        se_desc = "classical OLS"
    ses = np.sqrt(np.diag(vcov))
    tv = beta / ses
    pv = 2.0 * _sps.t.sf(np.abs(tv), dfr)
    tcrit = float(_sps.t.ppf((1.0 + conf) / 2.0, dfr))
    coef = pd.DataFrame(
        {"b": beta, "se": ses, "t": tv, "p": pv, "ci_low": beta - tcrit * ses, "ci_high": beta + tcrit * ses},
        index=pd.Index(names, name="term"),
    )
    cvec = np.zeros(p_cols)
    cvec[1] = cvec[3] = 1.0
    ps = float(cvec @ beta)
    ps_se = math.sqrt(float(cvec @ vcov @ cvec))
    ps_t = ps / ps_se
    fitted = X @ beta
    cf = fitted - beta[2] * post - beta[3] * since
    tss = float(((y - y.mean()) ** 2).sum())

    def row(term: str) -> list[float]:
        r = coef.loc[term]
        return [float(r["b"]), float(r["se"]), float(r["ci_low"]), float(r["ci_high"]), float(r["p"])]

    b1, b2, b3 = row("time"), row("post"), row("time_since")
    return ITSResult(
        pre_slope=b1[0],
        pre_slope_se=b1[1],
        pre_slope_ci_low=b1[2],
        pre_slope_ci_high=b1[3],
        pre_slope_p=b1[4],
        level_change=b2[0],
        level_se=b2[1],
        level_ci_low=b2[2],
        level_ci_high=b2[3],
        level_p=b2[4],
        slope_change=b3[0],
        slope_se=b3[1],
        slope_ci_low=b3[2],
        slope_ci_high=b3[3],
        slope_p=b3[4],
        post_slope=ps,
        post_slope_se=ps_se,
        post_slope_ci_low=ps - tcrit * ps_se,
        post_slope_ci_high=ps + tcrit * ps_se,
        post_slope_p=float(2.0 * _sps.t.sf(abs(ps_t), dfr)),
        intercept=float(beta[0]),
        coefficients=coef,
        n=n,
        n_dropped=n_total - n,
        n_pre=n_pre,
        n_post=n_post,
        df_resid=dfr,
        se=se,
        maxlags=lag,
        lag_rule=lag_rule,
        kernel=kernel,
        seasonal=bool(seasonal),
        intervention=str(t0),
        confidence=conf,
        r2=1.0 - float(resid @ resid) / tss,
        fitted=pd.Series(fitted, index=values.index, name="fitted"),
        counterfactual=pd.Series(cf, index=values.index, name="counterfactual"),
        method=f"segmented OLS y ~ time + post + time_since{' + month-of-year' if seasonal else ''}; {se_desc}",
    )
