"""run_intake / write_intake on the valid fixture: the contract the pipeline relies on."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ccstudy.io.files import sha256_file
from ccstudy.io.intake import InputValidationError, run_intake, write_intake
from ccstudy.io.validate import Problem, ValidationReport, main_validate, validate_study
from ccstudy.params import load_params

DATA = Path(__file__).resolve().parents[1] / "data"
GOOD = DATA / "good"
ROOT = Path(__file__).resolve().parents[2]


def params_for(folder: Path, tmp_path: Path, **over):
    o = {"outputs": {"processed": str(tmp_path / "processed"), "reports": str(tmp_path / "reports")}}
    o.update(over)
    return load_params(folder / "params.yaml", overrides=o)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("good")
    return run_intake(params_for(GOOD, tmp))


def test_cleaning_log_is_exact(good):
    rows = [tuple(r) for r in good.cleaning_log.itertuples(index=False)]
    assert rows == [
        ("agent_kpis.csv", 21, "*", "contacts=12 < 30", "dropped", "min_contacts"),
        ("responses.csv", 4, "Q02", "9", "", "out_of_range"),
        ("responses.csv", 8, "*", "copy of row 7", "dropped", "duplicate_row"),
        ("responses.csv", 14, "*", "exit_date 2017-03-20 before the post wave (2017-06-05)", "dropped",
         "left_before_post"),
        ("responses.csv", 19, "straightliner", "all 6 answers = 4", "flagged", "straightlining"),
        ("responses.csv", 21, "*", "3 of 6 items answered", "dropped", "partial_response"),
        ("responses.csv", 23, "Q04", "0", "", "out_of_range"),
    ]
    assert list(good.cleaning_log.columns) == ["file", "row", "column", "old", "new", "rule"]


def test_tables_and_dtypes(good):
    t = good.tables
    assert set(t) == {"items", "responses", "roster", "agent_kpis", "centre_kpis", "training", "staff_survey",
                      "customer_survey"}
    resp = t["responses"]
    items = t["items"]["item"].tolist()
    assert items == ["Q01", "Q02", "Q03", "Q04", "Q05", "Q06"]
    assert list(resp.columns) == ["agent_id", "wave", "submitted", *items, "straightliner"]
    assert resp["submitted"].dtype == "datetime64[ns]"
    assert all(resp[i].dtype == np.float64 for i in items)
    assert resp["straightliner"].dtype == bool and resp["straightliner"].sum() == 1
    # sorted by agent then wave order (pre before post); one row per agent and wave
    keys = list(zip(resp["agent_id"], resp["wave"]))
    assert keys == sorted(keys, key=lambda k: (k[0], ["pre", "post"].index(k[1])))
    assert not resp.duplicated(["agent_id", "wave"]).any()
    # answers as given: reverse-keyed items are not recoded, out-of-range become NaN
    a03 = resp[(resp.agent_id == "A03") & (resp.wave == "pre")].iloc[0]
    assert np.isnan(a03["Q02"]) and a03["Q03"] == 1.0
    assert t["items"]["reverse"].tolist() == [False, False, True, False, False, True]
    roster = t["roster"]
    assert roster["hire_date"].dtype == "datetime64[ns]" and roster["exit_date"].dtype == "datetime64[ns]"
    assert roster["exit_date"].isna().sum() == 10
    k = t["agent_kpis"]
    assert k["month"].map(type).eq(str).all() and k["month"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert k["contacts"].dtype == np.int64 and k[["fcr", "csat", "answer_rate"]].le(1).all().all()
    c = t["centre_kpis"]
    assert c.loc[0, "answer_rate"] == pytest.approx(0.9735) and c.loc[0, "attrition"] == pytest.approx(0.0413)
    s = t["staff_survey"]
    assert s["satisfaction"].between(0, 1).all()
    assert s.loc[(s.team == "VIP") & (s.month == "2017-01"), "satisfaction"].iloc[0] == pytest.approx(4 / 6)
    tr = t["training"]
    assert tr["start_date"].dtype == "datetime64[ns]" and tr["satisfaction"].isna().sum() == 1
    assert good.encodings == {n: "utf-8" for n in t}


def test_summary_accounts_for_every_row(good):
    s = good.summary
    for name, info in s["inputs"].items():
        assert info["rows_read"] >= info["rows_kept"]
        if name != "items":
            assert info["rows_read"] == info["rows_kept"] + info["rows_dropped"], name
    assert s["cleaning"]["rules"] == {"duplicate_row": 1, "left_before_post": 1, "min_contacts": 1,
                                      "out_of_range": 2, "partial_response": 1, "straightlining": 1}
    assert s["responses"]["per_wave"] == {"post": 10, "pre": 11}


def test_write_intake_is_byte_identical_and_raw_files_untouched(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(GOOD, study)
    raw = {p.name: sha256_file(p) for p in study.glob("*.csv")}
    mtimes = {p.name: p.stat().st_mtime_ns for p in study.glob("*.csv")}
    p = params_for(study, tmp_path)
    paths1 = write_intake(run_intake(p), p)
    first = {k: v.read_bytes() for k, v in paths1.items()}
    paths2 = write_intake(run_intake(p), p)
    assert {k: v.read_bytes() for k, v in paths2.items()} == first
    names = sorted(x.name for x in (tmp_path / "processed").iterdir())
    assert names == sorted(["items.parquet", "responses.parquet", "roster.parquet", "agent_kpis.parquet",
                            "centre_kpis.parquet", "training.parquet", "staff_survey.parquet",
                            "customer_survey.parquet", "cleaning_log.csv", "intake_summary.json"])
    assert {p.name: sha256_file(p) for p in study.glob("*.csv")} == raw
    assert {p.name: p.stat().st_mtime_ns for p in study.glob("*.csv")} == mtimes
    back = pd.read_parquet(tmp_path / "processed" / "responses.parquet")
    assert back["submitted"].dtype == "datetime64[ns]"
    log = pd.read_csv(tmp_path / "processed" / "cleaning_log.csv", keep_default_na=False)
    assert len(log) == 7 and log["rule"].iloc[0] == "min_contacts"


def test_all_problems_collected_across_files(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(GOOD, study)
    (study / "roster.csv").write_text((GOOD / "roster.csv").read_text().replace("2013-06-24", "24/06/2013"))
    kp = (GOOD / "agent_kpis.csv").read_text().splitlines()
    kp[4] = kp[4].replace("A02", "Z02")
    kp[5] = kp[5].split(",", 3)[0] + "," + kp[5].split(",")[1] + ",many," + ",".join(kp[5].split(",")[3:])
    (study / "agent_kpis.csv").write_text("\n".join(kp) + "\n")
    (study / "responses.csv").write_text((GOOD / "responses.csv").read_text().replace(",pre,", ",PRE-WAVE,", 1))
    p = params_for(study, tmp_path)
    with pytest.raises(InputValidationError) as info:
        run_intake(p)
    err = info.value
    assert isinstance(err, ValueError)
    rules = sorted((q.file, q.rule) for q in err.report.problems)
    assert rules == [("agent_kpis.csv", "agent_not_in_roster"), ("agent_kpis.csv", "not_a_number"),
                     ("responses.csv", "not_allowed"), ("roster.csv", "date_unparseable")]
    text = str(err)
    assert "roster.csv, row 5, column hire_date: value '24/06/2013'" in text
    assert "agent_kpis.csv, row 5, column agent_id: value 'Z02'" in text
    assert "agent_kpis.csv, row 6, column contacts: value 'many'" in text
    md = (tmp_path / "reports" / "validation_report.md").read_text(encoding="utf-8")
    # user text is escaped for Markdown only where it could form markup: file names, snake_case
    # columns and dates stay readable in the .md source
    assert "| roster.csv | 5 | hire_date | '24/06/2013' | date_unparseable |" in md
    assert "4 problem(s) found" in md


def test_problem_grouping_text():
    p = Problem(file="responses.csv", rule="score_not_number", message="m", column="Q07",
                rows=(14, 15, 88, 90, 91), values=("abc", "x", "n/a", "?"), count=215)
    assert p.location() == "responses.csv, rows 14, 15, 88 and 212 more, column Q07"
    assert p.to_text() == ("responses.csv, rows 14, 15, 88 and 212 more, column Q07: values 'abc', 'x', 'n/a' … "
                           "— m [rule: score_not_number]")
    assert Problem(file="f", rule="r", message="m", rows=(3, 9), count=2).location() == "f, rows 3 and 9"
    assert Problem(file="f", rule="r", message="m", rows=(3,), count=1, column="c", header="工号").location() \
        == 'f, row 3, column c ("工号")'
    rep = ValidationReport(study="s", input_dir="d")
    assert rep.ok and "no problems" in rep.to_text() and "No problems found" in rep.to_markdown()


def test_many_bad_rows_are_grouped(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(GOOD, study)
    lines = (GOOD / "responses.csv").read_text().splitlines()
    lines = [lines[0]] + [ln.replace(",4,", ",four,", 1) for ln in lines[1:]]
    (study / "responses.csv").write_text("\n".join(lines) + "\n")
    report = validate_study(params_for(study, tmp_path))
    text = report.to_text()
    assert "and " in text and "more, column Q0" in text
    assert all(p.rule == "score_not_number" for p in report.problems)


def test_main_validate_exit_codes(tmp_path):
    buf = io.StringIO()
    study = tmp_path / "study"
    shutil.copytree(GOOD, study)
    (study / "params.yaml").write_text((GOOD / "params.yaml").read_text() + "outputs: {reports: rep}\n")
    assert main_validate(study / "params.yaml", stream=buf) == 0
    assert "no problems found" in buf.getvalue()
    assert (study / "rep" / "validation_report.md").is_file()
    (study / "roster.csv").write_text((GOOD / "roster.csv").read_text().replace("A05,", "A01,"))
    buf = io.StringIO()
    assert main_validate(study / "params.yaml", stream=buf) == 2
    assert "roster.csv, rows 2 and 6, column agent_id" in buf.getvalue()
    buf = io.StringIO()
    assert main_validate(tmp_path / "nope.yaml", stream=buf) == 2 and "not found" in buf.getvalue()


def test_headers_matched_loosely_and_columns_in_any_order(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(GOOD, study)
    df = pd.read_csv(GOOD / "roster.csv", dtype=str, keep_default_na=False)
    df = df[["team", "agent_id", "exit_date", "hire_date", "group", "gender"]]
    df.columns = ["Team", " Agent ID ", "EXIT_DATE", "hire-date", "group", "gender"]
    df.to_csv(study / "roster.csv", index=False)
    res = run_intake(params_for(study, tmp_path))
    ref = run_intake(params_for(GOOD, tmp_path / "ref"))
    assert res.tables["roster"].equals(ref.tables["roster"])


def test_ignore_columns_and_extra_columns(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(GOOD, study)
    lines = (GOOD / "responses.csv").read_text().splitlines()
    (study / "responses.csv").write_text("\n".join([lines[0] + ",team"] + [ln + ",x" for ln in lines[1:]]) + "\n")
    p = params_for(study, tmp_path, inputs={"responses": {"ignore_columns": ["team"]}})
    assert run_intake(p).tables["responses"].shape[1] == 10
    kp = (GOOD / "agent_kpis.csv").read_text().splitlines()
    (study / "agent_kpis.csv").write_text("\n".join([kp[0] + ",adherence"] + [ln + ",0.9" for ln in kp[1:]]) + "\n")
    k = run_intake(p).tables["agent_kpis"]
    assert k["adherence"].dtype == np.float64


def test_default_study_runs_clean_and_logs_the_mess(tmp_path):
    params_path = ROOT / "params" / "default.yaml"
    p = load_params(params_path, overrides={"outputs": {"processed": str(tmp_path / "p"),
                                                        "reports": str(tmp_path / "r")}})
    from ccstudy.io.files import sha256_folder

    def digests():  # the contact log is a folder: raw data is never modified, the log included
        return {n: sha256_folder(f) if f.is_dir() else sha256_file(f) for n, f in p.input_files().items()}

    before = digests()
    assert "contacts" in before
    res = run_intake(p)
    rules = res.summary["cleaning"]["rules"]
    for rule in ("duplicate_row", "out_of_range", "partial_response", "straightlining", "left_before_post",
                 "min_contacts"):
        assert rules.get(rule, 0) > 0, rule
    assert digests() == before
    resp = res.tables["responses"]
    items = res.tables["items"]["item"].tolist()
    v = resp[items].to_numpy()
    assert np.all(np.isnan(v) | ((v >= 1) & (v <= 5)))


def test_long_layout_logs_the_long_rows(tmp_path):
    p = params_for(DATA / "bad" / "long_layout", tmp_path)
    log = run_intake(p).cleaning_log
    resp = log[log["file"] == "responses.csv"]
    rows = [tuple(r) for r in resp.itertuples(index=False)]
    assert ("responses.csv", 15, "Q02", "9", "", "out_of_range") in rows          # the answer's own row
    assert ("responses.csv", 38, "*", "copy of row 32", "dropped", "duplicate_row") in rows
    assert sum(r[5] == "duplicate_row" for r in rows) == 6                          # one per long row
    assert ("responses.csv", 116, "*", "3 of 6 items answered", "dropped", "partial_response") in rows
