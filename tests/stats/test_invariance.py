"""Longitudinal measurement invariance against R lavaan.

References come from ``tests/reference/r/invariance.R`` run with R 4.2.2 Patched
(2022-11-10 r83330), lavaan 0.6.14, psychTools 2.2.9 (versions in the JSON), stored in
``tests/reference/invariance_reference.json``.  One ``cfa()`` per level holds both
waves: marker-variable identification, ``meanstructure = TRUE``, ML (normal
likelihood), the same item's residuals correlated across waves, equality labels on
the loadings (metric) and then also on the intercepts with the post latent means
freed (scalar), e.g. for one factor::

    democracy_pre  =~ 1*press_pre  + l_freedom*freedom_pre  + ...
    democracy_post =~ 1*press_post + l_freedom*freedom_post + ...
    democracy_post ~ 1
    press_pre ~~ press_post;  press_pre ~ i_press*1;  press_post ~ i_press*1;  ...
    fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"))

Data: lavaan::PoliticalDemocracy (the four democracy indicators of 75 countries in 1960
and 1965, ``inv_politicaldemocracy.csv``) and psychTools::sai (state anxiety, 1-4, the
1228 people with time 1 and time 2 answers; factors tension and calmness, four items
each; 1166 complete, ``inv_sai.csv``).  Printed by R::

    PoliticalDemocracy configural chi2=23.8410430556 df=15 cfi=0.9795871406 rmsea=0.0886493369 srmr=0.0358089746
                       metric     chi2=27.1351176294 df=18 cfi=0.9789081593 rmsea=0.0822602808 srmr=0.0572149786
                       scalar     chi2=33.1312514461 df=21 cfi=0.9719904621 rmsea=0.0877632148 srmr=0.0626107689
    sai (2 factors)    configural chi2=351.6627260005 df=90 cfi=0.9779763321 rmsea=0.0499344650 srmr=0.0335894489
                       metric     chi2=354.9170960564 df=96 cfi=0.9782074267 rmsea=0.0480945064 srmr=0.0340550530
                       scalar     chi2=389.8922882762 df=102 cfi=0.9757686383 rmsea=0.0492000625 srmr=0.0350380552

Tolerance 1e-5 relative on chi2 and 1e-6 absolute on the indices and latent means
(both sides are iterative optimisers; observed agreement ~1e-8), well inside the 1e-3
required of fits.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ccstudy import stats
from ccstudy.stats.invariance import InvarianceWarning, longitudinal_invariance

REF_DIR = Path(__file__).resolve().parents[1] / "reference"
REF = json.loads((REF_DIR / "invariance_reference.json").read_text())
DATA = {"politicaldemocracy": ("inv_politicaldemocracy.csv", "id"), "sai": ("inv_sai.csv", "person"),
        "sai_tension": ("inv_sai.csv", "person")}


def _waves(case: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    file, idcol = DATA[case]
    d = pd.read_csv(REF_DIR / "data" / file)
    pre = d[d["wave"] == "pre"].set_index(idcol).drop(columns="wave")
    post = d[d["wave"] == "post"].set_index(idcol).drop(columns="wave")
    return pre, post


@pytest.mark.parametrize("case", sorted(DATA))
def test_ladder_matches_lavaan(case: str) -> None:
    ref = REF[case]
    pre, post = _waves(case)
    inv = stats.longitudinal_invariance(pre, post, ref["factors"])
    assert inv.n == ref["configural"]["ntotal"]
    assert list(inv.fits.index) == ["configural", "metric", "scalar"]
    for level in inv.fits.index:
        row, r = inv.fits.loc[level], ref[level]
        assert row["df"] == r["df"] and row["n_parameters"] == r["npar"] and row["converged"]
        assert row["chi2"] == pytest.approx(r["chisq"], rel=1e-5)
        assert row["p"] == pytest.approx(r["pvalue"], abs=1e-6)
        for k in ("cfi", "tli", "rmsea", "srmr"):
            assert row[k] == pytest.approx(r[k], abs=1e-6), (level, k)
    for f, m in ref["scalar"]["latent_means"].items():
        assert inv.latent_mean_change[f] == pytest.approx(m, abs=1e-6)
    lav = pd.DataFrame(ref["loadings"])
    for _, lrow in lav.iterrows():
        item, wave = lrow["item"].rsplit("_", 1)
        assert inv.loadings.loc[item, wave] == pytest.approx(lrow["est"], abs=1e-5)
    d = inv.fits["cfi"].diff()
    assert np.allclose(inv.fits["delta_cfi"].iloc[1:], d.iloc[1:]) and np.isnan(inv.fits["delta_cfi"].iloc[0])


def test_decision_follows_chen_thresholds() -> None:
    pre, post = _waves("politicaldemocracy")
    inv = longitudinal_invariance(pre, post, REF["politicaldemocracy"]["factors"])
    # R: delta CFI metric -0.00068, scalar -0.00692; delta RMSEA -0.00639, +0.00550 -> scalar holds
    assert inv.holds == "scalar"
    strict = longitudinal_invariance(pre, post, REF["politicaldemocracy"]["factors"], delta_cfi=-0.005)
    assert strict.holds == "metric" and strict.delta_cfi == -0.005
    strict2 = longitudinal_invariance(pre, post, REF["politicaldemocracy"]["factors"], delta_rmsea=0.005)
    assert strict2.holds == "metric"
    assert set(inv.to_dict()) >= {"fits", "holds", "n", "latent_mean_change"}
    assert "holds" in inv.summary()


def _simulate(seed: int, shift: float, n: int = 500) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two factors x 3 items at two waves; invariant loadings; ``shift`` added to one post intercept."""
    rng = np.random.default_rng(seed)
    cov = np.array([[1.0, 0.4, 0.6, 0.25], [0.4, 1.0, 0.25, 0.6], [0.6, 0.25, 1.0, 0.4], [0.25, 0.6, 0.4, 1.0]])
    eta = rng.multivariate_normal([0.0, 0.0, 0.3, 0.2], cov, size=n)
    lam = np.array([1.0, 0.8, 0.9, 1.0, 0.7, 0.85])
    nu = np.array([3.0, 3.2, 2.9, 3.1, 3.3, 3.0])
    fac = np.array([0, 0, 0, 1, 1, 1])
    e_pre = rng.normal(0, 0.55, (n, 6))
    e_post = 0.3 * e_pre + rng.normal(0, 0.55 * np.sqrt(1 - 0.09), (n, 6))  # same-item residuals correlate
    pre = nu + lam * eta[:, fac] + e_pre
    post = nu + lam * eta[:, 2 + fac] + e_post
    post[:, 1] += shift  # item i1 drifts upward at post, independently of the latent mean
    cols = [f"i{j}" for j in range(6)]
    return pd.DataFrame(pre, columns=cols), pd.DataFrame(post, columns=cols)


FACTORS = {"A": ["i0", "i1", "i2"], "B": ["i3", "i4", "i5"]}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_property_shifted_intercept_rejects_scalar(seed: int) -> None:
    pre, post = _simulate(seed, shift=0.6)
    inv = longitudinal_invariance(pre, post, FACTORS)
    assert inv.holds == "metric"
    assert inv.fits.loc["scalar", "delta_cfi"] < -0.010 and inv.fits.loc["scalar", "p_diff"] < 1e-6


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_property_invariant_data_support_scalar(seed: int) -> None:
    pre, post = _simulate(seed, shift=0.0)
    inv = longitudinal_invariance(pre, post, FACTORS)
    assert inv.holds == "scalar"
    # the latent mean change of factor A is recovered (0.3 in the generator)
    assert abs(inv.latent_mean_change["A"] - 0.3) < 0.15


def test_listwise_deletion_and_alignment() -> None:
    pre, post = _simulate(7, 0.0, n=300)
    post = post.iloc[::-1]  # aligned on the index, not the order
    pre.iloc[0, 0] = np.nan
    post = post.drop(index=5)
    inv = longitudinal_invariance(pre, post, FACTORS)
    assert inv.n == 298 and inv.n_dropped == 2 and inv.n_rows == 300


def test_errors() -> None:
    pre, post = _simulate(1, 0.0, n=100)
    with pytest.raises(ValueError, match="more than one factor"):
        longitudinal_invariance(pre, post, {"A": ["i0", "i1"], "B": ["i1", "i2"]})
    with pytest.raises(ValueError, match="post_items lacks"):
        longitudinal_invariance(pre, post.drop(columns="i2"), FACTORS)
    with pytest.raises(ValueError, match="at least 2 items"):
        longitudinal_invariance(pre, post, {"A": ["i0"]})
    with pytest.raises(ValueError, match="estimator"):
        longitudinal_invariance(pre, post, FACTORS, estimator="WLSMV")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="delta_cfi"):
        longitudinal_invariance(pre, post, FACTORS, delta_cfi=0.01)
    with pytest.raises(ValueError, match="more complete people"):
        longitudinal_invariance(pre.iloc[:20], post, FACTORS)
    with pytest.raises(TypeError, match="DataFrame"):
        longitudinal_invariance(pre.to_numpy(), post, FACTORS)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="singular"):
        longitudinal_invariance(pre.assign(i5=pre["i4"]), post.assign(i5=post["i4"]), FACTORS)
    assert issubclass(InvarianceWarning, UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        longitudinal_invariance(pre, post, FACTORS)  # a clean fit raises no warning
