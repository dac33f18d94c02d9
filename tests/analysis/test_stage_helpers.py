"""Study-level helpers of the validity, training, trends and coaching stages (hand-computed cases)."""

import numpy as np
import pandas as pd
import pytest

from ccstudy import coaching
from ccstudy.analysis import training, trends, validity

KPIS = pd.DataFrame({
    "agent_id": ["a", "a", "a", "b", "b"],
    "month": ["2016-08", "2016-09", "2016-10", "2016-09", "2016-10"],
    "contacts": [500, 100, 300, 200, 200],
    "fcr": [0.1, 0.8, 0.9, 0.7, np.nan],
    "aht_sec": [999.0, 400.0, 500.0, 300.0, 350.0],
})
ROSTER = pd.DataFrame({
    "agent_id": ["a", "b", "c", "d"],
    "team": ["T", "T", "U", "U"],
    "group": ["trained", "control", "trained", "control"],
    "hire_date": pd.to_datetime(["2015-10-31", "2016-09-30", "2014-01-01", "2014-01-01"]),
    "exit_date": pd.to_datetime([None, "2017-03-15", "2017-06-01", None]),
})


def test_kpi_window_is_contact_weighted_and_inclusive():
    w = validity.agent_kpi_window(KPIS, ["fcr", "aht_sec"], "2016-09", "2016-10")
    assert w.loc["a", "fcr"] == pytest.approx((0.8 * 100 + 0.9 * 300) / 400)  # 0.875
    assert w.loc["a", "aht_sec"] == pytest.approx((400 * 100 + 500 * 300) / 400)
    assert w.loc["b", "fcr"] == pytest.approx(0.7)       # the missing month does not count
    assert w.loc["b", "aht_sec"] == pytest.approx(325.0)
    assert w.loc["a", "months"] == 2


def test_kpi_window_errors_name_the_problem():
    with pytest.raises(ValueError, match="holds no agent-month KPIs"):
        validity.agent_kpi_window(KPIS, ["fcr"], "2019-01", "2019-02")
    with pytest.raises(ValueError, match="not in the agent KPIs: \\['nps'\\]"):
        validity.agent_kpi_window(KPIS, ["nps"], "2016-09", "2016-10")


def test_tenure_months():
    t = validity.tenure_months(ROSTER, "2016-10")
    # whole days from hire to the end of 2016-10, over the mean month length (365.25 / 12)
    assert t["a"] == pytest.approx(366 / 30.4375)   # 2015-10-31 -> 2016-10-31 crosses 29 February
    assert t["b"] == pytest.approx(31 / 30.4375)


def test_training_satisfaction_share():
    tr = pd.DataFrame({"satisfaction": [5, 4, 3, np.nan, 5], "attended_share": [1.0, 0.9, 0.8, 1.0, 0.5]})
    s = training.training_satisfaction(tr, satisfied_min=4)
    assert (s["n_trainees"], s["n_rated"], s["n_satisfied"]) == (5, 4, 3)
    assert s["share_satisfied"] == pytest.approx(0.75)
    assert s["mean_attended_share"] == pytest.approx(0.84)


def test_team_month_rate_and_month_on_month():
    kp = pd.DataFrame({"agent_id": ["a", "b", "a", "b", "a", "b"],
                       "month": ["2017-02", "2017-02", "2017-05", "2017-05", "2017-03", "2017-03"],
                       "contacts": [100, 300, 200, 200, 1, 1],
                       "fcr": [0.80, 0.90, 0.86, 0.89, 0.0, 0.0]})
    staff = pd.DataFrame({"team": ["T", "T"], "month": ["2017-02", "2017-05"], "satisfaction": [0.8512, 0.8600]})
    assert training.team_month_rate(kp, ROSTER, "T", "2017-02") == pytest.approx(0.875)
    with pytest.warns(RuntimeWarning, match="Hedges correction J is undefined"):  # two agents: 1 df
        m = training.focus_month_on_month(kp, ROSTER, staff, team="T", before="2017-02", after="2017-05",
                                          confidence=0.95)
    assert m["fcr_before"] == pytest.approx(0.875) and m["fcr_after"] == pytest.approx(0.875)
    assert m["fcr_change_pp"] == pytest.approx(0.0, abs=1e-12)
    assert m["staff_satisfaction_change_pp"] == pytest.approx(0.88)
    # agents' own changes: +6 pp and -1 pp -> mean +2.5 pp
    assert m["fcr_test"]["n"] == 2 and m["fcr_test"]["mean_diff"] == pytest.approx(2.5)


def test_paired_scores_keeps_agents_with_both_waves():
    sc = pd.DataFrame({"agent_id": ["a", "a", "b"], "wave": ["pre", "post", "pre"], "total": [3.0, 3.5, 4.0]})
    p = training.paired_scores(sc, "pre", "post")
    assert list(p.index) == ["a"] and p.loc["a", "total_post"] - p.loc["a", "total_pre"] == 0.5


def test_pareto_sorted_cumulative_and_top_share():
    cs = pd.DataFrame({"respondent_id": ["1", "1", "2", "3", "3", "3", "4", "4"],
                       "category": ["x", "y", "x", "z", "x", "y", "w", "x"]})
    p = trends.pareto(cs, top=2)
    assert p["table"]["category"].tolist() == ["x", "y", "z", "w"]
    assert p["table"]["mentions"].tolist() == [4, 2, 1, 1]
    assert p["table"]["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert p["top_share"] == pytest.approx(6 / 8) and p["n_respondents"] == 4 and p["n_mentions"] == 8


ITEMS = pd.DataFrame({"item": ["Q1", "Q2"], "competency": ["a", "b"], "competency_label": ["A", "B"],
                      "dimension": ["d", "d"], "dimension_label": ["D", "D"], "reverse": [0, 0]})
SCORES = pd.DataFrame({
    "agent_id": ["a", "b", "c", "d"], "wave": "pre",
    "a": [3.0, 3.2, 4.0, 4.2], "b": [4.0, 4.0, 4.0, 3.0], "total": [3.5, 3.6, 4.0, 3.6],
})


def test_weak_spots_team_and_agent():
    ws = coaching.weak_spots(SCORES, ROSTER, ITEMS, wave="pre", weak_gap=0.25, n_weakest=1)
    assert ws["centre"].to_dict() == pytest.approx({"a": 3.6, "b": 3.75})
    t = ws["teams"].set_index(["team", "competency"])
    # team T: a = 3.1 (gap -0.5, both agents below the centre -> group programme)
    assert t.loc[("T", "a"), "gap"] == pytest.approx(-0.5)
    assert t.loc[("T", "a"), "plan"] == "group programme"
    # team U: b = 3.5 is its weakest (gap -0.25); one of two agents below -> 0.5 share -> group programme
    assert t.loc[("U", "b"), "gap"] == pytest.approx(-0.25)
    ag = ws["agents"]
    assert set(map(tuple, ag[["agent_id", "competency"]].to_numpy())) == {("a", "a"), ("b", "a"), ("d", "b")}


def test_mentoring_pairs_best_with_weakest():
    perf = pd.Series({"a": 0.80, "b": 0.90, "c": 0.70, "d": 0.95})
    pairs = coaching.mentoring_pairs(SCORES, ROSTER, perf, wave="pre", top_share=0.5)
    # team T: b beats a on both score and performance; team U: c has the higher score, d the higher FCR
    t = pairs.set_index("team")
    assert (t.loc["T", "mentor"], t.loc["T", "mentee"]) == ("b", "a")
    assert t.loc["T", "mentor_composite"] == pytest.approx(1.0) and t.loc["T", "mentee_composite"] == pytest.approx(-1.0)
    assert t.loc["U", "mentor"] == "c"      # composites tie at 0: broken by agent id


def test_attrition_watch():
    perf = pd.Series({"a": 0.80, "b": 0.90, "c": 0.70, "d": 0.95})
    w = coaching.attrition_watch(ROSTER, perf, training_start="2017-03", training_end="2017-04", top_share=0.5)
    # trained agents a (stays) and c (leaves 2017-06, after training): no training-period leaver
    assert (w["training_period_leavers"], w["trained_agents"]) == (0, 2)
    # top 50 % by FCR: b (left) and d (stays) -> 1 of 2; others a, c -> c left -> 1 of 2
    assert (w["top_performers"], w["top_performer_leavers"]) == (2, 1)
    assert w["top_performer_attrition"] == pytest.approx(0.5) and w["other_attrition"] == pytest.approx(0.5)
