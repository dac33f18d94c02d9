"""Tests of ccstudy.stats.trends.its against R (stored references, R not needed).

References: ``tests/reference/r/trends.R`` run with R 4.2.2 Patched
(2022-11-10 r83330), sandwich 3.0.2, lmtest 0.9.40; values in
``tests/reference/trends_reference.json``; series in
``tests/reference/data/its_*.csv``: UKDriverDeaths (seat-belt law 1983-02),
Nile (annual flows placed on consecutive months from 2000-01, break at the
28th value = "2002-04"), log(AirPassengers) with six months set to NA
(hypothetical intervention 1955-07) and a synthetic AR(1) answer-rate series
with NAs.  The R model::

    dd$time <- month_index - first_month + 1
    dd$post <- as.integer(month >= intervention)
    dd$time_since <- (dd$time - time_at_intervention) * dd$post
    fit <- lm(y ~ time + post + time_since [+ factor(month_of_year)], data = dd)
    L <- floor(4 * (n / 100)^(2 / 9))                      # or the lag given
    V <- sandwich::NeweyWest(fit, lag = L, prewhite = FALSE, adjust = FALSE)   # se = "hac"
    V <- vcov(fit)                                                             # se = "ols"
    lmtest::coeftest(fit, vcov. = V); lmtest::coefci(fit, vcov. = V)

Printed values (UKDriverDeaths, intervention 1983-02, n = 192, L = 4):
    level change (post) = -457.768100628468, HAC SE 75.5740047747636,
    OLS SE 107.180651134372; slope change HAC SE 6.39084773911574.

Tolerance 1e-6 (relative to max(1, |value|) for the large-scale UK series).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ccstudy.stats.trends import its, newey_west_lag

REF_DIR = Path(__file__).resolve().parents[1] / "reference"
REF = json.loads((REF_DIR / "trends_reference.json").read_text())["its"]
TOL = 1e-6


def _series(name: str) -> pd.Series:
    d = pd.read_csv(REF_DIR / "data" / name)
    return pd.Series(d["value"].to_numpy(dtype=float), index=d["month"].astype(str), name="value")


UKD = _series("its_ukdriverdeaths.csv")
NILE = _series("its_nile.csv")
AIR = _series("its_airpassengers.csv")
SYN = _series("its_synthetic.csv")


def close(a: float, b: float, tol: float = TOL) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


CASES = {
    "ukd_hac_default": (UKD, "1983-02", dict()),
    "ukd_hac_lag12": (UKD, "1983-02", dict(maxlags=12)),
    "ukd_ols": (UKD, "1983-02", dict(se="ols")),
    "ukd_hac_seasonal": (UKD, "1983-02", dict(seasonal=True)),
    "ukd_ols_seasonal_90": (UKD, "1983-02", dict(se="ols", seasonal=True, confidence=0.90)),
    "nile_hac_default": (NILE, "2002-04", dict()),
    "nile_ols": (NILE, "2002-04", dict(se="ols")),
    "air_hac_seasonal": (AIR, "1955-07", dict(seasonal=True)),
    "air_hac_lag3": (AIR, "1955-07", dict(maxlags=3)),
    "synthetic_hac": (SYN, "2017-03", dict()),
    "synthetic_ols": (SYN, "2017-03", dict(se="ols")),
    "synthetic_hac_lag0": (SYN, "2017-03", dict(maxlags=0)),
}
FIELDS = {
    "time": "pre_slope",
    "post": "level",
    "time_since": "slope",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_its_matches_r_sandwich_neweywest(case: str) -> None:
    series, intervention, kw = CASES[case]
    ref = REF[case]
    s = its(series, intervention, **kw)
    assert s.n == ref["n"] and s.n_dropped == ref["n_dropped"] and s.df_resid == ref["df_resid"]
    if ref["lag"] is None:
        assert s.maxlags is None and s.se == "ols"
    else:
        assert s.maxlags == ref["lag"] and s.kernel == "bartlett"
    # main terms
    assert close(s.intercept, ref["intercept"]["b"])
    pre = ref["time"]
    assert close(s.pre_slope, pre["b"]) and close(s.pre_slope_se, pre["se"]) and close(s.pre_slope_p, pre["p"])
    assert close(s.pre_slope_ci_low, pre["ci_low"]) and close(s.pre_slope_ci_high, pre["ci_high"])
    lv = ref["post"]
    assert close(s.level_change, lv["b"]) and close(s.level_se, lv["se"]) and close(s.level_p, lv["p"])
    assert close(s.level_ci_low, lv["ci_low"]) and close(s.level_ci_high, lv["ci_high"])
    sl = ref["time_since"]
    assert close(s.slope_change, sl["b"]) and close(s.slope_se, sl["se"]) and close(s.slope_p, sl["p"])
    assert close(s.slope_ci_low, sl["ci_low"]) and close(s.slope_ci_high, sl["ci_high"])
    ps = ref["post_slope"]
    assert close(s.post_slope, ps["b"]) and close(s.post_slope_se, ps["se"]) and close(s.post_slope_p, ps["p"])
    assert close(s.post_slope_ci_low, ps["ci_low"]) and close(s.post_slope_ci_high, ps["ci_high"])
    # every coefficient's SE (seasonal dummies included) and the fitted / counterfactual series
    np.testing.assert_allclose(s.coefficients["se"].to_numpy(), ref["all_se"], rtol=TOL, atol=TOL)
    assert close(s.r2, ref["r2"])
    np.testing.assert_allclose(s.fitted.to_numpy(), ref["fitted"], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(s.counterfactual.to_numpy(), ref["counterfactual"], rtol=TOL, atol=TOL)


@pytest.mark.parametrize("case", ["ukd_hac_default", "ukd_hac_seasonal", "air_hac_lag3", "synthetic_hac"])
def test_its_hac_equals_statsmodels_hac(case: str) -> None:
    import statsmodels.api as sm

    series, intervention, kw = CASES[case]
    s = its(series, intervention, **kw)
    y = series.dropna().to_numpy()
    # rebuild the design independently
    months = pd.PeriodIndex(series.dropna().index, freq="M")
    time = np.array([(m - months[0]).n for m in months], dtype=float) + 1
    t0 = (pd.Period(intervention, freq="M") - months[0]).n + 1
    post = (time >= t0).astype(float)
    cols = [np.ones(len(y)), time, post, (time - t0) * post]
    if kw.get("seasonal"):
        moy = np.array([m.month for m in months])
        cols += [(moy == k).astype(float) for k in sorted(set(moy))[1:]]
    X = np.column_stack(cols)
    fit = sm.OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": s.maxlags}, use_t=True)
    np.testing.assert_allclose(s.coefficients["b"].to_numpy(), fit.params, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(s.coefficients["se"].to_numpy(), fit.bse, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(s.coefficients["p"].to_numpy(), fit.pvalues, rtol=1e-7, atol=1e-12)


def test_noiseless_segmented_series_recovers_exact_coefficients() -> None:
    idx = pd.period_range("2016-01", periods=30, freq="M")
    t = np.arange(1, 31, dtype=float)
    y = 0.8 + 0.004 * t + 0.05 * (t >= 15) - 0.003 * np.clip(t - 15, 0, None)
    for se in ("hac", "ols"):
        s = its(pd.Series(y, index=idx), "2017-03", se=se)
        assert abs(s.intercept - 0.8) < 1e-12 and abs(s.pre_slope - 0.004) < 1e-12
        assert abs(s.level_change - 0.05) < 1e-12 and abs(s.slope_change + 0.003) < 1e-12
        assert abs(s.post_slope - 0.001) < 1e-12 and s.r2 == pytest.approx(1.0, abs=1e-12)
        # counterfactual continues the pre-trend
        np.testing.assert_allclose(s.counterfactual.to_numpy(), 0.8 + 0.004 * t, atol=1e-12)
        np.testing.assert_allclose(s.fitted.to_numpy(), y, atol=1e-12)
    seasonal = y + np.tile([0.01, -0.02, 0.0, 0.03, 0.0, 0.0, 0.01, 0.0, -0.01, 0.0, 0.02, 0.0], 3)[:30]
    s = its(pd.Series(seasonal, index=idx), "2017-03", seasonal=True)
    assert abs(s.level_change - 0.05) < 1e-10 and abs(s.slope_change + 0.003) < 1e-10
    assert abs(s.coefficients.loc["month_04", "b"] - 0.03 + 0.01) < 1e-10


def test_index_types_are_equivalent() -> None:
    a = its(UKD, "1983-02")
    per = UKD.copy()
    per.index = pd.PeriodIndex(UKD.index, freq="M")
    ts = UKD.copy()
    ts.index = pd.PeriodIndex(UKD.index, freq="M").to_timestamp()
    for other, iv in ((per, pd.Period("1983-02", freq="M")), (ts, pd.Timestamp("1983-02-01"))):
        b = its(other, iv)
        assert b.level_change == pytest.approx(a.level_change, abs=1e-9)
        assert b.level_se == pytest.approx(a.level_se, abs=1e-9)
    # unsorted input is sorted by month
    c = its(UKD.iloc[::-1], "1983-02")
    assert c.level_change == pytest.approx(a.level_change, abs=1e-9)


def test_missing_months_keep_calendar_time() -> None:
    s = its(SYN, "2017-03")
    assert s.n == 34 and s.n_dropped == 2
    assert str(s.fitted.index[0]) == "2016-01" and "2016-06" not in set(map(str, s.fitted.index))


def test_default_lag_rule() -> None:
    assert [newey_west_lag(n) for n in (10, 34, 100, 192, 500)] == [2, 3, 4, 4, 5]
    assert its(UKD, "1983-02").lag_rule == "floor(4 * (n/100)^(2/9))"
    assert its(UKD, "1983-02", maxlags=7).lag_rule == "user-supplied"


def test_result_serialises() -> None:
    d = its(SYN, "2017-03").to_dict()
    json.dumps(d)
    assert d["se"] == "hac" and d["intervention"] == "2017-03" and isinstance(d["fitted"], dict)


def test_its_errors() -> None:
    with pytest.raises(ValueError, match=r"'intervention' = '1990-01' is outside"):
        its(UKD, "1990-01")
    with pytest.raises(ValueError, match=r"'intervention' = '1969-01' is outside"):
        its(UKD, "1969-01")
    with pytest.raises(ValueError, match=r"leaves 2 observed months before"):
        its(UKD, "1969-03")
    with pytest.raises(ValueError, match=r"2 from the intervention on"):
        its(UKD, "1984-11")
    with pytest.raises(ValueError, match=r"argument 'se' got 'robust'.*'hac', 'ols'"):
        its(UKD, "1983-02", se="robust")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="maxlags"):
        its(UKD, "1983-02", maxlags=-1)
    with pytest.raises(TypeError, match="maxlags"):
        its(UKD, "1983-02", maxlags=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pandas Series"):
        its(UKD.to_numpy(), "1983-02")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="months"):
        its(pd.Series([1.0, 2, 3], index=["a", "b", "c"]), "2017-03")
    with pytest.raises(TypeError, match="'intervention'"):
        its(UKD, "March")
    with pytest.raises(ValueError, match="duplicate months"):
        its(pd.concat([UKD, UKD.iloc[:1]]), "1983-02")
    flat = pd.Series(1.0, index=pd.period_range("2016-01", periods=12, freq="M"))
    with pytest.raises(ValueError, match="constant"):
        its(flat, "2016-06")


def test_integer_index_is_rejected() -> None:
    with pytest.raises(TypeError, match="not 'YYYY-MM'"):
        its(pd.Series(np.arange(12.0)), "2017-03")
