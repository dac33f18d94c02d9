"""Tests of ccstudy.stats.factor.cfa against R lavaan reference values.

References: ``tests/reference/r/cfa_reference.R`` (R 4.2.2 Patched
(2022-11-10 r83330), lavaan 0.6.14), stored in
``tests/reference/cfa_reference.json``; data in ``tests/reference/data/``
(``rel_hs1939.csv``, ``rel_bfi.csv`` with A1, C4, C5 reversed as 7 - x,
``cfa_synth_competency.csv``: 6 competencies x 3 Likert items in 2 dimensions,
3 % of answers missing, listwise n = 227 of 400).  R is not needed here.

The R calls::

    fit  <- lavaan::cfa(model, data = x, estimator = "ML")          # listwise
    fitw <- lavaan::cfa(model, data = x, estimator = "ML", likelihood = "wishart")
    fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea",
                       "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr",
                       "baseline.chisq", "baseline.df", "fmin", "ntotal"))
    standardizedSolution(fit)[op == "=~", "est.std"]; parameterEstimates(fit)
    # omega from lavInspect(fit, "est"): Tot = Lambda (I - B)^-1, Veta = implied
    # factor covariance, Sigma = lavInspect(fit, "implied")$cov; for factor f with
    # item set S:  omega_total = 1 - sum(Theta[S, S]) / sum(Sigma[S, S])
    #              omega_h     = sum(Tot[S, f])^2 * Veta[f, f] / sum(Sigma[S, S])

Printed values (R)::

    id                n  chisq          df pvalue   cfi          tli          rmsea        rmsea.ci        rmsea.p  srmr         chisq(wishart)
    hs_3factor      301  85.30552177    24 8.5e-09  0.9305596518 0.8958394777 0.0921214845 [0.07142,0.11368] 0.00066 0.0652050572 85.0221147221
    hs_higher       301  85.3055217714  24 8.5e-09  0.9305596518 0.8958394777 0.0921214845 [0.07142,0.11368] 0.00066 0.0652050279 85.0221147219
    bfi_2factor    2632  503.3404648376 34 0        0.9134811792 0.885489796  0.0724205133 [0.06690,0.07809] 0.0     0.046022537  503.1492260594
    comp_first_order 227 128.1574331527 120 0.28846 0.9914982186 0.9891602287 0.017305064  [0,0.03811]       0.99831 0.0427478169 127.5928629495
    comp_higher     227  139.281370996 128 0.23369  0.9882424105 0.9859460063 0.0197043915 [0,0.03894]       0.99808 0.049520756  138.6677966746

    hs_3factor standardized loadings: x1 0.7718804204  x2 0.4236009920  x3 0.5811323239
      x4 0.8515822224  x5 0.8550654464  x6 0.8380100739  x7 0.5695146840  x8 0.7230444328
      x9 0.6650092188
    hs_higher (g =~ visual + textual + speed): g->visual 0.8731501102,
      g->textual 0.5251222534, g->speed 0.5388937437;
      omega g total=0.8453349991 h=0.5542955230
    comp_higher: omega dim1 total=0.8209395466 h=0.6399805620;
                 omega dim2 total=0.8465618253 h=0.6666743970

Convention: ``chi2 = N * F_ML`` (lavaan default); ``chi2_wishart = (N - 1) * F_ML``.
Tolerance 1e-3 (iterative fits); observed agreement is about 1e-5 or better.
"""

from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ccstudy import stats
from ccstudy.stats.factor import CFAResult, CFAWarning, cfa

REF_DIR = Path(__file__).resolve().parents[1] / "reference"
REF = json.loads((REF_DIR / "cfa_reference.json").read_text())
FITS = {f["id"]: f for f in REF["fits"]}
TOL = 1e-3
INDICES = [
    ("chi2", "chisq"),
    ("df", "df"),
    ("p", "pvalue"),
    ("cfi", "cfi"),
    ("tli", "tli"),
    ("rmsea", "rmsea"),
    ("rmsea_ci_low", "rmsea_ci_lower"),
    ("rmsea_ci_high", "rmsea_ci_upper"),
    ("rmsea_p_close", "rmsea_pvalue"),
    ("srmr", "srmr"),
    ("baseline_chi2", "baseline_chisq"),
    ("baseline_df", "baseline_df"),
    ("n", "n"),
    ("n_rows", "n_rows"),
]


def _data(file: str) -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "data" / file)


def _kw(ref: dict) -> dict:
    if ref["data"] == "rel_bfi.csv":
        return {"reverse": REF["meta"]["reverse_bfi"], "scale": (1, 6)}
    return {}


@functools.lru_cache(maxsize=None)
def _fit(fit_id: str) -> CFAResult:
    ref = FITS[fit_id]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CFAWarning)
        return cfa(_data(ref["data"]), ref["model"], ref["higher_order"] or None, **_kw(ref))


def test_reference_metadata():
    assert REF["meta"]["lavaan"] == "0.6.14"
    assert REF["meta"]["R"].startswith("R version 4.2.2")
    assert len({f["data"] for f in REF["fits"]}) >= 3


def test_public_export():
    assert stats.cfa is cfa


@pytest.mark.parametrize("fit_id", sorted(FITS))
def test_fit_indices_match_lavaan(fit_id):
    ref, res = FITS[fit_id], _fit(fit_id)
    for ours, theirs in INDICES:
        assert getattr(res, ours) == pytest.approx(ref[theirs], abs=TOL), ours
    assert res.fmin / 2 == pytest.approx(ref["fmin"], abs=TOL)  # lavaan fmin = F_ML / 2
    assert res.converged and res.method == "ML" and res.missing == "listwise"
    assert res.n_dropped == ref["n_rows"] - ref["n"]


@pytest.mark.parametrize("fit_id", sorted(FITS))
def test_wishart_convention_matches_lavaan_wishart(fit_id):
    ref, res = FITS[fit_id], _fit(fit_id)
    assert res.chi2_wishart == pytest.approx(ref["wishart"]["chisq"], abs=TOL)
    assert res.p_wishart == pytest.approx(ref["wishart"]["pvalue"], abs=TOL)
    assert res.chi2_wishart == pytest.approx(res.chi2 * (res.n - 1) / res.n, rel=1e-12)


def test_semopy_reports_n_times_fmin():
    """semopy's own chi2 is N * F (same as lavaan's default); RMSEA differs (N - 1)."""
    import semopy

    ref = FITS["hs_3factor"]
    model = semopy.Model(ref["syntax"])
    model.fit(_data(ref["data"]), obj="MLW", solver="SLSQP", options={"ftol": 1e-13})
    sem = semopy.calc_stats(model).T["Value"]
    assert sem["chi2"] == pytest.approx(ref["chisq"], abs=TOL)
    assert sem["chi2"] == pytest.approx(_fit("hs_3factor").chi2, abs=TOL)
    # semopy's RMSEA divides by N - 1, lavaan (and ccstudy) by N
    assert abs(sem["RMSEA"] - ref["rmsea"]) > 1e-4
    assert sem["RMSEA"] == pytest.approx(ref["wishart"]["rmsea"], abs=5e-4)


@pytest.mark.parametrize("fit_id", sorted(FITS))
def test_loadings_match_lavaan(fit_id):
    ref, res = FITS[fit_id], _fit(fit_id)
    table = res.loadings.set_index(["factor", "indicator"])
    key = list(zip(ref["loadings"]["factor"], ref["loadings"]["item"]))
    assert len(table) == len(key)
    np.testing.assert_allclose(table.loc[key, "std_estimate"], ref["loadings"]["std"], atol=TOL, rtol=0)
    np.testing.assert_allclose(table.loc[key, "estimate"], ref["loadings"]["est"], atol=TOL, rtol=0)


@pytest.mark.parametrize("fit_id", sorted(FITS))
def test_omega_matches_lavaan_matrices(fit_id):
    ref, res = FITS[fit_id], _fit(fit_id)
    assert set(res.omega.index) == set(ref["omega"])
    for factor, om in ref["omega"].items():
        assert res.omega.loc[factor, "omega_total"] == pytest.approx(om["omega_total"], abs=TOL)
        assert res.omega.loc[factor, "omega_h"] == pytest.approx(om["omega_h"], abs=TOL)
        assert res.omega.loc[factor, "k"] == len(om["items"])


def test_hierarchical_omega_single_general_factor():
    res = _fit("hs_higher")
    assert res.omega_h == pytest.approx(FITS["hs_higher"]["omega"]["g"]["omega_h"], abs=TOL)
    assert res.omega.loc["g", "level"] == "higher"
    assert res.omega_h < res.omega.loc["g", "omega_total"]
    # first-order factors: all common variance goes through the factor
    first = res.omega[res.omega["level"] == "first"]
    np.testing.assert_allclose(first["omega_total"], first["omega_h"], atol=1e-12)


def test_omega_h_none_without_single_top_factor():
    assert _fit("hs_3factor").omega_h is None
    assert _fit("comp_higher").omega_h is None  # two correlated dimensions
    assert _fit("comp_higher").omega.loc["dim1", "omega_h"] == pytest.approx(
        FITS["comp_higher"]["omega"]["dim1"]["omega_h"], abs=TOL
    )


def test_higher_order_over_three_factors_is_equivalent_to_correlated_factors():
    a, b = _fit("hs_3factor"), _fit("hs_higher")
    assert a.chi2 == pytest.approx(b.chi2, abs=TOL) and a.df == b.df
    np.testing.assert_allclose(
        a.factor_correlations.to_numpy(),
        b.factor_correlations.loc[a.factor_correlations.index, a.factor_correlations.columns],
        atol=TOL,
    )


def test_reverse_keying_flips_signs_only():
    ref = FITS["bfi_2factor"]
    bfi = _data(ref["data"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CFAWarning)
        raw = cfa(bfi, ref["model"], scale=(1, 6))
    keyed = _fit("bfi_2factor")
    assert raw.chi2 == pytest.approx(keyed.chi2, abs=TOL)
    assert raw.cfi == pytest.approx(keyed.cfi, abs=TOL)
    a = raw.loadings.set_index("indicator")["std_estimate"]
    b = keyed.loadings.set_index("indicator")["std_estimate"]
    flipped = [c for c in a.index if np.sign(a[c]) != np.sign(b[c])]
    # A1 is the marker of 'agree': reversing it flips the other four instead
    assert sorted(flipped) == ["A2", "A3", "A4", "A5", "C4", "C5"]
    np.testing.assert_allclose(a.abs(), b.abs(), atol=TOL)
    assert keyed.reverse == ("A1", "C4", "C5")


def test_result_object():
    res = _fit("hs_higher")
    d = res.to_dict()
    json.dumps(d)
    assert d["syntax"].splitlines()[-1] == "g =~ visual + textual + speed"
    assert res.estimator_backend.startswith("semopy")
    assert list(res.factor_correlations.index) == ["visual", "textual", "speed", "g"]
    assert res.residual_variances.index.tolist() == [f"x{i}" for i in range(1, 10)]
    assert (res.residual_variances > 0).all()
    assert res.n_parameters == 45 - 24


def test_small_n_warns():
    hs = _data("rel_hs1939.csv").head(120)
    with pytest.warns(CFAWarning, match="small n=120"):
        res = cfa(hs, FITS["hs_3factor"]["model"])
    assert any("small" in w for w in res.warnings)


HS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]}


@pytest.mark.parametrize(
    "make,model,higher,kw,exc,match",
    [
        (lambda d: d.to_numpy(), HS, None, {}, TypeError, "pandas DataFrame"),
        (lambda d: d, {}, None, {}, ValueError, "non-empty dict"),
        (lambda d: d, {"v": ["x1", "zz"]}, None, {}, ValueError, r"not in items: \['zz'\]"),
        (lambda d: d, {"v": ["x1"]}, None, {}, ValueError, "at least 2"),
        (lambda d: d, {"x1": ["x2", "x3", "x4"]}, None, {}, ValueError, "also item columns"),
        (lambda d: d, HS, {"g": ["visual", "nope"]}, {}, ValueError, r"unknown factor\(s\) \['nope'\]"),
        (lambda d: d, HS, {"g": ["visual"]}, {}, ValueError, "at least 2"),
        (lambda d: d, HS, None, {"reverse": ["x1"]}, ValueError, "needs the declared scale"),
        (lambda d: d, HS, None, {"reverse": ["x99"], "scale": (0, 10)}, ValueError, r"\['x99'\]"),
        (lambda d: d, HS, None, {"scale": (1, 5)}, ValueError, r"outside scale"),
        (lambda d: d.assign(x1=d["x1"].astype(str)), HS, None, {}, TypeError, r"\['x1'\]"),
        (lambda d: d.assign(x2=3.0), HS, None, {}, ValueError, r"\['x2'\] have zero variance"),
        (lambda d: d.assign(x2=np.nan), HS, None, {}, ValueError, r"\['x2'\] are entirely missing"),
        (lambda d: d.head(5), HS, None, {}, ValueError, "n=5 complete rows"),
        (lambda d: d, {"v": ["x1", "x2"]}, None, {}, ValueError, r"df = -1 < 0"),
        (lambda d: d, HS, None, {"missing": "fiml"}, ValueError, "missing must be 'listwise'"),
    ],
)
def test_errors_are_clear(make, model, higher, kw, exc, match):
    with pytest.raises(exc, match=match):
        cfa(make(_data("rel_hs1939.csv")), model, higher, **kw)
