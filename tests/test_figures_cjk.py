"""Figures draw Chinese (and other CJK) user text with a real font: no missing-glyph warning, ever."""

import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from ccstudy import figures

GLYPH = re.compile(r"Glyph \d+ .*missing from|missing from (current )?font", re.S)
COMPETENCIES = {"c1": "人际沟通", "c2": "亲和力", "c3": "理解能力", "c4": "情绪安抚", "c5": "问题解决"}


def _no_glyph_warnings(draw):
    """Draw and save the figure with every warning recorded; return the recorded warnings."""
    import io

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = draw()
        fig.savefig(io.BytesIO(), format="png")
        matplotlib.pyplot.close(fig)
    return [str(w.message) for w in caught if GLYPH.search(str(w.message))]


def test_noto_cjk_is_registered_by_path():
    family = figures.register_fonts()
    assert family[0] == "DejaVu Sans" and family[1] == "Noto Sans CJK SC"
    from matplotlib import font_manager

    path = figures.cjk_font_file("sans")
    assert path.name == "NotoSansCJK-Regular.ttc" and path.is_file()
    assert any(f.name == "Noto Sans CJK SC" for f in font_manager.fontManager.ttflist)


def test_team_profile_with_chinese_names_logs_no_missing_glyph():
    rng = np.random.default_rng(1)
    profile = pd.Series(rng.uniform(3, 4.5, 5), index=list(COMPETENCIES))
    centre = pd.Series(rng.uniform(3, 4.5, 5), index=list(COMPETENCIES))
    caught = _no_glyph_warnings(lambda: figures.team_profile_bars(profile, centre, COMPETENCIES, "客服一组"))
    assert caught == []


def test_heatmap_with_chinese_team_and_competency_names_logs_no_missing_glyph():
    rng = np.random.default_rng(2)
    prof = pd.DataFrame(rng.uniform(3, 4.5, (3, 5)), columns=list(COMPETENCIES), index=["客服一组", "客服二组", "VIP"])
    centre = prof.mean()
    caught = _no_glyph_warnings(lambda: figures.team_gap_heatmap(prof, centre, COMPETENCIES, highlight="VIP"))
    assert caught == []


def test_without_the_cjk_font_figures_stop_with_a_clear_error(monkeypatch, tmp_path):
    from ccstudy import fonts

    monkeypatch.setattr(fonts, "FONT_DIRS", (tmp_path,))
    monkeypatch.delenv("CCSTUDY_FONT_DIR", raising=False)
    figures.register_fonts.cache_clear()
    try:
        with pytest.raises(figures.FontMissing, match="NotoSansCJK-Regular.ttc.*fonts-noto-cjk"):
            figures.team_profile_bars(pd.Series([3.0], index=["c1"]), pd.Series([3.5], index=["c1"]),
                                      COMPETENCIES, "T")
    finally:
        monkeypatch.undo()
        figures.register_fonts.cache_clear()
        figures.register_fonts()


def test_the_check_itself_sees_tofu(monkeypatch):
    """Guard against a test that cannot fail: with DejaVu alone, Chinese text does warn."""
    import matplotlib.pyplot as plt

    def draw():
        fig, ax = plt.subplots()
        ax.set_title("人际沟通", fontfamily="DejaVu Sans")
        return fig

    caught = _no_glyph_warnings(draw)
    assert any("missing from font" in m for m in caught)
