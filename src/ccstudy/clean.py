"""Cleaning rules: fix what a declared rule can fix, and log every change.

The rules and their thresholds come from the study's params (``cleaning.*``);
each is documented in ``docs/data-formats.md``.  Every removed or recoded value
becomes one row of the cleaning log (``file, row, column, old, new, rule``),
where ``row`` is the 1-based spreadsheet row of the raw file (header = row 1).
A dropped row is logged once, with column ``*``.

Rules, in the order they are applied to the responses:

``duplicate_row``       an exact copy of an earlier row (same agent, wave, date and
                        answers): the first copy is kept.
``out_of_range``        an answer outside [scale.min, scale.max] (``cleaning.out_of_range``:
                        ``missing`` recodes it to missing, ``drop_row`` drops the response).
``not_on_scale``        a number inside the range but not a whole number (3.5): same policy.
``partial_response``    fewer than ``cleaning.min_answered_share`` of the items answered:
                        the response is dropped.
``straightlining``      the same answer to every answered item (at least 2 answered):
                        flagged in the ``straightliner`` column (``flag``) or dropped (``drop``).
``left_before_post``    the agent's roster exit_date is before the post wave started
                        (``cleaning.drop_left_before_post``): all their responses are dropped.
                        Applies only when the study has a post wave, a roster with exit dates
                        and a known post-wave start (``waves.post_start`` or submitted dates).

Other inputs:

``blank_row``           a row with every cell blank (any input): dropped.
``empty_column``        a column with no header and no values (any input): ignored.
``min_contacts``        an agent-month with fewer than ``cleaning.min_contacts_per_month``
                        contacts: dropped from the agent KPIs.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable

import numpy as np
import pandas as pd

ROW = "_row"
POS = "_pos"
LOG_COLUMNS = ["file", "row", "column", "old", "new", "rule"]
DROPPED = "dropped"

log = logging.getLogger(__name__)


class CleaningLog:
    """Accumulates cleaning-log rows; :meth:`frame` returns them in a fixed order."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(self, file: str, rows: Iterable[int] | np.ndarray, column: Any, old: Any, new: Any, rule: str) -> int:
        rows = np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows, dtype=np.int64)
        n = len(rows)
        if n == 0:
            return 0

        def vec(v: Any) -> np.ndarray:
            if isinstance(v, (list, tuple, np.ndarray, pd.Series, pd.Index)):
                arr = np.asarray(v, dtype=object)
                if len(arr) != n:
                    raise ValueError("cleaning-log vectors must have one value per row")
                return arr
            return np.full(n, v, dtype=object)

        part = pd.DataFrame({
            "file": np.full(n, file, dtype=object), "row": rows, "column": vec(column),
            "old": vec(old), "new": vec(new), "rule": np.full(n, rule, dtype=object),
            "_seq": np.arange(n) + sum(len(p) for p in self._parts),
        })
        self._parts.append(part)
        return n

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def frame(self) -> pd.DataFrame:
        """The log sorted by file, row, then the order the rules were applied."""
        if not self._parts:
            out = pd.DataFrame({c: pd.Series([], dtype=str) for c in LOG_COLUMNS})
            out["row"] = out["row"].astype(np.int64)
            return out
        out = pd.concat(self._parts, ignore_index=True)
        out = out.sort_values(["file", "row", "_seq"], kind="stable").drop(columns="_seq").reset_index(drop=True)
        for c in ("file", "column", "old", "new", "rule"):
            out[c] = out[c].astype(str)
        out["row"] = out["row"].astype(np.int64)
        return out[LOG_COLUMNS]

    def counts(self) -> dict[str, int]:
        if not self._parts:
            return {}
        rules = pd.concat([p["rule"] for p in self._parts])
        return {str(k): int(v) for k, v in sorted(rules.value_counts().items())}


def fmt_value(v: Any) -> str:
    """A number as the cleaning log writes it (9.0 -> '9'); NaN -> ''."""
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return ""
        if float(v).is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{float(v):.10g}"
    return str(v)


def _fmt_array(values: np.ndarray) -> list[str]:
    return [fmt_value(v) for v in values]


# --------------------------------------------------------------------------- responses

def drop_duplicates(resp: pd.DataFrame, dup: np.ndarray, key_cols: list[str], file: str,
                    log_: CleaningLog) -> pd.DataFrame:
    """Drop exact duplicate rows (``dup`` marks every copy after the first)."""
    if not dup.any():
        return resp
    # the kept copy of a duplicate is the earlier row with the same values; found by hashing only the
    # rows that share an (agent, wave) key with a duplicate
    ids = [c for c in ("agent_id", "wave") if c in resp.columns]
    cand = resp[resp.set_index(ids).index.isin(resp[dup].set_index(ids).index)] if ids else resp
    cdup = np.asarray(dup)[resp.index.get_indexer(cand.index)] if ids else dup
    hashes = pd.util.hash_pandas_object(cand[key_cols], index=False).to_numpy()
    first = pd.Series(cand[ROW].to_numpy()[~cdup], index=hashes[~cdup])
    first = first[~first.index.duplicated(keep="first")]
    of = pd.Series(hashes[cdup]).map(first).to_numpy()
    old = [f"copy of row {int(r)}" if r == r else "copy of an earlier row" for r in of]
    log_.add(file, resp[ROW].to_numpy()[dup], "*", old, DROPPED, "duplicate_row")
    return resp[~dup]


def recode_out_of_range(resp: pd.DataFrame, items: list[str], lo: float, hi: float, policy: str, file: str,
                        log_: CleaningLog, cell_rows: np.ndarray | None = None) -> pd.DataFrame:
    """Answers outside [lo, hi] (rule ``out_of_range``) or not whole (``not_on_scale``)."""
    if not items or resp.empty:
        return resp
    vals = np.ascontiguousarray(resp[items].to_numpy(dtype=float))
    with np.errstate(invalid="ignore"):
        outside = (vals < lo) | (vals > hi)                  # NaN compares False
        frac = np.isfinite(vals)
        frac &= vals != np.rint(vals)
    frac &= ~outside
    bad = outside | frac
    if not bad.any():
        return resp
    vals = vals.copy()
    if policy == "drop_row":
        rows_bad = bad.any(axis=1)
        olds = []
        for i in np.flatnonzero(rows_bad):
            olds.append("; ".join(f"{items[j]}={fmt_value(vals[i, j])}" for j in np.flatnonzero(bad[i])))
        rule_rows = np.where(outside[rows_bad].any(axis=1), "out_of_range", "not_on_scale")
        raw = resp[ROW].to_numpy()[rows_bad]
        for rule in ("out_of_range", "not_on_scale"):
            m = rule_rows == rule
            log_.add(file, raw[m], "*", np.asarray(olds, dtype=object)[m], DROPPED, rule)
        return resp[~rows_bad]
    for rule, mask in (("out_of_range", outside), ("not_on_scale", frac)):
        ri, ci = np.nonzero(mask)
        if not len(ri):
            continue
        if cell_rows is not None:
            raw = cell_rows[resp[POS].to_numpy()[ri], ci]
        else:
            raw = resp[ROW].to_numpy()[ri]
        log_.add(file, raw, np.asarray(items, dtype=object)[ci], _fmt_array(vals[ri, ci]), "", rule)
    vals[bad] = np.nan
    block = pd.DataFrame(vals, columns=items, index=resp.index)
    return pd.concat([resp.drop(columns=items), block], axis=1)[list(resp.columns)]


def drop_partial(resp: pd.DataFrame, items: list[str], min_share: float, file: str,
                 log_: CleaningLog) -> pd.DataFrame:
    """Drop responses answering fewer than *min_share* of the items (rule ``partial_response``)."""
    if not items or resp.empty:
        return resp
    answered = resp[items].notna().sum(axis=1).to_numpy()
    share = answered / len(items)
    bad = share < min_share - 1e-12
    if bad.any():
        old = [f"{a} of {len(items)} items answered" for a in answered[bad]]
        log_.add(file, resp[ROW].to_numpy()[bad], "*", old, DROPPED, "partial_response")
    return resp[~bad]


def straightliners(resp: pd.DataFrame, items: list[str]) -> np.ndarray:
    """Responses giving the same answer to every answered item (at least two answered)."""
    if not items or resp.empty:
        return np.zeros(len(resp), dtype=bool)
    vals = resp[items].to_numpy(dtype=float)
    answered = (~np.isnan(vals)).sum(axis=1)
    hi = np.fmax.reduce(vals, axis=1)   # fmax / fmin ignore NaN
    lo = np.fmin.reduce(vals, axis=1)
    return (answered >= 2) & (hi == lo)


def handle_straightlining(resp: pd.DataFrame, items: list[str], policy: str, file: str,
                          log_: CleaningLog) -> pd.DataFrame:
    """Flag (``straightliner`` column) or drop straight-liners (rule ``straightlining``)."""
    sl = straightliners(resp, items)
    out = resp.assign(straightliner=sl)
    if sl.any():
        vals = resp[items].to_numpy(dtype=float)[sl]
        answered = (~np.isnan(vals)).sum(axis=1)
        first = np.fmax.reduce(vals, axis=1)
        old = [f"all {a} answers = {fmt_value(v)}" for a, v in zip(answered, first)]
        if policy == "drop":
            log_.add(file, resp[ROW].to_numpy()[sl], "*", old, DROPPED, "straightlining")
            out = out[~sl]
        else:
            log_.add(file, resp[ROW].to_numpy()[sl], "straightliner", old, "flagged", "straightlining")
    return out


def post_wave_start(resp: pd.DataFrame, post: str, declared: Any = None) -> pd.Timestamp | None:
    """Start of the post wave: ``waves.post_start`` when given, else the earliest post-wave submission."""
    if declared:
        return pd.Timestamp(declared)
    if "submitted" not in resp.columns or "wave" not in resp.columns:
        return None
    sub = resp.loc[resp["wave"] == post, "submitted"]
    return None if sub.dropna().empty else sub.min()


def drop_left_before_post(resp: pd.DataFrame, roster: pd.DataFrame, start: pd.Timestamp | None, file: str,
                          log_: CleaningLog) -> pd.DataFrame:
    """Drop every response of agents whose exit_date is before *start* (rule ``left_before_post``)."""
    if start is None or "exit_date" not in roster.columns or resp.empty:
        return resp
    left = roster.loc[roster["exit_date"].notna() & (roster["exit_date"] < start), ["agent_id", "exit_date"]]
    if left.empty:
        return resp
    exits = left.drop_duplicates("agent_id").set_index("agent_id")["exit_date"]
    bad = resp["agent_id"].isin(exits.index).to_numpy()
    if bad.any():
        ex = resp["agent_id"][bad].map(exits)
        old = [f"exit_date {d:%Y-%m-%d} before the post wave ({start:%Y-%m-%d})" for d in ex]
        log_.add(file, resp[ROW].to_numpy()[bad], "*", old, DROPPED, "left_before_post")
    return resp[~bad]


def clean_responses(resp: pd.DataFrame, items: list[str], params: Any, file: str, log_: CleaningLog, *,
                    roster: pd.DataFrame | None = None, duplicates: np.ndarray | None = None,
                    cell_rows: np.ndarray | None = None) -> pd.DataFrame:
    """Apply every response rule in order; returns the kept rows (``_row`` kept, ``straightliner`` added)."""
    post = params.get("waves.post")
    lo, hi = float(params.get("scale.min")), float(params.get("scale.max"))
    resp = resp.assign(**{POS: np.arange(len(resp))})
    if duplicates is not None:
        key = [c for c in ["agent_id", "wave", "submitted", *items] if c in resp.columns]
        resp = drop_duplicates(resp, np.asarray(duplicates, dtype=bool), key, file, log_)
    # the post wave starts with its earliest submission among the (deduplicated) responses
    start = post_wave_start(resp, str(post), params.get("waves.post_start")) if post is not None else None
    resp = recode_out_of_range(resp, items, lo, hi, params.get("cleaning.out_of_range", "missing"), file, log_,
                               cell_rows=cell_rows)
    resp = drop_partial(resp, items, float(params.get("cleaning.min_answered_share", 0.8)), file, log_)
    resp = handle_straightlining(resp, items, params.get("cleaning.straightlining", "flag"), file, log_)
    if params.get("cleaning.drop_left_before_post", True) and roster is not None:
        resp = drop_left_before_post(resp, roster, start, file, log_)
    return resp.drop(columns=POS)


# --------------------------------------------------------------------------- KPIs

def drop_low_contacts(kpis: pd.DataFrame, min_contacts: int, file: str, log_: CleaningLog) -> pd.DataFrame:
    """Drop agent-months with fewer than *min_contacts* contacts (rule ``min_contacts``)."""
    if "contacts" not in kpis.columns or not min_contacts:
        return kpis
    c = kpis["contacts"].to_numpy(dtype=float)
    bad = c < min_contacts
    if bad.any():
        old = [f"contacts={fmt_value(v)} < {min_contacts}" for v in c[bad]]
        log_.add(file, kpis[ROW].to_numpy()[bad], "*", old, DROPPED, "min_contacts")
    return kpis[~bad]


__all__ = [
    "CleaningLog", "LOG_COLUMNS", "clean_responses", "drop_duplicates", "recode_out_of_range", "drop_partial",
    "straightliners", "handle_straightlining", "drop_left_before_post", "post_wave_start", "drop_low_contacts",
    "fmt_value",
]
