"""End to end: the default study through Papermill and the built-in renderer.

The study is copied into a temporary root (params + raw data) so the tests
never touch the checkout's data/processed or reports/_out.

Reference values are the published figures of the domain notes
(shared DOMAIN.md, §1 Guangzhou pilot and §2 "95598" S3 programme):
VIP team of 21 agents, pre-training mean 3.91, weakest competencies
interpersonal skills 3.32, affinity 3.53, comprehension 3.62, scores
correlated positively with performance, FCR +0.56 pp and staff satisfaction
+0.88 pp month on month after training, 98 % training satisfaction; centre FCR
86.27 % → 91.83 % and monthly attrition 4.86 % → 2.8 % (March 2016 → March
2018), answer rate and satisfaction above 99 %; top three customer wishes
49.6 % of mentions.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ccstudy import pipeline, render
from ccstudy.params import copy_study, load_params

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e


def make_study_root(dest: Path) -> Path:
    params = copy_study(ROOT / "params" / "default.yaml", dest)
    text = params.read_text(encoding="utf-8")
    assert "team_briefs: [VIP]" in text
    params.write_text(text.replace("team_briefs: [VIP]", "team_briefs: [VIP, T07]"), encoding="utf-8")
    return params


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    params_path = make_study_root(tmp_path_factory.mktemp("study"))
    result = pipeline.run(params_path, jobs=2)  # stages 10-50 two at a time
    outs = render.render_study(params_path, reports=["executive", "team-brief"])
    params = load_params(params_path)
    return {"params": params, "run": result, "outs": outs}


def res(study, name):
    return json.loads((study["params"].results_dir / f"{name}.json").read_text())


def test_every_stage_ran_and_manifest_is_complete(study):
    run = study["run"]
    assert [s.name for s in run.stages] == list(pipeline.STAGES)
    assert all(s.status == "ran" for s in run.stages)
    m = json.loads(run.manifest_path.read_text())
    assert m["study"] == "default"
    assert set(m["inputs"]) >= {"items", "responses", "roster", "agent_kpis", "centre_kpis"}
    assert all(len(v["sha256"]) == 64 for v in m["inputs"].values())
    assert m["packages"]["pandas"] and m["packages"]["papermill"]
    assert [s["name"] for s in m["run"]["stages"]] == list(pipeline.STAGES)
    assert all(s["seconds"] > 0 for s in m["run"]["stages"])
    assert [r["report"] for r in m["render"]["reports"]] == ["executive", "team-brief-VIP", "team-brief-T07"]
    assert "commit" in m["git"]
    for stage in pipeline.STAGES:
        assert (study["params"].report_dir / "notebooks" / f"{stage}.ipynb").is_file()


def test_default_study_reproduces_published_vip_figures(study):
    co = res(study, "coaching")
    assert co["focus_team"] == "VIP" and co["focus_n"] == 21
    assert co["focus_mean_total"] == pytest.approx(3.91, abs=0.03)
    weakest = {w["competency"]: w["mean"] for w in co["focus_weakest"]}
    assert weakest == pytest.approx({"interpersonal_skills": 3.32, "affinity": 3.53, "comprehension": 3.62}, abs=0.05)


def test_scores_go_with_performance(study):
    val = res(study, "validity")["summary"]
    assert val["total"]["fcr"]["r"] > 0 and val["total"]["fcr"]["p_adj"] < 0.05
    assert val["focus"]["fcr"]["r"] > 0


def test_training_figures(study):
    tr = res(study, "training")
    mom = tr["focus_month_on_month"]
    assert mom["fcr_change_pp"] == pytest.approx(0.56, abs=0.005)
    assert mom["staff_satisfaction_change_pp"] == pytest.approx(0.88, abs=0.005)
    assert tr["training_satisfaction"]["share_satisfied"] == pytest.approx(0.98, abs=0.005)
    # The report must say honestly whether 21 agents can show a 0.56 pp change.
    assert 0 <= mom["fcr_test"]["p"] <= 1
    assert tr["sensitivity"]["focus_team_fcr"]["min_effect"] > 0


def test_centre_kpi_series(study):
    its = res(study, "trends")["its"]
    assert (its["fcr"]["first"], its["fcr"]["last"]) == pytest.approx((86.27, 91.83), abs=1e-9)
    assert (its["attrition"]["first"], its["attrition"]["last"]) == pytest.approx((4.86, 2.80), abs=1e-9)
    assert its["answer_rate"]["last"] > 99 and its["csat"]["last"] > 99
    assert res(study, "trends")["pareto"]["top_share"] == pytest.approx(0.496, abs=1e-12)


def test_pdf_states_the_headline_numbers(study):
    from pypdf import PdfReader

    pdf = study["params"].report_dir / "executive.pdf"
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    text = " ".join(text.split())
    rel = res(study, "reliability")["summary"]
    val = res(study, "validity")["summary"]
    co = res(study, "coaching")
    mom = res(study, "training")["focus_month_on_month"]
    expected = [
        f"{rel['total_alpha']:.2f}",
        f"{val['total']['fcr']['r']:.2f}",
        f"{co['focus_mean_total']:.2f}",
        *[f"{w['mean']:.2f}" for w in co["focus_weakest"]],
        f"+{mom['fcr_change_pp']:.2f} pp",
        f"+{mom['staff_satisfaction_change_pp']:.2f} pp",
        "86.27%", "91.83%", "4.86%", "2.80%",
    ]
    missing = [e for e in expected if e not in text]
    assert not missing, f"not in the PDF text: {missing}"
    first_page = " ".join(PdfReader(pdf).pages[0].extract_text().split())
    for q in ("Is the questionnaire reliable?", "Do competency scores go with job performance?",
              "Did the training work?", "Where are the weak spots?"):
        assert q in first_page


def test_html_is_self_contained(study):
    html = (study["params"].report_dir / "executive.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 3
    for bad in ('src="http', "src='http", '<link rel="stylesheet" href="http', '<script src='):
        assert bad not in html


def test_rerun_with_unchanged_inputs_is_cached(study):
    again = pipeline.run(study["params"].path)
    assert [s.status for s in again.stages] == ["cached"] * len(pipeline.STAGES)


def notebook_outputs(params) -> dict[str, list]:
    """The cell outputs of every executed notebook, with the study's own root path blanked."""
    out = {}
    for nb in sorted((params.report_dir / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8").replace(str(params.root), "<root>"))["cells"]
        out[nb.name] = [[{k: v for k, v in o.items() if k != "execution_count"} for o in c.get("outputs", [])]
                        for c in cells]
    return out


def test_two_runs_give_byte_identical_processed_data(study, tmp_path):
    """The fixture's run ran two stages at a time in pre-warmed kernels; this one runs them one
    after another, each in a kernel started from scratch: same bytes, same notebook outputs."""
    other = make_study_root(tmp_path / "second")
    pipeline.run(other, jobs=1, prewarm=False)
    a = tree_bytes(study["params"].processed_dir)
    b = tree_bytes(load_params(other).processed_dir)
    assert a.keys() == b.keys()
    differ = [k for k in a if a[k] != b[k]]
    assert not differ, f"files differ between runs: {differ}"
    assert notebook_outputs(study["params"]) == notebook_outputs(load_params(other))


def test_killed_run_resumes_and_gives_the_same_bytes(study, tmp_path):
    params_path = make_study_root(tmp_path / "killed")
    processed = load_params(params_path).processed_dir
    cmd = [sys.executable, "-m", "ccstudy.cli", "run", str(params_path), "--jobs", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    stamp = processed / ".stages" / "10_reliability.json"
    deadline = time.time() + 240
    while not stamp.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert stamp.exists(), "the run did not get past 10_reliability"
    time.sleep(1.0)  # 20_validity is now running in its kernel
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stamps = {p.name for p in (processed / ".stages").glob("*.json") if not p.name.endswith(".outputs.json")}
    assert "50_coaching.json" not in stamps
    resumed = pipeline.run(params_path)
    status = {s.name: s.status for s in resumed.stages}
    assert status["00_intake"] == status["10_reliability"] == "cached"
    assert status["50_coaching"] == "ran"
    a = tree_bytes(study["params"].processed_dir)
    b = tree_bytes(processed)
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_run_killed_during_concurrent_stages_resumes_and_gives_the_same_bytes(study, tmp_path):
    params_path = make_study_root(tmp_path / "killed-concurrent")
    p = load_params(params_path)
    cmd = [sys.executable, "-m", "ccstudy.cli", "run", str(params_path), "--jobs", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    # Papermill writes each executed notebook to a temporary file until its stage ends:
    # two of them at once means two stages are running side by side.
    nb_dir = p.report_dir / "notebooks"
    deadline = time.time() + 240
    running: list[str] = []
    while len(running) < 2 and time.time() < deadline and proc.poll() is None:
        running = sorted(t.name[1:].split(".")[0] for t in nb_dir.glob(".*.tmp.ipynb")) if nb_dir.is_dir() else []
        time.sleep(0.05)
    assert len(running) >= 2, "never saw two stages running at once"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stamps = {q.name[:-5] for q in (p.processed_dir / ".stages").glob("*.json") if not q.name.endswith(".outputs.json")}
    unfinished = [s for s in pipeline.STAGES if s not in stamps]
    assert "00_intake" in stamps and set(unfinished) & set(running), (stamps, running)
    resumed = pipeline.run(params_path, jobs=2)
    status = {s.name: s.status for s in resumed.stages}
    assert [s for s in pipeline.STAGES if status[s] == "ran"] == unfinished
    a = tree_bytes(study["params"].processed_dir)
    b = tree_bytes(p.processed_dir)
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_team_briefs_for_each_listed_team(study):
    from pypdf import PdfReader

    out = study["params"].report_dir
    for team in ("VIP", "T07"):
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(out / f"team-brief-{team}.pdf").pages).split())
        assert f"Team {team} (" in text and "Mentoring pairs" in text
        html = (out / f"team-brief-{team}.html").read_text(encoding="utf-8")
        assert html.count("data:image/png;base64,") == 1
    weak = __import__("pandas").read_csv(study["params"].processed_dir / "tables" / "coaching_team_weak_spots.csv")
    t07 = weak[weak["team"] == "T07"].iloc[0]
    assert f"{t07['team_mean']:.2f}" in text


def test_minimal_study_without_optional_inputs_or_control_group(tmp_path):
    """Only the four required inputs and no control group: the study still runs and says what it cannot test."""
    import re

    from pypdf import PdfReader

    params_path = copy_study(ROOT / "params" / "default.yaml", tmp_path)
    text = params_path.read_text(encoding="utf-8")
    # The default study's contact log gives the centre KPIs too, so it goes as well: its agent KPIs
    # arrive pre-aggregated instead (the same values, from the generator's plan).
    for name in ("contacts", "centre_kpis", "training", "staff_survey", "customer_survey"):
        text = re.sub(rf"\n  {name}: .*", "", text)
    params_path.write_text(text, encoding="utf-8")
    from ccstudy import synth

    kpis = synth.preaggregated_agent_kpis(load_params(params_path).seed)
    kpis.to_csv(tmp_path / "data" / "raw" / "default" / "agent_kpis.csv", index=False, float_format="%.10g")
    roster = tmp_path / "data" / "raw" / "default" / "roster.csv"
    roster.write_text(roster.read_text(encoding="utf-8").replace(",control,", ",trained,"), encoding="utf-8")
    pipeline.run(params_path)
    render.render_study(params_path, reports=["executive", "technical"])
    out = load_params(params_path).report_dir
    exec_text = " ".join(" ".join(p.extract_text() for p in PdfReader(out / "executive.pdf").pages).split())
    assert "Not testable against a control group" in exec_text
    tech_text = " ".join(" ".join(p.extract_text() for p in PdfReader(out / "technical.pdf").pages).split())
    assert "Centre KPI trends not studied: no centre KPIs given" in tech_text
    assert "No comparison against a control group" in tech_text
