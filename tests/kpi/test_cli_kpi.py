"""`ccstudy synth --contacts N` and `ccstudy kpi`: seeded logs, KPI tables with progress lines."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import reference
from ccstudy.cli import app

runner = CliRunner()
pytestmark = [pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
              pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning")]


def test_synth_contacts_then_kpi(tmp_path):
    log = tmp_path / "log"
    r = runner.invoke(app, ["synth", "--contacts", "20000", "--out", str(log), "--days", "40", "--agents", "50",
                            "--seed", "5"])
    assert r.exit_code == 0, r.output
    assert "20,000 contacts in 2 file(s)" in r.output
    assert sorted(p.name for p in log.iterdir()) == ["contacts-2024-01.parquet", "contacts-2024-02.parquet"]
    df = pd.read_parquet(log)
    assert len(df) == 20_000 and df["contact_id"].is_unique
    # same seed, same rows; another seed, other rows
    again = tmp_path / "again"
    runner.invoke(app, ["synth", "--contacts", "20000", "--out", str(again), "--days", "40", "--agents", "50",
                        "--seed", "5"])
    assert pd.read_parquet(again).equals(df)
    other = tmp_path / "other"
    runner.invoke(app, ["synth", "--contacts", "20000", "--out", str(other), "--days", "40", "--agents", "50",
                        "--seed", "6"])
    assert not pd.read_parquet(other).equals(df)

    out = tmp_path / "kpi"
    r = runner.invoke(app, ["kpi", str(log), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "20,000 contacts on duckdb" in r.output and "contacts/s" in r.output
    assert not (out / "team_month.parquet").exists()
    roster = tmp_path / "roster.csv"
    pd.DataFrame({"agent_id": [f"A{i:04d}" for i in range(1, 51)],
                  "team": [f"T{i % 3}" for i in range(1, 51)]}).to_csv(roster, index=False)
    r = runner.invoke(app, ["kpi", str(log), "--out", str(out), "--roster", str(roster)])
    assert r.exit_code == 0, r.output
    assert pd.read_parquet(out / "team_month.parquet")["team"].tolist() == ["T0", "T0", "T1", "T1", "T2", "T2"]
    got = pd.read_parquet(out / "centre_month.parquet")
    want = reference.kpis(df, "centre")
    assert got["offered"].tolist() == want["offered"].tolist()
    assert got["fcr"].tolist() == want["fcr"].tolist()


def test_kpi_on_a_missing_log_is_a_clear_error(tmp_path):
    r = runner.invoke(app, ["kpi", str(tmp_path / "nope")])
    assert r.exit_code == 1
    assert "does not exist" in r.output and "Traceback" not in r.output
