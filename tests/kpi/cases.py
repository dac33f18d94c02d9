"""A small contact log whose KPIs were worked out by hand (see the comments).

Default options: short abandon < 5 s, service level within 20 s (inclusive),
denominator = offered minus short abandons, repeat window 7 days (inclusive),
repeat = any later contact of the same customer, abandoned ones included;
CSAT top-2-box = score >= 4.  Agents A1 (team T1), A2 (team T2).

January (file jan.parquet)
  c01 K1 A1 billing 01-10 09:00:00 answered +10 s  talk 240 hold 30 acw 60 csat 5
      K1 again (c02) exactly 7 days later -> repeat just INSIDE the window: not resolved
  c02 K1 A1 billing 01-17 09:00:00 answered +30 s (outside SL) talk 300 acw 60 csat 3
      K1 again (c03) 7 days + 1 s later -> just OUTSIDE the window: resolved
  c03 K1 A2 billing 01-24 09:00:01 answered +5 s  talk 100 acw 20, transferred; no later K1: resolved
  c04 K2 A1 billing 01-31 23:50:00 answered +20 s (SL inclusive) talk 400 hold 20 acw 60 csat 4
      K2 again (c06, tech queue, next month, other file) 8 h 10 min later: not resolved
  c05 K3 --  billing 01-15 10:00:00 abandoned in the queue after 3 s: a short abandon
February (file feb.parquet)
  c06 K2 A2 tech    02-01 08:00:00 answered +15 s talk 200 hold 10 acw 30 csat 2; resolved
  c07 -- A2 billing 02-02 12:00:00 answered +8 s talk 150 acw 30: no customer id, not FCR-eligible
  c08 K4 A1 billing 02-03 14:00:00 abandoned at the agent after 45 s (not short)
  c09 K4 A1 billing 02-03 14:10:00 answered +12 s talk 180 acw 40 csat 5; resolved
  c10 K5 A2 billing 02-05 09:00:00 answered +4 s talk 60 csat 1
      K5 again 30 min later (c11, abandoned): not resolved (resolved if abandoned repeats do not count)
  c11 K5 --  billing 02-05 09:30:00 abandoned after 10 s (within the SL threshold, not short)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

N = None


def _row(cid, cust, agent, queue, offered, wait, talk=None, hold=0.0, acw=0.0, abandoned=False,
         transferred=False, csat=None, team=None):
    off = pd.Timestamp(offered)
    if abandoned:
        ans, end = pd.NaT, off + pd.Timedelta(seconds=wait)
        talk = hold = acw = None
    else:
        ans = off + pd.Timedelta(seconds=wait)
        end = ans + pd.Timedelta(seconds=(talk or 0) + (hold or 0) + (acw or 0))
    return dict(contact_id=cid, customer_id=cust, agent_id=agent, queue=queue, channel="voice",
                offered_at=off, answered_at=ans, ended_at=end, talk_sec=talk, hold_sec=hold, acw_sec=acw,
                abandoned=abandoned, transferred=transferred, csat=csat)


JAN = [
    _row("c01", "K1", "A1", "billing", "2024-01-10 09:00:00", 10, 240, 30, 60, csat=5),
    _row("c02", "K1", "A1", "billing", "2024-01-17 09:00:00", 30, 300, 0, 60, csat=3),
    _row("c03", "K1", "A2", "billing", "2024-01-24 09:00:01", 5, 100, 0, 20, transferred=True),
    _row("c04", "K2", "A1", "billing", "2024-01-31 23:50:00", 20, 400, 20, 60, csat=4),
    _row("c05", "K3", N, "billing", "2024-01-15 10:00:00", 3, abandoned=True),
]
FEB = [
    _row("c06", "K2", "A2", "tech", "2024-02-01 08:00:00", 15, 200, 10, 30, csat=2),
    _row("c07", N, "A2", "billing", "2024-02-02 12:00:00", 8, 150, 0, 30),
    _row("c08", "K4", "A1", "billing", "2024-02-03 14:00:00", 45, abandoned=True),
    _row("c09", "K4", "A1", "billing", "2024-02-03 14:10:00", 12, 180, 0, 40, csat=5),
    _row("c10", "K5", "A2", "billing", "2024-02-05 09:00:00", 4, 60, 0, 0, csat=1),
    _row("c11", "K5", N, "billing", "2024-02-05 09:30:00", 10, abandoned=True),
]

TEAMS = pd.DataFrame({"agent_id": ["A1", "A2"], "team": ["T1", "T2"]})


def frame(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in ("offered_at", "answered_at", "ended_at"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[us]")
    for c in ("talk_sec", "hold_sec", "acw_sec", "csat"):
        df[c] = df[c].astype("float64")
    for c in ("contact_id", "customer_id", "agent_id", "queue", "channel"):
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    df["abandoned"] = df["abandoned"].astype(bool)
    df["transferred"] = df["transferred"].astype(bool)
    return df


def log() -> pd.DataFrame:
    return frame(JAN + FEB)


def write_two_files(folder) -> None:
    """January and February as two Parquet files of one log folder."""
    folder.mkdir(parents=True, exist_ok=True)
    frame(JAN).to_parquet(folder / "jan.parquet", index=False)
    frame(FEB).to_parquet(folder / "feb.parquet", index=False)


# ----------------------------------------------------------------------------- hand-worked results
# centre-month, default options
CENTRE = {
    "2024-01": dict(offered=5, answered=4, abandoned=1, short_abandons=1, answered_within_sl=3,
                    sl_denominator=4, handle_sec_total=330 + 360 + 120 + 480, fcr_eligible=4, fcr_resolved=2,
                    transferred=1, csat_n=3, csat_top=2, csat_total=12,
                    answer_rate=4 / 5, abandon_rate=1 / 5, abandon_rate_excl_short=0 / 4, service_level=3 / 4,
                    aht_sec=1290 / 4, fcr=2 / 4, transfer_rate=1 / 4, csat=2 / 3, csat_mean=12 / 3),
    "2024-02": dict(offered=6, answered=4, abandoned=2, short_abandons=0, answered_within_sl=4,
                    sl_denominator=6, handle_sec_total=240 + 180 + 220 + 60, fcr_eligible=3, fcr_resolved=2,
                    transferred=0, csat_n=3, csat_top=1, csat_total=8,
                    answer_rate=4 / 6, abandon_rate=2 / 6, abandon_rate_excl_short=2 / 6, service_level=4 / 6,
                    aht_sec=700 / 4, fcr=2 / 3, transfer_rate=0 / 4, csat=1 / 3, csat_mean=8 / 3),
}
# agent-month, default options: (agent, month) -> selected KPIs
AGENT = {
    ("A1", "2024-01"): dict(offered=3, answered=3, service_level=2 / 3, aht_sec=1170 / 3, fcr=1 / 3,
                            transfer_rate=0.0, csat=2 / 3, csat_mean=4.0),
    ("A2", "2024-01"): dict(offered=1, answered=1, service_level=1.0, aht_sec=120.0, fcr=1.0,
                            transfer_rate=1.0, csat=np.nan, csat_mean=np.nan),
    ("A1", "2024-02"): dict(offered=2, answered=1, abandoned=1, answer_rate=0.5, service_level=0.5, aht_sec=220.0,
                            fcr=1.0, csat=1.0, csat_mean=5.0),
    ("A2", "2024-02"): dict(offered=3, answered=3, service_level=1.0, aht_sec=480 / 3, fcr=1 / 2,
                            csat=0.0, csat_mean=1.5),
}
# variants: option -> {month: expected centre value}
VARIANTS = {
    "no_abandoned_repeats": (dict(repeat_counts_abandoned=False), "fcr_resolved", {"2024-01": 2, "2024-02": 3}),
    "window_24h": (dict(repeat_window_sec=86400), "fcr_resolved", {"2024-01": 3, "2024-02": 2}),
    "same_queue": (dict(repeat_scope="customer_queue"), "fcr_resolved", {"2024-01": 3, "2024-02": 2}),
    "sl_offered": (dict(sl_denominator="offered"), "service_level", {"2024-01": 3 / 5, "2024-02": 4 / 6}),
    "sl_answered": (dict(sl_denominator="answered"), "service_level", {"2024-01": 3 / 4, "2024-02": 4 / 4}),
    "sl_excl_within": (dict(sl_denominator="exclude_abandons_within_threshold"), "service_level",
                       {"2024-01": 3 / 4, "2024-02": 4 / 5}),
    "short_10s": (dict(short_abandon_sec=11), "short_abandons", {"2024-01": 1, "2024-02": 1}),
}
