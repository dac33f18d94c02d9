"""What a study can answer from its inputs: the analysis plan.

A study is what its inputs allow.  Only the item map, the responses of one
wave and the scale are required; every other input (roster, agent KPIs,
centre KPIs, training records, staff and customer surveys), a second or third
wave, a control group and teams are optional.  :func:`make_plan` decides once,
after validation, which analyses run and records for every analysis that does
not run *why* and *which input would enable it*.  The intake stage writes the
plan to ``results/plan.json``; every later stage consults it, records the
analyses it could not estimate from the data themselves (for example alpha of
a one-item scale) in its own ``skipped`` entry, and the reports list both.

The plan reads column names and a few facts about the data (which wave
labels, teams and groups occur), never the values of a statistic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

# id -> (stage, label).  The label is what the reports and `ccstudy validate` show.
ANALYSES: dict[str, tuple[str, str]] = {
    "reliability": ("10_reliability", "reliability of every competency, dimension and the total"),
    "reliability_waves": ("10_reliability", "reliability at every wave"),
    "cfa": ("10_reliability", "factor structure of the competency model (CFA)"),
    "validity": ("20_validity", "score–KPI correlations"),
    "validity_partial": ("20_validity", "score–KPI correlations controlling for covariates"),
    "validity_focus": ("20_validity", "score–KPI correlations within the focus team"),
    "prepost": ("30_training", "pre/post change in competency scores"),
    "follow_up": ("30_training", "whether the gain held at follow-up"),
    "controlled": ("30_training", "trained vs control group (ANCOVA, mixed model)"),
    "focus_kpis": ("30_training", "focus team's KPIs month on month"),
    "did": ("30_training", "on-the-job effect on FCR (difference-in-differences)"),
    "training_satisfaction": ("30_training", "training satisfaction"),
    "trends": ("40_kpi_trends", "centre KPI trends around the intervention (interrupted time series)"),
    "pareto": ("40_kpi_trends", "what customers want (Pareto of the customer survey)"),
    "weak_spots_agents": ("50_coaching", "weak spots per agent and for the centre"),
    "weak_spots_teams": ("50_coaching", "weak spots per team and team briefs"),
    "mentoring": ("50_coaching", "mentoring pairs within teams"),
    "attrition_watch": ("50_coaching", "attrition watch (training-period and top-performer leavers)"),
}


@dataclass(frozen=True, kw_only=True)
class Plan:
    """Which analyses a study runs, and why the others do not.

    Attributes
    ----------
    runs : dict of str to bool
        Every analysis id of :data:`ANALYSES` -> whether it runs.
    skipped : dict of str to str
        Analysis id -> the reason it does not run and what input would enable it.
    facts : dict
        The facts the decisions used (waves, inputs present, teams, groups).
    """

    runs: dict[str, bool]
    skipped: dict[str, str]
    facts: dict[str, Any] = field(default_factory=dict)

    def __contains__(self, analysis: str) -> bool:
        return self.runs.get(analysis, False)

    def reason(self, analysis: str) -> str | None:
        return self.skipped.get(analysis)

    def for_stage(self, stage: str) -> dict[str, str]:
        """Skipped analyses of one stage, keyed by their label (what a results file records)."""
        return {ANALYSES[a][1]: r for a, r in self.skipped.items() if ANALYSES[a][0] == stage}

    def to_dict(self) -> dict[str, Any]:
        return {
            "analyses": {a: {"stage": ANALYSES[a][0], "label": ANALYSES[a][1], "runs": self.runs[a],
                             "reason": self.skipped.get(a)} for a in ANALYSES},
            "skipped": {ANALYSES[a][1]: r for a, r in self.skipped.items()},
            "facts": self.facts,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Plan":
        an = d["analyses"]
        return cls(runs={a: bool(v["runs"]) for a, v in an.items()},
                   skipped={a: v["reason"] for a, v in an.items() if v.get("reason")},
                   facts=dict(d.get("facts", {})))

    def summary(self) -> str:
        lines = ["This study will answer:"]
        lines += [f"  + {ANALYSES[a][1]}" for a in ANALYSES if self.runs[a]]
        if self.skipped:
            lines.append("It will not answer (each reason once, with what would enable it):")
            by_reason: dict[str, list[str]] = {}
            for a, r in self.skipped.items():
                by_reason.setdefault(r, []).append(ANALYSES[a][1])
            for r, labels in by_reason.items():
                lines.append(f"  - {r}:")
                lines += [f"      {label}" for label in labels]
        return "\n".join(lines)


# One wording per missing input, so the reports can say it once for every analysis it holds back.
NO_AGENT_KPIS = "no agent KPIs given (add `inputs.agent_kpis`: one row per agent and month)"
NO_ROSTER = "no roster given (add `inputs.roster`: one row per agent with team, group and hire/exit dates)"
ONE_WAVE = ("one wave of responses only: a baseline assessment (declare a later wave in `waves`, "
            "e.g. [pre, post], to measure change)")


def wave_labels(params) -> list[str]:
    """The study's wave labels in time order (one for a baseline-only study).

    ``StudyParams.wave_labels``; for a plain mapping-like params object, ``waves.order`` or the
    ``waves.pre`` / ``post`` / ``follow_up`` roles.
    """
    labels = getattr(params, "wave_labels", None)
    if labels:
        return [str(w) for w in labels]
    order = params.get("waves.order")
    if order:
        return [str(w) for w in order]
    return [str(params.get(f"waves.{r}")) for r in ("pre", "post", "follow_up") if params.get(f"waves.{r}")]


def make_plan(params, available: Mapping[str, set[str] | list[str]],
              facts: Mapping[str, Any] | None = None) -> Plan:
    """Decide which analyses a study runs.

    Parameters
    ----------
    params : StudyParams
        The validated study parameters.
    available : mapping of str to set of str
        Each input table present (``items``, ``responses``, ``roster``, ``agent_kpis``, ...) ->
        its column names after intake.  An input that was not given is absent.
    facts : mapping, optional
        Facts about the clean data: ``groups`` (roster groups among respondents), ``teams``
        (teams among respondents), ``waves_present`` (wave labels with responses),
        ``n_items``, ``n_competencies``, ``exit_dates`` (roster rows with an exit date).

    Returns
    -------
    Plan
    """
    facts = dict(facts or {})
    cols = {k: set(v) for k, v in available.items()}
    waves = wave_labels(params)
    present = facts.get("waves_present")
    if present is not None:
        waves = [w for w in waves if w in set(map(str, present))]
    roster = cols.get("roster")
    kpis = cols.get("agent_kpis")
    teams = facts.get("teams")
    groups = set(facts.get("groups") or ())
    has_teams = roster is not None and "team" in roster and (teams is None or len(teams) > 0)
    has_groups = roster is not None and "group" in roster and {"trained", "control"} <= groups \
        if facts.get("groups") is not None else (roster is not None and "group" in roster)
    skipped: dict[str, str] = {}

    def skip(a: str, reason: str) -> None:
        skipped.setdefault(a, reason)

    # Missing inputs and a single wave first: one reason for everything each holds back.
    if len(waves) < 2:
        for a in ("reliability_waves", "prepost", "controlled", "follow_up"):
            skip(a, ONE_WAVE)
    if kpis is None:
        for a in ("validity", "validity_partial", "validity_focus", "focus_kpis", "did"):
            skip(a, NO_AGENT_KPIS)
    if roster is None:
        for a in ("validity_partial", "validity_focus", "controlled", "focus_kpis", "did", "weak_spots_teams",
                  "mentoring", "attrition_watch"):
            skip(a, NO_ROSTER)
    # 10 reliability
    if facts.get("n_items") is not None and facts["n_items"] < 3:
        skip("cfa", f"{facts['n_items']} items: a factor model needs at least 3")
    # 20 validity
    wanted = [str(k) for k in (params.get("validity.kpis") or [])]
    if kpis is not None and not [k for k in wanted if k in kpis]:
        skip("validity", f"the agent KPIs have none of the KPI columns named in `validity.kpis` ({', '.join(wanted)})")
    if "validity" in skipped:
        skip("validity_partial", skipped["validity"])
        skip("validity_focus", skipped["validity"])
    covs = [str(c) for c in (params.get("validity.covariates") or [])]
    if not covs:
        skip("validity_partial", "no covariates named in `validity.covariates` (e.g. [tenure_months])")
    elif roster is None:
        skip("validity_partial", "the covariates come from the roster, and no roster was given")
    focus = params.get("coaching.focus_team")
    if not has_teams:
        skip("validity_focus", "no teams (add `inputs.roster` with a `team` column)")
    elif not focus:
        skip("validity_focus", "no focus team set (`coaching.focus_team`)")
    elif teams is not None and str(focus) not in set(map(str, teams)):
        skip("validity_focus", f"focus team {focus!r} has no respondents")
    # 30 training
    if len(waves) < 3:
        skip("follow_up", "no follow-up wave (declare a third wave in `waves`, e.g. [pre, post, follow_up])")
    if roster is None:
        skip("controlled", "no roster, so no trained and control groups (add `inputs.roster` with a `group` column)")
    elif "group" not in roster:
        skip("controlled", "the roster has no `group` column (trained / control)")
    elif not has_groups:
        skip("controlled", "the respondents are not split into a trained and a control group")
    tfocus = params.get("training.focus_team")
    if kpis is not None and "fcr" not in kpis:
        skip("focus_kpis", "the agent KPIs have no `fcr` column")
        skip("did", "the agent KPIs have no `fcr` column")
    if not has_teams:
        skip("focus_kpis", "no teams (add `inputs.roster` with a `team` column)")
    elif not tfocus:
        skip("focus_kpis", "no focus team set (`training.focus_team`)")
    elif not (params.get("training.before_month") and params.get("training.after_month")):
        skip("focus_kpis", "no months to compare (`training.before_month`, `training.after_month`)")
    if roster is None or "group" not in roster or not has_groups:
        skip("did", "no trained and control groups in the roster")
    elif not (params.get("training.start") and params.get("training.end")):
        skip("did", "the training months are not set (`training.start`, `training.end`)")
    train = cols.get("training")
    if train is None:
        skip("training_satisfaction", "no training records given (add `inputs.training`)")
    elif "satisfaction" not in train:
        skip("training_satisfaction", "the training records have no `satisfaction` column")
    # 40 trends
    if "centre_kpis" not in cols:
        skip("trends", "no centre KPIs given (add `inputs.centre_kpis`: one row per month)")
    elif not params.get("trends.intervention"):
        skip("trends", "no intervention month set (`trends.intervention`)")
    if "customer_survey" not in cols:
        skip("pareto", "no customer survey given (add `inputs.customer_survey`)")
    # 50 coaching
    if not has_teams:
        skip("weak_spots_teams", "no teams (add `inputs.roster` with a `team` column)")
        skip("mentoring", "no teams (add `inputs.roster` with a `team` column)")
    if roster is None or "exit_date" not in roster:
        skip("attrition_watch", "no exit dates (add `inputs.roster` with an `exit_date` column)")
    elif facts.get("exit_dates") == 0:
        skip("attrition_watch", "the roster's `exit_date` column is blank for every agent (none given, or nobody "
                                "left): there is no attrition to watch")

    runs = {a: a not in skipped for a in ANALYSES}
    facts.setdefault("waves", waves)
    facts.setdefault("inputs", sorted(cols))
    return Plan(runs=runs, skipped={a: skipped[a] for a in ANALYSES if a in skipped}, facts=_plain(facts))


def _plain(obj: Any) -> Any:
    """Facts as JSON-friendly values (sets become sorted lists)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (set, frozenset)):
        return sorted(_plain(v) for v in obj)
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        try:
            return obj.item()
        except (TypeError, ValueError):
            return obj
    return obj
