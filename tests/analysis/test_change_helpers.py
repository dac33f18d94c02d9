"""Training-stage reliable change, invariance and KPI link; coaching's soft-skill vs knowledge gaps;
the report sentences built from them (hand-computed cases)."""

import math

import numpy as np
import pandas as pd
import pytest

from ccstudy import coaching, report, stats
from ccstudy.analysis import training
from ccstudy.stats.reliability import ReliabilityWarning

ITEMS = pd.DataFrame({
    "item": ["q1", "q2", "q3", "q4"], "competency": ["c1", "c1", "c2", "c2"],
    "dimension": ["d1", "d1", "d2", "d2"], "reverse": [False, False, False, True],
    "kind": ["soft_skill", "soft_skill", "knowledge", "knowledge"],
})


def _responses(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    rows = []
    for wave, shift in (("pre", 0.0), ("post", 0.4)):
        x = np.clip(np.round(3 + theta[:, None] + shift + rng.normal(0, 0.7, (n, 4))), 1, 5)
        x[:, 3] = 6 - x[:, 3]  # reverse-keyed item
        f = pd.DataFrame(x, columns=["q1", "q2", "q3", "q4"])
        f.insert(0, "wave", wave)
        f.insert(0, "agent_id", [f"a{i:02d}" for i in range(n)])
        rows.append(f)
    return pd.concat(rows, ignore_index=True)


def test_scale_reliabilities_are_the_pre_wave_alphas():
    resp = _responses()
    rel = training.scale_reliabilities(resp, ITEMS, ["total", "d1", "d2"], wave="pre", scale=(1, 5))
    pre = resp[resp["wave"] == "pre"]
    assert rel["total"] == pytest.approx(stats.reliability(pre[["q1", "q2", "q3", "q4"]], reverse=["q4"]).alpha,
                                         rel=1e-12)
    with pytest.warns(ReliabilityWarning):
        d2 = stats.reliability(pre[["q3", "q4"]], reverse=["q4"]).alpha
    assert rel["d2"] == pytest.approx(d2, rel=1e-12)


def test_reliable_change_tables_agree_with_reliable_change():
    pre_all = pd.DataFrame({"agent_id": list("abcdef"), "total": [3.0, 3.5, 2.5, 4.0, 3.2, 2.0]})
    pairs = pd.DataFrame({"total_pre": [3.0, 3.5, 2.5, 4.0, 3.2],
                          "total_post": [4.5, 3.4, 2.6, 2.5, 3.3]}, index=pd.Index(list("abcde"), name="agent_id"))
    info = pd.DataFrame({"team": list("TTUUU"), "group": ["trained", "trained", "trained", "control", "control"]},
                        index=list("abcde"))
    out = training.reliable_change_tables(pairs, info, pre_all, {"total": 0.8}, confidence=0.95)
    sd = float(np.std([3.0, 3.5, 2.5, 4.0, 3.2, 2.0], ddof=1))  # the whole pre wave, also agent f
    se = sd * math.sqrt(2) * math.sqrt(0.2)
    a = out["agents"].set_index("agent_id")
    assert a.loc["a", "rci"] == pytest.approx(1.5 / se) and a.loc["a", "status"] == "improved"
    assert a.loc["d", "status"] == "deteriorated" and a.loc["b", "status"] == "unchanged"
    sh = out["shares"].set_index("group")
    assert sh.loc["trained", "n"] == 3 and sh.loc["trained", "share_improved"] == pytest.approx(1 / 3)
    assert sh.loc["control", "share_deteriorated"] == pytest.approx(1 / 2)
    assert sh.loc["trained", "se_diff"] == pytest.approx(se)


def test_kpi_change_and_link():
    months = ["2017-01", "2017-02", "2017-03", "2017-04", "2017-05", "2017-06"]
    rows = []
    for i, agent in enumerate("abcde"):
        for m in months:
            after = m >= "2017-05"
            rows.append({"agent_id": agent, "month": m, "contacts": 100, "fcr": 0.6 + (0.01 * i if after else 0.0)})
    kpis = pd.DataFrame(rows)
    ch = training.kpi_change(kpis, start="2017-03", end="2017-04", months=2)
    assert ch.loc["c", "fcr_change"] == pytest.approx(2.0)  # percentage points
    agents = pd.DataFrame({"agent_id": list("abcde"), "scale": "total", "rci": [0.0, 1.0, 2.0, 3.0, 4.0],
                           "status": ["unchanged", "unchanged", "improved", "improved", "improved"]})
    link = training.rc_kpi_link(agents, ch, confidence=0.95).set_index("kpi")
    assert link.loc["fcr", "r"] == pytest.approx(1.0)
    assert link.loc["fcr", "mean_change_improved"] == pytest.approx(3.0)
    assert link.loc["fcr", "mean_change_others"] == pytest.approx(0.5)


def test_invariance_uses_competency_factors_and_reports_the_ladder():
    level, factors = training.invariance_factors(ITEMS)
    assert level == "competency" and factors == {"c1": ["q1", "q2"], "c2": ["q3", "q4"]}
    one_item = ITEMS.assign(competency=["c1", "c1", "c2", "c3"])
    assert training.invariance_factors(one_item)[0] == "dimension"
    with pytest.raises(ValueError, match="complete people"):
        training.invariance(_responses(n=10), ITEMS, pre="pre", post="post", scale=(1, 5))


def test_gap_kinds_and_sentences():
    kinds = coaching.competency_kinds(ITEMS)
    assert kinds == {"c1": "soft_skill", "c2": "knowledge"}
    weak = pd.DataFrame({"team": ["T", "T", "U", "U", "V"], "competency": ["c1", "c2", "c1", "c2", "c1"],
                         "gap": [-0.5, -0.1, -0.2, -0.3, 0.1]})
    g = coaching.gap_kinds(weak, kinds).set_index("team")
    assert g.loc["T", "main"] == "soft_skill" and g.loc["T", "soft_skill_shortfall"] == pytest.approx(0.5)
    assert g.loc["U", "main"] == "knowledge"
    assert pd.isna(g.loc["V", "main"]) and g.loc["V", "soft_skill_shortfall"] == 0.0  # no gap below the centre
    assert coaching.gap_kinds(weak, {}) is None
    co = {"gap_kinds": {"T": {"main": "soft_skill"}, "U": {"main": "knowledge"}}}
    assert "soft-skill" in report.gap_kind_sentence(co, "T")
    assert "knowledge" in report.gap_kind_sentence(co, "U")
    assert report.gap_kind_sentence(co, "V") is None


def test_training_sentences():
    tr = {"main_group": "trained",
          "reliable_change": {"total": {
              "trained": {"n": 200, "n_improved": 30, "share_improved": 0.15, "share_deteriorated": 0.01},
              "control": {"n": 180, "n_improved": 5, "share_improved": 0.028, "share_deteriorated": 0.02}}},
          "invariance": {"holds": "metric"}}
    s = report.reliable_change_sentence(tr)
    assert "**15%** of trained agents (30 of 200)" in s and "control group 3% improved" in s
    assert "only partially valid" in report.invariance_sentence(tr)
    assert "is valid" in report.invariance_sentence({"invariance": {"holds": "scalar"}})
    assert report.invariance_sentence({}) is None and report.reliable_change_sentence({}) is None
