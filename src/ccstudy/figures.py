"""Figures for the notebooks and reports (matplotlib / seaborn, Agg backend).

Each function takes tables from the analysis layer and returns a matplotlib
Figure; :meth:`ccstudy.io.bundle.Bundle.write_figure` saves it with fixed
metadata so the PNG bytes are stable.
"""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

PALETTE = {"trained": "#1f6f8b", "control": "#9aa5b1", "focus": "#d1603d", "line": "#333333"}


from ccstudy.fonts import (CJK_BOLD_FILE, CJK_FAMILY, CJK_FONT_FILES, FONT_DIRS, LATIN_FONT,  # noqa: E402,F401
                           FontMissing, cjk_font_file, font_dirs)


@functools.lru_cache(maxsize=None)
def register_fonts() -> tuple[str, ...]:
    """Register Noto Sans CJK with matplotlib by path; return the font family list figures use.

    Latin text keeps DejaVu Sans; any glyph DejaVu lacks (Chinese, Japanese, Korean) falls back
    to Noto Sans CJK, so user text in any of these scripts never draws as empty boxes.
    """
    path = cjk_font_file("sans")
    font_manager.fontManager.addfont(str(path))
    bold = path.with_name(CJK_BOLD_FILE)
    if bold.is_file():  # bold titles; without it matplotlib emboldens nothing and says so
        font_manager.fontManager.addfont(str(bold))
    # A collection holds one face per region; Simplified Chinese glyph shapes come from the SC face.
    faces = {f.name for f in font_manager.fontManager.ttflist if Path(f.fname) == path}
    cjk = CJK_FAMILY if CJK_FAMILY in faces else font_manager.FontProperties(fname=str(path)).get_name()
    return (LATIN_FONT, cjk)


def _style() -> None:
    family = list(register_fonts())
    sns.set_theme(style="whitegrid", context="notebook", font=family[0])
    # labels are user text (team, competency names): a '$' must not start mathtext
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "axes.titleweight": "bold",
                         "font.family": family, "text.parse_math": False})


def reliability_bars(scales: pd.DataFrame, threshold: float = 0.7) -> plt.Figure:
    """Cronbach's alpha with CI for each competency and dimension."""
    _style()
    t = scales[scales["level"].isin(["competency", "dimension"])].copy()
    t = t.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.38 * len(t) + 1))
    colors = [PALETTE["trained"] if lv == "competency" else PALETTE["focus"] for lv in t["level"]]
    y = np.arange(len(t))
    ax.barh(y, t["alpha"], color=colors, height=0.6)
    ax.errorbar(t["alpha"], y, xerr=[t["alpha"] - t["ci_low"], t["ci_high"] - t["alpha"]],
                fmt="none", ecolor=PALETTE["line"], capsize=3, lw=1)
    ax.axvline(threshold, color="#b22222", ls="--", lw=1)
    ax.set_yticks(y, t["label"])
    ax.set_xlim(0, 1)
    ax.set_xlabel("Cronbach's alpha (95% Feldt CI); dashed line = 0.70")
    ax.set_title("Reliability by competency and dimension")
    fig.tight_layout()
    return fig


def correlation_heatmap(table: pd.DataFrame, kpi_labels: dict[str, str], method: str = "pearson") -> plt.Figure:
    _style()
    piv = table.pivot_table(index="label", columns="kpi", values="r", sort=False)
    piv = piv.rename(columns=kpi_labels)
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(piv) + 1.5))
    sns.heatmap(piv, annot=True, fmt=".2f", cmap="RdBu_r", center=0, vmin=-0.6, vmax=0.6, ax=ax,
                cbar_kws={"label": "Spearman rho" if method == "spearman" else "Pearson r"})
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title("Competency scores vs KPIs")
    fig.tight_layout()
    return fig


def prepost_means(prepost: pd.DataFrame, scales: list[str], labels: dict[str, str],
                  scale: tuple[int, int] = (1, 5), waves: tuple[str, str] = ("pre", "post"), tr=None,
                  group_names: dict[str, str] | None = None) -> plt.Figure:
    """Mean score before and after training per group, one panel per scale.

    *tr* (a :class:`ccstudy.i18n.Language`) gives the titles and axis text in the report's
    language, *group_names* the legend's group names; without them the text is English.
    """
    from ccstudy import i18n

    _ = tr or i18n.get("en")
    _style()
    t = prepost[prepost["scale"].isin(scales)]
    groups = list(dict.fromkeys(t["group"]))
    fig, axes = plt.subplots(1, len(scales), figsize=(3.2 * len(scales), 3.4), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, s in zip(axes, scales):
        sub = t[t["scale"] == s].set_index("group").reindex(groups)
        for i, g in enumerate(groups):
            col = PALETTE.get(g, PALETTE["focus"])
            ax.plot([0, 1], [sub.loc[g, "pre_mean"], sub.loc[g, "post_mean"]], marker="o", color=col,
                    label=(group_names or {}).get(g, g))
        ax.set_xticks([0, 1], [str(w) for w in waves])
        ax.set_title(labels.get(s, s), fontsize=10)
    axes[0].set_ylabel(_("Mean score ({lo}–{hi})", lo=scale[0], hi=scale[1]))
    axes[-1].legend(loc="best", fontsize=8)
    fig.suptitle(_("Questionnaire scores before and after training"), fontweight="bold")
    fig.tight_layout()
    return fig


def its_panels(fitted: pd.DataFrame, intervention: str, labels: dict[str, str], tr=None) -> plt.Figure:
    """Observed monthly centre KPIs, the segmented fit and the no-change projection, one panel per KPI."""
    from ccstudy import i18n

    _ = tr or i18n.get("en")
    _style()
    kpis = list(dict.fromkeys(fitted["kpi"]))
    fig, axes = plt.subplots(1, len(kpis), figsize=(3.4 * len(kpis), 3.2))
    axes = np.atleast_1d(axes)
    for ax, k in zip(axes, kpis):
        sub = fitted[fitted["kpi"] == k]
        x = np.arange(len(sub))
        ax.plot(x, sub["observed"], "o", ms=3, color=PALETTE["line"], label=_("observed"))
        ax.plot(x, sub["fitted"], "-", color=PALETTE["trained"], label=_("segmented fit"))
        post = (sub["month"] >= intervention).to_numpy()
        ax.plot(x[post], sub["counterfactual"].to_numpy()[post], "--", color=PALETTE["control"],
                label=_("no-change projection"))
        i0 = int(np.argmax(post))
        ax.axvline(i0 - 0.5, color="#b22222", lw=1)
        ticks = [0, i0, len(sub) - 1]
        ax.set_xticks(ticks, [_.month(sub["month"].iloc[i]) for i in ticks], fontsize=8)
        ax.set_title(labels.get(k, k), fontsize=10)
        ax.set_ylabel("%")
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(_("Centre KPIs: programme from {month}", month=_.month(intervention)), fontweight="bold")
    fig.tight_layout()
    return fig


def pareto_chart(tab: pd.DataFrame) -> plt.Figure:
    _style()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    x = np.arange(len(tab))
    ax.bar(x, tab["share"] * 100, color=PALETTE["trained"])
    ax2 = ax.twinx()
    ax2.plot(x, tab["cumulative_share"] * 100, "-o", ms=3, color=PALETTE["focus"])
    ax2.set_ylim(0, 105)
    ax2.grid(False)
    ax.set_xticks(x, tab["category"], rotation=40, ha="right", fontsize=8)
    ax.set_ylabel("% of mentions")
    ax2.set_ylabel("cumulative %")
    ax.set_title("What customers want (Pareto)")
    fig.tight_layout()
    return fig


def team_gap_heatmap(profiles: pd.DataFrame, centre: pd.Series, labels: dict[str, str],
                     highlight: str | None = None) -> plt.Figure:
    _style()
    comps = list(centre.index)
    gap = profiles[comps] - centre
    gap = gap.rename(columns=labels)
    fig, ax = plt.subplots(figsize=(9, 0.22 * len(gap) + 2))
    sns.heatmap(gap, cmap="RdBu", center=0, vmin=-0.6, vmax=0.6, ax=ax, cbar_kws={"label": "team − centre"})
    if highlight is not None and highlight in gap.index:
        i = list(gap.index).index(highlight)
        ax.add_patch(plt.Rectangle((0, i), len(comps), 1, fill=False, edgecolor="black", lw=2))
    ax.set_ylabel("team")
    ax.set_title("Team competency profile against the centre mean")
    fig.tight_layout()
    return fig


def team_profile_bars(profile: pd.Series, centre: pd.Series, labels: dict[str, str], team: str,
                      scale: tuple[int, int] = (1, 5), tr=None) -> plt.Figure:
    """A team's competency means (bars, weakest at the top) against the centre mean (diamonds).

    *tr* (a :class:`ccstudy.i18n.Language`) gives the title, axis and legend text in the report's
    language; without it the text is English.
    """
    from ccstudy import i18n

    _ = tr or i18n.get("en")
    _style()
    order = profile.sort_values(ascending=False, kind="stable").index  # weakest at the top
    fig, ax = plt.subplots(figsize=(7, 4 if len(order) <= 11 else 0.35 * len(order) + 1))
    y = np.arange(len(order))
    ax.barh(y, profile[order], color=PALETTE["focus"], height=0.6, label=_("team {team}", team=team))
    ax.plot(centre[order], y, "D", color=PALETTE["line"], ms=5, label=_("centre mean"))
    ax.set_yticks(y, [labels.get(c, c) for c in order])
    ax.set_xlim(scale[0], scale[1])
    ax.set_xlabel(_("Mean score ({lo}–{hi})", lo=scale[0], hi=scale[1]))
    ax.set_title(_("Team {team}: competency profile (weakest at the top)", team=team))
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig
