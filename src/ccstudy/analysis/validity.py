"""Stage 20: do competency scores go with job performance?"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ccstudy import stats
from ccstudy.stats.association import correlation_table
from ccstudy.analysis.scoring import dimensions, labels


def agent_kpi_window(agent_kpis: pd.DataFrame, kpis: list[str], start: str, end: str) -> pd.DataFrame:
    """Per-agent KPI means over the months ``start``..``end`` (inclusive).

    Rates are contact-weighted (a month with more contacts counts more);
    ``aht_sec`` and ``qa_score`` are contact-weighted too.  Returns one row per
    agent with the KPI columns and ``months`` (how many months contributed).
    """
    w = agent_kpis[(agent_kpis["month"] >= start) & (agent_kpis["month"] <= end)]
    if w.empty:
        raise ValueError(f"validity window {start}..{end} holds no agent-month KPIs; "
                         f"months present: {agent_kpis['month'].min()}..{agent_kpis['month'].max()}")
    missing = [k for k in kpis if k not in w.columns]
    if missing:
        raise ValueError(f"validity.kpis names columns not in the agent KPIs: {missing}; "
                         f"available: {[c for c in w.columns if c not in ('agent_id', 'month')]}")
    weight = w["contacts"].astype("float64") if "contacts" in w else pd.Series(1.0, index=w.index)
    num = w[kpis].mul(weight, axis=0).groupby(w["agent_id"]).sum(min_count=1)
    den = w[kpis].notna().mul(weight, axis=0).groupby(w["agent_id"]).sum()
    out = num / den.replace(0, np.nan)
    out["months"] = w.groupby("agent_id").size()
    return out


def tenure_months(roster: pd.DataFrame, at: str) -> pd.Series:
    """Months of service at the end of month *at* (YYYY-MM), by agent."""
    end = pd.Period(at, freq="M").to_timestamp(how="end")
    hire = pd.to_datetime(roster["hire_date"])
    return pd.Series(((end - hire).dt.days / 30.4375).to_numpy(), index=roster["agent_id"].to_numpy(),
                     name="tenure_months")


def score_kpi_correlations(
    scores: pd.DataFrame,
    agent_kpis: pd.DataFrame,
    roster: pd.DataFrame | None,
    items: pd.DataFrame,
    *,
    wave: str,
    kpis: list[str],
    window: tuple[str, str],
    method: str = "pearson",
    covariates: list[str] = (),
    adjust: str = "holm",
    confidence: float = 0.95,
    focus_team: str | None = None,
) -> dict[str, Any]:
    """Correlate wave scores with KPIs averaged over a window, plus partial r.

    Returns ``table`` (every competency, dimension and total × KPI, with raw
    and adjusted p), ``partial`` (total × KPI controlling for ``covariates``),
    ``focus`` (total × KPI within the focus team), a ``summary`` and
    ``not_estimable`` (what could not be computed, with the reason).  Without a
    roster there are no covariates and no focus team.
    """
    sc = scores[scores["wave"] == wave].set_index("agent_id")
    perf = agent_kpi_window(agent_kpis, kpis, *window)
    joined = sc.join(perf, how="inner")
    names = labels(items)
    not_estimable: dict[str, str] = {}
    score_cols = list(dict.fromkeys([str(c) for c in items["competency"]] + dimensions(items) + ["total"]))
    table = correlation_table(joined[score_cols], joined[kpis], method=method, adjust=adjust,
                                    confidence=confidence)
    table.insert(1, "label", table["score"].map(lambda s: names.get(s, s)))
    cov_frame = None
    usable = []
    for c in covariates:
        if roster is not None and c == "tenure_months" and "hire_date" in roster:
            usable.append(c)
        elif roster is not None and c in roster.columns and pd.api.types.is_numeric_dtype(roster[c]):
            usable.append(c)
        else:
            not_estimable[f"partial correlations controlling for {c}"] = (
                f"{c!r} is neither 'tenure_months' (needs the roster's hire_date) nor a numeric roster column")
    if usable:
        cov = pd.DataFrame(index=joined.index)
        for c in usable:
            if c == "tenure_months":
                cov[c] = tenure_months(roster, window[1]).reindex(joined.index)
            else:
                cov[c] = roster.set_index("agent_id")[c].reindex(joined.index)
        cov_frame = cov
    partial_rows = []
    for k in kpis:
        r = stats.correlate(joined["total"], joined[k], method=method, covariates=cov_frame,
                            confidence=confidence)
        partial_rows.append({"kpi": k, **{f: getattr(r, f) for f in ("n", "r", "ci_low", "ci_high", "p")},
                             "covariates": ", ".join(r.covariates)})
    partial = pd.DataFrame(partial_rows) if usable else None
    focus_rows = []
    if focus_team is not None and roster is not None and "team" in roster:
        ids = roster.loc[roster["team"] == focus_team, "agent_id"]
        f = joined.loc[joined.index.isin(ids)]
        for k in kpis:
            try:
                r = stats.correlate(f["total"], f[k], method=method, confidence=confidence)
            except ValueError as exc:
                not_estimable[f"correlation of the total score with {k} in team {focus_team}"] = \
                    f"not estimable: {exc}"
                continue
            focus_rows.append({"kpi": k, **{fld: getattr(r, fld) for fld in ("n", "r", "ci_low", "ci_high", "p")}})
    focus = pd.DataFrame(focus_rows, columns=["kpi", "n", "r", "ci_low", "ci_high", "p"])
    tot = table[table["score"] == "total"].set_index("kpi")
    summary = {
        "wave": wave, "window_start": window[0], "window_end": window[1], "method": method,
        "adjust": adjust, "confidence": confidence, "n_agents": int(len(joined)),
        "total": {k: {c: tot.loc[k, c] for c in ("n", "r", "ci_low", "ci_high", "p", "p_adj")} for k in kpis},
        "n_pairs": int(len(table)),
        "n_significant_adj": int((table["p_adj"] < 1 - confidence).sum()),
        "focus_team": focus_team,
        "focus": {row["kpi"]: {c: row[c] for c in ("n", "r", "ci_low", "ci_high", "p")} for _, row in focus.iterrows()},
    }
    return {"summary": summary, "table": table, "partial": partial, "focus": focus, "joined": joined,
            "not_estimable": not_estimable}
