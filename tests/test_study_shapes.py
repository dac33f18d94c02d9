"""Property: any study shape an analyst brings runs, renders and reports only what its inputs support.

Hypothesis draws study shapes — 2 to ~20 items on 1 to 5 competencies of 1 to 4 items, no
dimensions or one or two, scales from 1–4 to 0–10, one to three waves, each optional input
present or absent, a control group or not, names in Latin and CJK scripts with spaces, Chinese
export headers in GBK — writes the study (:mod:`ccstudy.shapes`), validates it, runs every stage
in process and renders every report with the built-in renderer.  For every shape:

* validation passes and no stage raises (a missing input is a recorded skip, never a crash);
* every report renders to HTML and PDF;
* every decimal number printed in the executive report and the team briefs (and the technical
  report before its provenance section) is a value of the results bundle, as the reporting
  layer formats it (2 or 3 decimals, or × 100 as a percentage);
* every analysis the plan does not run is listed in the stage's ``skipped`` with a reason, and
  every skipped analysis appears in the executive report's "What this study could not answer".

Kept small (tens of agents, a handful of examples, derandomised) so it runs in CI in minutes.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")

from ccstudy import render, shapes, stages  # noqa: E402
from ccstudy.io.bundle import Bundle  # noqa: E402
from ccstudy.io.validate import validate_study  # noqa: E402
from ccstudy.params import load_params  # noqa: E402
from ccstudy.plan import ANALYSES  # noqa: E402

pytestmark = pytest.mark.e2e

LATIN = ["Empathy", "Calm & clear", "Problem solving", "Product know-how", "Follow up", "Ownership"]
CJK = ["沟通 能力", "情绪 安抚", "业务 知识", "服务 意识", "问题 解决", "职业 素质"]
WAVE_SETS = [("pre", "post", "follow_up"), ("T1 基线", "T2 复测", "T3 跟进"), ("wave A", "wave B", "wave C")]
TEAM_SETS = [None, ("客服 一组", "客服 二组", "Team A"), ("VIP", "T 02", "Nord-Ost")]
SCALES = [(1, 4), (1, 5), (1, 6), (1, 7), (0, 10)]


@st.composite
def study_shapes(draw) -> shapes.Shape:
    n_comp = draw(st.integers(1, 5))
    names = draw(st.lists(st.sampled_from(LATIN + CJK), min_size=n_comp, max_size=n_comp, unique=True))
    sizes = [draw(st.integers(1, 4)) for _ in names]
    if sum(sizes) < 3:
        sizes[0] = 3
    mode = draw(st.sampled_from(["none", "one", "two"]))
    dims = {"none": [None] * n_comp, "one": ["Dimension one"] * n_comp,
            "two": [("维度 甲" if i % 2 == 0 else "Dimension two") for i in range(n_comp)]}[mode]
    inputs = tuple(i for i in shapes.OPTIONAL_INPUTS if draw(st.booleans()))
    waves = draw(st.sampled_from(WAVE_SETS))[: draw(st.integers(1, 3))]
    return shapes.Shape(
        study="shape", n_agents=draw(st.integers(40, 64)),
        competencies=tuple(zip(names, sizes, dims)), scale=draw(st.sampled_from(SCALES)), waves=waves,
        inputs=inputs, control="roster" in inputs and draw(st.booleans()), n_teams=3,
        team_names=draw(st.sampled_from(TEAM_SETS)), chinese_headers=draw(st.booleans()),
        item_prefix=draw(st.sampled_from(["Q", "A", "题 "])), seed=draw(st.integers(1, 10_000)))


def _text(html: str) -> str:
    """The visible text of an HTML report (entities decoded, typographic quotes as typed)."""
    import html as _html

    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", html)).replace("\u2019", "'").replace("\u2018", "'").split())


def _bundle_values(params) -> set[float]:
    vals: set[float] = set()

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x):
            vals.add(float(x))

    for p in params.results_dir.glob("*.json"):
        walk(json.loads(p.read_text(encoding="utf-8")))
    for p in (params.processed_dir / "tables").glob("*.csv"):
        frame = pd.read_csv(p)
        walk(frame.select_dtypes("number").to_numpy().ravel().tolist())
    walk(params.values)
    return vals


def _formatted(vals: set[float]) -> set[str]:
    out = set()
    for v in vals:
        for d in (0, 1, 2, 3):
            out.add(f"{v:.{d}f}")
            out.add(f"{v * 100:.{d}f}")
            out.add(f"{v:+.{d}f}")
        out.add(f"{v:.3f}".replace("0.", ".", 1))  # APA p-values
    return out


def _check_numbers(text: str, allowed: set[str], where: str) -> None:
    # Decimal numbers only (counts and months are checked through the results elsewhere);
    # a number glued to letters (an id like Q3.1) is not a statistic; "p < .001" is a convention.
    text = re.sub(r"<\s*\.001", " ", text)
    tokens = re.findall(r"(?<![\w.])[-+−]?\d*\.\d+(?![\w.])", text)
    missing = sorted({t for t in tokens if t.replace("−", "-") not in allowed
                      and t.replace("−", "-").lstrip("+") not in allowed})
    assert not missing, f"{where}: numbers not in the results bundle: {missing[:10]}"


@settings(max_examples=4, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(shape=study_shapes())
def test_any_study_shape_runs_renders_and_reports_only_what_it_can(shape):
    with tempfile.TemporaryDirectory() as tmp:
        path = shapes.write_study(shape, tmp)
        params = load_params(path)
        report = validate_study(params)
        assert report.ok, report.to_markdown()
        for stage in stages.STAGES:
            b = Bundle(params, stage=stage)
            out = stages.FUNCTIONS[stage](b)
            b.close()
            assert isinstance(out.get("skipped"), dict)
        plan = stages._plan(Bundle(params))
        results = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in params.results_dir.glob("*.json")}
        skipped = {}
        for name in ("reliability", "validity", "training", "trends", "coaching"):
            skipped.update(results[name]["skipped"])
        for analysis, runs in plan.runs.items():
            if not runs:
                assert ANALYSES[analysis][1] in skipped and skipped[ANALYSES[analysis][1]], analysis
        outs = render.render_study(path)
        names = {p.name for p in outs}
        assert {"executive.html", "executive.pdf", "technical.html", "technical.pdf"} <= names
        co = results["coaching"]
        briefs = co["brief_teams"] or (["centre"] if not co["n_teams"] else [])  # no teams: one centre brief
        assert len([n for n in names if n.startswith("team-brief-")]) == 2 * len(briefs)
        allowed = _formatted(_bundle_values(params))
        exec_text = _text((params.report_dir / "executive.html").read_text(encoding="utf-8"))
        _check_numbers(exec_text, allowed, "executive")
        tech = _text((params.report_dir / "technical.html").read_text(encoding="utf-8")).split("Provenance")[0]
        _check_numbers(tech, allowed, "technical")
        for p in params.report_dir.glob("team-brief-*.html"):
            _check_numbers(_text(p.read_text(encoding="utf-8")), allowed, p.name)
        assert "What this study could not answer" in exec_text
        for label in skipped:
            assert label[1:] in exec_text, label
        lo, hi = shape.scale
        assert f"answered on a {lo}–{hi} scale" in exec_text
