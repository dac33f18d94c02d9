"""`ccstudy init`: guess the inputs and their column mapping from the exports an analyst has."""

import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ccstudy.cli import app
from ccstudy.io import scaffold
from ccstudy.io.validate import validate_study
from ccstudy.params import load_params
from studies import write_csv

runner = CliRunner()

ITEMS_ZH = [("A1 题目", "倾听", "沟通", "否"), ("A2 题目", "倾听", "沟通", "是"), ("B1", "同理心", "沟通", "否"),
            ("B2", "同理心", "沟通", ""), ("C1", "产品知识", "专业", "否"), ("C2", "产品知识", "专业", "否")]



def _chinese_exports(d: Path) -> Path:
    """A baseline-only export: GBK, Chinese headers, item ids with spaces, a name column, no wave column."""
    d.mkdir(parents=True)
    rng = random.Random(3)
    write_csv(d / "题目表.csv", ["题号", "能力", "维度", "反向", "题目"], [list(i) + [f"题干 {i[0]}"] for i in ITEMS_ZH], "gbk")
    write_csv(d / "问卷导出.csv", ["工号", "姓名", "提交时间", "用时"] + [i[0] for i in ITEMS_ZH],
         [[f"E{a:03d}", "张三", "2017-03-01", "30"] + [rng.randint(1, 6) for _ in ITEMS_ZH] for a in range(30)],
         "gbk")
    write_csv(d / "花名册.csv", ["工号", "姓名", "班组", "入职日期"],
         [[f"E{a:03d}", "张三", ["一组", "二组"][a % 2], "2015-01-01"] for a in range(30)])
    (d / "notes.txt").write_text("free text, not a table\n", encoding="utf-8")
    return d


def test_chinese_baseline_export_is_mapped(tmp_path):
    src = _chinese_exports(tmp_path / "exports")
    sc = scaffold.guess_study(src, "baseline_zh")
    by_input = {name: fg.path.name for name, fg in sc.input_files().items()}
    assert by_input == {"items": "题目表.csv", "responses": "问卷导出.csv", "roster": "花名册.csv"}
    inputs = sc.params["inputs"]
    assert inputs["items"]["columns"] == {"item": "题号", "competency": "能力", "dimension": "维度", "reverse": "反向",
                                          "text": "题目"}
    assert inputs["items"]["encoding"] == "gbk"
    assert inputs["responses"]["columns"] == {"agent_id": "工号", "submitted": "提交时间"}
    assert inputs["responses"]["ignore_columns"] == ["姓名", "用时"]
    assert inputs["roster"]["columns"] == {"agent_id": "工号", "team": "班组", "hire_date": "入职日期"}
    assert sc.params["waves"] == ["baseline"]
    assert sc.params["scale"] == {"min": 1, "max": 6}
    assert any("notes.txt" in u for u in sc.unresolved)


def test_init_writes_a_study_that_validates(tmp_path, monkeypatch):
    src = _chinese_exports(tmp_path / "exports")
    root = tmp_path / "proj"
    root.mkdir()
    monkeypatch.chdir(root)
    r = runner.invoke(app, ["init", "baseline_zh", "--from", str(src)])
    assert r.exit_code == 0, r.output
    assert "题目表.csv → inputs.items" in r.output and "item ← '题号'" in r.output
    assert "Could not guess" in r.output and "notes.txt" in r.output
    params_path = root / "params" / "baseline_zh.yaml"
    raw = root / "data" / "raw" / "baseline_zh"
    for name in ("题目表.csv", "问卷导出.csv", "花名册.csv"):
        assert (raw / name).read_bytes() == (src / name).read_bytes()  # copied unchanged
    assert not (raw / "notes.txt").exists()
    p = load_params(params_path)
    assert p.input_path("agent_kpis") is None and p.wave_labels == ("baseline",)
    report = validate_study(p)
    assert report.ok, report.to_text()
    r = runner.invoke(app, ["validate", str(params_path)])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "+ reliability of every competency, dimension and the total" in out
    # Each missing input is named once, followed by the analyses it holds back.
    assert "- no agent KPIs given (add `inputs.agent_kpis`: one row per agent and month): score–KPI correlations" in out
    assert "- one wave of responses only" in out and "pre/post change in competency scores" in out
    # a second run refuses to overwrite the params file
    r = runner.invoke(app, ["init", "baseline_zh", "--from", str(src)])
    assert r.exit_code == 2 and "--force" in r.output


def test_waves_and_long_layout_are_guessed(tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    write_csv(d / "item_map.csv", ["Item ID", "Competency", "Reverse keyed"], [["q1", "c1", "0"], ["q2", "c1", "1"]])
    rows = []
    for a in range(5):
        for w, date in (("T2", "2017-06-01"), ("T1", "2017-01-05"), ("T3", "2017-12-01")):
            for q in ("q1", "q2"):
                rows.append([f"a{a}", w, date, q, str((a + len(q)) % 5)])
    write_csv(d / "answers.csv", ["Employee ID", "Round", "Timestamp", "Question ID", "Rating"], rows)
    sc = scaffold.guess_study(d, "loop")
    resp = sc.params["inputs"]["responses"]
    assert resp["layout"] == "long"
    assert resp["columns"] == {"agent_id": "Employee ID", "wave": "Round", "submitted": "Timestamp",
                               "item": "Question ID", "score": "Rating"}
    assert sc.params["waves"] == ["T1", "T2", "T3"]  # ordered by the earliest submission
    assert sc.params["scale"]["min"] == 0
    assert sc.params["inputs"]["items"]["columns"] == {"item": "Item ID", "reverse": "Reverse keyed"}


def test_missing_item_map_is_reported(tmp_path):
    d = tmp_path / "y"
    d.mkdir()
    write_csv(d / "responses.csv", ["agent_id", "q1", "q2", "q3"], [["a", "1", "2", "3"], ["b", "2", "3", "4"]])
    sc = scaffold.guess_study(d, "y")
    assert "responses" in sc.input_files()
    assert any("item map" in u for u in sc.unresolved)


def test_bad_study_id_and_missing_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["init", "my study"])
    assert r.exit_code == 2 and "folder name" in r.output
    r = runner.invoke(app, ["init", "nothing_here"])
    assert r.exit_code == 2 and "no folder" in r.output
