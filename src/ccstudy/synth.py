"""Seeded generator of the default study's raw data.

The default study is synthetic but calibrated so that the pipeline recovers the
published figures of the domain notes (docs/default-study.md lists them with
their sources):

* a centre of about 800 agents in 40 teams, one of them the **VIP team of 21
  agents** whose pre-training questionnaire mean is **3.91**, with the weakest
  competencies **interpersonal skills 3.32, affinity 3.53, comprehension 3.62**;
* competency scores that go with performance (positive score–KPI correlation);
* after training, the VIP team's **FCR +0.56 pp** and **staff satisfaction
  +0.88 pp** month on month, and **98 % training satisfaction** among trainees;
* a centre-level monthly series March 2016 – March 2018 for the S3 programme:
  **FCR 86.27 % → 91.83 %**, **monthly attrition 4.86 % → 2.80 %**, answer rate
  and CSAT above 99 % at the end;
* the agent- and centre-month KPIs are not written as tables: a **contact log**
  (``contacts/contacts-YYYY-MM.parquet``) is built from an agent-month plan of
  counts so that the KPIs computed from it (docs/kpi-definitions.md, 7-day
  window) are the intended ones exactly and its centre-month FCR, answer rate
  and CSAT are the S3 series (docs/default-study.md says how);
* a customer survey of 1,000 customers whose top three wishes make up
  **49.6 %** of mentions.

The training effect on questionnaire scores is generated honestly (a modest
shift for trained agents); nothing forces significance in the 21-agent pilot.
The responses contain real mess for the cleaning stage: blanks, out-of-range
entries, straight-liners, a duplicated row, partial responses, and agents who
leave before the post wave.

Everything is drawn from ``numpy.random.default_rng(seed)`` (the contact log
from its own stream, ``default_rng([seed, 11])``); files are written with fixed
formats, so the same seed gives byte-identical files.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ccstudy.io.files import write_text

log = logging.getLogger(__name__)

DEFAULT_SEED = 20160301

# (competency id, label, dimension id, [(item text, reverse)])
COMPETENCIES: list[tuple[str, str, str, list[tuple[str, int]]]] = [
    ("interpersonal_skills", "Interpersonal skills", "work_ability", [
        ("I build rapport with a caller within the first minute.", 0),
        ("I keep a difficult conversation constructive.", 0),
        ("I find it hard to connect with callers I have not spoken to before.", 1)]),
    ("affinity", "Affinity", "work_ability", [
        ("Callers tell me I am easy to talk to.", 0),
        ("I adapt my tone to the caller's mood.", 0),
        ("I show genuine warmth when I speak with customers.", 0)]),
    ("comprehension", "Comprehension", "work_ability", [
        ("I grasp what the caller needs before they finish explaining.", 0),
        ("I often have to ask callers to repeat their problem.", 1),
        ("I can restate a complicated complaint accurately.", 0)]),
    ("calming_customers", "Calming customers", "work_ability", [
        ("I calm an angry caller without escalating the call.", 0),
        ("I acknowledge a caller's feelings before solving the problem.", 0),
        ("I stay composed when a caller is rude.", 0)]),
    ("problem_solving", "Problem solving", "work_ability", [
        ("I resolve most issues without transferring the call.", 0),
        ("I find a workable solution when the standard process does not fit.", 0),
        ("I follow up until the customer's problem is actually fixed.", 0)]),
    ("business_knowledge", "Business knowledge", "professional_knowledge", [
        ("I know the rules and tariffs of our main products.", 0),
        ("I can explain a bill line by line.", 0),
        ("I am often unsure which policy applies to a case.", 1)]),
    ("marketing_knowledge", "Marketing knowledge", "professional_knowledge", [
        ("I recognise when an offer fits the caller's needs.", 0),
        ("I can describe current promotions accurately.", 0),
        ("I know how our services compare with competitors'.", 0)]),
    ("information_lookup", "Information lookup", "professional_knowledge", [
        ("I find answers in the knowledge base quickly.", 0),
        ("I know which system holds which customer information.", 0),
        ("I keep my own notes of solutions up to date.", 0)]),
    ("proactive_service", "Proactive service", "professional_quality", [
        ("I tell customers about issues before they ask.", 0),
        ("I offer help beyond the question asked.", 0),
        ("I do only what the script requires.", 1)]),
    ("company_loyalty", "Loyalty to the company", "professional_quality", [
        ("I would recommend this centre as a place to work.", 0),
        ("I speak positively about the company to customers.", 0),
        ("I intend to stay with the company for the next two years.", 0)]),
    ("responsibility", "Responsibility", "professional_quality", [
        ("I own a case until it is closed.", 0),
        ("I keep the commitments I make to callers.", 0),
        ("I report process problems I notice.", 0)]),
]
DIMENSION_LABELS = {
    "work_ability": "Work ability",
    "professional_knowledge": "Professional knowledge",
    "professional_quality": "Professional quality",
}

# Published VIP pre-training figures (domain notes §1).
VIP_TEAM = "VIP"
VIP_SIZE = 21
VIP_TOTAL_MEAN = 3.91
VIP_WEAK = {"interpersonal_skills": 3.32, "affinity": 3.53, "comprehension": 3.62}

AGENT_MONTHS = pd.period_range("2016-04", "2018-03", freq="M")  # 24 months
CENTRE_MONTHS = pd.period_range("2016-03", "2018-03", freq="M")  # S3 programme, 25 months
PRE_WAVE = ("2017-02-06", "2017-02-24")
POST_WAVE = ("2017-06-05", "2017-06-23")
TRAINING = ("2017-03-06", "2017-04-28")
PROGRAMME = "Empathy & soft-skills programme"
S3_START = pd.Period("2017-03", freq="M")

CUSTOMER_CATEGORIES = [  # (category, weight); the top three are the critical-to-quality traits
    ("Fast answer", 0), ("Resolved at first contact", 0), ("Proactive service", 0),
    ("Clear explanation", 9.5), ("Friendly attitude", 8.6), ("Accurate bill information", 7.4),
    ("Outage updates", 6.8), ("Call-back when promised", 5.9), ("Short hold time", 4.9),
    ("Self-service options", 4.1), ("Complaint follow-up", 3.3),
]


@dataclass(frozen=True)
class SynthResult:
    out_dir: Path
    files: dict[str, Path]        # name relative to out_dir (``contacts/contacts-2016-03.parquet``) -> path
    rows: dict[str, int]          # same names -> data rows written


def item_map() -> pd.DataFrame:
    rows = []
    n = 0
    for comp, label, dim, items in COMPETENCIES:
        for text, rev in items:
            n += 1
            rows.append({
                "item": f"Q{n:02d}", "competency": comp, "competency_label": label,
                "dimension": dim, "dimension_label": DIMENSION_LABELS[dim],
                "reverse": rev, "text": text,
                "kind": "knowledge" if dim == "professional_knowledge" else "soft_skill",
            })
    return pd.DataFrame(rows)


def _date_between(rng: np.random.Generator, lo: str, hi: str, size: int) -> pd.DatetimeIndex:
    a, b = pd.Timestamp(lo), pd.Timestamp(hi)
    days = rng.integers(0, (b - a).days + 1, size=size)
    return pd.DatetimeIndex(a + pd.to_timedelta(days, unit="D"))


def _roster(rng: np.random.Generator) -> pd.DataFrame:
    sizes = [VIP_SIZE] + list(rng.integers(18, 23, size=39))
    teams = [VIP_TEAM] + [f"T{i:02d}" for i in range(1, 40)]
    # Cluster assignment: the VIP team and 19 of the other teams are trained.
    trained_teams = {VIP_TEAM} | set(rng.choice(teams[1:], size=19, replace=False).tolist())
    rows = []
    aid = 0
    for team, size in zip(teams, sizes):
        for _ in range(int(size)):
            aid += 1
            vip = team == VIP_TEAM
            # VIP agents are experienced (hired 2009-2013); others 2010-2016.
            hire = _date_between(rng, "2009-01-01" if vip else "2010-01-01",
                                 "2013-12-31" if vip else "2016-10-31", 1)[0]
            rows.append({
                "agent_id": f"A{aid:04d}", "team": team,
                "hire_date": hire, "exit_date": pd.NaT,
                "group": "trained" if team in trained_teams else "control",
                "gender": rng.choice(["F", "M"], p=[0.68, 0.32]),
                "age_band": rng.choice(["20-24", "25-29", "30-34", "35-44"],
                                       p=[0.1, 0.35, 0.35, 0.2] if vip else [0.35, 0.35, 0.2, 0.1]),
                "education": rng.choice(["college", "bachelor", "master"], p=[0.3, 0.62, 0.08]),
                "grade": rng.choice(["senior", "intermediate"], p=[0.8, 0.2]) if vip
                else rng.choice(["senior", "intermediate", "junior"], p=[0.15, 0.45, 0.4]),
                "style": rng.choice(["approachable", "analytical", "driver", "expressive"],
                                    p=[0.6, 0.15, 0.1, 0.15] if vip else [0.3, 0.25, 0.2, 0.25]),
            })
    roster = pd.DataFrame(rows)
    # Leavers: about 14 % of non-VIP agents leave during the 24 months; a few
    # of them before the post wave (they answered only the pre wave).
    nonvip = roster.index[roster["team"] != VIP_TEAM]
    leavers = rng.choice(nonvip, size=int(round(0.14 * len(nonvip))), replace=False)
    exits = _date_between(rng, "2016-06-01", "2018-03-20", len(leavers))
    # Nobody leaves before being hired: at least two months of service.
    earliest = roster.loc[leavers, "hire_date"].to_numpy() + np.timedelta64(60, "D")
    roster.loc[leavers, "exit_date"] = np.maximum(exits.to_numpy(), earliest)
    # A few new hires after the pre wave (no pre answers; excluded from pre/post).
    late = rng.choice(np.setdiff1d(nonvip, leavers), size=12, replace=False)
    roster.loc[late, "hire_date"] = _date_between(rng, "2017-03-01", "2017-05-15", len(late))
    return roster


def _keyed_scores(rng, roster, items, comp_index):
    """Latent model → keyed 1-5 answers for the pre and post waves."""
    n, k = len(roster), len(items)
    n_comp = len(COMPETENCIES)
    g = rng.normal(size=n)
    specific = rng.normal(size=(n, n_comp))
    theta = 0.55 * g[:, None] + 0.835 * specific            # agent × competency, unit variance
    team_codes, team_names = pd.factorize(roster["team"])
    team_eff = rng.normal(scale=0.15, size=(len(team_names), n_comp))
    base = np.array([3.55, 3.70, 3.75, 3.80, 3.85, 3.95, 3.90, 4.00, 3.85, 3.60, 4.05])
    mu = base[None, :] + team_eff[team_codes]
    # Item loadings and noise: company loyalty is the loosest scale (alpha ~ 0.6).
    lam = np.full(k, 0.62)
    sig = np.full(k, 0.52)
    loyal = comp_index == [c[0] for c in COMPETENCIES].index("company_loyalty")
    lam[loyal], sig[loyal] = 0.52, 0.70
    item_shift = rng.normal(scale=0.08, size=k)

    def answers(theta_w, shift):
        latent = (mu[:, comp_index] + shift[:, comp_index] + item_shift[None, :]
                  + lam[None, :] * theta_w[:, comp_index] + sig[None, :] * rng.normal(size=(n, k)))
        return np.clip(np.rint(latent), 1, 5)

    pre = answers(theta, np.zeros((n, n_comp)))
    # Post wave: test-retest r ~ 0.8 plus the training gain for trained agents.
    theta_post = 0.8 * theta + 0.6 * rng.normal(size=(n, n_comp))
    dims = np.array([c[2] for c in COMPETENCIES])
    gain_trained = np.where(dims == "work_ability", 0.28, np.where(dims == "professional_knowledge", 0.10, 0.05))
    trained = (roster["group"] == "trained").to_numpy()
    shift = np.where(trained[:, None], gain_trained[None, :], 0.02)
    post = answers(theta_post, shift)
    return pre, post, g, theta


def _calibrate_vip(rng, pre, vip_rows, comp_index):
    """Nudge VIP pre answers (±1) until competency means hit the published figures."""
    comps = [c[0] for c in COMPETENCIES]
    n_comp = len(comps)
    block = pre[vip_rows]
    targets = {}
    weak_sum = sum(VIP_WEAK.values())
    other_mean = (VIP_TOTAL_MEAN * n_comp - weak_sum) / (n_comp - len(VIP_WEAK))
    # Spread the remaining competencies around their average, keeping the order of the latent model.
    spread = np.array([0.10, -0.06, 0.04, -0.10, 0.02, 0.07, -0.04, -0.03])
    others = [c for c in comps if c not in VIP_WEAK]
    for c, s in zip(others, spread - spread.mean()):
        targets[c] = other_mean + s
    targets.update(VIP_WEAK)
    for ci, comp in enumerate(comps):
        cols = np.flatnonzero(comp_index == ci)
        cells = block[:, cols]
        # The team mean is the mean of the agents' competency means, as the pipeline computes
        # it; it must round to the published figure at two decimals.  Three answers per agent
        # give a granularity of 1/63; when no sum rounds right, one agent leaves an item blank
        # (a realistic skip) and the granularity becomes finer.
        for it in range(2000):
            team_mean = float(np.mean(np.nanmean(cells, axis=1)))
            diff = targets[comp] - team_mean
            if abs(diff) < 0.0045:
                break
            if it and it % 300 == 0:
                r, c = rng.integers(cells.shape[0]), rng.integers(cells.shape[1])
                if np.isfinite(cells[r]).sum() == cells.shape[1]:
                    cells[r, c] = np.nan
                continue
            step = 1 if diff > 0 else -1
            ok = np.argwhere((cells < 5) if step > 0 else (cells > 1))
            pick = ok[rng.integers(len(ok))]
            cells[pick[0], pick[1]] += step
        block[:, cols] = cells
    pre[vip_rows] = block
    return pre


def _responses(rng, roster, items):
    comp_ids = [c[0] for c in COMPETENCIES]
    comp_index = np.array([comp_ids.index(c) for c in items["competency"]])
    pre, post, g, theta = _keyed_scores(rng, roster, items, comp_index)
    vip_rows = np.flatnonzero((roster["team"] == VIP_TEAM).to_numpy())
    pre = _calibrate_vip(rng, pre, vip_rows, comp_index)
    rev = items["reverse"].to_numpy().astype(bool)
    lo, hi = 1, 5
    raw_pre, raw_post = pre.copy(), post.copy()
    raw_pre[:, rev] = lo + hi - raw_pre[:, rev]
    raw_post[:, rev] = lo + hi - raw_post[:, rev]

    pre_start = pd.Timestamp(PRE_WAVE[0])
    hired_before_pre = (roster["hire_date"] < pre_start).to_numpy()
    exit_ = roster["exit_date"]
    in_post = (hired_before_pre & (exit_.isna() | (exit_ > pd.Timestamp(POST_WAVE[1])))).to_numpy()
    in_pre = (hired_before_pre & (exit_.isna() | (exit_ > pd.Timestamp(PRE_WAVE[1])))).to_numpy()
    # Agents who leave between the waves answered the pre wave only; that is the realistic
    # "left before the post wave" case that cleaning must handle.
    frames = []
    for wave, data, mask, (d0, d1) in (("pre", raw_pre, in_pre, PRE_WAVE), ("post", raw_post, in_post, POST_WAVE)):
        idx = np.flatnonzero(mask)
        df = pd.DataFrame(data[idx].astype("float64"), columns=items["item"].tolist())
        df.insert(0, "submitted", _date_between(rng, d0, d1, len(idx)))
        df.insert(0, "wave", wave)
        df.insert(0, "agent_id", roster["agent_id"].to_numpy()[idx])
        frames.append(df)
    resp = pd.concat(frames, ignore_index=True)

    # ---- mess, outside the VIP team (whose figures are the published ones) ----
    item_cols = items["item"].tolist()
    nonvip = np.flatnonzero(~resp["agent_id"].isin(roster.loc[roster["team"] == VIP_TEAM, "agent_id"]).to_numpy())
    values = resp[item_cols].to_numpy(dtype="float64", copy=True)
    # blanks: ~0.6 % of answers
    blank = rng.random(values.shape) < 0.006
    blank[np.setdiff1d(np.arange(len(resp)), nonvip)] = False
    values[blank] = np.nan
    # out-of-range entries (typos: 0, 6, 9, 55)
    for v in (0, 6, 9, 55, 6, 0, 9, 6, 7, 0, 6, 44):
        r, c = rng.choice(nonvip), rng.integers(len(item_cols))
        values[r, c] = v
    # straight-liners: five agents answer the same number to every item
    sl = rng.choice(nonvip, size=5, replace=False)
    for r, v in zip(sl, (5, 5, 4, 3, 5)):
        values[r, :] = v
    # partial responses: three agents answered only the first few items
    part = rng.choice(np.setdiff1d(nonvip, sl), size=3, replace=False)
    for r, upto in zip(part, (9, 14, 20)):
        values[r, upto:] = np.nan
    resp[item_cols] = values
    # one exact duplicate (the export listed a submission twice)
    dup = resp.iloc[[int(rng.choice(np.setdiff1d(nonvip, np.concatenate([sl, part]))))]]
    resp = pd.concat([resp, dup], ignore_index=True)
    order = rng.permutation(len(resp))  # exports are not sorted
    resp = resp.iloc[order].reset_index(drop=True)
    return resp, pre, g, theta


# --------------------------------------------------------------------------- KPIs from a contact log
#
# The default study's agent- and centre-month KPIs are not written as tables: the generator writes a
# contact log (data/raw/default/contacts/contacts-YYYY-MM.parquet) built so that the KPIs computed
# from it by docs/kpi-definitions.md equal the intended ones up to count granularity.  The intended
# agent-month KPIs are drawn from the latent competencies (as a pre-aggregated table would be) and
# follow the centre's monthly path (the S3 series), so the centre-month KPIs of the same log are the
# published series.  Only what a contact log cannot hold stays in small files: the QA score
# (agent_kpis.csv) and the HR series (centre_kpis.csv: headcount, leavers, attrition).

REPEAT_WINDOW_SEC = 7 * 86400       # the FCR window of params/default.yaml (kpi.repeat_window_sec)
QUEUES = ("billing", "technical", "sales", "complaints")
QUEUE_P = (0.45, 0.30, 0.15, 0.10)
WEEKDAY = (1.18, 1.08, 1.02, 1.00, 0.97, 0.62, 0.45)  # Monday .. Sunday arrivals
CONTACT_SCHEMA = [  # (column, Arrow type): integer seconds, dictionary-encoded text
    ("contact_id", "int64"), ("customer_id", "int64"), ("agent_id", "string"), ("queue", "string"),
    ("channel", "string"), ("offered_at", "timestamp[s]"), ("answered_at", "timestamp[s]"),
    ("ended_at", "timestamp[s]"), ("talk_sec", "int32"), ("hold_sec", "int32"), ("acw_sec", "int32"),
    ("abandoned", "bool"), ("transferred", "bool"), ("csat", "int8"),
]


def _apportion(x: np.ndarray, groups: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Integers close to *x* whose sum per group is ``totals[group]`` (largest remainder).

    ``x`` must already sum to the group totals (up to float error); each result is
    ``floor(x)`` or ``floor(x) + 1``.
    """
    fl = np.floor(x + 1e-9)
    frac = x - fl
    deficit = totals - np.bincount(groups, weights=fl, minlength=len(totals))
    deficit = np.rint(deficit).astype(np.int64)
    # rank within group by descending remainder (ties: position), then +1 for the first `deficit`
    order = np.lexsort((np.arange(len(x)), -frac, groups))
    starts = np.searchsorted(groups[order], np.arange(len(totals)))
    rank = np.empty(len(x), dtype=np.int64)
    rank[order] = np.arange(len(x)) - starts[groups[order]]
    out = fl.astype(np.int64) + (rank < deficit[groups])
    if (deficit < 0).any() or (np.bincount(groups, weights=out, minlength=len(totals)) != totals).any():
        raise RuntimeError("apportionment failed")  # pragma: no cover - a guard, not a path
    return out


def _counts_for_rate(rate: np.ndarray, n: np.ndarray, total: int) -> np.ndarray:
    """Per-row counts in [0, n] near ``rate * n`` that sum to *total*.

    All rates are shifted by one constant (found by bisection, rates clipped to
    [0, 1]) so that they add up to *total*, then rounded by largest remainder.
    """
    lo, hi = -1.0, 1.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if (np.clip(rate + mid, 0, 1) * n).sum() < total:
            lo = mid
        else:
            hi = mid
    x = np.clip(rate + hi, 0, 1) * n
    x = x * (total / x.sum()) if x.sum() > 0 else x
    x = np.minimum(x, n)
    return _apportion(x, np.zeros(len(x), dtype=np.int64), np.array([total]))


def _match_count(target_pct: float, base: int) -> int | None:
    """A count c with round(c / base * 100, 2) == target (None when the base has none)."""
    c = int(round(target_pct / 100 * base))
    for cand in (c, c - 1, c + 1):
        if 0 <= cand <= base and round(cand / base * 100, 2) == round(target_pct, 2):
            return cand
    return None


def _centre_path(rng) -> pd.DataFrame:
    """The S3 programme's centre-level monthly series (March 2016 – March 2018), in percent.

    FCR, answer rate and CSAT are the targets the contact log is built to give;
    headcount, leavers and attrition are the HR series of ``centre_kpis.csv``.
    """
    n = len(CENTRE_MONTHS)
    t = np.arange(n)
    post = (CENTRE_MONTHS >= S3_START).astype(float)
    since = np.where(post > 0, t - t[CENTRE_MONTHS == S3_START][0], 0)
    fcr = 86.27 + 0.09 * t + 1.55 * post + 0.17 * since + rng.normal(scale=0.22, size=n)
    attr = 4.86 - 0.025 * t - 0.55 * post - 0.045 * since + rng.normal(scale=0.12, size=n)
    ans = 97.6 + 0.03 * t + 0.55 * post + 0.04 * since + rng.normal(scale=0.10, size=n)
    csat = 98.1 + 0.02 * t + 0.45 * post + 0.035 * since + rng.normal(scale=0.10, size=n)
    fcr[0], fcr[-1] = 86.27, 91.83
    attr[0], attr[-1] = 4.86, 2.80
    ans[-1], csat[-1] = max(ans[-1], 99.31), max(csat[-1], 99.24)
    rows = []
    headcount = 4120.0
    for i, month in enumerate(CENTRE_MONTHS):
        leavers, hc = _match_rate(round(attr[i], 2), int(headcount), rng)
        rows.append({"month": str(month), "fcr": round(fcr[i], 2), "answer_rate": round(min(ans[i], 99.95), 2),
                     "csat": round(min(csat[i], 99.9), 2), "headcount": hc, "leavers": leavers,
                     "attrition": round(leavers / hc * 100, 2)})
        headcount = hc + rng.normal(scale=15)
    return pd.DataFrame(rows)


def _agent_plan(rng, roster, g, theta, centre: pd.DataFrame) -> pd.DataFrame:
    """Agent-month plan: answered contacts and the counts that give each KPI.

    Columns: ``agent_id, month, answered, ring_abandons, resolved, csat_top,
    handle_sec, qa_score``.  The intended KPIs are drawn from the latent model
    (performance drives FCR, CSAT, AHT and QA; knowledge drives AHT); their
    levels follow the centre path, and the counts are apportioned so that the
    pooled (centre) FCR and CSAT of every month round to the published series,
    exactly so at the first and last month, and the VIP team's contact-weighted
    FCR rises 0.56 pp from 2017-02 to 2017-05.
    """
    comps = [c[0] for c in COMPETENCIES]
    know = [comps.index(c) for c in ("business_knowledge", "marketing_knowledge", "information_lookup")]
    work = [comps.index(c) for c in ("interpersonal_skills", "affinity", "comprehension",
                                      "calming_customers", "problem_solving")]
    perf = 0.22 * g + 0.18 * theta[:, work].mean(1) + 0.95 * rng.normal(size=len(g))
    perf = (perf - perf.mean()) / perf.std()
    knowledge = 0.35 * theta[:, know].mean(1) + rng.normal(size=len(g))
    knowledge = (knowledge - knowledge.mean()) / knowledge.std()
    team_codes, team_names = pd.factorize(roster["team"])
    team_fcr = rng.normal(scale=0.012, size=len(team_names))
    vip = (roster["team"] == VIP_TEAM).to_numpy()
    trained = (roster["group"] == "trained").to_numpy()
    post_training = pd.Period("2017-05", freq="M")
    hire = roster["hire_date"].dt.to_period("M")
    exit_ = roster["exit_date"].dt.to_period("M")
    ids = roster["agent_id"].to_numpy()
    cpath = centre.set_index("month")
    rows = []
    vip_before = None
    for t, month in enumerate(CENTRE_MONTHS):
        after = month >= post_training
        employed = (hire <= month) & (exit_.isna() | (exit_ >= month))
        idx = np.flatnonzero(employed.to_numpy())
        partial = ((hire.iloc[idx] == month) | (exit_.iloc[idx] == month)).to_numpy()
        v = vip[idx]
        # Contacts handled: a scaled-down volume (the log stays small); VIP agents take longer calls.
        full = np.maximum(31, rng.poisson(np.where(v, 38, 48)))
        n = np.where(partial, rng.integers(3, 40, size=len(idx)), full)
        fcr = (0.016 * perf[idx] + team_fcr[team_codes[idx]] + np.where(v, 0.045, 0.0)
               + np.where(trained[idx] & after, 0.006, 0.0) + rng.normal(scale=0.018, size=len(idx)))
        csat = (0.005 * perf[idx] + np.where(trained[idx] & after, 0.002, 0.0)
                + rng.normal(scale=0.006, size=len(idx)))
        ring = 0.002 - 0.001 * perf[idx] + np.abs(rng.normal(scale=0.002, size=len(idx)))
        aht = 415 - 18 * knowledge[idx] - 6 * perf[idx] + np.where(v, 95, 0) + rng.normal(scale=22, size=len(idx))
        qa = 81 + 4.0 * perf[idx] + rng.normal(scale=3.5, size=len(idx))
        m = str(month)
        c = cpath.loc[m]
        first_or_last = t in (0, len(CENTRE_MONTHS) - 1)
        if first_or_last:
            # The published first and last FCR (86.27 %, 91.83 %) are exact only over a multiple of
            # 10,000 eligible contacts: scale the month's full-month volumes to the nearest one.
            total = int(round(n.sum() / 10_000)) * 10_000
            # (full months keep at least 31 contacts, above cleaning.min_contacts_per_month)
            fixed = n[partial].sum()
            k = int((~partial).sum())
            excess = n[~partial] - 31
            share = 31 + excess / excess.sum() * (total - fixed - 31 * k)
            n = n.copy()
            n[~partial] = _apportion(share, np.zeros(k, dtype=np.int64), np.array([total - fixed]))
        n = n.astype(np.int64)
        N = int(n.sum())
        R = _match_count(c["fcr"], N)
        T = _match_count(c["csat"], N)
        if R is None or T is None:  # pragma: no cover - N > 10,000 always has a count
            raise RuntimeError(f"{m}: no count gives the centre rate")
        fcr_rate = fcr - np.average(fcr, weights=n) + R / N
        csat_rate = np.minimum(csat - np.average(csat, weights=n) + T / N, 1.0)
        if m == "2017-05":
            # VIP month on month after training: FCR +0.56 pp (contact-weighted team rate).
            nv = n[v].copy()
            target = vip_before + 0.0056
            for bump in range(0, 2000):
                Nv = int(nv.sum())
                Rv = int(round(target * Nv))
                if abs(Rv / Nv - target) < 0.00001 and Rv <= Nv:
                    break
                nv[bump % len(nv)] += 1
            else:  # pragma: no cover
                raise RuntimeError("no VIP count gives +0.56 pp")
            n[v] = nv
            N = int(n.sum())
            R = _match_count(c["fcr"], N)
            T = _match_count(c["csat"], N)
            resolved = np.empty(len(n), dtype=np.int64)
            resolved[v] = _counts_for_rate(fcr_rate[v] - np.average(fcr_rate[v], weights=n[v]) + Rv / Nv,
                                           n[v], Rv)
            resolved[~v] = _counts_for_rate(fcr_rate[~v], n[~v], R - Rv)
        else:
            resolved = _counts_for_rate(fcr_rate, n, R)
        if m == "2017-02":
            vip_before = resolved[v].sum() / n[v].sum()
        top = _counts_for_rate(csat_rate, n, T)
        # abandons while ringing at the agent: the intended share, rounded at random (a few per
        # hundred contacts); the centre's other abandons happen in the queue (_contact_log)
        ring_abandons = np.floor(n * np.clip(ring, 0, 0.05) + rng.random(len(n))).astype(np.int64)
        rows.append(pd.DataFrame({
            "agent_id": ids[idx], "month": m, "answered": n, "ring_abandons": ring_abandons,
            "resolved": resolved, "csat_top": top,
            "handle_sec": np.rint(np.clip(aht, 150, 900) * n).astype(np.int64),
            "qa_score": np.clip(qa, 40, 100).round(1),
        }))
    return pd.concat(rows, ignore_index=True)


def _month_days(month: pd.Period) -> pd.DatetimeIndex:
    return pd.date_range(month.start_time.normalize(), month.end_time.normalize(), freq="D")


def _intraday_weights() -> np.ndarray:
    """Relative arrivals per 15-minute bin from 08:00 to 20:00 (48 bins): morning and afternoon peaks."""
    h = 8 + (np.arange(48) + 0.5) / 4
    w = 0.25 + np.exp(-0.5 * ((h - 10.5) / 1.3) ** 2) + 0.85 * np.exp(-0.5 * ((h - 14.5) / 1.6) ** 2)
    return w / w.sum()


def _offered_seconds(rng, month: pd.Period, d0: np.ndarray, d1: np.ndarray) -> np.ndarray:
    """Epoch seconds of contacts offered between day *d0* and day *d1* (0-based, inclusive) of *month*."""
    days = _month_days(month)
    w = np.array([WEEKDAY[d.weekday()] for d in days])
    cum = np.concatenate([[0.0], np.cumsum(w)])
    u = cum[d0] + rng.random(len(d0)) * (cum[d1 + 1] - cum[d0])
    day = np.clip(np.searchsorted(cum, u, side="right") - 1, d0, d1)
    bins = rng.choice(48, size=len(d0), p=_intraday_weights())
    start = int(days[0].value // 10**9)
    return start + day * 86400 + 8 * 3600 + bins * 900 + rng.integers(0, 900, size=len(d0))


def _contact_log(rng, roster: pd.DataFrame, plan: pd.DataFrame, centre: pd.DataFrame
                 ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The contact log of *plan*: one frame per month, and the planned centre-month counts."""
    hire = roster.set_index("agent_id")["hire_date"]
    exit_ = roster.set_index("agent_id")["exit_date"]
    team = roster.set_index("agent_id")["team"]
    cpath = centre.set_index("month")
    frames = []
    centre_counts = []
    for month in CENTRE_MONTHS:
        m = str(month)
        p = plan[plan["month"] == m].reset_index(drop=True)
        ndays = len(_month_days(month))
        # Days an agent could work this month (joiners from the hire date, leavers up to the exit date).
        h = hire.reindex(p["agent_id"]).to_numpy()
        e = exit_.reindex(p["agent_id"]).to_numpy()
        d0 = np.where(pd.DatetimeIndex(h).to_period("M") == month, pd.DatetimeIndex(h).day - 1, 0)
        ed = pd.DatetimeIndex(e)
        d1 = np.where((~ed.isna()) & (ed.to_period("M") == month), ed.day - 1, ndays - 1)
        d0 = np.asarray(d0, dtype=np.int64)
        d1 = np.maximum(d0, np.asarray(d1, dtype=np.float64)).astype(np.int64)
        per = (p["answered"] + p["ring_abandons"]).to_numpy()
        agent_row = np.repeat(np.arange(len(p)), per)
        answered_rank = np.arange(len(agent_row)) - np.repeat(np.cumsum(per) - per, per)
        is_answered = answered_rank < np.repeat(p["answered"].to_numpy(), per)
        A = int(p["answered"].sum())
        O_agents = int(per.sum())
        # Contacts abandoned in the queue (no agent) give the centre's answer rate.
        target = float(cpath.loc[m, "answer_rate"])
        Q = None
        guess = int(round(A / (target / 100) - O_agents))
        for q in sorted(range(max(0, guess - 50), guess + 51), key=lambda q: abs(q - guess)):
            if round(A / (O_agents + q) * 100, 2) == round(target, 2):
                Q = q
                break
        if Q is None:  # pragma: no cover - the agents' own abandons stay below the centre's
            raise RuntimeError(f"{m}: no queue-abandon count gives the answer rate {target}")
        off = np.concatenate([_offered_seconds(rng, month, d0[agent_row], d1[agent_row]),
                              _offered_seconds(rng, month, np.zeros(Q, dtype=np.int64),
                                               np.full(Q, ndays - 1, dtype=np.int64))])
        frames.append(pd.DataFrame({
            "month": m,
            "agent_row": np.concatenate([agent_row, np.full(Q, -1)]),
            "agent_id": np.concatenate([p["agent_id"].to_numpy()[agent_row], np.full(Q, None)]),
            "answered": np.concatenate([is_answered, np.zeros(Q, dtype=bool)]),
            "offered_s": off,
        }))
        centre_counts.append({"month": m, "offered": O_agents + Q, "answered": A, "resolved": int(p["resolved"].sum()),
                              "csat_top": int(p["csat_top"].sum())})
    log_ = pd.concat(frames, ignore_index=True)
    n = len(log_)
    # The log in time order; contact ids follow it, so (offered_at, contact_id) is the row order.
    order = np.lexsort((rng.random(n), log_["offered_s"].to_numpy()))
    log_ = log_.iloc[order].reset_index(drop=True)
    off = log_["offered_s"].to_numpy()
    month_col = log_["month"].to_numpy()
    answered = log_["answered"].to_numpy()
    agent_id = log_["agent_id"].to_numpy()

    # --- FCR: which answered contacts are followed by a repeat of the same customer
    plan_key = plan["agent_id"].astype(str) + "|" + plan["month"]
    repeats = dict(zip(plan_key, (plan["answered"] - plan["resolved"]).to_numpy()))
    key = pd.Series(agent_id).astype(str) + "|" + pd.Series(month_col)
    end = off.max()
    # a repeat needs a later contact within the window: never flag the log's last day
    can_flag = answered & (off < end - 86400)
    flag = np.zeros(n, dtype=bool)
    cand = pd.DataFrame({"key": key[can_flag].to_numpy(), "pos": np.flatnonzero(can_flag),
                         "u": rng.random(int(can_flag.sum()))}).sort_values(["key", "u"], kind="stable")
    cand["rank"] = cand.groupby("key", sort=False).cumcount()
    need = cand["key"].map(repeats).fillna(0).to_numpy()
    if (cand.groupby("key")["rank"].max() + 1 < pd.Series(repeats).reindex(cand["key"].unique())).any():
        raise RuntimeError("an agent-month has too few contacts for its repeats")  # pragma: no cover
    flag[cand["pos"].to_numpy()[cand["rank"].to_numpy() < need]] = True
    # Each flagged contact gets a successor: the first contact not yet taken at or after a gap
    # (hours to days, inside the window); the successor takes over the customer id.
    nxt = np.arange(n + 1)  # union-find "next free position"

    def find(i: int) -> int:
        root = i
        while nxt[root] != root:
            root = nxt[root]
        while nxt[i] != root:
            nxt[i], i = root, nxt[i]
        return root

    flagged = np.flatnonzero(flag)
    gaps = np.clip(rng.exponential(1.3 * 86400, size=len(flagged)), 300, REPEAT_WINDOW_SEC - 3600).astype(np.int64)
    targets = np.searchsorted(off, off[flagged] + gaps, side="left")
    later = np.searchsorted(off, off[flagged], side="right")  # first contact strictly later
    successor = np.full(n, -1, dtype=np.int64)
    for p_, q0, q1 in zip(flagged.tolist(), targets.tolist(), later.tolist()):
        q = find(max(q0, q1))
        if q >= n or off[q] - off[p_] > REPEAT_WINDOW_SEC:
            q = find(q1)  # nearer: the next free contact after this one
            if q >= n or off[q] - off[p_] > REPEAT_WINDOW_SEC:  # pragma: no cover
                raise RuntimeError("no successor within the repeat window")
        successor[p_] = q
        nxt[q] = q + 1
    customer = np.arange(n, dtype=np.int64)
    for p_ in flagged.tolist():
        customer[successor[p_]] = customer[p_]
    # customer ids numbered by first appearance
    _, first_idx, inv = np.unique(customer, return_index=True, return_inverse=True)
    rank = np.empty(len(first_idx), dtype=np.int64)
    rank[np.argsort(first_idx, kind="stable")] = np.arange(len(first_idx))
    customer_id = 100_001 + rank[inv]

    # --- handling: AHT by rescaling integer seconds, CSAT by exact counts
    plan_idx = pd.Series(np.arange(len(plan)), index=plan_key)
    prow = plan_idx.reindex(key).to_numpy()
    prow = np.where(answered, prow, -1)
    ans_pos = np.flatnonzero(answered)
    g = prow[ans_pos].astype(np.int64)
    w = rng.lognormal(0.0, 0.45, size=len(ans_pos))
    wsum = np.bincount(g, weights=w, minlength=len(plan))
    handle_total = plan["handle_sec"].to_numpy()
    handle = np.zeros(n, dtype=np.int64)
    handle[ans_pos] = _apportion(w / wsum[g] * handle_total[g], g, handle_total)
    # CSAT: exactly csat_top ratings of 4-5 per agent-month (every answered contact is rated)
    u = rng.random(len(ans_pos))
    o = np.lexsort((u, g))
    starts = np.searchsorted(g[o], np.arange(len(plan)))
    rk = np.empty(len(ans_pos), dtype=np.int64)
    rk[o] = np.arange(len(ans_pos)) - starts[g[o]]
    is_top = rk < plan["csat_top"].to_numpy()[g]
    score = np.where(is_top, rng.choice([5, 4], size=len(ans_pos), p=[0.72, 0.28]),
                     rng.choice([3, 2, 1], size=len(ans_pos), p=[0.55, 0.25, 0.20]))
    csat = np.full(n, -1, dtype=np.int64)
    csat[ans_pos] = score
    hold = np.where(rng.random(n) < 0.3, np.rint(handle * rng.uniform(0.05, 0.2, size=n)), 0).astype(np.int64)
    acw = np.rint(handle * rng.uniform(0.10, 0.25, size=n)).astype(np.int64)
    talk = handle - hold - acw
    # waits: answered within seconds, abandons after some patience (a few short abandons)
    wait = np.where(answered, rng.exponential(11.0, size=n), 1 + rng.exponential(40.0, size=n)).astype(np.int64)
    queue = np.array(QUEUES)[rng.choice(len(QUEUES), size=n, p=QUEUE_P)]
    agent_team = team.reindex(agent_id).to_numpy()
    queue = np.where(agent_team == VIP_TEAM, "vip", queue)
    transferred = answered & (rng.random(n) < 0.05)
    answered_at = np.where(answered, off + wait, -1)
    ended_at = np.where(answered, off + wait + talk + hold, off + wait)
    out = pd.DataFrame({
        "contact_id": np.arange(1, n + 1, dtype=np.int64) + 10_000_000,
        "customer_id": customer_id, "agent_id": agent_id, "queue": queue, "channel": "voice",
        "offered_at": off, "answered_at": answered_at, "ended_at": ended_at,
        "talk_sec": np.where(answered, talk, 0), "hold_sec": np.where(answered, hold, 0),
        "acw_sec": np.where(answered, acw, 0), "abandoned": ~answered, "transferred": transferred,
        "csat": csat, "month": month_col,
    })
    by_month = {m: f.drop(columns="month").reset_index(drop=True) for m, f in out.groupby("month", sort=True)}
    return by_month, pd.DataFrame(centre_counts)


def _agent_kpis(plan: pd.DataFrame) -> pd.DataFrame:
    """``agent_kpis.csv``: the QA score per agent-month (QA evaluations are not in the contact log)."""
    return plan[["agent_id", "month", "qa_score"]].reset_index(drop=True)


def _centre_kpis(centre: pd.DataFrame) -> pd.DataFrame:
    """``centre_kpis.csv``: the HR series (headcount, leavers, attrition); the rest comes from the log."""
    return centre[["month", "headcount", "leavers", "attrition"]].reset_index(drop=True)


def _match_rate(target_pct: float, around: int, rng) -> tuple[int, int]:
    """Find (count, base) near *around* with round(count/base*100, 2) == target."""
    for delta in range(0, 400):
        for base in (around + delta, around - delta):
            count = int(round(target_pct / 100 * base))
            if round(count / base * 100, 2) == round(target_pct, 2):
                return count, base
    raise RuntimeError("no integer pair found")  # pragma: no cover


def _training(rng, roster) -> pd.DataFrame:
    trainees = roster[(roster["group"] == "trained")
                      & (roster["hire_date"] < pd.Timestamp(TRAINING[0]))
                      & (roster["exit_date"].isna() | (roster["exit_date"] > pd.Timestamp(TRAINING[1])))]
    n = len(trainees)
    sat = rng.choice([4, 5], size=n, p=[0.45, 0.55])
    # 98 % rate the programme 4 or 5: the rest gave 2 or 3.
    n_unsat = int(round(0.02 * n))
    unsat = rng.choice(n, size=n_unsat, replace=False)
    sat[unsat] = rng.choice([2, 3], size=n_unsat)
    start = _date_between(rng, TRAINING[0], "2017-03-17", n)
    return pd.DataFrame({
        "agent_id": trainees["agent_id"].to_numpy(),
        "programme": PROGRAMME,
        "start_date": start,
        "end_date": start + pd.Timedelta(days=42),
        "attended_share": np.clip(rng.normal(0.93, 0.06, size=n), 0.5, 1.0).round(2),
        "satisfaction": sat,
    })


def _staff_survey(rng, roster) -> pd.DataFrame:
    teams = roster.groupby("team").size()
    rows = []
    for team, size in teams.items():
        level = rng.normal(82, 3)
        for month in AGENT_MONTHS:
            resp = int(max(5, size - rng.integers(0, 4)))
            rows.append({"team": team, "month": str(month), "respondents": resp,
                         "satisfaction": round(level + rng.normal(scale=0.9), 2)})
    df = pd.DataFrame(rows)
    vip = df["team"] == VIP_TEAM
    before = df.loc[vip & (df["month"] == "2017-02"), "satisfaction"].iloc[0]
    df.loc[vip & (df["month"] == "2017-05"), "satisfaction"] = round(before + 0.88, 2)
    return df


def _customer_survey(rng) -> pd.DataFrame:
    """1,000 customers; mentions per category with the top three at 49.6 %."""
    total = 2500
    top = int(round(0.496 * total))                      # 1240 mentions for the top three
    top_counts = [455, 418, top - 455 - 418]
    rest_w = np.array([w for _, w in CUSTOMER_CATEGORIES[3:]])
    rest = np.floor(rest_w / rest_w.sum() * (total - top)).astype(int)
    rest[0] += (total - top) - rest.sum()
    counts = top_counts + rest.tolist()
    cats = [c for c, _ in CUSTOMER_CATEGORIES]
    mentions = np.repeat(cats, counts)
    respondents = np.concatenate([np.arange(1, 1001), rng.integers(1, 1001, size=total - 1000)])
    df = pd.DataFrame({"respondent_id": [f"C{r:04d}" for r in respondents], "category": mentions})
    return df.iloc[rng.permutation(len(df))].reset_index(drop=True)


def _csv(frame: pd.DataFrame) -> str:
    buf = io.StringIO()
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    out.to_csv(buf, index=False, lineterminator="\n", float_format="%.10g")
    return buf.getvalue()


def _core(seed: int):
    rng = np.random.default_rng(seed)
    items = item_map()
    roster = _roster(rng)
    responses, _pre_keyed, g, theta = _responses(rng, roster, items)
    centre = _centre_path(rng)
    plan = _agent_plan(rng, roster, g, theta, centre)
    return rng, items, roster, responses, centre, plan


def agent_month_plan(seed: int = DEFAULT_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The counts the contact log of *seed* is built to give, without building it.

    Returns the agent-month plan (``agent_id, month, answered, ring_abandons,
    resolved, csat_top, handle_sec, qa_score``) and the centre path (``month,
    fcr, answer_rate, csat`` in percent, then the HR series).  The KPIs computed
    from the log by docs/kpi-definitions.md (7-day window) are these counts
    exactly: a test recomputes them with an independent implementation.
    """
    _, _, _, _, centre, plan = _core(seed)
    return plan, centre


def preaggregated_agent_kpis(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The default study's agent-month KPIs as one pre-aggregated ``agent_kpis`` table.

    ``agent_id, month, contacts, fcr, csat, answer_rate, aht_sec, qa_score``: the
    values the contact log gives (computed from the plan's counts, so without
    building the log), for a study that has agent KPIs but no contact log.
    """
    plan, _ = agent_month_plan(seed)
    n = plan["answered"].astype("float64")
    return pd.DataFrame({
        "agent_id": plan["agent_id"], "month": plan["month"], "contacts": plan["answered"],
        "fcr": plan["resolved"] / n, "csat": plan["csat_top"] / n,
        "answer_rate": n / (n + plan["ring_abandons"]), "aht_sec": plan["handle_sec"] / n,
        "qa_score": plan["qa_score"],
    })


def generate(seed: int = DEFAULT_SEED, *, contacts: bool = False) -> dict[str, pd.DataFrame]:
    """Generate every raw table of the default study in memory.

    With *contacts*, the contact log is added as ``contacts`` (a dict month ->
    frame in :data:`CONTACT_SCHEMA` order, answered_at -1 and csat -1 = blank)
    with ``contacts_centre`` (the planned centre-month counts).
    """
    rng, items, roster, responses, centre, plan = _core(seed)
    item_cols = items["item"].tolist()
    # Integers print as integers; blanks stay blank.
    responses[item_cols] = responses[item_cols].astype("Int64")
    out = {
        "items": items,
        "responses": responses,
        "roster": roster,
        "agent_kpis": _agent_kpis(plan),
        "centre_kpis": _centre_kpis(centre),
        "training": _training(rng, roster),
        "staff_survey": _staff_survey(rng, roster),
        "customer_survey": _customer_survey(rng),
    }
    if contacts:
        # its own stream: the log's draws never shift the other tables
        log_, counts = _contact_log(np.random.default_rng([seed, 11]), roster, plan, centre)
        out["contacts"] = log_  # type: ignore[assignment]
        out["contacts_centre"] = counts
    return out


def _contacts_table(frame: pd.DataFrame):
    """One month of the log as an Arrow table (integer seconds, dictionary-encoded text)."""
    import pyarrow as pa

    def ts(col):
        v = frame[col].to_numpy()
        return pa.array(v, type=pa.int64(), mask=v < 0).cast(pa.timestamp("s"))

    agent = frame["agent_id"].to_numpy(dtype=object)
    cs = frame["csat"].to_numpy()
    arrays = {
        "contact_id": pa.array(frame["contact_id"].to_numpy(), pa.int64()),
        "customer_id": pa.array(frame["customer_id"].to_numpy(), pa.int64()),
        "agent_id": pa.array(agent, pa.string(), from_pandas=True).dictionary_encode(),
        "queue": pa.array(frame["queue"].to_numpy(dtype=object), pa.string()).dictionary_encode(),
        "channel": pa.array(frame["channel"].to_numpy(dtype=object), pa.string()).dictionary_encode(),
        "offered_at": ts("offered_at"), "answered_at": ts("answered_at"), "ended_at": ts("ended_at"),
        "talk_sec": pa.array(frame["talk_sec"].to_numpy(), pa.int32()),
        "hold_sec": pa.array(frame["hold_sec"].to_numpy(), pa.int32()),
        "acw_sec": pa.array(frame["acw_sec"].to_numpy(), pa.int32()),
        "abandoned": pa.array(frame["abandoned"].to_numpy(), pa.bool_()),
        "transferred": pa.array(frame["transferred"].to_numpy(), pa.bool_()),
        "csat": pa.array(cs, pa.int8(), mask=cs < 0),
    }
    return pa.table(arrays)


def write_contact_log(out_dir: str | Path, months: dict[str, pd.DataFrame]) -> list[Path]:
    """Write the log one Parquet file per month (``contacts-YYYY-MM.parquet``), zstd, deterministic bytes."""
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("contacts-*.parquet"):
        if old.stem.removeprefix("contacts-") not in months:
            old.unlink()
    paths = []
    for m, frame in sorted(months.items()):
        path = out_dir / f"contacts-{m}.parquet"
        tmp = path.with_name(path.name + ".tmp")
        pq.write_table(_contacts_table(frame), tmp, compression="zstd", compression_level=19,
                       use_dictionary=["agent_id", "queue", "channel"],
                       column_encoding={"contact_id": "DELTA_BINARY_PACKED", "customer_id": "DELTA_BINARY_PACKED",
                                        "offered_at": "DELTA_BINARY_PACKED", "answered_at": "DELTA_BINARY_PACKED",
                                        "ended_at": "DELTA_BINARY_PACKED"},
                       write_statistics=False, store_schema=False, row_group_size=1 << 20)
        tmp.replace(path)
        paths.append(path)
    return paths


def write(out_dir: str | Path, seed: int = DEFAULT_SEED) -> SynthResult:
    """Generate the default study and write its CSV files and contact log into *out_dir*."""
    out_dir = Path(out_dir)
    tables = generate(seed, contacts=True)
    files: dict[str, Path] = {}
    rows: dict[str, int] = {}
    months = tables.pop("contacts")
    tables.pop("contacts_centre")
    for name, frame in tables.items():
        path = out_dir / f"{name}.csv"
        write_text(path, _csv(frame))
        files[path.name], rows[path.name] = path, len(frame)
        log.info("wrote %s (%d rows)", path, len(frame))
    for path in write_contact_log(out_dir / "contacts", months):  # type: ignore[arg-type]
        key = f"contacts/{path.name}"
        files[key], rows[key] = path, len(months[path.stem.removeprefix("contacts-")])  # type: ignore[index]
    log.info("wrote %s (%d contacts)", out_dir / "contacts", sum(len(f) for f in months.values()))
    return SynthResult(out_dir=out_dir, files=files, rows=rows)
