"""Polychoric correlations and ordinal alpha/omega against R psych.

References come from ``tests/reference/r/polychoric.R`` run with R 4.2.2 Patched
(2022-11-10 r83330), psych 2.2.9, mnormt 2.1.1 (versions in the JSON), stored in
``tests/reference/poly_reference.json``.  Data: psych::bfi Agreeableness A1-A5
(A1 reverse-keyed) and Conscientiousness C1-C5 (C4, C5 reversed), 2800 people
with missing answers (``rel_bfi.csv``); a synthetic 5-point set with NAs
(``rel_synth_likert.csv``, s2 and s5 reversed) and the same set with unequal
highest categories (``poly_mixed_max.csv``: psych switches to global = FALSE,
pairwise thresholds and the 0.5 correction).  R calls::

    pc <- psych::polychoric(x)                     # $rho, $tau
    a  <- psych::alpha(pc$rho, keys = reverse)     # ordinal alpha = $total$raw_alpha
    psych::omega(keyed rho, nfactors = 1, fm = "ml", flip = FALSE)$omega.tot   # ordinal omega

Printed (bfi A, A1 reversed): ordinal alpha = 0.7589921786, omega_t = 0.7685687244,
G6 = 0.7356347521, average r = 0.3864460736, rho(A1, A2) = -0.4084637911;
(bfi C, C4 C5 reversed): 0.7674083518, 0.7685359627, 0.7371813433, 0.3975453962, 0.4831620553;
(synthetic): 0.8395259661, 0.8424715907, 0.8207655735, 0.4657899805, -0.5037452194;
(unequal maxima): 0.8276898214, 0.8307185992, 0.8071048382, 0.4446237943, -0.5033543293.

Tolerances: thresholds 1e-12 (closed form).  psych locates each rho with R's
``optimize`` at its default tolerance (~1e-4) on ``mnormt::sadmvn``
probabilities (~1e-6), so rho is checked at 1e-4 absolute (observed
differences up to 2e-5) and the statistics derived from it at 1e-4; a separate
test shows our rho maximises the same likelihood at least as well as psych's.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ccstudy import stats
from ccstudy.stats.polychoric import _cell_probabilities, bivariate_normal_cdf, polychoric

REF_DIR = Path(__file__).resolve().parents[1] / "reference"
REF = json.loads((REF_DIR / "poly_reference.json").read_text())
CASES = ["bfi_agree", "bfi_consc", "bfi_consc_listwise", "synth", "mixed_max"]


def _data(case: str) -> pd.DataFrame:
    ref = REF[case]
    d = pd.read_csv(REF_DIR / "data" / ref["data"])[ref["items"]]
    return d.dropna() if case.endswith("listwise") else d


def _scale(case: str) -> tuple[int, int]:
    return (1, 6) if case.startswith("bfi") else (1, 5)


@pytest.mark.parametrize("case", CASES)
def test_polychoric_matches_psych(case: str) -> None:
    ref = REF[case]
    pc = polychoric(_data(case))
    np.testing.assert_allclose(pc.rho.to_numpy(), np.array(ref["rho"]), atol=1e-4, rtol=0)
    assert pc.global_thresholds == (case != "mixed_max")
    if pc.global_thresholds:  # psych reports item thresholds only in the global mode
        np.testing.assert_allclose(pc.thresholds.to_numpy(), np.array(ref["tau"]), atol=1e-12, rtol=0)
    else:
        assert pc.corrected_pairs > 0
    assert np.allclose(pc.rho.to_numpy(), pc.rho.to_numpy().T) and np.all(np.diag(pc.rho) == 1.0)


@pytest.mark.parametrize("case", CASES)
def test_ordinal_alpha_and_omega_match_psych(case: str) -> None:
    ref = REF[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rel = stats.reliability(_data(case), reverse=ref["reverse"], scale=_scale(case), correlation="polychoric")
    assert rel.correlation == "polychoric"
    assert rel.alpha == pytest.approx(ref["ordinal_alpha"], abs=1e-4)
    assert rel.std_alpha == rel.alpha
    assert rel.omega_total == pytest.approx(ref["omega_total"], abs=1e-4)
    assert rel.lambda6 == pytest.approx(ref["lambda6"], abs=1e-4)
    assert rel.average_r == pytest.approx(ref["average_r"], abs=1e-4)
    np.testing.assert_allclose(rel.items["alpha_if_deleted"], ref["alpha_if_deleted"], atol=1e-4)
    np.testing.assert_allclose(rel.items["item_rest_r"], ref["item_rest_r"], atol=1e-4)


@pytest.mark.parametrize("case", ["bfi_agree", "synth"])
def test_our_rho_is_at_least_as_likely_as_psychs(case: str) -> None:
    """The two-step likelihood at our rho is >= at psych's (ours is located to 1e-10)."""
    d = _data(case)
    ref = np.array(REF[case]["rho"])
    pc = polychoric(d)
    tau = pc.thresholds.to_numpy()
    cols = list(d.columns)
    for i in range(len(cols)):
        for j in range(i):
            ok = d[cols[i]].notna() & d[cols[j]].notna()
            tab = pd.crosstab(d.loc[ok, cols[i]], d.loc[ok, cols[j]]).to_numpy(dtype=float)
            ti, tj = tau[i][np.isfinite(tau[i])], tau[j][np.isfinite(tau[j])]

            def ll(r: float) -> float:
                return float(np.sum(tab * np.log(_cell_probabilities(r, ti, tj))))

            assert ll(pc.rho.iloc[i, j]) >= ll(ref[i, j]) - 1e-9


def test_reliability_default_is_pearson_and_records_it() -> None:
    d = _data("bfi_agree")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pear = stats.reliability(d, reverse=["A1"], scale=(1, 6))
        ordn = stats.reliability(d, reverse=["A1"], scale=(1, 6), correlation="polychoric")
    assert pear.correlation == "pearson" and pear.to_dict()["correlation"] == "pearson"
    # ordinal alpha exceeds Pearson alpha on coarse, skewed items (Zumbo et al. 2007)
    assert ordn.alpha > pear.alpha
    # the item table keeps the observed means and SDs
    assert np.allclose(ordn.items["mean"], pear.items["mean"]) and np.allclose(ordn.items["sd"], pear.items["sd"])


def test_reliability_table_polychoric_equals_single_calls() -> None:
    d = pd.read_csv(REF_DIR / "data" / "rel_bfi.csv")
    scales = {"agree": [f"A{i}" for i in range(1, 6)], "consc": [f"C{i}" for i in range(1, 6)]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tab = stats.reliability_table(d, scales, reverse=["A1", "C4", "C5"], scale=(1, 6), correlation="polychoric")
        for name, cols in scales.items():
            rev = [c for c in ("A1", "C4", "C5") if c in cols]
            one = stats.reliability(d[cols], reverse=rev, scale=(1, 6), correlation="polychoric")
            assert tab.loc[name, "alpha"] == pytest.approx(one.alpha, abs=1e-12)
            assert tab.loc[name, "omega_total"] == pytest.approx(one.omega_total, abs=1e-12)
            assert tab.loc[name, "correlation"] == "polychoric"
        # a pair is estimated once for the total and the scale: same rho -> same alpha
        assert tab.loc["agree", "alpha"] == pytest.approx(REF["bfi_agree"]["ordinal_alpha"], abs=1e-4)
        fast = stats.reliability_table(d, scales, statistics="alpha", scale=(1, 6), reverse=["A1", "C4", "C5"],
                                       correlation="polychoric")
        assert fast.loc["consc", "alpha"] == pytest.approx(REF["bfi_consc"]["ordinal_alpha"], abs=1e-4)


def test_bivariate_normal_cdf_limits_and_symmetry() -> None:
    assert bivariate_normal_cdf(np.inf, 0.3, 0.5) == pytest.approx(0.617911422188953, abs=1e-15)  # pnorm(0.3)
    assert bivariate_normal_cdf(-np.inf, 0.3, 0.5) == 0.0
    assert bivariate_normal_cdf(0.0, 0.0, 0.5) == pytest.approx(1 / 4 + np.arcsin(0.5) / (2 * np.pi), abs=1e-15)
    assert bivariate_normal_cdf(0.0, 0.0, -0.95) == pytest.approx(1 / 4 + np.arcsin(-0.95) / (2 * np.pi), abs=1e-15)
    a, b = 0.4, -1.1
    assert bivariate_normal_cdf(a, b, 0.8) == pytest.approx(bivariate_normal_cdf(b, a, 0.8), abs=1e-15)


def test_errors() -> None:
    d = _data("synth")
    with pytest.raises(ValueError, match="non-integer"):
        polychoric(d.assign(s1=d["s1"] + 0.5))
    with pytest.raises(ValueError, match="categories"):
        polychoric(d.assign(s1=d["s1"] * 4))
    with pytest.raises(ValueError, match="at least 2 observed categories"):
        polychoric(d.assign(s1=3.0))
    with pytest.raises(TypeError, match="DataFrame"):
        polychoric(d.to_numpy())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="correlation must be 'pearson' or 'polychoric'"):
        stats.reliability(d, scale=(1, 5), correlation="spearman")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_boot=.* not available with correlation='polychoric'"):
        stats.reliability(d, scale=(1, 5), correlation="polychoric", n_boot=100)
