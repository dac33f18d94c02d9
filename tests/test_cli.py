"""The command line: clear messages and exit codes, no tracebacks without --debug."""

from pathlib import Path

from typer.testing import CliRunner

from ccstudy.cli import app
from ccstudy.params import copy_study

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def study_copy(dest: Path) -> Path:
    return copy_study(ROOT / "params" / "default.yaml", dest)


def test_validate_default_study_passes(tmp_path):
    params = study_copy(tmp_path)
    r = runner.invoke(app, ["validate", str(params)])
    assert r.exit_code == 0, r.output
    assert "All inputs pass validation" in r.output
    assert (tmp_path / "reports" / "_out" / "default" / "validation_report.md").is_file()
    # what the study will answer, from the plan made on the cleaned tables (nothing else is written)
    assert "This study will answer:" in r.output and "+ score–KPI correlations" in r.output
    assert not (tmp_path / "data" / "processed").exists()


def test_validate_names_file_row_and_column_and_exits_2(tmp_path):
    params = study_copy(tmp_path)
    roster = tmp_path / "data" / "raw" / "default" / "roster.csv"
    lines = roster.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace(lines[5].split(",")[2], "not-a-date", 1)  # spreadsheet row 6, hire_date
    roster.write_text("".join(lines), encoding="utf-8")
    r = runner.invoke(app, ["validate", str(params)])
    assert r.exit_code == 2
    assert "roster.csv" in r.output and "row 6" in r.output and "hire_date" in r.output
    assert "Traceback" not in r.output
    report = (tmp_path / "reports" / "_out" / "default" / "validation_report.md").read_text(encoding="utf-8")
    # User text is escaped for Markdown but stays readable as plain text (ccstudy.escape.markdown).
    assert "| roster.csv | 6 | hire_date |" in report


def test_run_stops_before_analysis_on_bad_input(tmp_path):
    params = study_copy(tmp_path)
    (tmp_path / "data" / "raw" / "default" / "items.csv").unlink()
    r = runner.invoke(app, ["run", str(params)])
    assert r.exit_code == 2
    assert "items.csv" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "data" / "processed" / "default" / "results").exists()


def test_bad_params_exit_2(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("study: x\n", encoding="utf-8")
    r = runner.invoke(app, ["run", str(f)])
    assert r.exit_code == 2
    assert "'scale.min' is required" in r.output and "Traceback" not in r.output


def test_synth_writes_files(tmp_path):
    r = runner.invoke(app, ["synth", "--out", str(tmp_path / "raw")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "raw" / "responses.csv").is_file()
    logs = sorted((tmp_path / "raw" / "contacts").glob("contacts-*.parquet"))
    assert len(logs) == 25  # the contact log, one file a month


def _edit_params(params: Path, old: str, new: str) -> int:
    """Replace *old* by *new* in the params file; return the 1-based line of the change."""
    text = params.read_text(encoding="utf-8")
    assert old in text, old
    params.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_misspelt_and_duplicated_keys_rejected_before_any_stage(tmp_path):
    params = study_copy(tmp_path)
    line = _edit_params(params, "reliability:\n  missing: pairwise", "reliabilty:\n  missing: pairwise")
    dup = _edit_params(params, "  weak_gap: 0.25", "  weak_gap: 0.25\n  weak_gap: 0.3")
    r = runner.invoke(app, ["run", str(params)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert str(params) in r.output
    assert f"line {line}: 'reliabilty' is not a top-level key (did you mean 'reliability'?)" in r.output
    assert f"line {dup + 1}: 'coaching.weak_gap' is given twice (lines {dup} and {dup + 1})" in r.output
    assert not (tmp_path / "data" / "processed" / "default" / "results").exists()


def test_wave_and_focus_team_absent_from_the_data_rejected_before_any_stage(tmp_path):
    params = study_copy(tmp_path)
    wave_line = _edit_params(params, "  post: post", "  post: Psot")
    team_line = _edit_params(params, "coaching:\n  focus_team: VIP", "coaching:\n  focus_team: VPI") + 1
    r = runner.invoke(app, ["run", str(params)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    out = " ".join(r.output.split())
    assert (f"params/default.yaml, line {wave_line}, key waves.post: value 'Psot' — wave 'Psot' is declared in waves "
            "but no response in responses.csv has it (did you mean 'post'?)") in out
    assert (f"params/default.yaml, line {team_line}, key coaching.focus_team: value 'VPI' — coaching.focus_team names "
            "the team 'VPI', which the roster (roster.csv) does not have (did you mean 'VIP'?)") in out
    assert not (tmp_path / "data" / "processed" / "default" / "results").exists()


def test_validate_reports_params_and_input_problems_together(tmp_path):
    params = study_copy(tmp_path)
    line = _edit_params(params, "trends:\n  intervention", "trends:\n  intervnetion") + 1
    roster = tmp_path / "data" / "raw" / "default" / "roster.csv"
    lines = roster.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace(lines[5].split(",")[2], "not-a-date", 1)
    roster.write_text("".join(lines), encoding="utf-8")
    r = runner.invoke(app, ["validate", str(params)])
    assert r.exit_code == 2
    out = " ".join(r.output.split())
    assert (f"params/default.yaml, line {line}, key trends.intervnetion — 'trends.intervnetion' is not a key of "
            "'trends' (did you mean 'intervention'?)") in out
    assert "roster.csv, row 6, column hire_date" in out
