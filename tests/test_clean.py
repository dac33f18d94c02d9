"""Each cleaning rule, and the exact cleaning-log rows it writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ccstudy.clean import (
    LOG_COLUMNS,
    CleaningLog,
    clean_responses,
    drop_duplicates,
    drop_left_before_post,
    drop_low_contacts,
    drop_partial,
    fmt_value,
    handle_straightlining,
    post_wave_start,
    recode_out_of_range,
    straightliners,
)

ITEMS = ["Q1", "Q2", "Q3", "Q4", "Q5"]
F = "responses.csv"


class P:
    """A stand-in for StudyParams: only ``get`` is used by the cleaning rules."""

    def __init__(self, **cleaning):
        self.values = {"scale": {"min": 1, "max": 5}, "waves": {"pre": "pre", "post": "post"},
                       "cleaning": {"out_of_range": "missing", "straightlining": "flag", "min_answered_share": 0.8,
                                    "drop_left_before_post": True, "min_contacts_per_month": 30, **cleaning}}

    def get(self, key, default=None):
        cur = self.values
        for part in key.split("."):
            if not isinstance(cur, dict) or part not in cur:
                return default
            cur = cur[part]
        return cur


def frame(rows):
    """rows: (row, agent, wave, submitted, answers...)"""
    out = pd.DataFrame([r[1:4] + tuple(r[4:]) for r in rows], columns=["agent_id", "wave", "submitted", *ITEMS])
    out["submitted"] = pd.to_datetime(out["submitted"]).astype("datetime64[ns]")
    out[ITEMS] = out[ITEMS].astype(float)
    out["_row"] = [r[0] for r in rows]
    return out


def rows_of(log: CleaningLog):
    return [tuple(r) for r in log.frame().itertuples(index=False)]


NAN = np.nan


def test_log_frame_columns_and_order():
    log = CleaningLog()
    log.add("b.csv", [5], "*", "x", "dropped", "r1")
    log.add("a.csv", [9, 3], "Q1", ["9", "0"], "", "r2")
    out = log.frame()
    assert list(out.columns) == LOG_COLUMNS
    assert rows_of(log) == [("a.csv", 3, "Q1", "0", "", "r2"), ("a.csv", 9, "Q1", "9", "", "r2"),
                            ("b.csv", 5, "*", "x", "dropped", "r1")]
    assert log.counts() == {"r1": 1, "r2": 2}
    assert CleaningLog().frame().empty and list(CleaningLog().frame().columns) == LOG_COLUMNS


def test_fmt_value():
    assert fmt_value(9.0) == "9" and fmt_value(3.5) == "3.5" and fmt_value(NAN) == "" and fmt_value("x") == "x"


def test_duplicates_keep_first_and_name_it():
    df = frame([(2, "A", "pre", "2017-01-02", 1, 2, 3, 4, 5), (3, "B", "pre", "2017-01-02", 1, 2, 3, 4, 5),
                (4, "A", "pre", "2017-01-02", 1, 2, 3, 4, 5), (5, "A", "pre", "2017-01-02", 1, 2, 3, 4, 5)])
    dup = df.duplicated(["agent_id", "wave", "submitted", *ITEMS]).to_numpy()
    log = CleaningLog()
    out = drop_duplicates(df, dup, ["agent_id", "wave", "submitted", *ITEMS], F, log)
    assert out["_row"].tolist() == [2, 3]
    assert rows_of(log) == [(F, 4, "*", "copy of row 2", "dropped", "duplicate_row"),
                            (F, 5, "*", "copy of row 2", "dropped", "duplicate_row")]


def test_out_of_range_to_missing_logs_each_cell():
    df = frame([(2, "A", "pre", "2017-01-02", 0, 2, 9, 4, 5), (3, "B", "pre", "2017-01-02", 1, 2.5, 3, 4, NAN)])
    log = CleaningLog()
    out = recode_out_of_range(df, ITEMS, 1, 5, "missing", F, log)
    assert np.isnan(out.loc[0, "Q1"]) and np.isnan(out.loc[0, "Q3"]) and np.isnan(out.loc[1, "Q2"])
    assert out.loc[0, "Q2"] == 2 and np.isnan(out.loc[1, "Q5"])
    assert rows_of(log) == [(F, 2, "Q1", "0", "", "out_of_range"), (F, 2, "Q3", "9", "", "out_of_range"),
                            (F, 3, "Q2", "2.5", "", "not_on_scale")]
    assert df.loc[0, "Q1"] == 0  # the input frame is not modified


def test_out_of_range_drop_row():
    df = frame([(2, "A", "pre", "2017-01-02", 0, 2, 9, 4, 5), (3, "B", "pre", "2017-01-02", 1, 2, 3, 4, 5)])
    log = CleaningLog()
    out = recode_out_of_range(df, ITEMS, 1, 5, "drop_row", F, log)
    assert out["_row"].tolist() == [3]
    assert rows_of(log) == [(F, 2, "*", "Q1=0; Q3=9", "dropped", "out_of_range")]


def test_out_of_range_long_layout_logs_the_cell_row():
    df = frame([(2, "A", "pre", "2017-01-02", 1, 2, 9, 4, 5)])
    df["_pos"] = [0]
    cells = np.array([[2, 3, 4, 5, 6]])
    log = CleaningLog()
    recode_out_of_range(df, ITEMS, 1, 5, "missing", F, log, cell_rows=cells)
    assert rows_of(log) == [(F, 4, "Q3", "9", "", "out_of_range")]


def test_partial_responses_dropped_below_share():
    df = frame([(2, "A", "pre", "2017-01-02", 1, 2, 3, 4, NAN),      # 4/5 = 0.8: kept
                (3, "B", "pre", "2017-01-02", 1, 2, 3, NAN, NAN),    # 3/5 = 0.6: dropped
                (4, "C", "pre", "2017-01-02", NAN, NAN, NAN, NAN, NAN)])
    log = CleaningLog()
    out = drop_partial(df, ITEMS, 0.8, F, log)
    assert out["_row"].tolist() == [2]
    assert rows_of(log) == [(F, 3, "*", "3 of 5 items answered", "dropped", "partial_response"),
                            (F, 4, "*", "0 of 5 items answered", "dropped", "partial_response")]


def test_straightliners_definition():
    df = frame([(2, "A", "pre", "2017-01-02", 3, 3, 3, 3, 3), (3, "B", "pre", "2017-01-02", 3, 3, NAN, 3, 3),
                (4, "C", "pre", "2017-01-02", 3, 3, 3, 3, 4), (5, "D", "pre", "2017-01-02", 3, NAN, NAN, NAN, NAN)])
    assert straightliners(df, ITEMS).tolist() == [True, True, False, False]


@pytest.mark.parametrize("policy", ["flag", "drop"])
def test_straightlining_flag_or_drop(policy):
    df = frame([(2, "A", "pre", "2017-01-02", 3, 3, 3, 3, 3), (3, "B", "pre", "2017-01-02", 1, 2, 3, 4, 5)])
    log = CleaningLog()
    out = handle_straightlining(df, ITEMS, policy, F, log)
    if policy == "flag":
        assert out["straightliner"].tolist() == [True, False]
        assert rows_of(log) == [(F, 2, "straightliner", "all 5 answers = 3", "flagged", "straightlining")]
    else:
        assert out["_row"].tolist() == [3] and out["straightliner"].tolist() == [False]
        assert rows_of(log) == [(F, 2, "*", "all 5 answers = 3", "dropped", "straightlining")]


def test_left_before_post_drops_both_waves_and_keeps_others():
    df = frame([(2, "A", "pre", "2017-01-02", 1, 2, 3, 4, 5), (3, "B", "pre", "2017-01-03", 1, 2, 3, 4, 5),
                (4, "B", "post", "2017-06-05", 1, 2, 3, 4, 5), (5, "C", "pre", "2017-01-04", 1, 2, 3, 4, 5)])
    roster = pd.DataFrame({"agent_id": ["A", "B", "C"],
                           "exit_date": pd.to_datetime(["2017-03-01", None, "2017-09-01"])})
    start = post_wave_start(df, "post")
    assert start == pd.Timestamp("2017-06-05")
    log = CleaningLog()
    out = drop_left_before_post(df, roster, start, F, log)
    assert out["_row"].tolist() == [3, 4, 5]
    assert rows_of(log) == [(F, 2, "*", "exit_date 2017-03-01 before the post wave (2017-06-05)", "dropped",
                             "left_before_post")]
    assert post_wave_start(df, "post", "2017-02-01") == pd.Timestamp("2017-02-01")


def test_min_contacts():
    k = pd.DataFrame({"agent_id": ["A", "A", "B"], "month": ["2017-01", "2017-02", "2017-01"],
                      "contacts": [29.0, 30.0, 0.0], "_row": [2, 3, 4]})
    log = CleaningLog()
    out = drop_low_contacts(k, 30, "agent_kpis.csv", log)
    assert out["_row"].tolist() == [3]
    assert rows_of(log) == [("agent_kpis.csv", 2, "*", "contacts=29 < 30", "dropped", "min_contacts"),
                            ("agent_kpis.csv", 4, "*", "contacts=0 < 30", "dropped", "min_contacts")]
    assert len(drop_low_contacts(k, 0, "agent_kpis.csv", CleaningLog())) == 3


def test_clean_responses_applies_rules_in_order():
    # row 3 is a duplicate of row 2; row 4 has an out-of-range answer that makes it partial once recoded;
    # row 5 is a straight-liner after the out-of-range answer is removed; A left before the post wave.
    df = frame([(2, "B", "pre", "2017-01-02", 1, 2, 3, 4, 5), (3, "B", "pre", "2017-01-02", 1, 2, 3, 4, 5),
                (4, "C", "pre", "2017-01-02", 1, 2, 3, 9, NAN), (5, "D", "pre", "2017-01-02", 4, 4, 4, 4, 7),
                (6, "A", "pre", "2017-01-02", 1, 2, 3, 4, 4), (7, "B", "post", "2017-06-01", 2, 2, 3, 4, 5)])
    roster = pd.DataFrame({"agent_id": ["A", "B", "C", "D"],
                           "exit_date": pd.to_datetime(["2017-05-01", None, None, None])})
    dup = df.duplicated(["agent_id", "wave", "submitted", *ITEMS]).to_numpy()
    log = CleaningLog()
    out = clean_responses(df, ITEMS, P(straightlining="drop"), F, log, roster=roster, duplicates=dup)
    assert out["_row"].tolist() == [2, 7]
    assert "_pos" not in out.columns and "straightliner" in out.columns
    assert rows_of(log) == [
        (F, 3, "*", "copy of row 2", "dropped", "duplicate_row"),
        (F, 4, "Q4", "9", "", "out_of_range"),
        (F, 4, "*", "3 of 5 items answered", "dropped", "partial_response"),
        (F, 5, "Q5", "7", "", "out_of_range"),
        (F, 5, "*", "all 4 answers = 4", "dropped", "straightlining"),
        (F, 6, "*", "exit_date 2017-05-01 before the post wave (2017-06-01)", "dropped", "left_before_post"),
    ]


def test_clean_responses_keeps_leavers_when_disabled():
    df = frame([(2, "A", "pre", "2017-01-02", 1, 2, 3, 4, 4), (3, "B", "post", "2017-06-01", 2, 2, 3, 4, 5)])
    roster = pd.DataFrame({"agent_id": ["A", "B"], "exit_date": pd.to_datetime(["2017-05-01", None])})
    log = CleaningLog()
    out = clean_responses(df, ITEMS, P(drop_left_before_post=False), F, log, roster=roster)
    assert len(out) == 2 and len(log) == 0
