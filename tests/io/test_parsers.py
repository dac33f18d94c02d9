"""Cell parsers (ccstudy.io.parsers): typed values for good cells, a located problem for each bad one."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ccstudy.io import parsers
from ccstudy.io.readers import ROW
from ccstudy.io.schemas import Col
from ccstudy.io.validate import Problem, Problems


def frame(col: str, cells: list[str]) -> pd.DataFrame:
    return pd.DataFrame({col: pd.Series(cells, dtype=str), ROW: np.arange(2, len(cells) + 2, dtype=np.int64)})


def collect() -> tuple[Problems, list[Problem]]:
    sink: list[Problem] = []
    return Problems("x.csv", sink), sink


def test_norm_key_and_label():
    assert parsers.norm_key("\ufeff Agent ID ") == "agent_id"
    assert parsers.norm_key("Ａｇｅｎｔ-Id") == "agent_id"  # full-width letters (NFKC), dash
    assert parsers.norm_label("  Strongly   Agree ") == "strongly agree"


def test_blank_mask_and_to_float():
    s = pd.Series(["", "NA", "n/a", "-", "3", " x", "1e3", "-2.5"], dtype=str)
    blank = parsers.blank_mask(s)
    assert blank.tolist() == [True, True, True, True, False, False, False, False]
    vals = parsers.to_float(s, blank)
    assert np.isnan(vals[:4]).all() and np.isnan(vals[5])
    assert vals[4] == 3.0 and vals[6] == 1000.0 and vals[7] == -2.5
    assert parsers.to_float(pd.Series([], dtype=str)).size == 0


@pytest.mark.parametrize("pos,letter", [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")])
def test_excel_letter(pos, letter):
    assert parsers.excel_letter(pos) == letter


def test_parse_date_formats_and_problems():
    f = frame("hire_date", ["2016-03-01", "2016/3/2", "2016年3月3日", "42430", "soon", ""])
    pr, sink = collect()
    out = parsers.parse_date(f, Col("hire_date", "date"), pr, "roster")
    assert out.iloc[:3].dt.strftime("%Y-%m-%d").tolist() == ["2016-03-01", "2016-03-02", "2016-03-03"]
    assert out.iloc[3:].isna().all()
    rules = {(p.rule, p.rows) for p in sink}
    assert rules == {("excel_date_serial", (5,)), ("date_unparseable", (6,)), ("required_value", (7,))}
    serial = next(p for p in sink if p.rule == "excel_date_serial")
    assert "2016-03-01" in serial.message and serial.column == "hire_date"


def test_parse_date_declared_format():
    f = frame("d", ["01.03.2016", "2016-03-01"])
    pr, sink = collect()
    out = parsers.parse_date(f, Col("d", "date"), pr, "roster", "%d.%m.%Y")
    assert out.iloc[0] == pd.Timestamp("2016-03-01") and pd.isna(out.iloc[1])
    assert [p.rule for p in sink] == ["date_unparseable"] and "inputs.roster.date_format" in sink[0].message


def test_parse_month():
    f = frame("month", ["2017-01", "2017/2", "2017年3月", "2017-13", "43000", ""])
    pr, sink = collect()
    out = parsers.parse_month(f, Col("month", "month", nullable=True), pr)
    assert out.iloc[:3].tolist() == ["2017-01", "2017-02", "2017-03"]
    assert {(p.rule, p.rows) for p in sink} == {("month_unparseable", (5,)), ("excel_date_serial", (6,))}


def test_parse_number_int_and_range():
    f = frame("contacts", ["12", "3.5", "-1", "x", "7"])
    pr, sink = collect()
    out = parsers.parse_number(f, Col("contacts", "int", min=0), pr, "agent_kpis")
    assert out.iloc[0] == 12 and out.iloc[4] == 7 and out.iloc[1:4].isna().all()
    assert {(p.rule, p.rows) for p in sink} == {("not_whole_number", (3,)), ("number_range", (4,)),
                                                ("not_a_number", (5,))}


def test_parse_number_rates():
    f = frame("fcr", ["0.8", "80%", "1.2"])
    pr, sink = collect()
    out = parsers.parse_number(f, Col("fcr", "rate"), pr, "centre_kpis", "fraction")
    assert out.iloc[0] == pytest.approx(0.8) and out.iloc[1] == pytest.approx(0.8) and math.isnan(out.iloc[2])
    assert [(p.rule, p.rows) for p in sink] == [("rate_range", (4,))]
    f = frame("fcr", ["80", "85.5", "90%"])
    pr, sink = collect()
    out = parsers.parse_number(f, Col("fcr", "rate"), pr, "centre_kpis", "percent")
    assert out.tolist() == pytest.approx([0.8, 0.855, 0.9]) and not sink


def test_parse_flag_and_text():
    f = frame("reverse", ["1", "0", "yes", "maybe"])
    pr, sink = collect()
    out = parsers.parse_flag(f, Col("reverse", "flag"), pr)
    assert out.tolist() == [True, False, True, False]
    assert [(p.rule, p.rows, p.values) for p in sink] == [("not_a_flag", (5,), ("maybe",))]
    f = frame("wave", ["PRE", "post", "mid"])
    pr, sink = collect()
    out = parsers.parse_text(f, Col("wave", "category"), pr, allowed=("pre", "post"))
    assert out.tolist() == ["pre", "post", "mid"]
    assert [(p.rule, p.rows) for p in sink] == [("not_allowed", (4,))]


def test_parse_scores_numbers_and_labels():
    f = frame("Q01", ["4", "Agree", "abc", ""])
    pr, sink = collect()
    out = parsers.parse_scores(f, "Q01", pr, {"agree": 4.0}, 1, 5)
    assert out.iloc[0] == 4 and out.iloc[1] == 4 and out.iloc[2:].isna().all()
    assert [(p.rule, p.rows) for p in sink] == [("score_not_number", (4,))]


def test_validate_reexports_parsers():
    from ccstudy.io import validate

    assert validate.norm_key is parsers.norm_key and validate.parse_date is parsers.parse_date


def test_rate_column_mixing_fractions_and_percentages_names_the_minority():
    f = frame("fcr", ["86.27", "87.1", "0.8627", "88.0", "90%"])
    pr, sink = collect()
    out = parsers.parse_number(f, Col("fcr", "rate", suspect_fraction=True), pr, "centre_kpis", "percent")
    assert [(p.rule, p.rows, p.values) for p in sink] == [("rate_mixed_scale", (4,), ("0.8627",))]
    assert out.iloc[[0, 1, 3, 4]].tolist() == pytest.approx([0.8627, 0.871, 0.88, 0.9])
    assert math.isnan(out.iloc[2])                  # never 0.8627 / 100


def test_dates_out_of_range_and_sentinels():
    f = frame("exit_date", ["9999-12-31", "2017-03-20", "1600-01-01", "10000-01-01", ""])
    pr, sink = collect()
    recoded = np.zeros(5, dtype=bool)
    out = parsers.parse_date(f, Col("exit_date", "date", nullable=True), pr, "roster",
                             sentinels=["9999-12-31"], recoded=recoded)
    assert recoded.tolist() == [True, False, False, False, False]
    assert out.iloc[1] == pd.Timestamp("2017-03-20") and out.drop(index=1).isna().all()
    assert [(p.rule, p.rows) for p in sink] == [("date_out_of_range", (4, 5))]
    pr, sink = collect()
    parsers.parse_date(f, Col("exit_date", "date", nullable=True), pr, "roster")
    assert sink[0].rows == (2, 4, 5) and "inputs.roster.exit_date_sentinels" in sink[0].message


def test_invisible_characters_in_ids():
    f = frame("agent_id", ["A01", "A05\u200b", "A\u00a006", "A07\x07", "客服 一组"])
    pr, sink = collect()
    parsers.parse_text(f, Col("agent_id", "id"), pr)
    assert [(p.rule, p.rows) for p in sink] == [("invisible_character", (3, 4, 5))]
    assert "'A05\\u200b'" in sink[0].to_text()
