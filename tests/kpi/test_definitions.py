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


def test_spark_equals_reference_on_100k_contacts(spark, log100k, ref100k):
    df, teams, ref = ref100k
    got = compute(spark, read_contacts(spark, log100k), LEVELS, teams=teams)
    for lv in LEVELS:
        _same(got[lv], ref[lv], f"spark 100k {lv}")
