"""Damaged exports that are read correctly: the parsed values themselves, not just "no error".

Every case here is a folder of tests/data/bad/ (built by make_bad.py) that must be *accepted*; the
test asserts the values the intake produced, so a silent misparse (mojibake, a rescaled rate, a
lost column, a sentinel read as a date) fails.  Rejected cases are in test_bad_corpus.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ccstudy.io.intake import run_intake
from ccstudy.params import load_params

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
GOOD = BAD.parent / "good"


def _run(folder: Path, tmp_path: Path):
    p = load_params(folder / "params.yaml",
                    overrides={"outputs": {"processed": str(tmp_path / "p"), "reports": str(tmp_path / "r")}})
    return run_intake(p)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return _run(GOOD, tmp_path_factory.mktemp("good"))


def _teams(res) -> dict[str, str]:
    r = res.tables["roster"]
    return dict(zip(r["agent_id"], r["team"]))


def _log(res, rule: str) -> pd.DataFrame:
    log = res.cleaning_log
    return log[log["rule"] == rule].reset_index(drop=True)


def check_encoding_cp1252(res, good):
    assert res.encodings["roster"] == "cp1252"
    r = res.tables["roster"].set_index("agent_id")
    assert r.loc["A03", "style"] == "José's way"
    assert (r.drop(index="A03")["style"] == "calm").all()


def check_encoding_cp1252_teams(res, good):
    assert res.encodings["roster"] == "cp1252"
    assert _teams(res) == {a: {"VIP": "Équipe Müller", "T01": "Señor Équipe"}[t] for a, t in _teams(good).items()}


def check_encoding_big5(res, good):
    assert res.encodings["roster"] == "big5"
    assert _teams(res) == {a: {"VIP": "客服一組", "T01": "貴賓組"}[t] for a, t in _teams(good).items()}


def check_encoding_ambiguous_declared(res, good):
    assert res.encodings["roster"] == "big5"
    assert _teams(res) == {a: {"VIP": "偉馬", "T01": "偷"}[t] for a, t in _teams(good).items()}


def check_rates_percent_sign_mixed(res, good):
    """'78.1%' among fractions is unambiguous: read as 0.781, the column equals the good one."""
    got, ref = res.tables["agent_kpis"], good.tables["agent_kpis"]
    assert list(got["fcr"]) == pytest.approx(list(ref["fcr"]), rel=1e-12)
    assert got["fcr"].max() <= 1.0


def check_exit_sentinel_declared(res, good):
    r = res.tables["roster"].set_index("agent_id")
    assert pd.isna(r.loc["A03", "exit_date"])
    log = _log(res, "exit_date_sentinel")
    assert log[["file", "row", "column", "old"]].to_dict("records") == [
        {"file": "roster.csv", "row": 4, "column": "exit_date", "old": "9999-12-31"}]
    pd.testing.assert_frame_equal(res.tables["roster"], good.tables["roster"])


def check_summary_row_dropped(res, good):
    pd.testing.assert_frame_equal(res.tables["customer_survey"], good.tables["customer_survey"])
    log = _log(res, "summary_row")
    assert log[["file", "row", "column", "new"]].to_dict("records") == [
        {"file": "customer_survey.csv", "row": 10, "column": "*", "new": "dropped"}]
    assert "Total" in log["old"].iloc[0]


def check_exit_date_chinese_unmapped(res, good):
    """Accepted, but the unmapped exit-date column is named in the report with the mapping to add."""
    assert res.tables["roster"]["exit_date"].isna().all()   # the leavers are not known ...
    assert len(_log(res, "left_before_post")) == 0          # ... so nobody is dropped as a leaver
    assert res.tables["roster"]["离职日期"].tolist() == good.tables["roster"]["exit_date"].dt.strftime(
        "%Y-%m-%d").fillna("").tolist()
    notes = " ".join(res.report.notes) if res.report is not None else ""
    assert "roster.csv: column '离职日期' is not used by any analysis" in notes
    assert 'inputs.roster.columns: {exit_date: "离职日期"}' in notes


def check_exit_date_chinese_mapped(res, good):
    pd.testing.assert_frame_equal(res.tables["roster"], good.tables["roster"])
    assert len(_log(res, "left_before_post")) == len(_log(good, "left_before_post")) == 1


ACCEPTED = {name.removeprefix("check_"): fn for name, fn in list(globals().items()) if name.startswith("check_")}


def test_good_fixture_has_no_notes(good):
    assert good.report is not None and good.report.notes == []


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_accepted_case_values(case, good, tmp_path):
    res = _run(BAD / case, tmp_path)
    ACCEPTED[case](res, good)
