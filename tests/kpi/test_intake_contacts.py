"""A study with a contact log instead of agent KPIs: intake derives the agent-month table from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

import reference
from ccstudy.io.intake import InputValidationError, run_intake
from ccstudy.params import copy_study, load_params
from ccstudy.synth_contacts import write_contacts

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
              pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning")]


def _study(tmp_path, bad_row: bool = False, agents: int = 800) -> Path:
    ppath = copy_study(ROOT / "params" / "default.yaml", tmp_path)
    raw = yaml.safe_load(ppath.read_text(encoding="utf-8"))
    del raw["inputs"]["agent_kpis"]
    raw["inputs"]["contacts"] = {"file": "contacts"}
    raw["kpi"] = {"repeat_window_sec": 86400}
    ppath.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    p = load_params(ppath)
    folder = p.input_dir / "contacts"
    write_contacts(folder, 40_000, seed=3, start="2016-12-01", days=62, agents=agents)
    if bad_row:
        t = pq.read_table(folder / "contacts-2017-01.parquet").slice(0, 2).to_pandas()
        t["contact_id"] = ["X1", "X2"]
        t.loc[0, "talk_sec"] = -3.0  # negative talk time
        t.to_parquet(folder / "contacts-zz-late.parquet", index=False)
    return ppath


def test_agent_kpis_are_derived_from_the_contact_log(tmp_path):
    p = load_params(_study(tmp_path, bad_row=True))
    res = run_intake(p, write_validation_report=False)
    a = res.tables["agent_kpis"]
    assert list(a.columns[:7]) == ["agent_id", "month", "contacts", "fcr", "csat", "answer_rate", "aht_sec"]
    assert set(a["month"]) == {"2016-12", "2017-01"}
    # same numbers as the pandas reference on the same log (24 h window as declared in params)
    from ccstudy.kpi import KpiParams

    log = pd.read_parquet(p.input_dir / "contacts")
    log = log[log["contact_id"] != "X1"]  # the row with a negative talk time is dropped (below)
    ref = reference.kpis(log, "agent", KpiParams(repeat_window_sec=86400))
    ref = ref[ref["answered"] >= 30]  # cleaning.min_contacts_per_month
    m = a.merge(ref, on=["agent_id", "month"], suffixes=("", "_ref"))
    assert len(m) == len(a) == len(ref)
    assert (m["contacts"] == m["answered"]).all()
    for c in ("fcr", "csat", "answer_rate", "aht_sec"):
        assert np.array_equal(m[c].to_numpy(float), m[f"{c}_ref"].to_numpy(float), equal_nan=True), c
    # the centre table from the file is kept; the contact-level tables are there too
    assert res.tables["centre_kpis"]["month"].iloc[0] == "2016-03"
    assert {"contact_kpis_agent_month", "contact_kpis_team_month", "contact_kpis_centre_month"} <= set(res.tables)
    assert res.summary["inputs"]["contacts"]["rows_read"] == 40_002
    assert res.summary["kpi"]["repeat_window_sec"] == 86400
    # the bad row is a cleaning-log row naming the file (inside the log folder), row, column and value
    log = res.cleaning_log
    row = log[log["rule"] == "negative_duration"]
    assert row[["file", "row", "column", "old"]].values.tolist() == [
        ["contacts/contacts-zz-late.parquet", 1, "talk_sec", "-3.0"]]
    assert res.summary["inputs"]["contacts"]["rows_dropped"] == 1


def test_agents_missing_from_the_roster_stop_the_run(tmp_path):
    p = load_params(_study(tmp_path, agents=900))
    with pytest.raises(InputValidationError, match="agent_not_in_roster"):
        run_intake(p, write_validation_report=False)


def test_validate_names_a_missing_contact_column(tmp_path):
    from ccstudy.io.validate import validate_study

    p = load_params(_study(tmp_path))
    ok = validate_study(p)
    assert ok.ok and ok.files["contacts"]["rows_read"] == 40_000
    f = p.input_dir / "contacts" / "contacts-2017-01.parquet"
    pd.read_parquet(f).drop(columns=["ended_at"]).to_parquet(f, index=False)
    bad = validate_study(p)
    assert not bad.ok
    assert "contacts/contacts-2017-01.parquet, column ended_at" in bad.to_text()
    with pytest.raises(InputValidationError, match="contacts-2017-01.parquet, column ended_at"):
        run_intake(p, write_validation_report=False)


def _study_with_files(tmp_path, agent_file: pd.DataFrame | None = None, centre_file: pd.DataFrame | None = None
                      ) -> Path:
    """The default study with a small log, keeping (or replacing) its agent_kpis and centre_kpis files."""
    ppath = _study(tmp_path)
    raw = yaml.safe_load(ppath.read_text(encoding="utf-8"))
    raw["inputs"]["agent_kpis"] = {"file": "agent_kpis.csv"}
    ppath.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    p = load_params(ppath)
    if agent_file is not None:
        agent_file.to_csv(p.input_dir / "agent_kpis.csv", index=False)
    if centre_file is not None:
        centre_file.to_csv(p.input_dir / "centre_kpis.csv", index=False)
    return ppath


def test_file_columns_the_log_cannot_give_are_joined(tmp_path):
    p = load_params(_study_with_files(tmp_path))
    qa = pd.read_csv(p.input_dir / "agent_kpis.csv", dtype={"agent_id": str, "month": str})
    hr = pd.read_csv(p.input_dir / "centre_kpis.csv", dtype={"month": str})
    assert list(qa.columns) == ["agent_id", "month", "qa_score"]
    assert list(hr.columns) == ["month", "headcount", "leavers", "attrition"]
    res = run_intake(p, write_validation_report=False)
    a = res.tables["agent_kpis"]
    assert {"contacts", "fcr", "csat", "answer_rate", "aht_sec", "qa_score"} <= set(a.columns)
    m = a.merge(qa, on=["agent_id", "month"], how="left", suffixes=("", "_file"))
    assert len(m) == len(a) and np.array_equal(m["qa_score"].to_numpy(float), m["qa_score_file"].to_numpy(float),
                                               equal_nan=True)
    # QA rows of agent-months the log does not have (other months) are dropped, each logged
    in_log = set(zip(res.tables["contact_kpis_agent_month"]["agent_id"], res.tables["contact_kpis_agent_month"]["month"]))
    outside = sum((r.agent_id, r.month) not in in_log for r in qa.itertuples())
    log = res.cleaning_log
    dropped = log[log["rule"] == "no_contacts"]
    assert len(dropped) == outside > 0
    assert set(dropped["file"]) == {"agent_kpis.csv"} and set(dropped["column"]) == {"*"}
    # the centre table: the log's KPIs for its months, the HR series for every month of the file
    c = res.tables["centre_kpis"].set_index("month")
    assert list(c.index) == sorted(set(hr["month"]) | {"2016-12", "2017-01"})
    assert np.allclose(c.loc[hr["month"], "attrition"].to_numpy(), hr["attrition"].to_numpy() / 100)
    assert c.loc["2017-01", "offered"] > 0 and np.isnan(c.loc["2016-03", "fcr"])


@pytest.mark.parametrize("which, column", [("agent", "fcr"), ("agent", "contacts"), ("centre", "fcr"),
                                           ("centre", "answer_rate")])
def test_a_kpi_given_by_the_file_and_the_log_is_an_error(tmp_path, which, column):
    from ccstudy.io.validate import validate_study

    src = ROOT / "data" / "raw" / "default"
    if which == "agent":
        f = pd.read_csv(src / "agent_kpis.csv", dtype=str).assign(**{column: "0.9" if column != "contacts" else "40"})
        ppath = _study_with_files(tmp_path, agent_file=f)
        where = f"agent_kpis.csv, column {column}"
    else:
        f = pd.read_csv(src / "centre_kpis.csv", dtype=str).assign(**{column: "90"})
        ppath = _study_with_files(tmp_path, centre_file=f)
        where = f"centre_kpis.csv, column {column}"
    p = load_params(ppath)
    report = validate_study(p)
    assert not report.ok
    text = report.to_text()
    assert where in text and "kpi_in_both" in text and "contact log" in text
    with pytest.raises(InputValidationError, match="kpi_in_both") as exc:
        run_intake(p, write_validation_report=False)
    assert where in str(exc.value) and "Traceback" not in str(exc.value)


def test_validity_kpis_may_name_what_the_log_gives(tmp_path):
    """validity.kpis names fcr, which the QA-only agent file lacks: the log gives it, so no kpi_missing."""
    from ccstudy.io.validate import validate_study

    p = load_params(_study_with_files(tmp_path))
    assert p.written("validity.kpis") and "fcr" in p.get("validity.kpis")
    report = validate_study(p)
    assert report.ok, report.to_text()
