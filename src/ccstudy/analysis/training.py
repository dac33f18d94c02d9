"""Stage 30: did the training work?

Pre/post within groups (paired t, Wilcoxon, Cohen's d_z), ANCOVA against the
control group, the focus team's month-on-month KPIs, training satisfaction, a
difference-in-differences on the agent-month FCR panel, and the sensitivity of
the focus-team design (the smallest effect it could detect).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ccstudy import stats
from ccstudy.stats.effects import did
from ccstudy.analysis.scoring import weighted_rate

_EFFECT_FIELDS = ("n", "mean_diff", "sd_diff", "t", "df", "p", "ci_low", "ci_high", "cohens_dz",
                  "dz_ci_low", "dz_ci_high", "hedges_gz", "wilcoxon_v", "wilcoxon_p", "wilcoxon_method")


def paired_scores(scores: pd.DataFrame, pre: str, post: str) -> pd.DataFrame:
    """Agents with both waves: columns ``<scale>_pre`` and ``<scale>_post``."""
    a = scores[scores["wave"] == pre].set_index("agent_id")
    b = scores[scores["wave"] == post].set_index("agent_id")
    both = a.add_suffix("_pre").join(b.add_suffix("_post"), how="inner")
    return both


def _effect_row(post: pd.Series, pre: pd.Series, confidence: float) -> dict[str, Any]:
    e = stats.paired_effect(post, pre, confidence=confidence)
    return {f: getattr(e, f) for f in _EFFECT_FIELDS} | {"d_variant": e.d_variant}


def prepost_table(pairs: pd.DataFrame, roster: pd.DataFrame, scale_names: list[str], *,
                  focus_team: str | None, confidence: float) -> pd.DataFrame:
    """Paired effects per group (trained, control, focus team) and scale."""
    info = roster.set_index("agent_id")[["team", "group"]]
    p = pairs.join(info, how="left")
    groups: list[tuple[str, pd.DataFrame]] = [(g, p[p["group"] == g]) for g in sorted(p["group"].dropna().unique())]
    if focus_team is not None:
        groups.append((f"team {focus_team}", p[p["team"] == focus_team]))
    rows = []
    for gname, sub in groups:
        for s in scale_names:
            if len(sub) < 2:
                continue
            rows.append({"group": gname, "scale": s, "pre_mean": sub[f"{s}_pre"].mean(),
                         "post_mean": sub[f"{s}_post"].mean(),
                         **_effect_row(sub[f"{s}_post"], sub[f"{s}_pre"], confidence)})
    return pd.DataFrame(rows)


def ancova(pairs: pd.DataFrame, roster: pd.DataFrame, scale: str, *, reference: str = "control",
           confidence: float = 0.95) -> dict[str, Any]:
    """post ~ pre + group (treatment coding against ``reference``)."""
    df = pd.DataFrame({
        "post": pairs[f"{scale}_post"], "pre": pairs[f"{scale}_pre"],
        "group": roster.set_index("agent_id")["group"].reindex(pairs.index),
    }).dropna()
    m = stats.controlled_effect(df, outcome="post", baseline="pre", group="group", reference=reference,
                                confidence=confidence)
    eff = m.effects.copy()
    eff.index.name = "group"
    return {"scale": scale, "n": m.n, "baseline_slope": m.baseline_slope, "reference": reference,
            "effects": eff.reset_index(), "method": m.method}


def mixed(pairs: pd.DataFrame, roster: pd.DataFrame, scale: str, *, reference: str = "control",
          confidence: float = 0.95) -> dict[str, Any]:
    """post ~ pre + group with a random intercept per team (agents nested in teams), REML."""
    from ccstudy.stats.effects import mixed_effect

    info = roster.set_index("agent_id")[["team", "group"]].reindex(pairs.index)
    df = pd.DataFrame({"post": pairs[f"{scale}_post"], "pre": pairs[f"{scale}_pre"],
                       "group": info["group"], "team": info["team"]}).dropna()
    m = mixed_effect(df, "post", fixed="post ~ pre + group", groups="team", reference={"group": reference},
                     confidence=confidence)
    fixed = m.fixed.copy()
    fixed.index.name = "term"
    fixed = fixed.reset_index()
    row = fixed[fixed["term"].str.contains("group")].iloc[0].to_dict()
    summary = {"scale": scale, "n": m.n, "n_groups": m.n_groups, "icc": m.icc, "group_var": m.group_var,
               "resid_var": m.resid_var, "converged": m.converged, "formula": m.formula, "method": m.method,
               "effect": row}
    return {"summary": summary, "fixed": fixed}


def team_month_rate(agent_kpis: pd.DataFrame, roster: pd.DataFrame, team: str, month: str,
                    kpi: str = "fcr") -> float:
    ids = roster.loc[roster["team"] == team, "agent_id"]
    m = agent_kpis[agent_kpis["agent_id"].isin(ids) & (agent_kpis["month"] == month)]
    return weighted_rate(m[kpi], m["contacts"])


def focus_month_on_month(agent_kpis: pd.DataFrame, roster: pd.DataFrame, staff_survey: pd.DataFrame | None,
                         *, team: str, before: str, after: str, confidence: float) -> dict[str, Any]:
    """The focus team's KPIs in the month before vs the month after training.

    FCR is the contact-weighted team rate; the significance test is a paired
    comparison of the agents' own FCR in the two months (what a team of this
    size can show), reported with its p-value whatever it is.
    """
    out: dict[str, Any] = {"team": team, "before_month": before, "after_month": after}
    fb = team_month_rate(agent_kpis, roster, team, before)
    fa = team_month_rate(agent_kpis, roster, team, after)
    out["fcr_before"], out["fcr_after"], out["fcr_change_pp"] = fb, fa, (fa - fb) * 100
    ids = roster.loc[roster["team"] == team, "agent_id"]
    k = agent_kpis[agent_kpis["agent_id"].isin(ids)]
    wide = k.pivot_table(index="agent_id", columns="month", values="fcr")
    if before in wide and after in wide:
        pair = wide[[before, after]].dropna()
        e = stats.paired_effect(pair[after] * 100, pair[before] * 100, confidence=confidence)
        out["fcr_test"] = {f: getattr(e, f) for f in _EFFECT_FIELDS} | {"unit": "percentage points"}
    if staff_survey is not None and not staff_survey.empty:
        s = staff_survey[staff_survey["team"] == team].set_index("month")["satisfaction"]
        if before in s.index and after in s.index:
            out["staff_satisfaction_before"] = float(s[before])
            out["staff_satisfaction_after"] = float(s[after])
            out["staff_satisfaction_change_pp"] = float((s[after] - s[before]) * 100)
    return out


def training_satisfaction(training: pd.DataFrame, satisfied_min: int) -> dict[str, Any]:
    rated = training["satisfaction"].dropna()
    n_sat = int((rated >= satisfied_min).sum())
    return {"n_trainees": int(len(training)), "n_rated": int(len(rated)), "n_satisfied": n_sat,
            "share_satisfied": n_sat / len(rated) if len(rated) else float("nan"),
            "satisfied_min": satisfied_min,
            "mean_attended_share": float(training["attended_share"].mean()) if "attended_share" in training else None}


def did_fcr(agent_kpis: pd.DataFrame, roster: pd.DataFrame, *, start: str, end: str,
            confidence: float) -> dict[str, Any]:
    """Difference-in-differences on the agent-month FCR panel (trained vs control).

    Months during training (``start``..``end``) are left out; outcome in
    percentage points; standard errors clustered by agent.
    """
    panel = agent_kpis.merge(roster[["agent_id", "group"]], on="agent_id", how="left")
    panel = panel[(panel["month"] < start) | (panel["month"] > end)].copy()
    panel["treated"] = (panel["group"] == "trained").astype(int)
    panel["post"] = (panel["month"] > end).astype(int)
    panel["fcr_pp"] = panel["fcr"] * 100
    d = did(panel, "fcr_pp", unit="agent_id", time="month", treated="treated", post="post",
                  cluster="agent_id", confidence=confidence)
    return d.to_dict()


def sensitivity(n: int, *, alpha: float, power: float) -> dict[str, Any]:
    """The smallest paired effect (d_z) detectable with *power* for *n* pairs."""
    from ccstudy.stats.power import sensitivity as power_sensitivity

    return power_sensitivity(n, alpha=alpha, power=power, design="paired").to_dict()
