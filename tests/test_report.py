"""Wording and rounding helpers of the reporting layer (closed-form cases)."""

import math

import pandas as pd

from ccstudy import report as rp


def test_number_formats():
    assert rp.num(0.8567) == "0.86" and rp.num(None) == "–" and rp.num(math.nan) == "–"
    assert rp.pct(0.8627) == "86.27%" and rp.pct(0.98, 0) == "98%"
    assert rp.pp(0.56) == "+0.56 pp" and rp.pp(-1.2345) == "-1.23 pp"
    assert rp.ci(0.1, 0.25, level=0.9) == "90% CI 0.10 to 0.25"


def test_apa_p_values():
    assert rp.p_value(0.0004) == "p < .001"
    assert rp.p_value(0.0342) == "p = .034"
    assert rp.p_value(0.5) == "p = .500"
    assert rp.p_value(None) == "p = –"


def test_verdicts():
    assert [rp.reliability_verdict(a) for a in (0.95, 0.85, 0.75, 0.65, 0.5)] == [
        "excellent", "good", "acceptable", "questionable", "poor"]
    assert [rp.strength(r) for r in (0.1, -0.35, 0.6)] == ["weak", "moderate", "strong"]


def test_md_table():
    t = rp.md_table(pd.DataFrame({"a_b": [1.23456], "p_adj": [0.0001], "s": ["x|y"]}), digits=3)
    assert t.splitlines() == ["| a b | p adj | s |", "|---|---|---|", "| 1.235 | < .001 | x\\|y |"]
