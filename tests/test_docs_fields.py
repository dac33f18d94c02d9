"""The docs and docstrings name the result fields exactly as the code does."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ccstudy import stats

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("reliability", "factor", "association", "effects", "trends", "power", "change", "invariance",
           "polychoric")


def _results() -> dict[str, type]:
    out = {}
    for m in MODULES:
        mod = importlib.import_module(f"ccstudy.stats.{m}")
        for name, obj in vars(mod).items():
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and obj.__module__ == mod.__name__ \
                    and not name.startswith("_"):
                out[name] = obj
    return out


RESULTS = _results()


def test_the_result_classes_are_found():
    assert {"ReliabilityResult", "CFAResult", "CorrelationResult", "PairedEffect", "ITSResult"} <= set(RESULTS)


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_docstring_documents_exactly_the_fields(name):
    cls = RESULTS[name]
    doc = inspect.getdoc(cls) or ""
    fields = {f.name for f in dataclasses.fields(cls)}
    entries: set[str] = set()
    for line in doc.splitlines():
        m = re.match(r"^([A-Za-z_][\w, ]*?)\s*:\s", line)  # numpydoc "name : type" / "a, b : type"
        if m:
            entries |= {n.strip() for n in m.group(1).split(",")}
    assert entries <= fields, f"{name} documents non-fields {sorted(entries - fields)}"
    inline = set(re.findall(r"``(\w+)``", doc))
    assert fields <= entries | inline, f"{name} leaves {sorted(fields - entries - inline)} undocumented"


@pytest.mark.parametrize("doc", ["docs/statistics.md", "README.md"])
def test_class_dot_field_references_exist(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    refs = re.findall(r"`(\w+)\.(\w+)`", text)
    checked = 0
    for cls, field in refs:
        if cls in RESULTS:
            assert field in {f.name for f in dataclasses.fields(RESULTS[cls])}, f"{doc}: {cls}.{field}"
            checked += 1
    if doc == "docs/statistics.md":
        assert checked >= 5


def test_reliability_interval_fields_named_as_in_the_code():
    text = (ROOT / "docs" / "statistics.md").read_text(encoding="utf-8")
    fields = {f.name for f in dataclasses.fields(RESULTS["ReliabilityResult"])}
    for name in ("alpha_ci_low", "alpha_ci_high", "alpha_boot_ci_low", "alpha_boot_ci_high"):
        assert name in fields and f"`{name}`" in text, name


def test_reliability_table_columns_listed_in_the_docs():
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.integers(1, 6, size=(40, 4)), columns=list("abcd"))
    cols = list(stats.reliability_table(x, {"s": ["a", "b", "c", "d"]}).columns)
    text = " ".join((ROOT / "docs" / "statistics.md").read_text(encoding="utf-8").split())
    listed = "The columns are " + ", ".join(f"`{c}`" for c in cols) + "."
    assert listed in text
