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
    assert "roster.csv" in report and "hire_date" in report


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
