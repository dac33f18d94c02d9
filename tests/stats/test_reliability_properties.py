"""Property-based tests of ccstudy.stats.reliability (hypothesis).

Invariants that hold for every data set, not only for the R reference cases
in ``test_reliability.py``: alpha does not depend on item or row order,
reverse keying is an involution, the closed-form item deletion equals
refitting without the item, and degenerate input is an error, never a NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ccstudy.stats.reliability import reliability, reliability_scales

pytestmark = pytest.mark.filterwarnings("ignore::ccstudy.stats.reliability.ReliabilityWarning")

FAST = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
SCALAR_FIELDS = ("alpha", "std_alpha", "average_r", "lambda6", "alpha_ci_low", "alpha_ci_high", "n")


@st.composite
def likert_frames(draw, min_k=2, max_k=7, missing=False):
    """DataFrames of 1-5 answers (every column varies), from a drawn seed.

    Hypothesis draws the shape, the seed, the strength of the common factor
    (0 = unrelated items) and the missing fraction; numpy generates the values,
    which keeps each example cheap.
    """
    n = draw(st.integers(min_value=6, max_value=80))
    k = draw(st.integers(min_value=min_k, max_value=max_k))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    strength = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 4.0]))
    rng = np.random.default_rng(seed)
    latent = strength * rng.standard_normal((n, 1)) + rng.standard_normal((n, k))
    values = np.clip(np.round(3 + latent), 1, 5)
    if missing:
        frac = draw(st.sampled_from([0.0, 0.05, 0.2]))
        values[rng.random((n, k)) < frac] = np.nan
    frame = pd.DataFrame(values, columns=[f"q{j}" for j in range(k)])
    # every item must vary, and every pair must share >= 3 rows
    assume(all(frame[c].nunique() > 1 for c in frame))
    pair_n = (frame.notna().astype(int).T @ frame.notna().astype(int)).to_numpy()
    assume(pair_n.min() >= 3)
    return frame


def _same(a, b, tol=1e-9):
    for f in SCALAR_FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        # Relative as well as absolute: a Feldt CI bound of -97.6 (tiny n, near-zero alpha) carries
        # rounding of ~1e-14 relative, far above an absolute 1e-12.
        assert x == pytest.approx(y, rel=1e-10, abs=tol, nan_ok=True), f


@FAST
@given(likert_frames(missing=True), st.randoms(use_true_random=False), st.sampled_from(["pairwise", "listwise"]))
def test_alpha_unchanged_by_item_order(frame, rnd, missing):
    if missing == "listwise":
        assume(frame.dropna().shape[0] >= 3)
        assume(all(frame.dropna()[c].nunique() > 1 for c in frame))
    cols = list(frame.columns)
    perm = cols[:]
    rnd.shuffle(perm)
    a = reliability(frame, missing=missing)
    b = reliability(frame[perm], missing=missing)
    _same(a, b)
    assert a.omega_total == pytest.approx(b.omega_total, abs=1e-5, nan_ok=True)
    pd.testing.assert_frame_equal(a.items, b.items.loc[cols], atol=1e-9, rtol=1e-9)


@FAST
@given(likert_frames(missing=True), st.randoms(use_true_random=False))
def test_alpha_unchanged_by_row_order(frame, rnd):
    rows = list(range(len(frame)))
    rnd.shuffle(rows)
    _same(reliability(frame), reliability(frame.iloc[rows]))


@FAST
@given(likert_frames(missing=True), st.data())
def test_reversing_twice_is_identity(frame, data):
    to_flip = data.draw(st.lists(st.sampled_from(list(frame.columns)), unique=True))
    low, high = 1, 5
    flipped = frame.copy()
    flipped[to_flip] = low + high - flipped[to_flip]
    # keying the already-flipped columns again restores the original data
    a = reliability(frame, scale=(low, high))
    b = reliability(flipped, reverse=to_flip, scale=(low, high))
    _same(a, b)
    pd.testing.assert_frame_equal(
        a.items.drop(columns="reversed"), b.items.drop(columns="reversed"), atol=1e-9, rtol=0
    )
    assert b.items["reversed"].sum() == len(to_flip)
    # the recode itself is an involution
    np.testing.assert_array_equal(low + high - (low + high - frame.to_numpy()), frame.to_numpy())


@FAST
@given(likert_frames(min_k=3, missing=True))
def test_closed_form_deletion_equals_refit(frame):
    rel = reliability(frame)
    for item in frame.columns:
        rest = frame.drop(columns=item)
        assume(rest.notna().sum().min() > 1)
        refit = reliability(rest)
        assert rel.items.loc[item, "alpha_if_deleted"] == pytest.approx(refit.alpha, abs=1e-9)
        assert rel.items.loc[item, "std_alpha_if_deleted"] == pytest.approx(refit.std_alpha, abs=1e-9)


@FAST
@given(likert_frames(min_k=4))
def test_item_rest_r_is_correlation_with_rest_sum(frame):
    rel = reliability(frame)
    for item in frame.columns:
        rest = frame.drop(columns=item).sum(axis=1)
        assume(rest.std() > 0)
        r = np.corrcoef(frame[item], rest)[0, 1]
        assert rel.items.loc[item, "item_rest_r"] == pytest.approx(r, abs=1e-9)


@FAST
@given(likert_frames(min_k=2, max_k=6))
def test_bounds_and_ordering(frame):
    rel = reliability(frame)
    assert rel.alpha <= 1 + 1e-12 and rel.std_alpha <= 1 + 1e-12
    assert rel.alpha_ci_low <= rel.alpha <= rel.alpha_ci_high
    assert -1 <= rel.average_r <= 1
    assert rel.n == len(frame)


@FAST
@given(likert_frames(min_k=2, max_k=5), st.integers(1, 5), st.integers(0, 2))
def test_constant_item_is_a_clear_error(frame, value, where):
    bad = frame.copy()
    bad.insert(min(where, bad.shape[1]), "const", float(value))
    with pytest.raises(ValueError, match=r"\['const'\] have zero variance"):
        reliability(bad)


@FAST
@given(likert_frames(min_k=2, max_k=5), st.integers(0, 2), st.sampled_from(["pairwise", "listwise"]))
def test_all_missing_column_is_a_clear_error(frame, where, missing):
    bad = frame.copy()
    bad.insert(min(where, bad.shape[1]), "empty", np.nan)
    with pytest.raises(ValueError, match=r"\['empty'\] are entirely missing"):
        reliability(bad, missing=missing)


@FAST
@given(likert_frames(min_k=4, max_k=7, missing=True))
def test_table_equals_single_calls(frame):
    cols = list(frame.columns)
    scales = {"first": cols[:2], "second": cols[2:]}
    many = reliability_scales(frame, scales)
    for name, sub in list(scales.items()) + [("total", cols)]:
        _same(many[name], reliability(frame[sub]), tol=1e-12)
