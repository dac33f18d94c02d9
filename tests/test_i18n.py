"""Report languages: complete catalogues, per-locale formats, no language branches in code."""

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from ccstudy import i18n, render

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "ccstudy"
FIELD = re.compile(r"\{(\w+)(?:[:!][^}]*)?\}")


def _catalogue(lang):
    with i18n.catalogue_path(lang).open("rb") as fh:
        return read_po(fh)


def _ids(cat):
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in cat if m.id}


def test_every_language_has_the_same_messages():
    assert _ids(_catalogue("en")) == _ids(_catalogue("zh"))


def test_chinese_catalogue_is_complete_and_keeps_placeholders():
    cat = _catalogue("zh")
    for m in cat:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(s.strip() for s in strings), f"untranslated: {m.id!r}"
        assert not m.fuzzy, f"fuzzy translation: {m.id!r}"
        for s in strings:
            assert set(FIELD.findall(s)) == set(FIELD.findall(ids[-1])), f"placeholders differ: {m.id!r} -> {s!r}"


def test_chinese_prose_is_chinese():
    """A translation that merely repeats the English is not a translation (formats and meta excepted)."""
    cat = _catalogue("zh")
    for m in cat:
        if not m.id or m.context in ("meta", "format", "style"):
            continue
        s = m.string if isinstance(m.string, str) else m.string[0]
        words = re.sub(r"\*\*|\{\w+\}", "", m.id if isinstance(m.id, str) else m.id[0])
        if not re.search(r"[A-Za-z]{2,}", words):  # only placeholders and punctuation
            continue
        assert re.search(r"[\u4e00-\u9fff]", s), f"no Chinese in the translation of {m.id!r}: {s!r}"


@pytest.mark.parametrize("lang,expect", [
    ("en", ["0.86", "86.27%", "+0.56 pp", "-1.23 pp", "p < .001", "p = .034", ".500", "90% CI 0.10 to 0.25",
            "2017-03", "a, b, c", "–"]),
    ("zh", ["0.86", "86.27%", "+0.56个百分点", "-1.23个百分点", "P < 0.001", "P = 0.034", "0.500",
            "90%置信区间 0.10～0.25", "2017年3月", "a、b、c", "—"]),
])
def test_number_date_and_p_value_formats_per_locale(lang, expect):
    t = i18n.get(lang)
    got = [t.num(0.8567), t.pct(0.8627), t.pp(0.56), t.pp(-1.2345), t.p_value(0.0004), t.p_value(0.0342),
           t.p_value(0.5, bare=True), t.ci(0.1, 0.25, level=0.9), t.month("2017-03"), t.join(["a", "b", "c"]),
           t.num(None)]
    assert got == expect


def test_rounding_keeps_the_sign_as_python_formats_it():
    """Same digits as f"{x:.2f}" (the report checks compare printed numbers with the results bundle)."""
    for x in (-0.004, -0.006, 0.125, 2.675, 1e-9, 12345.678):
        assert i18n.get("en").num(x) == f"{x:.2f}", x


def test_unknown_language_is_a_clear_error():
    with pytest.raises(i18n.LanguageError, match="'fr'.*en, zh"):
        i18n.get("fr")


def test_html_and_typst_language_tags():
    zh, en = i18n.get("zh"), i18n.get("en")
    assert (zh.html_lang, zh.typst_lang, zh.typst_region) == ("zh-CN", "zh", "cn")
    assert (en.html_lang, en.typst_lang) == ("en", "en")


def test_no_language_branches_in_code():
    """Wording differs by catalogue, never by `if lang == ...` in the reporting code."""
    pattern = re.compile(r"""(lang|language|code|locale)\s*(==|!=|in)\s*[\(\["']""")
    for name in ("report.py", "render.py", "figures.py", "i18n.py"):
        text = (SRC / name).read_text(encoding="utf-8")
        assert not pattern.search(text), f"{name}: {pattern.search(text).group(0)!r}"
    for qmd in (ROOT / "reports").glob("*.qmd"):
        assert not pattern.search(qmd.read_text(encoding="utf-8")), qmd.name


def _literal_msgids(path: Path) -> set[tuple[str | None, str]]:
    """msgids passed as literals to a Language object (``_("...")``, ``tr("...")``, ``_.pgettext(ctx, "...")``)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args]
        if isinstance(f, ast.Name) and f.id in ("_", "tr") and args and args[0]:
            out.add((None, args[0]))
        elif isinstance(f, ast.Attribute) and f.attr == "pgettext" and len(args) >= 2 and args[0] and args[1]:
            out.add((args[0], args[1]))
        elif isinstance(f, ast.Attribute) and f.attr == "n" and len(args) >= 2 and args[0]:
            out.add((None, args[0]))
    return out


def test_every_message_used_in_code_is_in_the_catalogues():
    known = _ids(_catalogue("zh"))
    used = set()
    for path in [SRC / "report.py", SRC / "render.py", SRC / "i18n.py", SRC / "figures.py"]:
        used |= _literal_msgids(path)
    for qmd in (ROOT / "reports").glob("*.qmd"):
        _, nb = render.qmd_to_notebook(qmd.read_text(encoding="utf-8"))
        for cell in nb.cells:
            if cell.cell_type == "code":
                used |= _literal_msgids_from_source(render.cell_options(cell.source)[1])
    missing = sorted((u for u in used if u not in known), key=lambda u: (u[0] or "", u[1]))
    assert not missing, f"messages missing from the catalogues: {missing}"


def _literal_msgids_from_source(source: str):
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, encoding="utf-8") as fh:
        fh.write(source)
    try:
        return _literal_msgids(Path(fh.name))
    finally:
        Path(fh.name).unlink()


def test_every_fixed_markdown_block_title_and_caption_of_the_reports_is_translated():
    zh = _catalogue("zh")
    known = {m.id for m in zh if m.id and m.context is None}
    for qmd in sorted((ROOT / "reports").glob("*.qmd")):
        meta, nb = render.qmd_to_notebook(qmd.read_text(encoding="utf-8"))
        wanted = [meta.get("title"), meta.get("subtitle")]
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                wanted += render.markdown_blocks(cell.source)
            elif cell.cell_type == "code":
                wanted += [cell.metadata["quarto"].get("fig-cap"), cell.metadata["quarto"].get("fig-alt")]
        missing = [w for w in wanted if w and w not in known]
        assert not missing, f"{qmd.name}: no Chinese for {missing}"


def test_catalogues_compile_from_po_without_a_build_step():
    """A fresh clone reads the .po files directly (compiled in memory); no stale .mo can shadow them."""
    assert not list((SRC / "locales").rglob("*.mo"))
    i18n._compiled.cache_clear()
    assert i18n.get("zh")("The answers") == "结论"


def test_analysis_labels_and_skip_reasons_of_the_stages_are_translated_in_reports():
    """Stages write analysis labels and skip reasons in English; reports show known ones in their language."""
    from types import SimpleNamespace

    from ccstudy import plan, report

    known = _ids(_catalogue("zh"))
    for _stage, label in plan.ANALYSES.values():
        assert ("analysis", label) in known, f"analysis label missing from the catalogues: {label!r}"
    for reason in (plan.NO_AGENT_KPIS, plan.NO_ROSTER, plan.ONE_WAVE):
        assert ("skip-reason", reason) in known, f"skip reason missing from the catalogues: {reason!r}"
    for _pattern, msgid in report._REASON_PATTERNS:
        assert ("skip-reason", msgid) in known, msgid
    # every reason make_plan can give for a study with no optional input and one wave
    p = plan.make_plan(SimpleNamespace(get=lambda key, default=None: {"waves.order": ["pre"]}.get(key, default)),
                       {"items": {"item_id"}, "responses": {"agent_id"}}, {"n_items": 2})
    zh, en = SimpleNamespace(tr=i18n.get("zh")), SimpleNamespace(tr=i18n.get("en"))
    assert p.skipped
    for reason in set(p.skipped.values()):
        assert re.search(r"[\u4e00-\u9fff]", report.skip_reason(zh, reason)), reason
        assert report.skip_reason(en, reason) == reason
    for _a, label in plan.ANALYSES.values():
        assert re.search(r"[\u4e00-\u9fff]", report.skip_label(zh, label)), label
    assert report.skip_reason(zh, "2 items: a factor model needs at least 3") == "仅有2个题目：因子模型至少需要3个"
    assert report.skip_reason(zh, "focus team 'VIP' has no respondents") == "重点团队'VIP'没有作答者"
    # text the catalogues do not know (an error message, a new label) is shown as written
    assert report.skip_reason(zh, "lavaan did not converge") == "lavaan did not converge"
    assert report.skip_label(zh, "some new analysis") == "some new analysis"
    assert report.skip_reason(zh, "") == ""


def test_training_and_gap_sentences_in_chinese_keep_their_numbers():
    from ccstudy import report

    zh = i18n.get("zh")
    tr = {"main_group": "trained",
          "reliable_change": {"total": {
              "trained": {"n": 200, "n_improved": 30, "share_improved": 0.15, "share_deteriorated": 0.01},
              "control": {"n": 180, "n_improved": 5, "share_improved": 0.028, "share_deteriorated": 0.02}}},
          "invariance": {"holds": "metric"}}
    s = report.reliable_change_sentence(tr, zh)
    assert s == ("培训组坐席中有**15%**（200人中30人）的总分提升幅度超出测量误差（可靠变化指数），1%明显下降；"
                 "对照组中提升的占3%，下降的占2%。")
    assert "度量不变性" in report.invariance_sentence(tr, zh) and "仅部分有效" in report.invariance_sentence(tr, zh)
    assert "标量不变性" in report.invariance_sentence({"invariance": {"holds": "scalar"}}, zh)
    co = {"gap_kinds": {"T": {"main": "soft_skill"}, "U": {"main": "knowledge"}, "W": {"main": "mixed"}}}
    assert report.gap_kind_sentence(co, "T", zh).startswith("其短板以**软技能**为主")
    assert report.gap_kind_sentence(co, "U", zh, whose=zh("The team's")).startswith("本团队的短板以**知识**为主")
    assert report.gap_kind_sentence(co, "W").startswith("Its gaps are a **mix** of soft-skill and knowledge gaps")
    assert zh.pgettext("format", "{first} {then}", first="甲。", then="乙。") == "甲。乙。"


def test_factor_model_notes_and_reasons_are_translated_in_reports():
    from types import SimpleNamespace

    from ccstudy import report

    zh = SimpleNamespace(tr=i18n.get("zh"))
    note = ("higher-order factor '职业 素质' not estimable: the dimension holds 1 competency factor(s), and a "
            "higher-order factor needs at least 2")
    assert report.skip_reason(zh, note) == "高阶因子“职业 素质”无法估计：该维度只有1个胜任力因子，而高阶因子至少需要2个"
    assert report.skip_reason(zh, "competency 'Empathy' has one item: left out of the factor model") == \
        "胜任力“Empathy”只有一个题目，未纳入因子模型"
    assert report.skip_reason(zh, "not estimable on these data: singular matrix") == "在这些数据上无法估计：singular matrix"
    assert report.skip_reason(zh, "no competency has two or more items, so there is no factor to estimate") == \
        "没有任何胜任力包含两个及以上题目，因此没有可估计的因子"


def test_every_fixed_skip_reason_written_by_the_plan_and_the_stages_is_in_the_catalogues():
    """A reason added to ccstudy.plan or ccstudy.stages without a translation would show in English."""
    known = _ids(_catalogue("zh"))
    found = set()
    for path in (SRC / "plan.py", SRC / "stages.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        consts = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                  for t in n.targets if isinstance(t, ast.Name)
                  and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}
        for node in ast.walk(tree):
            value = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "skip" \
                    and len(node.args) == 2:
                value = node.args[1]
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)
                                                      and t.value.id == "skipped" for t in node.targets):
                value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(value.value)
            elif isinstance(value, ast.Name) and value.id in consts:
                found.add(consts[value.id])
    assert len(found) > 20
    missing = sorted(r for r in found if ("skip-reason", r) not in known)
    assert not missing, f"skip reasons missing from the catalogues: {missing}"
