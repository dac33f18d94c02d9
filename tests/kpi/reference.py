"""Pandas reference implementation of the KPI definitions (docs/kpi-definitions.md).

Written independently of the Ibis expressions in ``ccstudy.kpi.definitions``:
plain pandas, a sort + ``groupby().shift(-1)`` for the customer's next contact,
boolean masks and ``groupby().sum()``.  Used only by the tests (and by the
benchmark as its pandas baseline), on logs that fit in memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccstudy.kpi.params import KpiParams

COUNTS = ["offered", "answered", "abandoned", "short_abandons", "answered_within_sl", "sl_denominator",
          "handle_sec_total", "fcr_eligible", "fcr_resolved", "transferred", "csat_n", "csat_top", "csat_total"]
#: The log columns the KPIs read with the default options (``queue`` is read too when
#: ``repeat_scope = customer_queue``, ``team`` for team-month KPIs of a log that has it).
NEEDED_COLUMNS = ["contact_id", "customer_id", "agent_id", "offered_at", "answered_at", "ended_at", "talk_sec",
                  "hold_sec", "acw_sec", "abandoned", "transferred", "csat"]
KPIS = ["answer_rate", "abandon_rate", "abandon_rate_excl_short", "service_level", "aht_sec", "fcr",
        "transfer_rate", "csat", "csat_mean"]


def _secs(s: pd.Series) -> pd.Series:
    """Whole epoch seconds (floor), as the engines' epoch_seconds give them."""
    v = pd.to_datetime(s).astype("datetime64[ns]")
    out = pd.Series(np.nan, index=s.index)
    ok = v.notna()
    out[ok] = np.floor_divide(v[ok].astype("int64").to_numpy(), 10**9).astype(float)
    return out


def per_contact(df: pd.DataFrame, p: KpiParams = KpiParams()) -> pd.DataFrame:
    d = df.copy()
    off = _secs(d["offered_at"])
    ans = _secs(d["answered_at"])
    end = _secs(d["ended_at"])
    abandoned = d["abandoned"].fillna(False).astype(bool)
    answered = ~abandoned
    wait = np.where(answered, ans - off, end - off)
    d["month"] = pd.to_datetime(d["offered_at"]).dt.strftime("%Y-%m")
    d["_off"] = off
    d["_wait"] = wait

    # next contact of the same customer (scope), in offered time then contact id order
    keys = ["customer_id"] + (["queue"] if p.repeat_scope == "customer_queue" else [])
    pool = d if p.repeat_counts_abandoned else d[answered]
    pool = pool[pool["customer_id"].notna()].sort_values(["_off", "contact_id"], kind="mergesort")
    nxt = pool.groupby(keys, sort=False)["_off"].shift(-1)
    d["_next"] = nxt.reindex(d.index)
    repeat = d["_next"].notna() & ((d["_next"] - d["_off"]) <= p.repeat_window_sec)

    short = abandoned & (d["_wait"] < p.short_abandon_sec)
    within = answered & (d["_wait"] <= p.sl_threshold_sec)
    den = {
        "offered": pd.Series(True, index=d.index),
        "exclude_short_abandons": ~short,
        "exclude_abandons_within_threshold": ~(abandoned & (d["_wait"] <= p.sl_threshold_sec)),
        "answered": answered,
    }[p.sl_denominator]
    eligible = answered & d["customer_id"].notna()
    csat = d["csat"] if "csat" in d.columns else pd.Series(np.nan, index=d.index)
    out = pd.DataFrame({
        "offered": 1,
        "answered": answered.astype(int),
        "abandoned": abandoned.astype(int),
        "short_abandons": short.astype(int),
        "answered_within_sl": within.astype(int),
        "sl_denominator": den.astype(int),
        "handle_sec_total": np.where(answered, d["talk_sec"].fillna(0) + d["hold_sec"].fillna(0)
                                     + d["acw_sec"].fillna(0), 0.0),
        "fcr_eligible": eligible.astype(int),
        "fcr_resolved": (eligible & ~repeat).astype(int),
        "transferred": (answered & d["transferred"].fillna(False).astype(bool)).astype(int),
        "csat_n": csat.notna().astype(int),
        "csat_top": (csat.notna() & (csat >= p.csat_top_box_min)).astype(int),
        "csat_total": csat.fillna(0.0).astype(float),
    }, index=d.index)
    for c in ("month", "agent_id", "customer_id", "contact_id"):
        out[c] = d[c]
    if "team" in d.columns:
        out["team"] = d["team"]
    return out


def _ratio(n: pd.Series, d: pd.Series) -> pd.Series:
    n = n.astype(float)
    d = d.astype(float)
    return (n / d.where(d != 0)).astype(float)


def kpis(df: pd.DataFrame, level: str, p: KpiParams = KpiParams(), teams: pd.DataFrame | None = None
         ) -> pd.DataFrame:
    c = per_contact(df, p)
    if level == "centre":
        by = ["month"]
    else:
        c = c[c["agent_id"].notna()]
        if level == "agent":
            by = ["agent_id", "month"]
        else:
            if "team" not in c.columns:
                c = c.merge(teams[["agent_id", "team"]], on="agent_id", how="left")
            by = ["team", "month"]
    g = c.groupby(by, sort=True, dropna=False)[COUNTS].sum().reset_index()
    for col in COUNTS:
        g[col] = g[col].astype(float if col in ("handle_sec_total", "csat_total") else "int64")
    g["answer_rate"] = _ratio(g["answered"], g["offered"])
    g["abandon_rate"] = _ratio(g["abandoned"], g["offered"])
    g["abandon_rate_excl_short"] = _ratio(g["abandoned"] - g["short_abandons"], g["offered"] - g["short_abandons"])
    g["service_level"] = _ratio(g["answered_within_sl"], g["sl_denominator"])
    g["aht_sec"] = _ratio(g["handle_sec_total"], g["answered"])
    g["fcr"] = _ratio(g["fcr_resolved"], g["fcr_eligible"])
    g["transfer_rate"] = _ratio(g["transferred"], g["answered"])
    g["csat"] = _ratio(g["csat_top"], g["csat_n"])
    g["csat_mean"] = _ratio(g["csat_total"], g["csat_n"])
    return g[by + COUNTS + KPIS].reset_index(drop=True)
