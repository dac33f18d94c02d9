"""End to end: the default study's reports in English and Chinese, as a reader sees them.

One pipeline run of a copy of the default study, every report rendered in both languages, then:
the Chinese executive report's headline numbers are those of the results JSON (PDF text via
pypdf and the HTML), its headings are Chinese; no figure or report logged a missing glyph;
headless Chromium opens every HTML report (no console error, no request outside the file,
nothing wider than the window, alt text on every figure, a screenshot under tmp); every PDF page
rasterised by pdftoppm has ink and nothing outside the page box; the executive PDF is at most
two pages and no page holds only a closing note; and an unchanged study renders nothing again.
"""

from __future__ import annotations

import html as html_mod
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ccstudy import i18n, pipeline, render
from ccstudy.params import copy_study, load_params

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    params_path = copy_study(ROOT / "params" / "default.yaml", tmp_path_factory.mktemp("i18n-study"))
    text = params_path.read_text(encoding="utf-8")
    params_path.write_text(text.replace("team_briefs: [VIP]", "team_briefs: [VIP, T07]"), encoding="utf-8")
    pipeline.run(params_path)
    outs = render.render_study(params_path, languages=["en", "zh"])
    return {"params": load_params(params_path), "path": params_path, "outs": outs}


def _result(study, name):
    return json.loads((study["params"].results_dir / f"{name}.json").read_text(encoding="utf-8"))


def _flat(text: str) -> str:
    """Text without any whitespace (PDF extraction breaks CJK lines anywhere)."""
    return re.sub(r"\s+", "", text)


def _pdf_text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [p.extract_text() or "" for p in PdfReader(path).pages]


def _html_text(path: Path) -> str:
    body = path.read_text(encoding="utf-8")
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html_mod.unescape(re.sub(r"<[^>]+>", " ", body))


def _headline_numbers(study) -> list[str]:
    """The key numbers of the executive verdict block, formatted as the Chinese locale writes them."""
    zh = i18n.get("zh")
    rel = _result(study, "reliability")["summary"]
    fcr = _result(study, "validity")["summary"]["total"]["fcr"]
    anc = _result(study, "training")["ancova"]
    did = _result(study, "training")["did_fcr"]
    co = _result(study, "coaching")
    worst = co["focus_weakest"][0]
    return [zh.num(rel["total_alpha"]), zh.num(rel["total_ci_low"]), zh.num(rel["total_ci_high"]),
            zh.num(fcr["r"]), zh.num(fcr["ci_low"]), zh.num(fcr["ci_high"]),
            zh.num(anc["b"]), zh.num(anc["ci_low"]), zh.num(anc["ci_high"]), zh.pp(did["estimate"]),
            zh.num(worst["mean"]), zh.num(worst["centre_mean"]), str(co["n_agents_with_weak_spots"])]


def test_every_report_exists_in_both_languages(study):
    out = study["params"].report_dir
    names = {p.name for p in study["outs"]}
    for stem in ("executive", "technical", "team-brief-VIP", "team-brief-T07"):
        for lang_suffix in ("", ".zh"):
            for ext in ("html", "pdf"):
                assert f"{stem}{lang_suffix}.{ext}" in names and (out / f"{stem}{lang_suffix}.{ext}").is_file()


def test_zh_executive_pdf_states_the_results_json_numbers_under_chinese_headings(study):
    pages = _pdf_text(study["params"].report_dir / "executive.zh.pdf")
    text = _flat(" ".join(pages))
    for number in _headline_numbers(study):
        assert _flat(number) in text, number
    zh = i18n.get("zh")
    glance = text.index(_flat(zh("At a glance"))) + len(_flat(zh("At a glance")))
    verdict = text[glance:text.index(_flat(zh("The answers")), glance)]
    rel = _result(study, "reliability")["summary"]
    assert _flat(zh.ci(rel["total_ci_low"], rel["total_ci_high"])) in verdict  # the uncertainty beside the number
    for heading in ("At a glance", "The answers", "Where to coach", "Training and KPIs"):
        assert _flat(zh(heading)) in text and CJK.search(zh(heading))
    assert "坐席胜任力、绩效与培训" in text and "管理层摘要" in text


def test_zh_executive_html_states_the_same_numbers_with_chinese_headings_and_lang(study):
    path = study["params"].report_dir / "executive.zh.html"
    raw = path.read_text(encoding="utf-8")
    assert re.search(r'<html[^>]*\blang="zh-CN"', raw)
    assert "Noto Sans CJK SC" in raw  # the CJK font stack
    text = _flat(_html_text(path))
    for number in _headline_numbers(study):
        assert _flat(number) in text, number
    headings = [html_mod.unescape(re.sub(r"<[^>]+>", "", h)) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", raw, re.S)]
    assert headings and all(CJK.search(h) for h in headings), headings


def test_english_reports_keep_english(study):
    raw = (study["params"].report_dir / "executive.html").read_text(encoding="utf-8")
    assert re.search(r'<html[^>]*\blang="en"', raw) and "At a glance" in raw and "一页看结论" not in raw


def test_no_missing_glyph_in_any_stage_notebook(study):
    """Stage figures (drawn in the notebooks) log no missing-glyph warning; reports fail on one themselves."""
    for nb in (study["params"].report_dir / "notebooks").glob("*.ipynb"):
        data = json.loads(nb.read_text(encoding="utf-8"))
        for cell in data["cells"]:
            for out in cell.get("outputs", []):
                text = "".join(out.get("text", "")) if out.get("output_type") == "stream" else ""
                assert "missing from font" not in text and "missing from current font" not in text, nb.name


def test_a_figure_with_tofu_stops_the_render(tmp_path):
    """The check behind the previous test can fail: a figure whose font lacks the glyphs is an error."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots()\nax.set_title('客服一组', fontfamily='DejaVu Sans')\ndisplay(fig)")]
    with pytest.raises(render.RenderError, match="cannot draw"):
        render.execute_inprocess(nb, {}, tmp_path, "tofu")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed (scripts/system-deps.sh)")
def test_chromium_opens_every_html_report_cleanly(study, tmp_path):
    from browser import open_page

    htmls = sorted(study["params"].report_dir.glob("*.html"))
    assert len(htmls) == 8
    for page in htmls:
        shot = tmp_path / f"{page.stem}.png"
        rep = open_page(page, shot)
        assert rep.console_errors == [] and rep.exceptions == [], page.name
        assert rep.outside_requests == [], (page.name, [u[:80] for u in rep.outside_requests])
        assert rep.lang == ("zh-CN" if page.stem.endswith(".zh") else "en"), page.name
        assert rep.scroll_width <= rep.width, f"{page.name} is wider than the window (a table overflows)"
        assert shot.stat().st_size > 10_000
        raw = page.read_text(encoding="utf-8")
        imgs = re.findall(r"<img\b[^>]*>", raw)
        assert imgs and all(re.search(r'\balt="[^"]+"', i) for i in imgs), f"{page.name}: a figure without alt text"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm not installed (scripts/system-deps.sh)")
def test_every_pdf_page_has_ink_and_stays_in_the_page_box(study, tmp_path):
    from PIL import Image

    pdfs = sorted(study["params"].report_dir.glob("*.pdf"))
    assert len(pdfs) == 8
    for pdf in pdfs:
        prefix = tmp_path / pdf.stem
        subprocess.run(["pdftoppm", "-r", "40", "-gray", "-png", str(pdf), str(prefix)], check=True)
        pages = sorted(tmp_path.glob(f"{pdf.stem}-*.png"))
        assert pages, pdf.name
        for png in pages:
            im = Image.open(png).convert("L")
            w, h = im.size
            px = im.load()
            ink = sum(1 for x in range(0, w, 2) for y in range(0, h, 2) if px[x, y] < 200)
            assert ink > 200, f"{png.name}: blank page"
            # Nothing is drawn in the outer 2% of the page: text, tables and figures stay inside the box.
            mx, my = max(2, w // 50), max(2, h // 50)
            edge = [px[x, y] for x in range(w) for y in list(range(my)) + list(range(h - my, h))]
            edge += [px[x, y] for y in range(h) for x in list(range(mx)) + list(range(w - mx, w))]
            assert min(edge) > 200, f"{png.name}: something crosses the page edge"


def test_executive_pdf_is_at_most_two_pages_with_no_page_of_only_a_note(study):
    for name in ("executive.pdf", "executive.zh.pdf"):
        pages = _pdf_text(study["params"].report_dir / name)
        assert 1 <= len(pages) <= 2, (name, len(pages))
        for i, page in enumerate(pages):
            body = re.sub(r"\d+\s*/\s*\d+\s*$", "", page.strip())  # without the page number
            assert len(_flat(body)) > 200, f"{name} page {i + 1} holds only {body!r}"


def test_unchanged_study_renders_nothing_and_a_changed_input_only_what_reads_it(study):
    p = study["params"]
    out = p.report_dir
    before = {f.name: f.stat().st_mtime_ns for f in out.glob("*.*") if f.suffix in (".html", ".pdf")}
    render.render_study(study["path"], languages=["en", "zh"])
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {r["status"] for r in m["render"]["reports"]} == {"cached"}
    assert all(len(r["key"]) == 64 for r in m["render"]["reports"])
    assert {f.name: f.stat().st_mtime_ns for f in out.glob("*.*") if f.suffix in (".html", ".pdf")} == before
    # The Chinese labels file is read by the Chinese reports only.
    labels = p.input_dir / "labels.zh.yaml"
    labels.write_text(labels.read_text(encoding="utf-8").replace("亲和力", "亲和能力"), encoding="utf-8")
    render.render_study(study["path"], reports=["executive", "team-brief"], languages=["en", "zh"])
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    status = {r["report"]: r["status"] for r in m["render"]["reports"]}
    assert status["executive.zh"] == "rendered" and status["team-brief-VIP.zh"] == "rendered"
    assert status["executive"] == "cached" and status["team-brief-VIP"] == "cached"
    assert status["technical.zh"] == "cached"  # not asked for this time, kept from before
