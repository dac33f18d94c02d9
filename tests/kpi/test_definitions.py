"""KPI definitions: hand-worked cases, the pandas reference, DuckDB and Spark agree exactly.

The hand-worked log (tests/kpi/cases.py) covers: a repeat contact just inside
(exactly 7 days) and just outside (7 days + 1 s) the window, a repeat across a
month boundary and across two files, an abandoned contact, a short abandon, a
missing customer id and a transfer.  Expected values are written out by hand
there; the pandas reference (tests/kpi/reference.py) is checked against them
first, then each engine is checked against both.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import cases
import reference
from ccstudy.io.contacts import read_contacts
from ccstudy.kpi import COUNT_COLUMNS, KPI_COLUMNS, KpiParams, compute, to_agent_kpis, to_centre_kpis

LEVELS = ("agent", "team", "centre")
# Ibis 12 and PySpark 4.0 use pandas options that pandas 3 deprecates; not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
              pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning")]


def _check_hand(tables: dict[str, pd.DataFrame], where: str) -> None:
    c = tables["centre"].set_index("month")
    assert list(c.index) == ["2024-01", "2024-02"], where
    for month, exp in cases.CENTRE.items():
        for k, v in exp.items():
            got = c.loc[month, k]
            assert got == pytest.approx(v, rel=1e-15, abs=0), f"{where}: centre {month} {k} = {got}, expected {v}"
    a = tables["agent"].set_index(["agent_id", "month"])
    assert sorted(a.index) == sorted(cases.AGENT), where
    for key, exp in cases.AGENT.items():
        for k, v in exp.items():
            got = a.loc[key, k]
            if isinstance(v, float) and math.isnan(v):
                assert math.isnan(got), f"{where}: agent {key} {k} = {got}, expected missing"
            else:
                assert got == pytest.approx(v, rel=1e-15, abs=0), f"{where}: agent {key} {k} = {got}, expected {v}"
    # one agent per team in the cases: team-month = agent-month renamed
    t = tables["team"].set_index(["team", "month"])
    for (agent, month), exp in cases.AGENT.items():
        team = {"A1": "T1", "A2": "T2"}[agent]
        assert t.loc[(team, month), "offered"] == exp["offered"], where


def _same(got: pd.DataFrame, want: pd.DataFrame, where: str) -> None:
    """Exact agreement: same keys, same counts, same KPIs (NaN where a denominator is 0)."""
    got = got.reset_index(drop=True)
    want = want.reset_index(drop=True)
    assert list(got.columns) == list(want.columns), where
    assert len(got) == len(want), f"{where}: {len(got)} rows vs {len(want)}"
    for c in got.columns:
        g, w = got[c].to_numpy(), want[c].to_numpy()
        if c in COUNT_COLUMNS or c in KPI_COLUMNS:
            g, w = g.astype(float), w.astype(float)
            same = (g == w) | (np.isnan(g) & np.isnan(w))
        else:
            same = np.array([x == y or (x is None and y is None) or (pd.isna(x) and pd.isna(y))
                             for x, y in zip(g, w)])
        assert same.all(), f"{where}: column {c} differs at rows {np.nonzero(~same)[0][:5]}: " \
                           f"{g[~same][:5]} vs {w[~same][:5]}"


def _ref(df: pd.DataFrame, p: KpiParams = KpiParams()) -> dict[str, pd.DataFrame]:
    return {lv: reference.kpis(df, lv, p, teams=cases.TEAMS) for lv in LEVELS}


# ----------------------------------------------------------------------------- the reference itself

def test_reference_reproduces_the_hand_worked_values():
    _check_hand(_ref(cases.log()), "pandas reference")


@pytest.mark.parametrize("name", sorted(cases.VARIANTS))
def test_reference_variants_by_hand(name):
    opts, col, exp = cases.VARIANTS[name]
    c = reference.kpis(cases.log(), "centre", KpiParams(**opts)).set_index("month")
    for month, v in exp.items():
        assert c.loc[month, col] == pytest.approx(v, rel=1e-15), f"{name}: {month} {col}"


# ----------------------------------------------------------------------------- DuckDB

@pytest.fixture
def two_files(tmp_path):
    folder = tmp_path / "log"
    cases.write_two_files(folder)
    return folder


def test_duckdb_hand_worked_cases_across_two_files(duck, two_files):
    t = read_contacts(duck, two_files)
    got = compute(duck, t, LEVELS, teams=cases.TEAMS)
    _check_hand(got, "duckdb")
    for lv in LEVELS:
        _same(got[lv], _ref(cases.log())[lv], f"duckdb vs reference, {lv}")


@pytest.mark.parametrize("name", sorted(cases.VARIANTS))
def test_duckdb_variants_match_hand_and_reference(duck, two_files, name):
    opts, col, exp = cases.VARIANTS[name]
    p = KpiParams(**opts)
    got = compute(duck, read_contacts(duck, two_files), ["centre", "agent"], p)
    c = got["centre"].set_index("month")
    for month, v in exp.items():
        assert c.loc[month, col] == pytest.approx(v, rel=1e-15), f"{name}: {month} {col}"
    _same(got["centre"], reference.kpis(cases.log(), "centre", p), f"duckdb {name} centre")
    _same(got["agent"], reference.kpis(cases.log(), "agent", p), f"duckdb {name} agent")


def test_team_column_in_the_log_is_used_without_a_roster(duck, tmp_path):
    df = cases.log()
    df["team"] = df["agent_id"].map({"A1": "T1", "A2": "T2"})
    df.to_parquet(tmp_path / "log.parquet", index=False)
    got = compute(duck, read_contacts(duck, tmp_path / "log.parquet"), ["team"])
    _same(got["team"], reference.kpis(df, "team"), "team column")


def test_team_level_without_team_or_roster_is_a_clear_error(duck, two_files):
    with pytest.raises(ValueError, match="team"):
        compute(duck, read_contacts(duck, two_files), ["team"])


def _fractional_seconds_log() -> pd.DataFrame:
    """Timestamps with fractions of a second, which the definitions truncate to whole seconds.

    f1 K9 A1 abandoned: offered 10:00:00.7, ended 10:00:05.3 -> wait 5 s (05 - 00): NOT a short abandon
       (rounding the epoch would give 05 - 01 = 4 s, a short abandon)
    f2 K9 A1 answered: offered 03-08 10:00:00.2, answered 10:00:20.6 -> wait 20 s: within SL (inclusive)
       (rounding: 21 - 00 = 21 s, outside); K9 again (f3) 03-15 10:00:00.9: 7 days exactly after
       10:00:00 -> a repeat inside the window: NOT resolved (rounding: 7 days + 1 s, resolved)
    f3 K9 A1 answered: offered 03-15 10:00:00.9, answered 10:00:30.9 -> wait 30 s: outside SL; resolved
    Centre 2024-03: offered 3, answered 2, abandoned 1, short abandons 0, within SL 1, SL denominator 3,
    FCR eligible 2, FCR resolved 1.
    """
    rows = [
        dict(contact_id="f1", customer_id="K9", offered_at="2024-03-01 10:00:00.7", answered_at=None,
             ended_at="2024-03-01 10:00:05.3", talk_sec=None, abandoned=True),
        dict(contact_id="f2", customer_id="K9", offered_at="2024-03-08 10:00:00.2",
             answered_at="2024-03-08 10:00:20.6", ended_at="2024-03-08 10:05:00", talk_sec=260.0, abandoned=False),
        dict(contact_id="f3", customer_id="K9", offered_at="2024-03-15 10:00:00.9",
             answered_at="2024-03-15 10:00:30.9", ended_at="2024-03-15 10:05:00", talk_sec=240.0, abandoned=False),
    ]
    df = pd.DataFrame(rows).assign(agent_id="A1", queue="billing", channel="voice", hold_sec=0.0, acw_sec=0.0,
                                   transferred=False, csat=np.nan)
    for c in ("offered_at", "answered_at", "ended_at"):
        df[c] = pd.to_datetime(df[c], format="ISO8601").astype("datetime64[us]")
    return df[list(cases.log().columns)]


FRACTIONAL = dict(offered=3, answered=2, abandoned=1, short_abandons=0, answered_within_sl=1, sl_denominator=3,
                  fcr_eligible=2, fcr_resolved=1)


def test_fractions_of_a_second_are_truncated_as_documented(duck, tmp_path):
    df = _fractional_seconds_log()
    df.to_parquet(tmp_path / "frac.parquet", index=False)
    ref = reference.kpis(df, "centre").iloc[0]
    got = compute(duck, read_contacts(duck, tmp_path / "frac.parquet"), ["centre"])["centre"].iloc[0]
    for k, v in FRACTIONAL.items():
        assert ref[k] == v, f"reference {k}"
        assert got[k] == v, f"duckdb {k} = {got[k]}, expected {v}"


@pytest.fixture(scope="module")
def log100k(tmp_path_factory):
    from ccstudy.synth_contacts import write_contacts

    folder = tmp_path_factory.mktemp("log100k")
    res = write_contacts(folder, 100_000, seed=7, days=75, agents=300)
    assert res.rows == 100_000 and len(res.files) == 3
    return folder


@pytest.fixture(scope="module")
def ref100k(log100k):
    df = pd.read_parquet(log100k)
    teams = pd.DataFrame({"agent_id": sorted(df["agent_id"].dropna().unique())})
    teams["team"] = "T" + (teams.index // 20).astype(str).str.zfill(2)
    return df, teams, {lv: reference.kpis(df, lv, KpiParams(), teams=teams) for lv in LEVELS}


def test_duckdb_equals_reference_on_100k_contacts(duck, log100k, ref100k):
    df, teams, ref = ref100k
    got = compute(duck, read_contacts(duck, log100k), LEVELS, teams=teams)
    for lv in LEVELS:
        _same(got[lv], ref[lv], f"duckdb 100k {lv}")
    # the log is realistic enough to exercise every branch
    c = got["centre"]
    assert c["short_abandons"].sum() > 100 and c["transferred"].sum() > 1000
    assert (c["fcr_eligible"] < c["answered"]).all()  # missing customer ids
    assert 0.75 < c["fcr"].min() and c["fcr"].max() < 0.95


def test_shapes_of_the_input_tables(duck, two_files):
    got = compute(duck, read_contacts(duck, two_files), ["agent", "centre"])
    a = to_agent_kpis(got["agent"])
    assert list(a.columns[:7]) == ["agent_id", "month", "contacts", "fcr", "csat", "answer_rate", "aht_sec"]
    assert a["contacts"].tolist() == [3, 1, 3, 1] or a["contacts"].sum() == 8
    c = to_centre_kpis(got["centre"])
    assert list(c.columns[:6]) == ["month", "offered", "answered", "answer_rate", "fcr", "csat"]
    assert c["answered"].tolist() == [4, 4]


def test_params_reject_bad_options():
    with pytest.raises(ValueError, match="sl_denominator"):
        KpiParams(sl_denominator="abandoned")
    with pytest.raises(ValueError, match="repeat_window_sec"):
        KpiParams(repeat_window_sec=-1)
    with pytest.raises(ValueError, match="unknown KPI option"):
        KpiParams.from_mapping({"repeat_windw_sec": 3})


# ----------------------------------------------------------------------------- Spark (one shared session)

def test_spark_hand_worked_cases_and_variants(spark, two_files):
    t = read_contacts(spark, two_files)
    got = compute(spark, t, LEVELS, teams=cases.TEAMS)
    _check_hand(got, "spark")
    for lv in LEVELS:
        _same(got[lv], _ref(cases.log())[lv], f"spark vs reference, {lv}")
    # the options that change the repeat window's partition or its length (each Spark job costs seconds)
    for name in ("no_abandoned_repeats", "same_queue"):
        opts, col, exp = cases.VARIANTS[name]
        p = KpiParams(**opts)
        c = compute(spark, t, ["centre"], p)["centre"]
        _same(c, reference.kpis(cases.log(), "centre", p), f"spark {name} centre")


def test_spark_truncates_fractions_of_a_second(spark, tmp_path):
    _fractional_seconds_log().to_parquet(tmp_path / "frac.parquet", index=False)
    got = compute(spark, read_contacts(spark, tmp_path / "frac.parquet"), ["centre"])["centre"].iloc[0]
    for k, v in FRACTIONAL.items():
        assert got[k] == v, f"spark {k} = {got[k]}, expected {v}"


def test_spark_equals_reference_on_100k_contacts(spark, log100k, ref100k):
    df, teams, ref = ref100k
    got = compute(spark, read_contacts(spark, log100k), LEVELS, teams=teams)
    for lv in LEVELS:
        _same(got[lv], ref[lv], f"spark 100k {lv}")
