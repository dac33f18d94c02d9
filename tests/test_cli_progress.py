"""`ccstudy run --jobs N`: the option reaches the pipeline and the progress names every stage."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from typer.testing import CliRunner

from ccstudy import pipeline
from ccstudy.cli import _Running, app

runner = CliRunner()


def fake_run(calls):
    def run(params, *, force=False, on_event, jobs=None, **kw):
        calls.append({"params": params, "force": force, "jobs": jobs})
        on_event("validate", "inputs", {})
        on_event("cached", "00_intake", {})
        on_event("start", "10_reliability", {"running": ["10_reliability"]})
        on_event("start", "20_validity", {"running": ["10_reliability", "20_validity"]})
        on_event("done", "20_validity", {"seconds": 1.5, "outputs": 4, "running": ["10_reliability"]})
        on_event("done", "10_reliability", {"seconds": 2.5, "outputs": 6, "running": []})
        return SimpleNamespace(params=SimpleNamespace(processed_dir=Path("data/processed/x")),
                               manifest_path=Path("reports/_out/x/manifest.json"), seconds=2.6)
    return run


def test_run_passes_jobs_and_reports_each_stage(monkeypatch):
    calls = []
    monkeypatch.setattr(pipeline, "run", fake_run(calls))
    r = runner.invoke(app, ["run", "params/default.yaml", "--jobs", "2"])
    assert r.exit_code == 0, r.output
    assert calls == [{"params": Path("params/default.yaml"), "force": False, "jobs": 2}]
    assert "00_intake" in r.output and "cached" in r.output
    lines = [ln for ln in r.output.splitlines() if "✓" in ln]
    assert [ln.split()[1] for ln in lines] == ["20_validity", "10_reliability"]
    assert "2.5 s" in lines[1] and "(6 outputs)" in lines[1]


def test_jobs_defaults_to_the_pipeline_default_and_must_be_positive(monkeypatch):
    calls = []
    monkeypatch.setattr(pipeline, "run", fake_run(calls))
    assert runner.invoke(app, ["run", "params/default.yaml"]).exit_code == 0
    assert calls[-1]["jobs"] is None  # pipeline.run then uses the cores available
    r = runner.invoke(app, ["run", "params/default.yaml", "--jobs", "0"])
    assert r.exit_code == 2 and len(calls) == 1


def test_progress_line_shows_running_stages_side_by_side():
    from rich.console import Console

    running = _Running()
    running.started = {"10_reliability": 0.0, "20_validity": 0.0}
    console = Console(width=100, record=True)
    console.print(running)
    text = console.export_text()
    assert len([ln for ln in text.splitlines() if ln.strip()]) == 1  # one line ...
    assert "10_reliability" in text and "20_validity" in text        # ... naming both stages
