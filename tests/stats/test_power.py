"""Tests of ccstudy.stats.power.sensitivity against R (stored references, R not needed).

References: ``tests/reference/r/power.R`` run with R 4.2.2 Patched
(2022-11-10 r83330), base ``stats`` only (pwr is not installed; its
``pwr.r.test`` power function is written out in the script), values in
``tests/reference/power_reference.json``, grid in
``tests/reference/data/pow_grid.csv`` (n = 5, 12, 20, 40, 64, 150 x
alpha = .01, .05 x power = .8, .9).  R calls::

    power.t.test(n = n, sd = 1, sig.level = a, power = p, type = "paired", tol = 1e-12)$delta
    power.t.test(..., type = "two.sample", tol = 1e-12)$delta
    power.t.test(..., alternative = "one.sided"); power.t.test(..., strict = TRUE)
    tanh((qnorm(1 - a/2) + qnorm(p)) / sqrt(n - 3))          # Fisher z closed form (Lachin 1981)
    uniroot(function(r) cohen_power(r, n, a) - p, ...)        # pwr::pwr.r.test's power function
    uniroot on pt(qt(a/2, nu, lower = FALSE), nu, ncp = d sqrt(n1 n2/(n1+n2)), lower = FALSE)  # unequal n

Printed values: power.t.test(n = 20, power = .8, type = "paired")$delta =
0.660442409818537 with tol = 1e-12 and 0.660440908569987 with R's default
tol (accurate only to ~1e-5, hence the tightened tol); two.sample, n = 20 per
group: 0.909130127626943; correlation, n = 20: r = 0.591183983352678 (Fisher),
0.582150810451626 (Cohen/pwr).

Published check: Lachin (1981) gives n = 47 to detect r = 0.4 (alpha = .05
two-sided, power = .80) with the Fisher-z formula.

Tolerance 1e-6 (the solutions agree with the tightened R ones to ~1e-9).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pingouin as pg
import pytest

from ccstudy.stats.power import sensitivity

REF_DIR = Path(__file__).resolve().parents[1] / "reference"
REF = json.loads((REF_DIR / "power_reference.json").read_text())
GRID = pd.DataFrame(REF["grid"])
TOL = 1e-6

CASES = [
    ("paired", dict(design="paired")),
    ("paired_one_sided", dict(design="paired", alternative="one-sided")),
    ("paired_strict", dict(design="paired", strict=True)),
    ("two_sample", dict(design="two-sample")),
    ("two_sample_strict", dict(design="two-sample", strict=True)),
    ("correlation_fisher", dict(design="correlation")),
    ("correlation_fisher_one_sided", dict(design="correlation", alternative="one-sided")),
    ("correlation_cohen", dict(design="correlation", correlation_method="cohen")),
]


@pytest.mark.parametrize("column,kw", CASES, ids=[c[0] for c in CASES])
def test_sensitivity_matches_r_grid(column: str, kw: dict) -> None:
    for row in GRID.itertuples():
        s = sensitivity(int(row.n), alpha=row.alpha, power=row.power, **kw)
        assert abs(s.min_effect - getattr(row, column)) <= TOL, (row.n, row.alpha, row.power)


def test_r_default_tolerance_is_coarser_than_ours() -> None:
    """R's default uniroot tol leaves errors of order 1e-5; documented deviation."""
    diffs = [
        abs(sensitivity(int(r.n), alpha=r.alpha, power=r.power).min_effect - r.paired_default_tol) for r in GRID.itertuples()
    ]
    assert max(diffs) < 1e-3


@pytest.mark.parametrize("i", range(4))
def test_two_sample_unequal_groups_match_r(i: int) -> None:
    row = REF["unequal"][i]
    s = sensitivity((int(row["n1"]), int(row["n2"])), alpha=row["alpha"], power=row["power"], design="two-sample")
    assert abs(s.min_effect - row["d"]) <= TOL
    assert s.n == row["n1"] + row["n2"] and s.effect_name == "d"


def test_equal_groups_tuple_equals_int() -> None:
    a = sensitivity(30, design="two-sample")
    b = sensitivity((30, 30), design="two-sample")
    assert a.min_effect == pytest.approx(b.min_effect, abs=1e-12) and a.n == 60 and a.n1 == a.n2 == 30


def test_published_fisher_sample_sizes() -> None:
    """Lachin (1981): n = 47 detects r = 0.4; formula value n = 85 for r = 0.3 (alpha .05, power .8)."""
    for r, n in ((0.4, 47), (0.3, 85)):
        assert sensitivity(n, design="correlation").min_effect <= r < sensitivity(n - 1, design="correlation").min_effect


def test_fisher_closed_form_round_trip() -> None:
    from scipy import stats

    s = sensitivity(50, design="correlation", alpha=0.05, power=0.9)
    n_back = ((stats.norm.ppf(0.975) + stats.norm.ppf(0.9)) / __import__("math").atanh(s.min_effect)) ** 2 + 3
    assert n_back == pytest.approx(50, abs=1e-9)


@pytest.mark.parametrize("n", [10, 40, 120])
def test_cohen_method_matches_pingouin_power_corr(n: int) -> None:
    r = pg.power_corr(n=n, power=0.8, alpha=0.05)
    assert sensitivity(n, design="correlation", correlation_method="cohen").min_effect == pytest.approx(r, abs=1e-6)


@pytest.mark.parametrize("n,contrast,design", [(20, "paired", "paired"), (64, "two-samples", "two-sample")])
def test_strict_t_matches_pingouin_power_ttest(n: int, contrast: str, design: str) -> None:
    # pingouin counts both rejection regions (R strict = TRUE)
    d = pg.power_ttest(n=n, power=0.8, alpha=0.05, contrast=contrast)
    assert sensitivity(n, design=design, strict=True).min_effect == pytest.approx(d, abs=1e-5)


def test_monotonic_in_n_alpha_power() -> None:
    effects = [sensitivity(n).min_effect for n in (5, 10, 20, 40, 80)]
    assert effects == sorted(effects, reverse=True)
    assert sensitivity(30, alpha=0.01).min_effect > sensitivity(30, alpha=0.05).min_effect
    assert sensitivity(30, power=0.9).min_effect > sensitivity(30, power=0.8).min_effect


def test_provenance_and_serialisation() -> None:
    d = sensitivity(40, design="correlation").to_dict()
    json.dumps(d)
    assert d["effect_name"] == "r" and d["n"] == 40 and d["alpha"] == 0.05 and d["power"] == 0.8


def test_errors() -> None:
    with pytest.raises(ValueError, match=r"argument 'design' got 'anova'"):
        sensitivity(20, design="anova")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="argument 'alpha'"):
        sensitivity(20, alpha=5)
    with pytest.raises(ValueError, match="argument 'power'"):
        sensitivity(20, power=80)
    with pytest.raises(ValueError, match="not above the false-positive rate"):
        sensitivity(20, alpha=0.5, power=0.2)
    with pytest.raises(ValueError, match="too small"):
        sensitivity(3, design="correlation")
    with pytest.raises(ValueError, match="too small"):
        sensitivity(1, design="paired")
    with pytest.raises(TypeError, match="integer"):
        sensitivity(20.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="only meaningful for design='two-sample'"):
        sensitivity((10, 20), design="paired")
    with pytest.raises(ValueError, match=r"n=\(n1, n2\)"):
        sensitivity((10, 20, 30), design="two-sample")  # type: ignore[arg-type]
