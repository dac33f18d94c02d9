"""Stage 50: where are the weak spots, per team and per agent?

Turns scores and KPIs into coaching targets:

* team profiles (mean per competency) against the centre, and each team's
  weakest competencies;
* *shared* weaknesses (most of a team below the centre mean) → a group
  programme; *individual* ones → a personal plan ("teach according to aptitude");
* mentoring pairs: the top share of a team mentors the bottom share, so strong
  agents are not ignored while effort goes to the weak ones;
* an attrition watch: training-period attrition and top-performer attrition.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ccstudy.analysis.scoring import labels


def agent_teams(roster: pd.DataFrame | None) -> pd.DataFrame | None:
    """``agent_id`` and ``team`` of every agent with a team; None without a roster or a team column."""
    if roster is None or "team" not in roster:
        return None
    return roster.loc[roster["team"].notna(), ["agent_id", "team"]].reset_index(drop=True)


def team_profiles(scores: pd.DataFrame, roster: pd.DataFrame, competencies: list[str]) -> pd.DataFrame:
    df = scores.merge(roster[["agent_id", "team"]], on="agent_id", how="left")
    prof = df.groupby("team")[competencies].mean()
    prof.insert(0, "n", df.groupby("team").size())
    return prof


def weak_spots(scores: pd.DataFrame, roster: pd.DataFrame | None, items: pd.DataFrame, *, wave: str,
               weak_gap: float = 0.25, n_weakest: int = 3, shared_share: float = 0.5) -> dict[str, Any]:
    """Team and agent weak spots in one wave.

    A competency is a team weak spot when the team mean is at least
    ``weak_gap`` below the centre mean, or among the team's ``n_weakest``
    competencies.  It is *shared* (group programme) when at least
    ``shared_share`` of the team's agents score below the centre mean on it.
    An agent's weak spots are competencies at least ``weak_gap`` below the
    centre mean (personal plan).

    Without teams (*roster* None) only the centre profile and the agents' weak
    spots are computed; ``profiles`` and ``teams`` are None.
    """
    comps = list(dict.fromkeys(items["competency"].astype(str)))
    names = labels(items)
    sc = scores[scores["wave"] == wave]
    centre = sc[comps].mean()
    centre_table = pd.DataFrame({"competency": comps, "label": [names.get(c, c) for c in comps],
                                 "mean": centre.to_numpy(), "sd": sc[comps].std().to_numpy(),
                                 "n": sc[comps].notna().sum().to_numpy()})
    centre_table["rank"] = centre_table["mean"].rank(method="first").astype(int)
    if roster is None:
        merged = sc.assign(team=None)
        agents = _agent_weak_spots(merged, comps, centre, names, weak_gap)
        return {"centre": centre, "centre_table": centre_table, "profiles": None, "teams": None, "agents": agents}
    prof = team_profiles(sc, roster, comps)
    merged = sc.merge(roster[["agent_id", "team"]], on="agent_id", how="left")
    team_rows = []
    for team, row in prof.iterrows():
        sub = merged[merged["team"] == team]
        order = row[comps].astype(float).sort_values(kind="stable")
        for rank, (c, v) in enumerate(order.items(), start=1):
            gap = float(v - centre[c])
            below = float((sub[c] < centre[c]).mean())
            if rank <= n_weakest or gap <= -weak_gap:
                team_rows.append({"team": team, "n": int(row["n"]), "competency": c, "label": names.get(c, c),
                                  "team_mean": float(v), "centre_mean": float(centre[c]), "gap": gap,
                                  "rank": rank, "share_below_centre": below,
                                  "plan": "group programme" if below >= shared_share else "personal plans"})
    agents = _agent_weak_spots(merged, comps, centre, names, weak_gap)
    teams = pd.DataFrame(team_rows, columns=["team", "n", "competency", "label", "team_mean", "centre_mean", "gap",
                                             "rank", "share_below_centre", "plan"])
    return {"centre": centre, "centre_table": centre_table, "profiles": prof, "teams": teams, "agents": agents}


def _agent_weak_spots(merged: pd.DataFrame, comps: list[str], centre: pd.Series, names: dict[str, str],
                      weak_gap: float) -> pd.DataFrame:
    # Agent by agent (in the table's order), competency by competency: the positions of the weak spots.
    vals = merged[comps].to_numpy(dtype=float)
    gaps = vals - centre[comps].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        weak = ~np.isnan(gaps) & (gaps <= -weak_gap)
    rows, cols = np.nonzero(weak)
    comp_arr = np.array(comps, dtype=object)
    return pd.DataFrame({
        "agent_id": merged["agent_id"].to_numpy()[rows], "team": merged["team"].to_numpy()[rows],
        "competency": comp_arr[cols], "label": [names.get(c, c) for c in comp_arr[cols]],
        "score": vals[rows, cols], "gap": gaps[rows, cols],
    }, columns=["agent_id", "team", "competency", "label", "score", "gap"])


def mentoring_pairs(scores: pd.DataFrame, roster: pd.DataFrame, perf: pd.Series | None, *, wave: str,
                    top_share: float = 0.30) -> pd.DataFrame:
    """Pair each team's top agents (by total score + performance) with its bottom agents.

    The composite is the mean of the within-team z-scores of the total score
    and the performance measure (the total score alone when the study has no
    KPIs, *perf* None); the best mentor is paired with the weakest mentee, and
    so on.  Ties are broken by agent id so the result is stable.
    """
    sc = scores[scores["wave"] == wave].set_index("agent_id")[["total"]]
    measures = ["total", "perf"] if perf is not None else ["total"]
    df = sc.join(perf.rename("perf"), how="inner") if perf is not None else sc
    df = df.join(roster.set_index("agent_id")[["team"]], how="left")
    rows = []
    for team, sub in df.groupby("team", sort=True):
        z = (sub[measures] - sub[measures].mean()) / sub[measures].std(ddof=0)
        comp = z.mean(axis=1).fillna(0).rename("composite").reset_index()
        comp = comp.sort_values(["composite", "agent_id"], ascending=[False, True], kind="stable")
        k = int(np.floor(top_share * len(comp)))
        if k == 0:
            continue
        mentors = comp.head(k)
        mentees = comp.tail(k).iloc[::-1]
        for (_, m), (_, e) in zip(mentors.iterrows(), mentees.iterrows()):
            rows.append({"team": team, "mentor": m["agent_id"], "mentor_composite": m["composite"],
                         "mentee": e["agent_id"], "mentee_composite": e["composite"]})
    return pd.DataFrame(rows, columns=["team", "mentor", "mentor_composite", "mentee", "mentee_composite"])


def attrition_watch(roster: pd.DataFrame, perf: pd.Series | None, *, training_start: str | None,
                    training_end: str | None, top_share: float = 0.30) -> dict[str, Any]:
    """Training-period attrition (trained agents leaving during the programme) and top-performer attrition.

    Training-period attrition needs the roster's ``group`` column and the training
    months; top-performer attrition needs a performance measure (*perf*).  What
    the inputs do not allow is None.
    """
    r = roster.copy()
    r["exit_month"] = pd.to_datetime(r["exit_date"]).dt.to_period("M").astype(str)
    r.loc[r["exit_date"].isna(), "exit_month"] = None
    out: dict[str, Any] = {"training_period_leavers": None, "trained_agents": None, "training_period_attrition": None,
                           "top_performers": None, "top_performer_leavers": None, "top_performer_attrition": None,
                           "other_attrition": None, "top_share": top_share,
                           "leavers": int(r["exit_date"].notna().sum()), "agents": int(len(r))}
    if "group" in r and training_start and training_end:
        trained = r[r["group"] == "trained"]
        in_training = trained["exit_month"].between(training_start, training_end)
        out.update(training_period_leavers=int(in_training.sum()), trained_agents=int(len(trained)),
                   training_period_attrition=float(in_training.mean()) if len(trained) else float("nan"))
    if perf is None or perf.dropna().empty:
        return out
    cutoff = perf.quantile(1 - top_share)
    top_ids = perf.index[perf >= cutoff]
    top = r[r["agent_id"].isin(top_ids)]
    rest = r[~r["agent_id"].isin(top_ids) & r["agent_id"].isin(perf.index)]
    out.update(top_performers=int(len(top)), top_performer_leavers=int(top["exit_date"].notna().sum()),
               top_performer_attrition=float(top["exit_date"].notna().mean()) if len(top) else float("nan"),
               other_attrition=float(rest["exit_date"].notna().mean()) if len(rest) else float("nan"))
    return out


# --------------------------------------------------------------------------- soft-skill or knowledge gaps
KINDS = ("soft_skill", "knowledge")


def competency_kinds(items: pd.DataFrame) -> dict[str, str]:
    """Competency -> ``kind`` from the item map's optional column (first declared value); empty without it."""
    if "kind" not in items:
        return {}
    out: dict[str, str] = {}
    for c, k in zip(items["competency"].astype(str), items["kind"]):
        if isinstance(k, str) and k in KINDS and c not in out:
            out[c] = k
    return out


def gap_kinds(team_weak: pd.DataFrame | None, kinds: dict[str, str]) -> pd.DataFrame | None:
    """Are a team's gaps mainly soft-skill or knowledge gaps?

    Over each team's weak spots that lie below the centre mean, the shortfall
    (sum of ``-gap``) of soft-skill and of knowledge competencies; ``main`` is
    the kind holding more than half of the team's shortfall (``"mixed"``
    otherwise).  Soft-skill gaps call for a group programme (practice,
    role-play, coaching); knowledge gaps for a knowledge-base or process fix.
    None without teams or without declared kinds.
    """
    if team_weak is None or not kinds:
        return None
    rows = []
    for team, sub in team_weak.groupby("team", sort=True):
        below = sub[sub["gap"] < 0]
        short = {k: 0.0 - float(below.loc[below["competency"].map(kinds) == k, "gap"].sum()) + 0.0 for k in KINDS}
        count = {k: int((below["competency"].map(kinds) == k).sum()) for k in KINDS}
        total = short["soft_skill"] + short["knowledge"]
        main = None
        if total > 0:
            main = next((k for k in KINDS if short[k] > total / 2), "mixed")
        rows.append({"team": team, "soft_skill_shortfall": short["soft_skill"], "knowledge_shortfall": short["knowledge"],
                     "n_soft_skill": count["soft_skill"], "n_knowledge": count["knowledge"], "main": main})
    return pd.DataFrame(rows, columns=["team", "soft_skill_shortfall", "knowledge_shortfall", "n_soft_skill",
                                       "n_knowledge", "main"])

