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


ALL_AGENTS = "all agents"


def agent_info(roster: pd.DataFrame | None) -> pd.DataFrame:
    """Team and group per agent (indexed by ``agent_id``); empty columns when there is no roster."""
    cols = ["team", "group"]
    if roster is None:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="agent_id"))
    info = roster.set_index("agent_id")
    return pd.DataFrame({c: info[c] if c in info else pd.Series(None, index=info.index, dtype=object)
                         for c in cols})


def paired_scores(scores: pd.DataFrame, pre: str, post: str) -> pd.DataFrame:
    """Agents with both waves: columns ``<scale>_pre`` and ``<scale>_post``."""
    a = scores[scores["wave"] == pre].set_index("agent_id")
    b = scores[scores["wave"] == post].set_index("agent_id")
    both = a.add_suffix("_pre").join(b.add_suffix("_post"), how="inner")
    return both


def _effect_row(post: pd.Series, pre: pd.Series, confidence: float) -> dict[str, Any]:
    e = stats.paired_effect(post, pre, confidence=confidence)
    return {f: getattr(e, f) for f in _EFFECT_FIELDS} | {"d_variant": e.d_variant}


def prepost_table(pairs: pd.DataFrame, info: pd.DataFrame, scale_names: list[str], *,
                  focus_team: str | None, confidence: float) -> pd.DataFrame:
    """Paired effects per group (trained, control, focus team) and scale.

    *info* is :func:`agent_info`'s table.  Without groups (no roster, or no
    ``group`` column) every agent answering both waves forms one group,
    :data:`ALL_AGENTS`.  Groups of fewer than two agents are left out.
    """
    p = pairs.join(info, how="left")
    present = sorted(p["group"].dropna().unique())
    groups: list[tuple[str, pd.DataFrame]] = [(g, p[p["group"] == g]) for g in present] if present \
        else [(ALL_AGENTS, p)]
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
    return pd.DataFrame(rows, columns=["group", "scale", "pre_mean", "post_mean", *_EFFECT_FIELDS, "d_variant"])


def wave_comparisons(scores: pd.DataFrame, info: pd.DataFrame, waves: list[str], scale_names: list[str], *,
                     confidence: float) -> pd.DataFrame:
    """Paired change between consecutive waves and from the first wave to the last, per group.

    One row per comparison (``from_wave`` → ``to_wave``), group and scale, with
    the paired effect of :func:`prepost_table`.  For a three-wave programme
    (assess, train, re-assess) the rows pre → post, post → follow-up and
    pre → follow-up say whether the gain held.
    """
    steps = list(zip(waves[:-1], waves[1:]))
    if len(waves) > 2:
        steps.append((waves[0], waves[-1]))
    frames = []
    for a, b in steps:
        t = prepost_table(paired_scores(scores, a, b), info, scale_names, focus_team=None, confidence=confidence)
        t.insert(0, "to_wave", b)
        t.insert(0, "from_wave", a)
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def follow_up_summary(table: pd.DataFrame, waves: list[str], *, main_group: str, confidence: float) -> dict[str, Any]:
    """Did the gain hold?  The main group's total-score change at each step, and the verdict inputs.

    ``held`` is True when the change from the post wave to the last wave is not a
    significant decline (its CI includes zero or lies above it) and the change from
    the first to the last wave is still positive and significant.
    """
    t = table[(table["group"] == main_group) & (table["scale"] == "total")]
    steps = [{c: r[c] for c in ("from_wave", "to_wave", "n", "mean_diff", "ci_low", "ci_high", "p", "cohens_dz")}
             for _, r in t.iterrows()]
    post_to_last = t[(t["from_wave"] == waves[1]) & (t["to_wave"] == waves[-1])] if len(waves) == 3 else \
        t[(t["from_wave"] == waves[-2]) & (t["to_wave"] == waves[-1])]
    first_to_last = t[(t["from_wave"] == waves[0]) & (t["to_wave"] == waves[-1])]
    decline = bool(len(post_to_last) and post_to_last["ci_high"].iloc[0] < 0)
    kept = bool(len(first_to_last) and first_to_last["ci_low"].iloc[0] > 0)
    return {"group": main_group, "waves": list(waves), "steps": steps, "confidence": confidence,
            "significant_decline_after_post": decline, "still_above_baseline": kept, "held": (not decline) and kept}


def ancova(pairs: pd.DataFrame, info: pd.DataFrame, scale: str, *, reference: str = "control",
           confidence: float = 0.95) -> dict[str, Any]:
    """post ~ pre + group (treatment coding against ``reference``)."""
    df = pd.DataFrame({
        "post": pairs[f"{scale}_post"], "pre": pairs[f"{scale}_pre"],
        "group": info["group"].reindex(pairs.index),
    }).dropna()
    m = stats.controlled_effect(df, outcome="post", baseline="pre", group="group", reference=reference,
                                confidence=confidence)
    eff = m.effects.copy()
    eff.index.name = "group"
    return {"scale": scale, "n": m.n, "baseline_slope": m.baseline_slope, "reference": reference,
            "effects": eff.reset_index(), "method": m.method}


def mixed(pairs: pd.DataFrame, info: pd.DataFrame, scale: str, *, reference: str = "control",
          confidence: float = 0.95) -> dict[str, Any]:
    """post ~ pre + group with a random intercept per team (agents nested in teams), REML."""
    from ccstudy.stats.effects import mixed_effect

    info = info[["team", "group"]].reindex(pairs.index)
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


# --------------------------------------------------------------------------- reliable change
RC_KPIS = ("fcr", "csat", "qa_score", "aht_sec")
#: Months averaged on each side of the training for an agent's KPI change.
KPI_CHANGE_MONTHS = 3


def scale_reliabilities(responses: pd.DataFrame, items: pd.DataFrame, scale_names: list[str], *, wave: str,
                        scale: tuple[int, int], missing: str = "pairwise") -> dict[str, float]:
    """Cronbach's alpha (Pearson) of the total and each dimension in *wave*: the reliability behind the RCI."""
    from ccstudy.analysis.scoring import reversed_items, scales

    groups = scales(items)
    spec = {s: (groups["total"]["total"] if s == "total" else groups["dimension"][s]) for s in scale_names}
    spec = {s: cols for s, cols in spec.items() if len(cols) >= 2}
    data = responses.loc[responses["wave"].astype(str) == str(wave)]
    rev = [c for c in reversed_items(items) if any(c in cols for cols in spec.values())]
    import warnings

    out: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s, cols in spec.items():  # one scale at a time: a constant item spoils only its own scale
            try:
                tab = stats.reliability_table(data, {s: cols}, statistics="alpha", total=None,
                                              reverse=[c for c in rev if c in cols], scale=scale, missing=missing)
            except ValueError:
                continue
            out[s] = float(tab.loc[s, "alpha"])
    return out


def reliable_change_tables(pairs: pd.DataFrame, info: pd.DataFrame, pre_scores: pd.DataFrame,
                           reliabilities: dict[str, float], *, confidence: float) -> dict[str, pd.DataFrame]:
    """Jacobson-Truax reliable change of every agent on each scale, and the shares per group.

    *pre_scores* are the whole pre wave's scores (the SD of the RCI is the pre
    wave's, over every agent who answered it).  Returns ``agents`` (one row per
    agent and scale: group, team, pre, post, change, rci, status) and ``shares``
    (per group and scale: n, counts and shares improved / deteriorated /
    unchanged, the reliability, SD, S_diff and the smallest reliable change).
    Without groups every agent is in :data:`ALL_AGENTS`.
    """
    rows, share_rows = [], []
    groups = info["group"].reindex(pairs.index) if "group" in info else pd.Series(None, index=pairs.index)
    teams = info["team"].reindex(pairs.index) if "team" in info else pd.Series(None, index=pairs.index)
    groups = groups.where(groups.notna(), ALL_AGENTS) if groups.isna().all() else groups
    for s, rel in reliabilities.items():
        if not (0.0 < rel < 1.0):
            continue
        sd = float(pre_scores[s].std(ddof=1))
        if not (sd > 0) or pairs[[f"{s}_pre", f"{s}_post"]].dropna().empty:
            continue
        rc = stats.reliable_change(pairs[f"{s}_pre"], pairs[f"{s}_post"], rel, sd=sd, confidence=confidence)
        a = rc.agents.copy()
        a.insert(0, "team", teams)
        a.insert(0, "group", groups)
        a.insert(0, "scale", s)
        a.index.name = "agent_id"
        rows.append(a.reset_index())
        for g in [g for g in pd.unique(groups.dropna())]:
            st = a.loc[groups == g, "status"].dropna()
            n = int(len(st))
            if n == 0:
                continue
            share_rows.append({"group": g, "scale": s, "n": n,
                               "n_improved": int((st == "improved").sum()),
                               "n_deteriorated": int((st == "deteriorated").sum()),
                               "share_improved": float((st == "improved").mean()),
                               "share_deteriorated": float((st == "deteriorated").mean()),
                               "share_unchanged": float((st == "unchanged").mean()),
                               "reliability": rel, "sd": sd, "se_diff": rc.se_diff, "min_change": rc.min_change})
    agents = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["agent_id", "scale", "group", "team", "pre", "post", "change", "rci", "status"])
    shares = pd.DataFrame(share_rows, columns=["group", "scale", "n", "n_improved", "n_deteriorated", "share_improved",
                                               "share_deteriorated", "share_unchanged", "reliability", "sd",
                                               "se_diff", "min_change"])
    return {"agents": agents, "shares": shares}


def kpi_change(agent_kpis: pd.DataFrame, *, start: str, end: str, months: int = KPI_CHANGE_MONTHS) -> pd.DataFrame:
    """Each agent's KPI change: the *months* after the training (after ``end``) minus the *months* before ``start``.

    Contact-weighted means (:func:`ccstudy.analysis.validity.agent_kpi_window`);
    rates in percentage points.  Columns ``<kpi>_change`` for the KPIs present.
    """
    from ccstudy.analysis.validity import agent_kpi_window

    kpis = [k for k in RC_KPIS if k in agent_kpis.columns and agent_kpis[k].notna().any()]
    if not kpis:
        return pd.DataFrame()
    s, e = pd.Period(str(start), freq="M"), pd.Period(str(end), freq="M")
    before = agent_kpi_window(agent_kpis, kpis, str(s - months), str(s - 1))
    after = agent_kpi_window(agent_kpis, kpis, str(e + 1), str(e + months))
    ch = (after[kpis] - before[kpis]).dropna(how="all")
    for k in kpis:
        if k in ("fcr", "csat"):
            ch[k] = ch[k] * 100
    ch.columns = [f"{k}_change" for k in kpis]
    ch.index.name = "agent_id"
    return ch


def rc_kpi_link(agents: pd.DataFrame, change: pd.DataFrame, *, confidence: float) -> pd.DataFrame:
    """Does reliable change on the total go with a KPI change?  Per KPI: r(RCI, KPI change) and the
    mean KPI change of agents who reliably improved vs the others (all agents with both)."""
    tot = agents[agents["scale"] == "total"].set_index("agent_id")
    rows = []
    for col in change.columns:
        d = tot[["rci", "status"]].join(change[col], how="inner").dropna(subset=["rci", col])
        if len(d) < 4:
            continue
        try:
            c = stats.correlate(d["rci"], d[col], confidence=confidence)
        except ValueError:  # e.g. a constant KPI change
            continue
        imp = d.loc[d["status"] == "improved", col]
        rest = d.loc[d["status"] != "improved", col]
        rows.append({"kpi": col.removesuffix("_change"), "n": c.n, "r": c.r, "ci_low": c.ci_low, "ci_high": c.ci_high,
                     "p": c.p, "n_improved": int(len(imp)),
                     "mean_change_improved": float(imp.mean()) if len(imp) else float("nan"),
                     "mean_change_others": float(rest.mean()) if len(rest) else float("nan")})
    return pd.DataFrame(rows, columns=["kpi", "n", "r", "ci_low", "ci_high", "p", "n_improved",
                                       "mean_change_improved", "mean_change_others"])


# --------------------------------------------------------------------------- measurement invariance
def invariance_factors(items: pd.DataFrame) -> tuple[str, dict[str, list[str]]]:
    """The factor model of the ladder: competencies (first-order model of the item map) when every
    competency has at least 2 items, else dimensions, else one factor of all items."""
    from ccstudy.analysis.scoring import item_columns, scales

    groups = scales(items)
    for level in ("competency", "dimension"):
        g = groups[level]
        if g and all(len(cols) >= 2 for cols in g.values()) and (level != "dimension" or len(g) >= 1):
            return level, {k: list(v) for k, v in g.items()}
    return "total", {"total": item_columns(items)}


def invariance(responses: pd.DataFrame, items: pd.DataFrame, *, pre: str, post: str,
               scale: tuple[int, int]) -> dict[str, Any]:
    """Configural / metric / scalar invariance of the competency model between *pre* and *post*.

    Reverse-keyed items are recoded (``min + max - x``) first so every loading is
    positive.  Returns ``fits`` (the ladder table), ``summary`` (holds, n, the
    factor level used, whether pre/post means compare) or raises ValueError
    when the data cannot support the model (too few complete agents).
    """
    from ccstudy.analysis.scoring import reversed_items

    level, factors = invariance_factors(items)
    cols = [c for f in factors.values() for c in f]
    r = responses.drop_duplicates(["agent_id", "wave"], keep="last")
    a = r[r["wave"].astype(str) == str(pre)].set_index("agent_id")[cols].astype(float)
    b = r[r["wave"].astype(str) == str(post)].set_index("agent_id")[cols].astype(float)
    rev = [c for c in reversed_items(items) if c in cols]
    if rev:
        a[rev] = scale[0] + scale[1] - a[rev]
        b[rev] = scale[0] + scale[1] - b[rev]
    inv = stats.longitudinal_invariance(a, b, factors)
    fits = inv.fits.copy()
    fits.index.name = "level"
    summary = {"holds": inv.holds, "n": inv.n, "n_dropped": inv.n_dropped, "factor_level": level,
               "n_factors": len(factors), "pre": pre, "post": post,
               "means_comparable": inv.holds == "scalar",
               "delta_cfi": inv.delta_cfi, "delta_rmsea": inv.delta_rmsea,
               "fits": fits.reset_index().to_dict(orient="records"), "warnings": list(inv.warnings)}
    return {"fits": fits.reset_index(), "summary": summary}
