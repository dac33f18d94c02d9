"""Notebooks are thin, parameterised and committed without outputs."""

import ast
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = ["00_intake", "10_reliability", "20_validity", "30_training", "40_kpi_trends", "50_coaching"]


def test_all_stages_have_a_notebook():
    from ccstudy.stages import STAGES

    assert [p.stem for p in NOTEBOOKS] == EXPECTED == list(STAGES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean_and_thin(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "commit notebooks without outputs"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert "params_path" in tagged[0].source
    # Opened by hand (JupyterLab starts in notebooks/), the default params path must resolve.
    ns: dict = {}
    exec(tagged[0].source, ns)
    assert (path.parent / ns["params_path"]).resolve() == ROOT / "params" / "default.yaml"
    for c in code:
        tree = ast.parse(c.source)
        defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))]
        assert not defs, f"logic belongs in src/, not in notebook cells: {[d.name for d in defs]}"
    assert nb.metadata["kernelspec"]["name"] == "python3"
