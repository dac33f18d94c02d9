"""Tests of ccstudy.stats.association against R (stored references, R not needed).

References were produced by ``tests/reference/r/association.R`` with
R 4.2.2 Patched (2022-11-10 r83330), psych 2.2.9, jsonlite 1.8.4, and stored in
``tests/reference/association_reference.json``; the data sets are exported to
``tests/reference/data/assoc_*.csv`` (mtcars, anscombe, airquality -- with
NAs -- and small synthetic sets without ties).  The R calls are::

    cor.test(x, y, method = "pearson")                  # r, t, df, p, Fisher-z CI
    cor.test(x, y, method = "spearman")                 # rho, p (AS 89 / exact / t approx.)
    psych::corr.test(x, y, method = "spearman")$ci      # Fisher-z CI applied to rho
    rx <- resid(lm(x ~ z)); ry <- resid(lm(y ~ z)); cor(rx, ry)   # partial r, df = n - 2 - k
    psych::corr.p(R, n = n - k)$ci                      # partial-r Fisher CI, SE 1/sqrt(n - 3 - k)
    p.adjust(p, "holm"); p.adjust(p, "BH")

Printed values quoted for orientation (full precision in the JSON):

    cor.test(mtcars$mpg, mtcars$wt): r = -0.867659376517228, t = -9.55904414697211,
        p = 1.29395870135052e-10, 95% CI -0.933826413284994 .. -0.744087196460113
    cor.test(mtcars$mpg, mtcars$wt, method = "spearman"): rho = -0.886422033270298,
        p = 1.48759485812743e-11 (ties -> t approximation)
    partial r(mpg, wt | hp) = -0.751204904961865, t = -6.12869521981041 on 29 df,
        p = 1.11964713620005e-06, CI -0.873132767123425 .. -0.540821844914525

Tolerance 1e-6 (absolute) on every closed-form quantity.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccstudy.stats.association import adjust_pvalues, correlate, correlation_table

REF_DIR = Path(__file__).resolve().parents[1] / "reference"
REF = json.loads((REF_DIR / "association_reference.json").read_text())
TOL = 1e-6


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "data" / name)


MT = _csv("assoc_mtcars.csv")
AN = _csv("assoc_anscombe.csv")
AQ = _csv("assoc_airquality.csv")
SYN = _csv("assoc_synthetic.csv")


def close(a: float, b: float, tol: float = TOL) -> bool:
    return abs(a - b) <= tol


# --------------------------------------------------------------------------- R: cor.test

CASES = {
    "mtcars_mpg_wt_pearson": (MT, "mpg", "wt", "pearson"),
    "mtcars_mpg_wt_spearman": (MT, "mpg", "wt", "spearman"),
    "anscombe_x1_y1_pearson": (AN, "x1", "y1", "pearson"),
    "anscombe_x1_y1_spearman": (AN, "x1", "y1", "spearman"),
    "anscombe_x1_y3_spearman": (AN, "x1", "y3", "spearman"),
    "anscombe_x4_y4_pearson": (AN, "x4", "y4", "pearson"),
    "airquality_ozone_temp_pearson": (AQ, "Ozone", "Temp", "pearson"),
    "airquality_ozone_temp_spearman": (AQ, "Ozone", "Temp", "spearman"),
    "airquality_ozone_solar_pearson": (AQ, "Ozone", "Solar.R", "pearson"),
    "synthetic_x7_y7_spearman": (SYN, "x7", "y7", "spearman"),
    "synthetic_x7_y7_pearson": (SYN, "x7", "y7", "pearson"),
    "synthetic_x12_y12_spearman": (SYN, "x12", "y12", "spearman"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_correlate_matches_r_cor_test(case: str) -> None:
    data, xn, yn, method = CASES[case]
    ref = REF["correlate"][case]
    c = correlate(data[xn], data[yn], method=method)
    assert c.n == ref["n"] and c.n_dropped == ref["n_dropped"]
    assert close(c.r, ref["r"])
    assert close(c.p, ref["p"])
    if method == "pearson":
        assert c.df == ref["df"]
        assert close(c.t, ref["statistic"])
        assert close(c.ci_low, ref["ci_low"]) and close(c.ci_high, ref["ci_high"])
    else:
        # R's statistic S = (n^3 - n)(1 - rho)/6
        assert close((c.n**3 - c.n) * (1 - c.r) / 6, ref["statistic"], 1e-6 * max(1.0, ref["statistic"]))
        if "fisher" in ref:
            assert close(c.ci_low, ref["fisher"]["ci_low"]) and close(c.ci_high, ref["fisher"]["ci_high"])


def test_missing_values_are_dropped_and_counted() -> None:
    c = correlate(AQ["Ozone"], AQ["Temp"])
    assert c.n == 116 and c.n_dropped == 37


def test_confidence_level_is_a_parameter() -> None:
    ref = REF["correlate"]["mtcars_mpg_hp_pearson_90"]
    c = correlate(MT["mpg"], MT["hp"], confidence=0.90)
    assert close(c.ci_low, ref["ci_low"]) and close(c.ci_high, ref["ci_high"])
    assert c.confidence == 0.90


def test_spearman_t_approximation_with_ties_and_no_ties_large_n() -> None:
    # mtcars mpg has ties -> t approximation, as R
    assert correlate(MT["mpg"], MT["wt"], method="spearman").p_method == "t approximation"
    assert correlate(SYN["x7"], SYN["y7"], method="spearman").p_method.startswith("exact")
    assert correlate(SYN["x12"], SYN["y12"], method="spearman").p_method == "AS 89 Edgeworth series"


@pytest.mark.parametrize("key", ["n4", "n5", "n8", "n9", "n10", "n15", "n30"])
def test_spearman_p_grid_matches_r(key: str) -> None:
    """R: set.seed(n); x <- 1:n; y <- sample(n); cor.test(x, y, method = "spearman")$p.value, 12 draws.

    n <= 9 exercises R's exact enumeration, n >= 10 the AS 89 Edgeworth series.
    """
    grid = REF["spearman_grid"][key]
    n = grid["n"]
    for y, rho_r, p_r in zip(grid["y"], grid["rho"], grid["p"]):
        c = correlate(np.arange(1, n + 1), y, method="spearman")
        assert close(c.r, rho_r, 1e-12)
        assert close(c.p, p_r)


def test_spearman_t_approximation_branch_matches_r_exact_false() -> None:
    """cor.test(x12, y12, method = "spearman", exact = FALSE): the t branch without ties."""
    from ccstudy.stats.association import _spearman_p

    ref = REF["correlate"]["synthetic_x12_y12_spearman_t"]
    p, label = _spearman_p(ref["r"], 12, exact=False)
    assert label == "t approximation" and close(p, ref["p"])


# --------------------------------------------------------------------------- partial correlation

PARTIAL = {
    "mtcars_mpg_wt_given_hp_pearson": (MT, "mpg", "wt", ["hp"], "pearson"),
    "mtcars_mpg_wt_given_hp_qsec_pearson": (MT, "mpg", "wt", ["hp", "qsec"], "pearson"),
    "mtcars_mpg_wt_given_hp_spearman": (MT, "mpg", "wt", ["hp"], "spearman"),
    "airquality_ozone_temp_given_wind_pearson": (AQ, "Ozone", "Temp", ["Wind"], "pearson"),
    "airquality_ozone_temp_given_wind_solar_spearman": (AQ, "Ozone", "Temp", ["Wind", "Solar.R"], "spearman"),
}


@pytest.mark.parametrize("case", sorted(PARTIAL))
def test_partial_correlation_matches_r(case: str) -> None:
    data, xn, yn, cov, method = PARTIAL[case]
    ref = REF["partial"][case]
    c = correlate(data[xn], data[yn], method=method, covariates=data[cov])
    assert c.n == ref["n"] and c.n_dropped == ref["n_dropped"]
    assert c.df == ref["df"]
    assert close(c.r, ref["r"]) and close(c.r, ref["r_psych_partial"])
    assert close(c.t, ref["t"])
    assert close(c.p, ref["p"]) and close(c.p, ref["p_corr_p"])
    assert close(c.ci_low, ref["ci_low"]) and close(c.ci_high, ref["ci_high"])
    assert c.covariates == tuple(cov)


def test_partial_accepts_series_and_array() -> None:
    a = correlate(MT["mpg"], MT["wt"], covariates=MT["hp"])
    b = correlate(MT["mpg"].to_numpy(), MT["wt"].to_numpy(), covariates=MT["hp"].to_numpy())
    assert close(a.r, b.r, 1e-12) and a.covariates == ("hp",) and b.covariates == ("covariate_1",)


# --------------------------------------------------------------------------- p.adjust / table


@pytest.mark.parametrize("method,key", [("holm", "holm"), ("bh", "bh"), ("none", "none")])
def test_adjust_pvalues_matches_r_p_adjust(method: str, key: str) -> None:
    ref = REF["p_adjust"]
    p = np.array([np.nan if v is None else v for v in ref["p"]])
    want = np.array([np.nan if v is None else v for v in ref[key]])
    got = adjust_pvalues(p, method=method)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)], rtol=0, atol=TOL)


TABLES = {
    "airquality_pearson_holm": (AQ, ["Ozone", "Solar.R"], ["Wind", "Temp"], "pearson", "holm"),
    "airquality_pearson_bh": (AQ, ["Ozone", "Solar.R"], ["Wind", "Temp"], "pearson", "bh"),
    "mtcars_spearman_holm": (MT, ["mpg", "qsec"], ["wt", "hp", "disp"], "spearman", "holm"),
    "mtcars_pearson_bh": (MT, ["mpg", "qsec"], ["wt", "hp", "disp"], "pearson", "bh"),
}


@pytest.mark.parametrize("case", sorted(TABLES))
def test_correlation_table_matches_r(case: str) -> None:
    data, scores, kpis, method, adjust = TABLES[case]
    ref = pd.DataFrame(REF["table"][case])
    t = correlation_table(data[scores], data[kpis], method=method, adjust=adjust)
    assert list(t["score"]) == list(ref["score"]) and list(t["kpi"]) == list(ref["kpi"])
    assert list(t["n"]) == list(ref["n"])
    for col in ["r", "p", "p_adj"]:
        np.testing.assert_allclose(t[col], ref[col], rtol=0, atol=TOL)
    if method == "pearson":
        np.testing.assert_allclose(t["ci_low"], ref["ci_low"], rtol=0, atol=TOL)
        np.testing.assert_allclose(t["ci_high"], ref["ci_high"], rtol=0, atol=TOL)
    assert set(t["adjust"]) == {adjust}


# --------------------------------------------------------------------------- closed form & pingouin


def test_perfectly_linear_data_give_r_one() -> None:
    x = np.arange(10.0)
    c = correlate(x, 3 * x + 2)
    assert c.r == 1.0 and c.ci_low == 1.0 and c.p == 0.0
    assert correlate(x, -x, method="spearman").r == -1.0


def test_pearson_agrees_with_numpy_and_scipy() -> None:
    from scipy import stats

    res = stats.pearsonr(MT["mpg"], MT["hp"])
    c = correlate(MT["mpg"], MT["hp"])
    assert close(c.r, float(np.corrcoef(MT["mpg"], MT["hp"])[0, 1]), 1e-12)
    assert close(c.p, float(res.pvalue), 1e-10)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_against_pingouin_corr(method: str) -> None:
    d = AQ[["Ozone", "Temp"]].dropna()
    pgr = pg.corr(d["Ozone"], d["Temp"], method=method)
    c = correlate(AQ["Ozone"], AQ["Temp"], method=method)
    assert close(c.r, float(pgr["r"].iloc[0]))
    assert close(c.p, float(pgr["p_val" if "p_val" in pgr else "p-val"].iloc[0]))
    ci = pgr["CI95%" if "CI95%" in pgr else "CI95"].iloc[0]
    # pingouin rounds its CI to 2 decimals
    assert abs(c.ci_low - ci[0]) <= 0.005 + 1e-12 and abs(c.ci_high - ci[1]) <= 0.005 + 1e-12


def test_against_pingouin_partial_corr() -> None:
    d = MT[["mpg", "wt", "hp"]]
    pgr = pg.partial_corr(d, x="mpg", y="wt", covar="hp")
    c = correlate(d["mpg"], d["wt"], covariates=d[["hp"]])
    assert close(c.r, float(pgr["r"].iloc[0]))
    assert close(c.p, float(pgr["p_val" if "p_val" in pgr else "p-val"].iloc[0]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), min_size=5, max_size=30))
def test_property_r_in_range_and_ci_contains_r(pairs: list[tuple[float, float]]) -> None:
    x = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs])
    if np.ptp(x) < 1e-6 or np.ptp(y) < 1e-6:
        return
    for method in ("pearson", "spearman"):
        try:
            c = correlate(x, y, method=method)
        except ValueError:
            return
        assert -1.0 <= c.r <= 1.0
        assert c.ci_low <= c.r <= c.ci_high
        assert 0.0 <= c.p <= 1.0
        # symmetry
        assert close(correlate(y, x, method=method).r, c.r, 1e-12)


def test_result_has_provenance_and_serialises() -> None:
    c = correlate(AQ["Ozone"], AQ["Temp"], method="spearman", covariates=AQ[["Wind"]])
    d = c.to_dict()
    assert d["method"] == "spearman" and d["covariates"] == ["Wind"]
    assert "n_dropped" in d and "ci_method" in d
    json.dumps(d)
    assert "CorrelationResult" in c.summary()


# --------------------------------------------------------------------------- errors


def test_error_length_mismatch_names_arguments() -> None:
    with pytest.raises(ValueError, match=r"'x' has 3.*'y' has 2"):
        correlate([1, 2, 3], [1, 2])


def test_error_too_few_cases() -> None:
    with pytest.raises(ValueError, match="at least 3 complete cases"):
        correlate([1, 2, np.nan], [1, 2, 3])
    with pytest.raises(ValueError, match="at least 4 complete cases with 1 covariate"):
        correlate([1, 2, 3], [1, 3, 2], covariates=[1, 2, 4])


def test_error_constant_input() -> None:
    with pytest.raises(ValueError, match=r"'y' is constant"):
        correlate([1, 2, 3, 4], [5, 5, 5, 5])
    with pytest.raises(ValueError, match="constant"):
        correlate([1, 2, 3, 4, 5], [2, 1, 3, 5, 4], covariates=[1, 1, 1, 1, 1])


def test_error_unknown_method_and_adjust() -> None:
    with pytest.raises(ValueError, match=r"argument 'method' got 'kendall'.*'pearson', 'spearman'"):
        correlate([1, 2, 3], [1, 3, 2], method="kendall")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"argument 'adjust' got 'bonferroni'"):
        correlation_table(MT[["mpg"]], MT[["wt"]], adjust="bonferroni")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="argument 'method' must be a string"):
        correlate([1, 2, 3], [1, 3, 2], method=None)  # type: ignore[arg-type]


def test_error_confidence_out_of_range() -> None:
    with pytest.raises(ValueError, match="confidence"):
        correlate([1, 2, 3, 4], [1, 3, 2, 4], confidence=95)


def test_error_non_numeric_and_misaligned_index() -> None:
    with pytest.raises(TypeError, match="argument 'x'"):
        correlate(["a", "b", "c"], [1, 2, 3])
    a = pd.Series([1.0, 2, 3, 4], index=[1, 2, 3, 4])
    b = pd.Series([1.0, 3, 2, 4], index=[4, 3, 2, 1])
    with pytest.raises(ValueError, match="different indexes"):
        correlate(a, b)


def test_error_redundant_covariate() -> None:
    x = np.array([1.0, 2, 3, 4, 5, 6])
    with pytest.raises(ValueError, match="no variance left"):
        correlate(x, [2.0, 1, 4, 3, 6, 5], covariates=2 * x + 1)


def test_n_equal_three_warns_about_undefined_ci() -> None:
    with pytest.warns(RuntimeWarning, match="Fisher-z confidence interval is undefined"):
        c = correlate([1, 2, 3], [1, 3, 2])
    assert math.isnan(c.ci_low) and close(c.r, 0.5, 1e-12)


def test_table_errors() -> None:
    with pytest.raises(TypeError, match="'scores' must be a pandas DataFrame"):
        correlation_table(MT["mpg"], MT[["wt"]])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rows"):
        correlation_table(MT[["mpg"]], MT[["wt"]].iloc[:10])
    with pytest.raises(ValueError, match=r"pair score='mpg', kpi='c'"):
        correlation_table(MT[["mpg"]], pd.DataFrame({"c": np.ones(32)}))


def test_spearman_perfect_rank_agreement_with_ties_gives_p_zero() -> None:
    """R: cor.test(c(0,0,0,0,1), c(0,0,0,0,1), method = "spearman")$p.value = 3.971862e-24
    (R's rho is 1 - 1 ulp); here rho is exactly 1 and p = 0 (t = Inf), not a division error."""
    c = correlate([0, 0, 0, 0, 1], [0, 0, 0, 0, 1], method="spearman")
    assert c.r == 1.0 and c.p <= 1e-20 and c.p_method == "t approximation"
