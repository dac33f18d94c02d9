"""Progress of long contact-log work: rows processed rise, and each phase ends at the log's rows.

No timing is asserted: only the order of the reports, that rows never go back,
and that the last report of every phase is flagged done with rows = total = the
rows of the log (or of the files checked so far, while staging).
"""

from __future__ import annotations

import threading

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

import cases
from ccstudy.io.contacts import count_rows, progress_to, read_contacts, stage_contacts
from ccstudy.kpi import compute
from ccstudy.kpi.progress import Phase, Progress, watch_query

pytestmark = [pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
              pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning")]


class Recorder:
    """A thread-safe callback keeping every report."""

    def __init__(self) -> None:
        self.events: list[Progress] = []
        self._lock = threading.Lock()

    def __call__(self, p: Progress) -> None:
        with self._lock:
            self.events.append(p)

    def phases(self) -> dict[str, list[Progress]]:
        out: dict[str, list[Progress]] = {}
        for e in self.events:
            out.setdefault(e.phase, []).append(e)
        return out


def _check_phase(events: list[Progress], total: int, where: str) -> None:
    rows = [e.rows for e in events]
    running = rows[:-1]  # the reports while the phase runs rise strictly; the final one may repeat the last
    assert running == sorted(set(running)) and rows == sorted(rows), f"{where}: rows not increasing: {rows}"
    assert all(not e.done for e in events[:-1]), where
    last = events[-1]
    assert last.done and last.rows == last.total == total, f"{where}: last report {last}"
    assert all(0 <= r <= total for r in rows), where


@pytest.fixture(scope="module")
def log20k(tmp_path_factory):
    from ccstudy.synth_contacts import write_contacts

    folder = tmp_path_factory.mktemp("log20k")
    write_contacts(folder, 20_000, seed=11, days=40, agents=60)
    return folder


def test_count_rows_reads_the_parquet_metadata(log20k, tmp_path):
    assert count_rows(log20k) == len(pd.read_parquet(log20k)) == 20_000
    cases.log().to_csv(tmp_path / "log.csv", index=False)
    assert count_rows(tmp_path / "log.csv") is None


def test_compute_reports_each_query_up_to_the_logs_rows(duck, log20k):
    rec = Recorder()
    t = read_contacts(duck, log20k)
    got = compute(duck, t, ["agent", "centre"], on_progress=rec)  # total counted when not given
    ph = rec.phases()
    assert list(ph) == ["contacts", "agent-month", "centre-month"]  # the shared window pass, then each level
    for name, events in ph.items():
        _check_phase(events, 20_000, name)
    # progress changes nothing in the results
    plain = compute(duck, read_contacts(duck, log20k), ["agent", "centre"])
    for lv in ("agent", "centre"):
        pd.testing.assert_frame_equal(got[lv], plain[lv])


def test_a_running_duckdb_query_reports_increasing_rows(duck):
    """The watcher polls DuckDB's own progress: several rising reports before the final one."""
    rec = Recorder()
    total = 1_000
    with watch_query(duck, Phase(rec, "work", total), interval=0.005):
        # a query that runs for a while (a self-join of a few million rows): progress is sampled meanwhile
        duck.con.execute("SELECT count(*) FROM range(3000000) a JOIN range(3000000) b ON a.range = b.range "
                         "WHERE (a.range * 7) % 13 = 1").fetchall()
    _check_phase(rec.events, total, "duckdb query")
    assert len(rec.events) >= 2, f"no report while the query ran: {rec.events}"


def test_staging_reports_per_file_then_the_write(tmp_path):
    cases.write_two_files(tmp_path / "raw")  # feb.parquet (6 rows) and jan.parquet (5 rows), read in name order
    rec = Recorder()
    st = stage_contacts(tmp_path / "raw", tmp_path / "contacts.parquet", on_progress=rec)
    ph = rec.phases()
    assert [e.rows for e in ph["check"]] == [6, 11, 11] and [e.done for e in ph["check"]] == [False, False, True]
    _check_phase(ph["check"], 11, "check")
    _check_phase(ph["write"], st.rows_kept, "write")
    assert st.rows_kept == 11


def test_progress_to_reaches_staging_called_by_other_code(tmp_path):
    cases.write_two_files(tmp_path / "raw")
    rec = Recorder()
    stage_contacts(tmp_path / "raw", None)
    assert rec.events == []
    with progress_to(rec):
        st = stage_contacts(tmp_path / "raw", None)  # check only: nothing written, no write phase
    assert st.path is None and st.rows_kept == 11
    assert set(rec.phases()) == {"check"}
    _check_phase(rec.phases()["check"], 11, "check")


def test_a_failing_query_ends_its_phase_without_a_done_report(duck):
    rec = Recorder()
    with pytest.raises(duckdb.Error):
        with watch_query(duck, Phase(rec, "bad", 10)):
            duck.con.execute("SELECT * FROM no_such_table").fetchall()
    assert not any(e.done for e in rec.events)


def test_cli_kpi_prints_final_lines_and_no_bar_when_stderr_is_not_a_terminal(log20k, tmp_path):
    from ccstudy.cli import app

    r = CliRunner().invoke(app, ["kpi", str(log20k), "--out", str(tmp_path / "kpi")])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "20,000 contacts on duckdb"
    assert any(ln.strip().startswith("✓ agent-month") and "contacts/s" in ln for ln in lines)
    assert lines[-1].startswith("20,000 contacts in ") and "contacts/s" in lines[-1]
    assert "━" not in r.output and "rows/s" not in r.output  # the live bar is not drawn in a pipe


def test_spark_compute_reports_up_to_the_logs_rows(spark, log20k):
    rec = Recorder()
    compute(spark, read_contacts(spark, log20k), ["centre"], on_progress=rec, total_rows=count_rows(log20k))
    _check_phase(rec.phases()["centre-month"], 20_000, "spark centre-month")


def test_cli_validate_reports_the_staging_of_a_contact_log(tmp_path):
    from test_intake_contacts import _study

    from ccstudy.cli import app

    ppath = _study(tmp_path)
    r = CliRunner().invoke(app, ["validate", str(ppath)])
    assert r.exit_code == 0, r.output
    check = [ln for ln in r.output.splitlines() if "contacts check" in ln]
    assert len(check) == 1 and "40,000 rows" in check[0] and "rows/s" in check[0], r.output
    assert "━" not in r.output
