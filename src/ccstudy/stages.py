"""One function per pipeline stage: read the bundle, analyse, write results.

The notebooks call these (plus narrative and figures); the benchmark calls
them directly to measure the notebook overhead.  Each returns a dict with at
least ``summary`` (what the stage's results file holds), ``skipped`` (analysis
-> why it did not run), ``tables`` (name -> DataFrame to show) and
``figures`` (names of the figures written).

A study is what its inputs allow: the intake stage records which inputs and
columns the study has (``results/inputs.json``); every later stage makes the
study's plan from them (:mod:`ccstudy.plan`), runs what the inputs support and
records in its results file what it skipped and why (``"skipped"``: analysis
-> reason).  A missing input is never reported by a crash.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from ccstudy._lazy import lazy_module
from ccstudy.io.bundle import Bundle, team_slug
from ccstudy.plan import ANALYSES, Plan, make_plan

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
    "00_intake": ("scale", "inputs", "waves", "cleaning", "outputs", "kpi"),
    "10_reliability": ("scale", "waves", "reliability", "confidence", "seed"),
    "20_validity": ("waves", "validity", "confidence", "coaching.focus_team", "training.start"),
    "30_training": ("scale", "waves", "training", "confidence", "reliability.missing"),
    "40_kpi_trends": ("waves", "trends", "confidence"),
    "50_coaching": ("scale", "waves", "coaching", "validity.window", "validity.kpis", "training.start",
                    "training.end", "reports"),
}
STAGE_UPSTREAM: dict[str, tuple[str, ...]] = {
    "00_intake": (),
    **{s: ("00_intake",) for s in STAGES[1:]},
}

KPI_LABELS = {"fcr": "FCR", "csat": "CSAT", "qa_score": "QA score", "aht_sec": "AHT (s)",
              "answer_rate": "Answer rate", "attrition": "Attrition"}


# --------------------------------------------------------------------------- helpers
def _scale(b: Bundle) -> tuple[int, int]:
    return int(b.params.get("scale.min")), int(b.params.get("scale.max"))


def _fig(b: Bundle, name: str, fig, out: dict[str, Any] | None = None) -> None:
    b.write_figure(name, fig)
    plt.close(fig)
    if out is not None:
        out.setdefault("figures", []).append(name)


def wave_labels(params) -> list[str]:
    """The study's wave labels in time order (one wave for a baseline-only study)."""
    labels = getattr(params, "wave_labels", None)
    if labels:
        return [str(w) for w in labels]
    order = params.get("waves.order")
    if order:
        return [str(w) for w in order]
    return [str(params.get(f"waves.{r}")) for r in ("pre", "post", "follow_up") if params.get(f"waves.{r}")]


def _primary_wave(params) -> str:
    """The baseline wave: ``waves.pre``, else the first wave."""
    return str(params.get("waves.pre") or wave_labels(params)[0])


def _plan(b: Bundle) -> Plan:
    """The study's plan: the facts the intake stage recorded about the inputs, and this stage's params."""
    if b.path("results/inputs.json").is_file():
        rec = b.result("inputs")
        return make_plan(b.params, {k: set(v) for k, v in rec["available"].items()}, rec["facts"])
    return study_plan(b.params, {n: b.table(n) for n in _INPUT_TABLES if b.has_table(n)})


def _optional(b: Bundle, name: str) -> pd.DataFrame | None:
    return b.table(name) if b.has_table(name) else None


_INPUT_TABLES = ("items", "responses", "roster", "agent_kpis", "centre_kpis", "training", "staff_survey",
                 "customer_survey")


def input_facts(params, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """What the plan needs to know about the clean tables: their columns, waves, teams and groups."""
    responses = tables["responses"]
    roster = tables["roster"] if "roster" in tables else None
    order = wave_labels(params)
    present = set(responses["wave"].astype(str))
    facts: dict[str, Any] = {
        "waves_present": [w for w in order if w in present] + sorted(present - set(order)),
        "n_items": int(len(tables["items"])),
        "n_competencies": int(tables["items"]["competency"].nunique()),
    }
    if roster is not None:
        r = roster[roster["agent_id"].astype(str).isin(set(responses["agent_id"].astype(str)))]
        if "team" in r:
            facts["teams"] = sorted(set(r["team"].dropna().astype(str)))
        if "group" in r:
            facts["groups"] = sorted(set(r["group"].dropna().astype(str)))
    return {"available": {n: sorted(map(str, t.columns)) for n, t in sorted(tables.items())}, "facts": facts}


def study_plan(params, tables: dict[str, pd.DataFrame]) -> Plan:
    """The plan from the clean tables: which analyses run, and why the others do not."""
    rec = input_facts(params, tables)
    return make_plan(params, {k: set(v) for k, v in rec["available"].items()}, rec["facts"])


def _kinds(items: pd.DataFrame) -> dict[str, list[str]]:
    """Competencies and dimensions in item-map order (dimensions empty when the study has none)."""
    return {"competency": list(dict.fromkeys(items["competency"].astype(str))),
            "dimension": scoring.dimensions(items)}


# --------------------------------------------------------------------------- 00 intake
def intake(b: Bundle) -> dict[str, Any]:
    """Stage 00: validate, clean, write the clean tables, the cleaning log, the scores and the plan."""
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
    b.write_result("inputs", input_facts(b.params, result.tables))
    plan = study_plan(b.params, result.tables)
    return {"result": result, "scores": scores, "cleaning_summary": log_counts, "plan": plan,
            "summary": result.summary, "skipped": dict(plan.to_dict()["skipped"]),
            "tables": {"cleaning summary": log_counts}, "figures": []}


# --------------------------------------------------------------------------- 10 reliability
def reliability(b: Bundle) -> dict[str, Any]:
    """Stage 10: alpha and relatives for every competency, dimension and the total; CFA."""

    p = b.params
    plan = _plan(b)
    skipped = plan.for_stage("10_reliability")
    # reliability.wave names a wave role ("pre"/"post"/"follow_up", mapped through waves.*) or a wave label.
    role = p.get("reliability.wave") or "pre"
    wave = p.get(f"waves.{role}") if role in ("pre", "post", "follow_up") else role
    wave = str(wave or _primary_wave(p))
    responses, items = b.table("responses"), b.table("items")
    out = rel_mod.reliability_tables(
        responses, items, scale=_scale(b), wave=wave, missing=p.get("reliability.missing"),
        confidence=p.get("confidence"), n_boot=int(p.get("reliability.n_boot") or 0), seed=p.seed,
        correlation=str(p.get("reliability.correlation") or "pearson"))
    skipped.update(out.pop("not_estimable"))
    result: dict[str, Any] = {"summary": out["summary"], "scales": out["scales"]}
    out["tables"] = {"scales": out["scales"], "items": out["items"]}
    if plan.runs["cfa"]:
        fm = rel_mod.factor_model(responses, items, scale=_scale(b), wave=wave)
        out["cfa"] = fm
        result["cfa"] = fm["fit"]
        if fm["fit"]["estimable"]:
            b.write_csv("cfa_loadings", fm["loadings"])
            b.write_csv("cfa_omega", fm["omega"])
            out["tables"]["cfa loadings"] = fm["loadings"]
        else:
            skipped[ANALYSES["cfa"][1]] = fm["fit"]["reason"]
        for note in fm["fit"]["notes"]:
            log.info("CFA: %s", note)
    else:
        result["cfa"] = None
    waves = [w for w in wave_labels(p) if w in set(responses["wave"].astype(str))]
    if len(waves) > 1:
        by_wave = rel_mod.reliability_by_wave(responses, items, scale=_scale(b), waves=waves,
                                              missing=p.get("reliability.missing"), confidence=p.get("confidence"))
        b.write_csv("reliability_waves", by_wave)
        result["waves"] = by_wave[by_wave["level"] == "total"][["wave", "n", "alpha", "ci_low", "ci_high"]] \
            .to_dict(orient="records")
        out["tables"]["by wave"] = by_wave
    result["skipped"] = skipped
    b.write_result("reliability", result)
    b.write_csv("reliability_scales", out["scales"])
    b.write_csv("reliability_items", out["items"])
    out["skipped"] = skipped
    out["figures"] = []
    if out["scales"]["level"].isin(["competency", "dimension"]).any() and out["scales"]["alpha"].notna().any():
        _fig(b, "reliability", figures.reliability_bars(out["scales"]), out)
    return out


# --------------------------------------------------------------------------- 20 validity
def _window(p, kpis: pd.DataFrame) -> tuple[str, str]:
    """``validity.window``; by default every KPI month before the training starts (else every month)."""
    start, end = p.get("validity.window.start"), p.get("validity.window.end")
    months = sorted(kpis["month"].astype(str).unique())
    if not start:
        start = months[0]
    if not end:
        ts = p.get("training.start")
        before = [m for m in months if ts and m < str(ts)]
        end = before[-1] if before else months[-1]
    return str(start), str(end)


def validity(b: Bundle) -> dict[str, Any]:
    """Stage 20: competency scores against KPIs."""

    p = b.params
    plan = _plan(b)
    skipped = plan.for_stage("20_validity")
    out: dict[str, Any] = {"skipped": skipped, "tables": {}, "figures": []}
    if not plan.runs["validity"]:
        out["summary"] = None
        b.write_result("validity", {"summary": None, "partial": None, "focus": None, "skipped": skipped})
        return out
    items = b.table("items")
    kpis = b.table("agent_kpis")
    roster = _optional(b, "roster")
    wanted = [str(k) for k in p.get("validity.kpis")]
    use = [k for k in wanted if k in kpis.columns and kpis[k].notna().any()]
    if len(use) < len(wanted):
        log.info("validity: KPIs not in the agent KPIs: %s", [k for k in wanted if k not in use])
    covariates = [str(c) for c in (p.get("validity.covariates") or [])] if plan.runs["validity_partial"] else []
    focus = p.get("coaching.focus_team") if plan.runs["validity_focus"] else None
    res = val_mod.score_kpi_correlations(
        b.table("scores"), kpis, roster, items,
        wave=_primary_wave(p), kpis=use, window=_window(p, kpis),
        method=p.get("validity.method"), covariates=covariates,
        adjust=p.get("validity.adjust"), confidence=p.get("confidence"), focus_team=focus)
    skipped.update(res.pop("not_estimable", {}))
    out.update(res)
    has_partial = res["partial"] is not None
    b.write_result("validity", {"summary": res["summary"], "partial": res["partial"],
                                "focus": res["focus"] if focus else None, "skipped": skipped})
    b.write_csv("validity_correlations", res["table"])
    out["tables"]["correlations"] = res["table"]
    if has_partial:
        b.write_csv("validity_partial", res["partial"])
        out["tables"]["partial correlations"] = res["partial"]
    _fig(b, "validity", figures.correlation_heatmap(res["table"], KPI_LABELS, method=p.get("validity.method")), out)
    return out


# --------------------------------------------------------------------------- 30 training
def training(b: Bundle) -> dict[str, Any]:
    """Stage 30: pre/post effects, ANCOVA vs control, focus-team KPIs, DiD, sensitivity, follow-up."""

    p = b.params
    plan = _plan(b)
    skipped = plan.for_stage("30_training")
    conf = p.get("confidence")
    alpha = round(1 - conf, 12)
    power = float(p.get("training.power"))
    out: dict[str, Any] = {"skipped": skipped, "tables": {}, "figures": []}
    training_tab = _optional(b, "training")
    sat = train_mod.training_satisfaction(training_tab, int(p.get("training.satisfied_min"))) \
        if plan.runs["training_satisfaction"] else None
    if not plan.runs["prepost"]:
        summary = {"programme": p.get("training.programme"), "focus_team": None, "confidence": conf,
                   "design": "baseline only", "waves": wave_labels(p), "total": {}, "ancova": None,
                   "mixed": None, "groups": [], "focus_month_on_month": None, "training_satisfaction": sat,
                   "did_fcr": None, "sensitivity": {}, "follow_up": None, "skipped": skipped}
        b.write_result("training", summary)
        out.update(summary=summary, prepost=None, ancova=None)
        return out
    items = b.table("items")
    roster = _optional(b, "roster")
    scores = b.table("scores")
    waves = [w for w in wave_labels(p) if w in set(scores["wave"].astype(str))]
    pre, post = str(p.get("waves.pre") or waves[0]), str(p.get("waves.post") or waves[1])
    kinds = _kinds(items)
    scale_names = ["total"] + kinds["dimension"] + kinds["competency"]
    info = train_mod.agent_info(roster)
    pairs = train_mod.paired_scores(scores, pre, post)
    focus = p.get("training.focus_team")
    if focus is not None and (info.empty or str(focus) not in set(info["team"].dropna().astype(str))):
        focus = None
    prepost = train_mod.prepost_table(pairs, info, scale_names, focus_team=focus, confidence=conf)
    labels = scoring.labels(items)
    prepost.insert(2, "label", prepost["scale"].map(lambda s: labels.get(s, s)))
    groups = sorted(set(info.loc[info.index.isin(pairs.index), "group"].dropna())) if "group" in info else []
    controlled = plan.runs["controlled"] and {"trained", "control"} <= set(groups)
    if plan.runs["controlled"] and not controlled:
        skipped[ANALYSES["controlled"][1]] = "the agents answering both waves are not split into trained and control"
    anc = train_mod.ancova(pairs, info, "total", confidence=conf) if controlled else None
    mixed = None
    if controlled and info["team"].notna().any():
        mixed = train_mod.mixed(pairs, info, "total", confidence=conf)
    kpis = _optional(b, "agent_kpis")
    staff = _optional(b, "staff_survey")
    mom = None
    if plan.runs["focus_kpis"] and focus is not None:
        mom = train_mod.focus_month_on_month(kpis, roster, staff, team=focus, before=p.get("training.before_month"),
                                             after=p.get("training.after_month"), confidence=conf)
    did = train_mod.did_fcr(kpis, roster, start=p.get("training.start"), end=p.get("training.end"),
                            confidence=conf) if (controlled and plan.runs["did"]) else None
    if plan.runs["did"] and not controlled:
        skipped[ANALYSES["did"][1]] = "no trained and control groups among the agents answering both waves"
    sens: dict[str, Any] = {}
    focus_rows = prepost[(prepost["group"] == f"team {focus}") & (prepost["scale"] == "total")]
    if focus is not None and len(focus_rows):
        sens["focus_team_paired"] = train_mod.sensitivity(int(focus_rows["n"].iloc[0]), alpha=alpha, power=power)
    main_group = "trained" if "trained" in set(prepost["group"]) else train_mod.ALL_AGENTS
    main_rows = prepost[(prepost["group"] == main_group) & (prepost["scale"] == "total")]
    if len(main_rows) and int(main_rows["n"].iloc[0]) >= 2:
        sens["main_group_paired"] = train_mod.sensitivity(int(main_rows["n"].iloc[0]), alpha=alpha, power=power)
    if mom and "fcr_test" in mom:
        sens["focus_team_fcr"] = train_mod.sensitivity(int(mom["fcr_test"]["n"]), alpha=alpha, power=power)
    tot = prepost[prepost["scale"] == "total"].set_index("group")
    # Before comparing means: does the questionnaire measure the same thing at both waves?
    inv = None
    try:
        inv = train_mod.invariance(b.table("responses"), items, pre=pre, post=post, scale=_scale(b))
    except ValueError as exc:
        skipped["measurement invariance (pre vs post)"] = str(exc)
    # Who changed beyond measurement error: reliability from the study's own pre wave
    rc_scales = ["total"] + kinds["dimension"]
    rels = train_mod.scale_reliabilities(b.table("responses"), items, rc_scales, wave=pre, scale=_scale(b),
                                         missing=str(p.get("reliability.missing") or "pairwise"))
    rc = train_mod.reliable_change_tables(pairs, info, scores[scores["wave"].astype(str) == pre], rels,
                                          confidence=conf)
    rc_link = None
    if kpis is not None and p.get("training.start") and p.get("training.end"):
        try:
            change = train_mod.kpi_change(kpis, start=p.get("training.start"), end=p.get("training.end"))
        except ValueError as exc:
            change = None
            skipped["reliable change vs KPI change"] = str(exc)
        if change is not None and len(change.columns):
            rc_link = train_mod.rc_kpi_link(rc["agents"], change, confidence=conf)
    rc_tot = rc["shares"][rc["shares"]["scale"] == "total"].set_index("group")
    follow = None
    if plan.runs["follow_up"] and len(waves) >= 3:
        follow_tab = train_mod.wave_comparisons(scores, info, waves, ["total"] + kinds["dimension"], confidence=conf)
        follow_tab.insert(3, "label", follow_tab["scale"].map(lambda s: labels.get(s, s)))
        b.write_csv("training_waves", follow_tab)
        out["tables"]["every wave"] = follow_tab
        follow = train_mod.follow_up_summary(follow_tab, waves, main_group=main_group, confidence=conf)
    summary = {
        "programme": p.get("training.programme"), "focus_team": focus, "confidence": conf,
        "design": ("pre/post with control" if controlled else "pre/post without control")
                  + (f", {len(waves)} waves" if len(waves) > 2 else ""),
        "waves": waves, "pre": pre, "post": post, "main_group": main_group,
        "total": {g: {c: tot.loc[g, c] for c in ("n", "pre_mean", "post_mean", "mean_diff", "ci_low", "ci_high",
                                                  "p", "cohens_dz", "dz_ci_low", "dz_ci_high", "wilcoxon_p")}
                  for g in tot.index},
        "ancova": {"n": anc["n"], **{c: anc["effects"].iloc[0][c] for c in ("group", "b", "se", "p", "ci_low", "ci_high")}}
        if anc else None,
        "mixed": mixed["summary"] if mixed else None,
        "groups": groups,
        "focus_month_on_month": mom, "training_satisfaction": sat, "did_fcr": did, "sensitivity": sens,
        "follow_up": follow,
        "invariance": inv["summary"] if inv else None,
        "reliable_change": {
            "scales": rc_scales, "reliability": rels, "confidence": conf, "reliability_wave": pre,
            "total": {g: {**{c: int(rc_tot.loc[g, c]) for c in ("n", "n_improved", "n_deteriorated")},
                          **{c: float(rc_tot.loc[g, c]) for c in ("share_improved", "share_deteriorated",
                                                                  "share_unchanged", "min_change")}}
                      for g in rc_tot.index},
            "kpi_link": rc_link.to_dict(orient="records") if rc_link is not None else None,
            "kpi_change_months": train_mod.KPI_CHANGE_MONTHS,
        },
        "skipped": skipped,
    }
    b.write_result("training", summary)
    b.write_csv("training_reliable_change", rc["agents"])
    b.write_csv("training_reliable_change_shares", rc["shares"])
    out["tables"]["reliable change"] = rc["shares"]
    if rc_link is not None:
        b.write_csv("training_rc_kpi", rc_link)
        out["tables"]["reliable change vs KPI change"] = rc_link
    if inv:
        b.write_csv("training_invariance", inv["fits"])
        out["tables"]["measurement invariance"] = inv["fits"]
    b.write_csv("training_prepost", prepost)
    out["tables"]["pre/post"] = prepost
    if anc:
        b.write_csv("training_ancova", anc["effects"])
        out["tables"]["ANCOVA"] = anc["effects"]
    if mixed:
        b.write_csv("training_mixed", mixed["fixed"])
    if len(prepost):
        _fig(b, "training", figures.prepost_means(prepost, ["total"] + kinds["dimension"], labels,
                                                   scale=_scale(b), waves=(pre, post)), out)
    out.update(summary=summary, prepost=prepost, ancova=anc, reliable_change=rc, invariance=inv)
    return out


# --------------------------------------------------------------------------- 40 trends
def kpi_trends(b: Bundle) -> dict[str, Any]:
    """Stage 40: centre KPI interrupted time series and the customer Pareto."""

    p = b.params
    plan = _plan(b)
    skipped = plan.for_stage("40_kpi_trends")
    out: dict[str, Any] = {"skipped": skipped, "tables": {}, "figures": []}
    if plan.runs["trends"]:
        centre = b.table("centre_kpis")
        wanted = [str(k) for k in p.get("trends.kpis")]
        use = [k for k in wanted if k in centre.columns and centre[k].notna().sum() >= 3]
        if not use:
            skipped[ANALYSES["trends"][1]] = (f"the centre KPIs have none of the columns named in `trends.kpis` "
                                              f"({', '.join(wanted)}) with at least 3 months")
        else:
            tr = trend_mod.kpi_trends(centre, kpis=use, intervention=p.get("trends.intervention"), se=p.get("trends.se"),
                                      seasonal=bool(p.get("trends.seasonal")), confidence=p.get("confidence"))
            skipped.update(tr.pop("not_estimable", {}))
            if len(tr["table"]):
                out["trends"] = tr
                b.write_csv("trends_its", tr["table"])
                b.write_csv("trends_fitted", tr["fitted"])
                out["tables"]["interrupted time series"] = tr["table"]
                _fig(b, "trends", figures.its_panels(tr["fitted"], p.get("trends.intervention"), trend_mod.KPI_LABELS), out)
    if plan.runs["pareto"]:
        par = trend_mod.pareto(b.table("customer_survey"))
        out["pareto"] = par
        b.write_csv("customer_pareto", par["table"])
        out["tables"]["customer Pareto"] = par["table"]
        _fig(b, "pareto", figures.pareto_chart(par["table"]), out)
    summary = {
        "its": out["trends"]["summary"] if "trends" in out else None,
        "pareto": {k: v for k, v in out["pareto"].items() if k != "table"} if "pareto" in out else None,
        "skipped": skipped,
    }
    b.write_result("trends", summary)
    out["summary"] = summary
    return out


# --------------------------------------------------------------------------- 50 coaching
def brief_teams(params, teams: list[str]) -> list[str]:
    """Teams that get a team brief: ``reports.team_briefs`` (a list, or "all"); default the focus team."""
    wanted = params.get("reports.team_briefs")
    if wanted is None:
        focus = params.get("coaching.focus_team")
        wanted = [focus] if focus and focus in set(teams) else []
    if wanted == "all":
        return sorted(map(str, teams))
    unknown = [t for t in wanted if t not in set(teams)]
    if unknown:
        raise ValueError(f"reports.team_briefs names teams not in the roster: {unknown}; teams: {sorted(teams)}")
    return [str(t) for t in wanted]


def coaching(b: Bundle) -> dict[str, Any]:
    """Stage 50: weak spots per team and agent, mentoring pairs, attrition watch."""

    p = b.params
    plan = _plan(b)
    skipped = plan.for_stage("50_coaching")
    items = b.table("items")
    roster = _optional(b, "roster")
    scores = b.table("scores")
    kpis = _optional(b, "agent_kpis")
    pre = _primary_wave(p)
    weak_gap = float(p.get("coaching.weak_gap"))
    top_share = float(p.get("coaching.top_share"))
    info = coach.agent_teams(roster) if plan.runs["weak_spots_teams"] else None
    ws = coach.weak_spots(scores, info, items, wave=pre, weak_gap=weak_gap)
    perf = None
    if kpis is not None and "fcr" in kpis.columns and kpis["fcr"].notna().any():
        perf = val_mod.agent_kpi_window(kpis, ["fcr"], *_window(p, kpis))["fcr"]
    pairs = coach.mentoring_pairs(scores, info, perf, wave=pre, top_share=top_share) \
        if plan.runs["mentoring"] else None
    watch = coach.attrition_watch(roster, perf, training_start=p.get("training.start"),
                                  training_end=p.get("training.end"), top_share=top_share) \
        if plan.runs["attrition_watch"] else None
    focus = p.get("coaching.focus_team")
    comps = list(ws["centre"].index)
    labels = scoring.labels(items)
    prof = ws["profiles"]
    has_focus = prof is not None and focus in prof.index
    focus_prof = prof.loc[focus, comps].astype(float).sort_values(kind="stable") if has_focus else None
    dim_of = dict(zip(items["competency"], items["dimension"])) if "dimension" in items else {}
    sc_pre = scores[scores["wave"] == pre]
    if info is not None:
        sc_pre = sc_pre.merge(info[["agent_id", "team"]], on="agent_id", how="left")
    kind_of = dict(zip(items["competency"], items["kind"])) if "kind" in items else {}

    def _dim(c):
        d = dim_of.get(c)
        return None if d is None or pd.isna(d) else str(d)

    teams = list(prof.index) if prof is not None else []
    gk = coach.gap_kinds(ws["teams"], coach.competency_kinds(items))
    summary = {
        "wave": pre, "focus_team": focus if has_focus else None, "weak_gap": weak_gap,
        "scale": list(_scale(b)),
        "n_teams": int(len(prof)) if prof is not None else 0,
        "n_agents": int(sc_pre["agent_id"].nunique()),
        "centre_mean_total": float(sc_pre["total"].mean()),
        "focus_mean_total": float(sc_pre.loc[sc_pre["team"] == focus, "total"].mean()) if has_focus else None,
        "focus_n": int(prof.loc[focus, "n"]) if has_focus else None,
        "focus_weakest": [{"competency": c, "label": labels.get(c, c), "mean": float(v),
                           "centre_mean": float(ws["centre"][c]), "dimension": _dim(c),
                           "dimension_label": labels.get(_dim(c), _dim(c)) if _dim(c) else None,
                           "kind": kind_of.get(c) if isinstance(kind_of.get(c), str) else None}
                          for c, v in focus_prof.head(3).items()]
        if focus_prof is not None else [],
        "centre_weakest": [{"competency": c, "label": labels.get(c, c), "mean": float(v)}
                           for c, v in ws["centre"].sort_values(kind="stable").head(3).items()],
        "n_team_weak_spots": int(len(ws["teams"])) if ws["teams"] is not None else None,
        "n_agent_weak_spots": int(len(ws["agents"])),
        "n_agents_with_weak_spots": int(ws["agents"]["agent_id"].nunique()),
        "n_mentoring_pairs": int(len(pairs)) if pairs is not None else None,
        "mentoring_basis": None if pairs is None else ("total score and FCR" if perf is not None else "total score"),
        "attrition_watch": watch,
        "brief_teams": brief_teams(p, teams) if teams else [],
        "gap_kinds": {str(r["team"]): {"main": r["main"] if isinstance(r["main"], str) else None,
                                       **{k: r[k] for k in ("soft_skill_shortfall", "knowledge_shortfall",
                                                            "n_soft_skill", "n_knowledge")}}
                      for _, r in gk.iterrows()} if gk is not None else None,
        "skipped": skipped,
    }
    b.write_result("coaching", summary)
    if gk is not None:
        b.write_csv("coaching_gap_kinds", gk)
    out: dict[str, Any] = {"summary": summary, "weak_spots": ws, "pairs": pairs, "watch": watch,
                           "skipped": skipped, "tables": {}, "figures": []}
    b.write_csv("coaching_agent_weak_spots", ws["agents"])
    b.write_csv("coaching_centre_profile", ws["centre_table"])
    out["tables"]["centre profile"] = ws["centre_table"]
    if prof is not None:
        b.write_csv("coaching_team_profiles", prof.reset_index())
        b.write_csv("coaching_team_weak_spots", ws["teams"])
        out["tables"]["team weak spots"] = ws["teams"]
        _fig(b, "coaching_heatmap", figures.team_gap_heatmap(prof, ws["centre"], labels, highlight=focus), out)
    if pairs is not None:
        b.write_csv("coaching_mentoring_pairs", pairs)
        out["tables"]["mentoring pairs"] = pairs
    if focus_prof is not None:
        _fig(b, "coaching_focus", figures.team_profile_bars(prof.loc[focus, comps].astype(float), ws["centre"],
                                                            labels, focus, scale=_scale(b)), out)
    for team in summary["brief_teams"]:
        _fig(b, f"coaching_team-{team_slug(team)}",
             figures.team_profile_bars(prof.loc[team, comps].astype(float), ws["centre"], labels, team,
                                       scale=_scale(b)), out)
    return out


FUNCTIONS = {
    "00_intake": intake, "10_reliability": reliability, "20_validity": validity,
    "30_training": training, "40_kpi_trends": kpi_trends, "50_coaching": coaching,
}


def show(out: dict[str, Any], bundle: Bundle) -> None:
    """Display a stage's outcome in a notebook: what it skipped and why, its tables and figures."""
    from IPython.display import Image, Markdown, display

    if out.get("skipped"):
        display(Markdown("**Not done in this study, and why:**\n\n"
                         + "\n".join(f"- {k}: {v}" for k, v in out["skipped"].items())))
    for name, table in (out.get("tables") or {}).items():
        display(Markdown(f"**{name}**"))
        display(table.round(3) if hasattr(table, "round") else table)
    for name in out.get("figures") or []:
        display(Image(filename=str(bundle.figure_path(name))))
