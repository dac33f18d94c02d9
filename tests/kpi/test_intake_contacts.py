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
