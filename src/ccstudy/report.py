"""The reporting layer: wording and rounding of results-bundle numbers.

Reports (``reports/*.qmd``) call these helpers; they never compute a
statistic.  Every number shown comes from ``data/processed/<study>/results``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ccstudy import i18n
from ccstudy.io import files
from ccstudy.escape import markdown as md
from ccstudy.io.bundle import Bundle

# While a report renders, ccstudy.render.track_reads sets this to a dict collecting what it reads
# (results-bundle files, params keys and the "extra" sources below) for the render cache.
READS: dict[str, Any] | None = None


# --------------------------------------------------------------------------- formatting
def num(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def pct(x: float | None, digits: int = 2) -> str:
    """A fraction as a percentage: 0.8627 → '86.27%'."""
    return "–" if x is None else f"{x * 100:.{digits}f}%"


def pp(x: float | None, digits: int = 2) -> str:
    """Percentage points with sign: 0.56 → '+0.56 pp'."""
    return "–" if x is None else f"{x:+.{digits}f} pp"


def p_value(p: float | None) -> str:
    """APA-style p: 'p < .001' or 'p = .034'."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p = –"
    if p < 0.001:
        return "p < .001"
    return f"p = {p:.3f}".replace("0.", ".", 1)


def ci(lo: float | None, hi: float | None, digits: int = 2, level: float = 0.95) -> str:
    return f"{int(round(level * 100))}% CI {num(lo, digits)} to {num(hi, digits)}"


_P_COLUMN = re.compile(r"(^p$|^p_|_p$)")


def md_table(frame: pd.DataFrame, digits: int = 2, *, tr: i18n.Language | None = None,
             headers: dict[str, str] | None = None) -> str:
    """A pipe table (Pandoc markdown) for display.

    Floats are rounded to *digits*; p-value columns (``p``, ``p_adj``,
    ``*_p``) are shown as ``<.001`` / ``.034`` (in *tr*'s style when given);
    underscores in headers become spaces so that long headers can wrap;
    *headers* renames columns for display (e.g. to the report language).
    """
    cols = [str(c) for c in frame.columns]
    shown = [(headers or {}).get(c, c.replace("_", " ")) for c in cols]
    lines = ["| " + " | ".join(md_text(c) for c in shown) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in frame.iterrows():
        cells = []
        for col, v in zip(cols, row.tolist()):
            if isinstance(v, float) and _P_COLUMN.search(col):
                cells.append(tr.p_value(v, bare=True) if tr else p_value(v).replace("p = ", "").replace("p ", ""))
            elif isinstance(v, float):
                cells.append(tr.num(v, digits) if tr else num(v, digits))
            else:
                cells.append("" if v is None or (isinstance(v, float) and math.isnan(v)) else md_text(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def localise(res, frame: pd.DataFrame) -> pd.DataFrame:
    """A results table with its competency/dimension labels and plan names in the report's language.

    ``label`` is looked up by the row's ``competency`` / ``scale`` id (else the label itself);
    ``plan`` is translated and the original kept as ``plan_key``.
    """
    _ = _lang(res)
    out = frame.copy()
    if "label" in out.columns:
        key = next((c for c in ("competency", "scale") if c in out.columns), "label")
        # the total row's label is a fixed English string of the stages ("Total scale"): translated when known
        out["label"] = [_label(res, k, _(lab) if k == "total" and lab else lab)
                        for k, lab in zip(out[key].astype(str), out["label"].astype(str))]
    if "plan" in out.columns:
        out["plan_key"] = out["plan"]
        out["plan"] = [_.pgettext("plan", str(v)) for v in out["plan"]]
    return out


def strength(r: float) -> str:
    a = abs(r)
    return "weak" if a < 0.3 else ("moderate" if a < 0.5 else "strong")


def md_text(value: Any) -> str:
    """User text (a team, agent or competency name) as literal Markdown (:func:`ccstudy.escape.markdown`)."""
    return md(value)


def association(r: float | None, lo: float | None, hi: float | None, tr: i18n.Language | None = None) -> str:
    """Wording of a correlation from its estimate and interval.

    'no detectable association' when the interval spans zero; otherwise the
    strength (|r| < .3 weak, < .5 moderate, else strong) and the sign.
    """
    _ = tr or i18n.get("en")
    if r is None or lo is None or hi is None or any(isinstance(x, float) and math.isnan(x) for x in (r, lo, hi)):
        return _("an association that could not be estimated")
    if lo <= 0 <= hi:
        return _("no detectable association")
    return _("a {strength} {direction} association", strength=_.pgettext("strength", strength(r)),
             direction=_("positive") if r > 0 else _("negative"))


def reliability_verdict(alpha: float) -> str:
    if alpha >= 0.9:
        return "excellent"
    if alpha >= 0.8:
        return "good"
    if alpha >= 0.7:
        return "acceptable"
    if alpha >= 0.6:
        return "questionable"
    return "poor"


# --------------------------------------------------------------------------- bundle
@dataclass
class StudyResults:
    bundle: Bundle
    reliability: dict[str, Any]
    validity: dict[str, Any]
    training: dict[str, Any]
    trends: dict[str, Any]
    coaching: dict[str, Any]
    tr: i18n.Language = dataclasses.field(default_factory=lambda: i18n.get(i18n.DEFAULT))
    labels: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def params(self):
        return self.bundle.params

    def label(self, key: str, default: str | None = None) -> str:
        """A competency or dimension name in the report's language (from the study's labels), else *default*."""
        return self.labels.get(str(key)) or (default if default is not None else str(key))

    def figure(self, name: str) -> Path:
        return self.bundle.figure_path(name)

    def table(self, name: str) -> pd.DataFrame:
        """A results table (a copy: many team briefs rendered by one process read each table once)."""
        path = self.bundle.path(f"tables/{name}.csv")
        if not path.is_file():
            return self.bundle.csv(name)  # the bundle's own error
        st = path.stat()
        return _table_cached(str(path), st.st_mtime_ns, st.st_size).copy()

    def has(self, kind: str, name: str) -> bool:
        """Whether the bundle holds figure or table *name* (optional inputs give optional results)."""
        rel = f"figures/{name}.png" if kind == "figure" else f"tables/{name}.csv"
        return self.bundle.path(rel).is_file()

    @property
    def scale(self) -> tuple[int, int]:
        return int(self.params.get("scale.min")), int(self.params.get("scale.max"))


@functools.lru_cache(maxsize=64)
def _table_cached(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    return files.read_csv(path)


def _lang(res) -> i18n.Language:
    """The report language of *res* (English for a results object without one)."""
    return getattr(res, "tr", None) or i18n.get("en")


def _label(res, key: str, default: str | None = None) -> str:
    """A competency or dimension name in the report's language (see :meth:`StudyResults.label`)."""
    labels = getattr(res, "labels", None) or {}
    return labels.get(str(key)) or (default if default is not None else str(key))


def load(params_path: str | Path, lang: str | None = None) -> StudyResults:
    """The study's results bundle, read for a report in *lang* (default: the study's ``reports.language``)."""
    b = Bundle(params_path)
    tr = i18n.get(lang or i18n.study_language(b.params))
    return StudyResults(bundle=b, reliability=b.result("reliability"), validity=b.result("validity"),
                        training=b.result("training"), trends=b.result("trends"), coaching=b.result("coaching"),
                        tr=tr, labels=study_labels(b, tr.code))


# --------------------------------------------------------------------------- labels and provenance
def labels_file(params, lang: str) -> Path:
    """``<inputs.dir>/labels.<lang>.yaml``: competency/dimension id → name in that language (optional)."""
    return params.input_dir / f"labels.{lang}.yaml"


def study_labels(bundle: Bundle, lang: str) -> dict[str, str]:
    """Competency and dimension names for *lang*: the item map's ``competency_label_<lang>`` /
    ``dimension_label_<lang>`` columns, then the labels file, else nothing (the item map's labels are used)."""
    out: dict[str, str] = {}
    if bundle.has_table("items"):
        items = bundle.table("items")
        for kind in ("competency", "dimension"):
            col = f"{kind}_label_{lang}"
            if col in items.columns:
                out.update({str(k): str(v) for k, v in zip(items[kind], items[col]) if isinstance(v, str) and v})
    path = labels_file(bundle.params, lang)
    if path.is_file():
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected 'id: name' lines, got {type(data).__name__}")
        for k, v in data.items():
            out.setdefault(str(k), str(v))
    if out and bundle.has_table("items"):
        # Results carry the item map's labels too: map those to the same names.
        items = bundle.table("items")
        for kind in ("competency", "dimension"):
            for key, label in zip(items[kind], items.get(f"{kind}_label", items[kind])):
                if str(key) in out and isinstance(label, str):
                    out.setdefault(label, out[str(key)])
    if READS is not None:
        READS["extra"][f"labels:{lang}"] = extra_digest(bundle.params, f"labels:{lang}")
    return out


_PROVENANCE = ("study", "params_path", "params_sha256", "inputs", "packages", "python", "git")


def manifest(res: StudyResults) -> dict[str, Any]:
    """The provenance fields of the study's manifest (what the technical report prints)."""
    m = files.read_json(res.params.report_dir / "manifest.json")
    if READS is not None:
        READS["extra"]["manifest"] = extra_digest(res.params, "manifest")
    return {k: m.get(k) for k in _PROVENANCE}


def extra_digest(params, what: str) -> str | None:
    """Digest of a report input outside the results bundle (the render cache compares it)."""
    if what == "manifest":
        path = params.report_dir / "manifest.json"
        if not path.is_file():
            return None
        m = files.read_json(path)
        return files.sha256_bytes(files.dumps_json({k: m.get(k) for k in _PROVENANCE}).encode())
    if what.startswith("labels:"):
        path = labels_file(params, what.split(":", 1)[1])
        return files.sha256_file(path) if path.is_file() else None
    raise ValueError(f"unknown report input {what!r}")


# --------------------------------------------------------------------------- what the study could not answer
def not_studied(res: StudyResults) -> list[tuple[str, str]]:
    """Every analysis the study did not run or could not estimate, with the reason (each listed once)."""
    seen: dict[str, str] = {}
    for result in (res.reliability, res.validity, res.training, res.trends, res.coaching):
        for label, reason in ((result or {}).get("skipped") or {}).items():
            seen.setdefault(label, reason)
    return list(seen.items())


def not_studied_md(res: StudyResults) -> str:
    """What was not studied, one line per reason (a missing input is named once, with what it holds back).

    The stages write analysis labels and reasons in English; known ones are shown in the report's
    language (:func:`skip_label`, :func:`skip_reason`), any other text as written.
    """
    _ = _lang(res)
    rows = not_studied(res)
    if not rows:
        return _("Every analysis of the study design ran on these inputs.") + "\n"
    by_reason: dict[str, list[str]] = {}
    for label, reason in rows:
        by_reason.setdefault(reason, []).append(label)
    return "\n".join(_("- **{reason}** Not studied: {analyses}.", reason=_sentence(skip_reason(res, reason), _),
                       analyses=_("; ").join(skip_label(res, label) for label in labels))
                     for reason, labels in by_reason.items()) + "\n"


def instrument(res: StudyResults) -> str:
    """'33 items on 11 competencies in 3 dimensions, answered on a 1–5 scale' (from the study itself)."""
    _ = _lang(res)
    rel = res.reliability["summary"]
    lo, hi = res.scale
    k, nc, nd = rel["total_k"], rel["n_competencies"], rel.get("n_dimensions", 0)
    comp = _.n("{count} competency", "{count} competencies", nc)
    dims = _.n(" in {count} dimension", " in {count} dimensions", nd) if nd else ""
    return _("{k} items on {competencies}{dimensions}, answered on a {lo}–{hi} scale", k=k, competencies=comp,
             dimensions=dims, lo=lo, hi=hi)


# --------------------------------------------------------------------------- headline answers
def _reliability_answer(res: StudyResults, conf: float) -> str:
    _ = _lang(res)
    rel = res.reliability["summary"]
    total = _("alpha **{alpha}** ({ci}, n = {n})", alpha=_.num(rel["total_alpha"]),
              ci=_.ci(rel["total_ci_low"], rel["total_ci_high"], level=conf), n=rel["total_n"])
    n_est = rel.get("n_competencies_estimable", rel["n_competencies"])
    if rel["n_competencies"] <= 1 or n_est == 0:
        # One trait (or no multi-item competency): the total scale is the instrument's reliability.
        thr = rel.get("alpha_threshold", 0.7)
        ok = rel["total_alpha"] >= thr
        text = _("**{verdict}.** The questionnaire ({instrument}) has Cronbach's {total}, which is {quality}",
                 verdict=_("Yes") if ok else _("Not yet"), instrument=instrument(res), total=total,
                 quality=_.pgettext("reliability", reliability_verdict(rel["total_alpha"])))
        return text + (_(".") if ok else
                       _("; below the usual {threshold}, so individual scores should not yet be used for decisions.",
                         threshold=_.num(thr)))
    below = rel["competencies_below_0_7"]
    n_ok = n_est - len(below)
    verdict = (_("Yes") if not below else _("Mostly") if n_ok >= n_est / 2 else _("Partly") if n_ok else _("Not yet"))
    k_lo, k_hi = rel.get("items_per_competency_min"), rel.get("items_per_competency_max")
    items = ((_("{k} items each", k=k_lo) if k_lo == k_hi else _("{lo} to {hi} items", lo=k_lo, hi=k_hi))
             if k_lo is not None else "")
    thr = _.num(rel.get("alpha_threshold", 0.7))
    text = _("**{verdict}.** The questionnaire — {instrument} — is judged scale by scale: {n_ok} of its {n} competency "
             "scales ({items}) reach Cronbach's alpha {threshold} (range {min}, {min_scale}, to {max}, {max_scale})",
             verdict=verdict, instrument=instrument(res), n_ok=n_ok, n=n_est, items=items, threshold=thr,
             min=_.num(rel["competency_alpha_min"]),
             min_scale=md_text(_label(res, rel["competency_alpha_min_scale"], rel["competency_alpha_min_scale"])),
             max=_.num(rel["competency_alpha_max"]),
             max_scale=md_text(_label(res, rel.get("competency_alpha_max_scale") or "",
                                         rel.get("competency_alpha_max_scale") or "")))
    if below:
        text += _("; below {threshold}: {scales}", threshold=thr,
                  scales=_.join(md_text(_label(res, b, b)) for b in below))
    text += _(".")
    if n_est < rel["n_competencies"]:
        text += _.n(" {count} one-item competency has no internal consistency to estimate.",
                    " {count} one-item competencies have no internal consistency to estimate.",
                    rel["n_competencies"] - n_est)
    dims = rel.get("dimension_alphas") or []
    if dims:
        text += _(" Dimensions: {list}.", list=_("; ").join(
            f"{md_text(_label(res, d.get('scale', ''), d['label']))} {_.num(d['alpha'])}" for d in dims))
    text += _(" The total score, a composite of {n} distinct competencies, has {total}; being a composite, it is not "
              "itself a verdict on each trait.", n=rel["n_competencies"], total=total)
    return text


def _performance_answer(res: StudyResults, conf: float) -> str | None:
    _ = _lang(res)
    val = res.validity.get("summary")
    if not val:
        return None
    totals = val["total"]
    kpi = "fcr" if "fcr" in totals else next(iter(totals), None)
    if kpi is None:
        return None
    e = totals[kpi]
    sig = e["p_adj"] is not None and e["p_adj"] < 1 - conf
    words = association(e["r"], e["ci_low"], e["ci_high"], _)
    good = e["r"] > 0 if kpi != "aht_sec" else e["r"] < 0
    verdict = _("Yes") if sig and good else (_("The opposite") if sig else _("Not clearly"))
    name = _.pgettext("kpi-in-sentence", kpi)
    adj = _.pgettext("adjustment", val["adjust"])
    text = _("**{verdict}.** Agents' total competency score and their {kpi} show {association}: r = **{r}** ({ci}, "
             "{p} after {adjustment} adjustment, n = {n}); {n_sig} of {n_pairs} score–KPI pairs are significant after "
             "adjustment.", verdict=verdict, kpi=name, association=words, r=_.num(e["r"]),
             ci=_.ci(e["ci_low"], e["ci_high"], level=conf), p=_.p_value(e["p_adj"]), adjustment=adj, n=e["n"],
             n_sig=val["n_significant_adj"], n_pairs=val["n_pairs"])
    if kpi == "aht_sec":
        text += _(" (For handle time, lower is better: a negative r is favourable.)")
    foc = (val.get("focus") or {}).get(kpi)
    if foc:
        text += _(" In team {team} (n = {n}) the correlation is r = {r} ({p}).", team=md_text(val["focus_team"]),
                  n=foc["n"], r=_.num(foc["r"]), p=_.p_value(foc["p"]))
    return text


def _training_answer(res: StudyResults, conf: float) -> str | None:
    _ = _lang(res)
    tr = res.training
    if not tr.get("total"):
        return None
    anc = tr.get("ancova")
    mom = tr.get("focus_month_on_month") or {}
    sat = tr.get("training_satisfaction") or {}
    main = tr.get("main_group") or ("trained" if "trained" in tr["total"] else next(iter(tr["total"])))
    trained = tr["total"].get(main, {})
    sens = (tr.get("sensitivity") or {}).get("focus_team_fcr")
    fcr_test = mom.get("fcr_test", {})
    did = tr.get("did_fcr") or {}
    if anc:
        worked = anc["p"] < 1 - conf and anc["b"] > 0
        on_job = did.get("estimate") is not None and did["p"] < 1 - conf and did["estimate"] > 0
        verdict = {(True, True): _("Yes, on the questionnaire and on the job"),
                   (True, False): _("Yes, on the questionnaire"),
                   (False, True): _("On the job, not on the questionnaire"),
                   (False, False): _("Not demonstrably")}
        text = _("**{verdict}.** Against the untrained control group, trained agents' post-training total score is "
                 "**{b}** points higher after adjusting for their pre-training score (ANCOVA, {ci}, {p}, n = {n}); "
                 "within the trained group the change is {change} points (Cohen's d_z = {dz}).",
                 verdict=verdict[(worked, on_job)], b=_.num(anc["b"], 2),
                 ci=_.ci(anc["ci_low"], anc["ci_high"], level=conf), p=_.p_value(anc["p"]), n=anc["n"],
                 change=_.num(trained.get("mean_diff")), dz=_.num(trained.get("cohens_dz")))
    else:
        change = trained.get("mean_diff")
        sig = trained.get("p") is not None and trained["p"] < 1 - conf
        direction = (_("rose") if change > 0 else _("fell")) if sig else _("did not change detectably")
        who = _("Trained agents'") if main == "trained" else _("Agents'")
        text = _("**Not testable against a control group** (there is no untrained control group, so a change cannot "
                 "be told apart from what would have happened anyway). {who} total score {direction} from {pre} to "
                 "{post}: {change} points ({ci}, {p}, Cohen's d_z = {dz}, n = {n}).", who=who, direction=direction,
                 pre=md_text(tr.get("pre", "pre")), post=md_text(tr.get("post", "post")), change=_.num(change),
                 ci=_.ci(trained.get("ci_low"), trained.get("ci_high"), level=conf), p=_.p_value(trained.get("p")),
                 dz=_.num(trained.get("cohens_dz")), n=trained.get("n"))
    if did.get("estimate") is not None:
        sig = did["p"] < 1 - conf
        text += _(" On the job, trained agents' first-contact resolution changed by **{pp}** more than the control "
                  "group's after training (difference-in-differences, {ci}, {p}, {n} agents){note}.",
                  pp=_.pp(did["estimate"]), ci=_.ci(did["ci_low"], did["ci_high"], level=conf), p=_.p_value(did["p"]),
                  n=did["n_clusters"], note="" if sig else _(", which is not statistically significant"))
    fu = tr.get("follow_up")
    if fu:
        last = fu["steps"][-1] if fu["steps"] else {}
        text += _(" At the last wave ({wave}) the gain {held}: {change} points above {first} ({ci}){decline}.",
                  wave=md_text(fu["waves"][-1]), held=_("**held**") if fu["held"] else _("**did not hold**"),
                  change=_.num(last.get("mean_diff")), first=md_text(fu["waves"][0]),
                  ci=_.ci(last.get("ci_low"), last.get("ci_high"), level=conf),
                  decline=_("; scores fell significantly after the post-training wave")
                  if fu["significant_decline_after_post"] else "")
    if "fcr_change_pp" in mom:
        text += _(" Team {team}'s first-contact resolution went from {before} in {before_month} to {after} in "
                  "{after_month} (**{change}** month on month", team=md_text(mom["team"]),
                  before=_.pct(mom["fcr_before"]), before_month=_.month(mom["before_month"]),
                  after=_.pct(mom["fcr_after"]), after_month=_.month(mom["after_month"]),
                  change=_.pp(mom["fcr_change_pp"]))
        if "staff_satisfaction_change_pp" in mom:
            text += _("; staff satisfaction **{change}**", change=_.pp(mom["staff_satisfaction_change_pp"]))
        text += _(")")
        if fcr_test:
            nonsig = fcr_test["p"] >= 1 - conf
            text += _(", a change that is {significance} for {n} agents ({p})",
                      significance=_("**not statistically significant**") if nonsig else _("significant"),
                      n=fcr_test["n"], p=_.p_value(fcr_test["p"]))
            if sens and nonsig:
                text += _(": this design could only detect an effect of d_z ≥ {effect} with {power}% power",
                          effect=_.num(sens["min_effect"]), power=int(round(sens["power"] * 100)))
        text += _(".")
    if sat:
        text += _(" {share} of {n} trainees rated the training satisfactory.", share=_.pct(sat["share_satisfied"], 0),
                  n=sat["n_rated"])
    rc = reliable_change_sentence(tr, _)
    if rc:
        text = _.pgettext("format", "{first} {then}", first=text, then=rc)
    inv = invariance_sentence(tr, _)
    if inv:
        text = _.pgettext("format", "{first} {then}", first=text, then=inv)
    return text


def reliable_change_sentence(tr: dict[str, Any], lang: i18n.Language | None = None) -> str | None:
    """Share of the main group who changed beyond measurement error, beside the control group's share."""
    _ = lang or i18n.get("en")
    rc = (tr.get("reliable_change") or {}).get("total") or {}
    main = tr.get("main_group") or ("trained" if "trained" in rc else next(iter(rc), None))
    if main not in rc:
        return None
    m = rc[main]
    text = _("**{improved}** of {who} ({n_improved} of {n}) improved their total score beyond measurement error "
             "(reliable change index), {declined} declined",
             improved=_.pct(m["share_improved"], 0), n_improved=m["n_improved"], n=m["n"],
             who=_.pgettext("who", "trained agents") if main == "trained" else _.pgettext("who", "agents"),
             declined=_.pct(m["share_deteriorated"], 0))
    c = rc.get("control")
    if main == "trained" and c:
        text += _("; in the control group {improved} improved and {declined} declined",
                  improved=_.pct(c["share_improved"], 0), declined=_.pct(c["share_deteriorated"], 0))
    return text + _(".")


def invariance_sentence(tr: dict[str, Any], lang: i18n.Language | None = None) -> str | None:
    """One line: is the pre/post comparison of means valid (scalar invariance), or only partially?"""
    _ = lang or i18n.get("en")
    inv = tr.get("invariance")
    if not inv or not inv.get("holds"):
        return None
    if inv["holds"] == "scalar":
        return _("The questionnaire measured the same thing on the same scale at both waves (scalar invariance), "
                 "so comparing pre and post scores is valid.")
    meaning = {"metric": _("the items relate to the competencies in the same way, but their baselines moved"),
               "configural": _("only the structure of the competency model is the same")}[inv["holds"]]
    return _("Comparing pre and post scores is **only partially valid**: {meaning} ({level} invariance, not scalar).",
             meaning=meaning, level=_.pgettext("invariance", inv["holds"]))


def _weak_spot_answer(res: StudyResults) -> str:
    _ = _lang(res)
    co = res.coaching
    lo, hi = res.scale
    weakest = co.get("focus_weakest") or []
    if weakest:
        items = _.join(f"{md_text(_label(res, w.get('competency', ''), w['label']))} **{_.num(w['mean'])}**"
                       for w in weakest)
        dim_labels = {_label(res, w.get("dimension") or "", w.get("dimension_label"))
                      if w.get("dimension_label") is not None else None for w in weakest}
        dims = (_(" — all in {dimension}", dimension=md_text(dim_labels.pop()))
                if len(dim_labels) == 1 and None not in dim_labels else "")
        text = _("Team {team} (n = {n}) scores **{mean}** on average on the {lo}–{hi} scale (centre {centre}); its "
                 "weakest competencies are {items}{dims}.", team=md_text(co["focus_team"]), n=co["focus_n"],
                 mean=_.num(co["focus_mean_total"]), lo=lo, hi=hi, centre=_.num(co["centre_mean_total"]),
                 items=items, dims=dims)
        kind = gap_kind_sentence(co, co["focus_team"], _)
        if kind:
            text = _.pgettext("format", "{first} {then}", first=text, then=kind)
    else:
        items = _.join(f"{md_text(_label(res, w.get('competency', ''), w['label']))} **{_.num(w['mean'])}**"
                       for w in co.get("centre_weakest") or [])
        text = _("Across the {n} assessed agents (mean **{mean}** on the {lo}–{hi} scale) the weakest competencies are "
                 "{items}.", n=co["n_agents"], mean=_.num(co["centre_mean_total"]), lo=lo, hi=hi, items=items)
    text += _(" {n} agents have at least one personal weak spot", n=co["n_agents_with_weak_spots"])
    if co.get("n_mentoring_pairs") is not None:
        text += _(" and {n} mentoring pairs are proposed", n=co["n_mentoring_pairs"])
    return text + _(".")


def gap_kind_sentence(co: dict[str, Any], team: Any, lang: i18n.Language | None = None, *,
                      whose: str | None = None) -> str | None:
    """Whether a team's gaps are mainly soft-skill or knowledge gaps (needs ``kind`` in the item map).

    *whose* starts the sentence ("Its" by default; "The team's" in a team brief).
    """
    _ = lang or i18n.get("en")
    g = (co.get("gap_kinds") or {}).get(str(team))
    if not g or not g.get("main"):
        return None
    whose = whose if whose is not None else _("Its")
    return {"soft_skill": _("{whose} gaps are mainly **soft-skill** gaps: a group programme (practice, role-play, "
                            "coaching) fits better than documentation.", whose=whose),
            "knowledge": _("{whose} gaps are mainly **knowledge** gaps: a knowledge-base or process fix comes before "
                           "a group programme.", whose=whose),
            "mixed": _("{whose} gaps are a **mix** of soft-skill and knowledge gaps: a group programme for the former, "
                       "a knowledge-base fix for the latter.", whose=whose)}[g["main"]]


def _sentence(text: str, tr: i18n.Language | None = None) -> str:
    """*text* as a sentence: first letter capitalised, ended with the language's full stop unless it has one."""
    end = (tr or i18n.get("en"))(".")
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", end)) else end)


# Analysis labels and skip reasons are written by the stages in English (ccstudy.plan and
# ccstudy.stages); the reports translate the known ones, fixed or with these patterns, and show
# any other text (an error message, say) as written.
_REASON_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"(?P<n>\d+) items: a factor model needs at least 3"), "{n} items: a factor model needs at least 3"),
    (re.compile(r"the agent KPIs have none of the KPI columns named in `validity\.kpis` \((?P<kpis>.*)\)"),
     "the agent KPIs have none of the KPI columns named in `validity.kpis` ({kpis})"),
    (re.compile(r"focus team (?P<team>.+) has no respondents"), "focus team {team} has no respondents"),
    (re.compile(r"the centre KPIs have none of the columns named in `trends\.kpis` \((?P<kpis>.*)\) with at least "
                r"3 months"),
     "the centre KPIs have none of the columns named in `trends.kpis` ({kpis}) with at least 3 months"),
    # the factor model (ccstudy.analysis.reliability): its notes and why it could not be fitted
    (re.compile(r"competency '(?P<name>.+)' has one item: left out of the factor model"),
     "competency '{name}' has one item: left out of the factor model"),
    (re.compile(r"higher-order factor '(?P<name>.+)' not estimable: the dimension holds (?P<n>\d+) competency "
                r"factor\(s\), and a higher-order factor needs at least 2"),
     "higher-order factor '{name}' not estimable: the dimension holds {n} competency factor(s), and a higher-order "
     "factor needs at least 2"),
    (re.compile(r"higher-order factor '(?P<name>.+)' not estimable: two lower factors and nothing else to correlate "
                r"with"),
     "higher-order factor '{name}' not estimable: two lower factors and nothing else to correlate with"),
    (re.compile(r"not estimable on these data: (?P<error>.*)", re.S), "not estimable on these data: {error}"),
)


def skip_label(res, label: str) -> str:
    """The label of an analysis that did not run, in the report's language (an unknown label as written)."""
    return _lang(res).pgettext("analysis", label) if label else label


def skip_reason(res, reason: str) -> str:
    """Why an analysis did not run, in the report's language (an unknown reason as written)."""
    if not reason:
        return reason
    _ = _lang(res)
    for pattern, msgid in _REASON_PATTERNS:
        m = pattern.fullmatch(reason)
        if m:
            return _.pgettext("skip-reason", msgid, **m.groupdict())
    return _.pgettext("skip-reason", reason)


def headlines(res: StudyResults) -> dict[str, str]:
    """The four questions answered in one or two sentences each, with numbers.

    A question the study's inputs cannot answer gets "Not studied" and the reason.
    """
    _ = _lang(res)
    conf = res.params.get("confidence", 0.95)
    skipped = dict(not_studied(res))
    out = {"reliable": _reliability_answer(res, conf)}
    perf = _performance_answer(res, conf)
    out["performance"] = perf or (_("**Not studied.** ") + _sentence(skip_reason(res, skipped.get(
        "score–KPI correlations", _("no agent KPIs were given"))), _))
    train = _training_answer(res, conf)
    out["training"] = train or (_("**Not studied yet.** ") + _sentence(skip_reason(res, skipped.get(
        "pre/post change in competency scores", _("there is one wave of responses only"))), _))
    out["weak_spots"] = _weak_spot_answer(res)
    return out


def kpi_headline(res: StudyResults) -> str | None:
    _ = _lang(res)
    its = (res.trends or {}).get("its")
    if not its:
        return None
    parts = []
    for k in ("fcr", "attrition"):
        if k in its:
            e = its[k]
            parts.append(_("{kpi} {first}% → **{last}%** ({first_month} → {last_month})",
                           kpi=_.pgettext("kpi-in-sentence", k), first=_.num(e["first"]), last=_.num(e["last"]),
                           first_month=_.month(e["first_month"]), last_month=_.month(e["last_month"])))
    tail = []
    for k in ("answer_rate", "csat"):
        if k in its:
            tail.append(_("{kpi} {value}%", kpi=_.pgettext("kpi-in-sentence", k), value=_.num(its[k]["last"])))
    if not parts and not tail:
        return None
    s = _("Centre KPIs: ") + _("; ").join(parts)
    if tail:
        s += (_("; at the end ") if parts else _("at the end ")) + _(" and ").join(tail) + _(".")
    return s


# --------------------------------------------------------------------------- technical report sections
def _level(conf: float) -> int:
    return int(round(conf * 100))


def data_section(res: StudyResults) -> str:
    """Inputs read and kept, the cleaning changes by rule and the n each analysis used."""
    import json

    _ = _lang(res)
    s = json.loads(res.bundle.path("intake_summary.json").read_text(encoding="utf-8"))
    rows = [{"Input": info.get("file", name), "Encoding": info.get("encoding", ""),
             "Rows read": info.get("rows_read"), "Rows kept": info.get("rows_kept"),
             "Rows dropped": info.get("rows_dropped")} for name, info in sorted(s["inputs"].items())]
    out = [md_table(pd.DataFrame(rows), tr=_, headers={c: _(c) for c in rows[0]} if rows else None)]
    log = res.table("cleaning_summary")
    out.append(_("Every removed or recoded value is a row of `cleaning_log.csv` (file, row, column, old, new, rule). "
                 "Changes by rule:") + "\n")
    out.append(md_table(log, tr=_, headers={"rule": _("Rule"), "changes": _("Changes")}) if len(log)
               else _("No value was removed or recoded.") + "\n")
    settings = s.get("cleaning", {}).get("settings", {})
    if settings:
        out.append(_("Cleaning settings: {list}.", list=_("; ").join(f"`{k}` = {v}" for k, v in sorted(settings.items())))
                   + "\n")
    out.append("\n" + _("The n each analysis used (after cleaning; a reader comparing with another tool sees here why n "
                        "differs):") + "\n")
    out.append(md_table(pd.DataFrame(n_used(res), columns=["Analysis", "n", "Unit"]), tr=_,
                        headers={"Analysis": _("Analysis"), "Unit": _("Unit")}))
    return "\n".join(out)


def n_used(res: StudyResults) -> list[tuple[str, int, str]]:
    _ = _lang(res)
    rel = res.reliability["summary"]
    rows = [(_("reliability, total scale ({wave} wave, {missing})", wave=rel["wave"],
               missing=_.pgettext("missing", rel["missing"])), rel["total_n"], _("responses"))]
    cfa = res.reliability.get("cfa")
    if cfa and cfa.get("estimable", True) and cfa.get("n") is not None:
        rows.append((_("factor analysis (complete responses)"), cfa["n"], _("responses")))
    val = res.validity.get("summary")
    if val:
        rows.append((_("score–KPI correlations ({start} – {end})", start=_.month(val["window_start"]),
                       end=_.month(val["window_end"])), val["n_agents"], _("agents")))
    for g, e in (res.training.get("total") or {}).items():
        rows.append((_("pre/post change, {group}", group=_.pgettext("group", str(g))), e["n"],
                     _("agents with both waves")))
    anc = res.training.get("ancova")
    if anc:
        rows.append((_("ANCOVA trained vs control"), anc["n"], _("agents")))
    did = res.training.get("did_fcr")
    if did:
        rows.append((_("difference-in-differences on FCR"), did["n"], _("agent-months")))
    co = res.coaching
    rows.append((_("weak spots ({wave} wave)", wave=co["wave"]), co["n_agents"], _("agents")))
    return rows


def reliability_section(res: StudyResults) -> str:
    _ = _lang(res)
    conf = res.params.get("confidence")
    rel = res.reliability["summary"]
    out = [_("Wave: **{wave}**; missing answers handled **{missing}**; confidence intervals for alpha by Feldt's F "
             "method on the effective n. Item-rest correlations and alpha-if-deleted use the same estimator as the "
             "headline alpha. A scale with a single item has no internal consistency and is marked not estimable.",
             wave=md_text(rel["wave"]), missing=_.pgettext("missing", rel["missing"])) + "\n"]
    t = localise(res, res.table("reliability_scales"))
    t["level"] = [_.pgettext("level", str(v)) for v in t["level"]]
    cols = ["level", "label", "k", "n", "alpha", "ci_low", "ci_high", "std_alpha", "average_r", "lambda6",
            "omega_total"]
    extra = [c for c in ("ordinal_alpha", "ordinal_omega", "pearson_alpha", "pearson_omega") if c in t]
    if rel.get("correlation") == "polychoric":
        out.append(_("Headline statistics are **ordinal** (from polychoric correlations; Zumbo, Gadermann & Zeisser "
                     "2007); the Pearson alpha and omega are shown beside them.") + "\n")
    elif extra:
        out.append(_("With at most 7 answer categories the **ordinal** alpha and omega (from polychoric correlations; "
                     "Zumbo, Gadermann & Zeisser 2007) are shown beside the Pearson ones; they describe the latent "
                     "responses, the Pearson ones the observed score.") + "\n")
    out.append(md_table(t[cols + extra], digits=3, tr=_, headers={
        "level": _("level"), "label": _("scale"), "ci_low": _("alpha CI low"), "ci_high": _("alpha CI high"),
        "std_alpha": _("std. alpha"), "average_r": _("mean r"), "lambda6": "λ6", "omega_total": _("ω total"),
        "ordinal_alpha": _("ordinal alpha"), "ordinal_omega": _("ordinal ω"), "pearson_alpha": _("Pearson alpha"),
        "pearson_omega": _("Pearson ω")}))
    raw = res.table("reliability_scales")
    tot = raw[raw["level"] == "total"].iloc[0]
    if pd.notna(tot.get("boot_ci_low")):
        out.append("\n" + _("Total scale: percentile bootstrap {level}% CI for alpha {low} to {high} ({n} resamples, "
                            "seed {seed}).", level=_level(conf), low=_.num(tot["boot_ci_low"], 3),
                            high=_.num(tot["boot_ci_high"], 3), n=res.params.get("reliability.n_boot"),
                            seed=res.params.seed) + "\n")
    waves = res.reliability.get("waves")
    if waves:
        out.append("\n" + _("Total-scale alpha at every wave:") + "\n")
        out.append(md_table(pd.DataFrame(waves), digits=3, tr=_))
    return "\n".join(out)


def items_section(res: StudyResults) -> str:
    _ = _lang(res)
    it = res.table("reliability_items")
    it = it[it["level"] == "competency"]
    keep = [c for c in ["scale", "item", "mean", "sd", "n", "item_rest_r", "alpha_if_deleted"] if c in it.columns]
    if it.empty:
        return _("No competency has two or more items, so there are no within-competency item statistics.") + "\n"
    it = it.copy()
    it["scale"] = [_label(res, v, v) for v in it["scale"].astype(str)]
    return (_("Item statistics within each competency (an item with a negative item-rest r is probably miskeyed):")
            + "\n\n" + md_table(it[keep], digits=3, tr=_, headers={
                "scale": _("scale"), "item": _("item"), "mean": _("mean"), "sd": _("SD"),
                "item_rest_r": _("item-rest r"), "alpha_if_deleted": _("alpha if deleted")}))


def cfa_section(res: StudyResults) -> str:
    _ = _lang(res)
    f = res.reliability.get("cfa")
    if not f:
        return _("No factor model was fitted for this study.") + "\n"
    notes = "".join(f"\n- {md_text(skip_reason(res, n))}" for n in f.get("notes") or [])
    if not f.get("estimable", True):
        return _("**Confirmatory factor analysis**: not estimable — {reason}.",
                 reason=md_text(skip_reason(res, f.get("reason") or ""))) \
            + notes + "\n"
    text = _("**Confirmatory factor analysis** ({model}; ML on {n} complete responses, {n_dropped} with a missing "
             "answer left out): χ²({df}) = {chi2}, {p}; CFI = {cfi}, TLI = {tli}, RMSEA = {rmsea} (90% CI {lo} to "
             "{hi}), SRMR = {srmr}", model=f["model"], n=f["n"], n_dropped=f["n_dropped"], df=f["df"],
             chi2=_.num(f["chi2"], 1), p=_.p_value(f["p"]), cfi=_.num(f["cfi"], 3), tli=_.num(f["tli"], 3),
             rmsea=_.num(f["rmsea"], 3), lo=_.num(f["rmsea_ci_low"], 3), hi=_.num(f["rmsea_ci_high"], 3),
             srmr=_.num(f["srmr"], 3))
    if f.get("omega_h") is not None:
        text += _("; ω hierarchical = {omega}", omega=_.num(f["omega_h"], 3))
    text += _(".") if f["converged"] else _(" — **the model did not converge; read these indices with care.**")
    out = [text + "\n"]
    if notes:
        out.append(_("What the model had to leave out:") + notes + "\n")
    if res.has("table", "cfa_omega"):
        om = res.table("cfa_omega")
        om = om[om["level"] == "higher"].copy()
        if len(om):
            label = "factor_label" if "factor_label" in om else "factor"
            om[label] = [_label(res, k, v) for k, v in zip(om["factor"].astype(str), om[label].astype(str))]
            out.append(_("McDonald's ω from the factor model for each dimension (ω_h: share of variance due to the "
                         "dimension factor itself rather than its competencies):") + "\n")
            out.append(md_table(om[[label, "k", "omega_total", "omega_h"]], digits=3, tr=_, headers={
                label: _("Dimension"), "omega_total": _("ω total"), "omega_h": _("ω hierarchical")}))
    return "\n".join(out)


def validity_section(res: StudyResults) -> str:
    _ = _lang(res)
    conf = res.params.get("confidence")
    v = res.validity.get("summary")
    if not v:
        return _("Not studied: {reasons}.", reasons=_("; ").join(
            skip_reason(res, r) for lab, r in not_studied(res) if lab.startswith("score–KPI"))) + "\n"
    out = [_("Scores from the **{wave}** wave against each agent's contact-weighted KPI means over **{start} – {end}** "
             "(n = {n} agents). {method} with Fisher-z {level}% CIs; p-values adjusted across all {pairs} pairs by "
             "{adjustment}.", wave=md_text(v["wave"]), start=_.month(v["window_start"]), end=_.month(v["window_end"]),
             n=v["n_agents"], method=_("Spearman rho") if v["method"] == "spearman" else _("Pearson r"),
             level=_level(conf), pairs=v["n_pairs"], adjustment=_.pgettext("adjustment-method", v["adjust"])) + "\n"]
    t = localise(res, res.table("validity_correlations"))
    t["kpi"] = [_.pgettext("kpi", str(k)) for k in t["kpi"]]
    out.append(md_table(t[["label", "kpi", "n", "r", "ci_low", "ci_high", "p", "p_adj"]], digits=3, tr=_,
                        headers={"label": _("scale"), "kpi": _("KPI"), "ci_low": _("CI low"), "ci_high": _("CI high"),
                                 "p_adj": _("p adj")}))
    if res.has("table", "validity_partial"):
        part = res.table("validity_partial")
        out.append("\n" + _("Partial correlations of the total score, controlling for {covariates}:", covariates=", ".join(
            sorted(set(", ".join(part["covariates"].astype(str)).split(", "))))) + "\n")
        out.append(md_table(part, digits=3, tr=_))
    return "\n".join(out)


def training_section(res: StudyResults) -> str:
    _ = _lang(res)
    conf = res.params.get("confidence")
    tr = res.training
    if not tr.get("total"):
        reason = skip_reason(res, dict(not_studied(res)).get("pre/post change in competency scores",
                                                             _("one wave only")))
        out = [_("Not studied: {reasons}.", reasons=reason) + "\n"]
        sat = tr.get("training_satisfaction") or {}
        if sat:
            out.append(_satisfaction(sat, _))
        return "\n".join(out)
    out = [_("Design: **{design}** (waves {waves}). Paired t-tests on agents with both waves; Cohen's d_z = mean "
             "difference / SD of differences, with a noncentral-t CI; Wilcoxon signed-rank test as in R's "
             "`wilcox.test` (zeros dropped; exact p for small n without ties, else normal approximation with "
             "continuity correction).", design=_.pgettext("design", tr.get("design", "pre/post")),
             waves=", ".join(md_text(w) for w in tr.get("waves", []))) + "\n"]
    inv_md = invariance_section(res)
    if inv_md:
        out.append(inv_md)
    pp_ = localise(res, res.table("training_prepost"))
    pp_["group"] = [_group(res, g) for g in pp_["group"].astype(str)]
    dims = [d["scale"] for d in res.reliability["summary"].get("dimension_alphas") or []]
    heads = {"group": _("group"), "label": _("scale"), "pre_mean": _("pre mean"), "post_mean": _("post mean"),
             "mean_diff": _("mean diff"), "ci_low": _("CI low"), "ci_high": _("CI high"), "cohens_dz": "d_z",
             "dz_ci_low": _("d_z CI low"), "dz_ci_high": _("d_z CI high"), "wilcoxon_p": _("Wilcoxon p")}
    out.append(md_table(pp_[pp_["scale"].astype(str).isin(["total"] + dims)][
        ["group", "label", "n", "pre_mean", "post_mean", "mean_diff", "ci_low", "ci_high", "p", "cohens_dz",
         "dz_ci_low", "dz_ci_high", "wilcoxon_p"]], digits=3, tr=_, headers=heads))
    if res.has("table", "training_waves"):
        w = res.table("training_waves")
        w = w[w["scale"] == "total"].copy()
        w["group"] = [_group(res, g) for g in w["group"].astype(str)]
        out.append("\n" + _("Change between waves (total score; the last row of each group compares the first and the "
                            "last wave — did the gain hold?):") + "\n")
        out.append(md_table(w[["group", "from_wave", "to_wave", "n", "mean_diff", "ci_low", "ci_high", "p",
                               "cohens_dz"]], digits=3, tr=_, headers={**heads, "from_wave": _("from wave"),
                                                                       "to_wave": _("to wave")}))
    a = tr.get("ancova")
    if a:
        out.append("\n" + _("**ANCOVA** (post ~ pre + group, control as reference): trained − control = {b} (SE {se}, "
                            "{ci}, {p}, n = {n}).", b=_.num(a["b"], 3), se=_.num(a["se"], 3),
                            ci=_.ci(a["ci_low"], a["ci_high"], 3, conf), p=_.p_value(a["p"]), n=a["n"]) + "\n")
    else:
        out.append("\n" + _("No comparison against a control group (groups: {groups}); ANCOVA, the mixed model and the "
                            "difference-in-differences need both `trained` and `control`.",
                            groups=", ".join(tr.get("groups") or []) or _("none")) + "\n")
    mx = tr.get("mixed")
    if mx:
        e = mx["effect"]
        out.append(_("**Mixed model** (post ~ pre + group, random intercept for {teams} teams, REML): trained − "
                     "control = {b} (SE {se}, {ci}, {p}); intraclass correlation of teams {icc}.", teams=mx["n_groups"],
                     b=_.num(e["b"], 3), se=_.num(e["se"], 3), ci=_.ci(e["ci_low"], e["ci_high"], 3, conf),
                     p=_.p_value(e["p"]), icc=_.num(mx["icc"], 3)) + "\n")
    d = tr.get("did_fcr") or {}
    if d:
        out.append(_("**Difference-in-differences** on the agent-month FCR panel (percentage points, training months "
                     "excluded, SEs clustered by agent): {estimate} pp ({ci}, {p}, {n} agent-months, {clusters} "
                     "agents).", estimate=_.num(d.get("estimate"), 3), ci=_.ci(d.get("ci_low"), d.get("ci_high"), 3, conf),
                     p=_.p_value(d.get("p")), n=d.get("n"), clusters=d.get("n_clusters")) + "\n")
    mom = tr.get("focus_month_on_month") or {}
    if mom:
        ft = mom.get("fcr_test", {})
        out.append(_("**Team {team}, month on month** ({before} → {after}): FCR {fcr_before} → {fcr_after} ({change}); "
                     "paired test on the agents' own FCR: mean change {diff} pp, {p}, n = {n}.",
                     team=md_text(mom["team"]), before=_.month(mom["before_month"]), after=_.month(mom["after_month"]),
                     fcr_before=_.pct(mom["fcr_before"]), fcr_after=_.pct(mom["fcr_after"]),
                     change=_.pp(mom["fcr_change_pp"]), diff=_.num(ft.get("mean_diff"), 2), p=_.p_value(ft.get("p")),
                     n=ft.get("n")) + "\n")
    names = {"focus_team_paired": _("focus team, questionnaire pre/post"),
             "focus_team_fcr": _("focus team, FCR month on month"),
             "main_group_paired": _("{group}, questionnaire pre/post",
                                    group=_group(res, tr.get("main_group", "trained")))}
    for key, sens in (tr.get("sensitivity") or {}).items():
        out.append(_("- Sensitivity ({name}): with n = {n} and α = {alpha}, the design has {power}% power only for "
                     "effects of {effect_name} ≥ {effect}.", name=names.get(key, key.replace("_", " ")), n=sens["n"],
                     alpha=_.num(sens["alpha"], 2), power=int(round(sens["power"] * 100)),
                     effect_name=sens["effect_name"], effect=_.num(sens["min_effect"], 2)))
    out.append("")
    rc_md = reliable_change_section(res)
    if rc_md:
        out.append(rc_md)
    sat = tr.get("training_satisfaction") or {}
    if sat:
        out.append(_satisfaction(sat, _))
    return "\n".join(out)


def _group(res, group: str) -> str:
    """A group name of the training tables ('trained', 'control', 'team VIP') in the report's language."""
    _ = _lang(res)
    if group.startswith("team "):
        return _("team {team}", team=group[5:])
    return _.pgettext("group", group)


def invariance_section(res: StudyResults) -> str | None:
    """The invariance ladder (table and decision) shown before the pre/post comparisons."""
    _ = _lang(res)
    inv = res.training.get("invariance")
    if not inv or not res.has("table", "training_invariance"):
        return None
    t = res.table("training_invariance")
    t["level"] = [_.pgettext("invariance", str(v)) for v in t["level"]]
    decision = invariance_sentence(res.training, _)
    text = _("**Measurement invariance** ({pre} vs {post}; one CFA with both waves, {n_factors} {factor_level} factors, "
             "marker-variable identification, the same item's residuals correlated across waves, ML; n = {n} agents "
             "answering every item at both waves). A level holds when ΔCFI ≥ {delta_cfi} and ΔRMSEA ≤ {delta_rmsea} "
             "(Chen 2007). Highest level: **{holds}**.", pre=md_text(inv["pre"]), post=md_text(inv["post"]),
             n_factors=inv["n_factors"], factor_level=_.pgettext("level", str(inv["factor_level"])), n=inv["n"],
             delta_cfi=inv["delta_cfi"], delta_rmsea=inv["delta_rmsea"],
             holds=_.pgettext("invariance", str(inv["holds"])))
    if decision:
        text = _.pgettext("format", "{first} {then}", first=text, then=decision)
    return (text + "\n\n"
            + md_table(t[["level", "chi2", "df", "cfi", "tli", "rmsea", "srmr", "delta_cfi", "delta_rmsea"]], digits=3,
                       tr=_, headers={"level": _("level"), "chi2": "χ²", "delta_cfi": "ΔCFI",
                                      "delta_rmsea": "ΔRMSEA"}) + "\n")


def reliable_change_section(res: StudyResults) -> str | None:
    """Reliable change shares per group and scale, and their link to the agents' KPI change."""
    _ = _lang(res)
    rc = res.training.get("reliable_change")
    if not rc or not res.has("table", "training_reliable_change_shares"):
        return None
    conf = rc.get("confidence", 0.95)
    t = res.table("training_reliable_change_shares")
    t["group"] = [_group(res, g) for g in t["group"].astype(str)]
    t["scale"] = [_.pgettext("level", "total") if s == "total" else _label(res, s, s) for s in t["scale"].astype(str)]
    out = [_("**Reliable change** (Jacobson & Truax 1991): an agent improved (declined) when (post − pre) / S_diff "
             "exceeds the {level}% normal quantile, S_diff = SD_pre · √2 · √(1 − α) with Cronbach's α of the same "
             "scale in the {wave} wave. By chance alone about {chance} of a group improves; a control group that "
             "improves as often as the trained group points to drift in the questionnaire, not a training effect.",
             level=_level(conf), wave=md_text(rc.get("reliability_wave")), chance=_.pct((1 - conf) / 2, 1)) + "\n",
           md_table(t[["group", "scale", "n", "share_improved", "share_deteriorated", "share_unchanged", "reliability",
                       "min_change"]], digits=3, tr=_, headers={
               "group": _("group"), "scale": _("scale"), "share_improved": _("improved"),
               "share_deteriorated": _("declined"), "share_unchanged": _("unchanged"), "reliability": "α",
               "min_change": _("smallest reliable change")})]
    if res.has("table", "training_rc_kpi"):
        k = res.table("training_rc_kpi")
        if "kpi" in k.columns:
            k["kpi"] = [_.pgettext("kpi", str(v)) for v in k["kpi"]]
        out.append("\n" + _("Reliable change on the total score and each agent's KPI change ({months} months after the "
                            "training minus the months before; rates in percentage points):",
                            months=rc.get("kpi_change_months")) + "\n")
        out.append(md_table(k, digits=3, tr=_, headers={
            "kpi": _("kpi"), "ci_low": _("ci low"), "ci_high": _("ci high"), "n_improved": _("n improved"),
            "mean_change_improved": _("mean change improved"), "mean_change_others": _("mean change others")}))
    return "\n".join(out) + "\n"


def _satisfaction(sat: dict[str, Any], tr: i18n.Language | None = None) -> str:
    _ = tr or i18n.get("en")
    return _("Training satisfaction: {n_satisfied} of {n_rated} rated trainees ({share}) gave {min} or more out of 5.",
             n_satisfied=sat["n_satisfied"], n_rated=sat["n_rated"], share=_.pct(sat["share_satisfied"], 1),
             min=sat["satisfied_min"]) + "\n"


def trends_section(res: StudyResults) -> str:
    _ = _lang(res)
    out = []
    if not res.has("table", "trends_its"):
        reason = skip_reason(res, dict(not_studied(res)).get(
            "centre KPI trends around the intervention (interrupted time series)", _("no centre KPIs given")))
        out.append(_("Centre KPI trends not studied: {reason}.", reason=reason) + "\n")
    else:
        its = res.table("trends_its")
        out.append(_("Segmented regression y = b0 + b1·t + b2·post + b3·(t − t0)·post on monthly centre KPIs (percent), "
                     "standard errors: **{se}**.", se=_.pgettext("se", str(its["se"].iloc[0]))) + "\n")
        its = its.copy()
        if "kpi" in its.columns:
            its["label"] = [_.pgettext("kpi-in-sentence", str(k)) for k in its["kpi"]]
        out.append(md_table(its[["label", "first", "last", "pre_slope", "level_change", "level_ci_low",
                                 "level_ci_high", "level_p", "slope_change", "slope_ci_low", "slope_ci_high",
                                 "slope_p"]], digits=3, tr=_, headers={
            "label": _("KPI"), "first": _("first"), "last": _("last"), "pre_slope": _("pre slope"),
            "level_change": _("level change"), "level_ci_low": _("level CI low"), "level_ci_high": _("level CI high"),
            "level_p": _("level p"), "slope_change": _("slope change"), "slope_ci_low": _("slope CI low"),
            "slope_ci_high": _("slope CI high"), "slope_p": _("slope p")}))
    par = res.trends.get("pareto")
    if par:
        out.append("\n" + _("**Customer survey** ({n} customers, {mentions} mentions): the top three wishes — {top} — "
                            "make up {share} of mentions.", n=par["n_respondents"], mentions=par["n_mentions"],
                            top=", ".join(md_text(t) for t in par["top"]), share=_.pct(par["top_share"], 1)) + "\n")
        out.append(md_table(res.table("customer_pareto"), digits=3, tr=_))
    return "\n".join(out)


def coaching_section(res: StudyResults) -> str:
    _ = _lang(res)
    co = res.coaching
    out = [_("Weak spots use the **{wave}** wave; a competency is a team weak spot when it is among the team's three "
             "lowest or at least {gap} below the centre mean.", wave=md_text(co["wave"]), gap=co["weak_gap"])]
    if co.get("n_team_weak_spots") is not None:
        out.append(_(" {n} team weak spots across {teams} teams.", n=co["n_team_weak_spots"], teams=co["n_teams"]))
    out.append(_(" {n} of {total} agents have at least one personal weak spot", n=co["n_agents_with_weak_spots"],
                 total=co["n_agents"]))
    if co.get("n_mentoring_pairs") is not None:
        out.append(_("; {n} mentoring pairs (matched on {basis})", n=co["n_mentoring_pairs"],
                     basis=_.pgettext("basis", str(co.get("mentoring_basis")))))
    out.append(_(".") + "\n\n")
    centre = res.table("coaching_centre_profile") if res.has("table", "coaching_centre_profile") else None
    if centre is not None:
        out.append(_("Centre profile, weakest first:") + "\n\n")
        centre = localise(res, centre)
        out.append(md_table(centre.sort_values("rank")[["label", "mean", "sd", "n"]], digits=2, tr=_, headers={
            "label": _("Competency"), "mean": _("Mean"), "sd": _("SD")}))
    w = co.get("attrition_watch")
    if w and w.get("trained_agents") is not None:
        out.append("\n" + _("Attrition watch: {left} of {trained} trained agents left during the training period "
                            "({share}).", left=w["training_period_leavers"], trained=w["trained_agents"],
                            share=_.pct(w["training_period_attrition"], 1)))
    if w and w.get("top_performers") is not None:
        out.append(_(" {left} of the {top} top-{share}% performers left ({rate} vs {other} of the others).",
                     left=w["top_performer_leavers"], top=w["top_performers"], share=int(round(w["top_share"] * 100)),
                     rate=_.pct(w["top_performer_attrition"], 1), other=_.pct(w["other_attrition"], 1)) + "\n")
    return "".join(out)


def provenance_section(res: StudyResults) -> str:
    _ = _lang(res)
    path = res.params.report_dir / "manifest.json"
    if not path.is_file():
        return _("No run manifest was found (the stages were not run through `ccstudy run`).") + "\n"
    m = manifest(res)
    rows = [{"Input": v["path"], "SHA-256": (v["sha256"] or "")[:16] + "…", "Bytes": v.get("bytes")}
            for v in (m.get("inputs") or {}).values()]
    return (_("Study `{study}`, params `{params}` (SHA-256 `{digest}…`), git commit `{commit}`, Python {python}.",
              study=m["study"], params=m["params_path"], digest=(m["params_sha256"] or "")[:16],
              commit=((m.get("git") or {}).get("commit") or _("unknown"))[:12], python=m["python"]) + "\n\n"
            + md_table(pd.DataFrame(rows), tr=_, headers={"Input": _("Input"), "Bytes": _("Bytes")})
            + "\n" + _("Package versions: {list}.", list=", ".join(
                f"{k} {v}" for k, v in (m.get("packages") or {}).items() if v)) + "\n")


def training_figure(res: StudyResults):
    """Questionnaire means before and after training by group, in the report's language (None without them)."""
    if not res.has("table", "training_prepost"):
        return None
    from ccstudy import figures

    _ = _lang(res)
    pp_ = res.table("training_prepost")
    dims = [d["scale"] for d in res.reliability["summary"].get("dimension_alphas") or []]
    scales = [s for s in ["total"] + dims if s in set(pp_["scale"].astype(str))]
    if not scales or not {"pre_mean", "post_mean"} <= set(pp_.columns):
        return None
    labels = {s: _label(res, s, str(lab)) for s, lab in zip(pp_["scale"].astype(str), pp_["label"].astype(str))}
    labels["total"] = _("Total scale")
    tr_ = res.training or {}
    waves = (str(tr_.get("pre", "pre")), str(tr_.get("post", "post")))
    groups = {g: _group(res, g) for g in pp_["group"].astype(str)}
    return figures.prepost_means(pp_, scales, labels, scale=res.scale, waves=waves, tr=_, group_names=groups)


def trends_figure(res: StudyResults):
    """The centre KPI series around the intervention, in the report's language (None without them)."""
    if not res.has("table", "trends_fitted"):
        return None
    from ccstudy import figures

    _ = _lang(res)
    fitted = res.table("trends_fitted")
    intervention = res.params.get("trends.intervention")
    if fitted.empty or not intervention:
        return None
    labels = {k: _.pgettext("kpi-title", str(k)) for k in fitted["kpi"].astype(str)}
    return figures.its_panels(fitted, str(intervention), labels, tr=_)


def team_profile_figure(res: StudyResults, team: str):
    """The team's competency profile against the centre, drawn in the report's language from the bundle's
    tables (``coaching_team_profiles``, ``coaching_centre_profile``); None when they are missing."""
    if not (res.has("table", "coaching_team_profiles") and res.has("table", "coaching_centre_profile")):
        return None
    from ccstudy import figures

    prof = res.table("coaching_team_profiles")
    centre = res.table("coaching_centre_profile").set_index("competency")
    row = prof[prof["team"].astype(str) == str(team)]
    if row.empty:
        return None
    comps = [c for c in centre.index if c in prof.columns]
    labels = {c: _label(res, c, str(centre.loc[c, "label"])) for c in comps}
    return figures.team_profile_bars(row.iloc[0][comps].astype(float), centre.loc[comps, "mean"].astype(float),
                                     labels, str(team), scale=res.scale, tr=_lang(res))


def focus_weak_table(res: StudyResults) -> str | None:
    """The focus team's weak spots as a table, or None when the study has no focus team."""
    _ = _lang(res)
    focus = res.coaching.get("focus_team")
    if not focus or not res.has("table", "coaching_team_weak_spots"):
        return None
    weak = localise(res, res.table("coaching_team_weak_spots"))
    t = weak[weak["team"].astype(str) == str(focus)][["label", "team_mean", "centre_mean", "gap",
                                                       "share_below_centre", "plan"]]
    t = t.rename(columns={
        "label": _("Competency"), "team_mean": _("Team mean"), "centre_mean": _("Centre mean"), "gap": _("Gap"),
        "share_below_centre": _("Share of team below centre"), "plan": _("Suggested plan")})
    return (_("Weak spots of team {team} (shared weaknesses get a group programme, individual ones a personal plan):",
              team=md_text(focus)) + "\n\n" + md_table(t, tr=_))


# --------------------------------------------------------------------------- verdict block (executive, page 1)
#: Traffic-light symbols: a distinct shape per status, so the status reads without colour too
#: (HTML colours them by class, the PDF by a typst show rule on the symbol).
LIGHTS = {"green": "●", "amber": "▲", "red": "■", "grey": "○"}


@dataclass(frozen=True)
class Verdict:
    """One answer of the verdict block: the question, a short answer, its key number and uncertainty."""

    key: str
    question: str
    answer: str
    number: str
    uncertainty: str
    status: str  # green | amber | red | grey


def _conf(res: StudyResults) -> float:
    return float(res.params.get("confidence", 0.95) or 0.95)


def _reliability_verdict(res: StudyResults) -> Verdict:
    _ = _lang(res)
    rel = res.reliability["summary"]
    conf = _conf(res)
    n_est = rel.get("n_competencies_estimable", rel["n_competencies"])
    below = rel.get("competencies_below_0_7") or []
    thr = rel.get("alpha_threshold", 0.7)
    if rel["n_competencies"] <= 1 or n_est == 0:
        ok = rel["total_alpha"] >= thr
        status, answer = ("green", _("Yes")) if ok else ("red", _("Not yet"))
    else:
        n_ok = n_est - len(below)
        status = "green" if not below else ("amber" if n_ok >= n_est / 2 else "red")
        answer = _("{n_ok} of {n} competency scales reach α {threshold}", n_ok=n_ok, n=n_est, threshold=_.num(thr))
    return Verdict("reliable", _("Is the questionnaire reliable?"), answer,
                   _("total α = {alpha}", alpha=_.num(rel["total_alpha"])),
                   _.ci(rel["total_ci_low"], rel["total_ci_high"], level=conf), status)


def _performance_verdict(res: StudyResults) -> Verdict:
    _ = _lang(res)
    q = _("Do competency scores go with job performance?")
    val = (res.validity or {}).get("summary")
    totals = (val or {}).get("total") or {}
    kpi = "fcr" if "fcr" in totals else next(iter(totals), None)
    if kpi is None:
        return Verdict("performance", q, _("Not studied"), _.pgettext("format", "–"), _("no agent KPIs given"), "grey")
    e = totals[kpi]
    conf = _conf(res)
    sig = e.get("p_adj") is not None and e["p_adj"] < 1 - conf
    good = e["r"] > 0 if kpi != "aht_sec" else e["r"] < 0
    status, answer = (("green", _("Yes")) if sig and good else ("red", _("The opposite")) if sig
                      else ("amber", _("Not clearly")))
    return Verdict("performance", q, answer, _("r = {r} with {kpi}", r=_.num(e["r"]), kpi=_.pgettext("kpi", kpi)),
                   _.ci(e["ci_low"], e["ci_high"], level=conf) + ", " + _.p_value(e["p_adj"]), status)


def _training_verdict(res: StudyResults) -> Verdict:
    _ = _lang(res)
    q = _("Did the training work?")
    tr = res.training or {}
    conf = _conf(res)
    anc = tr.get("ancova")
    did = tr.get("did_fcr") or {}
    if anc:
        worked = anc["p"] < 1 - conf and anc["b"] > 0
        on_job = did.get("estimate") is not None and did["p"] < 1 - conf and did["estimate"] > 0
        status = "green" if worked and on_job else ("amber" if worked or on_job else "red")
        answer = {(True, True): _("Yes, on the questionnaire and on the job"),
                  (True, False): _("Yes, on the questionnaire"),
                  (False, True): _("On the job, not on the questionnaire"),
                  (False, False): _("Not demonstrably")}[(worked, on_job)]
        number = _("{b} points vs control", b=_.num(anc["b"]))
        uncertainty = _.ci(anc["ci_low"], anc["ci_high"], level=conf) + ", " + _.p_value(anc["p"])
        if did.get("estimate") is not None:  # after the ANCOVA's CI, so that CI is not read as the FCR's
            uncertainty += _("; FCR {pp}", pp=_.pp(did["estimate"]))
        return Verdict("training", q, answer, number, uncertainty, status)
    total = tr.get("total") or {}
    if not total:
        return Verdict("training", q, _("Not studied yet"), _.pgettext("format", "–"),
                       _("one wave of responses only"), "grey")
    main = tr.get("main_group") or ("trained" if "trained" in total else next(iter(total)))
    t = total.get(main, {})
    return Verdict("training", q, _("Not testable without a control group"),
                   _("{d} points pre to post", d=_.num(t.get("mean_diff"))),
                   _.ci(t.get("ci_low"), t.get("ci_high"), level=conf) + ", " + _.p_value(t.get("p")), "grey")


def _weak_spot_verdict(res: StudyResults) -> Verdict:
    _ = _lang(res)
    co = res.coaching or {}
    gap = float(co.get("weak_gap") or 0.25)
    weakest = co.get("focus_weakest") or []
    if weakest:
        worst = weakest[0]
        below = [w for w in weakest if w["mean"] <= w.get("centre_mean", w["mean"]) - gap]
        status = "red" if len(below) >= 2 else ("amber" if below else "green")
        answer = _("Team {team}: {names}", team=md_text(co["focus_team"]),
                   names=_.join(md_text(_label(res, w["competency"], w["label"])) for w in weakest))
        number = _("{label} {mean} (centre {centre})", label=md_text(_label(res, worst["competency"], worst["label"])),
                   mean=_.num(worst["mean"]), centre=_.num(worst.get("centre_mean")))
    else:
        weakest = co.get("centre_weakest") or []
        status = "amber" if weakest else "grey"
        answer = _("Centre: {names}", names=_.join(md_text(_label(res, w["competency"], w["label"])) for w in weakest))
        number = _("centre mean {mean}", mean=_.num(co.get("centre_mean_total")))
    unc = _.n("{count} agent with a personal weak spot", "{count} agents with a personal weak spot",
              int(co.get("n_agents_with_weak_spots") or 0))
    return Verdict("weak_spots", _("Where are the weak spots?"), answer, number, unc, status)


def verdicts(res: StudyResults) -> list[Verdict]:
    """The four answers of the executive report's first screen, each with a traffic light."""
    return [_reliability_verdict(res), _performance_verdict(res), _training_verdict(res), _weak_spot_verdict(res)]


def verdict_block(res: StudyResults) -> str:
    """The verdict block: one line per question — status, question, answer, key number (uncertainty).

    Written as a quotation block of four lines (a framed box in HTML and PDF) so it stays one
    screen high whatever the language, with a legend of the status symbols under it.
    """
    _ = _lang(res)
    lines = []
    for v in verdicts(res):
        light = f"[{LIGHTS[v.status]}]{{.light .{v.status}}}"
        lines.append(_("{light} **{question}** {answer} — {number} ({uncertainty})", light=light,
                       question=v.question, answer=v.answer, number=v.number, uncertainty=v.uncertainty))
    legend = " · ".join(f"[{LIGHTS[s]}]{{.light .{s}}} {_.pgettext('status', s)}" for s in ("green", "amber", "red", "grey"))
    return "> " + "\\\n> ".join(lines) + "\n>\n> " + f"[{legend}]{{.legend}}" + "\n"
