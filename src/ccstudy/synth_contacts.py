"""Seeded generator of a realistic contact log, streamed to Parquet in chunks.

The log has the canonical columns of :data:`ccstudy.kpi.definitions.CONTACT_COLUMNS`
(without the optional ``team`` and ``resolved``) and is written one day at a
time, so memory stays constant whatever the size: ``ccstudy synth --contacts
100000000`` runs on a small machine.

What it models
--------------
* **Daily pattern**: weekday volumes (Monday highest, Sunday lowest) and a
  slow drift over the period; the day totals are a multinomial draw, so the
  log has exactly *n* contacts.
* **Intraday pattern**: opening hours 08:00-20:00 with a morning peak (~10:30)
  and an afternoon peak (~14:30); queue waits grow with the load of the hour.
* **Abandons**: each caller has an exponential patience (mean 90 s); a caller
  whose wait exceeds it abandons (most in the queue, some while ringing at an
  agent).  Very impatient callers give short abandons.
* **Repeat callers**: about 9 % of contacts are a caller coming back within
  hours or days (drawn from the last 50,000 customers), on top of the chance
  repeats of a large customer base; 1 % of contacts have no customer id.
* **Handling**: talk time log-normal by queue, hold on 30 % of calls, after-call
  work; 8 % of answered contacts transferred; 15 % answer a 1-5 CSAT survey.

Each month goes to its own file ``contacts-YYYY-MM.parquet`` (one row group per
day), so a customer's repeat often lies in the next file.  Everything is drawn
from ``numpy.random.default_rng`` seeded by *seed*: the same arguments give the
same rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["ContactSynthResult", "write_contacts", "SCHEMA"]

SCHEMA = pa.schema([
    ("contact_id", pa.string()), ("customer_id", pa.string()), ("agent_id", pa.string()),
    ("queue", pa.string()), ("channel", pa.string()),
    ("offered_at", pa.timestamp("us")), ("answered_at", pa.timestamp("us")), ("ended_at", pa.timestamp("us")),
    ("talk_sec", pa.float64()), ("hold_sec", pa.float64()), ("acw_sec", pa.float64()),
    ("abandoned", pa.bool_()), ("transferred", pa.bool_()), ("csat", pa.float64()),
])

QUEUES = np.array(["billing", "technical", "sales", "complaints"])
QUEUE_P = np.array([0.45, 0.30, 0.15, 0.10])
TALK_MEDIAN = np.array([240.0, 360.0, 200.0, 420.0])   # per queue, seconds
CSAT_P = np.array([0.04, 0.05, 0.11, 0.30, 0.50])      # scores 1..5
WEEKDAY = np.array([1.18, 1.08, 1.02, 1.00, 0.97, 0.62, 0.45])  # Mon..Sun
_REPEAT_POOL = 50_000


@dataclasses.dataclass(frozen=True, kw_only=True)
class ContactSynthResult:
    files: list[Path]
    rows: int
    customers: int
    agents: int


def _intraday_weights() -> np.ndarray:
    """Relative arrivals per 15-minute bin from 08:00 to 20:00 (48 bins)."""
    h = 8 + (np.arange(48) + 0.5) / 4
    w = 0.25 + np.exp(-0.5 * ((h - 10.5) / 1.3) ** 2) + 0.85 * np.exp(-0.5 * ((h - 14.5) / 1.6) ** 2)
    return w / w.sum()


def _ids(prefix: str, nums: np.ndarray, width: int, mask: np.ndarray | None = None) -> pa.Array:
    """``prefix`` + zero-padded numbers, as an Arrow string array (nulls where *mask*)."""
    digits = pc.utf8_lpad(pa.array(nums.astype(np.int64)).cast(pa.string()), width=width, padding="0")
    out = pc.binary_join_element_wise(pa.scalar(prefix), digits, "")
    if mask is not None:
        out = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), out)
    return out


def write_contacts(out_dir: str | Path, n: int, *, seed: int = 20240101, start: str = "2024-01-01",
                   days: int | None = None, agents: int = 800, customers: int | None = None,
                   on_chunk: Callable[[int, int], None] | None = None) -> ContactSynthResult:
    """Write a log of exactly *n* contacts to *out_dir* (one Parquet file per month).

    Parameters
    ----------
    n
        Number of contacts.
    seed
        Seed of every random draw.
    start, days
        First day and length of the period (default: 90 days, at least 1).
    agents
        Number of agents ``A0001`` ...; customers ``K...`` come from a base of
        *customers* (default ``max(1000, 0.7 n)``).
    on_chunk
        Called after each day as ``on_chunk(rows_written, n)`` (progress).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1 contact, got {n}")
    if agents < 1:
        raise ValueError(f"agents must be at least 1, got {agents}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("contacts-*.parquet"):
        old.unlink()
    days = int(days or 90)
    customers = int(customers or max(1000, int(0.7 * n)))
    rng = np.random.default_rng(seed)
    d0 = dt.date.fromisoformat(start)
    dates = [d0 + dt.timedelta(days=i) for i in range(days)]
    drift = 1 + 0.1 * np.sin(np.linspace(0, 2 * np.pi, days))
    dw = np.array([WEEKDAY[d.weekday()] for d in dates]) * drift
    per_day = rng.multinomial(n, dw / dw.sum())
    bins = _intraday_weights()
    load = bins / bins.max()  # 1 at the busiest bin
    cw = len(str(customers)) + 1
    aw = max(4, len(str(agents)))
    idw = max(9, len(str(n)))
    recent = np.empty(0, dtype=np.int64)  # customers of the last contacts (repeat callers)
    files: list[Path] = []
    writer: pq.ParquetWriter | None = None
    month = None
    seq = 0
    try:
        for d, k in zip(dates, per_day):
            k = int(k)
            if k == 0:
                continue
            m = f"{d.year:04d}-{d.month:02d}"
            if m != month:
                if writer is not None:
                    writer.close()
                path = out / f"contacts-{m}.parquet"
                writer = pq.ParquetWriter(path, SCHEMA, compression="zstd")
                files.append(path)
                month = m
            table = _day(rng, d, k, seq, bins, load, customers, agents, recent, cw, aw, idw)
            cust = table.column("customer_id")
            # keep the last customers for tomorrow's repeat callers
            tail = np.asarray(table.column("_cust").to_numpy(zero_copy_only=False))[-_REPEAT_POOL:]
            recent = np.concatenate([recent, tail[tail >= 0]])[-_REPEAT_POOL:]
            del cust
            writer.write_table(table.drop(["_cust"]), row_group_size=max(k, 1))
            seq += k
            if on_chunk is not None:
                on_chunk(seq, n)
    finally:
        if writer is not None:
            writer.close()
    return ContactSynthResult(files=files, rows=seq, customers=customers, agents=agents)


def _day(rng, d: dt.date, k: int, seq0: int, bins, load, customers: int, agents: int, recent: np.ndarray,
         cw: int, aw: int, idw: int) -> pa.Table:
    # arrivals: a 15-minute bin by the intraday profile, then a uniform second inside it
    b = rng.choice(len(bins), size=k, p=bins)
    sec = 8 * 3600 + b * 900 + rng.integers(0, 900, size=k)
    sec.sort()
    b = (sec - 8 * 3600) // 900
    day0 = np.datetime64(d.isoformat(), "s")
    offered = day0 + sec.astype("timedelta64[s]")

    # customers: a repeat caller from the recent pool, else anyone from the base; 1 % unknown
    cust = rng.integers(0, customers, size=k)
    rep = rng.random(k) < 0.09
    if len(recent):
        cust[rep] = recent[rng.integers(0, len(recent), size=int(rep.sum()))]
    # repeat callers within the day: the caller of an earlier contact today calls back
    same_day = rng.random(k) < 0.03
    idx = np.nonzero(same_day)[0]
    idx = idx[idx > 0]
    if len(idx):
        cust[idx] = cust[(rng.random(len(idx)) * idx).astype(np.int64)]
    unknown = rng.random(k) < 0.01
    cust_out = cust.copy()
    cust_out[unknown] = -1

    queue_i = rng.choice(len(QUEUES), size=k, p=QUEUE_P)
    channel = np.where(rng.random(k) < 0.85, "voice", "chat")
    # waits grow with the load of the bin; patience exponential (mean 90 s)
    wait = np.floor(rng.exponential(3.0 + 9.0 * load[b] ** 3)).astype(np.int64)
    patience = np.floor(rng.exponential(90.0, size=k)).astype(np.int64)
    abandoned = patience < wait
    answered = ~abandoned
    talk = np.where(answered, np.round(TALK_MEDIAN[queue_i] * rng.lognormal(0.0, 0.45, size=k)), np.nan)
    hold = np.where(answered, np.where(rng.random(k) < 0.3, np.round(rng.exponential(40.0, size=k)), 0.0), np.nan)
    acw = np.where(answered, np.round(rng.gamma(3.0, 15.0, size=k)), np.nan)
    transferred = answered & (rng.random(k) < 0.08)
    csat = np.where(answered & (rng.random(k) < 0.15),
                    rng.choice(5, size=k, p=CSAT_P) + 1.0, np.nan)
    agent = rng.integers(1, agents + 1, size=k)
    has_agent = answered | (rng.random(k) < 0.2)   # a fifth of abandons rang at an agent first
    waited = np.where(answered, wait, patience)
    ans_t = offered + np.where(answered, wait, 0).astype("timedelta64[s]")
    dur = np.where(answered, np.nan_to_num(talk) + np.nan_to_num(hold) + np.nan_to_num(acw), 0).astype(np.int64)
    end_t = offered + (waited + dur).astype("timedelta64[s]")

    return pa.table({
        "contact_id": _ids("C", np.arange(seq0 + 1, seq0 + k + 1), idw),
        "customer_id": _ids("K", cust_out, cw, unknown),
        "agent_id": _ids("A", agent, aw, ~has_agent),
        "queue": pa.array(QUEUES[queue_i]),
        "channel": pa.array(channel),
        "offered_at": pa.array(offered.astype("datetime64[us]"), type=pa.timestamp("us")),
        "answered_at": pa.array(ans_t.astype("datetime64[us]"), type=pa.timestamp("us"), mask=abandoned),
        "ended_at": pa.array(end_t.astype("datetime64[us]"), type=pa.timestamp("us")),
        "talk_sec": pa.array(talk, mask=abandoned),
        "hold_sec": pa.array(hold, mask=abandoned),
        "acw_sec": pa.array(acw, mask=abandoned),
        "abandoned": pa.array(abandoned),
        "transferred": pa.array(transferred),
        "csat": pa.array(csat, mask=np.isnan(csat)),
        "_cust": pa.array(cust_out),
    })
