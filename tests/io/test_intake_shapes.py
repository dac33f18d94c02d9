"""Intake for any study shape, and params values checked against the data in the same pass.

Each test writes a small study (params + exports) and runs validation / intake on it; the
expected outcome is spelled out (tables, columns, located messages).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ccstudy.io.intake import InputValidationError, run_intake
from ccstudy.io.validate import validate_files, validate_study
from ccstudy.params import load_params
from studies import write_csv

GOOD = Path(__file__).resolve().parents[1] / "data" / "good"



def _study(tmp_path: Path, params: str, files: dict[str, tuple[list, list] | tuple[list, list, str]]) -> Path:
    d = tmp_path / "study"
    d.mkdir(exist_ok=True)
    for name, spec in files.items():
        write_csv(d / name, *spec)
    p = d / "study.yaml"
    p.write_text(params + "outputs: {processed: out, reports: rep}\n", encoding="utf-8")
    return p


# A baseline assessment as an analyst's export gives it: GBK, Chinese headers, item ids with spaces and
# CJK, Chinese competency names, a 1-6 scale with missing answers, one dimension holding one competency,
# reverse flags 是/否/blank, no wave column, no submitted column, no roster, no KPIs.
ITEMS_ZH = [("A1 题目", "倾听", "沟通", "否"), ("A2 题目", "倾听", "沟通", "是"), ("B1", "同理心", "沟通", ""),
            ("B2", "同理心", "沟通", "否"), ("C1", "产品知识", "专业", "否"), ("C2", "产品知识", "专业", "是")]


def _baseline_zh(tmp_path: Path) -> Path:
    rng = np.random.default_rng(7)
    rows = []
    for a in range(40):
        answers = [str(v) for v in rng.integers(1, 7, size=len(ITEMS_ZH))]
        if a % 7 == 3:
            answers[2] = ""  # a missing answer
        rows.append([f"E{a:03d}"] + answers)
    return _study(tmp_path, """\
study: baseline_zh
scale: {min: 1, max: 6}
inputs:
  dir: .
  items:
    file: items.csv
    encoding: gbk
    columns: {item: 题号, competency: 能力, dimension: 维度, reverse: 反向}
  responses:
    file: responses.csv
    columns: {agent_id: 工号}
waves: [基线]
""", {"items.csv": (["题号", "能力", "维度", "反向"], [list(i) for i in ITEMS_ZH], "gbk"),
      "responses.csv": (["工号"] + [i[0] for i in ITEMS_ZH], rows, "gbk")})


def test_baseline_only_chinese_export_runs_intake(tmp_path):
    params = load_params(_baseline_zh(tmp_path))
    res = run_intake(params)
    assert set(res.tables) == {"items", "responses"}
    items = res.tables["items"]
    assert items["item"].tolist() == [i[0] for i in ITEMS_ZH]
    assert items["reverse"].tolist() == [False, True, False, False, False, True]
    assert items["dimension"].tolist() == ["沟通"] * 4 + ["专业"] * 2
    assert items["competency_label"].tolist() == items["competency"].tolist()  # labels fall back to the ids
    assert items["kind"].isna().all()
    resp = res.tables["responses"]
    assert list(resp.columns) == ["agent_id", "wave"] + [i[0] for i in ITEMS_ZH] + ["straightliner"]
    assert (resp["wave"] == "基线").all() and len(resp) <= 40
    assert resp["B1"].isna().sum() >= 1


def test_baseline_only_validate_files_is_clean(tmp_path):
    params, report = validate_files(_baseline_zh(tmp_path))
    assert params is not None and report.ok, report.to_text()


def test_no_dimensions_and_item_kinds(tmp_path):
    p = _study(tmp_path, """\
study: nodims
scale: {min: 0, max: 10}
inputs: {dir: ., items: {file: items.csv}, responses: {file: responses.csv}}
waves: [T1]
""", {"items.csv": (["item", "competency", "kind", "text"],
                    [["k1", "facts", "知识", "How many…"], ["k2", "facts", "knowledge", ""],
                     ["s1", "tone", "软技能", ""], ["s2", "tone", "soft skill", ""]]),
      "responses.csv": (["agent_id", "k1", "k2", "s1", "s2"],
                        [[f"a{i}", str(i % 11), str((i * 3) % 11), str((i * 7) % 11), "10"] for i in range(12)])})
    res = run_intake(load_params(p))
    items = res.tables["items"]
    assert items["dimension"].isna().all() and items["dimension_label"].isna().all()
    assert items["kind"].tolist() == ["knowledge", "knowledge", "soft_skill", "soft_skill"]
    assert items["reverse"].tolist() == [False] * 4
    assert res.tables["responses"]["s2"].eq(10).all()  # 0-10 scale: 10 is in range


def test_item_map_rules(tmp_path):
    many = [[f"q{i}", "big", "d" if i % 2 else "", "0", "maybe" if i == 3 else ""] for i in range(22)]
    p = _study(tmp_path, """\
study: rules
scale: {min: 1, max: 5}
inputs: {dir: ., items: {file: items.csv}, responses: {file: responses.csv}}
waves: [T1]
""", {"items.csv": (["item", "competency", "dimension", "reverse", "kind"], many + [["Q0", "x", "d", "0", ""]]),
      "responses.csv": (["agent_id"] + [r[0] for r in many], [["a"] + ["3"] * 22])})
    text = validate_study(load_params(p)).to_text()
    assert "items.csv, rows 2, 3, 4 and 19 more, column competency: value 'big' — a competency has at most 20 items" \
        in text
    assert "[rule: dimension_partial]" in text and "column dimension" in text
    assert "items.csv, row 5, column kind: value 'maybe'" in text and "[rule: not_allowed]" in text
    assert "items.csv, rows 2 and 24, column item: values 'q0', 'Q0'" in text and "[rule: item_ids_clash]" in text


def test_one_item_is_too_few(tmp_path):
    p = _study(tmp_path, "study: one\nscale: {min: 1, max: 5}\n"
                         "inputs: {dir: ., items: {file: items.csv}, responses: {file: responses.csv}}\nwaves: [T1]\n",
               {"items.csv": (["item", "competency"], [["q1", "c"]]),
                "responses.csv": (["agent_id", "q1"], [["a", "3"]])})
    assert "the item map has 1 item(s); an instrument needs 2 to 200 items [rule: item_count]" in \
        validate_study(load_params(p)).to_text()


THREE_WAVES = """\
study: loop
scale: {min: 1, max: 5}
inputs: {dir: ., items: {file: items.csv}, responses: {file: responses.csv}}
waves: [pre, post, folow_up]
"""


def _three_wave_files(third="follow_up", third_date="2017-12-01"):
    rows = []
    for a in range(6):
        for w, d in (("pre", "2017-01-10"), ("post", "2017-06-10"), (third, third_date)):
            rows.append([f"a{a}", w, d, str(1 + a % 5), str(1 + (a + 1) % 5)])
    return {"items.csv": (["item", "competency"], [["q1", "c"], ["q2", "c"]]),
            "responses.csv": (["agent_id", "wave", "submitted", "q1", "q2"], rows)}


def test_wave_label_absent_from_data_names_params_line_and_suggestion(tmp_path):
    p = _study(tmp_path, THREE_WAVES, _three_wave_files())
    text = validate_study(load_params(p)).to_text()
    assert ("study.yaml, line 4, key waves: value 'folow_up' — wave 'folow_up' is declared in waves but no response "
            "in responses.csv has it (did you mean 'follow_up'?)") in text
    assert "responses.csv, rows 4, 7, 10 and 3 more, column wave: value 'follow_up'" in text  # the rows, too


def test_wave_role_mapping_points_at_the_role_line(tmp_path):
    params = THREE_WAVES.replace("waves: [pre, post, folow_up]", "waves:\n  pre: pre\n  post: Post\n")
    files = _three_wave_files()
    p = _study(tmp_path, params, files)
    text = validate_study(load_params(p)).to_text()
    assert "study.yaml, line 6, key waves.post: value 'Post'" not in text  # case is ignored for labels
    params = THREE_WAVES.replace("waves: [pre, post, folow_up]", "waves:\n  pre: pre\n  post: psot\n")
    text = validate_study(load_params(_study(tmp_path, params, files))).to_text()
    assert "study.yaml, line 6, key waves.post: value 'psot' — wave 'psot' is declared" in text
    assert "(did you mean 'post'?)" in text


def test_three_waves_order_checked_between_consecutive_waves(tmp_path):
    params = THREE_WAVES.replace("folow_up", "follow_up")
    p = _study(tmp_path, params, _three_wave_files(third_date="2017-03-01"))
    text = validate_study(load_params(p)).to_text()
    assert "'follow_up 2017-03-01 < post 2017-06-10'" in text
    assert "the 'follow_up' response is dated before the agent's 'post' response [rule: wave_order]" in text
    assert "'pre' response" not in text  # only consecutive waves are compared


def test_three_waves_intake_orders_waves_in_time(tmp_path):
    params = THREE_WAVES.replace("folow_up", "follow_up")
    res = run_intake(load_params(_study(tmp_path, params, _three_wave_files())))
    resp = res.tables["responses"]
    assert resp.groupby("agent_id")["wave"].apply(list).iloc[0] == ["pre", "post", "follow_up"]
    assert "submitted" in resp.columns


def test_wave_column_needed_with_two_waves(tmp_path):
    p = _study(tmp_path, "study: two\nscale: {min: 1, max: 5}\n"
                         "inputs: {dir: ., items: {file: items.csv}, responses: {file: responses.csv}}\n"
                         "waves: [pre, post]\n",
               {"items.csv": (["item", "competency"], [["q1", "c"], ["q2", "c"]]),
                "responses.csv": (["agent_id", "q1", "q2"], [["a", "3", "4"]])})
    text = validate_study(load_params(p)).to_text()
    assert "responses.csv, row 1, column wave — required column wave is not in the header row (row 1); it may be " \
           "left out only when waves declares a single wave (waves: pre, post)" in text


def _with_roster_and_kpis(extra_params: str) -> tuple[str, dict]:
    params = f"""\
study: kpis
scale: {{min: 1, max: 5}}
inputs:
  dir: .
  items: {{file: items.csv}}
  responses: {{file: responses.csv}}
  roster: {{file: roster.csv}}
  agent_kpis: {{file: agent_kpis.csv}}
waves: [T1]
{extra_params}"""
    files = {"items.csv": (["item", "competency"], [["q1", "c"], ["q2", "c"]]),
             "responses.csv": (["agent_id", "q1", "q2"], [["a1", "3", "4"], ["a2", "2", "5"]]),
             "roster.csv": (["agent_id", "team", "hire_date"], [["a1", "VIP", "2015-01-01"],
                                                                 ["a2", "Retail", "2016-01-01"]]),
             "agent_kpis.csv": (["agent_id", "month", "contacts", "fcr", "csat"],
                                [["a1", "2017-01", "400", "0.8", "0.9"], ["a2", "2017-01", "380", "0.7", "0.85"]])}
    return params, files


def test_defaults_naming_absent_kpis_are_not_errors(tmp_path):
    """validity.kpis defaults to [fcr, csat, qa_score, aht_sec]; the export has only fcr and csat: fine."""
    params, files = _with_roster_and_kpis("")
    assert validate_study(load_params(_study(tmp_path, params, files))).ok


def test_written_kpi_and_focus_team_are_checked_against_the_data(tmp_path):
    params, files = _with_roster_and_kpis("validity:\n  kpis: [fcr, csaat]\ncoaching:\n  focus_team: VPI\n"
                                          "reports: {team_briefs: [Retail, retail]}\n")
    text = validate_study(load_params(_study(tmp_path, params, files))).to_text()
    assert ("study.yaml, line 11, key validity.kpis: value 'csaat' — validity.kpis names the KPI 'csaat', which "
            "agent_kpis.csv does not have (did you mean 'csat'?)") in text
    assert ("study.yaml, line 13, key coaching.focus_team: value 'VPI' — coaching.focus_team names the team 'VPI', "
            "which the roster (roster.csv) does not have (did you mean 'VIP'?)") in text
    assert "key reports.team_briefs: value 'retail' —" in text and "(did you mean 'Retail'?)" in text
    assert text.count("[rule: team_unknown]") == 2 and text.count("[rule: kpi_missing]") == 1


def test_focus_team_without_roster(tmp_path):
    p = _study(tmp_path, "study: t\nscale: {min: 1, max: 5}\n"
                         "inputs: {dir: ., items: {file: items.csv}, responses: {file: responses.csv}}\n"
                         "waves: [T1]\ntraining: {focus_team: VIP}\n",
               {"items.csv": (["item", "competency"], [["q1", "c"], ["q2", "c"]]),
                "responses.csv": (["agent_id", "q1", "q2"], [["a", "3", "4"]])})
    text = validate_study(load_params(p)).to_text()
    assert "study.yaml, line 5, key training.focus_team: value 'VIP' — training.focus_team names the team 'VIP', " \
           "but no roster is given" in text


def test_params_and_input_problems_in_one_report(tmp_path):
    """A misspelt key, a duplicated key, a wave absent from the data and a bad cell: one report, one pass."""
    params, files = _with_roster_and_kpis("reliabilty: {missing: listwise}\ncoaching:\n  focus_team: VPI\n"
                                          "  weak_gap: 0.2\n  weak_gap: 0.3\n")
    params = params.replace("waves: [T1]", "waves: [T0]")
    files["responses.csv"] = (["agent_id", "wave", "q1", "q2"], [["a1", "T1", "3", "x"]])
    study, report = validate_files(_study(tmp_path, params, files))
    assert study is not None and not report.ok and len(report.problems) == 6
    text = report.to_text()
    for fragment in (
            "study.yaml, line 10, key reliabilty — 'reliabilty' is not a top-level key (did you mean 'reliability'?) "
            "[rule: params_unknown_key]",
            "study.yaml, line 14, key coaching.weak_gap — 'coaching.weak_gap' is given twice (lines 13 and 14)",
            "study.yaml, line 9, key waves: value 'T0' — wave 'T0' is declared in waves but no response",
            "study.yaml, line 12, key coaching.focus_team: value 'VPI'",
            "responses.csv, row 2, column q2: value 'x'",
            "responses.csv, row 2, column wave: value 'T1'"):
        assert fragment in text, fragment
    # params problems come first
    assert text.index("reliabilty") < text.index("responses.csv, row 2")


def test_unusable_params_still_report_every_params_problem(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("study: x\nscale: {min: 1}\ninputs: {dir: ., items: {file: i.csv}}\nwaves: [a]\nseed: s\n",
                 encoding="utf-8")
    params, report = validate_files(p)
    assert params is None
    text = report.to_text()
    assert "p.yaml, line 2, key scale.max — 'scale.max' is required but missing" in text
    assert "p.yaml, line 3, key inputs.responses.file — 'inputs.responses.file' is required" in text
    assert "p.yaml, line 5, key seed — 'seed' must be of type whole number (int)" in text


def test_reverse_flag_spellings(tmp_path):
    flags = ["1", "0", "true", "false", "yes", "no", "是", "否", "", "TRUE"]
    p = _study(tmp_path, "study: f\nscale: {min: 1, max: 5}\n"
                         "inputs: {dir: ., items: {file: items.csv}, responses: {file: responses.csv}}\nwaves: [T1]\n",
               {"items.csv": (["item", "competency", "reverse"], [[f"q{i}", "c", f] for i, f in enumerate(flags)]),
                "responses.csv": (["agent_id"] + [f"q{i}" for i in range(len(flags))], [["a"] + ["3"] * len(flags)])})
    items = run_intake(load_params(p)).tables["items"]
    assert items["reverse"].tolist() == [True, False, True, False, True, False, True, False, False, True]


def test_default_study_intake_unchanged_tables(tmp_path):
    """The good fixture (every input) still gives every table, with submitted and the roster."""
    params = load_params(GOOD / "params.yaml", overrides={"outputs": {"processed": str(tmp_path / "p"),
                                                                      "reports": str(tmp_path / "r")}})
    res = run_intake(params)
    assert {"items", "responses", "roster", "agent_kpis"} <= set(res.tables)
    assert "submitted" in res.tables["responses"].columns
    assert res.tables["items"]["dimension"].notna().all()
