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
* a customer survey of 1,000 customers whose top three wishes make up
  **49.6 %** of mentions.

The training effect on questionnaire scores is generated honestly (a modest
shift for trained agents); nothing forces significance in the 21-agent pilot.
The responses contain real mess for the cleaning stage: blanks, out-of-range
entries, straight-liners, a duplicated row, partial responses, and agents who
leave before the post wave.

Everything is drawn from ``numpy.random.default_rng(seed)``; files are written
with fixed formats, so the same seed gives byte-identical files.
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
    files: dict[str, Path]


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


def _agent_kpis(rng, roster, pre_keyed, g, theta):
    """Agent-month KPIs driven by the latent competencies."""
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
    rows = []
    hire = roster["hire_date"].dt.to_period("M")
    exit_ = roster["exit_date"].dt.to_period("M")
    for t, month in enumerate(AGENT_MONTHS):
        after = month >= post_training
        employed = (hire <= month) & (exit_.isna() | (exit_ >= month))
        idx = np.flatnonzero(employed.to_numpy())
        first = (hire.iloc[idx] == month).to_numpy()
        last = (exit_.iloc[idx] == month).to_numpy()
        base_contacts = np.where(vip[idx], 260, 520)
        contacts = rng.poisson(base_contacts)
        # partial months for joiners and leavers: few contacts
        contacts = np.where(first | last, rng.integers(3, 60, size=len(idx)), contacts)
        trend = 0.0012 * t
        fcr = (0.800 + trend + 0.016 * perf[idx] + team_fcr[team_codes[idx]]
               + np.where(vip[idx], 0.045, 0.0)
               + np.where(trained[idx] & after, 0.006, 0.0)
               + rng.normal(scale=0.018, size=len(idx)))
        csat = 0.86 + 0.0008 * t + 0.018 * perf[idx] + np.where(trained[idx] & after, 0.004, 0.0) \
            + rng.normal(scale=0.02, size=len(idx))
        answer = 0.935 + 0.0006 * t + 0.006 * perf[idx] + rng.normal(scale=0.012, size=len(idx))
        aht = 415 - 18 * knowledge[idx] - 6 * perf[idx] + np.where(vip[idx], 95, 0) \
            + rng.normal(scale=22, size=len(idx))
        qa = 81 + 4.0 * perf[idx] + rng.normal(scale=3.5, size=len(idx))
        rows.append(pd.DataFrame({
            "agent_id": roster["agent_id"].to_numpy()[idx],
            "month": str(month),
            "contacts": contacts,
            "fcr": np.clip(fcr, 0.4, 0.999),
            "csat": np.clip(csat, 0.4, 0.999),
            "answer_rate": np.clip(answer, 0.7, 0.999),
            "aht_sec": np.clip(aht, 150, 900),
            "qa_score": np.clip(qa, 40, 100),
        }))
    kpis = pd.concat(rows, ignore_index=True)
    # VIP month on month after training: FCR +0.56 pp (contact-weighted team rate).
    kpis["fcr"] = kpis["fcr"].round(6)
    vip_ids = set(roster.loc[vip, "agent_id"])
    is_vip = kpis["agent_id"].isin(vip_ids)

    def team_rate(month):
        m = is_vip & (kpis["month"] == month)
        return (kpis.loc[m, "fcr"] * kpis.loc[m, "contacts"]).sum() / kpis.loc[m, "contacts"].sum(), m

    before, _ = team_rate("2017-02")
    after_rate, m_after = team_rate("2017-05")
    kpis.loc[m_after, "fcr"] = (kpis.loc[m_after, "fcr"] + (before + 0.0056 - after_rate)).round(6)
    for col, nd in (("csat", 6), ("answer_rate", 6), ("aht_sec", 1), ("qa_score", 1)):
        kpis[col] = kpis[col].round(nd)
    return kpis


def _match_rate(target_pct: float, around: int, rng) -> tuple[int, int]:
    """Find (count, base) near *around* with round(count/base*100, 2) == target."""
    for delta in range(0, 400):
        for base in (around + delta, around - delta):
            count = int(round(target_pct / 100 * base))
            if round(count / base * 100, 2) == round(target_pct, 2):
                return count, base
    raise RuntimeError("no integer pair found")  # pragma: no cover


def _centre_kpis(rng) -> pd.DataFrame:
    """The S3 programme's centre-level monthly series (March 2016 – March 2018)."""
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
        offered = int(rng.integers(1_050_000, 1_250_000))
        answered, offered = _match_rate(round(min(ans[i], 99.95), 2), offered, rng)
        rows.append({
            "month": str(month), "offered": offered, "answered": answered,
            "answer_rate": round(answered / offered * 100, 2), "fcr": round(fcr[i], 2),
            "csat": round(min(csat[i], 99.9), 2), "headcount": hc, "leavers": leavers,
            "attrition": round(leavers / hc * 100, 2),
        })
        headcount = hc + rng.normal(scale=15)
    return pd.DataFrame(rows)


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


def generate(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Generate every raw table of the default study in memory."""
    rng = np.random.default_rng(seed)
    items = item_map()
    roster = _roster(rng)
    responses, pre_keyed, g, theta = _responses(rng, roster, items)
    kpis = _agent_kpis(rng, roster, pre_keyed, g, theta)
    item_cols = items["item"].tolist()
    # Integers print as integers; blanks stay blank.
    responses[item_cols] = responses[item_cols].astype("Int64")
    return {
        "items": items,
        "responses": responses,
        "roster": roster,
        "agent_kpis": kpis,
        "centre_kpis": _centre_kpis(rng),
        "training": _training(rng, roster),
        "staff_survey": _staff_survey(rng, roster),
        "customer_survey": _customer_survey(rng),
    }


def write(out_dir: str | Path, seed: int = DEFAULT_SEED) -> SynthResult:
    """Generate the default study and write its CSV files into *out_dir*."""
    out_dir = Path(out_dir)
    tables = generate(seed)
    files = {}
    for name, frame in tables.items():
        path = out_dir / f"{name}.csv"
        write_text(path, _csv(frame))
        files[name] = path
        log.info("wrote %s (%d rows)", path, len(frame))
    return SynthResult(out_dir=out_dir, files=files)
