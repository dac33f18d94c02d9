"""Contact logs: validation names file, row and column; bad rows are dropped with a cleaning-log row."""

from __future__ import annotations

import pandas as pd
import pytest

import cases
import reference
from ccstudy.io.contacts import CONTACT_ROW_RULES, ContactLogError, read_contacts, stage_contacts
from ccstudy.kpi import compute

# Ibis 12 calls APIs that pandas 3 / DuckDB 2 deprecate; not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
              pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning")]


def _csv_text(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in ("offered_at", "answered_at", "ended_at"):
        out[c] = out[c].dt.strftime("%Y-%m-%d %H:%M:%S").where(out[c].notna(), "")
    return out


def test_clean_log_stages_unchanged_and_gives_the_same_kpis(tmp_path, duck):
    cases.write_two_files(tmp_path / "raw")
    before = {p.name: p.read_bytes() for p in (tmp_path / "raw").iterdir()}
    st = stage_contacts(tmp_path / "raw", tmp_path / "staged" / "contacts.parquet")
    assert st.rows_read == {"feb.parquet": 6, "jan.parquet": 5} and st.rows_kept == 11
    assert len(st.cleaning_log) == 0
    assert {p.name: p.read_bytes() for p in (tmp_path / "raw").iterdir()} == before  # raw never modified
    got = compute(duck, read_contacts(duck, st.path), ["centre"])["centre"]
    want = reference.kpis(cases.log(), "centre")
    assert got["fcr_resolved"].tolist() == want["fcr_resolved"].tolist() == [2, 2]
    assert got["offered"].tolist() == [5, 6]


def test_bad_rows_are_dropped_with_a_cleaning_log_row_naming_file_row_column(tmp_path, duck):
    df = _csv_text(cases.log())
    df = df.rename(columns={"offered_at": "Start Time", "contact_id": "Call ID"})
    bad = df.copy()
    extra = []
    r = bad.iloc[0].copy(); r["Call ID"] = "b1"; r["answered_at"] = "2024-01-10 08:59:00"; extra.append(r)  # answered before offered
    r = bad.iloc[1].copy(); r["Call ID"] = "b2"; r["talk_sec"] = -5.0; extra.append(r)                     # negative talk
    r = bad.iloc[2].copy(); extra.append(r)                                                                # duplicate id c03
    r = bad.iloc[3].copy(); r["Call ID"] = "b4"; r["Start Time"] = "31/01/2024 23:50"; extra.append(r)    # unparseable
    bad = pd.concat([bad, pd.DataFrame(extra)], ignore_index=True)
    path = tmp_path / "log.csv"
    bad.to_csv(path, index=False)
    st = stage_contacts(path, tmp_path / "contacts.parquet",
                        columns={"offered_at": "Start Time", "contact_id": "Call ID"})
    log = st.cleaning_log
    # CSV rows are spreadsheet rows: header = row 1, first data row = row 2; the 12th data row is row 13
    got = set(zip(log["file"], log["row"], log["column"], log["rule"]))
    assert ("log.csv", 13, "answered_at", "answered_before_offered") in got
    assert ("log.csv", 14, "talk_sec", "negative_duration") in got
    assert ("log.csv", 15, "contact_id", "duplicate_contact_id") in got
    assert ("log.csv", 16, "offered_at", "timestamp_unparseable") in got
    assert log.loc[log["rule"] == "timestamp_unparseable", "old"].tolist() == ["31/01/2024 23:50"]
    assert log.loc[log["rule"] == "duplicate_contact_id", "old"].tolist() == ["c03 (first in log.csv row 4)"]
    assert set(log["rule"]) <= set(CONTACT_ROW_RULES)
    assert (log["new"] == "(row dropped)").all()
    assert st.rows_read == {"log.csv": 15} and st.rows_kept == 11
    got = compute(duck, read_contacts(duck, st.path), ["centre"])["centre"]
    want = reference.kpis(cases.log(), "centre")
    for c in ("offered", "answered", "fcr_resolved", "handle_sec_total"):
        assert got[c].tolist() == want[c].tolist(), c


def test_duplicate_contact_across_files_keeps_the_first(tmp_path):
    cases.write_two_files(tmp_path / "raw")
    feb = pd.read_parquet(tmp_path / "raw" / "feb.parquet")
    jan = pd.read_parquet(tmp_path / "raw" / "jan.parquet")
    pd.concat([feb, jan.iloc[[0]]]).to_parquet(tmp_path / "raw" / "feb.parquet", index=False)
    st = stage_contacts(tmp_path / "raw", tmp_path / "c.parquet")
    # files are read in name order: feb.parquet before jan.parquet, so jan's c01 (row 1) is the later copy
    assert st.cleaning_log[["file", "row", "rule"]].values.tolist() == [["jan.parquet", 1, "duplicate_contact_id"]]
    assert st.cleaning_log["old"].tolist() == ["c01 (first in feb.parquet row 7)"]
    assert st.rows_kept == 11


def test_missing_column_and_missing_file_are_clear_errors(tmp_path):
    df = cases.log().drop(columns=["talk_sec"])
    df.to_parquet(tmp_path / "a.parquet", index=False)
    with pytest.raises(ContactLogError) as e:
        stage_contacts(tmp_path / "a.parquet", tmp_path / "out.parquet")
    assert "a.parquet, column talk_sec" in str(e.value) and "missing_column" in str(e.value)
    with pytest.raises(ContactLogError, match="does not exist"):
        stage_contacts(tmp_path / "nope.parquet", tmp_path / "out.parquet")
    with pytest.raises(ContactLogError, match='column talk_sec \\("Talk"\\)'):
        cases.log().to_parquet(tmp_path / "b.parquet", index=False)
        stage_contacts(tmp_path / "b.parquet", tmp_path / "out.parquet", columns={"talk_sec": "Talk"})


def test_staged_rows_keep_the_files_and_rows_order_whichever_way_bad_rows_are_removed(tmp_path):
    """No bad row, a few (removed by row number) or many (removed by the rules again): same order, same rows."""
    from ccstudy.synth_contacts import write_contacts

    write_contacts(tmp_path / "raw", 30_000, seed=3, days=40, agents=40)
    files = sorted((tmp_path / "raw").glob("*.parquet"))
    assert len(files) == 2
    clean = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    st = stage_contacts(tmp_path / "raw", tmp_path / "clean.parquet")
    staged = pd.read_parquet(st.path)
    assert staged["contact_id"].tolist() == clean["contact_id"].tolist()
    pd.testing.assert_series_equal(staged["offered_at"], clean["offered_at"], check_dtype=False)

    # file 1: 3 bad rows; file 2: 2,500 bad rows (negative talk time on answered contacts)
    a, b = pd.read_parquet(files[0]), pd.read_parquet(files[1])
    a.loc[[5, 700, 9000], "talk_sec"] = -1.0
    answered_b = b.index[~b["abandoned"]][:2500]
    b.loc[answered_b, "talk_sec"] = -2.0
    a.to_parquet(tmp_path / "raw" / files[0].name, index=False)
    b.to_parquet(tmp_path / "raw" / files[1].name, index=False)
    st = stage_contacts(tmp_path / "raw", tmp_path / "bad.parquet")
    want = pd.concat([a.drop(index=[5, 700, 9000]), b.drop(index=answered_b)], ignore_index=True)
    assert pd.read_parquet(st.path)["contact_id"].tolist() == want["contact_id"].tolist()
    log = st.cleaning_log
    assert (log["rule"] == "negative_duration").all() and len(log) == 2503
    assert log.loc[log["file"] == files[0].name, "row"].tolist() == [6, 701, 9001]  # Parquet rows count from 1
    assert st.rows_kept == 30_000 - 2503


def test_a_blank_timestamp_cell_of_spaces_is_a_missing_value_not_a_silent_null(tmp_path):
    df = _csv_text(cases.log())
    df.loc[2, "offered_at"] = "   "
    df.to_csv(tmp_path / "log.csv", index=False)
    st = stage_contacts(tmp_path / "log.csv", tmp_path / "c.parquet")
    log = st.cleaning_log
    assert log[["row", "column", "rule"]].values.tolist() == [[4, "offered_at", "required_value"]]
    assert pd.read_parquet(st.path)["offered_at"].notna().all() and st.rows_kept == 10
