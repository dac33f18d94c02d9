"""The pipeline's cache: each stage declares the params it reads, and only those re-run it."""

import ast
import inspect
import re

import pytest

from ccstudy import pipeline, stages
from pathlib import Path

from ccstudy.params import load_params

ROOT = Path(__file__).resolve().parents[1]



def _keys_read(func, seen=None) -> set[str]:
    """Params keys read with .get("...") by a stage function and the module helpers it calls."""
    seen = seen if seen is not None else set()
    if func in seen:
        return set()
    seen.add(func)
    src = inspect.getsource(func)
    keys = set(re.findall(r'\.get\("([a-z_.]+)"', src))
    for node in ast.walk(ast.parse(src.lstrip())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            helper = getattr(stages, node.func.id, None)
            if inspect.isfunction(helper) and helper.__module__ == stages.__name__ \
                    and helper not in stages.FUNCTIONS.values():
                keys |= _keys_read(helper, seen)
    return keys


def _undeclared(read, declared):
    return {k for k in read if not any(k == d or k.startswith(d + ".") or (k.endswith(".") and k[:-1] == d)
                                      for d in declared)}


def test_params_read_by_intake_are_declared():
    """Intake reads params inside ccstudy.io and ccstudy.clean: every dotted key must be declared."""
    import ccstudy.clean
    import ccstudy.io.intake
    import ccstudy.io.readers
    import ccstudy.io.validate

    read = set()
    for mod in (ccstudy.io.intake, ccstudy.io.readers, ccstudy.io.validate, ccstudy.clean):
        read |= {k for k in re.findall(r'\.get\("([a-z_]+\.[a-z_.]+)"', inspect.getsource(mod))}
    assert read, "the scan found no params keys: the pattern no longer matches the code"
    assert not _undeclared(read, stages.STAGE_PARAMS["00_intake"])


@pytest.mark.parametrize("stage", stages.STAGES[1:])
def test_every_params_key_a_stage_reads_is_declared(stage):
    declared = stages.STAGE_PARAMS[stage]
    read = _keys_read(stages.FUNCTIONS[stage])
    assert read, "the scan found no params keys: the pattern no longer matches the code"
    undeclared = _undeclared(read, declared)
    assert not undeclared, f"{stage} reads {sorted(undeclared)} but STAGE_PARAMS does not declare them"


def _keys(params):
    inputs = pipeline.input_hashes(params)
    code = "same source"
    keys = {}
    for s in stages.STAGES:
        keys[s] = pipeline.stage_key(s, params, inputs, code, {u: keys[u] for u in stages.STAGE_UPSTREAM[s]})
    return keys


def _changed(override):
    base = load_params(ROOT / "params" / "default.yaml")
    other = load_params(ROOT / "params" / "default.yaml", overrides=override)
    a, b = _keys(base), _keys(other)
    return sorted(s for s in stages.STAGES if a[s] != b[s])


def test_trends_option_reruns_only_the_trends_stage():
    assert _changed({"trends": {"intervention": "2017-06"}}) == ["40_kpi_trends"]


def test_cleaning_rule_reruns_everything():
    assert _changed({"cleaning": {"min_contacts_per_month": 50}}) == list(stages.STAGES)


def test_report_wording_reruns_nothing():
    assert _changed({"title": "Another title", "subtitle": "x"}) == []


def test_confidence_reruns_every_analysis_but_not_intake():
    assert _changed({"confidence": 0.9}) == list(stages.STAGES[1:4]) + ["40_kpi_trends"]
