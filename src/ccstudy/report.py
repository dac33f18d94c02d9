"""The reporting layer: wording and rounding of results-bundle numbers.

Reports (``reports/*.qmd``) call these helpers; they never compute a
statistic.  Every number shown comes from ``data/processed/<study>/results``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ccstudy import i18n
from ccstudy.io import files
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


def md_table(frame: pd.DataFrame, digits: int = 2) -> str:
    """A pipe table (Pandoc markdown) for display.

    Floats are rounded to *digits*; p-value columns (``p``, ``p_adj``,
    ``*_p``) are shown as ``<.001`` / ``.034``; underscores in headers become
    spaces so that long headers can wrap.
    """
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(c.replace("_", " ") for c in cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in frame.iterrows():
        cells = []
        for col, v in zip(cols, row.tolist()):
            if isinstance(v, float) and _P_COLUMN.search(col):
                cells.append(p_value(v).replace("p = ", "").replace("p ", ""))
            elif isinstance(v, float):
                cells.append(num(v, digits))
            else:
                cells.append("" if v is None else str(v).replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def strength(r: float) -> str:
    a = abs(r)
    return "weak" if a < 0.3 else ("moderate" if a < 0.5 else "strong")


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
        return self.bundle.csv(name)

    def has(self, kind: str, name: str) -> bool:
        """Whether the bundle holds figure or table *name* (optional inputs give optional results)."""
        rel = f"figures/{name}.png" if kind == "figure" else f"tables/{name}.csv"
        return self.bundle.path(rel).is_file()


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


# --------------------------------------------------------------------------- headline answers
def headlines(res: StudyResults) -> dict[str, str]:
    """The four questions answered in one or two sentences each, with numbers."""
    conf = res.params.get("confidence", 0.95)
    rel = res.reliability["summary"]
    val = res.validity["summary"]
    tr = res.training
    co = res.coaching
    out: dict[str, str] = {}

    out["reliable"] = (
        f"**Yes.** The {rel['total_k']}-item questionnaire has Cronbach's alpha "
        f"**{num(rel['total_alpha'])}** ({ci(rel['total_ci_low'], rel['total_ci_high'], level=conf)}, "
        f"n = {rel['total_n']}), which is {reliability_verdict(rel['total_alpha'])}. "
        f"Across the {rel['n_competencies']} three-item competency scales alpha ranges from "
        f"{num(rel['competency_alpha_min'])} ({rel['competency_alpha_min_scale']}) to "
        f"{num(rel['competency_alpha_max'])}."
        if rel["total_alpha"] >= 0.7 else
        f"**Not yet.** The total scale's alpha is {num(rel['total_alpha'])} "
        f"({ci(rel['total_ci_low'], rel['total_ci_high'], level=conf)}), below the usual 0.70."
    )

    fcr = val["total"].get("fcr")
    if fcr:
        sig = fcr["p_adj"] < 1 - conf
        out["performance"] = (
            f"**{'Yes' if sig and fcr['r'] > 0 else 'Not clearly'}.** Agents' total competency score correlates "
            f"with their first-contact resolution at r = **{num(fcr['r'])}** "
            f"({ci(fcr['ci_low'], fcr['ci_high'], level=conf)}, {p_value(fcr['p_adj'])} after "
            f"{val['adjust'].upper() if val['adjust'] == 'bh' else val['adjust'].capitalize()} adjustment, "
            f"n = {fcr['n']}), a {strength(fcr['r'])} positive association; "
            f"{val['n_significant_adj']} of {val['n_pairs']} score–KPI pairs are significant after adjustment."
        )
        foc = (val.get("focus") or {}).get("fcr")
        if foc:
            out["performance"] += (f" In team {val['focus_team']} (n = {foc['n']}) the correlation is "
                                   f"r = {num(foc['r'])} ({p_value(foc['p'])}).")

    anc = tr["ancova"]
    mom = tr["focus_month_on_month"]
    sat = tr.get("training_satisfaction") or {}
    trained = tr["total"].get("trained", {})
    sens = (tr.get("sensitivity") or {}).get("focus_team_fcr")
    fcr_test = mom.get("fcr_test", {})
    did = tr.get("did_fcr") or {}
    if anc:
        worked = anc["p"] < 1 - conf and anc["b"] > 0
        on_job = did.get("estimate") is not None and did["p"] < 1 - conf and did["estimate"] > 0
        verdict = {(True, True): "Yes, on the questionnaire and on the job", (True, False): "Yes, on the questionnaire",
                   (False, True): "On the job, not on the questionnaire", (False, False): "Not demonstrably"}
        text = (
            f"**{verdict[(worked, on_job)]}.** Against the untrained control group, "
            f"trained agents' post-training total score is **{num(anc['b'], 2)}** points higher after adjusting for "
            f"their pre-training score (ANCOVA, {ci(anc['ci_low'], anc['ci_high'], level=conf)}, {p_value(anc['p'])}, "
            f"n = {anc['n']}); within the trained group the change is {num(trained.get('mean_diff'))} points "
            f"(Cohen's d_z = {num(trained.get('cohens_dz'))})."
        )
    else:
        text = (
            f"**Not testable against a control group** (the roster has no untrained control group, so a change "
            f"cannot be told apart from what would have happened anyway). Trained agents' total score changed by "
            f"{num(trained.get('mean_diff'))} points from pre to post "
            f"({ci(trained.get('ci_low'), trained.get('ci_high'), level=conf)}, {p_value(trained.get('p'))}, "
            f"Cohen's d_z = {num(trained.get('cohens_dz'))})."
        )
    if did.get("estimate") is not None:
        sig = did["p"] < 1 - conf
        text += (
            f" On the job, trained agents' first-contact resolution changed by **{pp(did['estimate'])}** more than "
            f"the control group's after training (difference-in-differences, "
            f"{ci(did['ci_low'], did['ci_high'], level=conf)}, {p_value(did['p'])}, {did['n_clusters']} agents)"
            f"{'' if sig else ', which is not statistically significant'}."
        )
    if "fcr_change_pp" in mom:
        text += (
            f" Team {mom['team']}'s first-contact resolution went from {pct(mom['fcr_before'])} in "
            f"{mom['before_month']} to {pct(mom['fcr_after'])} in {mom['after_month']} "
            f"(**{pp(mom['fcr_change_pp'])}** month on month"
        )
        if "staff_satisfaction_change_pp" in mom:
            text += f"; staff satisfaction **{pp(mom['staff_satisfaction_change_pp'])}**"
        text += ")"
        if fcr_test:
            nonsig = fcr_test["p"] >= 1 - conf
            text += (f", a change that is {'**not statistically significant**' if nonsig else 'significant'} "
                     f"for {fcr_test['n']} agents ({p_value(fcr_test['p'])})")
            if sens and nonsig:
                text += (f": this design could only detect an effect of d_z ≥ {num(sens['min_effect'])} "
                         f"with {int(round(sens['power'] * 100))}% power")
        text += "."
    if sat:
        text += f" {pct(sat['share_satisfied'], 0)} of {sat['n_rated']} trainees rated the training satisfactory."
    out["training"] = text

    weakest = co.get("focus_weakest") or []
    if weakest:
        items = ", ".join(f"{w['label'].lower()} **{num(w['mean'])}**" for w in weakest)
        dim_labels = {w.get("dimension_label") for w in weakest}
        dims = f" — all in {dim_labels.pop().lower()}" if len(dim_labels) == 1 and None not in dim_labels else ""
        out["weak_spots"] = (
            f"Team {co['focus_team']} (n = {co['focus_n']}) scores **{num(co['focus_mean_total'])}** on average "
            f"(centre {num(co['centre_mean_total'])}); its weakest competencies are {items}{dims}. "
            f"Across the centre, {co['n_agents_with_weak_spots']} agents have at least one personal weak spot "
            f"and {co['n_mentoring_pairs']} mentoring pairs are proposed."
        )
    return out


def kpi_headline(res: StudyResults) -> str | None:
    its = (res.trends or {}).get("its")
    if not its:
        return None
    parts = []
    for k, label in (("fcr", "first-contact resolution"), ("attrition", "monthly attrition")):
        if k in its:
            e = its[k]
            parts.append(f"{label} {num(e['first'])}% → **{num(e['last'])}%** ({e['first_month']} → {e['last_month']})")
    tail = []
    for k, label in (("answer_rate", "answer rate"), ("csat", "customer satisfaction")):
        if k in its:
            tail.append(f"{label} {num(its[k]['last'])}%")
    s = "Centre KPIs: " + "; ".join(parts)
    if tail:
        s += "; at the end " + " and ".join(tail) + "."
    return s
