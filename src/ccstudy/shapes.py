"""Studies of any shape: a seeded generator of small, realistic studies.

The default study (:mod:`ccstudy.synth`) is calibrated to the published
figures of one centre.  Analysts bring other shapes: one wave or three, no
roster or KPIs, a 1–6 or 0–10 scale, competencies of one item, no dimensions,
names in Chinese with spaces.  :func:`write_study` writes a study of a given
:class:`Shape` — a params file and the raw exports — so the example studies
under ``params/examples/`` and the property-based end-to-end tests exercise
every shape the pipeline promises to run.

Answers come from a latent model: each agent has a trait per competency
(correlated within a dimension), an item answer is the rounded, clipped sum of
the item's loading times the trait and noise, so reliability and validity are
real properties of the data, not constants.  Trained agents gain ``effect``
SD at every wave after the first; KPIs (FCR) rise with the total trait.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

OPTIONAL_INPUTS = ("roster", "agent_kpis", "centre_kpis", "training", "customer_survey")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Shape:
    """What a generated study looks like.

    Attributes
    ----------
    study : str
        Study id (folder name).
    n_agents : int
        Agents answering the first wave.
    competencies : tuple of (name, n_items, dimension or None)
        The instrument: each competency's name, its number of items and its
        dimension (None when the instrument has no dimensions).
    scale : (int, int)
        Lowest and highest answer.
    waves : tuple of str
        Wave labels in time order (1 to 3).
    inputs : tuple of str
        Optional inputs present (subset of :data:`OPTIONAL_INPUTS`).
    control : bool
        Whether the roster splits agents into trained and control groups.
    n_teams : int
        Teams in the roster.
    team_names : tuple of str, optional
        Team names (default T01, T02...).
    item_prefix, item_suffix : str
        Item ids are ``f"{item_prefix}{n}{item_suffix}"`` (e.g. ``"A1 题目"``).
    reverse_share : float
        Share of reverse-keyed items.
    missing_share : float
        Share of blank answers.
    effect : float
        Training gain (in trait SD) per wave after the first, trained agents.
    chinese_headers : bool
        Export headers in Chinese (mapped back in params ``columns``), GBK-encoded responses.
    seed : int
    """

    study: str
    n_agents: int = 120
    competencies: tuple[tuple[str, int, str | None], ...] = (("Empathy", 3, "Soft skills"),
                                                             ("Calming", 3, "Soft skills"),
                                                             ("Product knowledge", 3, "Knowledge"))
    scale: tuple[int, int] = (1, 5)
    waves: tuple[str, ...] = ("pre", "post")
    inputs: tuple[str, ...] = OPTIONAL_INPUTS
    control: bool = True
    n_teams: int = 4
    team_names: tuple[str, ...] | None = None
    item_prefix: str = "Q"
    item_suffix: str = ""
    reverse_share: float = 0.1
    missing_share: float = 0.02
    effect: float = 0.4
    chinese_headers: bool = False
    seed: int = 1

    @property
    def teams(self) -> list[str]:
        return list(self.team_names) if self.team_names else [f"T{i + 1:02d}" for i in range(self.n_teams)]


_CN = {"agent_id": "工号", "wave": "波次", "submitted": "提交日期", "item": "题号", "competency": "能力",
       "dimension": "维度", "reverse": "反向", "text": "题目", "team": "班组", "hire_date": "入职日期",
       "exit_date": "离职日期", "group": "组别"}


def _months(start: str, n: int) -> list[str]:
    return [str(p) for p in pd.period_range(start, periods=n, freq="M")]


def generate(shape: Shape) -> dict[str, pd.DataFrame]:
    """The raw tables of a study of *shape* (canonical column names)."""
    rng = np.random.default_rng(shape.seed)
    lo, hi = shape.scale
    # ---- item map
    rows, n = [], 0
    for comp, k, dim in shape.competencies:
        for _ in range(k):
            n += 1
            rows.append({"item": f"{shape.item_prefix}{n}{shape.item_suffix}", "competency": comp, "dimension": dim,
                         "reverse": bool(rng.random() < shape.reverse_share) and n > 1,
                         "text": f"Statement {n} about {comp}"})
    items = pd.DataFrame(rows)
    if items["dimension"].isna().all():
        items = items.drop(columns="dimension")
    # ---- agents and latent traits (correlated within and across dimensions)
    agents = [f"A{i + 1:04d}" for i in range(shape.n_agents)]
    comps = [c for c, _, _ in shape.competencies]
    dims = [d for _, _, d in shape.competencies]
    g = rng.normal(size=shape.n_agents)
    dim_f = {d: rng.normal(size=shape.n_agents) for d in dict.fromkeys(dims) if d is not None}
    trait = {}
    for c, d in zip(comps, dims):
        trait[c] = 0.5 * g + (0.5 * dim_f[d] if d is not None else 0) + 0.6 * rng.normal(size=shape.n_agents)
    teams = shape.teams
    team_of = [teams[i % len(teams)] for i in range(shape.n_agents)]
    trained_teams = set(teams[: max(1, len(teams) // 2)]) if shape.control else set(teams)
    trained = np.array([t in trained_teams for t in team_of])
    loading = rng.uniform(0.6, 1.0, size=len(items))
    mid, spread = (lo + hi) / 2, (hi - lo) / 4
    resp_rows = []
    base_date = pd.Timestamp("2024-01-08")
    for w_i, wave in enumerate(shape.waves):
        gain = shape.effect * w_i * trained
        present = np.ones(shape.n_agents, dtype=bool) if w_i == 0 else rng.random(shape.n_agents) > 0.05
        for a_i, agent in enumerate(agents):
            if not present[a_i]:
                continue
            row: dict[str, Any] = {"agent_id": agent, "wave": wave,
                                   "submitted": (base_date + pd.Timedelta(days=120 * w_i + a_i % 5)).strftime("%Y-%m-%d")}
            for j, it in items.iterrows():
                t = trait[it["competency"]][a_i] + gain[a_i]
                x = mid + 0.2 * spread + spread * (loading[j] * t + 0.7 * rng.normal())
                v = int(np.clip(np.rint(x), lo, hi))
                if it["reverse"]:
                    v = lo + hi - v
                row[it["item"]] = None if rng.random() < shape.missing_share else v
            resp_rows.append(row)
    responses = pd.DataFrame(resp_rows)
    responses[items["item"].tolist()] = responses[items["item"].tolist()].astype("Int64")
    out: dict[str, pd.DataFrame] = {"items": items, "responses": responses}
    total = np.mean([trait[c] for c in comps], axis=0)
    if "roster" in shape.inputs:
        hire = [(pd.Timestamp("2018-01-01") + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d")
                for d in rng.integers(0, 1800, size=shape.n_agents)]
        leave = rng.random(shape.n_agents) < 0.08
        exit_ = [(pd.Timestamp("2024-02-01") + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d") if lv else None
                 for lv, d in zip(leave, rng.integers(0, 300, size=shape.n_agents))]
        roster = pd.DataFrame({"agent_id": agents, "team": team_of, "hire_date": hire, "exit_date": exit_})
        if shape.control:
            roster["group"] = np.where(trained, "trained", "control")
        out["roster"] = roster
    months = _months("2023-07", 18)
    if "agent_kpis" in shape.inputs:
        kr = []
        for a_i, agent in enumerate(agents):
            for m_i, m in enumerate(months):
                post = m_i >= 9
                fcr = 0.82 + 0.02 * total[a_i] + (0.01 if post and trained[a_i] else 0) + 0.02 * rng.normal()
                kr.append({"agent_id": agent, "month": m, "contacts": int(rng.integers(200, 600)),
                           "fcr": round(float(np.clip(fcr, 0, 1)), 4),
                           "csat": round(float(np.clip(0.9 + 0.01 * total[a_i] + 0.02 * rng.normal(), 0, 1)), 4),
                           "aht_sec": round(float(400 - 10 * total[a_i] + 20 * rng.normal()), 1)})
        out["agent_kpis"] = pd.DataFrame(kr)
    if "centre_kpis" in shape.inputs:
        t = np.arange(len(months))
        post = t >= 9
        fcr = 85 + 0.1 * t + 1.5 * post + 0.3 * rng.normal(size=len(t))
        out["centre_kpis"] = pd.DataFrame({"month": months, "answer_rate": np.round(97 + 0.05 * t + 0.2 * rng.normal(size=len(t)), 2),
                                           "fcr": np.round(fcr, 2),
                                           "attrition": np.round(4.5 - 0.05 * t - 0.5 * post + 0.2 * rng.normal(size=len(t)), 2)})
    if "training" in shape.inputs:
        ids = [a for a, tr in zip(agents, trained) if tr]
        out["training"] = pd.DataFrame({"agent_id": ids, "programme": "Soft skills",
                                        "start_date": "2024-03-04", "end_date": "2024-04-12",
                                        "attended_share": np.round(rng.uniform(0.6, 1, len(ids)), 2),
                                        "satisfaction": rng.choice([3, 4, 5], size=len(ids), p=[0.1, 0.4, 0.5])})
    if "customer_survey" in shape.inputs:
        cats = ["Fast answer", "Resolved first time", "Proactive service", "Friendly agent", "Clear explanation"]
        cs = [{"respondent_id": f"C{i:04d}", "category": cats[min(int(rng.exponential(1.5)), len(cats) - 1)]}
              for i in range(200)]
        out["customer_survey"] = pd.DataFrame(cs)
    return out


def params_for(shape: Shape, input_dir: str) -> dict[str, Any]:
    """The params mapping of a generated study (only what the analyst would write)."""
    p: dict[str, Any] = {"study": shape.study, "title": f"Study {shape.study}", "seed": shape.seed,
                         "scale": {"min": shape.scale[0], "max": shape.scale[1]},
                         "inputs": {"dir": input_dir, "items": {"file": "items.csv"},
                                    "responses": {"file": "responses.csv"}},
                         "waves": list(shape.waves)}
    if shape.chinese_headers:
        p["inputs"]["responses"].update(encoding="gbk", columns={k: _CN[k] for k in ("agent_id", "wave", "submitted")})
        p["inputs"]["items"]["encoding"] = "gbk"
        p["inputs"]["items"]["columns"] = {k: _CN[k] for k in ("item", "competency", "dimension", "reverse", "text")
                                          if k != "dimension" or any(d for _, _, d in shape.competencies)}
    for name in shape.inputs:
        p["inputs"][name] = {"file": f"{name}.csv"}
        if name == "agent_kpis":
            p["inputs"][name]["rate_scale"] = "fraction"
        if name == "centre_kpis":
            p["inputs"][name]["rate_scale"] = "percent"
        if name == "roster" and shape.chinese_headers:
            cols = ("agent_id", "team", "hire_date", "exit_date") + (("group",) if shape.control else ())
            p["inputs"][name].update(encoding="gbk", columns={k: _CN[k] for k in cols})
    if len(shape.waves) > 1:
        p["training"] = {"programme": "Soft skills", "start": "2024-03", "end": "2024-04"}
        if "roster" in shape.inputs:
            p["training"].update(focus_team=shape.teams[0], before_month="2024-02", after_month="2024-05")
    if "centre_kpis" in shape.inputs:
        p["trends"] = {"intervention": "2024-04"}
    if "roster" in shape.inputs:
        p["coaching"] = {"focus_team": shape.teams[0]}
        p["reports"] = {"team_briefs": [shape.teams[0]]}
    return p


def write_study(shape: Shape, root: str | Path, *, input_dir: str | None = None) -> Path:
    """Write a study of *shape* under *root*: ``params/<study>.yaml`` and the raw exports.

    Returns the params path.  The responses of a study with ``chinese_headers``
    are written in GBK with Chinese headers, as Chinese survey systems export them.
    """
    root = Path(root)
    rel = input_dir or f"data/raw/{shape.study}"
    raw = root / rel
    raw.mkdir(parents=True, exist_ok=True)
    tables = generate(shape)
    for name, frame in tables.items():
        frame = frame.copy()
        if name == "items" and "reverse" in frame:
            frame["reverse"] = frame["reverse"].map({True: "是", False: "否"} if shape.chinese_headers else {True: 1, False: 0})
        enc = "utf-8"
        if shape.chinese_headers and name in ("responses", "items", "roster"):
            frame = frame.rename(columns=_CN)
            enc = "gbk"
        frame.to_csv(raw / f"{name}.csv", index=False, encoding=enc, lineterminator="\n")
    params = params_for(shape, rel)
    (root / "params").mkdir(parents=True, exist_ok=True)
    path = root / "params" / f"{shape.study}.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


#: The example studies under ``params/examples/``: shapes other than the default study's.
EXAMPLES: dict[str, Shape] = {
    # A baseline assessment before any training, exported from a Chinese survey system: GBK,
    # Chinese headers, item ids with spaces, a 1–6 scale, 25 items on five competencies in two
    # dimensions (one dimension holding a single competency), no roster and no KPIs.
    "baseline_cn": Shape(
        study="baseline_cn", n_agents=280, scale=(1, 6), waves=("基线",), inputs=(), control=False,
        competencies=(("沟通 与 关系", 5, "工作 能力"), ("情绪 安抚", 5, "工作 能力"), ("问题 解决", 5, "工作 能力"),
                      ("业务 知识", 5, "工作 能力"), ("服务 意识", 5, "职业 素质")),
        item_prefix="A", item_suffix=" 题目", missing_share=0.04, chinese_headers=True, seed=11),
    # Before and after a programme everyone attended: no control group.
    "prepost_nocontrol": Shape(
        study="prepost_nocontrol", n_agents=150, waves=("before", "after"),
        inputs=("roster", "agent_kpis", "training"), control=False, n_teams=5, seed=12,
        competencies=(("Listening", 3, "Soft skills"), ("Empathy", 4, "Soft skills"),
                      ("Product knowledge", 3, "Knowledge"), ("Systems", 3, "Knowledge"))),
    # The closed loop: assess, train, re-assess, follow up; control teams; team names in two scripts.
    "three_waves": Shape(
        study="three_waves", n_agents=200, scale=(1, 7), waves=("T1 baseline", "T2 post", "T3 follow-up"),
        control=True, n_teams=4, team_names=("客服 一组", "客服 二组", "Team Alpha", "VIP & Co"), seed=13,
        competencies=(("Empathy", 3, "Soft skills"), ("Calming", 3, "Soft skills"),
                      ("Product knowledge", 4, "Knowledge"), ("Policies", 3, "Knowledge"))),
    # An instrument without dimensions on a 0–10 scale, with a one-item competency.
    "no_dimensions": Shape(
        study="no_dimensions", n_agents=160, scale=(0, 10), waves=("pre", "post"),
        inputs=("roster", "agent_kpis"), control=True, n_teams=4, seed=14,
        competencies=(("Courtesy", 4, None), ("Accuracy", 4, None), ("Ownership", 3, None), ("Speed", 1, None))),
}


def write_examples(root: str | Path) -> list[Path]:
    """Write every example study under *root* (``params/examples/`` and ``data/raw/examples/``)."""
    root = Path(root)
    paths = []
    for name, shape in EXAMPLES.items():
        path = write_study(shape, root, input_dir=f"data/raw/examples/{name}")
        target = root / "params" / "examples" / f"{name}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
        paths.append(target)
    return paths
