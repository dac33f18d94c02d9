"""Output safety: user text through every sink (HTML, Pandoc markdown -> HTML/Typst/PDF, CSV, figures, file names)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccstudy import escape
from ccstudy.io import files
from ccstudy.io.bundle import team_slug

HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "@SUM(1+1)", "=cmd|' /C calc'!A0",
           "客服一组", "客服二组", "Team 😀", "*bold* _it_ [l](http://x.invalid) `c` $x$ #h", "+1-2", "-A",
           "\tTab", "\rCR", "a|b", "\\", "Équipe Müller", "'=already", "--", "..", "."]


def test_visible_escapes_invisible_characters():
    assert escape.visible("A0194\u200b") == "A0194\\u200b"
    assert escape.visible("a\u00a0b\ufeff\x00\n") == "a\\u00a0b\\ufeff\\u0000\\n"
    assert escape.visible("客服 一组") == "客服 一组"
    assert escape.has_invisible("x\u200d") and not escape.has_invisible("x y\t")


def test_html_escape():
    assert escape.html("<img src=x onerror=alert(2)>") == "&lt;img src=x onerror=alert(2)&gt;"
    assert escape.html('"\'&') == "&quot;&#x27;&amp;"


@pytest.mark.parametrize("name", HOSTILE)
def test_csv_cell_roundtrip_and_guard(name):
    cell = escape.csv_cell(name)
    assert not cell.startswith(escape.FORMULA_CHARS)
    assert escape.csv_uncell(cell) == name


@given(st.text(max_size=20))
@settings(max_examples=300, deadline=None)
def test_csv_cell_roundtrip_any_text(s):
    cell = escape.csv_cell(s)
    assert escape.csv_uncell(cell) == s
    assert not cell.startswith(escape.FORMULA_CHARS) or re.match(r"^[+-]?[\d.]", cell)


def test_csv_numbers_are_left_alone():
    assert escape.csv_cell("-0.25") == "-0.25" and escape.csv_cell("+3") == "+3" and escape.csv_cell(-2.0) == -2.0
    assert escape.csv_cell("-1+cmd") == "'-1+cmd"


def test_write_csv_neutralises_and_read_csv_restores(tmp_path):
    frame = pd.DataFrame({"team": HOSTILE, "n": range(len(HOSTILE)), "r": [-0.5] * len(HOSTILE)})
    frame["=hdr"] = "x"
    path = files.write_csv(tmp_path / "t.csv", frame)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, header=None)
    for cell in raw.to_numpy().ravel():
        assert not str(cell).startswith(escape.FORMULA_CHARS) or re.fullmatch(r"-?\d+(\.\d+)?", cell), cell
    back = files.read_csv(path)
    assert back["team"].tolist() == HOSTILE and back["=hdr"].tolist() == ["x"] * len(HOSTILE)
    assert back["r"].tolist() == [-0.5] * len(HOSTILE)


def test_bundle_csv_roundtrip_keeps_na_like_names(tmp_path):
    frame = pd.DataFrame({"team": ["NA", "None", "null", ""], "x": [1.0, None, 2.0, 3.0]})
    path = files.write_csv(tmp_path / "t.csv", frame)
    back = files.read_csv(path)
    assert back["team"].tolist()[:3] == ["NA", "None", "null"] and pd.isna(back["team"].iloc[3])
    assert pd.isna(back["x"].iloc[1])


def test_slugs_are_collision_free_and_stable():
    names = HOSTILE + ["A/B", "A-B", "A B", "a-b", "x-0123456789", "T07", "team_a"]
    slugs = [team_slug(n) for n in names]
    assert len(set(slugs)) == len(names)
    assert team_slug("T07") == "T07" and team_slug("team_a") == "team_a"
    assert team_slug("客服一组") == team_slug("客服一组") != team_slug("客服二组")
    for s in slugs:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", s) and s not in (".", "..") and len(s) <= 60


@given(st.lists(st.text(min_size=1, max_size=12), min_size=2, max_size=6, unique=True))
@settings(max_examples=200, deadline=None)
def test_slugs_never_collide(names):
    assert len({escape.slug(n) for n in names}) == len(names)


# --------------------------------------------------------------------------- Pandoc: markdown -> HTML / Typst

def _pandoc(md: str, to: str) -> str:
    import pypandoc

    from ccstudy.render import MARKDOWN_FORMAT

    return pypandoc.convert_text(md, to, format=MARKDOWN_FORMAT)


def _markdown_doc() -> str:
    from ccstudy import report as rp

    table = rp.md_table(pd.DataFrame({"team": HOSTILE, "mean": [3.5] * len(HOSTILE)}))
    return "\n\n".join(f"## Team {escape.markdown(n)}\n\nText {escape.markdown(n)} end." for n in HOSTILE) + \
        "\n\n" + table


def test_markdown_escape_reaches_html_as_text():
    html = _pandoc(_markdown_doc(), "html5")
    assert "<script" not in html and "<img" not in html and "onerror=alert(2)&gt;" in html
    assert "cite" not in html and 'href="http://x.invalid"' not in html and "<em>" not in html
    text = re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") \
        .replace("&quot;", '"').replace("&#39;", "'")
    for n in HOSTILE:
        shown = n.replace("\t", " ").replace("\r", " ").strip()
        assert shown in text, n


def test_unescaped_user_text_is_still_not_active_html():
    html = _pandoc("Team <script>alert(1)</script> <img src=x onerror=alert(2)> @SUM(1+1)", "html5")
    assert "<script" not in html and "<img" not in html and "cite" not in html


def test_typst_from_pandoc_compiles_and_keeps_names(tmp_path):
    import typst

    src = tmp_path / "r.typ"
    src.write_text(_pandoc(_markdown_doc(), "typst"), encoding="utf-8")
    pdf = typst.compile(str(src))
    assert pdf[:4] == b"%PDF"
    if shutil.which("pdftotext"):
        out = tmp_path / "r.pdf"
        out.write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        flat = re.sub(r"\s+", "", text)
        for n in ["<script>alert(1)</script>", "@SUM(1+1)", "=cmd|", "$x$", "#h"]:
            assert re.sub(r"\s+", "", n) in flat, n


def test_typst_escape_compiles_to_the_same_text(tmp_path):
    import typst

    body = "\n\n".join(escape.typst(n) for n in HOSTILE)
    src = tmp_path / "e.typ"
    src.write_text(body, encoding="utf-8")
    pdf = typst.compile(str(src))
    assert pdf[:4] == b"%PDF"
    if shutil.which("pdftotext"):
        out = tmp_path / "e.pdf"
        out.write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        flat = re.sub(r"\s+", "", text)
        for n in ["<script>alert(1)</script>", "@SUM(1+1)", "=cmd|'/Ccalc'!A0", "*bold*_it_", "$x$#h", "+1-2"]:
            assert n in flat.replace("’", "'").replace("‘", "'"), n


# --------------------------------------------------------------------------- figure labels

def test_figure_labels_with_dollars_are_literal():
    import matplotlib.pyplot as plt

    from ccstudy import figures

    figures._style()
    fig, ax = plt.subplots()
    ax.set_title("cost $\\frobnicate{x}$ and $5")  # invalid mathtext: would raise when drawn
    ax.set_yticks([0, 1], ["$A$", "客服一组"])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    assert buf.getvalue()[:4] == b"\x89PNG"
    assert escape.mathtext("$5") == "\\$5"
