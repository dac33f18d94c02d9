"""Scoring and pooled rates: hand-computed cases."""

import math

import numpy as np
import pandas as pd
import pytest

from ccstudy.analysis import scoring

ITEMS = pd.DataFrame({
    "item": ["Q1", "Q2", "Q3", "Q4"],
    "competency": ["a", "a", "b", "b"],
    "competency_label": ["Alpha", "Alpha", "Beta", "Beta"],
    "dimension": ["d", "d", "d", "d"],
    "dimension_label": ["Dim", "Dim", "Dim", "Dim"],
    "reverse": [0, 1, 0, 0],
})


def test_reverse_keying_uses_declared_bounds():
    resp = pd.DataFrame({"agent_id": ["x"], "wave": ["pre"], "Q1": [2.0], "Q2": [2.0], "Q3": [5.0], "Q4": [np.nan]})
    k = scoring.keyed(resp, ITEMS, (1, 5))
    assert k.loc[0, "Q2"] == 4.0  # 1 + 5 - 2, even though no answer of 1 or 5 was given for Q2
    k7 = scoring.keyed(resp, ITEMS, (1, 7))
    assert k7.loc[0, "Q2"] == 6.0


def test_scores_are_means_of_answered_keyed_items():
    resp = pd.DataFrame({"agent_id": ["y", "x"], "wave": ["pre", "pre"],
                         "Q1": [2.0, 5.0], "Q2": [2.0, 1.0], "Q3": [5.0, np.nan], "Q4": [np.nan, np.nan]})
    s = scoring.score(resp, ITEMS, (1, 5)).set_index("agent_id")
    assert list(s.index) == ["x", "y"]                      # sorted by agent
    assert s.loc["y", "a"] == 3.0                           # (2 + (6 - 2)) / 2
    assert s.loc["y", "b"] == 5.0                           # only Q3 answered
    assert s.loc["y", "total"] == pytest.approx(11 / 3)     # (2 + 4 + 5) / 3
    assert s.loc["x", "a"] == 5.0 and math.isnan(s.loc["x", "b"])
    assert s.loc["x", "n_answered"] == 2


def test_scales_and_labels():
    sc = scoring.scales(ITEMS)
    assert sc["competency"] == {"a": ["Q1", "Q2"], "b": ["Q3", "Q4"]}
    assert sc["dimension"] == {"d": ["Q1", "Q2", "Q3", "Q4"]}
    assert scoring.labels(ITEMS)["b"] == "Beta" and scoring.labels(ITEMS)["d"] == "Dim"


def test_weighted_rate_pools_by_contacts():
    # 100 contacts at 80 % and 300 at 90 %: 80 + 270 = 350 resolved of 400 contacts.
    assert scoring.weighted_rate(pd.Series([0.8, 0.9]), pd.Series([100, 300])) == pytest.approx(0.875)
    assert scoring.weighted_rate(pd.Series([0.8, np.nan]), pd.Series([100, 300])) == pytest.approx(0.8)
    assert math.isnan(scoring.weighted_rate(pd.Series([0.8]), pd.Series([0])))
