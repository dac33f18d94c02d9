"""The docs, the params template and the input templates agree with the schemas and the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from ccstudy import params as params_mod
from ccstudy.io.intake import run_intake
from ccstudy.io.schemas import CLEANING_RULES, FATAL_RULES, SCHEMAS, schema_for
from ccstudy.params import load_params

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "data-formats.md").read_text(encoding="utf-8")
SRC = ROOT / "src" / "ccstudy"


def _rules_in_source() -> set[str]:
    """Rule ids passed to Problem / Problems.add / add_mask / ReadProblem in the validation code."""
    found: set[str] = set()
    for path in (SRC / "io" / "validate.py", SRC / "io" / "readers.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            pos = {"add_mask": 3, "add": 0, "ReadProblem": 1}.get(name)
            args = list(node.args)
            cand = [kw.value for kw in node.keywords if kw.arg == "rule"]
            if pos is not None and len(args) > pos:
                cand.append(args[pos])
            for c in cand:
                if isinstance(c, ast.Constant) and isinstance(c.value, str):
                    found.add(c.value)
    return found


def test_every_rule_is_documented():
    for rule in list(FATAL_RULES) + list(CLEANING_RULES):
        assert f"`{rule}`" in DOC, rule


def test_rules_in_code_are_catalogued():
    found = _rules_in_source()
    assert len(found) > 30
    missing = found - set(FATAL_RULES)
    assert not missing, missing
    clean_src = (SRC / "clean.py").read_text() + (SRC / "io" / "intake.py").read_text()
    for rule in set(re.findall(r'"([a-z_]+)"\)?\s*$', clean_src, flags=re.M)) & set(CLEANING_RULES):
        assert rule in CLEANING_RULES


def test_every_schema_column_is_documented():
    for name, schema in list(SCHEMAS.items()) + [("responses", schema_for("responses", {"layout": "long"}))]:
        assert f"{name}" in DOC
        for col in schema.columns:
            assert col.name in DOC, (name, col.name)


def test_template_documents_every_params_key():
    text = (ROOT / "params" / "template.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    for key in params_mod.SCHEMA:
        found, _ = params_mod._lookup(raw, key.path)
        # keys without a default are shown commented out, with an example value
        assert found or f"# {key.path.split('.')[-1]}:" in text or f"#   {key.path.split('.')[-1]}:" in text, \
            f"params/template.yaml lacks {key.path}"
    for opt in params_mod.INPUT_OPTIONS:
        assert opt.name in text, opt.name
    for opt in ("post_start:", "outputs:"):
        assert opt in text, opt
    load_params(ROOT / "params" / "template.yaml")


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_templates_pass_intake(layout, tmp_path):
    resp = {"file": "responses.csv", "layout": "wide"} if layout == "wide" else \
        {"file": "responses_long.csv", "layout": "long"}
    others = {name: {"file": f"{name}.csv"} for name in SCHEMAS if name not in ("items", "responses")}
    p = load_params(ROOT / "params" / "template.yaml", overrides={
        "inputs": {"dir": "params/templates", "responses": resp, **others},
        "outputs": {"processed": str(tmp_path / "p"), "reports": str(tmp_path / "r")}})
    res = run_intake(p)
    assert set(res.tables) == set(SCHEMAS)
    assert len(res.tables["responses"]) == 8
    templates = {f.stem for f in (ROOT / "params" / "templates").glob("*.csv")}
    assert set(SCHEMAS) <= templates
