"""Tests of ccstudy.stats.reliable_change (Jacobson-Truax reliable change index).

References:

* R closed form, ``tests/reference/r/reliable_change.R`` run with R 4.2.2 Patched
  (2022-11-10 r83330), MASS 7.3.58.2, on MASS::anorexia (pre/post weight of 72
  patients; ``tests/reference/data/eff_anorexia.csv``); values in
  ``tests/reference/rc_reference.json``.  R::

      sdiff <- sd(pre) * sqrt(2) * sqrt(1 - rel); rci <- (post - pre) / sdiff
      status <- ifelse(rci > qnorm(1 - (1 - conf)/2), "improved", ifelse(rci < -z, "deteriorated", "unchanged"))

  printed (rel = 0.90, conf = 0.95): sd 5.18246637678228, se_diff 2.31766942191844,
  threshold 1.95996398454005, share improved 0.347222222222222, deteriorated 0.180555555555556;
  CBT arm (rel = 0.80, conf = 0.90): sd 4.84549458094735, se_diff 3.06455985315935,
  threshold 1.64485362695147, improved 0.241379310344828, deteriorated 0.0689655172413793.

* Published worked example: Wodrich, D. L., open textbook (University of Arizona
  Libraries), Appendix E "How to Calculate Reliable Change Indexes (RCIs)", Table A.3.1
  (https://opentextbooks.library.arizona.edu/wodrichseas/back-matter/how-to-calculate-a-reliable-change-index-rci):
  Piers-Harris-2 total score, SEM 3.07 (Piers & Herzberg 2002) -> S_diff = sqrt(2 * 3.07^2) = 4.34,
  1.96 * 4.34 = 8.51; pre 24, post 35, change 11 > 8.51 -> reliable change.  The manual's
  SEM is sd * sqrt(1 - r); with the T-score SD 10 that is r = 1 - 0.307^2.  Checked at the
  printed precision (0.005).

Tolerance: 1e-12 relative for the closed form (pure arithmetic), printed precision for the book.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccstudy import stats
from ccstudy.stats.change import reliable_change

REF_DIR = Path(__file__).resolve().parents[1] / "reference"
REF = json.loads((REF_DIR / "rc_reference.json").read_text())
ANO = pd.read_csv(REF_DIR / "data" / "eff_anorexia.csv")


@pytest.mark.parametrize(
    "case, rows, rel, conf",
    [("anorexia_090", slice(None), 0.90, 0.95), ("anorexia_cbt_080_conf90", "CBT", 0.80, 0.90)],
)
def test_matches_r_closed_form(case: str, rows, rel: float, conf: float) -> None:
    ref = REF[case]
    data = ANO if rows == slice(None) else ANO[ANO["Treat"] == rows]
    rc = stats.reliable_change(data["Prewt"], data["Postwt"], rel, confidence=conf)
    assert rc.n == ref["n"] and rc.n_dropped == 0
    assert rc.sd == pytest.approx(ref["sd"], rel=1e-12)
    assert rc.se_diff == pytest.approx(ref["se_diff"], rel=1e-12)
    assert rc.threshold == pytest.approx(ref["threshold"], rel=1e-12)
    np.testing.assert_allclose(rc.agents["rci"].to_numpy(), ref["rci"], rtol=1e-12)
    assert rc.agents["status"].tolist() == ref["status"]
    assert rc.share_improved == pytest.approx(ref["share_improved"], rel=1e-12)
    assert rc.share_deteriorated == pytest.approx(ref["share_deteriorated"], rel=1e-12)
    assert rc.share_unchanged == pytest.approx(ref["share_unchanged"], rel=1e-12)
    assert rc.min_change == pytest.approx(ref["threshold"] * ref["se_diff"], rel=1e-12)


def test_published_worked_example_wodrich_table_a31() -> None:
    sem = 3.07
    rc = reliable_change(pd.Series([24.0]), pd.Series([35.0]), 1.0 - (sem / 10.0) ** 2, sd=10.0)
    assert rc.sem == pytest.approx(3.07, rel=1e-12)
    assert abs(rc.se_diff - 4.34) < 0.005  # Step 4
    assert abs(rc.min_change - 8.51) < 0.005  # Step 5
    assert rc.agents["change"].iloc[0] == 11.0  # Step 6
    assert rc.agents["status"].iloc[0] == "improved" and rc.share_improved == 1.0  # Step 7


def test_threshold_is_the_normal_quantile_and_ties_count_as_unchanged() -> None:
    rc = reliable_change([0.0, 0.0, 0.0, 1.0], [0.0, 1.0, -1.0, 1.0], 0.5, sd=1.0)
    assert rc.threshold == pytest.approx(1.959963984540054, rel=1e-14)  # qnorm(0.975)
    assert rc.se_diff == pytest.approx(1.0, rel=1e-14)  # sqrt(2) * sqrt(0.5)
    exact = reliable_change([0.0], [rc.threshold], 0.5, sd=1.0)  # rci == threshold exactly
    assert exact.agents["status"].iloc[0] == "unchanged"


def test_alignment_missing_and_index() -> None:
    pre = pd.Series([3.0, 3.5, 2.5, np.nan, 4.0], index=list("abcde"))
    post = pd.Series([4.5, 3.4, 2.4, 3.0], index=list("dcba"))  # shuffled, 'e' absent
    rc = reliable_change(pre, post, 0.8)
    assert list(rc.agents.index) == list("abcde")
    assert rc.agents.loc["a", "post"] == 3.0 and rc.agents.loc["b", "post"] == 2.4
    assert rc.n == 3 and rc.n_dropped == 2
    assert pd.isna(rc.agents.loc["d", "status"]) and pd.isna(rc.agents.loc["e", "status"])
    # the SD uses every pre score (also 'e', which has no post score)
    assert rc.sd == pytest.approx(float(np.std([3.0, 3.5, 2.5, 4.0], ddof=1)), rel=1e-14)
    assert rc.sd_source == "pre"
    assert rc.share_improved + rc.share_deteriorated + rc.share_unchanged == pytest.approx(1.0)
    d = rc.to_dict()
    assert d["n"] == 3 and isinstance(d["agents"], list)
    assert "se_diff" in rc.summary()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(1, 5), min_size=3, max_size=40),
    st.floats(0.05, 0.98),
    st.floats(0.5, 0.999),
    st.integers(0, 2**31 - 1),
)
def test_property_closed_form_and_shares(pre: list[float], rel: float, conf: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    pre_a = np.asarray(pre)
    if np.std(pre_a) == 0:
        return
    post_a = pre_a + rng.normal(0, 0.7, len(pre_a))
    rc = reliable_change(pre_a, post_a, rel, confidence=conf)
    sdiff = np.std(pre_a, ddof=1) * math.sqrt(2.0) * math.sqrt(1.0 - rel)
    assert rc.se_diff == pytest.approx(sdiff, rel=1e-12)
    rci = (post_a - pre_a) / sdiff
    z = rc.threshold
    assert rc.n_improved == int((rci > z).sum()) and rc.n_deteriorated == int((rci < -z).sum())
    assert rc.n_improved + rc.n_deteriorated + rc.n_unchanged == rc.n == len(pre_a)
    # a higher reliability never makes fewer people change reliably
    rc2 = reliable_change(pre_a, post_a, min(rel + 0.01, 0.99), confidence=conf)
    assert rc2.n_improved + rc2.n_deteriorated >= rc.n_improved + rc.n_deteriorated


def test_errors_are_clear() -> None:
    s = pd.Series([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"'reliability' must lie in \(0, 1\), got 1.0"):
        reliable_change(s, s, 1.0)
    with pytest.raises(ValueError, match="'reliability' must lie"):
        reliable_change(s, s, -0.2)
    with pytest.raises(TypeError, match="'reliability' must be a number"):
        reliable_change(s, s, "0.8")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'confidence' must lie"):
        reliable_change(s, s, 0.8, confidence=95)
    with pytest.raises(ValueError, match="'sd' must be a positive"):
        reliable_change(s, s, 0.8, sd=0.0)
    with pytest.raises(ValueError, match="same people"):
        reliable_change([1.0, 2.0], [1.0, 2.0, 3.0], 0.8)
    with pytest.raises(ValueError, match="constant"):
        reliable_change([2.0, 2.0, 2.0], [1.0, 2.0, 3.0], 0.8)
    with pytest.raises(ValueError, match="duplicated index"):
        reliable_change(pd.Series([1.0, 2.0], index=["a", "a"]), s, 0.8)
    with pytest.raises(TypeError, match="numeric"):
        reliable_change(pd.Series(["a", "b"]), pd.Series(["a", "b"]), 0.8)
    with pytest.raises(TypeError, match="one column"):
        reliable_change(pd.DataFrame({"a": [1.0], "b": [2.0]}), s, 0.8)
