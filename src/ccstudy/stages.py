"""One function per pipeline stage: read the bundle, analyse, write results.

The notebooks call these (plus narrative and figures); the benchmark calls
them directly to measure the notebook overhead.  Each returns a dict of the
objects a notebook shows.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from ccstudy._lazy import lazy_module
from ccstudy.io.bundle import Bundle, team_slug

# Imported on first use (see ccstudy._lazy): a stage kernel loads only what its stage needs,
# e.g. the intake never pays for matplotlib, seaborn, scipy.stats or statsmodels.
plt = lazy_module("matplotlib.pyplot")
coach = lazy_module("ccstudy.coaching")
figures = lazy_module("ccstudy.figures")
rel_mod = lazy_module("ccstudy.analysis.reliability")
scoring = lazy_module("ccstudy.analysis.scoring")
train_mod = lazy_module("ccstudy.analysis.training")
trend_mod = lazy_module("ccstudy.analysis.trends")
val_mod = lazy_module("ccstudy.analysis.validity")

log = logging.getLogger(__name__)

STAGES = ("00_intake", "10_reliability", "20_validity", "30_training", "40_kpi_trends", "50_coaching")

# What each stage depends on, for the pipeline's cache: the params keys (or whole sections) it
# reads, and the stages whose outputs it reads.  A stage re-runs only when one of these, its
# notebook, the raw inputs or the ccstudy source changed.  tests/test_stages.py checks that every
# key a stage function reads is declared here.
STAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "00_intake": ("scale", "inputs", "waves", "cleaning", "outputs"),
    "10_reliability": ("scale", "waves", "reliability", "confidence", "seed"),
    "20_validity": ("waves", "validity", "confidence", "coaching.focus_team"),
    "30_training": ("waves", "training", "confidence"),
    "40_kpi_trends": ("trends", "confidence"),
    "50_coaching": ("waves", "coaching", "validity.window", "training.start", "training.end", "reports"),
}
STAGE_UPSTREAM: dict[str, tuple[str, ...]] = {
    "00_intake": (),
    **{s: ("00_intake",) for s in STAGES[1:]},
}

KPI_LABELS = {"fcr": "FCR", "csat": "CSAT", "qa_score": "QA score", "aht_sec": "AHT (s)",
              "answer_rate": "Answer rate", "attrition": "Attrition"}


def _scale(b: Bundle) -> tuple[int, int]:
    return int(b.params.get("scale.min")), int(b.params.get("scale.max"))


def _fig(b: Bundle, name: str, fig) -> None:
    b.write_figure(name, fig)
    plt.close(fig)


def intake(b: Bundle) -> dict[str, Any]:
    """Stage 00: validate, clean, write the clean tables, the cleaning log and the scores."""
    from ccstudy.io.intake import run_intake, write_intake

    result = run_intake(b.params)
    write_intake(result, b.params)
    for name in result.tables:
        b.record(f"{name}.parquet")
    b.record("cleaning_log.csv")
    b.record("intake_summary.json")
    items = result.tables["items"]
    scores = scoring.score(result.tables["responses"], items, _scale(b))
    b.write_table("scores", scores)
    log_counts = result.cleaning_log.groupby("rule").size().rename("changes").reset_index() \
        if len(result.cleaning_log) else pd.DataFrame(columns=["rule", "changes"])
    b.write_csv("cleaning_summary", log_counts)
    return {"result": result, "scores": scores, "cleaning_summary": log_counts}


def reliability(b: Bundle) -> dict[str, Any]:
    """Stage 10: alpha and relatives for every competency, dimension and the total."""
    p = b.params
    # reliability.wave names a wave role ("pre"/"post", mapped through waves.*) or a wave label.
    role = p.get("reliability.wave", "pre")
    wave = p.get(f"waves.{role}", role)
    responses, items = b.table("responses"), b.table("items")
    out = rel_mod.reliability_tables(
        responses, items, scale=_scale(b), wave=wave, missing=p.get("reliability.missing"),
        confidence=p.get("confidence"), n_boot=int(p.get("reliability.n_boot", 0)), seed=p.seed)
    fm = rel_mod.factor_model(responses, items, scale=_scale(b), wave=wave)
    out["cfa"] = fm
    b.write_csv("cfa_loadings", fm["loadings"].reset_index() if fm["loadings"].index.name else fm["loadings"])
    b.write_csv("cfa_omega", fm["omega"])
    b.write_result("reliability", {"summary": out["summary"], "scales": out["scales"], "cfa": fm["fit"]})
    b.write_csv("reliability_scales", out["scales"])
    b.write_csv("reliability_items", out["items"])
    _fig(b, "reliability", figures.reliability_bars(out["scales"]))
    return out


def validity(b: Bundle) -> dict[str, Any]:
    """Stage 20: competency scores against KPIs."""
    p = b.params
    items = b.table("items")
    out = val_mod.score_kpi_correlations(
        b.table("scores"), b.table("agent_kpis"), b.table("roster"), items,
        wave=p.get("waves.pre"), kpis=list(p.get("validity.kpis")),
        window=(p.get("validity.window.start"), p.get("validity.window.end")),
        method=p.get("validity.method"), covariates=list(p.get("validity.covariates") or []),
        adjust=p.get("validity.adjust"), confidence=p.get("confidence"),
        focus_team=p.get("coaching.focus_team"))
    b.write_result("validity", {"summary": out["summary"], "partial": out["partial"], "focus": out["focus"]})
    b.write_csv("validity_correlations", out["table"])
    b.write_csv("validity_partial", out["partial"])
    _fig(b, "validity", figures.correlation_heatmap(out["table"], KPI_LABELS))
    return out


def training(b: Bundle) -> dict[str, Any]:
    """Stage 30: pre/post effects, ANCOVA vs control, focus-team KPIs, DiD, sensitivity."""
    p = b.params
    conf = p.get("confidence")
    items = b.table("items")
    roster = b.table("roster")
    scores = b.table("scores")
    pairs = train_mod.paired_scores(scores, p.get("waves.pre"), p.get("waves.post"))
    dims = list(dict.fromkeys(items["dimension"]))
    comps = list(dict.fromkeys(items["competency"]))
    focus = p.get("training.focus_team")
    prepost = train_mod.prepost_table(pairs, roster, ["total"] + dims + comps, focus_team=focus, confidence=conf)
    prepost.insert(2, "label", prepost["scale"].map(scoring.labels(items)))
    # Without both a trained and a control group there is nothing to compare against: the
    # controlled analyses are skipped and the reports say so (pre/post changes remain).
    groups = set(roster.loc[roster["agent_id"].isin(pairs.index), "group"].dropna())
    controlled = {"trained", "control"} <= groups
    anc = train_mod.ancova(pairs, roster, "total", confidence=conf) if controlled else None
    mixed = train_mod.mixed(pairs, roster, "total", confidence=conf) if controlled else None
    kpis = b.table("agent_kpis")
    staff = b.table("staff_survey") if b.has_table("staff_survey") else None
    mom = train_mod.focus_month_on_month(kpis, roster, staff, team=focus, before=p.get("training.before_month"),
                                         after=p.get("training.after_month"), confidence=conf)
    sat = train_mod.training_satisfaction(b.table("training"), int(p.get("training.satisfied_min"))) \
        if b.has_table("training") else None
    did = train_mod.did_fcr(kpis, roster, start=p.get("training.start"), end=p.get("training.end"),
                            confidence=conf) if controlled else None
    n_focus = int(prepost.loc[(prepost["group"] == f"team {focus}") & (prepost["scale"] == "total"), "n"].iloc[0])
    sens = {"focus_team_paired": train_mod.sensitivity(n_focus, alpha=round(1 - conf, 12), power=float(p.get("training.power")))}
    if "fcr_test" in mom:
        sens["focus_team_fcr"] = train_mod.sensitivity(int(mom["fcr_test"]["n"]), alpha=round(1 - conf, 12),
                                                       power=float(p.get("training.power")))
    tot = prepost[prepost["scale"] == "total"].set_index("group")
    summary = {
        "programme": p.get("training.programme"), "focus_team": focus, "confidence": conf,
        "total": {g: {c: tot.loc[g, c] for c in ("n", "pre_mean", "post_mean", "mean_diff", "ci_low", "ci_high",
                                                  "p", "cohens_dz", "dz_ci_low", "dz_ci_high", "wilcoxon_p")}
                  for g in tot.index},
        "ancova": {"n": anc["n"], **{c: anc["effects"].iloc[0][c] for c in ("group", "b", "se", "p", "ci_low", "ci_high")}}
        if anc else None,
        "mixed": mixed["summary"] if mixed else None,
        "groups": sorted(groups),
        "focus_month_on_month": mom, "training_satisfaction": sat, "did_fcr": did, "sensitivity": sens,
    }
    b.write_result("training", summary)
    b.write_csv("training_prepost", prepost)
    if anc:
        b.write_csv("training_ancova", anc["effects"])
        b.write_csv("training_mixed", mixed["fixed"])
    labels = scoring.labels(items)
    _fig(b, "training", figures.prepost_means(prepost, ["total"] + dims, labels))
    return {"summary": summary, "prepost": prepost, "ancova": anc}


def kpi_trends(b: Bundle) -> dict[str, Any]:
    """Stage 40: centre KPI interrupted time series and the customer Pareto."""
    p = b.params
    out: dict[str, Any] = {}
    if b.has_table("centre_kpis"):
        tr = trend_mod.kpi_trends(b.table("centre_kpis"), kpis=list(p.get("trends.kpis")),
                                  intervention=p.get("trends.intervention"), se=p.get("trends.se"),
                                  seasonal=bool(p.get("trends.seasonal")), confidence=p.get("confidence"))
        out["trends"] = tr
        b.write_csv("trends_its", tr["table"])
        b.write_csv("trends_fitted", tr["fitted"])
        _fig(b, "trends", figures.its_panels(tr["fitted"], p.get("trends.intervention"), trend_mod.KPI_LABELS))
    if b.has_table("customer_survey"):
        par = trend_mod.pareto(b.table("customer_survey"))
        out["pareto"] = par
        b.write_csv("customer_pareto", par["table"])
        _fig(b, "pareto", figures.pareto_chart(par["table"]))
    b.write_result("trends", {
        "its": out["trends"]["summary"] if "trends" in out else None,
        "pareto": {k: v for k, v in out["pareto"].items() if k != "table"} if "pareto" in out else None,
    })
    return out


def brief_teams(params, teams: list[str]) -> list[str]:
    """Teams that get a team brief: ``reports.team_briefs`` (a list, or "all"); default the focus team."""
    wanted = params.get("reports.team_briefs")
    if wanted is None:
        wanted = [params.get("coaching.focus_team")] if params.get("coaching.focus_team") else []
    if wanted == "all":
        return sorted(map(str, teams))
    unknown = [t for t in wanted if t not in set(teams)]
    if unknown:
        raise ValueError(f"reports.team_briefs names teams not in the roster: {unknown}; teams: {sorted(teams)}")
    return [str(t) for t in wanted]


def coaching(b: Bundle) -> dict[str, Any]:
    """Stage 50: weak spots per team and agent, mentoring pairs, attrition watch."""
    p = b.params
    items = b.table("items")
    roster = b.table("roster")
    scores = b.table("scores")
    pre = p.get("waves.pre")
    ws = coach.weak_spots(scores, roster, items, wave=pre, weak_gap=float(p.get("coaching.weak_gap")))
    perf = val_mod.agent_kpi_window(b.table("agent_kpis"), ["fcr"], p.get("validity.window.start"),
                                    p.get("validity.window.end"))["fcr"]
    pairs = coach.mentoring_pairs(scores, roster, perf, wave=pre, top_share=float(p.get("coaching.top_share")))
    watch = coach.attrition_watch(roster, perf, training_start=p.get("training.start"),
                                  training_end=p.get("training.end"), top_share=float(p.get("coaching.top_share")))
    focus = p.get("coaching.focus_team")
    comps = list(ws["centre"].index)
    labels = scoring.labels(items)
    prof = ws["profiles"]
    focus_prof = prof.loc[focus, comps].astype(float).sort_values(kind="stable") if focus in prof.index else None
    dim_of = dict(zip(items["competency"], items["dimension"]))
    sc_pre = scores[scores["wave"] == pre].merge(roster[["agent_id", "team"]], on="agent_id")
    summary = {
        "wave": pre, "focus_team": focus, "weak_gap": p.get("coaching.weak_gap"),
        "n_teams": int(len(prof)), "n_agents": int(prof["n"].sum()),
        "centre_mean_total": float(sc_pre["total"].mean()),
        "focus_mean_total": float(sc_pre.loc[sc_pre["team"] == focus, "total"].mean()) if focus_prof is not None else None,
        "focus_n": int(prof.loc[focus, "n"]) if focus_prof is not None else None,
        "focus_weakest": [{"competency": c, "label": labels.get(c, c), "mean": float(v),
                           "centre_mean": float(ws["centre"][c]), "dimension": dim_of[c],
                           "dimension_label": labels.get(dim_of[c], dim_of[c])}
                          for c, v in focus_prof.head(3).items()]
        if focus_prof is not None else [],
        "centre_weakest": [{"competency": c, "label": labels.get(c, c), "mean": float(v)}
                           for c, v in ws["centre"].sort_values(kind="stable").head(3).items()],
        "n_team_weak_spots": int(len(ws["teams"])),
        "n_agent_weak_spots": int(len(ws["agents"])),
        "n_agents_with_weak_spots": int(ws["agents"]["agent_id"].nunique()),
        "n_mentoring_pairs": int(len(pairs)),
        "attrition_watch": watch,
        "brief_teams": brief_teams(p, list(prof.index)),
    }
    b.write_result("coaching", summary)
    b.write_csv("coaching_team_profiles", ws["profiles"].reset_index())
    b.write_csv("coaching_team_weak_spots", ws["teams"])
    b.write_csv("coaching_agent_weak_spots", ws["agents"])
    b.write_csv("coaching_mentoring_pairs", pairs)
    _fig(b, "coaching_heatmap", figures.team_gap_heatmap(prof, ws["centre"], labels, highlight=focus))
    if focus_prof is not None:
        _fig(b, "coaching_focus", figures.team_profile_bars(prof.loc[focus, comps].astype(float), ws["centre"],
                                                            labels, focus))
    for team in summary["brief_teams"]:
        _fig(b, f"coaching_team-{team_slug(team)}",
             figures.team_profile_bars(prof.loc[team, comps].astype(float), ws["centre"], labels, team))
    return {"summary": summary, "weak_spots": ws, "pairs": pairs, "watch": watch}


FUNCTIONS = {
    "00_intake": intake, "10_reliability": reliability, "20_validity": validity,
    "30_training": training, "40_kpi_trends": kpi_trends, "50_coaching": coaching,
}
