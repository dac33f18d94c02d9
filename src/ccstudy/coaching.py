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


def team_profiles(scores: pd.DataFrame, roster: pd.DataFrame, competencies: list[str]) -> pd.DataFrame:
    df = scores.merge(roster[["agent_id", "team"]], on="agent_id", how="left")
    prof = df.groupby("team")[competencies].mean()
    prof.insert(0, "n", df.groupby("team").size())
    return prof


def weak_spots(scores: pd.DataFrame, roster: pd.DataFrame, items: pd.DataFrame, *, wave: str,
               weak_gap: float = 0.25, n_weakest: int = 3, shared_share: float = 0.5) -> dict[str, Any]:
    """Team and agent weak spots in one wave.

    A competency is a team weak spot when the team mean is at least
    ``weak_gap`` below the centre mean, or among the team's ``n_weakest``
    competencies.  It is *shared* (group programme) when at least
    ``shared_share`` of the team's agents score below the centre mean on it.
    An agent's weak spots are competencies at least ``weak_gap`` below the
    centre mean (personal plan).
    """
    comps = list(dict.fromkeys(items["competency"]))
    names = labels(items)
    sc = scores[scores["wave"] == wave]
    centre = sc[comps].mean()
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
    agent_rows = []
    for _, r in merged.iterrows():
        for c in comps:
            gap = r[c] - centre[c]
            if pd.notna(gap) and gap <= -weak_gap:
                agent_rows.append({"agent_id": r["agent_id"], "team": r["team"], "competency": c,
                                   "label": names.get(c, c), "score": float(r[c]), "gap": float(gap)})
    agents = pd.DataFrame(agent_rows, columns=["agent_id", "team", "competency", "label", "score", "gap"])
    return {"centre": centre, "profiles": prof, "teams": pd.DataFrame(team_rows), "agents": agents}


def mentoring_pairs(scores: pd.DataFrame, roster: pd.DataFrame, perf: pd.Series, *, wave: str,
                    top_share: float = 0.30) -> pd.DataFrame:
    """Pair each team's top agents (by total score + performance) with its bottom agents.

    The composite is the mean of the within-team z-scores of the total score
    and the performance measure; the best mentor is paired with the weakest
    mentee, and so on.  Ties are broken by agent id so the result is stable.
    """
    sc = scores[scores["wave"] == wave].set_index("agent_id")[["total"]]
    df = sc.join(perf.rename("perf"), how="inner").join(roster.set_index("agent_id")[["team"]], how="left")
    rows = []
    for team, sub in df.groupby("team", sort=True):
        z = (sub[["total", "perf"]] - sub[["total", "perf"]].mean()) / sub[["total", "perf"]].std(ddof=0)
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


def attrition_watch(roster: pd.DataFrame, perf: pd.Series, *, training_start: str, training_end: str,
                    top_share: float = 0.30) -> dict[str, Any]:
    """Training-period attrition (trained agents leaving during the programme) and top-performer attrition."""
    r = roster.copy()
    r["exit_month"] = pd.to_datetime(r["exit_date"]).dt.to_period("M").astype(str)
    r.loc[r["exit_date"].isna(), "exit_month"] = None
    trained = r[r["group"] == "trained"]
    in_training = trained["exit_month"].between(training_start, training_end)
    cutoff = perf.quantile(1 - top_share)
    top_ids = perf.index[perf >= cutoff]
    top = r[r["agent_id"].isin(top_ids)]
    rest = r[~r["agent_id"].isin(top_ids) & r["agent_id"].isin(perf.index)]
    return {
        "training_period_leavers": int(in_training.sum()),
        "trained_agents": int(len(trained)),
        "training_period_attrition": float(in_training.mean()) if len(trained) else float("nan"),
        "top_performers": int(len(top)),
        "top_performer_leavers": int(top["exit_date"].notna().sum()),
        "top_performer_attrition": float(top["exit_date"].notna().mean()) if len(top) else float("nan"),
        "other_attrition": float(rest["exit_date"].notna().mean()) if len(rest) else float("nan"),
        "top_share": top_share,
    }
