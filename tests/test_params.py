"""Study parameters: validation names the key, the value and what is allowed."""

from pathlib import Path

import pytest

from ccstudy.params import ParamsError, load_params

ROOT = Path(__file__).resolve().parents[1]


def test_default_params_load_and_resolve_paths():
    p = load_params(ROOT / "params" / "default.yaml")
    assert p.study == "default"
    assert p.root == ROOT
    assert p.input_dir == ROOT / "data" / "raw" / "default"
    assert p.processed_dir == ROOT / "data" / "processed" / "default"
    assert p.report_dir == ROOT / "reports" / "_out" / "default"
    assert p.get("cleaning.min_answered_share") == 0.8


def test_all_problems_reported_at_once(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("study: 'a b'\nseed: x\nscale: {min: 5, max: 1}\ninputs: {dir: d, items: {file: i.csv}}\n"
                 "reliability: {missing: sometimes}\ntrends: {intervention: 2017-3}\n", encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_params(f)
    msg = str(exc.value)
    assert str(f) in msg
    for fragment in ("'seed' must be of type int, got str 'x'", "'scale.min' (5) must be below 'scale.max' (1)",
                     "'reliability.missing' must be one of 'pairwise', 'listwise'; got 'sometimes'",
                     "'trends.intervention' must be a month written YYYY-MM", "'inputs.responses.file' is required",
                     "'study' is used as a folder name", "'waves.pre' is required"):
        assert fragment in msg, fragment


def test_yaml_syntax_error_names_line(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("study: x\nseed: [1, 2\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"not valid YAML at line \d+, column \d+"):
        load_params(f)


def test_missing_file():
    with pytest.raises(ParamsError, match="params file not found"):
        load_params("no/such/file.yaml")


def test_input_options_are_checked(tmp_path):
    text = (ROOT / "params" / "default.yaml").read_text(encoding="utf-8")
    text = text.replace("responses:       {file: responses.csv, layout: wide}",
                        "responses:       {file: responses.csv, layout: tall, colums: {agent_id: 工号}, header_row: 0}")
    f = tmp_path / "p.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_params(f)
    msg = str(exc.value)
    assert "'inputs.responses.layout' must be one of 'wide', 'long'; got 'tall'" in msg
    assert "'inputs.responses.colums' is not an input option" in msg
    assert "'inputs.responses.header_row' is a 1-based row number, got 0" in msg


def test_template_params_are_valid():
    """The documented template must itself pass validation."""
    load_params(ROOT / "params" / "template.yaml")
