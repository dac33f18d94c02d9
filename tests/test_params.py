"""Study parameters: one typed schema; every problem names the key, its line, the value and a suggestion."""

from pathlib import Path

import pytest
import yaml

from ccstudy import params as params_mod
from ccstudy.params import DEFAULTS, KEYS, ParamsError, load_params

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """\
study: tiny
scale: {min: 1, max: 4}
inputs:
  dir: data
  items: {file: items.csv}
  responses: {file: responses.csv}
waves: [baseline]
"""


def _write(tmp_path, text, name="p.yaml"):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def _problems(tmp_path, text):
    with pytest.raises(ParamsError) as exc:
        load_params(_write(tmp_path, text))
    return exc.value


def test_default_params_load_and_resolve_paths():
    p = load_params(ROOT / "params" / "default.yaml")
    assert p.study == "default"
    assert p.root == ROOT
    assert p.input_dir == ROOT / "data" / "raw" / "default"
    assert p.processed_dir == ROOT / "data" / "processed" / "default"
    assert p.report_dir == ROOT / "reports" / "_out" / "default"
    assert p.get("cleaning.min_answered_share") == 0.8
    assert p.seed == 20160301
    assert p.wave_labels == ("pre", "post")
    assert p.wave("pre") == "pre" and p.wave("post") == "post" and p.wave("follow_up") is None


def test_default_study_values_are_what_its_file_writes():
    """Every value default.yaml writes arrives unchanged (waves only gain their normalised roles)."""
    raw = yaml.safe_load((ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    p = load_params(ROOT / "params" / "default.yaml")

    def walk(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict) and k not in ("labels",) and prefix + k != "waves":
                yield from walk(v, prefix + k + ".")
            else:
                yield prefix + k, v

    for key, value in walk(raw):
        if key == "waves":
            continue
        assert p.get(key) == value, key
    assert p.get("waves.pre") == raw["waves"]["pre"] and p.get("waves.post") == raw["waves"]["post"]


def test_minimal_study_gets_every_default(tmp_path):
    """Only the required keys: every section left out takes the schema's defaults."""
    p = load_params(_write(tmp_path, MINIMAL))
    for key in KEYS.values():
        if key.required or key.path.startswith("inputs."):
            continue
        if key.path == "waves":
            continue
        assert p.get(key.path) == key.default, key.path
    assert p.seed == 1
    assert p.get("reliability.n_boot") == 1000 and p.get("validity.kpis") == ["fcr", "csat", "qa_score", "aht_sec"]
    assert p.get("inputs.responses.layout") == "wide"
    assert p.input_path("roster") is None and p.input_path("agent_kpis") is None
    assert p.input_path("items") == p.input_dir / "items.csv"
    assert set(p.input_files()) == {"items", "responses"}
    assert p.get("inputs.agent_kpis") is None  # an absent input gets no option defaults
    assert p.wave_labels == ("baseline",) and p.wave("post") is None
    assert p.written("study") and not p.written("validity.kpis") and not p.written("validity")
    assert p.line("inputs.items.file") == 5 and p.line("validity.kpis") is None


def test_partly_written_section_keeps_the_other_defaults(tmp_path):
    p = load_params(_write(tmp_path, MINIMAL + "training: {power: 0.9}\nvalidity: {window: {start: '2016-01'}}\n"))
    assert p.get("training.power") == 0.9 and p.get("training.satisfied_min") == DEFAULTS["training"]["satisfied_min"]
    assert p.get("validity.window.start") == "2016-01" and p.get("validity.window.end") is None
    assert p.get("validity.method") == "pearson"


def test_empty_sections_take_defaults(tmp_path):
    """`training:` with nothing under it is a section left out, not None values."""
    p = load_params(_write(tmp_path, MINIMAL + "training:\ncoaching:\n"))
    assert p.get("training.satisfied_min") == 4 and p.get("coaching.weak_gap") == 0.25


def test_all_problems_reported_at_once(tmp_path):
    f = _write(tmp_path, "study: 'a b'\nseed: x\nscale: {min: 5, max: 1}\ninputs: {dir: d, items: {file: i.csv}}\n"
                         "reliability: {missing: sometimes}\ntrends: {intervention: 2017-3}\n", "bad.yaml")
    with pytest.raises(ParamsError) as exc:
        load_params(f)
    msg = str(exc.value)
    assert str(f) in msg
    for fragment in ("line 2: 'seed' must be of type whole number (int), got str 'x'",
                     "line 3: 'scale.min' (5) must be below 'scale.max' (1)",
                     "line 5: 'reliability.missing' must be one of 'pairwise', 'listwise'; got 'sometimes'",
                     "line 6: 'trends.intervention' must be of type month written YYYY-MM",
                     "line 4: 'inputs.responses.file' is required", "line 1: 'study' is used as a folder name",
                     "'waves' is required"):
        assert fragment in msg, fragment
    assert len(exc.value.problems) == 7


def test_yaml_syntax_error_names_line(tmp_path):
    f = _write(tmp_path, "study: x\nseed: [1, 2\n", "broken.yaml")
    with pytest.raises(ParamsError, match=r"not valid YAML at line \d+, column \d+"):
        load_params(f)


def test_missing_file():
    with pytest.raises(ParamsError, match="params file not found"):
        load_params("no/such/file.yaml")


def test_input_options_are_checked(tmp_path):
    text = (ROOT / "params" / "default.yaml").read_text(encoding="utf-8")
    text = text.replace("responses:       {file: responses.csv, layout: wide}",
                        "responses:       {file: responses.csv, layout: tall, colums: {agent_id: 工号}, header_row: 0}")
    f = _write(tmp_path, text)
    with pytest.raises(ParamsError) as exc:
        load_params(f)
    msg = str(exc.value)
    line = text.splitlines().index(next(ln for ln in text.splitlines() if "layout: tall" in ln)) + 1
    assert f"line {line}: 'inputs.responses.layout' must be one of 'wide', 'long'; got 'tall'" in msg
    assert (f"line {line}: 'inputs.responses.colums' is not a key of 'inputs.responses' "
            "(did you mean 'columns'?)") in msg
    assert f"line {line}: 'inputs.responses.header_row' is a 1-based row number, got 0" in msg


def test_input_option_limited_to_its_inputs(tmp_path):
    e = _problems(tmp_path, MINIMAL.replace("{file: items.csv}", "{file: items.csv, rate_scale: percent}"))
    assert "line 5: 'inputs.items.rate_scale' is not a key of 'inputs.items'" in str(e)


@pytest.mark.parametrize("text, fragment", [
    ("reliabilty: {missing: listwise}\n",
     "line 8: 'reliabilty' is not a top-level key (did you mean 'reliability'?)"),
    ("reliability:\n  missng: listwise\n",
     "line 9: 'reliability.missng' is not a key of 'reliability' (did you mean 'missing'?)"),
    ("validity:\n  window: {strat: '2017-01'}\n",
     "line 9: 'validity.window.strat' is not a key of 'validity.window' (did you mean 'start'?)"),
    ("focus_team: VIP\n", "line 8: 'focus_team' is not a top-level key (did you mean 'coaching.focus_team'?)"),
    ("trends: {se: hax}\n", "line 8: 'trends.se' must be one of 'hac', 'ols'; got 'hax' (did you mean 'hac'?)"),
    ("coaching: {weak_gap: big}\n", "line 8: 'coaching.weak_gap' must be of type number (float), got str 'big'"),
    ("cleaning: {min_answered_share: 1.5}\n", "line 8: 'cleaning.min_answered_share' must lie in [0, 1], got 1.5"),
    ("confidence: 1\n", "line 8: 'confidence' must lie in (0, 1), got 1.0"),
    ("reports: {team_briefs: some}\n", "line 8: 'reports.team_briefs' must be of type list of names"),
])
def test_misspelt_keys_and_bad_values_get_line_and_suggestion(tmp_path, text, fragment):
    e = _problems(tmp_path, MINIMAL + text)
    assert fragment in str(e), str(e)
    assert str(tmp_path / "p.yaml") in str(e)


def test_misspelt_input_name(tmp_path):
    text = MINIMAL.replace("  responses: {file: responses.csv}\n",
                           "  responses: {file: responses.csv}\n  rostr: {file: roster.csv}\n")
    e = _problems(tmp_path, text)
    assert "line 7: 'inputs.rostr' is not a key of 'inputs' (did you mean 'roster'?)" in str(e)


def test_duplicate_keys_rejected_with_both_lines(tmp_path):
    text = MINIMAL + "coaching:\n  focus_team: A\n  weak_gap: 0.3\n  focus_team: B\nseed: 4\nseed: 5\n"
    e = _problems(tmp_path, text)
    msg = str(e)
    assert "line 11: 'coaching.focus_team' is given twice (lines 9 and 11); keep one" in msg
    assert "line 13: 'seed' is given twice (lines 12 and 13); keep one" in msg


def test_duplicate_top_level_section(tmp_path):
    e = _problems(tmp_path, "training: {power: 0.9}\n" + MINIMAL + "training: {power: 0.8}\n")
    assert "'training' is given twice (lines 1 and 9)" in str(e)


@pytest.mark.parametrize("waves, order, roles", [
    ("[T1]", ["T1"], ("T1", None, None)),
    ("[T1, T2]", ["T1", "T2"], ("T1", "T2", None)),
    ("[T1, T2, T3]", ["T1", "T2", "T3"], ("T1", "T2", "T3")),
    ("[T1, T2, T3, T4]", ["T1", "T2", "T3", "T4"], ("T1", "T2", "T4")),
    ("{pre: 基线}", ["基线"], ("基线", None, None)),
    ("{pre: a, post: b}", ["a", "b"], ("a", "b", None)),
    ("{pre: a, post: b, follow_up: c}", ["a", "b", "c"], ("a", "b", "c")),
    ("{order: [w0, w1, w2, w3], post: w2}", ["w0", "w1", "w2", "w3"], ("w0", "w2", "w3")),
    ("[2016, 2017]", ["2016", "2017"], ("2016", "2017", None)),
])
def test_wave_forms_are_normalised(tmp_path, waves, order, roles):
    p = load_params(_write(tmp_path, MINIMAL.replace("waves: [baseline]", f"waves: {waves}")))
    assert p.get("waves.order") == order and p.wave_labels == tuple(order)
    assert (p.wave("pre"), p.wave("post"), p.wave("follow_up")) == roles
    assert p.values["waves"] == {"order": order, "pre": roles[0], "post": roles[1], "follow_up": roles[2],
                                 "post_start": None}


def test_post_start_accepts_a_yaml_date(tmp_path):
    p = load_params(_write(tmp_path, MINIMAL.replace("waves: [baseline]",
                                                     "waves: {pre: a, post: b, post_start: 2017-06-05}")))
    assert p.get("waves.post_start") == "2017-06-05"


@pytest.mark.parametrize("waves, fragment", [
    ("[]", "'waves' names no wave"),
    ("{post: b}", "line 7: 'waves.pre' is required but missing"),
    ("{pre: a, psot: b}", "line 7: 'waves.psot' is not a key of 'waves' (did you mean 'post'?)"),
    ("[a, a]", "'waves' gives the label 'a' more than once"),
    ("{pre: a, follow_up: c}", "'waves.follow_up' needs 'waves.post'"),
    ("{pre: a, post: b, post_start: June}", "'waves.post_start' must be a date written YYYY-MM-DD"),
    ("pre", "'waves' must list the wave labels in time order"),
])
def test_bad_waves(tmp_path, waves, fragment):
    e = _problems(tmp_path, MINIMAL.replace("waves: [baseline]", f"waves: {waves}"))
    assert fragment in str(e), str(e)


def test_reliability_wave_must_name_a_declared_wave(tmp_path):
    e = _problems(tmp_path, MINIMAL + "reliability: {wave: post}\n")
    assert "line 8: 'reliability.wave' is the role 'post', but 'waves' declares no post wave" in str(e)
    e = _problems(tmp_path, MINIMAL + "reliability: {wave: baselin}\n")
    assert "neither a role (pre, post, follow_up) nor a declared wave label (did you mean 'baseline'?)" in str(e)
    p = load_params(_write(tmp_path, MINIMAL + "reliability: {wave: baseline}\n"))
    assert p.get("reliability.wave") == "baseline"


def test_overrides_are_checked_like_the_file(tmp_path):
    with pytest.raises(ParamsError, match="'trends.se' must be one of"):
        load_params(_write(tmp_path, MINIMAL), overrides={"trends": {"se": "robust"}})
    p = load_params(_write(tmp_path, MINIMAL), overrides={"trends": {"se": "ols"}})
    assert p.get("trends.se") == "ols" and p.written("trends.se")


def test_wave_role_must_be_known(tmp_path):
    p = load_params(_write(tmp_path, MINIMAL))
    with pytest.raises(ValueError, match="wave role must be one of"):
        p.wave("middle")


def test_template_params_are_valid():
    """The documented template must itself pass validation."""
    load_params(ROOT / "params" / "template.yaml")


def test_template_and_reference_are_generated_from_the_schema():
    """params/template.yaml and docs/params.md are what the schema renders (regenerate with
    `python -m ccstudy.params template > params/template.yaml` and `... reference > docs/params.md`)."""
    assert (ROOT / "params" / "template.yaml").read_text(encoding="utf-8") == params_mod.render_template()
    assert (ROOT / "docs" / "params.md").read_text(encoding="utf-8") == params_mod.render_reference()


def test_template_shows_every_default_and_documents_every_key():
    text = (ROOT / "params" / "template.yaml").read_text(encoding="utf-8")
    uncommented = yaml.safe_load(text)
    ref = (ROOT / "docs" / "params.md").read_text(encoding="utf-8")
    for key in params_mod.SCHEMA:
        assert f"`{key.path}`" in ref, key.path
        leaf = key.path.split(".")[-1]
        assert f"{leaf}:" in text, key.path
        if key.default not in (None, "") and not key.path.startswith("reports."):
            found, value = params_mod._lookup(uncommented, key.path)
            assert found and value == key.default, key.path
    for opt in params_mod.INPUT_OPTIONS:
        assert f"| `{opt.name}` |" in ref, opt.name


def test_adding_a_key_is_one_declaration(tmp_path, monkeypatch):
    """A new Key in SCHEMA is accepted, defaulted, type-checked and documented with no other change."""
    new = params_mod.Key("coaching.max_pairs", "int", 10, "most mentoring pairs per mentor")
    schema = params_mod.SCHEMA + (new,)
    monkeypatch.setattr(params_mod, "SCHEMA", schema)
    monkeypatch.setattr(params_mod, "ALL_KEYS", schema + params_mod._input_keys())
    monkeypatch.setattr(params_mod, "KEYS", {k.path: k for k in params_mod.ALL_KEYS})
    monkeypatch.setattr(params_mod, "TREE", params_mod._tree())
    assert load_params(_write(tmp_path, MINIMAL)).get("coaching.max_pairs") == 10
    e = _problems(tmp_path, MINIMAL + "coaching: {max_pairs: many}\n")
    assert "'coaching.max_pairs' must be of type whole number (int)" in str(e)
    assert "`coaching.max_pairs`" in params_mod.render_reference()
    assert "max_pairs: 10" in params_mod.render_template()
