"""Tests of ccstudy.stats.reliability against R psych / lavaan reference values.

References were produced once with ``tests/reference/r/reliability_reference.R``
(R 4.2.2 Patched (2022-11-10 r83330), psych 2.2.9, lavaan 0.6.14) and stored
in ``tests/reference/rel_reference.json``; the input data are in
``tests/reference/data/rel_*.csv``.  R is not needed to run these tests.

The R calls, for each case (``x`` = the item columns; listwise cases use
``na.omit(x)``)::

    a  <- psych::alpha(x, keys = reverse, use = "pairwise")
    a$total$raw_alpha; a$total$std.alpha; a$total[["G6(smc)"]]; a$total$average_r
    a$item.stats[, c("n", "r.drop", "mean", "sd")]; a$alpha.drop[, c("raw_alpha", "std.alpha")]
    a$feldt                                   # Feldt CI with n = nrow(x)
    pc <- crossprod(!is.na(as.matrix(x))); n_eff <- min(pc[upper.tri(pc)])
    psych::alpha.ci(a$total$raw_alpha, n_eff, ncol(x))          # Feldt CI, effective n
    k <- ifelse(names(x) %in% reverse, -1, 1)
    R <- cov2cor(diag(k) %*% cov(x, use = "pairwise") %*% diag(k))
    psych::omega(R, nfactors = 1, fm = "ml", flip = FALSE)$omega.tot
    # lavaan cross-check (complete data):
    fit <- lavaan::cfa("f =~ x1 + ... + x9", data = hs, estimator = "ML", std.lv = TRUE)
    lam <- standardizedSolution(fit)$est.std[op == "=~"]; 1 - sum(1 - lam^2) / sum(cor(hs))

Printed values (R, ``options(digits = 15)``, excerpt)::

    case                 raw_alpha    std.alpha    G6(smc)      average_r    omega_t      n_eff
    bfi_agree_pairwise   0.7030184461 0.7130285787 0.6827626720 0.3319676571 0.7233528908 2751
    bfi_agree_listwise   0.7037558944 0.7135015526 0.6831703164 0.3324807165 0.7237004416 2709
    bfi_agree_unkeyed    0.4314561053 0.4598190919 0.5331690478 0.1454790565 0.5928996305 2751
    bfi_consc_pairwise   0.7267349729 0.7300725844 0.6942276116 0.3510454356 0.7311133462 2753
    bfi_consc_listwise   0.7292772032 0.7327243333 0.6966552648 0.3541266198 0.7337751689 2707
    hs_visual            0.6261171319 0.6271838544 0.5351505349 0.3592874958 0.6350718482 301
    hs_textual           0.8827069129 0.8848435201 0.8370275429 0.7192019828 0.8849615229 301
    hs_speed             0.6884550230 0.6896036134 0.6046012678 0.4254730307 0.6983746305 301
    hs_total             0.7604885958 0.7604022190 0.8084867408 0.2606990013 0.7690189488 301
    synth_pairwise       0.8210824897 0.8213251320 0.7998463003 0.4337890900 0.8244965524 203
    synth_listwise       0.8300611327 0.8298121031 0.8096973615 0.4483194129 0.8335748609 163

    bfi_agree_pairwise  (A1 reversed)
           n       r.drop        mean          sd   raw_alpha(drop)  std.alpha(drop)
    A1- 2784 0.3084177395 4.586566092 1.407737151   0.7185173570     0.7255091486
    A2  2773 0.5636151638 4.802380094 1.172019922   0.6171800370     0.6255798818
    A3  2774 0.5870045895 4.603821197 1.301833639   0.6002595788     0.6129446570
    A4  2781 0.3944440866 4.699748292 1.479632686   0.6858056523     0.6935413428
    A5  2784 0.4885651358 4.560344828 1.258512098   0.6429529601     0.6555301885
      Feldt (psych, n = nrow = 2800): [0.6852643259, 0.7200633899]
      Feldt (n_eff = 2751):           [0.6851036114, 0.7202114663]
    synth_pairwise: Feldt (psych, n = 240): [0.7835911624, 0.8539990115];
                    Feldt (n_eff = 203):    [0.7800703171, 0.8566807585]
    lavaan one-factor hs_total   omega_t=0.7690189784
    lavaan one-factor hs_textual omega_t=0.8849615333

Tolerances: 1e-6 for closed-form quantities, 1e-3 for the iterative omega.
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ccstudy import stats
from ccstudy.stats.reliability import (
    ReliabilityResult,
    ReliabilityWarning,
    feldt_ci,
    reliability,
    reliability_scales,
    reliability_table,
)

REF_DIR = Path(__file__).resolve().parents[1] / "reference"
REF = json.loads((REF_DIR / "rel_reference.json").read_text())
CASES = {c["id"]: c for c in REF["cases"]}
CLOSED = 1e-6
ITERATIVE = 1e-3


def _data(case: dict) -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "data" / case["data"])[case["items"]]


def _run(case: dict, **kw) -> ReliabilityResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReliabilityWarning)
        return reliability(
            _data(case),
            reverse=case["reverse"],
            scale=tuple(case["scale"]),
            missing=case["missing"],
            **kw,
        )


def test_reference_metadata():
    assert REF["meta"]["psych"] == "2.2.9"
    assert REF["meta"]["lavaan"] == "0.6.14"
    assert REF["meta"]["R"].startswith("R version 4.2.2")
    # at least three data sets, one with missing data, one with reverse keys
    assert {c["data"] for c in REF["cases"]} == {
        "rel_bfi.csv",
        "rel_hs1939.csv",
        "rel_synth_likert.csv",
    }


def test_public_export():
    assert stats.reliability is reliability


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_scale_statistics_match_psych(case_id):
    case = CASES[case_id]
    rel = _run(case)
    assert rel.alpha == pytest.approx(case["raw_alpha"], abs=CLOSED)
    assert rel.std_alpha == pytest.approx(case["std_alpha"], abs=CLOSED)
    assert rel.average_r == pytest.approx(case["average_r"], abs=CLOSED)
    assert rel.lambda6 == pytest.approx(case["G6"], abs=CLOSED)
    assert rel.n == case["n_eff"]
    assert rel.n_pairwise_harmonic == pytest.approx(case["n_harmonic"], rel=1e-12)
    assert rel.k == len(case["items"])
    assert rel.method == case["missing"]


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_item_table_matches_psych(case_id):
    case = CASES[case_id]
    items = _run(case).items
    assert list(items.index) == case["items"]
    np.testing.assert_array_equal(items["n"].to_numpy(), case["item_n"])
    np.testing.assert_allclose(items["mean"], case["item_mean"], atol=CLOSED, rtol=0)
    np.testing.assert_allclose(items["sd"], case["item_sd"], atol=CLOSED, rtol=0)
    np.testing.assert_allclose(items["item_rest_r"], case["r_drop"], atol=CLOSED, rtol=0)
    np.testing.assert_allclose(items["alpha_if_deleted"], case["alpha_drop"], atol=CLOSED, rtol=0)
    np.testing.assert_allclose(
        items["std_alpha_if_deleted"], case["std_alpha_drop"], atol=CLOSED, rtol=0
    )
    assert items["reversed"].tolist() == [c in case["reverse"] for c in case["items"]]


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_feldt_ci_matches_psych_alpha_ci_on_effective_n(case_id):
    case = CASES[case_id]
    rel = _run(case)
    assert rel.alpha_ci_low == pytest.approx(case["feldt_neff"]["lower"], abs=CLOSED)
    assert rel.alpha_ci_high == pytest.approx(case["feldt_neff"]["upper"], abs=CLOSED)
    rel90 = _run(case, confidence=0.90)
    assert rel90.alpha_ci_low == pytest.approx(case["feldt_neff_90"]["lower"], abs=CLOSED)
    assert rel90.alpha_ci_high == pytest.approx(case["feldt_neff_90"]["upper"], abs=CLOSED)
    assert rel90.alpha == rel.alpha


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_feldt_equals_psych_feldt_when_no_value_is_missing(case_id):
    """psych's ``$feldt`` uses nrow(x); identical to ours when n_eff == nrow."""
    case = CASES[case_id]
    psych_ci = case["feldt_psych"]
    low, high = feldt_ci(case["raw_alpha"], psych_ci["n"], len(case["items"]))
    assert low == pytest.approx(psych_ci["lower"], abs=CLOSED)
    assert high == pytest.approx(psych_ci["upper"], abs=CLOSED)
    if psych_ci["n"] == case["n_eff"]:
        rel = _run(case)
        assert rel.alpha_ci_low == pytest.approx(psych_ci["lower"], abs=CLOSED)
        assert rel.alpha_ci_high == pytest.approx(psych_ci["upper"], abs=CLOSED)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_omega_total_matches_psych_omega(case_id):
    case = CASES[case_id]
    assert _run(case).omega_total == pytest.approx(case["omega_total"], abs=ITERATIVE)


@pytest.mark.parametrize("lav", REF["lavaan_omega"], ids=lambda c: c["id"])
def test_omega_total_matches_lavaan_one_factor(lav):
    df = pd.read_csv(REF_DIR / "data" / lav["data"])[lav["items"]]
    rel = reliability(df, scale=(0, 10))
    assert rel.omega_total == pytest.approx(lav["omega_total"], abs=ITERATIVE)


def test_omega_does_not_flip_items_like_psych_default():
    """psych::omega(flip = TRUE) silently reverses A1; we score as declared."""
    case = CASES["bfi_agree_unkeyed"]
    rel = _run(case)
    assert rel.omega_total == pytest.approx(case["omega_total"], abs=ITERATIVE)
    assert abs(rel.omega_total - case["omega_total_flip"]) > 0.1
    keyed = _run(CASES["bfi_agree_pairwise"])
    assert keyed.omega_total == pytest.approx(case["omega_total_flip"], abs=ITERATIVE)


def test_pairwise_bfi_provenance():
    case = CASES["bfi_agree_pairwise"]
    rel = _run(case)
    assert rel.n_rows == 2800
    assert rel.n == 2751 < rel.n_rows
    assert rel.n_dropped == int(_data(case).isna().all(axis=1).sum())
    assert "pairwise" in rel.dropped_reason
    assert rel.reverse == ("A1",)
    assert rel.scale == (1.0, 6.0)


def test_listwise_bfi_provenance():
    case = CASES["bfi_agree_listwise"]
    rel = _run(case)
    assert rel.n_rows == 2800
    assert rel.n == 2709
    assert rel.n_dropped == 2800 - 2709
    assert "listwise" in rel.dropped_reason
    assert (rel.items["n"] == 2709).all()


def test_miskeyed_item_warns_and_names_it():
    case = CASES["bfi_agree_unkeyed"]
    with pytest.warns(ReliabilityWarning, match=r"\['A1'\].*negatively"):
        rel = reliability(_data(case), scale=(1, 6))
    assert any("A1" in w and "miskeyed" in w for w in rel.warnings)
    assert rel.items.loc["A1", "item_rest_r"] < 0


def test_well_keyed_scale_has_no_warning():
    case = CASES["bfi_agree_pairwise"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rel = reliability(_data(case), reverse=["A1"], scale=(1, 6))
    assert rel.warnings == ()


# ---------------------------------------------------------------------------
# closed-form case: k parallel items
# ---------------------------------------------------------------------------


def _exact_cov_sample(cov: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Rows whose sample covariance (ddof=1) equals ``cov`` exactly."""
    rng = np.random.default_rng(seed)
    k = cov.shape[0]
    z = rng.standard_normal((n, k))
    z -= z.mean(axis=0)
    white = np.linalg.cholesky(np.cov(z, rowvar=False))
    z = z @ np.linalg.inv(white).T
    return z @ np.linalg.cholesky(cov).T + 50.0


@pytest.mark.parametrize("k,rho,sigma", [(3, 0.3, 1.0), (5, 0.5, 2.0), (11, 0.2, 0.7), (33, 0.45, 1.3)])
def test_parallel_items_closed_form(k, rho, sigma):
    cov = sigma**2 * ((1 - rho) * np.eye(k) + rho * np.ones((k, k)))
    df = pd.DataFrame(_exact_cov_sample(cov, 400, seed=k), columns=[f"i{j}" for j in range(k)])
    rel = reliability(df, scale=(0, 100))
    sb = k * rho / (1 + (k - 1) * rho)  # Spearman-Brown = alpha for parallel items
    assert rel.alpha == pytest.approx(sb, abs=1e-10)
    assert rel.std_alpha == pytest.approx(sb, abs=1e-10)
    assert rel.average_r == pytest.approx(rho, abs=1e-10)
    # smc of compound symmetry: 1 - (1 - rho)(1 + (k-1) rho) / (1 + (k-2) rho)
    smc = 1 - (1 - rho) * (1 + (k - 1) * rho) / (1 + (k - 2) * rho)
    assert rel.lambda6 == pytest.approx(1 - k * (1 - smc) / (k + k * (k - 1) * rho), abs=1e-10)
    assert rel.omega_total == pytest.approx(sb, abs=1e-6)  # exact one-factor fit
    drop = (k - 1) * rho / (1 + (k - 2) * rho)
    np.testing.assert_allclose(rel.items["alpha_if_deleted"], drop, atol=1e-10)
    rest = math.sqrt(k - 1) * rho / math.sqrt(1 + (k - 2) * rho)
    np.testing.assert_allclose(rel.items["item_rest_r"], rest, atol=1e-10)
    np.testing.assert_allclose(rel.items["sd"], sigma, atol=1e-10)


def test_feldt_closed_form_against_f_quantiles():
    from scipy.stats import f

    low, high = feldt_ci(0.8, 100, 6, confidence=0.95)
    assert low == pytest.approx(1 - 0.2 * f.ppf(0.975, 99, 495), abs=1e-12)
    assert high == pytest.approx(1 - 0.2 * f.ppf(0.025, 99, 495), abs=1e-12)
    assert low < 0.8 < high
    assert all(math.isnan(v) for v in feldt_ci(0.8, 1, 6))


# ---------------------------------------------------------------------------
# pingouin cross-check
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
def test_raw_alpha_matches_pingouin(missing):
    import pingouin as pg

    case = CASES["synth_pairwise"]
    df = _data(case).copy()
    for c in case["reverse"]:
        df[c] = 6 - df[c]
    pg_alpha, pg_ci = pg.cronbach_alpha(df, nan_policy=missing)
    rel = reliability(df, scale=(1, 5), missing=missing)
    assert rel.alpha == pytest.approx(pg_alpha, abs=1e-12)


def test_feldt_matches_pingouin_on_complete_data():
    """pingouin's F interval uses nrow(data) (like psych) and rounds to 3 dp."""
    import pingouin as pg

    df = _data(CASES["hs_total"])
    pg_alpha, pg_ci = pg.cronbach_alpha(df)
    rel = reliability(df, scale=(0, 10))
    assert rel.alpha == pytest.approx(pg_alpha, abs=1e-12)
    assert rel.alpha_ci_low == pytest.approx(pg_ci[0], abs=5e-4 + 1e-12)
    assert rel.alpha_ci_high == pytest.approx(pg_ci[1], abs=5e-4 + 1e-12)


# ---------------------------------------------------------------------------
# reverse keying and missing data
# ---------------------------------------------------------------------------


def test_reverse_uses_declared_scale_not_observed_range():
    df = pd.DataFrame({"a": [2, 3, 4, 3, 2, 4], "b": [2, 3, 4, 4, 2, 3], "c": [4, 3, 2, 3, 4, 2]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReliabilityWarning)
        rel = reliability(df, reverse=["c"], scale=(1, 5))
    # observed range of c is 2..4 but the declared scale is 1..5: c' = 6 - c
    assert rel.items.loc["c", "mean"] == pytest.approx(6 - df["c"].mean(), abs=1e-12)
    assert rel.items.loc["c", "reversed"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReliabilityWarning)
        rel7 = reliability(df, reverse=["c"], scale=(1, 7))
    assert rel7.items.loc["c", "mean"] == pytest.approx(8 - df["c"].mean(), abs=1e-12)
    assert rel7.alpha == pytest.approx(rel.alpha, abs=1e-12)


def test_reverse_string_is_one_name():
    case = CASES["bfi_agree_pairwise"]
    a = reliability(_data(case), reverse="A1", scale=(1, 6))
    b = reliability(_data(case), reverse=["A1"], scale=(1, 6))
    assert a.alpha == b.alpha and a.reverse == ("A1",)


@pytest.mark.filterwarnings("ignore::ccstudy.stats.reliability.ReliabilityWarning")
def test_pairwise_cov_equals_pandas_pairwise_cov():
    df = _data(CASES["synth_pairwise"])
    rel = reliability(df, scale=(1, 5))
    c = df.cov()  # pandas: pairwise complete observations, like R use="pairwise"
    k = c.shape[0]
    alpha = k / (k - 1) * (1 - np.trace(c) / c.to_numpy().sum())
    assert rel.alpha == pytest.approx(alpha, abs=1e-12)


@pytest.mark.filterwarnings("ignore::ccstudy.stats.reliability.ReliabilityWarning")
def test_listwise_equals_pairwise_on_dropna():
    df = _data(CASES["synth_pairwise"])
    lw = reliability(df, scale=(1, 5), missing="listwise")
    pw = reliability(df.dropna(), scale=(1, 5), missing="pairwise")
    for f in ("alpha", "std_alpha", "average_r", "lambda6", "alpha_ci_low", "alpha_ci_high", "n"):
        assert getattr(lw, f) == pytest.approx(getattr(pw, f), abs=1e-12)
    pd.testing.assert_frame_equal(lw.items, pw.items, atol=1e-12, rtol=0)


def test_all_missing_rows_counted_as_dropped_pairwise():
    df = pd.DataFrame(
        {"a": [1, 2, 3, 4, 5, np.nan, 2], "b": [1, 3, 3, 4, 4, np.nan, 2], "c": [2, 2, 3, 5, 5, np.nan, np.nan]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReliabilityWarning)
        pw = reliability(df)
        lw = reliability(df, missing="listwise")
    assert (pw.n_rows, pw.n_dropped, pw.n) == (7, 1, 5)
    assert (lw.n_rows, lw.n_dropped, lw.n) == (7, 2, 5)
    assert pw.items["n"].tolist() == [6, 6, 5]


def test_nullable_integer_columns_are_accepted():
    case = CASES["synth_pairwise"]
    df = _data(case).astype("Int64")
    rel = reliability(df, reverse=case["reverse"], scale=(1, 5))
    assert rel.alpha == pytest.approx(case["raw_alpha"], abs=CLOSED)


# ---------------------------------------------------------------------------
# bootstrap
# ---------------------------------------------------------------------------


def test_bootstrap_is_seeded_and_brackets_alpha():
    case = CASES["synth_pairwise"]
    a = _run(case, n_boot=300, seed=7)
    b = _run(case, n_boot=300, seed=7)
    c = _run(case, n_boot=300, seed=8)
    assert (a.alpha_boot_ci_low, a.alpha_boot_ci_high) == (b.alpha_boot_ci_low, b.alpha_boot_ci_high)
    assert (a.alpha_boot_ci_low, a.alpha_boot_ci_high) != (c.alpha_boot_ci_low, c.alpha_boot_ci_high)
    assert a.alpha_boot_ci_low < a.alpha < a.alpha_boot_ci_high
    # close to the Feldt interval for this well-behaved scale
    assert a.alpha_boot_ci_low == pytest.approx(a.alpha_ci_low, abs=0.03)
    assert a.alpha_boot_ci_high == pytest.approx(a.alpha_ci_high, abs=0.03)
    assert a.n_boot == 300 and a.seed == 7 and a.n_boot_failed == 0


def test_no_bootstrap_by_default():
    rel = _run(CASES["hs_visual"])
    assert rel.alpha_boot_ci_low is None and rel.alpha_boot_ci_high is None
    assert rel.n_boot == 0


# ---------------------------------------------------------------------------
# warnings
# ---------------------------------------------------------------------------


def test_two_items_warns_and_leaves_drop_stats_undefined():
    df = _data(CASES["hs_visual"])[["x1", "x3"]]
    with pytest.warns(ReliabilityWarning, match="k=2"):
        rel = reliability(df, scale=(0, 10))
    r = df.corr().iloc[0, 1]
    assert rel.std_alpha == pytest.approx(2 * r / (1 + r), abs=1e-12)
    assert rel.items["alpha_if_deleted"].isna().all()
    assert math.isnan(rel.omega_total)
    np.testing.assert_allclose(rel.items["item_rest_r"], r, atol=1e-12)


def test_small_n_warns():
    df = _data(CASES["hs_textual"]).head(20)
    with pytest.warns(ReliabilityWarning, match="small effective n=20"):
        rel = reliability(df, scale=(0, 10))
    assert any("small" in w for w in rel.warnings)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------

GOOD = pd.DataFrame({"a": [1, 2, 3, 4, 5] * 8, "b": [2, 2, 3, 5, 4] * 8, "c": [1, 3, 3, 4, 5] * 8})


@pytest.mark.parametrize(
    "make,kw,exc,match",
    [
        (lambda: GOOD[["a"]], {}, ValueError, "at least 2 columns"),
        (lambda: GOOD.assign(d="x"), {}, TypeError, r"non-numeric column\(s\) \['d'\]"),
        (lambda: GOOD.assign(d=True), {}, TypeError, r"\['d'\]"),
        (lambda: GOOD.assign(d=3), {}, ValueError, r"\['d'\] have zero variance"),
        (lambda: GOOD.assign(d=np.nan), {}, ValueError, r"\['d'\] are entirely missing"),
        (lambda: GOOD.assign(d=[0, 1, 2, 3, 9] * 8), {}, ValueError, r"'d': 16 value\(s\)"),
        (lambda: GOOD, {"scale": (5, 1)}, ValueError, r"scale must be \(low, high\)"),
        (lambda: GOOD, {"scale": 5}, ValueError, "scale must be a pair"),
        (lambda: GOOD, {"reverse": ["zz", "a"]}, ValueError, r"reverse .* \['zz'\]"),
        (lambda: GOOD, {"missing": "mean"}, ValueError, "missing must be"),
        (lambda: GOOD, {"confidence": 95}, ValueError, "confidence"),
        (lambda: GOOD, {"n_boot": -1}, ValueError, "n_boot"),
        (lambda: GOOD.to_numpy(), {}, TypeError, "pandas DataFrame"),
        (lambda: GOOD.head(0), {}, ValueError, "no rows"),
        (
            lambda: GOOD.assign(a=[1.0] + [np.nan] * 39, b=[np.nan] + [2.0, 3.0] * 19 + [4.0]),
            {},
            ValueError,
            "zero variance",
        ),
        (
            lambda: pd.DataFrame({"a": [1, 2, np.nan, np.nan], "b": [np.nan, np.nan, 3, 4]}),
            {},
            ValueError,
            "fewer than 2 respondents in common",
        ),
        (
            lambda: pd.DataFrame({"a": [1, 2, np.nan], "b": [np.nan, 2, 3]}),
            {"missing": "listwise"},
            ValueError,
            "1 complete row",
        ),
    ],
)
def test_errors_are_clear(make, kw, exc, match):
    with pytest.raises(exc, match=match):
        reliability(make(), **kw)


def test_constant_after_listwise_is_an_error():
    df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 2, np.nan], "c": [1, 3, 2, 4]})
    with pytest.raises(ValueError, match=r"\['b'\].*complete rows"):
        reliability(df, missing="listwise")


# ---------------------------------------------------------------------------
# result object
# ---------------------------------------------------------------------------


def test_result_is_frozen_and_serialisable():
    rel = _run(CASES["bfi_agree_pairwise"], n_boot=20, seed=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rel.alpha = 0.0  # type: ignore[misc]
    d = rel.to_dict()
    json.dumps(d)
    assert d["alpha"] == rel.alpha
    assert d["items"][0]["item"] == "A1"
    assert set(d["items"][0]) >= {"mean", "sd", "n", "item_rest_r", "alpha_if_deleted"}
    assert "alpha" in rel.summary()


# ---------------------------------------------------------------------------
# reliability_table / reliability_scales
# ---------------------------------------------------------------------------

HS_SCALES = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


def test_table_matches_psych_for_each_scale():
    hs = pd.read_csv(REF_DIR / "data" / "rel_hs1939.csv")
    table = reliability_table(hs, HS_SCALES, scale=(0, 10))
    assert list(table.index) == ["visual", "textual", "speed", "total"]
    for name in table.index:
        case = CASES[f"hs_{name}"]
        row = table.loc[name]
        assert row["alpha"] == pytest.approx(case["raw_alpha"], abs=CLOSED)
        assert row["std_alpha"] == pytest.approx(case["std_alpha"], abs=CLOSED)
        assert row["lambda6"] == pytest.approx(case["G6"], abs=CLOSED)
        assert row["average_r"] == pytest.approx(case["average_r"], abs=CLOSED)
        assert row["alpha_ci_low"] == pytest.approx(case["feldt_neff"]["lower"], abs=CLOSED)
        assert row["omega_total"] == pytest.approx(case["omega_total"], abs=ITERATIVE)
        assert row["min_item_rest_r"] == pytest.approx(min(case["r_drop"]), abs=CLOSED)
        assert row["n"] == 301 and row["k"] == len(case["items"])


@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_scales_equal_single_calls_with_missing_data(missing):
    bfi = pd.read_csv(REF_DIR / "data" / "rel_bfi.csv")
    scales = {"agree": [f"A{i}" for i in range(1, 6)], "consc": [f"C{i}" for i in range(1, 6)]}
    rev = ["A1", "C4", "C5"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReliabilityWarning)
        many = reliability_scales(bfi, scales, reverse=rev, scale=(1, 6), missing=missing)
        for name, cols in list(scales.items()) + [("total", list(bfi.columns))]:
            one = reliability(
                bfi[cols], reverse=[r for r in rev if r in cols], scale=(1, 6), missing=missing
            )
            got = many[name]
            for f in ("alpha", "std_alpha", "lambda6", "omega_total", "alpha_ci_low", "alpha_ci_high"):
                assert getattr(got, f) == pytest.approx(getattr(one, f), abs=1e-12), (name, f)
            assert (got.n, got.n_rows, got.n_dropped) == (one.n, one.n_rows, one.n_dropped)
            pd.testing.assert_frame_equal(got.items, one.items, atol=1e-12, rtol=0)
    ref = CASES[f"agree_{missing}".replace("agree", "bfi_agree")]
    assert many["agree"].alpha == pytest.approx(ref["raw_alpha"], abs=CLOSED)


def test_table_total_option_and_errors():
    hs = pd.read_csv(REF_DIR / "data" / "rel_hs1939.csv")
    t = reliability_table(hs, HS_SCALES, scale=(0, 10), total=None)
    assert list(t.index) == ["visual", "textual", "speed"]
    t = reliability_table(hs, HS_SCALES, scale=(0, 10), total="all9")
    assert t.loc["all9", "k"] == 9
    with pytest.raises(ValueError, match=r"scales\['v'\] names column\(s\) not in items: \['q1'\]"):
        reliability_table(hs, {"v": ["x1", "q1"]}, scale=(0, 10))
    with pytest.raises(ValueError, match="at least 2 items"):
        reliability_table(hs, {"v": ["x1"]}, scale=(0, 10))
    with pytest.raises(ValueError, match="non-empty"):
        reliability_table(hs, {}, scale=(0, 10))
    with pytest.raises(ValueError, match=r"reverse .*\['x99'\]"):
        reliability_table(hs, HS_SCALES, scale=(0, 10), reverse=["x99"])


def test_table_warning_names_the_scale():
    bfi = pd.read_csv(REF_DIR / "data" / "rel_bfi.csv")
    with pytest.warns(ReliabilityWarning, match=r"scale 'agree': item\(s\) \['A1'\]"):
        t = reliability_table(bfi, {"agree": [f"A{i}" for i in range(1, 6)]}, scale=(1, 6), total=None)
    assert "A1" in t.loc["agree", "warnings"][0]


# ---------------------------------------------------------------------------
# item correlations and data handling
# ---------------------------------------------------------------------------


def test_item_correlations_complete_data_equal_numpy():
    from ccstudy.stats.reliability import item_correlations

    hs = _data(CASES["hs_total"])
    r = item_correlations(hs, scale=(0, 10))
    np.testing.assert_allclose(r.to_numpy(), np.corrcoef(hs.to_numpy(), rowvar=False), atol=1e-12)
    assert list(r.index) == list(hs.columns) == list(r.columns)


def test_item_correlations_pairwise_are_psych_cov2cor_and_keyed():
    from ccstudy.stats.reliability import item_correlations

    case = CASES["bfi_agree_pairwise"]
    df = _data(case)
    r = item_correlations(df, reverse=["A1"], scale=(1, 6))
    c = df.cov().to_numpy()  # pairwise covariances (R: cov(x, use = "pairwise"))
    sd = np.sqrt(np.diag(c))
    expected = c / np.outer(sd, sd)
    expected[0, 1:] *= -1
    expected[1:, 0] *= -1
    np.testing.assert_allclose(r.to_numpy(), expected, atol=1e-12)
    # psych's standardized alpha is computed from exactly this matrix
    k, total = r.shape[0], r.to_numpy().sum()
    assert k / (k - 1) * (1 - k / total) == pytest.approx(case["std_alpha"], abs=CLOSED)


@pytest.mark.filterwarnings("ignore::ccstudy.stats.reliability.ReliabilityWarning")
def test_float_frame_is_not_modified_and_may_be_read_only():
    hs = _data(CASES["hs_visual"]).astype(float)
    before = hs.copy()
    arr = hs.to_numpy()
    arr.setflags(write=False)
    ro = pd.DataFrame(arr, columns=hs.columns, copy=False)
    rel = reliability(ro, reverse=["x2"], scale=(0, 10))
    pd.testing.assert_frame_equal(hs, before)
    assert rel.items.loc["x2", "mean"] == pytest.approx(10 - hs["x2"].mean(), abs=1e-12)


def test_large_offsets_do_not_lose_precision():
    """Uncentred cross-products fall back to explicit centring when means dominate."""
    hs = _data(CASES["hs_total"])
    shifted = hs + 1e6
    a = reliability(hs, scale=(0, 10))
    b = reliability(shifted, scale=(1e6, 1e6 + 10))
    assert b.alpha == pytest.approx(a.alpha, abs=1e-9)
    np.testing.assert_allclose(b.items["item_rest_r"], a.items["item_rest_r"], atol=1e-9)


@pytest.mark.parametrize("reverse", [[], ["x2", "x7"]])
def test_alpha_only_table_equals_full_table(reverse):
    hs = _data(CASES["hs_total"])
    scales = {**HS_SCALES, "mixed": ["x1", "x5", "x9"]}
    fast = reliability_table(hs, scales, statistics="alpha", scale=(0, 10), reverse=reverse)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReliabilityWarning)
        full = reliability_table(hs, scales, scale=(0, 10), reverse=reverse)
    assert list(fast.columns) == ["k", "n", "n_rows", "n_dropped", "alpha", "alpha_ci_low", "alpha_ci_high", "method", "warnings"]
    assert list(fast.index) == list(full.index)
    for c in ("alpha", "alpha_ci_low", "alpha_ci_high"):
        np.testing.assert_allclose(fast[c], full[c], atol=1e-12, rtol=0)
    assert (fast["n"] == 301).all()
    if not reverse:
        assert fast.loc["total", "alpha"] == pytest.approx(CASES["hs_total"]["raw_alpha"], abs=CLOSED)


def test_alpha_only_table_with_missing_values_falls_back():
    bfi = pd.read_csv(REF_DIR / "data" / "rel_bfi.csv")
    scales = {"agree": [f"A{i}" for i in range(1, 6)]}
    t = reliability_table(bfi, scales, statistics="alpha", reverse=["A1"], scale=(1, 6), total=None)
    assert t.loc["agree", "alpha"] == pytest.approx(CASES["bfi_agree_pairwise"]["raw_alpha"], abs=CLOSED)
    assert t.loc["agree", "n"] == CASES["bfi_agree_pairwise"]["n_eff"]
    assert "std_alpha" not in t.columns


def test_alpha_only_table_errors():
    hs = _data(CASES["hs_total"])
    with pytest.raises(ValueError, match=r"\['x1'\] have zero variance"):
        reliability_table(hs.assign(x1=2.0), HS_SCALES, statistics="alpha", scale=(0, 10))
    with pytest.raises(ValueError, match="statistics must be"):
        reliability_table(hs, HS_SCALES, statistics="omega", scale=(0, 10))


def test_table_bootstrap_equals_single_call():
    bfi = pd.read_csv(REF_DIR / "data" / "rel_bfi.csv")
    cols = [f"C{i}" for i in range(1, 6)]
    t = reliability_table(bfi, {"consc": cols}, total=None, reverse=["C4", "C5"], scale=(1, 6), n_boot=40, seed=11)
    one = reliability(bfi[cols], reverse=["C4", "C5"], scale=(1, 6), n_boot=40, seed=11)
    assert t.loc["consc", "alpha_boot_ci_low"] == one.alpha_boot_ci_low
    assert t.loc["consc", "alpha_boot_ci_high"] == one.alpha_boot_ci_high
    assert one.alpha_boot_ci_low < one.alpha < one.alpha_boot_ci_high
